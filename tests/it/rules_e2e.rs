//! User rules end to end: the real binary against real qbittorrent-nox. Every test checks
//! what qBittorrent holds afterwards (tags, states, categories, limits, torrents and files
//! on disk), not only the summary.

use crate::helpers;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use helpers::world::{WAIT, World, actions, parse_summary};

async fn seed(w: &World, name: &str, category: &str, tags: &[&str]) -> (String, PathBuf) {
    w.add_seeding("main", name, category, tags, &[("f", 40_000)], false)
        .await
}

async fn world(rules: &str) -> World {
    let mut w = World::start(&["main"], &[]).await;
    w.extra = rules.to_string();
    w
}

/// (kind, hash) of every action with the given outcome.
fn with_outcome(summary: &serde_json::Value, outcome: &str) -> Vec<(String, String)> {
    let mut got: Vec<_> = actions(summary)
        .into_iter()
        .filter(|a| a.2 == outcome)
        .map(|a| (a.0, a.1))
        .collect();
    got.sort();
    got
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_tags_another_stops_and_the_next_pass_is_quiet() {
    let w = world(
        r#"
[[rule]]
name = "distro"
when = "category == 'linux'"
then = ["tag:distro"]

[[rule]]
name = "stop-big"
when = "name.startsWith('big')"
then = ["stop"]
"#,
    )
    .await;
    let (linux, _) = seed(&w, "linux.iso", "linux", &[]).await;
    let (big, _) = seed(&w, "big.file", "misc", &[]).await;
    let (plain, _) = seed(&w, "plain.file", "misc", &[]).await;
    let (kept, _) = seed(&w, "kept.iso", "linux", &["sweeparr-keep"]).await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        with_outcome(&summary, "done"),
        sorted(vec![
            ("stop".into(), big.clone()),
            ("tag".into(), linux.clone())
        ])
    );
    let reasons: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"rule \"distro\": tag distro"),
        "{reasons:?}"
    );
    assert!(reasons.contains(&"rule \"stop-big\": stop"), "{reasons:?}");

    let q = w.qbit("main");
    assert_eq!(q.tags_of(&linux).await, vec!["distro".to_string()]);
    assert!(q.tags_of(&plain).await.is_empty());
    assert_eq!(
        q.tags_of(&kept).await,
        vec!["sweeparr-keep".to_string()],
        "protected"
    );
    q.wait_for_state(&big, &["pausedUP", "stoppedUP"], WAIT)
        .await;
    let plain_state = q.torrent_info(&plain).await.unwrap()["state"].clone();
    assert!(
        plain_state.as_str().unwrap().ends_with("UP")
            && !plain_state.as_str().unwrap().starts_with("paused"),
        "{plain_state}"
    );

    // Tag there, torrent stopped: nothing left to do.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).is_empty(), "{summary:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_rule_removes_only_what_it_matches() {
    let w = world(
        r#"
[[rule]]
name = "purge-old-linux"
when = "category == 'linux' && 'old' in tags && seeding_time >= 0"
then = ["delete_files"]

[[rule]]
name = "drop-old-misc"
when = "category == 'misc' && 'old' in tags"
then = ["delete"]
"#,
    )
    .await;
    let (old_linux, old_linux_data) = seed(&w, "old.linux.iso", "linux", &["old"]).await;
    let (new_linux, new_linux_data) = seed(&w, "new.linux.iso", "linux", &[]).await;
    let (old_misc, old_misc_data) = seed(&w, "old.misc.file", "misc", &["old"]).await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        with_outcome(&summary, "done"),
        sorted(vec![
            ("delete".into(), old_linux.clone()),
            ("delete".into(), old_misc.clone())
        ])
    );
    let q = w.qbit("main");
    assert!(q.wait_for_gone(&old_linux, WAIT).await);
    assert!(q.wait_for_gone(&old_misc, WAIT).await);
    assert!(q.torrent_hashes().await.contains(&new_linux));
    wait_until("files of the purged torrent deleted", async || {
        !old_linux_data.exists()
    })
    .await;
    assert!(old_misc_data.exists(), "delete keeps the files");
    assert!(new_linux_data.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_rule_runs_only_when_a_hash_is_given() {
    let w = world(
        r#"
[[rule]]
name = "on-finish"
when = "complete"
then = ["tag:hooked"]
context = "finished"
"#,
    )
    .await;
    let (a, _) = seed(&w, "hook.a", "linux", &[]).await;
    let (b, _) = seed(&w, "hook.b", "linux", &[]).await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).is_empty(), "{summary:#}");
    assert!(w.qbit("main").tags_of(&a).await.is_empty());

    let (code, summary) = w.run_json(&["--hash", &a.to_uppercase()]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        with_outcome(&summary, "done"),
        vec![("tag".into(), a.clone())]
    );
    assert_eq!(w.qbit("main").tags_of(&a).await, vec!["hooked".to_string()]);
    assert!(w.qbit("main").tags_of(&b).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_plans_rule_actions_and_changes_nothing() {
    let w = world(
        r#"
[[rule]]
name = "tagger"
when = "name == 'dry.tag'"
then = ["tag:x", "category:archive"]

[[rule]]
name = "stopper"
when = "name == 'dry.stop'"
then = ["stop"]

[[rule]]
name = "deleter"
when = "name == 'dry.delete'"
then = ["delete_files"]
"#,
    )
    .await;
    let (tag, _) = seed(&w, "dry.tag", "linux", &[]).await;
    let (stop, _) = seed(&w, "dry.stop", "linux", &[]).await;
    let (delete, delete_data) = seed(&w, "dry.delete", "linux", &[]).await;

    for args in [
        vec!["plan", "--output", "json"],
        vec!["run", "--dry-run", "--output", "json"],
    ] {
        let (code, summary) = parse_summary(&w.sweeparr(&args).await);
        assert_eq!(code, 0, "{summary:#}");
        assert_eq!(summary["dry_run"], true);
        assert_eq!(
            with_outcome(&summary, "planned"),
            sorted(vec![
                ("delete".into(), delete.clone()),
                ("set_category".into(), tag.clone()),
                ("stop".into(), stop.clone()),
                ("tag".into(), tag.clone()),
            ])
        );
    }
    let q = w.qbit("main");
    assert!(q.tags_of(&tag).await.is_empty());
    assert_eq!(q.torrent_info(&tag).await.unwrap()["category"], "linux");
    assert!(!q.category_names().await.contains(&"archive".to_string()));
    let state = q.torrent_info(&stop).await.unwrap()["state"].clone();
    assert!(!state.as_str().unwrap().starts_with("paused"), "{state}");
    assert!(q.torrent_hashes().await.contains(&delete));
    assert!(delete_data.exists());
    let export = w.sweeparr(&["state", "export"]).await;
    assert!(export.stdout.is_empty(), "no record written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_deletions_count_for_the_circuit_breaker() {
    let w = world(
        r#"max_deletions = 1
[[rule]]
name = "purge"
when = "category == 'linux'"
then = ["delete_files"]
"#,
    )
    .await;
    let (a, a_data) = seed(&w, "cb.a", "linux", &[]).await;
    let (b, _) = seed(&w, "cb.b", "linux", &[]).await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 1, "{summary:#}");
    assert_eq!(summary["status"], "circuit_open");
    assert_eq!(
        with_outcome(&summary, "skipped"),
        sorted(vec![
            ("delete".into(), a.clone()),
            ("delete".into(), b.clone())
        ])
    );
    let left = w.qbit("main").torrent_hashes().await;
    assert!(left.contains(&a) && left.contains(&b));
    assert!(a_data.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untag_category_share_limits_and_reannounce_reach_qbittorrent() {
    let w = world(
        r#"
[[rule]]
name = "archive"
when = "category == 'linux' && seeds >= 0"
then = ["untag:new", "category:archive",
        { share_limits = { ratio = 1.5, seeding_time = "2h" } }, "reannounce"]
"#,
    )
    .await;
    let (hash, _) = seed(&w, "archive.me", "linux", &["new", "other"]).await;
    let announces = || {
        w.tracker
            .announced()
            .into_iter()
            .filter(|h| h == &hash)
            .count()
    };
    wait_until("first announce", async || announces() >= 1).await;
    let before = announces();

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut kinds: Vec<String> = actions(&summary)
        .into_iter()
        .map(|a| {
            assert_eq!(a.2, "done", "{summary:#}");
            a.0
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["reannounce", "set_category", "share_limits", "untag"]
    );
    let q = w.qbit("main");
    let info = q.torrent_info(&hash).await.unwrap();
    assert_eq!(info["category"], "archive", "category created and set");
    assert_eq!(info["ratio_limit"], 1.5);
    assert_eq!(info["seeding_time_limit"], 120);
    assert_eq!(q.tags_of(&hash).await, vec!["other".to_string()]);
    wait_until("reannounced", async || announces() > before).await;

    // Now in "archive", the rule no longer matches.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).is_empty(), "{summary:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_flag_and_file_names_are_read_on_qbittorrent_4() {
    let w = world(
        r#"
[[rule]]
name = "public-with-nfo"
when = "private == false && files.exists(f, f.endsWith('.nfo'))"
then = ["tag:public-nfo"]
"#,
    )
    .await;
    let files = [("movie.mkv", 30_000), ("info.nfo", 500)];
    let (public, _) = w
        .add_seeding("main", "pub.release", "misc", &[], &files, false)
        .await;
    let (private, _) = w
        .add_seeding("main", "priv.release", "misc", &[], &files, true)
        .await;
    let (no_nfo, _) = w
        .add_seeding(
            "main",
            "pub.plain",
            "misc",
            &[],
            &[("a.mkv", 30_000), ("b.mkv", 30_000)],
            false,
        )
        .await;

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        with_outcome(&summary, "done"),
        vec![("tag".into(), public.clone())]
    );
    let q = w.qbit("main");
    assert_eq!(q.tags_of(&public).await, vec!["public-nfo".to_string()]);
    assert!(q.tags_of(&private).await.is_empty());
    assert!(q.tags_of(&no_nfo).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_that_does_not_compile_exits_2_naming_the_rule() {
    let w = world(
        r#"
[[rule]]
name = "broken"
when = "ratio > && size"
then = ["stop"]
"#,
    )
    .await;
    let (hash, _) = seed(&w, "untouched", "linux", &[]).await;
    let out = w.sweeparr(&["run", "--output", "json"]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rule[broken].when"), "{stderr}");
    assert!(stderr.contains("does not compile"), "{stderr}");
    let state = w.qbit("main").torrent_info(&hash).await.unwrap()["state"].clone();
    assert!(!state.as_str().unwrap().starts_with("paused"), "{state}");
}
