//! The fake Arr's writes: queue removal and commands.

use super::*;

/// `DELETE queue/{id}`: removes the whole download the record belongs to.
pub(super) async fn queue_delete(
    State(st): State<Shared>,
    Path(id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> Reply {
    let p = Params(q);
    let remove_from_client = p.flag("removeFromClient", true)?;
    let blocklist = p.flag("blocklist", false)?;
    let skip_redownload = p.flag("skipRedownload", false)?;
    let change_category = p.flag("changeCategory", false)?;
    let (download_id, link) = {
        let inner = lock(&st);
        let Some(idx) = inner.download_of_record(id) else {
            return Err(error(404, "NotFound"));
        };
        (
            inner.downloads[idx].dl.download_id.clone(),
            inner.qbit.clone(),
        )
    };
    let from_client = remove_from_client && !change_category && download_id.is_some();
    if from_client
        && let (Some(link), Some(hash)) = (&link, &download_id)
        && let Err(e) = super::qbit::delete(link, hash).await
    {
        return Err(error(500, &e));
    }
    let mut inner = lock(&st);
    let Some(idx) = inner.download_of_record(id) else {
        return Err(error(404, "NotFound"));
    };
    let stored = inner.downloads.remove(idx);
    let dl = stored.dl;
    if let Some(d) = &dl.download_id {
        inner.gone.insert(d.clone());
        if from_client {
            inner.removed_from_client.push(d.clone());
        }
    }
    if blocklist {
        let block = FakeBlock {
            id: inner.next(),
            download_id: dl.download_id.clone(),
            source_title: dl.title.clone(),
            media_ids: dl.media_ids.clone(),
            date: now(),
        };
        inner.blocklist.push(block);
        for media in grabbed_media(inner.kind, &dl.media_ids) {
            inner.add_history(dl.download_id.clone(), "downloadFailed", media, &dl.title);
        }
        if !skip_redownload {
            inner.searches.extend(dl.media_ids.iter().copied());
        }
    }
    Ok(Json(json!({})).into_response())
}

/// `POST history/failed/{id}`: the grab of the download that history record `id` belongs to
/// is marked failed, as the Arrs' failed-download handling does: the release blocklisted, a
/// `downloadFailed` event written and a search started ("Redownload Failed" on). The queue
/// and the client are left alone. 404 for an unknown record.
pub(super) async fn history_failed(State(st): State<Shared>, Path(id): Path<i64>) -> Reply {
    let mut inner = lock(&st);
    let Some(record) = inner.history.iter().find(|h| h.id == id).cloned() else {
        return Err(error(404, "NotFound"));
    };
    let grabs: Vec<FakeHistory> = match &record.download_id {
        Some(d) => inner
            .history
            .iter()
            .filter(|h| h.download_id.as_deref() == Some(d) && h.event_type == "grabbed")
            .cloned()
            .collect(),
        None => vec![record.clone()],
    };
    let media: Vec<i64> = grabs.iter().filter_map(|g| g.media_id).collect();
    let title = grabs
        .first()
        .map_or(record.source_title.clone(), |g| g.source_title.clone());
    let block = FakeBlock {
        id: inner.next(),
        download_id: record.download_id.clone(),
        source_title: title.clone(),
        media_ids: media.clone(),
        date: now(),
    };
    inner.blocklist.push(block);
    for g in &grabs {
        inner.add_history(
            record.download_id.clone(),
            "downloadFailed",
            g.media_id,
            &title,
        );
    }
    inner.searches.extend(media);
    inner.marked_failed.push(id);
    Ok(Json(json!({})).into_response())
}

/// Command names the fake knows, per kind (case-insensitive on input, canonical on output).
fn known_commands(kind: ArrKind) -> &'static [&'static str] {
    match kind {
        ArrKind::Radarr => &[
            "DownloadedMoviesScan",
            "MoviesSearch",
            "MissingMoviesSearch",
            "CutoffUnmetMoviesSearch",
            "RescanMovie",
            "RefreshMovie",
            "RenameMovie",
            "RenameFiles",
            "RefreshMonitoredDownloads",
            "ProcessMonitoredDownloads",
            "RssSync",
            "CheckHealth",
            "Backup",
            "ClearBlocklist",
            "Housekeeping",
        ],
        ArrKind::Sonarr => &[
            "DownloadedEpisodesScan",
            "EpisodeSearch",
            "SeasonSearch",
            "SeriesSearch",
            "MissingEpisodeSearch",
            "CutoffUnmetEpisodeSearch",
            "RescanSeries",
            "RefreshSeries",
            "RenameSeries",
            "RenameFiles",
            "RefreshMonitoredDownloads",
            "ProcessMonitoredDownloads",
            "RssSync",
            "CheckHealth",
            "Backup",
            "ClearBlocklist",
            "Housekeeping",
        ],
        ArrKind::Lidarr => &[
            "DownloadedAlbumsScan",
            "AlbumSearch",
            "ArtistSearch",
            "MissingAlbumSearch",
            "CutoffUnmetAlbumSearch",
            "RescanFolders",
            "RefreshArtist",
            "RefreshAlbum",
            "RenameArtist",
            "RenameFiles",
            "RetagArtist",
            "RefreshMonitoredDownloads",
            "ProcessMonitoredDownloads",
            "RssSync",
            "CheckHealth",
            "Backup",
            "ClearBlocklist",
            "Housekeeping",
        ],
    }
}

/// A body property, matched case-insensitively like the Arrs' JSON input.
fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// "DownloadedMoviesScan" -> "Downloaded Movies Scan".
fn spaced(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Runs a `Downloaded*Scan`: a tracked download (exact `downloadClientId`) whose
/// `outputPath` is `path` (when known) is imported and leaves the queue.
/// Returns (status, result, message).
fn run_scan(inner: &mut Inner, body: &Value) -> (&'static str, &'static str, String) {
    let path = field(body, "path")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if path.is_empty() {
        return ("failed", "unsuccessful", "A path must be provided".into());
    }
    let client_id = field(body, "downloadClientId").and_then(Value::as_str);
    let found = client_id.and_then(|id| {
        inner
            .downloads
            .iter()
            .position(|s| s.dl.download_id.as_deref() == Some(id))
    });
    let Some(idx) = found else {
        return (
            "completed",
            "unsuccessful",
            format!("No files found are eligible for import in {path}"),
        );
    };
    let trim = |p: &str| p.trim_end_matches('/').to_string();
    if let Some(out) = &inner.downloads[idx].dl.output_path
        && trim(out) != trim(path)
    {
        let msg = format!("Import failed, path does not exist or is not accessible: {path}");
        return ("completed", "unsuccessful", msg);
    }
    let dl = inner.downloads.remove(idx).dl;
    let event = match inner.kind {
        ArrKind::Radarr | ArrKind::Sonarr => "downloadFolderImported",
        ArrKind::Lidarr => "downloadImported",
    };
    for media in grabbed_media(inner.kind, &dl.media_ids) {
        inner.add_history(dl.download_id.clone(), event, media, &dl.title);
    }
    if let Some(d) = dl.download_id {
        inner.gone.insert(d);
    }
    ("completed", "successful", "Completed".into())
}

/// The CommandResource of a stored command; `fresh` shows it as just queued.
fn command_json(c: &FakeCommand, queued: &str, fresh: bool) -> Value {
    let mut body = c.body.as_object().cloned().unwrap_or_default();
    body.insert("name".into(), json!(c.name));
    let defaults = json!({"sendUpdatesToClient": false, "updateScheduledTask": true,
        "requiresDiskAccess": false, "isExclusive": false, "isLongRunning": false,
        "trigger": "manual", "suppressMessages": false});
    for (k, v) in defaults.as_object().cloned().unwrap_or_default() {
        body.entry(k).or_insert(v);
    }
    let mut r = json!({
        "id": c.id, "name": c.name, "commandName": spaced(&c.name), "body": body,
        "priority": "normal", "queued": queued, "trigger": "manual",
        "sendUpdatesToClient": false, "updateScheduledTask": true, "stateChangeTime": queued,
    });
    let obj = r.as_object_mut().expect("object");
    if fresh {
        obj.insert("status".into(), json!("queued"));
        obj.insert("result".into(), json!("unknown"));
    } else if c.status == "started" {
        obj.insert("status".into(), json!("started"));
        obj.insert("result".into(), json!("unknown"));
        obj.insert("started".into(), json!(queued));
    } else {
        obj.insert("status".into(), json!(c.status));
        obj.insert("result".into(), json!(c.result));
        obj.insert("message".into(), json!(c.message));
        obj.insert("started".into(), json!(queued));
        obj.insert("ended".into(), json!(queued));
        obj.insert("duration".into(), json!("00:00:00.0100000"));
    }
    r
}

/// `POST command`: 201 with the queued CommandResource; unknown names answer 500.
pub(super) async fn command_post(State(st): State<Shared>, body: Bytes) -> Reply {
    let body: Value = serde_json::from_slice(&body).map_err(|e| error(400, &e.to_string()))?;
    let mut inner = lock(&st);
    let kind = inner.kind;
    let asked = field(&body, "name").and_then(Value::as_str).unwrap_or("");
    let Some(name) = known_commands(kind)
        .iter()
        .find(|n| n.eq_ignore_ascii_case(asked))
    else {
        return Err(error(500, &format!("Unknown command name '{asked}'")));
    };
    let ids_field = match *name {
        "MoviesSearch" => Some("movieIds"),
        "EpisodeSearch" => Some("episodeIds"),
        "AlbumSearch" => Some("albumIds"),
        _ => None,
    };
    let (status, result, message) = if *name == kind.scan_command() {
        run_scan(&mut inner, &body)
    } else if let Some(ids) = ids_field
        && !field(&body, ids).is_some_and(Value::is_array)
    {
        // The command runs with a null id list and throws.
        ("failed", "unsuccessful", format!("{ids} must be given"))
    } else {
        // A search stamps each item it searched (every episode of a season search), as the
        // Arrs do.
        if let Some(ids) = ids_field
            .and_then(|f| field(&body, f))
            .and_then(Value::as_array)
        {
            let ids: Vec<i64> = ids.iter().filter_map(Value::as_i64).collect();
            stamp_searched(&mut inner, |r| {
                r.get("id")
                    .and_then(Value::as_i64)
                    .is_some_and(|id| ids.contains(&id))
            });
        }
        if *name == "SeasonSearch" {
            let series = field(&body, "seriesId").and_then(Value::as_i64);
            let season = field(&body, "seasonNumber").and_then(Value::as_i64);
            stamp_searched(&mut inner, |r| {
                r.get("seriesId").and_then(Value::as_i64) == series
                    && r.get("seasonNumber").and_then(Value::as_i64) == season
            });
        }
        ("completed", "successful", "Completed".into())
    };
    let command = FakeCommand {
        id: inner.next(),
        name: name.to_string(),
        body,
        status: status.into(),
        result: result.into(),
        message,
    };
    let queued = now();
    let reply = command_json(&command, &queued, true);
    inner.commands.push((command, queued));
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}

/// Sets `lastSearchTime` to now on the wanted records `searched` picks.
fn stamp_searched(inner: &mut Inner, searched: impl Fn(&Value) -> bool) {
    let at = now();
    for r in inner
        .wanted_missing
        .iter_mut()
        .chain(inner.wanted_cutoff.iter_mut())
    {
        if searched(r) {
            r["lastSearchTime"] = json!(at);
        }
    }
}

/// `GET command`: every command, oldest first.
pub(super) async fn command_list(State(st): State<Shared>) -> Response {
    let inner = lock(&st);
    let list: Vec<Value> = inner
        .commands
        .iter()
        .map(|(c, q)| command_json(c, q, false))
        .collect();
    Json(list).into_response()
}

/// `GET command/{id}`.
pub(super) async fn command_get(State(st): State<Shared>, Path(id): Path<i64>) -> Reply {
    let inner = lock(&st);
    let (c, q) = inner
        .commands
        .iter()
        .find(|(c, _)| c.id == id)
        .ok_or_else(|| error(404, "NotFound"))?;
    Ok(Json(command_json(c, q, false)).into_response())
}
