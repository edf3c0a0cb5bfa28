//! What differs between the qBittorrent releases people run, end to end through the real
//! binary against the real build `SWEEPARR_QBT_BUILD` names (4.5, 5.1, Debian testing's):
//! what a steady pass costs, the API key, the version kept in state, and a tracker that
//! worked and then says the torrent is unregistered.

use crate::helpers;

use std::time::Duration;

use helpers::fault_proxy::FaultProxy;
use helpers::world::{World, actions, parse_summary, run_binary};
use serde_json::Value;
use sweeparr::model::ArrKind;

fn radarr() -> [(&'static str, ArrKind, &'static str); 1] {
    [("movies", ArrKind::Radarr, "radarr")]
}

/// The qBittorrent requests of one pass through `proxy`, by path (query left out).
fn paths(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .requests()
        .iter()
        .map(|s| s.target.split('?').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_pass_costs_a_login_and_one_list_request() {
    let mut w = World::start(&["main"], &radarr()).await;
    let proxy = FaultProxy::start(&w.qbit("main").url());
    w.routes.push((w.qbit("main").url(), proxy.url()));
    w.add_complete("main", "seeding.mkv", "radarr", &[]).await;
    w.add_stalled("main", "stalled.mkv", "radarr", &[]).await;

    // First pass: the version is read once and remembered in state.
    let (code, first) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{first:#}");
    let build = w.qbit("main").build();
    assert_eq!(first["instances"][0]["version"], build.version.as_str());
    let cold = paths(&proxy);
    for p in [
        "/api/v2/auth/login",
        "/api/v2/sync/maindata",
        "/api/v2/app/version",
    ] {
        assert!(cold.iter().any(|c| c == p), "{p} missing from {cold:?}");
    }
    assert!(
        !cold
            .iter()
            .any(|c| c.ends_with("torrents/info") || c.ends_with("categories")),
        "the list is one maindata request: {cold:?}"
    );

    eprintln!(
        "qBittorrent {} ({}): first pass {} requests: {cold:?}",
        build.name,
        build.version,
        cold.len()
    );

    // Steady pass: login + list, nothing else, and the version is still reported.
    proxy.clear_log();
    let (code, steady) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{steady:#}");
    assert_eq!(
        paths(&proxy),
        ["/api/v2/auth/login", "/api/v2/sync/maindata"],
        "{} ({})",
        build.name,
        build.version
    );
    assert_eq!(steady["instances"][0]["version"], build.version.as_str());
    assert_eq!(steady["instances"][0]["torrents"], 2);
    assert_eq!(steady["state"]["written"], 0, "{steady:#}");

    // The version is a record of its own in the state.
    let out = w.sweeparr(&["state", "export"]).await;
    let export = String::from_utf8_lossy(&out.stdout);
    let instance: Value = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["kind"] == "instance")
        .unwrap_or_else(|| panic!("no instance record in {export}"));
    assert_eq!(instance["name"], "main");
    assert_eq!(instance["version"], build.version.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_api_key_a_steady_pass_is_one_request() {
    let mut w = World::start(&["main"], &radarr()).await;
    let Some(key) = w.qbit("main").enable_api_key().await else {
        assert!(
            !w.qbit("main").build().at_least(5, 3),
            "this build should support API keys"
        );
        eprintln!(
            "qBittorrent {} has no API keys: nothing to check here",
            w.qbit("main").build().version
        );
        return;
    };
    let proxy = FaultProxy::start(&w.qbit("main").url());
    w.routes.push((w.qbit("main").url(), proxy.url()));
    let stalled = w.add_stalled("main", "stalled.mkv", "radarr", &[]).await;
    let config = w.dir.path().join("sweeparr.toml");
    let text = w.config_toml().replace(
        "username = \"admin\"\npassword = { env = \"QBIT_PASSWORD\" }",
        "api_key = { env = \"QBIT_API_KEY\" }",
    );
    assert!(text.contains("QBIT_API_KEY"), "{text}");
    std::fs::write(&config, text).unwrap();
    let env = [("QBIT_API_KEY", key.as_str())];

    let out = run_binary(&config, &["check"], &env).await;
    let check = String::from_utf8_lossy(&out.stdout);
    assert!(
        check.contains("API key"),
        "check says how it logs in: {check}"
    );
    assert!(!check.contains(&key), "{check}");

    let (code, first) =
        parse_summary(&run_binary(&config, &["run", "--output", "json"], &env).await);
    assert_eq!(code, 0, "{first:#}");
    assert!(!paths(&proxy).iter().any(|p| p.ends_with("auth/login")));
    proxy.clear_log();
    let (code, steady) =
        parse_summary(&run_binary(&config, &["run", "--output", "json"], &env).await);
    assert_eq!(code, 0, "{steady:#}");
    assert_eq!(paths(&proxy), ["/api/v2/sync/maindata"]);
    eprintln!(
        "qBittorrent {} with an API key: steady pass {:?}",
        w.qbit("main").build().version,
        paths(&proxy)
    );
    assert!(
        proxy
            .requests()
            .iter()
            .all(|s| s.header("authorization") == Some(&format!("Bearer {key}")[..])),
        "every request carries the key"
    );
    assert_eq!(steady["instances"][0]["torrents"], 1);
    assert!(w.qbit("main").torrent_hashes().await.contains(&stalled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_that_worked_and_then_says_unregistered_is_failed_within_two_passes() {
    let mut w = World::start(&["main"], &radarr()).await;
    // Builds before 5.2 do not flag tracker errors in the list: their tracker lists are read
    // again after tracker_recheck (1 s here, one hour by default).
    w.extra = "[health]\ntracker_recheck = \"1s\"\n".into();
    let q = w.qbit("main");
    let scratch = q.scratch_dir();
    let (file, hash) = helpers::qbit::make_torrent(
        &scratch,
        "once.mkv",
        &[("f", 64_000)],
        &w.tracker.announce_url(),
        false,
    );
    std::fs::remove_file(scratch.join("once.mkv")).unwrap();
    q.add_torrent_file(&file, "radarr", &[], false).await;
    q.wait_tracker_working(&hash, None, helpers::world::WAIT)
        .await;

    // Pass 1: the tracker works; nothing to do.
    let (code, first) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{first:#}");
    assert_eq!(actions(&first), vec![], "{first:#}");

    // The tracker now refuses the torrent (marked only now: qBittorrent may announce more
    // than once before the first pass, so a count of good answers would race it).
    w.tracker.set_unregistered(&hash);
    q.reannounce(&hash).await;
    q.wait_tracker_failed(&hash, None, helpers::world::WAIT)
        .await;
    // The premise: qBittorrent's `tracker` field still shows a URL (4.x/5.0: the last one
    // that worked, 5.1+: the first one), so it cannot tell the torrent is unregistered.
    let info = q.torrent_info(&hash).await.expect("torrent");
    assert!(
        !info["tracker"].as_str().unwrap_or_default().is_empty(),
        "{info:#}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Pass 2: failed.
    let (code, second) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{second:#}");
    assert_eq!(
        actions(&second),
        vec![("fail".into(), hash.clone(), "done".into())],
        "{} {second:#}",
        q.build().version
    );
    assert_eq!(
        second["actions"][0]["reason"],
        "tracker says: Unregistered torrent"
    );
    assert!(q.wait_for_gone(&hash, helpers::world::WAIT).await);
}
