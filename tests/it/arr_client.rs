//! The Arr client against the fake Radarr / Sonarr / Lidarr.

use crate::helpers;

use std::time::Duration;

use helpers::fake_arr::{FakeArr, FakeArrConfig, FakeDownload};
use sweeparr::arr::{ArrClient, ArrError, RemoveOutcome};
use sweeparr::config::{
    ArrConfig, Health, ImportMode, Secret, SecretSource, SeedGoal, SeedMode, Seeding,
};
use sweeparr::model::{ArrKind, Grab, TrackedState};

const KEY: &str = "0123456789abcdef0123456789abcdef";
const KINDS: [ArrKind; 3] = [ArrKind::Radarr, ArrKind::Sonarr, ArrKind::Lidarr];

fn fake(kind: ArrKind) -> FakeArr {
    FakeArr::start(FakeArrConfig {
        kind,
        api_key: KEY.to_string(),
        qbit: None,
    })
}

fn config(kind: ArrKind, url: &str, key: &str) -> ArrConfig {
    ArrConfig {
        name: "media".into(),
        kind,
        url: url.parse().expect("test URL"),
        api_key_source: SecretSource::Literal(key.into()),
        api_key: Secret::new(key),
        category: kind.as_str().into(),
        import_mode: ImportMode::Auto,
        health: Health {
            stalled_after: None,
            max_eta: None,
            unavailable_after: None,
            remove_unregistered: true,
            tracker_recheck: std::time::Duration::from_secs(3600),
            blocked_extensions: Vec::new(),
            exclude_files: Default::default(),
            keep_only: Vec::new(),
            failed_import_after: None,
            failed_import_ignore: Vec::new(),
            min_speed: None,
            slow_after: std::time::Duration::from_secs(3600),
            private: sweeparr::config::PrivatePolicy::Keep,
            research: true,
        },
        seeding: Seeding {
            goal: SeedGoal {
                ratio: None,
                time: None,
                mode: SeedMode::Any,
                delete_files: true,
                min_time: Duration::ZERO,
            },
            trackers: Vec::new(),
        },
        tls_insecure: false,
        search: None,
    }
}

fn client(fake: &FakeArr) -> ArrClient {
    let cfg = config(fake.kind(), &fake.url(), fake.api_key());
    ArrClient::new(&cfg, Duration::from_secs(5)).expect("client")
}

/// A 40-hex-digit lower-case hash derived from `n`.
fn hash(n: u64) -> String {
    format!("{n:040x}")
}

#[tokio::test]
async fn status_reports_app_name_and_version_of_each_kind() {
    for (kind, app, version, path) in [
        (
            ArrKind::Radarr,
            "Radarr",
            "5.14.0.9383",
            "/api/v3/system/status",
        ),
        (
            ArrKind::Sonarr,
            "Sonarr",
            "4.0.10.2544",
            "/api/v3/system/status",
        ),
        (
            ArrKind::Lidarr,
            "Lidarr",
            "2.5.3.4341",
            "/api/v1/system/status",
        ),
    ] {
        let fake = fake(kind);
        let status = client(&fake).status().await.expect("status");
        assert_eq!(status.app_name.as_deref(), Some(app));
        assert_eq!(status.version, version);
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].path, path);
        assert!(reqs[0].api_key_ok);
        assert!(reqs[0].query.is_empty(), "the key travels in a header only");
    }
}

#[tokio::test]
async fn url_base_of_the_configured_url_is_kept() {
    let fake = fake(ArrKind::Radarr);
    let cfg = config(ArrKind::Radarr, &format!("{}/radarr/", fake.url()), KEY);
    let client = ArrClient::new(&cfg, Duration::from_secs(5)).unwrap();
    let err = client.status().await.unwrap_err();
    assert!(matches!(err, ArrError::Http { status: 404, .. }), "{err:?}");
    assert_eq!(fake.requests()[0].path, "/radarr/api/v3/system/status");
}

#[tokio::test]
async fn queue_is_one_unpaged_request_however_long_it_is() {
    let fake = fake(ArrKind::Radarr);
    for n in 0..1203 {
        fake.add_download(FakeDownload {
            media_ids: vec![n as i64 + 1],
            ..FakeDownload::new(&hash(n), &format!("Movie.{n}"))
        });
    }
    let client = client(&fake);
    let queue = client.queue().await.expect("queue");
    assert_eq!(queue.len(), 1203);
    assert!(queue.contains_key(&hash(0).to_uppercase()));
    assert!(queue.contains_key(&hash(1202).to_uppercase()));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(client.requests(), 1);
    assert_eq!(reqs[0].path, "/api/v3/queue/details");
    assert!(reqs[0].query.is_empty(), "{:?}", reqs[0].query);
}

#[tokio::test]
async fn queue_details_holds_what_the_paged_queue_spreads_over_pages() {
    let fake = fake(ArrKind::Sonarr);
    for n in 0..25 {
        fake.add_download(FakeDownload::new(&hash(n), "Show.S01E01"));
    }
    // The fake, like the real Arr, pages the paged queue by 10 when pageSize is left out;
    // queue/details answers a plain array of every record.
    let raw = |path: &str| {
        let url = format!("{}{path}", fake.url());
        async move {
            testkit::http()
                .get(url)
                .header("X-Api-Key", KEY)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let paged = raw("/api/v3/queue").await;
    assert_eq!(paged["records"].as_array().unwrap().len(), 10);
    assert_eq!(paged["totalRecords"], 25);
    let details = raw("/api/v3/queue/details").await;
    assert_eq!(details.as_array().unwrap().len(), 25);

    let queue = client(&fake).queue().await.expect("queue");
    assert_eq!(queue.len(), 25);
}

#[tokio::test]
async fn a_queue_cut_short_is_an_error_not_a_smaller_queue() {
    use axum::{Router, routing::get};
    // Half a reply: the Arr (or a proxy) closed the connection inside the array.
    let app = Router::new().route(
        "/api/v3/queue/details",
        get(|| async { r#"[{"id":1,"downloadId":"AB","title":"x"},{"id":2,"downl"# }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let cfg = config(ArrKind::Radarr, &url, KEY);
    let err = ArrClient::new(&cfg, Duration::from_secs(5))
        .unwrap()
        .queue()
        .await
        .unwrap_err();
    server.abort();
    match err {
        ArrError::Malformed {
            endpoint, reason, ..
        } => {
            assert_eq!(endpoint, "GET queue/details");
            assert!(reason.contains("truncated"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn queue_skips_pending_items_and_includes_unknown_ones() {
    let fake = fake(ArrKind::Radarr);
    fake.add_download(FakeDownload {
        download_id: None,
        ..FakeDownload::new("", "Pending.Release")
    });
    fake.add_download(FakeDownload {
        media_ids: Vec::new(),
        ..FakeDownload::new(&hash(7), "Unknown.Release")
    });
    let queue = client(&fake).queue().await.expect("queue");
    assert_eq!(
        queue.keys().collect::<Vec<_>>(),
        vec![&hash(7).to_uppercase()]
    );
    assert_eq!(queue[&hash(7).to_uppercase()].title, "Unknown.Release");
}

#[tokio::test]
async fn sonarr_episode_records_become_one_download_with_every_record_id() {
    let fake = fake(ArrKind::Sonarr);
    let ids = fake.add_download(FakeDownload {
        media_ids: vec![101, 102, 103],
        status: "completed".into(),
        tracked_state: "importBlocked".into(),
        tracked_status: "warning".into(),
        status_messages: vec![(
            "Show.S01E02.mkv".into(),
            vec!["Episode was not found in the grabbed release".into()],
        )],
        ..FakeDownload::new(&hash(3), "Show.S01.1080p.WEB-GRP")
    });
    assert_eq!(ids.len(), 3);
    assert_eq!(fake.queue_record_count(), 3);
    let queue = client(&fake).queue().await.expect("queue");
    assert_eq!(queue.len(), 1);
    let d = &queue[&hash(3).to_uppercase()];
    assert_eq!(d.record_ids, ids);
    assert_eq!(d.status, "completed");
    assert_eq!(d.tracked_state, TrackedState::ImportBlocked);
    assert_eq!(d.tracked_status, "warning");
    assert_eq!(
        d.messages,
        vec![
            "Show.S01E02.mkv",
            "Episode was not found in the grabbed release"
        ]
    );
    assert!(d.import_problem());
}

#[tokio::test]
async fn lidarr_pascal_case_status_is_lower_cased() {
    let fake = fake(ArrKind::Lidarr);
    fake.add_download(FakeDownload {
        media_ids: vec![30, 31],
        status: "downloadClientUnavailable".into(),
        tracked_state: "importFailed".into(),
        tracked_status: "error".into(),
        error_message: Some("Import failed".into()),
        ..FakeDownload::new(&hash(9), "Artist - Album FLAC")
    });
    let raw: serde_json::Value = testkit::http()
        .get(format!("{}/api/v1/queue/details", fake.url()))
        .header("X-Api-Key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw[0]["status"], "DownloadClientUnavailable");
    assert_eq!(
        raw[0]["album"]["id"], 30,
        "Lidarr embeds the album by default"
    );

    let queue = client(&fake).queue().await.expect("queue");
    let d = &queue[&hash(9).to_uppercase()];
    assert_eq!(d.record_ids.len(), 2);
    assert_eq!(d.status, "downloadclientunavailable");
    assert_eq!(d.tracked_state, TrackedState::ImportFailed);
    assert_eq!(d.messages, vec!["Import failed"]);
    let reqs = fake.requests();
    assert_eq!(reqs[1].path, "/api/v1/queue/details");
    assert_eq!(
        reqs[1].param("includeAlbum"),
        Some("false"),
        "no embedded albums"
    );
}

#[tokio::test]
async fn remove_sends_one_blocklisting_delete_and_the_whole_download_leaves_the_queue() {
    let fake = fake(ArrKind::Sonarr);
    let ids = fake.add_download(FakeDownload {
        media_ids: vec![201, 202, 203],
        ..FakeDownload::new(&hash(4), "Show.S02.1080p")
    });
    let client = client(&fake);
    fake.clear_requests();

    let outcome = client
        .remove_from_queue(ids[0], false, true)
        .await
        .expect("remove");
    assert_eq!(outcome, RemoveOutcome::Removed);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "DELETE");
    assert_eq!(reqs[0].path, format!("/api/v3/queue/{}", ids[0]));
    assert_eq!(reqs[0].param("removeFromClient"), Some("true"));
    assert_eq!(reqs[0].param("blocklist"), Some("true"));
    assert_eq!(reqs[0].param("skipRedownload"), Some("false"));
    assert_eq!(fake.queue_len(), 0);
    assert_eq!(fake.blocklist().len(), 1);
    assert_eq!(fake.removed_from_client(), vec![hash(4).to_uppercase()]);
    assert_eq!(
        fake.searches(),
        vec![201, 202, 203],
        "the Arr searches by itself"
    );

    let again = client
        .remove_from_queue(ids[1], false, true)
        .await
        .expect("second remove");
    assert_eq!(again, RemoveOutcome::AlreadyGone);
}

#[tokio::test]
async fn remove_keeping_the_torrent_in_the_client_still_blocklists() {
    let fake = fake(ArrKind::Radarr);
    let ids = fake.add_download(FakeDownload::new(&hash(6), "Private.Movie.2021"));
    fake.clear_requests();
    let outcome = client(&fake)
        .remove_from_queue(ids[0], false, false)
        .await
        .unwrap();
    assert_eq!(outcome, RemoveOutcome::Removed);
    assert_eq!(fake.requests()[0].param("removeFromClient"), Some("false"));
    assert_eq!(fake.blocklist().len(), 1);
    assert!(fake.removed_from_client().is_empty(), "left in the client");
    assert!(!fake.in_queue(&hash(6)));
}

#[tokio::test]
async fn health_lists_only_download_client_problems() {
    let fake = fake(ArrKind::Lidarr);
    let c = client(&fake);
    assert!(c.download_client_problems().await.unwrap().is_empty());
    fake.set_health(vec![
        serde_json::json!({"id": 1, "source": "IndexerRssCheck", "type": "warning", "message": "rss"}),
        serde_json::json!({"id": 2, "source": "DownloadClientCheck", "type": "error", "message": "Unable to communicate with qBittorrent"}),
    ]);
    assert_eq!(
        c.download_client_problems().await.unwrap(),
        vec!["DownloadClientCheck: Unable to communicate with qBittorrent".to_string()]
    );
    assert_eq!(fake.requests().last().unwrap().path, "/api/v1/health");
}

#[tokio::test]
async fn remove_with_skip_redownload_searches_nothing() {
    let fake = fake(ArrKind::Radarr);
    let ids = fake.add_download(FakeDownload::new(&hash(5), "Movie.2020"));
    let outcome = client(&fake)
        .remove_from_queue(ids[0], true, true)
        .await
        .unwrap();
    assert_eq!(outcome, RemoveOutcome::Removed);
    assert_eq!(fake.requests()[0].param("skipRedownload"), Some("true"));
    assert!(fake.searches().is_empty());
    assert!(!fake.in_queue(&hash(5)));
    let failed = fake
        .history()
        .into_iter()
        .filter(|h| h.event_type == "downloadFailed");
    assert_eq!(failed.count(), 1);
}

#[tokio::test]
async fn import_scan_sends_the_kinds_command_and_returns_its_id() {
    for kind in KINDS {
        let fake = fake(kind);
        let path = "/downloads/Release.Name";
        fake.add_download(FakeDownload {
            output_path: Some(path.into()),
            status: "completed".into(),
            tracked_state: "importPending".into(),
            ..FakeDownload::new(&hash(6), "Release.Name")
        });
        let client = client(&fake);
        assert!(!client.imported(&hash(6)).await.unwrap());

        let id = client
            .import_scan(path, &hash(6), ImportMode::Copy)
            .await
            .expect("command");
        let commands = fake.commands();
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].id, id);
        assert_eq!(commands[0].name, kind.scan_command());
        assert_eq!(
            commands[0].body,
            serde_json::json!({"name": kind.scan_command(), "path": path,
                               "downloadClientId": hash(6).to_uppercase(), "importMode": "copy"})
        );
        assert_eq!(commands[0].result, "successful", "{kind:?}");
        assert!(!fake.in_queue(&hash(6)));
        assert!(client.imported(&hash(6)).await.unwrap(), "{kind:?}");
    }
}

#[tokio::test]
async fn imported_needs_an_import_event_for_that_exact_download() {
    let fake = fake(ArrKind::Radarr);
    fake.add_download(FakeDownload::new(&hash(8), "Movie.2021"));
    let client = client(&fake);
    assert!(
        !client.imported(&hash(8)).await.unwrap(),
        "grabbed is no import"
    );

    fake.add_history(&hash(80), "downloadFolderImported");
    assert!(
        !client.imported(&hash(8)).await.unwrap(),
        "another download's import"
    );

    fake.add_history(&hash(8), "downloadFolderImported");
    assert!(client.imported(&hash(8)).await.unwrap());
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.path, "/api/v3/history");
    assert_eq!(
        last.param("downloadId"),
        Some(hash(8).to_uppercase().as_str())
    );
}

#[tokio::test]
async fn lidarr_counts_as_imported_only_on_download_imported_not_per_track() {
    let fake = fake(ArrKind::Lidarr);
    let client = client(&fake);
    fake.add_history(&hash(10), "downloadFolderImported");
    assert!(!client.imported(&hash(10)).await.unwrap());
    // Lidarr writes one per track, also when the album is imported only in part.
    fake.add_history(&hash(10), "trackFileImported");
    fake.add_history(&hash(10), "albumImportIncomplete");
    assert!(!client.imported(&hash(10)).await.unwrap());
    fake.add_history(&hash(10), "downloadImported");
    assert!(client.imported(&hash(10)).await.unwrap());
}

#[tokio::test]
async fn wrong_key_is_unauthorized_and_never_shown() {
    for kind in KINDS {
        let fake = fake(kind);
        let secret = "wrong-key-5f1e2d";
        let cfg = config(kind, &fake.url(), secret);
        let client = ArrClient::new(&cfg, Duration::from_secs(5)).unwrap();
        let err = client.queue().await.unwrap_err();
        assert!(matches!(err, ArrError::Unauthorized { .. }), "{err:?}");
        assert!(!err.to_string().contains(secret));
        assert!(!format!("{err:?}").contains(secret));
        assert!(!format!("{client:?}").contains(secret));
        assert!(!fake.requests()[0].api_key_ok);
        assert_eq!(fake.queue_len(), 0);
    }
}

#[tokio::test]
async fn server_error_becomes_an_http_error_naming_the_endpoint() {
    let fake = fake(ArrKind::Sonarr);
    fake.set_failure(Some(500));
    let err = client(&fake).queue().await.unwrap_err();
    match &err {
        ArrError::Http {
            status, endpoint, ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(endpoint, "GET queue/details");
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert!(err.is_transient());
    assert!(err.to_string().contains("media"), "names the Arr: {err}");
}

#[tokio::test]
async fn unknown_command_is_an_http_500() {
    let fake = fake(ArrKind::Radarr);
    let err = client(&fake)
        .command(&serde_json::json!({"name": "NoSuchThing"}))
        .await
        .unwrap_err();
    assert!(matches!(err, ArrError::Http { status: 500, .. }), "{err:?}");
    assert!(fake.commands().is_empty());
}

#[tokio::test]
async fn closed_port_and_slow_answer_are_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = config(ArrKind::Radarr, &format!("http://127.0.0.1:{port}"), KEY);
    let err = ArrClient::new(&cfg, Duration::from_secs(2))
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert!(matches!(err, ArrError::Unreachable { .. }), "{err:?}");

    let fake = fake(ArrKind::Radarr);
    fake.set_delay(Some(Duration::from_secs(3)));
    let cfg = config(ArrKind::Radarr, &fake.url(), KEY);
    let err = ArrClient::new(&cfg, Duration::from_millis(300))
        .unwrap()
        .status()
        .await
        .unwrap_err();
    match err {
        ArrError::Unreachable { reason, .. } => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

// The fake itself: behaviours other tests rely on.

async fn raw(
    fake: &FakeArr,
    method: reqwest::Method,
    path_query: &str,
) -> (u16, serde_json::Value) {
    let resp = testkit::http()
        .request(method, format!("{}{path_query}", fake.url()))
        .header("X-Api-Key", fake.api_key())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn fake_checks_the_key_everywhere_under_the_api_but_not_on_ping() {
    let fake = fake(ArrKind::Lidarr);
    let http = testkit::http();
    let get = |path: &str| http.get(format!("{}{path}", fake.url())).send();
    assert_eq!(get("/ping").await.unwrap().status(), 200);
    assert_eq!(get("/api/v1/queue").await.unwrap().status(), 401);
    assert_eq!(get("/api/v1/no/such/thing").await.unwrap().status(), 401);
    let by_query = get(&format!("/api/v1/system/status?apikey={KEY}"))
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    let flags: Vec<bool> = fake.requests().iter().map(|r| r.api_key_ok).collect();
    assert_eq!(flags, vec![false, false, false, true]);
}

#[tokio::test]
async fn fake_delete_defaults_remove_from_client_without_blocklisting() {
    let fake = fake(ArrKind::Radarr);
    let ids = fake.add_download(FakeDownload::new(&hash(11), "Movie"));
    let (status, _) = raw(
        &fake,
        reqwest::Method::DELETE,
        &format!("/api/v3/queue/{}", ids[0]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fake.removed_from_client(), vec![hash(11).to_uppercase()]);
    assert!(fake.blocklist().is_empty());
    assert!(fake.searches().is_empty());
    let (status, _) = raw(
        &fake,
        reqwest::Method::DELETE,
        &format!("/api/v3/queue/{}", ids[0]),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn fake_scan_matches_the_download_id_case_sensitively_and_needs_a_path() {
    let fake = fake(ArrKind::Sonarr);
    fake.add_download(FakeDownload::new(&hash(12), "Show.S01E01"));
    let client = client(&fake);
    let lower = serde_json::json!({"name": "DownloadedEpisodesScan", "path": "/d/x",
                                   "downloadClientId": hash(12)});
    client.command(&lower).await.unwrap();
    assert!(fake.in_queue(&hash(12)), "lower-case id imports nothing");
    client
        .command(&serde_json::json!({"name": "downloadedepisodesscan"}))
        .await
        .unwrap();
    let commands = fake.commands();
    assert_eq!(commands[0].result, "unsuccessful");
    assert_eq!(commands[1].name, "DownloadedEpisodesScan");
    assert_eq!(commands[1].status, "failed");
    let (_, listed) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/v3/command/{}", commands[1].id),
    )
    .await;
    assert_eq!(listed["message"], "A path must be provided");
}

#[tokio::test]
async fn fake_history_filters_by_event_type_number_and_download_id() {
    let fake = fake(ArrKind::Lidarr);
    fake.add_download(FakeDownload::new(&hash(13), "Album"));
    fake.add_history(&hash(13), "downloadImported");
    let upper = hash(13).to_uppercase();
    let (_, all) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/v1/history?downloadId={upper}"),
    )
    .await;
    assert_eq!(all["totalRecords"], 2);
    assert_eq!(
        all["records"][0]["eventType"], "downloadImported",
        "newest first"
    );
    let (_, imports) = raw(&fake, reqwest::Method::GET, "/api/v1/history?eventType=8").await;
    assert_eq!(imports["totalRecords"], 1);
    let (_, none) = raw(
        &fake,
        reqwest::Method::GET,
        &format!("/api/v1/history?downloadId={}", hash(13)),
    )
    .await;
    assert_eq!(none["totalRecords"], 0, "downloadId is an exact match");
}

#[tokio::test]
async fn a_grab_is_found_marked_failed_once_and_then_seen_failed_in_every_kind() {
    for kind in KINDS {
        let fake = fake(kind);
        let client = client(&fake);
        assert_eq!(
            client.grab_record(&hash(9)).await.unwrap(),
            Grab::Missing,
            "{kind:?}"
        );
        fake.add_download(FakeDownload {
            media_ids: vec![301],
            ..FakeDownload::new(&hash(9), "Some.Release")
        });
        let Grab::Grabbed(id) = client.grab_record(&hash(9)).await.unwrap() else {
            panic!("{kind:?}: the grab of an added download");
        };
        fake.clear_requests();
        assert_eq!(
            client.mark_failed(id).await.unwrap(),
            RemoveOutcome::Removed
        );
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].method.as_str(), reqs[0].path.as_str()),
            (
                "POST",
                format!("{}/history/failed/{id}", kind.api_base()).as_str()
            )
        );
        assert_eq!(fake.blocklist().len(), 1, "{kind:?}");
        assert_eq!(fake.searches(), vec![301]);
        // Its newest event is now the failure: no second marking.
        assert_eq!(client.grab_record(&hash(9)).await.unwrap(), Grab::Failed);
        assert_eq!(
            client.mark_failed(999_999).await.unwrap(),
            RemoveOutcome::AlreadyGone
        );
    }
}
