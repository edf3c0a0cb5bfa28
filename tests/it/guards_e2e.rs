//! End-to-end tests of the "Never destroy a good download" guards: the real binary against
//! real qbittorrent-nox, the fake Arr and the loopback tracker, one test per guard. Every test
//! checks side effects: torrents and files kept or gone, the requests the Arr received, the
//! summary's actions (kind, outcome, reason, error) and the tags on the torrent.

use crate::helpers;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use helpers::fake_arr::FakeDownload;
use helpers::qbit::{QbitServer, make_torrent, tracker_failed};
use helpers::results::{deletes, let_stall, scan_commands};
use helpers::world::{WAIT, World, actions};
use serde_json::{Value, json};
use sweeparr::model::ArrKind;

/// The summary's actions on `hash`.
fn actions_on<'a>(summary: &'a Value, hash: &str) -> Vec<&'a Value> {
    summary["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter(|a| a["hash"] == hash)
        .collect()
}

/// The one action on `hash`; panics with the summary unless there is exactly one.
fn only_action<'a>(summary: &'a Value, hash: &str) -> &'a Value {
    let on = actions_on(summary, hash);
    assert_eq!(on.len(), 1, "one action on {hash}: {summary:#}");
    on[0]
}

/// The one action on `hash`, checked to be of this (kind, outcome).
fn the_action<'a>(summary: &'a Value, hash: &str, (kind, outcome): (&str, &str)) -> &'a Value {
    let action = only_action(summary, hash);
    assert_eq!(
        (text(action, "kind"), text(action, "outcome")),
        (kind, outcome),
        "{action}"
    );
    action
}

fn text<'a>(action: &'a Value, field: &str) -> &'a str {
    action[field].as_str().unwrap_or("")
}

/// Polls `path` until it no longer exists; false when it still does after [`WAIT`].
async fn wait_absent(path: &std::path::Path) -> bool {
    let deadline = Instant::now() + WAIT;
    while path.exists() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    true
}

/// Adds a two-file torrent to the save folder of `instance` with only its first file on
/// disk: qBittorrent checks it, keeps the verified piece and stays `stalledDL` for the rest.
/// Returns (hash, path of the file on disk).
async fn add_partial(
    w: &World,
    instance: &str,
    name: &str,
    category: &str,
    private: bool,
) -> (String, PathBuf) {
    let q = w.qbit(instance);
    let (file, hash) = make_torrent(
        &q.save_dir(),
        name,
        &[("part1.bin", 64_000), ("part2.bin", 64_000)],
        &w.tracker.announce_url(),
        private,
    );
    let folder = q.save_dir().join(name);
    std::fs::remove_file(folder.join("part2.bin")).expect("remove part2");
    q.add_torrent_file(&file, category, &[], false).await;
    q.wait_for(
        &hash,
        |t| t["state"] == "stalledDL" && t["downloaded"].as_i64() == Some(0),
        WAIT,
    )
    .await;
    let info = q.torrent_info(&hash).await.expect("listed");
    assert!(
        info["progress"].as_f64().unwrap_or(0.0) > 0.0,
        "the present file was verified: {info}"
    );
    (hash, folder.join("part1.bin"))
}

/// `server_state.connection_status` of a full `sync/maindata`.
async fn connection_status(q: &QbitServer) -> String {
    let data = q.get_json("sync/maindata", &[("rid", "0")]).await;
    data["server_state"]["connection_status"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// Polls until `connection_status` satisfies `want`; the last status seen either way.
async fn wait_connection(q: &QbitServer, want: impl Fn(&str) -> bool, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let status = connection_status(q).await;
        if want(&status) || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_clock_starts_at_first_sight_and_restarts_after_a_stopped_pass() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "clock.movie.mkv", "radarr", &[])
        .await;
    let ids = w.queue("movies", &hash, "downloading", vec![11]);
    // Stalled in qBittorrent for longer than stalled_after before sweeparr ever saw it.
    let_stall().await;
    let q = w.qbit("main");

    // First sight starts the run: not failed.
    let (code, first) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{first:#}");
    assert!(actions_on(&first, &hash).is_empty(), "{first:#}");
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // A pass that sees it stopped ends the run.
    q.stop_torrents(&hash).await;
    q.wait_for_state(&hash, &[q.stopped_state(false)], WAIT)
        .await;
    let_stall().await;
    let (code, stopped) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{stopped:#}");
    assert!(actions_on(&stopped, &hash).is_empty(), "{stopped:#}");

    // Started again, stalled again: a new run starts with this pass, over 4 s after the first.
    q.start_torrents(&hash).await;
    q.wait_for_state(&hash, &["stalledDL"], WAIT).await;
    let_stall().await;
    let (code, restarted) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{restarted:#}");
    assert!(actions_on(&restarted, &hash).is_empty(), "{restarted:#}");
    assert!(deletes(w.arr("movies")).is_empty());
    assert!(q.torrent_hashes().await.contains(&hash));

    // The run lasted past stalled_after: failed through the Arr.
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = only_action(&summary, &hash);
    assert_eq!(fail["kind"], "fail");
    assert_eq!(fail["outcome"], "done", "{fail}");
    assert!(text(fail, "reason").starts_with("stalled "), "{fail}");
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "{dels:#?}");
    assert_eq!(dels[0].path, format!("/api/v3/queue/{}", ids[0]));
    assert_eq!(dels[0].param("removeFromClient"), Some("true"));
    assert_eq!(dels[0].param("blocklist"), Some("true"));
    assert!(q.wait_for_gone(&hash, WAIT).await, "torrent gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torrent_missing_from_the_queue_is_deleted_only_when_absent_twice_and_the_arr_is_healthy() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "lost.client.mkv", "radarr", &[])
        .await;
    w.queue("movies", &hash, "downloading", vec![5]);
    w.watch().await;
    let_stall().await;

    // The Arr loses its download client: its queue drops the download, its health says why.
    assert!(w.arr("movies").drop_download(&hash));
    w.arr("movies").lose_download_client();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = the_action(&summary, &hash, ("fail", "skipped"));
    assert!(text(fail, "reason").starts_with("stalled "), "{fail}");
    assert!(
        text(fail, "error").contains("not in movies's queue since this pass only"),
        "{fail}"
    );
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Absent on an earlier pass too, but the health check shows the lost client.
    w.arr("movies").clear_requests();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = the_action(&summary, &hash, ("fail", "skipped"));
    let error = text(fail, "error");
    assert!(
        error.contains("movies reports a download-client problem")
            && error.contains("All download clients are unavailable"),
        "{fail}"
    );
    assert!(
        w.arr("movies")
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == "/api/v3/health"),
        "the health check was read"
    );
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));

    // The client is back and the queue still lacks it: deleted directly.
    w.arr("movies").set_health(vec![]);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = the_action(&summary, &hash, ("fail", "done"));
    assert!(fail["error"].is_null(), "{fail}");
    assert!(deletes(w.arr("movies")).is_empty(), "not through the Arr");
    assert!(w.qbit("main").wait_for_gone(&hash, WAIT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_problem_another_release_would_not_fix_is_reported_never_failed() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nfailed_import_after = \"1s\"\n".into();
    let (hash, data) = w
        .add_complete("main", "unseen.movie.mkv", "radarr", &[])
        .await;
    let message = "No files found are eligible for import in /x/unseen.movie.mkv";
    w.arr("movies").add_download(FakeDownload {
        status: "completed".into(),
        tracked_state: "importPending".into(),
        tracked_status: "warning".into(),
        status_messages: vec![("unseen.movie.mkv".into(), vec![message.into()])],
        sizeleft: 0,
        media_ids: vec![9],
        ..FakeDownload::new(&hash, "unseen.movie")
    });

    // Past failed_import_after on the second pass: still only attention.
    for pass in 0..2 {
        if pass == 1 {
            let_stall().await;
        }
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{summary:#}");
        let attention = only_action(&summary, &hash);
        assert_eq!(attention["kind"], "attention", "{attention}");
        assert_eq!(attention["outcome"], "skipped", "{attention}");
        assert_eq!(attention["reason"], message);
        assert!(
            text(attention, "error").contains("another release would not import either"),
            "{attention}"
        );
    }
    assert!(deletes(w.arr("movies")).is_empty(), "never a DELETE");
    assert!(w.arr("movies").blocklist().is_empty());
    assert!(scan_commands(w.arr("movies")).is_empty(), "no scan either");
    assert!(w.arr("movies").in_queue(&hash));
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    assert!(data.exists(), "files kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_private_torrent_leaves_the_queue_but_stays_seeding_tagged_failed() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "tag_actions = true\n[health]\nstalled_after = \"1s\"\n".into();
    let (held, held_file) = add_partial(&w, "main", "private.held", "radarr", true).await;
    let (alone, alone_file) = add_partial(&w, "main", "private.alone", "radarr", true).await;
    let ids = w.queue("movies", &held, "downloading", vec![21]);
    w.watch().await;
    let_stall().await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    // Held by the Arr: removed from its queue and blocklisted, kept in qBittorrent.
    let fail = the_action(&summary, &held, ("fail", "done"));
    assert!(
        text(fail, "reason").starts_with("stalled ")
            && text(fail, "reason")
                .contains("private: kept in qBittorrent, tagged sweeparr-failed"),
        "{fail}"
    );
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "{dels:#?}");
    assert_eq!(dels[0].path, format!("/api/v3/queue/{}", ids[0]));
    assert_eq!(dels[0].param("removeFromClient"), Some("false"));
    assert_eq!(dels[0].param("blocklist"), Some("true"));
    assert_eq!(w.arr("movies").blocklist().len(), 1);
    assert!(w.arr("movies").removed_from_client().is_empty());
    let q = w.qbit("main");
    assert_eq!(q.tags_of(&held).await, vec!["sweeparr-failed".to_string()]);
    assert!(held_file.exists(), "its data kept");
    // Not held by the Arr: not deleted at all.
    let fail = the_action(&summary, &alone, ("fail", "skipped"));
    assert!(
        text(fail, "error").contains("private torrent the Arr does not hold: kept"),
        "{fail}"
    );
    assert!(q.tags_of(&alone).await.is_empty());
    assert!(alone_file.exists());

    // Later passes never fail the kept one again, however long it stays stalled.
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions_on(&summary, &held).is_empty(), "{summary:#}");
    assert_eq!(only_action(&summary, &alone)["outcome"], "skipped");
    assert_eq!(deletes(w.arr("movies")).len(), 1);
    let hashes = q.torrent_hashes().await;
    assert!(hashes.contains(&held) && hashes.contains(&alone));
    assert!(held_file.exists() && alone_file.exists());
    assert_eq!(q.tags_of(&held).await, vec!["sweeparr-failed".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_cross_seed_is_removed_but_files_another_torrent_uses_are_kept() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let q = w.qbit("main");
    let announce = w.tracker.announce_url();
    // The download: a pack of three files, the third missing (stays stalledDL).
    let (pack_file, pack) = make_torrent(
        &q.save_dir(),
        "shared.pack",
        &[("a.mkv", 40_000), ("b.mkv", 40_000), ("c.mkv", 40_000)],
        &announce,
        false,
    );
    let pack_torrent = q.scratch_dir().join("pack.torrent");
    std::fs::rename(&pack_file, &pack_torrent).unwrap();
    let folder = q.save_dir().join("shared.pack");
    std::fs::remove_file(folder.join("c.mkv")).unwrap();
    // A cross-seed of the same folder with the two files present: complete, seeding.
    let (seed_torrent, seed) = make_torrent(
        &q.scratch_dir(),
        "shared.pack",
        &[("a.mkv", 40_000), ("b.mkv", 40_000)],
        &announce,
        false,
    );
    q.add_torrent_file(&seed_torrent, "cross-seed", &[], false)
        .await;
    q.wait_for(
        &seed,
        |t| t["amount_left"] == 0 && t["state"].as_str().is_some_and(|s| s.ends_with("UP")),
        WAIT,
    )
    .await;
    // Only its display name changes; its content path stays the folder.
    q.post_ok(
        "torrents/rename",
        &[("hash", seed.as_str()), ("name", "shared.pack.xseed")],
    )
    .await;
    q.add_torrent_file(&pack_torrent, "radarr", &[], false)
        .await;
    q.wait_for_state(&pack, &["stalledDL"], WAIT).await;
    let (a, b) = (
        q.torrent_info(&pack).await.unwrap(),
        q.torrent_info(&seed).await.unwrap(),
    );
    assert_eq!(a["content_path"], b["content_path"], "same folder");
    let ids = w.queue("movies", &pack, "downloading", vec![31]);
    w.watch().await;
    let_stall().await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = the_action(&summary, &pack, ("fail", "done"));
    let reason = text(fail, "reason");
    assert!(
        reason.starts_with("stalled ")
            && reason.ends_with("files kept: shared.pack.xseed uses them too"),
        "{fail}"
    );
    // The Arr blocklists it without touching the client; sweeparr removes the torrent alone.
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "{dels:#?}");
    assert_eq!(dels[0].path, format!("/api/v3/queue/{}", ids[0]));
    assert_eq!(dels[0].param("removeFromClient"), Some("false"));
    assert_eq!(dels[0].param("blocklist"), Some("true"));
    assert!(
        q.wait_for_gone(&pack, WAIT).await,
        "the failed torrent is gone"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        folder.join("a.mkv").exists() && folder.join("b.mkv").exists(),
        "the cross-seed's files are kept"
    );
    let seeding = q.torrent_info(&seed).await.expect("cross-seed kept");
    assert_eq!(seeding["amount_left"], 0, "{seeding}");
    assert!(
        actions_on(&summary, &seed).is_empty(),
        "the cross-seed is outside every Arr category"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_slower_than_min_speed_over_a_watched_run_is_failed() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nmin_speed = \"1KiB/s\"\nslow_after = \"1s\"\n".into();
    let slow = w.add_stalled("main", "slow.movie.mkv", "radarr", &[]).await;
    let paused = w
        .add_stalled("main", "paused.movie.mkv", "radarr", &[])
        .await;
    let slow_ids = w.queue("movies", &slow, "downloading", vec![41]);
    let paused_ids = w.queue("movies", &paused, "downloading", vec![42]);
    let q = w.qbit("main");
    w.watch().await;
    // A stop breaks the other one's run.
    q.stop_torrents(&paused).await;
    q.wait_for_state(&paused, &[q.stopped_state(false)], WAIT)
        .await;
    let_stall().await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = the_action(&summary, &slow, ("fail", "done"));
    assert!(text(fail, "reason").starts_with("slow: "), "{fail}");
    assert!(text(fail, "reason").contains("< 1.0 KiB/s"), "{fail}");
    assert!(actions_on(&summary, &paused).is_empty(), "{summary:#}");
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "{dels:#?}");
    assert_eq!(dels[0].path, format!("/api/v3/queue/{}", slow_ids[0]));
    assert_eq!(dels[0].param("removeFromClient"), Some("true"));
    assert!(q.wait_for_gone(&slow, WAIT).await);

    // Started again: its run starts again, and is failed only once it lasted slow_after.
    q.start_torrents(&paused).await;
    q.wait_for_state(&paused, &["stalledDL"], WAIT).await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions_on(&summary, &paused).is_empty(), "{summary:#}");
    assert!(q.torrent_hashes().await.contains(&paused));
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let fail = only_action(&summary, &paused);
    assert_eq!(fail["outcome"], "done", "{fail}");
    assert!(text(fail, "reason").starts_with("slow: "), "{fail}");
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 2, "{dels:#?}");
    assert_eq!(dels[1].path, format!("/api/v3/queue/{}", paused_ids[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnected_instance_gets_no_health_verdict_and_its_stall_run_ends() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let stalled = w
        .add_stalled("main", "offline.movie.mkv", "radarr", &[])
        .await;
    w.queue("movies", &stalled, "downloading", vec![51]);
    w.watch().await;
    let (done, data) = w
        .add_complete("main", "offline.done.mkv", "radarr", &[])
        .await;
    w.queue("movies", &done, "importPending", vec![52]);
    let q = w.qbit("main");

    // Bind BitTorrent to an interface that does not exist.
    q.set_preferences(json!({"current_network_interface": "sweeparr-none0"}))
        .await;
    let status = wait_connection(q, |s| s == "disconnected", Duration::from_secs(20)).await;
    if status != "disconnected" {
        eprintln!(
            "qBittorrent {} ({}) did not report connection_status \"disconnected\" with \
             current_network_interface set to a missing interface (still {status:?}): the \
             disconnected guard is not tested on this build",
            q.build().name,
            q.build().version
        );
        return;
    }
    let_stall().await;
    let info = q.torrent_info(&stalled).await.expect("listed");
    assert_eq!(info["state"], "stalledDL", "still looks stalled: {info}");

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions_on(&summary, &stalled).is_empty(), "{summary:#}");
    // Imports go on without a network.
    the_action(&summary, &done, ("import", "done"));
    let scans = scan_commands(w.arr("movies"));
    assert_eq!(scans.len(), 1, "{scans:#?}");
    assert_eq!(scans[0].body["path"], data.display().to_string());
    assert!(deletes(w.arr("movies")).is_empty());
    assert!(q.torrent_hashes().await.contains(&stalled));

    // Connected again: the run that pass ended starts over.
    q.set_preferences(json!({"current_network_interface": ""}))
        .await;
    let status = wait_connection(q, |s| s != "disconnected", WAIT).await;
    assert_ne!(status, "disconnected", "reconnected");
    q.wait_for_state(&stalled, &["stalledDL"], WAIT).await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions_on(&summary, &stalled).is_empty(), "{summary:#}");
    assert!(deletes(w.arr("movies")).is_empty());
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    the_action(&summary, &stalled, ("fail", "done"));
    assert_eq!(deletes(w.arr("movies")).len(), 1);
    assert!(q.wait_for_gone(&stalled, WAIT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracker_network_error_is_not_taken_for_unregistered() {
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let q = w.qbit("main");
    let scratch = q.scratch_dir();
    let mut hashes = Vec::new();
    for (name, message) in [
        ("truncated.movie.mkv", "stream truncated"),
        ("unregistered.movie.mkv", "Unregistered torrent"),
    ] {
        let (file, hash) = make_torrent(
            &scratch,
            name,
            &[("f", 64_000)],
            &w.tracker.announce_url(),
            false,
        );
        w.tracker.set_failure(&hash, message);
        std::fs::remove_file(scratch.join(name)).unwrap();
        q.add_torrent_file(&file, "radarr", &[], false).await;
        hashes.push((hash, message));
    }
    for (hash, message) in &hashes {
        q.wait_tracker_failed(hash, Some(message), WAIT).await;
    }
    let (truncated, unregistered) = (hashes[0].0.clone(), hashes[1].0.clone());
    let truncated_ids = w.queue("movies", &truncated, "downloading", vec![61]);
    let unregistered_ids = w.queue("movies", &unregistered, "downloading", vec![62]);

    for pass in 0..2 {
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{summary:#}");
        assert!(actions_on(&summary, &truncated).is_empty(), "{summary:#}");
        if pass == 0 {
            assert_eq!(
                actions(&summary),
                vec![("fail".into(), unregistered.clone(), "done".into())]
            );
            assert_eq!(
                only_action(&summary, &unregistered)["reason"],
                "tracker says: Unregistered torrent"
            );
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "{dels:#?}");
    assert_eq!(
        dels[0].path,
        format!("/api/v3/queue/{}", unregistered_ids[0])
    );
    assert_ne!(dels[0].path, format!("/api/v3/queue/{}", truncated_ids[0]));
    assert!(w.arr("movies").in_queue(&truncated));
    assert!(q.torrent_hashes().await.contains(&truncated));
    assert!(q.wait_for_gone(&unregistered, WAIT).await);
    assert!(
        q.trackers_of(&truncated)
            .await
            .iter()
            .any(|t| tracker_failed(t) && t["msg"] == "stream truncated"),
        "the tracker still fails it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lidarr_download_counts_as_imported_only_on_download_imported() {
    let mut w = World::start(&["main"], &[("music", ArrKind::Lidarr, "lidarr")]).await;
    w.extra = "[seeding]\nratio = 0.0\ntime = \"off\"\n".into();
    let (hash, data) = w
        .add_complete("main", "partly.imported.album", "lidarr", &[])
        .await;
    // Lidarr wrote trackFileImported for some tracks only.
    w.arr("music").add_history(&hash, "trackFileImported");
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions_on(&summary, &hash).is_empty(), "{summary:#}");
    assert!(
        w.arr("music")
            .requests()
            .iter()
            .any(|r| r.path == "/api/v1/history"),
        "its history was read"
    );
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    assert!(data.exists());

    // The whole download imported; history is asked at most hourly, so forget the answer.
    w.arr("music").add_history(&hash, "downloadImported");
    let forget = w.sweeparr(&["state", "forget", &hash]).await;
    assert!(forget.status.success(), "{forget:?}");
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let remove = the_action(&summary, &hash, ("remove", "done"));
    assert!(text(remove, "reason").starts_with("imported; "), "{remove}");
    assert!(w.qbit("main").wait_for_gone(&hash, WAIT).await);
    assert!(wait_absent(&data).await, "files deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torrent_without_root_folder_gets_no_import_scan_of_the_save_folder() {
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let q = w.qbit("main");
    // Two files straight in the save folder, no folder of their own.
    let (file, flat) = make_torrent(
        &q.scratch_dir(),
        "flat.movie",
        &[("flat.movie.mkv", 40_000), ("flat.movie.nfo", 2_000)],
        &w.tracker.announce_url(),
        false,
    );
    for name in ["flat.movie.mkv", "flat.movie.nfo"] {
        std::fs::copy(
            q.scratch_dir().join("flat.movie").join(name),
            q.save_dir().join(name),
        )
        .unwrap();
    }
    w.add_torrent_with("main", &file, "radarr", &[("contentLayout", "NoSubfolder")])
        .await;
    let info = q
        .wait_for(
            &flat,
            |t| t["amount_left"] == 0 && t["state"].as_str().is_some_and(|s| s.ends_with("UP")),
            WAIT,
        )
        .await;
    let trim = |v: &Value| v.as_str().unwrap_or("").trim_end_matches('/').to_string();
    assert_eq!(
        trim(&info["content_path"]),
        trim(&info["save_path"]),
        "no root folder: {info}"
    );
    // A torrent with its own folder beside it, for comparison.
    let (rooted, rooted_data) = w
        .add_complete("main", "rooted.movie.mkv", "radarr", &[])
        .await;
    w.queue("movies", &flat, "importPending", vec![71]);
    w.queue("movies", &rooted, "importPending", vec![72]);

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let import = the_action(&summary, &flat, ("import", "skipped"));
    assert!(
        text(import, "error").contains("whole save folder"),
        "{import}"
    );
    assert_eq!(only_action(&summary, &rooted)["outcome"], "done");
    let scans = scan_commands(w.arr("movies"));
    assert_eq!(scans.len(), 1, "only the rooted torrent's scan: {scans:#?}");
    assert_eq!(scans[0].name, "DownloadedMoviesScan");
    assert_eq!(scans[0].body["path"], rooted_data.display().to_string());
    assert_eq!(scans[0].body["downloadClientId"], rooted.to_uppercase());
    assert!(
        scans
            .iter()
            .all(|c| c.body["downloadClientId"] != flat.to_uppercase()),
        "no scan for the folderless torrent"
    );
    assert!(w.arr("movies").in_queue(&flat));
    assert!(q.torrent_hashes().await.contains(&flat));
    assert!(q.save_dir().join("flat.movie.mkv").exists());
}
