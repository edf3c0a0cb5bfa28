//! HTTP side of the fake Arr: authentication gate, request log, and one handler per endpoint.

use serde_json::Map;

use super::*;

type Reply = Result<Response, Response>;

/// The router for `kind`, every route behind [`gate`].
pub(super) fn router(kind: ArrKind, state: Shared) -> Router {
    let b = kind.api_base();
    Router::new()
        .route("/ping", get(|| async { Json(json!({"status": "OK"})) }))
        .route("/api", get(api_info))
        .route(&format!("{b}/system/status"), get(system_status))
        .route(&format!("{b}/health"), get(health))
        .route(&format!("{b}/queue"), get(queue))
        .route(&format!("{b}/queue/details"), get(queue_details))
        .route(&format!("{b}/queue/{{id}}"), delete(queue_delete))
        .route(
            &format!("{b}/command"),
            get(command_list).post(command_post),
        )
        .route(&format!("{b}/command/{{id}}"), get(command_get))
        .route(&format!("{b}/history"), get(history))
        .route(&format!("{b}/history/failed/{{id}}"), post(history_failed))
        .route(&format!("{b}/blocklist"), get(blocklist))
        .route(&format!("{b}/wanted/missing"), get(wanted_missing))
        .route(&format!("{b}/wanted/cutoff"), get(wanted_cutoff))
        .route(&format!("{b}/movie"), get(movie_list))
        .fallback(|| async { error(404, "NotFound") })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// Records the request, then applies the injected delay / failure and the key check.
async fn gate(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let (key_ok, failure, delay, log) = {
        let mut inner = lock(&st);
        let key_ok = key_ok(&parts.headers, &query, &inner.api_key);
        inner.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: json_body(&bytes),
            api_key_ok: key_ok,
        });
        (key_ok, inner.failure, inner.delay, inner.log)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let is_api = path == "/api" || path.starts_with("/api/");
    let method = parts.method.clone();
    let resp = match failure {
        Some(code) if is_api => error(code, "Injected failure"),
        _ if is_api && !key_ok => StatusCode::UNAUTHORIZED.into_response(),
        _ => {
            next.run(Request::from_parts(parts, Body::from(bytes.clone())))
                .await
        }
    };
    if log {
        let shown: Vec<String> = query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("apikey"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let q = if shown.is_empty() {
            String::new()
        } else {
            format!("?{}", shown.join("&"))
        };
        let body = json_body(&bytes)
            .map(|b| format!(" {b}"))
            .unwrap_or_default();
        eprintln!(
            "[fake arr] {method} {path}{q}{body} -> {}",
            resp.status().as_u16()
        );
    }
    resp
}

fn key_ok(headers: &HeaderMap, query: &[(String, String)], key: &str) -> bool {
    let header = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let param = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("apikey"))
        .map(|(_, v)| v.as_str());
    [header, bearer, param]
        .into_iter()
        .flatten()
        .any(|k| k == key)
}

fn json_body(bytes: &Bytes) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

/// A non-validation error body, as the Arrs send it.
fn error(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        Json(json!({"message": message, "description": message})),
    )
        .into_response()
}

/// A 400 validation failure body: an array of property errors.
fn invalid(property: &str, value: &str, message: &str) -> Response {
    let body = json!([{
        "propertyName": property, "errorMessage": message, "attemptedValue": value,
        "severity": "error", "errorCode": "PredicateValidator"
    }]);
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Query parameters; names match case-insensitively, as ASP.NET binds them.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn flag(&self, name: &str, default: bool) -> Result<bool, Response> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(invalid(name, v, &format!("The value '{v}' is not valid."))),
        }
    }

    fn int(&self, name: &str, default: i64) -> Result<i64, Response> {
        Ok(self.opt_int(name)?.unwrap_or(default))
    }

    fn opt_int(&self, name: &str) -> Result<Option<i64>, Response> {
        Ok(self.ints(name)?.into_iter().next())
    }

    /// Every value of a repeated integer parameter (`?ids=1&ids=2`).
    fn ints(&self, name: &str) -> Result<Vec<i64>, Response> {
        self.all(name)
            .into_iter()
            .map(|v| {
                v.parse()
                    .map_err(|_| invalid(name, v, &format!("The value '{v}' is not valid.")))
            })
            .collect()
    }
}

/// `{page, pageSize, sortKey, sortDirection, totalRecords, records}` over `items`.
fn paged(items: Vec<Value>, p: &Params, sort_key: &str, sort_dir: &str) -> Reply {
    let page = p.int("page", 1)?.max(1);
    let size = p.int("pageSize", 10)?.max(1);
    let total = items.len();
    let start = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let records: Vec<Value> = items.into_iter().skip(start).take(size as usize).collect();
    Ok(Json(json!({
        "page": page, "pageSize": size,
        "sortKey": p.get("sortKey").unwrap_or(sort_key),
        "sortDirection": p.get("sortDirection").unwrap_or(sort_dir),
        "totalRecords": total, "records": records,
    }))
    .into_response())
}

async fn api_info(State(st): State<Shared>) -> Response {
    let current = lock(&st)
        .kind
        .api_base()
        .trim_start_matches("/api/")
        .to_string();
    Json(json!({"current": current, "deprecated": []})).into_response()
}

async fn health(State(st): State<Shared>) -> Response {
    Json(Value::Array(lock(&st).health.clone())).into_response()
}

async fn system_status(State(st): State<Shared>) -> Response {
    let kind = lock(&st).kind;
    let (app, version) = match kind {
        ArrKind::Radarr => ("Radarr", "5.14.0.9383"),
        ArrKind::Sonarr => ("Sonarr", "4.0.10.2544"),
        ArrKind::Lidarr => ("Lidarr", "2.5.3.4341"),
    };
    Json(json!({
        "appName": app, "instanceName": app, "version": version,
        "buildTime": "2024-10-01T00:00:00Z", "isDebug": false, "isProduction": true,
        "isAdmin": false, "isUserInteractive": false, "startupPath": "/app/bin",
        "appData": "/config", "osName": "ubuntu", "osVersion": "22.04", "isNetCore": true,
        "isLinux": true, "isOsx": false, "isWindows": false, "isDocker": true, "mode": "console",
        "branch": "master", "authentication": "forms", "databaseType": "sqLite",
        "databaseVersion": "3.44.2", "migrationVersion": 240, "urlBase": "",
        "runtimeVersion": "6.0.33", "runtimeName": ".NET", "startTime": now(),
        "packageVersion": version, "packageAuthor": "hotio", "packageUpdateMechanism": "docker"
    }))
    .into_response()
}

fn quality() -> Value {
    json!({"quality": {"id": 7, "name": "Bluray-1080p", "source": "bluray", "resolution": 1080},
           "revision": {"version": 1, "real": 0, "isRepack": false}})
}

/// PascalCase of a camelCase enum name ("importPending" -> "ImportPending").
fn pascal(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Media fields of a record for `kind`, omitted when the media is unknown.
fn media_fields(kind: ArrKind, r: &mut Map<String, Value>, media: Option<i64>, parent: i64) {
    let Some(m) = media else { return };
    let fields: &[(&str, Value)] = match kind {
        ArrKind::Radarr => &[("movieId", json!(m))],
        ArrKind::Sonarr => &[("seriesId", json!(parent)), ("episodeId", json!(m))],
        ArrKind::Lidarr => &[("artistId", json!(parent)), ("albumId", json!(m))],
    };
    for (k, v) in fields {
        r.insert((*k).to_string(), v.clone());
    }
}

/// Queue records in insertion order; unknown items (no media id) only when asked for.
fn queue_records(inner: &Inner, include_unknown: bool) -> Vec<Value> {
    let kind = inner.kind;
    let mut out = Vec::new();
    for s in &inner.downloads {
        let dl = &s.dl;
        for (i, id) in s.record_ids.iter().enumerate() {
            let media = dl.media_ids.get(i).copied();
            if media.is_none() && !include_unknown {
                continue;
            }
            let mut r = Map::new();
            r.insert("id".into(), json!(id));
            media_fields(kind, &mut r, media, dl.parent_id.unwrap_or(1));
            match kind {
                ArrKind::Radarr | ArrKind::Sonarr => {
                    r.insert("languages".into(), json!([{"id": 1, "name": "English"}]));
                }
                ArrKind::Lidarr => {}
            }
            let status = match kind {
                ArrKind::Lidarr => pascal(&dl.status),
                _ => dl.status.clone(),
            };
            let messages: Vec<Value> = dl
                .status_messages
                .iter()
                .map(|(t, m)| json!({"title": t, "messages": m}))
                .collect();
            let fields = json!({
                "quality": quality(), "customFormats": [], "customFormatScore": 0,
                "size": dl.size as f64, "title": dl.title, "added": s.added, "status": status,
                "trackedDownloadStatus": dl.tracked_status, "trackedDownloadState": dl.tracked_state,
                "statusMessages": messages, "protocol": "torrent", "downloadClient": "qBittorrent",
                "downloadClientHasPostImportCategory": false, "indexer": "FakeIndexer",
                "sizeleft": dl.sizeleft as f64,
            });
            r.extend(fields.as_object().cloned().unwrap_or_default());
            let optional = [
                ("downloadId", dl.download_id.clone()),
                ("errorMessage", dl.error_message.clone()),
                ("outputPath", dl.output_path.clone()),
                ("timeleft", dl.timeleft.clone()),
            ];
            for (k, v) in optional {
                if let Some(v) = v {
                    r.insert(k.into(), json!(v));
                }
            }
            match kind {
                ArrKind::Sonarr if media.is_some() => {
                    r.insert("seasonNumber".into(), json!(1));
                    r.insert("episodeHasFile".into(), json!(false));
                }
                ArrKind::Lidarr => {
                    r.insert("trackFileCount".into(), json!(0));
                    r.insert("trackHasFileCount".into(), json!(0));
                    r.insert("downloadForced".into(), json!(false));
                }
                _ => {}
            }
            out.push(Value::Object(r));
        }
    }
    out
}

/// Brings the queue up to date with the linked qBittorrent, when one is linked.
async fn sync_queue(st: &Shared) {
    let auto_sync = lock(st).auto_sync.clone();
    if let Some(category) = auto_sync
        && let Err(e) = super::qbit::sync(st, &category).await
    {
        eprintln!("[fake arr] qBittorrent sync failed: {e}");
    }
}

/// `GET queue/details`: every record (unknown items and pending releases included) as one
/// unpaged array, as `QueueDetailsController` answers. Filters by the parent media id
/// (`movieId` / `seriesId` / `artistId`) or by `episodeIds` / `albumIds`; embeds the media
/// object when asked (`includeMovie`, `includeSeries`, `includeEpisode`, `includeArtist`,
/// `includeAlbum`; Lidarr embeds the album unless `includeAlbum=false`).
async fn queue_details(State(st): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Reply {
    let p = Params(q);
    sync_queue(&st).await;
    let inner = lock(&st);
    let kind = inner.kind;
    let (parent_key, child_key) = match kind {
        ArrKind::Radarr => ("movieId", "movieId"),
        ArrKind::Sonarr => ("seriesId", "episodeId"),
        ArrKind::Lidarr => ("artistId", "albumId"),
    };
    let parent = p.opt_int(parent_key)?;
    let children: Vec<i64> = match kind {
        ArrKind::Radarr => Vec::new(),
        ArrKind::Sonarr => p.ints("episodeIds")?,
        ArrKind::Lidarr => p.ints("albumIds")?,
    };
    let embeds: Vec<(&str, &str)> = match kind {
        ArrKind::Radarr => vec![("includeMovie", "movie")],
        ArrKind::Sonarr => vec![("includeSeries", "series"), ("includeEpisode", "episode")],
        ArrKind::Lidarr => vec![("includeArtist", "artist"), ("includeAlbum", "album")],
    };
    let mut wanted_embeds = Vec::new();
    for (flag, field) in embeds {
        let default = kind == ArrKind::Lidarr && field == "album";
        if p.flag(flag, default)? {
            wanted_embeds.push(field);
        }
    }
    let mut records = queue_records(&inner, true);
    if let Some(parent) = parent {
        records.retain(|r| r.get(parent_key).and_then(Value::as_i64) == Some(parent));
    } else if !children.is_empty() {
        records.retain(|r| {
            r.get(child_key)
                .and_then(Value::as_i64)
                .is_some_and(|id| children.contains(&id))
        });
    }
    for r in &mut records {
        let Some(obj) = r.as_object_mut() else {
            continue;
        };
        for field in &wanted_embeds {
            let id = match *field {
                "movie" => obj.get("movieId"),
                "series" => obj.get("seriesId"),
                "episode" => obj.get("episodeId"),
                "artist" => obj.get("artistId"),
                _ => obj.get("albumId"),
            }
            .and_then(Value::as_i64);
            if let Some(id) = id {
                let title = format!("{field} {id}");
                obj.insert(
                    (*field).to_string(),
                    json!({"id": id, "title": title, "monitored": true}),
                );
            }
        }
    }
    Ok(Json(Value::Array(records)).into_response())
}

async fn queue(State(st): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Reply {
    let p = Params(q);
    sync_queue(&st).await;
    let inner = lock(&st);
    let unknown = match inner.kind {
        ArrKind::Radarr => "includeUnknownMovieItems",
        ArrKind::Sonarr => "includeUnknownSeriesItems",
        ArrKind::Lidarr => "includeUnknownArtistItems",
    };
    let records = queue_records(&inner, p.flag(unknown, false)?);
    paged(records, &p, "timeleft", "ascending")
}

#[path = "actions.rs"]
mod actions;
use actions::{command_get, command_list, command_post, history_failed, queue_delete};

/// Event names by their integer value, per kind (for the `eventType` filter).
fn event_name(kind: ArrKind, value: i64) -> Option<&'static str> {
    let names: &[&str] = match kind {
        ArrKind::Radarr => &[
            "unknown",
            "grabbed",
            "",
            "downloadFolderImported",
            "downloadFailed",
            "",
            "movieFileDeleted",
            "movieFolderImported",
            "movieFileRenamed",
            "downloadIgnored",
        ],
        ArrKind::Sonarr => &[
            "unknown",
            "grabbed",
            "seriesFolderImported",
            "downloadFolderImported",
            "downloadFailed",
            "episodeFileDeleted",
            "episodeFileRenamed",
            "downloadIgnored",
        ],
        ArrKind::Lidarr => &[
            "unknown",
            "grabbed",
            "artistFolderImported",
            "trackFileImported",
            "downloadFailed",
            "trackFileDeleted",
            "trackFileRenamed",
            "albumImportIncomplete",
            "downloadImported",
            "trackFileRetagged",
            "downloadIgnored",
        ],
    };
    usize::try_from(value)
        .ok()
        .and_then(|i| names.get(i).copied())
        .filter(|n| !n.is_empty())
}

async fn history(State(st): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Reply {
    let p = Params(q);
    let inner = lock(&st);
    let kind = inner.kind;
    let wanted: Vec<String> = p
        .all("eventType")
        .into_iter()
        .map(|v| match v.parse::<i64>() {
            Ok(n) => event_name(kind, n).unwrap_or("?").to_ascii_lowercase(),
            Err(_) => v.to_ascii_lowercase(),
        })
        .collect();
    let download_id = p.get("downloadId");
    let mut events: Vec<&FakeHistory> = inner
        .history
        .iter()
        .filter(|h| download_id.is_none_or(|d| h.download_id.as_deref() == Some(d)))
        .filter(|h| wanted.is_empty() || wanted.contains(&h.event_type.to_ascii_lowercase()))
        .collect();
    if !p
        .get("sortDirection")
        .is_some_and(|d| d.eq_ignore_ascii_case("ascending"))
    {
        events.reverse();
    }
    let records = events
        .into_iter()
        .map(|h| {
            let mut r = Map::new();
            r.insert("id".into(), json!(h.id));
            media_fields(kind, &mut r, h.media_id, 1);
            let data = if h.event_type == "grabbed" {
                json!({"indexer": "FakeIndexer", "downloadClient": "QBittorrent",
                       "downloadClientName": "qBittorrent",
                       "torrentInfoHash": h.download_id.clone().unwrap_or_default()})
            } else {
                json!({})
            };
            let fields = json!({"sourceTitle": h.source_title, "quality": quality(),
                                "date": h.date, "eventType": h.event_type, "data": data});
            r.extend(fields.as_object().cloned().unwrap_or_default());
            if let Some(d) = &h.download_id {
                r.insert("downloadId".into(), json!(d));
            }
            Value::Object(r)
        })
        .collect();
    paged(records, &p, "date", "descending")
}

async fn blocklist(State(st): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Reply {
    let p = Params(q);
    let inner = lock(&st);
    let records = inner
        .blocklist
        .iter()
        .rev()
        .map(|b| {
            let mut r = Map::new();
            r.insert("id".into(), json!(b.id));
            match inner.kind {
                ArrKind::Radarr => {
                    if let Some(m) = b.media_ids.first() {
                        r.insert("movieId".into(), json!(m));
                    }
                }
                ArrKind::Sonarr => {
                    r.insert("seriesId".into(), json!(1));
                    r.insert("episodeIds".into(), json!(b.media_ids));
                }
                ArrKind::Lidarr => {
                    r.insert("artistId".into(), json!(1));
                    r.insert("albumIds".into(), json!(b.media_ids));
                }
            }
            let fields = json!({"sourceTitle": b.source_title, "quality": quality(),
                "customFormats": [], "date": b.date, "protocol": "torrent",
                "indexer": "FakeIndexer", "message": "Manually marked as failed"});
            r.extend(fields.as_object().cloned().unwrap_or_default());
            Value::Object(r)
        })
        .collect();
    paged(records, &p, "date", "descending")
}

/// A wanted list: records whose `monitored` equals the `monitored` parameter (default
/// true), paged; 404 when the endpoints are switched off (Radarr before 5.6).
fn wanted(st: &Shared, list: Wanted, q: Vec<(String, String)>) -> Reply {
    let p = Params(q);
    let inner = lock(st);
    if !inner.wanted_endpoints {
        return Err(error(404, "NotFound"));
    }
    let monitored = p.flag("monitored", true)?;
    let records = match list {
        Wanted::Missing => &inner.wanted_missing,
        Wanted::Cutoff => &inner.wanted_cutoff,
    };
    let mut records: Vec<Value> = records
        .iter()
        .filter(|r| r.get("monitored").and_then(Value::as_bool) == Some(monitored))
        .cloned()
        .collect();
    // The sort keys on the last search time (Radarr's and Sonarr's), as their database sorts:
    // never searched (null) first when ascending. Others keep the stored order.
    let by_last_search = match inner.kind {
        ArrKind::Radarr => "movies.lastSearchTime",
        ArrKind::Sonarr => "episodes.lastSearchTime",
        ArrKind::Lidarr => "albums.lastSearchTime",
    };
    if p.get("sortKey")
        .is_some_and(|k| k.eq_ignore_ascii_case(by_last_search))
    {
        let stamp = |r: &Value| {
            r.get("lastSearchTime")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        records.sort_by_key(stamp);
        if p.get("sortDirection")
            .is_some_and(|d| d.eq_ignore_ascii_case("descending"))
        {
            records.reverse();
        }
    }
    paged(records, &p, "releaseDate", "descending")
}

async fn wanted_missing(State(st): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Reply {
    wanted(&st, Wanted::Missing, q)
}

async fn wanted_cutoff(State(st): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Reply {
    wanted(&st, Wanted::Cutoff, q)
}

/// `GET movie` (Radarr): every movie, unpaged.
async fn movie_list(State(st): State<Shared>) -> Reply {
    let inner = lock(&st);
    if inner.kind != ArrKind::Radarr {
        return Err(error(404, "NotFound"));
    }
    Ok(Json(Value::Array(inner.movies.clone())).into_response())
}
