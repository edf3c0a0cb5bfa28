//! The pass deadline against slow servers: with `deadline = "12s"` acting stops 5 s before it
//! (`SAVE_RESERVE`), so of six deletes that each take 2 s to reach the server only the first
//! few are sent. The pass still ends before its deadline with status `partial`, saves every
//! outcome (no intent left behind), releases the lease, and the next pass, started at once,
//! finishes the job without repeating anything.
//!
//! Timing is asserted on bounds with wide margins, never on exact values.

use crate::helpers;

use std::time::{Duration, Instant};

use helpers::fault_proxy::{Fault, FaultProxy, Rule};
use helpers::results::assert_nothing_done;
use helpers::world::{World, parse_summary, run_binary};
use serde_json::Value;
use sweeparr::model::ArrKind;
use sweeparr::state::dynamo::DynamoStore;
use sweeparr::state::{Record, Store};

/// The pass deadline of these tests.
const DEADLINE: Duration = Duration::from_secs(12);
/// How long each delete waits in the proxy before it reaches the server.
const SLOW: Duration = Duration::from_secs(2);
/// Stalled torrents to fail.
const TORRENTS: usize = 6;
/// Most deletes that can start in the acting window (deadline − 5 s save reserve).
const MOST_SENT: usize = 4;

fn extra() -> String {
    format!(
        "deadline = \"{}s\"\nhttp_timeout = \"10s\"\n[health]\nstalled_after = \"1s\"\n",
        DEADLINE.as_secs()
    )
}

/// Adds the stalled torrents (queued in the Arr when `queued`), runs a first pass with `env`
/// (it starts their stall clocks and, for those the Arr does not hold, their absence from its
/// queue) and waits past the threshold.
async fn stalled_torrents(w: &World, queued: bool, env: &[(String, String)]) -> Vec<String> {
    let mut hashes = vec![];
    for i in 0..TORRENTS {
        let hash = w
            .add_stalled("main", &format!("deadline.{i}.mkv"), "radarr", &[])
            .await;
        if queued {
            w.queue("movies", &hash, "downloading", vec![i as i64 + 1]);
        }
        hashes.push(hash);
    }
    let (code, summary, _) = timed_run(w, env).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_nothing_done(&summary);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    hashes
}

/// Runs one pass with `env`; returns exit code, summary and wall time of the process.
async fn timed_run(w: &World, env: &[(String, String)]) -> (i32, Value, Duration) {
    let config = w.write_config();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let started = Instant::now();
    let out = run_binary(&config, &["run", "--output", "json"], &env).await;
    let took = started.elapsed();
    let (code, summary) = parse_summary(&out);
    (code, summary, took)
}

/// Checks the summary of the pass that ran into its deadline; returns the hashes done.
fn check_deadline_summary(summary: &Value, code: i32, took: Duration) -> Vec<String> {
    eprintln!(
        "pass took {} ms (process {took:?}); actions: {}",
        summary["duration_ms"],
        serde_json::to_string(&summary["actions"]).unwrap()
    );
    assert_eq!(code, 1, "{summary:#}");
    assert_eq!(summary["status"], "partial");
    let duration = summary["duration_ms"].as_u64().unwrap();
    assert!(
        duration < DEADLINE.as_millis() as u64,
        "the pass ended before its deadline: {duration} ms"
    );
    assert!(
        took < DEADLINE + Duration::from_secs(8),
        "the process ended soon after: {took:?}"
    );
    let acts = summary["actions"].as_array().unwrap();
    assert_eq!(acts.len(), TORRENTS, "{summary:#}");
    let mut done = vec![];
    for a in acts {
        assert_eq!(a["kind"], "fail");
        match (a["outcome"].as_str().unwrap(), a["error"].as_str()) {
            ("done", _) => done.push(a["hash"].as_str().unwrap().to_string()),
            ("skipped", Some("deadline reached"))
            | ("failed", Some("deadline reached while sending")) => {}
            other => panic!("unexpected outcome {other:?} in {a}"),
        }
    }
    assert!(
        done.len() < TORRENTS && done.len() <= MOST_SENT,
        "acting stopped at the deadline: {} done",
        done.len()
    );
    done
}

/// Torrent records as exported: (hash, removed, intent left).
fn torrent_records(records: &[Record]) -> Vec<(String, bool, bool)> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Torrent(t) => {
                Some((t.hash.clone(), t.removed_at.is_some(), t.intent.is_some()))
            }
            _ => None,
        })
        .collect()
}

/// Checks the saved state after the deadline pass: every torrent recorded, the done ones
/// marked removed, no intent left, the run recorded, no lease.
fn check_saved(records: &[Record], hashes: &[String], done: &[String]) {
    let torrents = torrent_records(records);
    assert_eq!(torrents.len(), TORRENTS, "{torrents:?}");
    for (hash, removed, intent) in &torrents {
        assert!(hashes.contains(hash));
        assert!(!intent, "outcome of {hash} saved, intent cleared");
        assert_eq!(*removed, done.contains(hash), "{hash}: removed_at iff done");
    }
    assert!(
        records.iter().any(
            |r| matches!(r, Record::Run(run) if run.status == sweeparr::model::RunStatus::Partial)
        ),
        "the run is recorded as partial"
    );
    assert!(
        !records.iter().any(|r| matches!(r, Record::Lease(_))),
        "the lease is released"
    );
}

/// Parses `state export` output.
fn parse_export(stdout: &[u8]) -> Vec<Record> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record per line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_arr_deletes_stop_at_the_deadline_then_state_is_saved_and_the_lease_released() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.arr("movies").url());
    w.routes.push((w.arr("movies").url(), proxy.url()));
    w.extra = extra();
    let hashes = stalled_torrents(&w, true, &[]).await;
    proxy.set_rules(vec![
        Rule::new("/queue/", Fault::Delay(SLOW)).method("DELETE"),
    ]);

    let (code, summary, took) = timed_run(&w, &[]).await;
    let done = check_deadline_summary(&summary, code, took);
    let arr = w.arr("movies");
    let sent = arr
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    // A DELETE cut off by the deadline while waiting in the proxy never reaches the Arr (one
    // reaching it at the very instant the pass gave up is allowed for).
    assert!(
        sent >= done.len() && sent <= done.len() + 1,
        "{sent} sent, {done:?} done"
    );
    // Only the DELETEs are delayed: the queue read (`/queue/details`) is not counted.
    assert!(proxy.faulted("/queue/") <= MOST_SENT);
    // The Arr finishes a DELETE it received even when the pass stopped waiting for it.
    let settled = Instant::now() + helpers::world::WAIT;
    while arr.blocklist().len() < sent && Instant::now() < settled {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(arr.blocklist().len(), sent);
    let export = w.sweeparr(&["state", "export"]).await;
    assert!(export.status.success());
    check_saved(&parse_export(&export.stdout), &hashes, &done);

    // Started at once: not skipped, finishes the rest, repeats nothing.
    proxy.clear_rules();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    let now_done: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["outcome"] == "done")
        .map(|a| a["hash"].as_str().unwrap())
        .collect();
    assert_eq!(now_done.len(), TORRENTS - sent, "{summary:#}");
    assert!(now_done.iter().all(|h| !done.iter().any(|d| d == h)));
    assert_eq!(
        arr.requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count(),
        TORRENTS
    );
    assert_eq!(
        arr.blocklist().len(),
        TORRENTS,
        "each download blocklisted once"
    );
    for h in &hashes {
        assert!(w.qbit("main").wait_for_gone(h, helpers::world::WAIT).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_qbittorrent_deletes_stop_at_the_deadline_with_dynamodb_state() {
    let Some(endpoint) = helpers::moto::dynamo_endpoint() else {
        return;
    };
    let store = DynamoStore::new(endpoint.client(), "sweeparr".to_string());
    store.init_table().await.expect("create the table");
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("main").url());
    w.routes.push((w.qbit("main").url(), proxy.url()));
    w.extra = extra();
    // Not in the Arr's queue: sweeparr deletes them from qBittorrent itself.
    let env = helpers::moto::binary_env(&endpoint.url, "sweeparr", w.dir.path());
    let hashes = stalled_torrents(&w, false, &env).await;
    proxy.set_rules(vec![Rule::new("torrents/delete", Fault::Delay(SLOW))]);

    let (code, summary, took) = timed_run(&w, &env).await;
    let done = check_deadline_summary(&summary, code, took);
    assert!(proxy.count("torrents/delete") <= MOST_SENT);
    let left = w.qbit("main").torrent_hashes().await;
    for h in &done {
        assert!(!left.contains(h), "{h} done, so gone");
    }
    assert!(left.len() >= TORRENTS - done.len() - 1, "{left:?}");
    let records: Vec<Record> = store.load(0).await.unwrap().into_values().collect();
    check_saved(&records, &hashes, &done);
    assert!(store.get("lease#main").await.unwrap().is_none());

    // Started at once: the DynamoDB lease is free, the rest is failed.
    proxy.clear_rules();
    let (code, summary, _) = timed_run(&w, &env).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert!(w.qbit("main").torrent_hashes().await.is_empty());
}
