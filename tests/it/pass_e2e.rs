//! End-to-end passes of the real binary against real qbittorrent-nox and fake Arrs.
//! Every test checks side effects: torrents gone or kept in qBittorrent, files on disk,
//! requests the Arr received, the exit code and the summary.

use crate::helpers;

use std::time::Duration;

use helpers::results::{deletes, let_stall, scan_commands};
use helpers::world::{World, actions};
use sweeparr::model::ArrKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_torrent_is_blocklisted_through_the_arr_and_gone_from_qbittorrent() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "stalled.movie.mkv", "radarr", &[])
        .await;
    let ids = w.queue("movies", &hash, "downloading", vec![11]);
    w.watch().await;
    let_stall().await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert!(
        summary["actions"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("stalled ")
    );

    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "exactly one DELETE");
    assert_eq!(dels[0].path, format!("/api/v3/queue/{}", ids[0]));
    assert_eq!(dels[0].param("removeFromClient"), Some("true"));
    assert_eq!(dels[0].param("blocklist"), Some("true"));
    assert_eq!(dels[0].param("skipRedownload"), Some("false"));
    assert_eq!(w.arr("movies").blocklist().len(), 1);
    assert_eq!(
        w.arr("movies").searches(),
        vec![11],
        "the Arr searched by itself"
    );
    assert!(
        w.arr("movies").commands().is_empty(),
        "sweeparr sent no search command of its own"
    );
    assert!(
        !w.qbit("main").torrent_hashes().await.contains(&hash),
        "torrent gone"
    );

    // The next pass finds nothing left to do and repeats nothing.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0);
    assert!(actions(&summary).is_empty(), "{summary:#}");
    assert_eq!(deletes(w.arr("movies")).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_command_is_sent_once() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nfailed_import_after = \"1h\"\n".into();
    let (hash, data) = w
        .add_complete("main", "done.movie.mkv", "radarr", &[])
        .await;
    // The Arr still lists it as not imported, and its scan of that path will not import
    // (its own output path differs), so the download stays queued.
    w.arr("movies")
        .add_download(helpers::fake_arr::FakeDownload {
            tracked_state: "importPending".into(),
            output_path: Some("/elsewhere".into()),
            media_ids: vec![5],
            ..helpers::fake_arr::FakeDownload::new(&hash, "done.movie")
        });

    for _ in 0..2 {
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{summary:#}");
    }
    let scans = scan_commands(w.arr("movies"));
    assert_eq!(scans.len(), 1, "{scans:#?}");
    assert_eq!(scans[0].name, "DownloadedMoviesScan");
    assert_eq!(scans[0].body["path"], data.display().to_string());
    assert_eq!(scans[0].body["downloadClientId"], hash.to_uppercase());
    assert_eq!(scans[0].body["importMode"], "auto");
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_removes_torrent_and_files_only_after_import_and_goal() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[seeding]\nratio = 0.0\ntime = \"off\"\n".into();
    let (hash, data) = w
        .add_complete("main", "seeded.movie.mkv", "radarr", &[])
        .await;

    // Goal met (ratio 0) but not imported: kept.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(
        actions(&summary).iter().all(|a| a.0 != "remove"),
        "{summary:#}"
    );
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    assert!(data.exists());

    // The Arr's history now holds an import event; history is asked at most hourly, so
    // forget the answer recorded above.
    w.arr("movies").add_history(&hash, "downloadFolderImported");
    let forget = w.sweeparr(&["state", "forget", &hash]).await;
    assert!(forget.status.success(), "{forget:?}");
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("remove".into(), hash.clone(), "done".into())]
    );
    let gone = w
        .qbit("main")
        .wait_for_gone(&hash, helpers::world::WAIT)
        .await;
    assert!(gone);
    let deadline = std::time::Instant::now() + helpers::world::WAIT;
    while data.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!data.exists(), "files deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_time_keeps_an_imported_torrent() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[seeding]\nratio = 0.0\nmin_time = \"1h\"\n".into();
    let (hash, data) = w
        .add_complete("main", "young.seed.mkv", "radarr", &[])
        .await;
    w.arr("movies").add_history(&hash, "downloadFolderImported");
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(
        actions(&summary).iter().all(|a| a.0 != "remove"),
        "{summary:#}"
    );
    assert!(data.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_torrent_is_never_touched() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "tag_actions = true\n[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "keep.me.mkv", "radarr", &["sweeparr-keep"])
        .await;
    w.queue("movies", &hash, "downloading", vec![3]);
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).is_empty(), "{summary:#}");
    assert!(deletes(w.arr("movies")).is_empty());
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    assert_eq!(
        w.qbit("main").tags_of(&hash).await,
        vec!["sweeparr-keep".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_changes_nothing_anywhere() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let stalled = w
        .add_stalled("main", "dry.stalled.mkv", "radarr", &[])
        .await;
    w.queue("movies", &stalled, "downloading", vec![1]);
    // A real pass starts the stall clock; what it wrote is what the dry runs must leave.
    w.watch().await;
    let (done, _) = w.add_complete("main", "dry.done.mkv", "radarr", &[]).await;
    w.queue("movies", &done, "importPending", vec![2]);
    let_stall().await;
    w.arr("movies").clear_requests();
    let before = w.sweeparr(&["state", "export"]).await.stdout;
    assert!(!before.is_empty());

    for args in [
        vec!["plan", "--output", "json"],
        vec!["run", "--dry-run", "--output", "json"],
    ] {
        let out = w.sweeparr(&args).await;
        let (code, summary) = helpers::world::parse_summary(&out);
        assert_eq!(code, 0, "{summary:#}");
        assert_eq!(summary["dry_run"], true);
        let mut got = actions(&summary);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("fail".into(), stalled.clone(), "planned".into()),
                ("import".into(), done.clone(), "planned".into()),
            ]
        );
    }
    let writes: Vec<_> = w
        .arr("movies")
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    let hashes = w.qbit("main").torrent_hashes().await;
    assert!(hashes.contains(&stalled) && hashes.contains(&done));
    let export = w.sweeparr(&["state", "export"]).await;
    assert!(export.status.success());
    assert_eq!(
        String::from_utf8_lossy(&export.stdout),
        String::from_utf8_lossy(&before),
        "no record written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_each_action_on_the_instance_holding_the_torrent() {
    let mut w = World::start(
        &["main", "seedbox"],
        &[("movies", ArrKind::Radarr, "radarr")],
    )
    .await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    // Not in the Arr's queue: sweeparr deletes it from the instance holding it.
    let on_box = w
        .add_stalled("seedbox", "box.stalled.mkv", "radarr", &[])
        .await;
    let (on_main, _) = w.add_complete("main", "main.done.mkv", "radarr", &[]).await;
    w.watch().await;
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "fail")
        .expect("fail action");
    assert_eq!(fail["instance"], "seedbox");
    assert_eq!(fail["hash"], on_box.as_str());
    assert!(!w.qbit("seedbox").torrent_hashes().await.contains(&on_box));
    assert!(w.qbit("main").torrent_hashes().await.contains(&on_main));
    let names: Vec<&str> = summary["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["main", "seedbox"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_down_the_other_is_still_processed() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let closed = helpers::qbit::free_port();
    w.extra = format!(
        "[health]\nstalled_after = \"1s\"\n[qbit.down]\nurl = \"http://127.0.0.1:{closed}\"\npassword = {{ env = \"QBIT_PASSWORD\" }}\n"
    );
    let hash = w.add_stalled("main", "up.stalled.mkv", "radarr", &[]).await;
    w.watch().await;
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 1, "{summary:#}");
    assert_eq!(summary["status"], "partial");
    let down = summary["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "down")
        .unwrap();
    assert_eq!(down["reachable"], false);
    assert!(down["error"].as_str().unwrap().contains("down"), "{down}");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert!(!w.qbit("main").torrent_hashes().await.contains(&hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arr_down_means_nothing_destructive_for_its_category() {
    let mut w = World::start(
        &["main"],
        &[
            ("movies", ArrKind::Radarr, "radarr"),
            ("tv", ArrKind::Sonarr, "sonarr"),
        ],
    )
    .await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let movie = w
        .add_stalled("main", "arrdown.movie.mkv", "radarr", &[])
        .await;
    let show = w.add_stalled("main", "arrup.show.mkv", "sonarr", &[]).await;
    w.arr("movies").set_failure(Some(500));
    w.watch().await;
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 1, "{summary:#}");
    assert_eq!(summary["status"], "partial");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), show.clone(), "done".into())]
    );
    let hashes = w.qbit("main").torrent_hashes().await;
    assert!(hashes.contains(&movie), "movie kept while its Arr is down");
    assert!(!hashes.contains(&show));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn circuit_breaker_deletes_nothing_when_too_many_would_go() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "max_deletions = 2\n[health]\nstalled_after = \"1s\"\n".into();
    let mut hashes = vec![];
    for name in ["cb.one.mkv", "cb.two.mkv", "cb.three.mkv"] {
        hashes.push(w.add_stalled("main", name, "radarr", &[]).await);
    }
    w.watch().await;
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 1, "{summary:#}");
    assert_eq!(summary["status"], "circuit_open");
    assert_eq!(actions(&summary).len(), 3);
    assert!(actions(&summary).iter().all(|a| a.2 == "skipped"));
    let left = w.qbit("main").torrent_hashes().await;
    assert!(hashes.iter().all(|h| left.contains(h)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sonarr_season_pack_is_removed_with_one_request() {
    let mut w = World::start(&["main"], &[("tv", ArrKind::Sonarr, "sonarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\nresearch = false\n".into();
    let hash = w.add_stalled("main", "show.s01.pack", "sonarr", &[]).await;
    let ids = w.queue("tv", &hash, "downloading", vec![101, 102, 103]);
    assert_eq!(ids.len(), 3);
    w.watch().await;
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["arrs"][0]["queue"], 1, "downloads, not records");
    let dels = deletes(w.arr("tv"));
    assert_eq!(dels.len(), 1, "{dels:#?}");
    assert_eq!(dels[0].param("skipRedownload"), Some("true"));
    assert!(w.arr("tv").searches().is_empty());
    assert_eq!(w.arr("tv").queue_len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lidarr_download_is_imported_through_api_v1() {
    let w = World::start(&["main"], &[("music", ArrKind::Lidarr, "lidarr")]).await;
    let (hash, data) = w.add_complete("main", "album.flac", "lidarr", &[]).await;
    w.queue("music", &hash, "importPending", vec![7, 8]);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let scans = scan_commands(w.arr("music"));
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].name, "DownloadedAlbumsScan");
    assert_eq!(scans[0].body["path"], data.display().to_string());
    assert!(
        w.arr("music")
            .requests()
            .iter()
            .all(|r| r.path.starts_with("/api/v1/"))
    );
    assert_eq!(w.arr("music").queue_len(), 0, "the fake imported it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_torrent_is_failed() {
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let q = w.qbit("main");
    let scratch = q.scratch_dir();
    let (file, hash) = helpers::qbit::make_torrent(
        &scratch,
        "gone.mkv",
        &[("f", 64_000)],
        &w.tracker.announce_url(),
        false,
    );
    w.tracker.set_unregistered(&hash);
    std::fs::remove_file(scratch.join("gone.mkv")).unwrap();
    q.add_torrent_file(&file, "radarr", &[], false).await;
    q.wait_for(&hash, |_| true, helpers::world::WAIT).await;
    // Wait until the tracker's refusal is visible.
    q.wait_tracker_failed(&hash, None, helpers::world::WAIT)
        .await;
    // Radarr does not hold it: the first pass sees it absent from the queue, the next one
    // (still absent, Radarr's health check clean) deletes it.
    let first = w.watch().await;
    assert_eq!(
        actions(&first),
        vec![("fail".into(), hash.clone(), "skipped".into())],
        "{first:#}"
    );
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert!(
        w.arr("movies")
            .requests()
            .iter()
            .any(|r| r.path == "/api/v3/health"),
        "the health check was read before the direct deletion"
    );
    assert_eq!(
        summary["actions"][0]["reason"],
        "tracker says: Unregistered torrent"
    );
    assert!(!q.torrent_hashes().await.contains(&hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_filter_limits_the_pass_to_that_torrent() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let a = w.add_stalled("main", "hook.a.mkv", "radarr", &[]).await;
    let b = w.add_stalled("main", "hook.b.mkv", "radarr", &[]).await;
    w.watch().await;
    let_stall().await;
    let (code, summary) = w.run_json(&["--hash", &a.to_uppercase()]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), a.clone(), "done".into())]
    );
    assert_eq!(
        summary["instances"][0]["torrents"], 2,
        "counted before filters"
    );
    let left = w.qbit("main").torrent_hashes().await;
    assert!(!left.contains(&a) && left.contains(&b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_category_is_created_on_the_instance() {
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr-new")]).await;
    assert!(
        !w.qbit("main")
            .category_names()
            .await
            .contains(&"radarr-new".to_string())
    );
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["actions"][0]["kind"], "create_category");
    assert!(
        w.qbit("main")
            .category_names()
            .await
            .contains(&"radarr-new".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_torrents_are_tagged_in_one_request() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "tag_actions = true\n[seeding]\nratio = \"off\"\ntime = \"off\"\n".into();
    let mut hashes = vec![];
    for name in ["tag.one.mkv", "tag.two.mkv", "tag.three.mkv"] {
        let (hash, _) = w.add_complete("main", name, "radarr", &[]).await;
        w.arr("movies").add_history(&hash, "downloadFolderImported");
        hashes.push(hash);
    }
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut tagged: Vec<String> = actions(&summary)
        .into_iter()
        .filter(|a| a.0 == "tag" && a.2 == "done")
        .map(|a| a.1)
        .collect();
    tagged.sort();
    hashes.sort();
    assert_eq!(tagged, hashes);
    for h in &hashes {
        assert_eq!(
            w.qbit("main").tags_of(h).await,
            vec!["sweeparr-imported".to_string()]
        );
    }
    // Tagged: the next pass has nothing to do.
    let (_, summary) = w.run_json(&[]).await;
    assert!(actions(&summary).is_empty(), "{summary:#}");
}
