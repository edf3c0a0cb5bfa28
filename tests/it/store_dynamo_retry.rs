//! DynamoDB under pressure. `save` against a fake endpoint on loopback that throttles and
//! leaves items unprocessed, as DynamoDB does under load (the emulator never does); and whole
//! passes of the real binary on the emulator behind a fault proxy that throttles, refuses the
//! lease with a conditional-check failure, or fails outright.

use crate::helpers;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use sweeparr::model::ArrKind;
use sweeparr::state::dynamo::DynamoStore;
use sweeparr::state::record::torrent_pk;
use sweeparr::state::{LeaseRequest, Record, Store, StoreError, TorrentRecord};

use helpers::fault_proxy::{Fault, FaultProxy, Rule};
use helpers::moto::client_for;
use helpers::results::assert_nothing_done;
use helpers::store_suite::{NOW, search, torrent};
use helpers::world::{World, actions, parse_summary, run_binary};

/// How the fake answers the n-th BatchWriteItem (0-based), given the request body. The Scan
/// a save starts with (to learn which packs exist) finds an empty table.
type Script = fn(usize, &Value) -> (StatusCode, Value);

/// The write-request counts of every BatchWriteItem the fake received.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<usize>>>);

async fn fake_dynamodb(script: Script) -> (String, Seen) {
    let seen = Seen::default();
    let state = seen.clone();
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: String| async move {
            let target = headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if target == "DynamoDB_20120810.Scan" {
                let empty = json!({ "Items": [], "Count": 0, "ScannedCount": 0 });
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                    empty.to_string(),
                )
                    .into_response();
            }
            assert_eq!(target, "DynamoDB_20120810.BatchWriteItem");
            let body: Value = serde_json::from_str(&body).unwrap();
            let n = body["RequestItems"]["t"].as_array().map_or(0, Vec::len);
            let call = {
                let mut seen = state.0.lock().unwrap();
                seen.push(n);
                seen.len() - 1
            };
            let (status, reply) = script(call, &body);
            (
                status,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                reply.to_string(),
            )
                .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn throttled() -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "slow down"
        }),
    )
}

/// All but the first two requests of the batch come back unprocessed.
fn leave_unprocessed(body: &Value) -> (StatusCode, Value) {
    let requests = body["RequestItems"]["t"].as_array().unwrap();
    let rest: Vec<Value> = requests.iter().skip(2).cloned().collect();
    (StatusCode::OK, json!({ "UnprocessedItems": { "t": rest } }))
}

fn done() -> (StatusCode, Value) {
    (StatusCode::OK, json!({ "UnprocessedItems": {} }))
}

#[tokio::test]
async fn throttled_and_unprocessed_writes_are_sent_again_until_done() {
    let (url, seen) = fake_dynamodb(|call, body| match call {
        0 => throttled(),
        1 | 2 => leave_unprocessed(body),
        _ => done(),
    })
    .await;
    let store = DynamoStore::new(client_for(&url), "t".to_string());
    // Torrents of seven instances: seven packs, seven write requests.
    let records: Vec<_> = (0..7).map(|i| torrent(&format!("box{i}"), i)).collect();

    assert_eq!(store.save(records.to_vec(), &[]).await.unwrap(), 7);
    // Throttled (7), 5 of 7 left over, 3 of 5 left over, the last 3 written.
    assert_eq!(*seen.0.lock().unwrap(), [7, 7, 5, 3]);
}

#[tokio::test]
async fn writes_still_unprocessed_after_eight_tries_make_the_store_unavailable() {
    let (url, seen) = fake_dynamodb(|_, body| {
        let all = body["RequestItems"]["t"].clone();
        (StatusCode::OK, json!({ "UnprocessedItems": { "t": all } }))
    })
    .await;
    let store = DynamoStore::new(client_for(&url), "t".to_string());
    let t = Instant::now();
    match store.save(vec![search("movies", 1, NOW)], &[]).await {
        Err(StoreError::Unavailable(msg)) => {
            assert!(
                msg.contains("dynamodb table t") && msg.contains("8 tries"),
                "{msg}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(seen.0.lock().unwrap().len(), 8, "eight tries");
    eprintln!("gave up after {:?}", t.elapsed());
}

// Whole passes of the real binary on DynamoDB (moto), with a fault proxy in front of it.

/// Table the passes use.
const TABLE: &str = "sweeparr";

/// A world whose state lives in DynamoDB behind a fault proxy; `None` without an emulator.
struct DynamoWorld {
    world: World,
    proxy: FaultProxy,
    store: DynamoStore,
    _endpoint: helpers::moto::DynamoEndpoint,
}

impl DynamoWorld {
    /// One qBittorrent, one Radarr, a stalled torrent the Radarr queue holds (returned).
    async fn start() -> Option<(DynamoWorld, String)> {
        let endpoint = helpers::moto::dynamo_endpoint()?;
        let store = DynamoStore::new(endpoint.client(), TABLE.to_string());
        store.init_table().await.expect("create the table");
        let mut world = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
        world.extra = "[health]\nstalled_after = \"1s\"\n".into();
        let hash = world
            .add_stalled("main", "dynamo.stalled.mkv", "radarr", &[])
            .await;
        world.queue("movies", &hash, "downloading", vec![1]);
        let proxy = FaultProxy::start(&endpoint.url);
        let dw = DynamoWorld {
            world,
            proxy,
            store,
            _endpoint: endpoint,
        };
        // A first pass starts the stall clock (it counts only passes that watched the
        // torrent stalled) and fails nothing.
        let (code, first) = dw.run_json().await;
        assert_eq!(code, 0, "{first:#}");
        assert_nothing_done(&first);
        tokio::time::sleep(Duration::from_millis(2200)).await;
        dw.proxy.clear_log();
        dw.world.arr("movies").clear_requests();
        Some((dw, hash))
    }

    /// `sweeparr ARGS` with the DynamoDB backend reached through the proxy, test credentials,
    /// and nothing read from this machine's AWS setup.
    async fn sweeparr(&self, args: &[&str]) -> std::process::Output {
        let config = self.world.write_config();
        let env = helpers::moto::binary_env(&self.proxy.url(), TABLE, self.world.dir.path());
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_binary(&config, args, &env).await
    }

    async fn run_json(&self) -> (i32, Value) {
        parse_summary(&self.sweeparr(&["run", "--output", "json"]).await)
    }

    /// Runs a pass that must exit 0 having failed the stalled torrent `hash`, and only that;
    /// returns its summary.
    async fn pass_fails(&self, hash: &str) -> Value {
        let (code, summary) = self.run_json().await;
        assert_eq!(code, 0, "{summary:#}");
        assert_eq!(
            actions(&summary),
            vec![("fail".into(), hash.to_string(), "done".into())]
        );
        summary
    }

    /// With DynamoDB healthy again, a pass that must exit 0 sending nothing: the one
    /// blocklist entry stays the only one.
    async fn next_pass_repeats_nothing(&self) {
        self.proxy.clear_rules();
        let (code, summary) = self.run_json().await;
        assert_eq!(code, 0, "{summary:#}");
        assert!(actions(&summary).is_empty(), "{summary:#}");
        assert_eq!(self.world.arr("movies").blocklist().len(), 1);
    }

    /// DynamoDB requests of operation `op` (e.g. `BatchWriteItem`) seen by the proxy, and how
    /// many of them got a fault.
    fn calls(&self, op: &str) -> (usize, usize) {
        let seen: Vec<_> = self
            .proxy
            .requests()
            .into_iter()
            .filter(|s| s.header("x-amz-target").is_some_and(|t| t.ends_with(op)))
            .collect();
        let faulted = seen.iter().filter(|s| s.fault.is_some()).count();
        (seen.len(), faulted)
    }

    /// The stored record of the torrent `hash` on `main`.
    async fn record(&self, hash: &str) -> Option<TorrentRecord> {
        match self.store.get(&torrent_pk("main", hash)).await.unwrap() {
            Some(Record::Torrent(t)) => Some(*t),
            _ => None,
        }
    }
}

/// A DynamoDB error answer for operation `op`, the first `times` calls.
fn dynamo_fault(op: &str, code: &str, status: u16, times: usize) -> Rule {
    Rule::new(
        "",
        Fault::dynamodb_error(status, code, "injected by the test proxy"),
    )
    .header("x-amz-target", &format!("DynamoDB_20120810.{op}"))
    .times(times)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_pass_on_dynamodb_rides_out_throttling_and_saves() {
    let Some((w, hash)) = DynamoWorld::start().await else {
        return;
    };
    w.proxy.set_rules(vec![
        dynamo_fault("UpdateItem", "ThrottlingException", 400, 1),
        dynamo_fault("Scan", "ThrottlingException", 400, 1),
        // More than the SDK's default three attempts: batch writes are given eight.
        dynamo_fault("BatchWriteItem", "ThrottlingException", 400, 4),
    ]);
    let summary = w.pass_fails(&hash).await;
    assert_eq!(summary["status"], "ok");
    for (op, throttled) in [("UpdateItem", 1), ("Scan", 1), ("BatchWriteItem", 4)] {
        let (sent, faulted) = w.calls(op);
        assert_eq!(faulted, throttled, "{op}: {:?}", w.proxy.requests());
        assert!(sent > faulted, "{op} was sent again after throttling");
    }
    // Saved: the outcome is stored, the intent cleared, the lease released.
    let rec = w.record(&hash).await.expect("torrent record saved");
    assert!(rec.removed_at.is_some() && rec.intent.is_none(), "{rec:?}");
    assert!(w.store.get("lease#main").await.unwrap().is_none());
    assert_eq!(w.world.arr("movies").blocklist().len(), 1);

    // The next pass reads that state and repeats nothing.
    w.next_pass_repeats_nothing().await;
    let export = w.sweeparr(&["state", "export"]).await;
    assert!(export.status.success(), "{export:?}");
    assert!(String::from_utf8_lossy(&export.stdout).contains(&hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_conditional_check_failure_skips_the_pass_and_touches_nothing() {
    let Some((w, hash)) = DynamoWorld::start().await else {
        return;
    };
    let watched = w.record(&hash).await;
    assert!(watched.is_some(), "the first pass recorded the stall clock");
    // DynamoDB refuses the lease write: another run holds it (as far as this run can tell).
    w.proxy.set_rules(vec![dynamo_fault(
        "UpdateItem",
        "ConditionalCheckFailedException",
        400,
        1,
    )]);
    let (code, summary) = w.run_json().await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "skipped");
    assert!(actions(&summary).is_empty());
    assert_eq!(w.calls("UpdateItem"), (1, 1), "the lease is not retried");
    assert_eq!(w.calls("Scan").0, 0, "no state read");
    assert_eq!(w.calls("BatchWriteItem").0, 0, "nothing written");
    assert_eq!(
        w.calls("DeleteItem").0,
        0,
        "a lease not held is not released"
    );

    // A real holder: skipped too, until it lets go.
    let now = sweeparr::pass::epoch_now();
    w.store
        .acquire_lease(&LeaseRequest {
            scope: "main".into(),
            run_id: "other-run".into(),
            now,
            until: now + 600,
        })
        .await
        .unwrap();
    w.proxy.clear_rules();
    let (code, summary) = w.run_json().await;
    assert_eq!((code, summary["status"].as_str()), (0, Some("skipped")));
    assert!(w.world.qbit("main").torrent_hashes().await.contains(&hash));
    assert!(w.world.arr("movies").blocklist().is_empty());
    assert_eq!(w.record(&hash).await, watched, "no state written");

    w.store.release_lease("main", "other-run").await.unwrap();
    w.pass_fails(&hash).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_failing_after_the_lease_exits_3_acts_on_nothing_and_releases() {
    let Some((w, hash)) = DynamoWorld::start().await else {
        return;
    };
    w.proxy.set_rules(vec![dynamo_fault(
        "Scan",
        "InternalServerError",
        500,
        usize::MAX,
    )]);
    let (code, summary) = w.run_json().await;
    assert_eq!(code, 3, "{summary:#}");
    assert_eq!(summary["status"], "error");
    let error = summary["error"].as_str().unwrap_or("");
    eprintln!("store down on Scan: {error}");
    assert!(
        error.contains("dynamodb table sweeparr") && error.contains("Scan"),
        "{error}"
    );
    assert!(actions(&summary).is_empty());
    assert!(w.world.qbit("main").torrent_hashes().await.contains(&hash));
    assert!(w.world.arr("movies").blocklist().is_empty());
    assert!(
        w.world.arr("movies").requests().is_empty(),
        "no Arr contacted"
    );
    assert!(
        w.store.get("lease#main").await.unwrap().is_none(),
        "lease released"
    );

    // DynamoDB back: the next pass is not blocked and acts.
    w.proxy.clear_rules();
    w.pass_fails(&hash).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_failing_after_acting_reports_what_was_done_and_nothing_is_repeated() {
    let Some((w, hash)) = DynamoWorld::start().await else {
        return;
    };
    // The intents are written, then every later write fails.
    w.proxy.set_rules(vec![
        dynamo_fault("BatchWriteItem", "InternalServerError", 500, usize::MAX).skip(1),
    ]);
    let (code, summary) = w.run_json().await;
    eprintln!("store down after acting: {}", summary["error"]);
    assert_eq!(code, 3, "{summary:#}");
    assert_eq!(summary["status"], "error");
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|e| e.contains("BatchWriteItem")),
        "{summary:#}"
    );
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())],
        "the summary still lists what was done"
    );
    assert_eq!(w.world.arr("movies").blocklist().len(), 1);
    let rec = w.record(&hash).await.expect("intent saved before acting");
    assert_eq!(
        rec.intent.as_ref().map(|i| i.action.as_str()),
        Some("fail"),
        "{rec:?}"
    );
    assert!(
        w.store.get("lease#main").await.unwrap().is_none(),
        "lease released"
    );

    // The store back, the next pass finds the download gone and sends nothing again.
    w.next_pass_repeats_nothing().await;
    let rec = w.record(&hash).await.unwrap();
    assert!(rec.intent.is_none() && rec.gone_since.is_some(), "{rec:?}");
}
