//! The torrent side end to end, on real qbittorrent-nox: the free-space guard stops and
//! starts downloads, the file filters set file priorities. Each test checks what qBittorrent
//! holds afterwards, that a dry run changes nothing, and that a steady pass sends nothing.

use crate::helpers;

use helpers::fault_proxy::FaultProxy;
use helpers::qbit::QbitServer;
use helpers::results::writes;
use helpers::world::{WAIT, World, actions};
use serde_json::Value;
use sweeparr::model::ArrKind;

/// (kind, hash, outcome) of every action, sorted.
fn sorted_actions(summary: &Value) -> Vec<(String, String, String)> {
    let mut all = actions(summary);
    all.sort();
    all
}

fn done(kind: &str, hashes: &[&String]) -> Vec<(String, String, String)> {
    let each: Vec<(&str, &String)> = hashes.iter().map(|h| (kind, *h)).collect();
    outcomes("done", &each)
}

/// (kind, hash, `outcome`) of each (kind, hash), sorted as [`sorted_actions`] gives them.
fn outcomes(outcome: &str, actions: &[(&str, &String)]) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = actions
        .iter()
        .map(|(kind, h)| (kind.to_string(), h.to_string(), outcome.to_string()))
        .collect();
    all.sort();
    all
}

async fn state_of(q: &QbitServer, hash: &str) -> String {
    let info = q.torrent_info(hash).await.expect("torrent still there");
    info["state"].as_str().unwrap_or_default().to_string()
}

/// A pass that changes nothing: exit 0, no action, no write to qBittorrent, and (when given)
/// that many requests to an endpoint.
async fn quiet_pass(w: &World, proxy: &FaultProxy, reads: Option<(&str, usize)>) {
    proxy.clear_log();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(sorted_actions(&summary), vec![], "{summary:#}");
    if let Some((endpoint, n)) = reads {
        assert_eq!(proxy.count(endpoint), n, "{endpoint}");
    }
    assert!(writes(proxy).is_empty(), "{:?}", writes(proxy));
}

/// A world of one instance behind a counting proxy and one Radarr.
async fn world() -> (World, FaultProxy) {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("main").url());
    w.routes.push((w.qbit("main").url(), proxy.url()));
    (w, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_space_guard_stops_downloads_and_starts_exactly_those_again() {
    let (mut w, proxy) = world().await;
    let a = w.add_stalled("main", "space-a", "radarr", &[]).await;
    let b = w.add_stalled("main", "space-b", "radarr", &[]).await;
    let by_hand = w.add_stalled("main", "space-user", "radarr", &[]).await;
    let other = w.add_stalled("main", "space-linux", "linux", &[]).await;
    w.qbit("main").stop_torrents(&by_hand).await;
    let stopped = w.qbit("main").stopped_state(false);
    w.qbit("main")
        .wait_for_state(&by_hand, &[stopped], WAIT)
        .await;

    // More than any disk has: every running download of the Arr's category is stopped.
    w.extra = "[space]\nmin_free = \"1000TiB\"\n".into();
    let (code, summary) = w.run_json(&["--dry-run"]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        sorted_actions(&summary),
        outcomes("planned", &[("pause", &a), ("pause", &b)]),
        "{summary:#}"
    );
    assert!(writes(&proxy).is_empty(), "{:?}", writes(&proxy));
    assert_eq!(state_of(w.qbit("main"), &a).await, "stalledDL");

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(sorted_actions(&summary), done("pause", &[&a, &b]));
    let reason = summary["actions"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("< min_free 1000.0 TiB"),
        "the reason gives the figures: {reason}"
    );
    for h in [&a, &b] {
        w.qbit("main").wait_for_state(h, &[stopped], WAIT).await;
        assert!(
            w.qbit("main")
                .tags_of(h)
                .await
                .contains(&"sweeparr-space".to_string())
        );
    }
    // Stopped by hand, or not the Arr's: untouched.
    assert!(w.qbit("main").tags_of(&by_hand).await.is_empty());
    assert_eq!(state_of(w.qbit("main"), &other).await, "stalledDL");

    // Nothing changed: nothing is sent.
    quiet_pass(&w, &proxy, None).await;

    // Room again: the two the guard stopped start and lose the tag; the one stopped by hand
    // stays stopped.
    w.extra = "[space]\nmin_free = \"1MiB\"\nresume_margin = \"1MiB\"\n".into();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(sorted_actions(&summary), done("resume", &[&a, &b]));
    for h in [&a, &b] {
        w.qbit("main")
            .wait_for_state(h, &["stalledDL", "downloading", "queuedDL"], WAIT)
            .await;
        assert!(w.qbit("main").tags_of(h).await.is_empty(), "untagged");
    }
    assert_eq!(state_of(w.qbit("main"), &by_hand).await, stopped);

    quiet_pass(&w, &proxy, None).await;
}

/// (name, priority) of every file of a torrent, by name.
async fn priorities(q: &QbitServer, hash: &str) -> Vec<(String, i64)> {
    let files = q.get_json("torrents/files", &[("hash", hash)]).await;
    let mut out: Vec<(String, i64)> = files
        .as_array()
        .expect("file list")
        .iter()
        .map(|f| {
            let name = f["name"].as_str().unwrap_or_default();
            let short = name.split_once('/').map_or(name, |(_, rest)| rest);
            (short.to_string(), f["priority"].as_i64().unwrap_or(-1))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwanted_files_are_not_downloaded_and_a_torrent_without_a_wanted_file_fails() {
    let (mut w, proxy) = world().await;
    let movie = w
        .add_stalled_files(
            "main",
            "Filtered.Movie",
            "radarr",
            &[],
            &[
                ("Movie.mkv", 64_000),
                ("Sample/movie-sample.mkv", 32_000),
                ("movie.NFO", 500),
            ],
        )
        .await;
    let junk = w
        .add_stalled_files(
            "main",
            "Only.Junk",
            "radarr",
            &[],
            &[("notes.nfo", 500), ("Sample/x.mkv", 32_000)],
        )
        .await;
    w.queue("movies", &junk, "downloading", vec![41]);
    w.extra = "[health]\nexclude_files = [\"*sample*\", \"*.nfo\"]\n".into();
    let all_on = vec![
        ("Movie.mkv".to_string(), 1),
        ("Sample/movie-sample.mkv".to_string(), 1),
        ("movie.NFO".to_string(), 1),
    ];

    let (code, summary) = w.run_json(&["--dry-run"]).await;
    assert_eq!(code, 0, "{summary:#}");
    let kinds: Vec<_> = sorted_actions(&summary)
        .into_iter()
        .map(|(kind, hash, _)| (kind, hash))
        .collect();
    let mut want = vec![
        ("deselect".to_string(), movie.clone()),
        ("fail".to_string(), junk.clone()),
    ];
    want.sort();
    assert_eq!(kinds, want, "{summary:#}");
    assert_eq!(priorities(w.qbit("main"), &movie).await, all_on);
    assert!(writes(&proxy).is_empty(), "{:?}", writes(&proxy));

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut want = done("deselect", &[&movie]);
    want.extend(done("fail", &[&junk]));
    want.sort();
    assert_eq!(sorted_actions(&summary), want, "{summary:#}");
    let deselect = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "deselect")
        .unwrap();
    assert_eq!(
        deselect["reason"],
        "not wanted: Filtered.Movie/Sample/movie-sample.mkv (exclude_files \"*sample*\"), \
         Filtered.Movie/movie.NFO (exclude_files \"*.nfo\")"
    );
    assert_eq!(
        priorities(w.qbit("main"), &movie).await,
        vec![
            ("Movie.mkv".to_string(), 1),
            ("Sample/movie-sample.mkv".to_string(), 0),
            ("movie.NFO".to_string(), 0),
        ]
    );
    // Failed through the Arr: blocklisted, and gone from qBittorrent with its files.
    let fail = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "fail")
        .unwrap();
    assert!(
        fail["reason"]
            .as_str()
            .unwrap()
            .starts_with("no wanted file"),
        "{fail:#}"
    );
    assert!(
        w.arr("movies")
            .blocklist()
            .iter()
            .any(|b| b.download_id.as_deref() == Some(junk.to_ascii_uppercase().as_str()))
    );
    assert!(
        w.qbit("main").wait_for_gone(&junk, WAIT).await,
        "failed torrent removed"
    );

    // The next pass reads the list again, finds it as it should be and sends nothing; the
    // one after reads nothing.
    quiet_pass(&w, &proxy, Some(("torrents/files", 1))).await;
    quiet_pass(&w, &proxy, Some(("torrents/files", 0))).await;
}

async fn category_of(q: &QbitServer, hash: &str) -> String {
    let info = q.torrent_info(hash).await.expect("torrent still there");
    info["category"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torrents_moved_into_the_trigger_categories_are_failed_or_rechecked() {
    let (mut w, proxy) = world().await;
    w.extra = "failed_category = \"failed\"\nrecheck_category = \"recheck\"\n".into();
    let bad = w.add_stalled("main", "trigger-bad", "radarr", &[]).await;
    let again = w.add_stalled("main", "trigger-again", "radarr", &[]).await;
    w.queue("movies", &bad, "downloading", vec![31]);
    w.queue("movies", &again, "downloading", vec![32]);

    // The first pass remembers which Arr each torrent is for, and makes the categories a
    // user picks in qBittorrent.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let names = w.qbit("main").category_names().await;
    assert!(
        names.contains(&"failed".to_string()) && names.contains(&"recheck".to_string()),
        "{names:?}"
    );

    // By hand, in qBittorrent: one marked failed, one to recheck. The Arr's queue, which
    // lists its own category only, drops the first.
    for (hash, category) in [(&bad, "failed"), (&again, "recheck")] {
        w.qbit("main")
            .post_ok(
                "torrents/setCategory",
                &[("hashes", hash.as_str()), ("category", category)],
            )
            .await;
    }
    assert!(w.arr("movies").drop_download(&bad));
    let grab = w
        .arr("movies")
        .history()
        .iter()
        .find(|h| {
            h.event_type == "grabbed" && h.download_id.as_deref() == Some(&bad.to_ascii_uppercase())
        })
        .map(|h| h.id)
        .expect("the grab of the release");

    let (code, summary) = w.run_json(&["--dry-run"]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        sorted_actions(&summary),
        outcomes("planned", &[("fail", &bad), ("recheck", &again)]),
        "{summary:#}"
    );
    assert!(w.arr("movies").marked_failed().is_empty());
    assert_eq!(category_of(w.qbit("main"), &again).await, "recheck");

    proxy.clear_log();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut want = done("fail", &[&bad]);
    want.extend(done("recheck", &[&again]));
    want.sort();
    assert_eq!(sorted_actions(&summary), want, "{summary:#}");
    // Failed through the Arr: its grab marked failed (blocklisted, searched again), the
    // torrent deleted.
    assert_eq!(w.arr("movies").marked_failed(), vec![grab]);
    assert!(
        w.arr("movies")
            .blocklist()
            .iter()
            .any(|b| b.download_id.as_deref() == Some(bad.to_ascii_uppercase().as_str()))
    );
    assert!(w.arr("movies").searches().contains(&31));
    assert!(w.qbit("main").wait_for_gone(&bad, WAIT).await);
    // Rechecked, and back in the Arr's category.
    assert_eq!(proxy.count("torrents/recheck"), 1);
    assert_eq!(category_of(w.qbit("main"), &again).await, "radarr");

    quiet_pass(&w, &proxy, None).await;
}

/// Writes `path` (and its folders) and dates it `age` back.
fn old_file(path: &std::path::Path, age: std::time::Duration) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"left behind").unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphaned_files_are_moved_to_the_recycle_folder_and_nothing_a_torrent_uses_is() {
    const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);
    let (mut w, _proxy) = world().await;
    let root = w.qbit("main").save_dir();
    let (seeding, data) = w
        .add_seeding(
            "main",
            "Kept.Movie",
            "misc",
            &[],
            &[("movie.mkv", 40_000), ("extras/a.txt", 100)],
            false,
        )
        .await;
    // Beside the torrent: two orphans, one too recent. Inside its folder: a file the
    // torrent does not list, never an orphan (the torrent may still write there).
    old_file(&root.join("old.mkv"), 3 * DAY);
    old_file(&root.join("sub/older.nfo"), 9 * DAY);
    old_file(&root.join("fresh.mkv"), std::time::Duration::from_secs(60));
    old_file(&data.join("not-in-torrent.txt"), 9 * DAY);
    let recycle = w.dir.path().join("recycle");
    let section = format!(
        "[orphans]\nroots = [\"{}\"]\nrecycle = \"{}\"\nmin_age = \"1d\"\npurge_after = \"30d\"\n",
        root.display(),
        recycle.display()
    );
    w.extra = section.clone();

    let (code, summary) = w.run_json(&["--dry-run"]).await;
    assert_eq!(code, 0, "{summary:#}");
    let planned: Vec<(String, String)> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "recycle")
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        vec![
            ("sub/older.nfo".to_string(), "planned".to_string()),
            ("old.mkv".to_string(), "planned".to_string())
        ],
        "{summary:#}"
    );
    assert_eq!(summary["orphans"]["roots"][0]["found"], 2);
    assert!(root.join("old.mkv").exists() && !recycle.exists());

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(
        summary["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == "recycle")
            .all(|a| a["outcome"] == "done"),
        "{summary:#}"
    );
    let today = sweeparr::orphans::day(std::time::SystemTime::now());
    let below = |p: &std::path::Path| -> std::path::PathBuf {
        recycle.join(&today).join(p.strip_prefix("/").unwrap())
    };
    for moved in ["old.mkv", "sub/older.nfo"] {
        assert!(!root.join(moved).exists(), "{moved} moved away");
        assert_eq!(
            std::fs::read(below(&root.join(moved))).unwrap(),
            b"left behind",
            "{moved} in the recycle folder"
        );
    }
    assert!(root.join("fresh.mkv").exists());
    assert!(data.join("not-in-torrent.txt").exists());
    assert!(data.join("movie.mkv").exists() && data.join("extras/a.txt").exists());
    assert!(w.qbit("main").torrent_info(&seeding).await.is_some());

    // Nothing left to move; a recycle folder older than purge_after goes.
    old_file(&recycle.join("2000-01-01/x/y.bin"), DAY);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        sorted_actions(&summary),
        vec![("purge".to_string(), String::new(), "done".to_string())]
    );
    assert!(!recycle.join("2000-01-01").exists());
    assert!(recycle.join(&today).exists(), "today's folder stays");

    // An instance that cannot be read: its torrents are unknown, so nothing is moved.
    old_file(&root.join("another.mkv"), 3 * DAY);
    w.extra = format!(
        "{section}\n[qbit.gone]\nurl = \"http://127.0.0.1:{}\"\n",
        helpers::qbit::free_port()
    );
    let (_, summary) = w.run_json(&[]).await;
    assert!(
        summary["orphans"]["skipped"]
            .as_str()
            .is_some_and(|s| s.contains("instance gone is unreachable")),
        "{summary:#}"
    );
    assert!(
        summary["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] != "recycle"),
        "{summary:#}"
    );
    assert!(root.join("another.mkv").exists());
}

/// Every tracker URL of a torrent (DHT, PeX, LSD left out).
async fn tracker_urls(q: &QbitServer, hash: &str) -> Vec<String> {
    let mut urls: Vec<String> = q
        .trackers_of(hash)
        .await
        .iter()
        .filter_map(|t| t["url"].as_str())
        .filter(|u| u.contains("://"))
        .map(str::to_string)
        .collect();
    urls.sort();
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_entry_brings_tags_limits_and_trackers_in_place_once() {
    let (mut w, proxy) = world().await;
    let hash = w.add_stalled("main", "upkeep", "radarr", &[]).await;
    let first = w.tracker.announce_url();
    w.qbit("main")
        .wait_tracker_working(&hash, Some(&first), WAIT)
        .await;
    let second = format!("{first}?second=1");
    let stale = first.replace("/announce", "/gone/announce");
    w.qbit("main")
        .post_ok(
            "torrents/addTrackers",
            &[("hash", hash.as_str()), ("urls", stale.as_str())],
        )
        .await;
    w.extra = format!(
        "[[tracker]]\nhost = \"127.0.0.1\"\nadd = [\"{second}\"]\nremove = [\"*/gone/*\"]\n\
         tags = [\"loopback\"]\nup_limit = \"100KiB/s\"\n"
    );
    let mut before = vec![first.clone(), stale.clone()];
    before.sort();
    assert_eq!(tracker_urls(w.qbit("main"), &hash).await, before);

    let upkeep = |summary: &Value| -> Vec<(String, String)> {
        let mut got: Vec<(String, String)> = summary["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| ["tag", "limit", "trackers"].contains(&a["kind"].as_str().unwrap()))
            .map(|a| {
                (
                    a["kind"].as_str().unwrap().to_string(),
                    a["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        got
    };
    let (code, summary) = w.run_json(&["--dry-run"]).await;
    assert_eq!(code, 0, "{summary:#}");
    let planned = |outcome: &str| {
        ["limit", "tag", "trackers"]
            .iter()
            .map(|k| (k.to_string(), outcome.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(upkeep(&summary), planned("planned"), "{summary:#}");
    assert!(writes(&proxy).is_empty(), "{:?}", writes(&proxy));

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(upkeep(&summary), planned("done"), "{summary:#}");
    assert!(
        w.qbit("main")
            .tags_of(&hash)
            .await
            .contains(&"loopback".to_string())
    );
    let info = w.qbit("main").torrent_info(&hash).await.unwrap();
    assert_eq!(info["up_limit"], 102_400, "{info:#}");
    let mut after = vec![first.clone(), second.clone()];
    after.sort();
    assert_eq!(tracker_urls(w.qbit("main"), &hash).await, after);

    // The list is read once more to confirm, then never again; nothing is sent.
    quiet_pass(&w, &proxy, Some(("torrents/trackers", 1))).await;
    quiet_pass(&w, &proxy, Some(("torrents/trackers", 0))).await;
}
