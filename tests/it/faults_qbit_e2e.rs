//! Faults injected between the real binary and real qbittorrent-nox instances: a loopback
//! proxy in front of one instance answers errors, hangs, closes connections, cuts or garbles
//! bodies, forgets the session, or is slow. In every case the pass acts on nothing it could
//! not read, still processes the other instance, names the fault in the summary, exits 1,
//! and keeps that instance's records as they were; once the fault is gone, the next pass
//! acts normally. Faults that can be ridden out (slow answers, an expired session) are.
//!
//! The torrent list is one `sync/maindata` request. The version (`app/version`,
//! `app/webapiVersion`) is read only when none is remembered (a fresh state, or the
//! `instance#` record dropped), so faults on it are injected on such passes, and a pass with
//! the version remembered is checked not to ask for it at all.

use crate::helpers;

use std::time::Duration;

use helpers::fault_proxy::{Fault, FaultProxy, Rule};
use helpers::results::{entry, export, let_stall, torrents_of, writes};
use helpers::world::{World, actions};
use sweeparr::model::ArrKind;
use sweeparr::state::file::FileStore;
use sweeparr::state::{Record, Store};

/// Drops the version remembered for `instance` (its `instance#<name>` record) and nothing
/// else, as if the state were fresh for it: the next pass reads the version again. Panics
/// when no version was remembered.
async fn forget_version(w: &World, instance: &str) {
    let store = FileStore::open(&w.state_dir()).expect("open the state folder");
    let key = sweeparr::state::record::instance_pk(instance);
    match store.get(&key).await.expect("read the state") {
        Some(Record::Instance(_)) => {}
        other => panic!("no version remembered for {instance}: {other:?}"),
    }
    store
        .save(vec![], &[key])
        .await
        .expect("drop the instance record");
}

/// A torrent record without the runs of passes its clocks count (an unreachable instance
/// ends them, and keeps everything else).
fn without_runs(record: &serde_json::Value) -> serde_json::Value {
    let mut r = record.clone();
    if let Some(map) = r.as_object_mut() {
        for key in [
            "stalled_since",
            "eta_over_since",
            "unavailable_since",
            "downloading_since",
            "downloading_from",
        ] {
            map.remove(key);
        }
    }
    r
}

/// The version an exported state remembers for `instance`, if any.
fn remembered_version(records: &[serde_json::Value], instance: &str) -> Option<String> {
    records
        .iter()
        .find(|r| r["kind"] == "instance" && r["name"] == instance)
        .map(|r| r["version"].as_str().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_faults_leave_that_instance_untouched_and_the_other_processed() {
    let mut w = World::start(&["main", "box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    let on_box = w.add_stalled("box", "box.stalled.mkv", "radarr", &[]).await;

    // A first pass sees both instances; nothing has stalled for an hour yet.
    w.extra = "http_timeout = \"5s\"\n[health]\nstalled_after = \"1h\"\n".into();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(
        actions(&summary).iter().all(|a| a.0 != "fail"),
        "{summary:#}"
    );
    let records = export(&w).await;
    let before = torrents_of(&records, "box");
    assert_eq!(before.len(), 1, "the box torrent has a record");
    assert!(before[0]["stalled_since"].is_i64(), "its stall clock runs");
    let version = w.qbit("box").build().version.clone();
    assert_eq!(
        remembered_version(&records, "box").as_deref(),
        Some(version.as_str()),
        "the first pass remembers the version it read"
    );
    assert_eq!(proxy.count("app/version"), 1, "{:?}", proxy.requests());
    assert_eq!(proxy.count("app/webapiVersion"), 1);

    w.extra = "http_timeout = \"5s\"\n[health]\nstalled_after = \"1s\"\n".into();
    // Faults on the version come last: each runs with the version forgotten, so that it is
    // read, and leaves it unread for the cases after it.
    let cases: Vec<(&str, Rule, &[&str])> = vec![
        (
            "500 on sync/maindata",
            Rule::new("sync/maindata", Fault::status(500, "Internal Server Error")),
            &["sync/maindata", "HTTP 500"],
        ),
        (
            "no answer to sync/maindata",
            Rule::new("sync/maindata", Fault::Hang),
            &["sync/maindata", "unreachable", "timed out"],
        ),
        (
            "connection closed on sync/maindata",
            Rule::new("sync/maindata", Fault::Close),
            &["sync/maindata", "unreachable"],
        ),
        (
            "truncated sync/maindata",
            Rule::new("sync/maindata", Fault::Truncate),
            &["sync/maindata", "unreadable reply"],
        ),
        (
            "malformed sync/maindata",
            Rule::new("sync/maindata", Fault::Malformed),
            &["sync/maindata", "unreadable reply"],
        ),
        (
            "403 on auth/login (banned)",
            Rule::new(
                "auth/login",
                Fault::status(403, "Your IP address has been banned"),
            ),
            &["banned", "auth/login"],
        ),
        (
            "500 on app/version",
            Rule::new("app/version", Fault::status(500, "")),
            &["app/version", "HTTP 500"],
        ),
        (
            "truncated app/webapiVersion",
            Rule::new("app/webapiVersion", Fault::Truncate),
            &["app/webapiVersion"],
        ),
    ];
    let mut version_known = true;
    for (i, (what, rule, names)) in cases.into_iter().enumerate() {
        let version_fault = what.contains("app/");
        if version_fault && version_known {
            forget_version(&w, "box").await;
            version_known = false;
        }
        let on_main = w
            .add_stalled("main", &format!("main.stalled.{i}.mkv"), "radarr", &[])
            .await;
        proxy.set_rules(vec![rule]);
        // A first pass under the same fault starts the other instance's stall clock.
        w.watch().await;
        let_stall().await;
        proxy.clear_log();
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();

        assert_eq!(code, 1, "{what}: {summary:#}");
        assert_eq!(summary["status"], "partial", "{what}");
        let faulty = entry(&summary, "instances", "box");
        assert_eq!(faulty["reachable"], false, "{what}: {faulty}");
        let error = faulty["error"].as_str().unwrap_or("");
        assert!(
            error.contains("'box'"),
            "{what}: error names the instance: {error}"
        );
        for name in names {
            assert!(error.contains(name), "{what}: error says {name:?}: {error}");
        }
        eprintln!("{what}: {error}");
        assert_eq!(entry(&summary, "instances", "main")["reachable"], true);
        assert_eq!(
            actions(&summary),
            vec![("fail".into(), on_main.clone(), "done".into())],
            "{what}: only the other instance's torrent is failed"
        );
        assert!(writes(&proxy).is_empty(), "{what}: {:?}", writes(&proxy));
        assert!(
            proxy.faulted("") >= 1,
            "{what}: the fault was injected: {:?}",
            proxy.requests()
        );
        if what.contains("banned") {
            assert_eq!(proxy.count("auth/login"), 1, "{what}: a ban is not retried");
        }
        if version_fault {
            assert_eq!(
                (proxy.count("sync/maindata"), proxy.count("app/version")),
                (1, 1),
                "{what}: the list, then the version: {:?}",
                proxy.requests()
            );
            assert_eq!(
                remembered_version(&export(&w).await, "box"),
                None,
                "{what}: a version not read is not remembered"
            );
        } else {
            assert_eq!(
                proxy.count("app/"),
                0,
                "{what}: the remembered version is not read again: {:?}",
                proxy.requests()
            );
        }
        assert!(
            w.qbit("box").torrent_hashes().await.contains(&on_box),
            "{what}"
        );
        assert!(
            w.qbit("main")
                .wait_for_gone(&on_main, helpers::world::WAIT)
                .await,
            "{what}: the other instance's stalled torrent is gone"
        );
        let kept = torrents_of(&export(&w).await, "box");
        assert_eq!(
            kept.iter().map(without_runs).collect::<Vec<_>>(),
            before.iter().map(without_runs).collect::<Vec<_>>(),
            "{what}: the records of the faulty instance are kept as they were"
        );
        assert!(
            kept[0].get("stalled_since").is_none(),
            "{what}: but a pass that cannot see the torrent ends its stall run: {:?}",
            kept[0]
        );
    }

    // The fault gone, the next pass reads the version the faulty passes could not, and
    // starts the stall clock again: sweeparr did not watch the torrent while it could not
    // see it. The pass after acts on that instance as usual.
    proxy.clear_log();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert!(actions(&summary).is_empty(), "{summary:#}");
    assert_eq!(proxy.count("app/version"), 1, "{:?}", proxy.requests());
    assert_eq!(proxy.count("app/webapiVersion"), 1);
    let_stall().await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), on_box.clone(), "done".into())]
    );
    assert!(
        w.qbit("box")
            .wait_for_gone(&on_box, helpers::world::WAIT)
            .await
    );
    let records = export(&w).await;
    let after = torrents_of(&records, "box");
    assert_eq!(
        after[0]["progress_at"], before[0]["progress_at"],
        "no new bytes seen through the faulty passes"
    );
    assert_eq!(
        remembered_version(&records, "box").as_deref(),
        Some(version.as_str())
    );

    // With the version remembered, faults on it do not bite: the version is not asked for,
    // and a steady pass costs the instance exactly a login and the list.
    proxy.set_rules(vec![
        Rule::new("app/version", Fault::status(500, "")),
        Rule::new("app/webapiVersion", Fault::Truncate),
    ]);
    proxy.clear_log();
    let (code, summary) = w.run_json(&[]).await;
    proxy.clear_rules();
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    let steady = entry(&summary, "instances", "box");
    assert_eq!(steady["reachable"], true, "{steady}");
    assert_eq!(
        steady["version"],
        version.as_str(),
        "the remembered version: {steady}"
    );
    let sent: Vec<(String, String)> = proxy
        .requests()
        .into_iter()
        .map(|s| (s.method, s.target))
        .collect();
    assert_eq!(
        sent,
        [
            ("POST".to_string(), "/api/v2/auth/login".to_string()),
            ("GET".to_string(), "/api/v2/sync/maindata?rid=0".to_string()),
        ],
        "a steady pass: login and list, no version read"
    );
    assert_eq!(proxy.faulted(""), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_qbittorrent_within_the_timeout_is_reachable_and_acted_on() {
    let mut w = World::start(&["box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    w.extra = "http_timeout = \"5s\"\n[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("box", "slow.stalled.mkv", "radarr", &[])
        .await;
    w.watch().await;
    let_stall().await;
    // Every request waits 1 s before it reaches qBittorrent.
    proxy.set_rules(vec![Rule::new("", Fault::Delay(Duration::from_secs(1)))]);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(entry(&summary, "instances", "box")["reachable"], true);
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert!(proxy.faulted("sync/maindata") >= 1 && proxy.faulted("torrents/delete") == 1);
    assert!(
        w.qbit("box")
            .wait_for_gone(&hash, helpers::world::WAIT)
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_is_renewed_once_and_the_pass_goes_on() {
    let mut w = World::start(&["box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("box", "expired.mkv", "radarr", &[]).await;
    w.watch().await;
    let_stall().await;
    proxy.clear_log();
    // qBittorrent forgets the session once while listing and once while deleting.
    let forbidden = || Fault::status(403, "Forbidden");
    proxy.set_rules(vec![
        Rule::new("sync/maindata", forbidden()).nth(1),
        Rule::new("torrents/delete", forbidden()).nth(1),
    ]);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert_eq!(proxy.count("auth/login"), 3, "one login, one per expiry");
    assert_eq!(
        proxy.count("sync/maindata"),
        2,
        "the list repeated once after the new login"
    );
    assert_eq!(
        proxy.count("torrents/delete"),
        2,
        "the delete repeated once"
    );
    assert!(
        w.qbit("box")
            .wait_for_gone(&hash, helpers::world::WAIT)
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_faults_give_no_verdict_until_the_detail_is_read() {
    let mut w = World::start(&["box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    let q = w.qbit("box");
    let scratch = q.scratch_dir();
    let tracker = w.tracker.announce_url();

    // A torrent its tracker calls unregistered (only torrents/trackers tells).
    let (file, unregistered) =
        helpers::qbit::make_torrent(&scratch, "gone.mkv", &[("f", 64_000)], &tracker, false);
    w.tracker.set_unregistered(&unregistered);
    std::fs::remove_file(scratch.join("gone.mkv")).unwrap();
    q.add_torrent_file(&file, "radarr", &[], false).await;
    // A torrent shipping an .exe (only torrents/files tells).
    let (file, exe) = helpers::qbit::make_torrent(
        &scratch,
        "movie.with.exe",
        &[("movie.mkv", 64_000), ("setup.exe", 4_000)],
        &tracker,
        false,
    );
    std::fs::remove_dir_all(scratch.join("movie.with.exe")).unwrap();
    q.add_torrent_file(&file, "radarr", &[], false).await;
    q.wait_tracker_failed(&unregistered, None, helpers::world::WAIT)
        .await;

    for fault in [
        Fault::status(500, "Internal Server Error"),
        Fault::Close,
        Fault::Malformed,
        Fault::Truncate,
    ] {
        let name = fault.name();
        proxy.set_rules(vec![
            Rule::new("torrents/trackers", fault.clone()),
            Rule::new("torrents/files", fault),
        ]);
        proxy.clear_log();
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();
        assert!(
            proxy.faulted("torrents/trackers") >= 1 && proxy.faulted("torrents/files") >= 1,
            "{name}: both details were asked and faulted: {:?}",
            proxy.requests()
        );
        assert!(
            actions(&summary).iter().all(|a| a.0 != "fail"),
            "{name}: no verdict without the detail: {summary:#}"
        );
        assert!(
            writes(&proxy).iter().all(|w| !w.contains("delete")),
            "{name}"
        );
        let inst = entry(&summary, "instances", "box");
        assert_eq!(inst["reachable"], true, "{name}: {inst}");
        let error = inst["error"].as_str().unwrap_or("");
        eprintln!("detail {name}: {error}");
        assert!(
            error.contains("torrents/trackers") && error.contains("torrents/files"),
            "{name}: the summary names the unread details: {inst}"
        );
        assert_eq!(code, 1, "{name}: {summary:#}");
        assert_eq!(summary["status"], "partial", "{name}");
        let records = torrents_of(&export(&w).await, "box");
        let exe_record = records.iter().find(|r| r["hash"] == exe.as_str()).unwrap();
        assert_eq!(
            exe_record["files_checked"], false,
            "{name}: an unread file list does not count as checked"
        );
    }
    let hashes = q.torrent_hashes().await;
    assert!(hashes.contains(&unregistered) && hashes.contains(&exe));

    // Details readable again: both verdicts come. (They are not in the Arr's queue: the
    // direct deletion needs them seen absent on an earlier pass, and the clocks count epoch
    // seconds, so this pass must start in a later second than the first faulty one.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut got = actions(&summary);
    got.sort();
    let mut want = vec![
        ("fail".to_string(), unregistered.clone(), "done".to_string()),
        ("fail".to_string(), exe.clone(), "done".to_string()),
    ];
    want.sort();
    assert_eq!(got, want, "{summary:#}");
    let reasons: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("setup.exe")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("Unregistered")),
        "{reasons:?}"
    );
    assert!(q.wait_for_gone(&unregistered, helpers::world::WAIT).await);
    assert!(q.wait_for_gone(&exe, helpers::world::WAIT).await);
}
