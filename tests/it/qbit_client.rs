//! sweeparr's qBittorrent client against a real qbittorrent-nox (the build
//! `SWEEPARR_QBT_BUILD` names: 4.5, 5.1 or Debian testing's). Side effects are checked
//! through the harness's own session, never through the client under test.

use crate::helpers;

use std::time::{Duration, Instant};

use helpers::qbit::{QbitServer, free_port, make_torrent};
use helpers::tracker::{FakeTracker, UNREGISTERED};
use sweeparr::config::{QbitConfig, Secret, SecretSource};
use sweeparr::model::{ApiGeneration, Connection, Status};
use sweeparr::qbit::{QbitClient, QbitError, ServerInfo};

const WAIT: Duration = Duration::from_secs(20);
const TIMEOUT: Duration = Duration::from_secs(10);

fn client(qbit: &QbitServer) -> QbitClient {
    QbitClient::new(&qbit.config("main"), TIMEOUT).expect("client")
}

/// A complete single-file torrent (data kept in the save dir), added and seeding.
async fn add_complete(qbit: &QbitServer, tracker: &str, name: &str, category: &str) -> String {
    let (file, hash) = make_torrent(&qbit.save_dir(), name, &[("f", 50_000)], tracker, false);
    qbit.add_torrent_file(&file, category, &[], false).await;
    qbit.wait_for_state(&hash, &["stalledUP", "uploading"], WAIT)
        .await;
    hash
}

/// A torrent whose data is absent, added and stalled.
async fn add_stalled(qbit: &QbitServer, tracker: &str, name: &str, tags: &[&str]) -> String {
    let scratch = qbit.scratch_dir();
    let (file, hash) = make_torrent(&scratch, name, &[("f", 64_000)], tracker, false);
    std::fs::remove_file(scratch.join(name)).unwrap();
    qbit.add_torrent_file(&file, "sonarr", tags, false).await;
    qbit.wait_for_state(&hash, &["stalledDL"], WAIT).await;
    hash
}

#[tokio::test]
async fn connect_reports_the_version_and_generation_of_the_build() {
    let qbit = QbitServer::start().await;
    let build = qbit.build();
    let c = client(&qbit);
    let info = c.connect().await.expect("connect");
    assert_eq!(info.version, build.version, "{}", build.name);
    let v5 = if build.stops_with_stop() {
        ApiGeneration::V5
    } else {
        ApiGeneration::V4
    };
    assert_eq!(info.generation, v5);
    assert_eq!(c.requests(), 3, "login, app/version, app/webapiVersion");
    assert!(c.version_read());
}

#[tokio::test]
async fn list_is_one_request_after_the_login_with_torrents_categories_and_server_state() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let url = tracker.announce_url();
    let complete = add_complete(&qbit, &url, "movie.mkv", "radarr").await;
    let stalled = add_stalled(&qbit, &url, "episode.mkv", &["a", "b c"]).await;

    let c = client(&qbit);
    let data = c.list().await.unwrap();
    assert_eq!(c.requests(), 2, "login + sync/maindata, no version read");
    assert!(!c.version_read());
    let before = c.requests();
    c.list().await.unwrap();
    assert_eq!(c.requests() - before, 1, "the session is reused");
    let torrents = data.torrents;
    assert_eq!(torrents.len(), 2);
    assert_eq!(data.categories, vec!["radarr", "sonarr"]);
    assert!(
        matches!(
            data.connection,
            Connection::Connected | Connection::Firewalled
        ),
        "{:?}",
        data.connection
    );
    // qBittorrent measures the free space in the background after it starts: the first
    // lists may say 0 (or nothing) until it has.
    let measured = Instant::now() + Duration::from_secs(15);
    let mut free = data.free_space;
    while free.is_none_or(|f| f == 0) && Instant::now() < measured {
        tokio::time::sleep(Duration::from_millis(250)).await;
        free = c.list().await.unwrap().free_space;
    }
    assert!(free.is_some_and(|f| f > 0), "free_space_on_disk: {free:?}");
    // The torrent objects tell which release line this is.
    let info = c.read_version().await.unwrap();
    assert!(
        !data.shape.contradicts(&info.api_version),
        "{:?}",
        data.shape
    );
    // Trackers are flagged in the list from 5.2 only.
    let flagged = torrents.iter().all(|t| t.tracker_error.is_some());
    assert_eq!(flagged, qbit.build().at_least(5, 2));

    let t = torrents.iter().find(|t| t.hash == complete).unwrap();
    assert_eq!(
        (t.name.as_str(), t.category.as_str()),
        ("movie.mkv", "radarr")
    );
    assert_eq!((t.size, t.amount_left), (50_000, 0));
    assert!(t.is_complete());
    assert!(matches!(t.status, Status::StalledUp | Status::Uploading));
    assert!(t.completion_on.is_some());
    assert_eq!(
        t.content_path,
        qbit.save_dir().join("movie.mkv").display().to_string()
    );

    let t = torrents.iter().find(|t| t.hash == stalled).unwrap();
    assert_eq!(t.category, "sonarr");
    assert_eq!(t.tags, vec!["a", "b c"]);
    assert_eq!(t.amount_left, 64_000);
    assert_eq!(t.status, Status::StalledDl);
    assert_eq!((t.eta, t.completion_on), (None, None));
}

#[tokio::test]
async fn rejected_password_is_not_retried() {
    let qbit = QbitServer::start().await;
    let wrong = QbitClient::new(
        &qbit.config_with_password("main", "not-the-password"),
        TIMEOUT,
    )
    .unwrap();

    let err = wrong.connect().await.unwrap_err();
    assert_eq!(
        err,
        QbitError::AuthRejected {
            instance: "main".into()
        }
    );
    // 5.2+ answers 401: one request without credentials tells it from the Host check.
    let per_pass = if qbit.build().at_least(5, 2) { 2 } else { 1 };
    assert_eq!(wrong.requests(), per_pass, "one login attempt");
    assert!(!err.to_string().contains("not-the-password"));

    // More calls than qBittorrent's ban threshold (5): none of them sends anything.
    let attempts = wrong.requests();
    for _ in 0..6 {
        assert!(matches!(
            wrong.connect().await,
            Err(QbitError::AuthRejected { .. })
        ));
        assert!(matches!(
            wrong.list().await,
            Err(QbitError::AuthRejected { .. })
        ));
        assert!(matches!(
            wrong.stop(&["ab".into()]).await,
            Err(QbitError::AuthRejected { .. })
        ));
    }
    assert_eq!(wrong.requests(), attempts, "no further login");

    // The next pass may try once more (a warm Lambda container keeps its clients).
    wrong.begin_pass();
    assert!(matches!(
        wrong.connect().await,
        Err(QbitError::AuthRejected { .. })
    ));
    assert!(matches!(
        wrong.list().await,
        Err(QbitError::AuthRejected { .. })
    ));
    assert_eq!(wrong.requests(), 2 * per_pass, "one login per pass");

    // The address is not banned: a client with the right password still gets in.
    client(&qbit)
        .connect()
        .await
        .expect("correct password still accepted");
}

#[tokio::test]
async fn expired_session_is_renewed_once_and_the_call_succeeds() {
    let qbit = QbitServer::start().await;
    let c = client(&qbit);
    c.connect().await.unwrap();
    qbit.set_preferences(serde_json::json!({ "web_ui_session_timeout": 1 }))
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let before = c.requests();
    c.list().await.expect("call after session expiry");
    assert_eq!(c.requests() - before, 3, "403, login, repeated request");
    let before = c.requests();
    c.list().await.unwrap();
    assert_eq!(c.requests() - before, 1, "fresh session is reused");
}

#[tokio::test]
async fn calls_before_connect_log_in_on_demand() {
    let qbit = QbitServer::start().await;
    let c = client(&qbit);
    assert!(
        c.files(&"ab".repeat(20)).await.is_err(),
        "unknown hash: 404"
    );
    assert_eq!(c.requests(), 3, "403, login, repeated request");
}

#[tokio::test]
async fn a_remembered_version_is_not_read_again_until_a_versioned_call_fails() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let hash = add_stalled(&qbit, &tracker.announce_url(), "v.mkv", &[]).await;
    let c = client(&qbit);
    // Remember the other generation than the build's: as after an upgrade or downgrade.
    let wrong = if qbit.build().stops_with_stop() {
        ServerInfo::new("v4.5.2", "2.8.19")
    } else {
        ServerInfo::new("v5.1.0", "2.11.4")
    };
    c.remember(wrong.unwrap());
    let data = c.list().await.unwrap();
    assert_eq!(
        c.requests(),
        2,
        "login + list: the version is taken as remembered"
    );
    // The list shows 5.x fields or their absence: it contradicts the remembered version.
    let remembered = c.server_info().unwrap();
    assert!(data.shape.contradicts(&remembered.api_version));
    // A stop to the wrong generation's endpoint (404) reads the version and tries again.
    c.stop(std::slice::from_ref(&hash)).await.unwrap();
    qbit.wait_for_state(&hash, &[qbit.stopped_state(false)], WAIT)
        .await;
    assert!(c.version_read());
    assert_eq!(c.server_info().unwrap().version, qbit.build().version);
}

#[tokio::test]
async fn an_api_key_needs_no_login_and_a_wrong_one_is_not_retried() {
    let qbit = QbitServer::start().await;
    let Some(key) = qbit.enable_api_key().await else {
        assert!(
            !qbit.build().at_least(5, 3),
            "{} should support API keys",
            qbit.build().version
        );
        // Before API keys a key is refused (403) and named as the cause.
        let c = QbitClient::new(&qbit.config_with_api_key("main", "k"), TIMEOUT).unwrap();
        let err = c.list().await.unwrap_err();
        assert!(matches!(err, QbitError::ApiKeyRejected { .. }), "{err}");
        assert!(err.to_string().contains("5.2"), "{err}");
        return;
    };
    let c = QbitClient::new(&qbit.config_with_api_key("main", &key), TIMEOUT).unwrap();
    let data = c.list().await.unwrap();
    assert!(data.torrents.is_empty());
    assert_eq!(c.requests(), 1, "no login, one list request");
    c.create_category("radarr").await.unwrap();
    assert_eq!(qbit.category_names().await, vec!["radarr"]);

    let bad = QbitClient::new(&qbit.config_with_api_key("main", "not-the-key"), TIMEOUT).unwrap();
    let err = bad.list().await.unwrap_err();
    assert!(matches!(err, QbitError::ApiKeyRejected { .. }), "{err}");
    assert!(!err.to_string().contains("not-the-key"));
    assert!(bad.list().await.is_err());
    assert_eq!(bad.requests(), 1, "a refused key is not sent again");
}

#[tokio::test]
async fn trackers_of_an_unregistered_torrent_show_failing_status_with_message() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let (file, hash) = make_torrent(
        &qbit.save_dir(),
        "gone.mkv",
        &[("f", 20_000)],
        &tracker.announce_url(),
        true,
    );
    tracker.set_unregistered(&hash);
    qbit.add_torrent_file(&file, "radarr", &[], false).await;

    let c = client(&qbit);
    c.connect().await.unwrap();
    let deadline = Instant::now() + WAIT;
    // On a loaded machine the first announce can stay "updating" for long: ask again now
    // and then (what the tracker says does not change).
    let mut ask_again = Instant::now() + Duration::from_secs(5);
    let trackers = loop {
        let trackers = c.trackers(&hash.to_uppercase()).await.unwrap();
        if trackers.iter().any(|t| t.is_failing()) || Instant::now() > deadline {
            break trackers;
        }
        if Instant::now() > ask_again {
            qbit.post_ok("torrents/reannounce", &[("hashes", &hash)])
                .await;
            ask_again = Instant::now() + Duration::from_secs(5);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(trackers.len(), 1, "pseudo-trackers dropped: {trackers:?}");
    assert_eq!(trackers[0].url, tracker.announce_url());
    assert_eq!(trackers[0].tier, 0);
    assert!(trackers[0].is_failing(), "{trackers:?}");
    assert_eq!(trackers[0].msg, UNREGISTERED);
}

#[tokio::test]
async fn files_of_a_multi_file_torrent_are_listed() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let (file, hash) = make_torrent(
        &qbit.save_dir(),
        "Album",
        &[
            ("01.flac", 30_000),
            ("cover/front.jpg", 2_000),
            ("setup.exe", 1_000),
        ],
        &tracker.announce_url(),
        false,
    );
    qbit.add_torrent_file(&file, "lidarr", &[], true).await;

    let c = client(&qbit);
    let mut files = c.files(&hash).await.unwrap();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let got: Vec<(&str, u64, i64)> = files
        .iter()
        .map(|f| (f.name.as_str(), f.size, f.priority))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Album/01.flac", 30_000, 1),
            ("Album/cover/front.jpg", 2_000, 1),
            ("Album/setup.exe", 1_000, 1),
        ]
    );
}

#[tokio::test]
async fn delete_with_files_removes_the_data_and_without_keeps_it() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let url = tracker.announce_url();
    let gone = add_complete(&qbit, &url, "gone.mkv", "radarr").await;
    let kept = add_complete(&qbit, &url, "kept.mkv", "radarr").await;
    let c = client(&qbit);
    c.connect().await.unwrap();

    c.delete(&[gone.to_uppercase()], true).await.unwrap();
    c.delete(std::slice::from_ref(&kept), false).await.unwrap();

    let deadline = Instant::now() + WAIT;
    while !qbit.torrent_hashes().await.is_empty() || qbit.save_dir().join("gone.mkv").exists() {
        assert!(Instant::now() < deadline, "torrents or data still there");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(
        qbit.save_dir().join("kept.mkv").exists(),
        "data kept without deleteFiles"
    );
}

#[tokio::test]
async fn add_tags_are_visible_on_the_torrent() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let hash = add_stalled(&qbit, &tracker.announce_url(), "t.mkv", &["old"]).await;
    let c = client(&qbit);
    c.add_tags(
        std::slice::from_ref(&hash),
        &["sweeparr-failed".into(), "x y".into()],
    )
    .await
    .unwrap();
    assert_eq!(
        qbit.tags_of(&hash).await,
        vec!["old", "sweeparr-failed", "x y"]
    );
}

#[tokio::test]
async fn create_category_then_it_exists_and_a_second_create_is_ok() {
    let qbit = QbitServer::start().await;
    let c = client(&qbit);
    c.connect().await.unwrap();
    c.create_category("radarr").await.unwrap();
    assert_eq!(qbit.category_names().await, vec!["radarr"]);
    c.create_category("radarr")
        .await
        .expect("existing category is fine");
    assert_eq!(c.list().await.unwrap().categories, vec!["radarr"]);
    // A name qBittorrent refuses is still an error.
    let err = c.create_category("bad//name").await.unwrap_err();
    assert!(matches!(err, QbitError::Http { status: 409, .. }), "{err}");
}

#[tokio::test]
async fn stop_then_start_changes_state() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let hash = add_stalled(&qbit, &tracker.announce_url(), "s.mkv", &[]).await;
    let c = client(&qbit);
    c.connect().await.unwrap();

    c.stop(std::slice::from_ref(&hash)).await.unwrap();
    qbit.wait_for_state(&hash, &[qbit.stopped_state(false)], WAIT)
        .await;
    let t = c.list().await.unwrap().torrents;
    assert_eq!(t[0].status, Status::PausedDl);

    c.start(std::slice::from_ref(&hash)).await.unwrap();
    qbit.wait_for_state(&hash, &["stalledDL", "downloading", "checkingDL"], WAIT)
        .await;
}

#[tokio::test]
async fn recheck_notices_removed_data() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let hash = add_complete(&qbit, &tracker.announce_url(), "r.mkv", "radarr").await;
    std::fs::remove_file(qbit.save_dir().join("r.mkv")).unwrap();
    let c = client(&qbit);
    c.recheck(std::slice::from_ref(&hash)).await.unwrap();
    qbit.wait_for(
        &hash,
        |i| i["amount_left"].as_u64() > Some(0) || i["state"] == "missingFiles",
        WAIT,
    )
    .await;
}

#[tokio::test]
async fn a_closed_port_is_unreachable_quickly() {
    let port = free_port();
    let mut cfg = config_for_port(port);
    cfg.name = "gone".into();
    let c = QbitClient::new(&cfg, Duration::from_secs(5)).unwrap();
    let started = Instant::now();
    let err = c.connect().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, QbitError::Unreachable { instance, .. } if instance == "gone"),
        "{err}"
    );
    assert!(err.to_string().contains("auth/login"), "{err}");
}

#[tokio::test]
async fn a_silent_server_times_out_as_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept connections and never answer.
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let c = QbitClient::new(&config_for_port(port), Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    let err = c.connect().await.unwrap_err();
    assert!(matches!(err, QbitError::Unreachable { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    hold.abort();
}

/// A config for a loopback port where no qBittorrent runs.
fn config_for_port(port: u16) -> QbitConfig {
    QbitConfig {
        name: "main".into(),
        url: format!("http://127.0.0.1:{port}").parse().unwrap(),
        username: "admin".into(),
        password_source: SecretSource::Literal("pw".into()),
        password: Secret::new("pw"),
        api_key_source: None,
        api_key: Secret::default(),
        disabled: false,
        path_map: Vec::new(),
        tls_insecure: false,
        space: None,
    }
}

/// Forwards raw TCP from a new loopback port to `port`, bytes unchanged: the Host header then
/// names a port qBittorrent does not listen on, as behind a remapped Docker port.
async fn remapped_port(port: u16) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (local, task)
}

#[tokio::test]
async fn a_host_header_refusal_is_named_as_such_not_as_a_wrong_password() {
    let qbit = QbitServer::start().await;
    let (port, task) = remapped_port(qbit.port()).await;
    let mut cfg = qbit.config("main");
    cfg.url = format!("http://127.0.0.1:{port}").parse().unwrap();
    let c = QbitClient::new(&cfg, TIMEOUT).unwrap();
    let err = c.list().await.unwrap_err();
    assert_eq!(
        err,
        QbitError::LoginUnauthorized {
            instance: "main".into()
        },
        "{}",
        qbit.build().version
    );
    let text = err.to_string();
    assert!(
        text.contains("Host-header") && text.contains("qbit.main.url"),
        "{text}"
    );
    assert_eq!(
        c.requests(),
        2,
        "the login and one request without credentials"
    );
    assert!(c.list().await.is_err());
    assert_eq!(c.requests(), 2, "not retried");
    task.abort();
}
