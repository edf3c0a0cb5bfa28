//! The real binary as a Lambda function under `cargo lambda watch` (its Lambda Runtime API
//! and Invoke API, on loopback), invoked with the sample events of `events/`, against real
//! qbittorrent-nox, the fake Arr, and DynamoDB (moto, or DynamoDB Local when Docker answers)
//! plus moto's SSM. Every test checks side effects: the summary returned, requests the Arr
//! got, torrents left in qBittorrent, items in the table, the function's log lines.

use crate::helpers;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use helpers::ddb_meter::DdbMeter;
use helpers::lambda::{LambdaEmulator, LambdaFunction, event};
use helpers::moto::{DynamoEndpoint, dynamo_endpoint, moto_server, put_secret};
use helpers::qbit::PASSWORD;
use helpers::results::{assert_nothing_done, deletes, let_stall};
use helpers::runtime_api::RuntimeApi;
use helpers::world::{API_KEY, World, actions};
use serde_json::{Value, json};
use sweeparr::model::ArrKind;
use sweeparr::state::dynamo::DynamoStore;
use sweeparr::state::{Record, Store};

const READY: Duration = Duration::from_secs(60);
const TABLE: &str = "sweeparr-lambda";
/// The config deadline World writes (`deadline = "2m"`).
const CONFIG_DEADLINE_MS: u64 = 120_000;

type Item = std::collections::HashMap<String, AttributeValue>;

/// Creates the state table as the cloud template would (pk, TTL on expires_at).
async fn init_table(ddb: &DynamoEndpoint) {
    DynamoStore::new(ddb.client(), TABLE.into())
        .init_table()
        .await
        .expect("create the table");
}

/// Every item of the table, by `pk`.
async fn table_items(ddb: &DynamoEndpoint) -> BTreeMap<String, Item> {
    let out = ddb
        .client()
        .scan()
        .table_name(TABLE)
        .consistent_read(true)
        .send()
        .await
        .expect("scan");
    out.items
        .unwrap_or_default()
        .into_iter()
        .map(|item| {
            let pk = item["pk"].as_s().expect("pk").clone();
            (pk, item)
        })
        .collect()
}

/// Every record of the table as sweeparr reads it (packs and all), by key.
async fn table_records(ddb: &DynamoEndpoint) -> BTreeMap<String, Record> {
    DynamoStore::new(ddb.client(), TABLE.into())
        .load(0)
        .await
        .expect("load the table")
}

/// True when no lease is held: every lease item is gone, or kept released (`until` 0) for
/// the manifest of the packs it holds.
async fn leases_released(ddb: &DynamoEndpoint) -> bool {
    table_items(ddb)
        .await
        .iter()
        .filter(|(pk, _)| pk.starts_with("lease#"))
        .all(|(_, item)| item.get("until") == Some(&AttributeValue::N("0".into())))
}

/// The environment the cloud template gives the function, pointed at the emulators: config
/// inline, DynamoDB backend and table from env, endpoints from the SDK's own variables.
fn cloud_env(config_toml: String, dynamodb_url: &str) -> Vec<(String, String)> {
    [
        ("SWEEPARR_CONFIG_TOML", config_toml),
        ("SWEEPARR_STATE_BACKEND", "dynamodb".into()),
        ("SWEEPARR_STATE_TABLE", TABLE.into()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_url.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The world's config with its secrets from env, as the function sees it.
fn env_secrets(w: &World, dynamodb_url: &str) -> Vec<(String, String)> {
    let mut env = cloud_env(w.config_toml(), dynamodb_url);
    env.push(("QBIT_PASSWORD".into(), PASSWORD.into()));
    env.push(("ARR_API_KEY".into(), API_KEY.into()));
    env
}

/// A fresh emulator and a function process on it, ready for its first event.
async fn start_function(env: &[(String, String)]) -> (LambdaEmulator, LambdaFunction) {
    let emulator = LambdaEmulator::start();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut function =
        LambdaFunction::start(&LambdaFunction::binary(), &emulator.runtime_api(), &pairs);
    function.wait_ready(READY).await;
    (emulator, function)
}

/// A summary from a successful invocation.
fn summary(invoked: helpers::lambda::Invoked, function: &LambdaFunction) -> Value {
    assert_eq!(
        invoked.status,
        200,
        "{:#}\nlogs:\n{}",
        invoked.body,
        function.logs().join("\n")
    );
    invoked.body
}

/// A scheduled invocation that only starts the clocks (the stall clock counts passes that
/// watched a torrent stalled): it must remove nothing.
async fn watch(emulator: &LambdaEmulator, function: &LambdaFunction) {
    let s = summary(emulator.invoke_file("scheduled.json").await, function);
    assert_eq!(s["status"], "ok", "{s:#}");
    assert_nothing_done(&s);
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_event_fails_a_stalled_torrent_and_keeps_state_in_dynamodb() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "stalled.lambda.mkv", "radarr", &[])
        .await;
    let ids = w.queue("movies", &hash, "downloading", vec![11]);
    init_table(&ddb).await;
    let (emulator, function) = start_function(&env_secrets(&w, &ddb.url)).await;
    watch(&emulator, &function).await;
    let_stall().await;

    let s = summary(emulator.invoke_file("scheduled.json").await, &function);
    assert_eq!(s["status"], "ok", "{s:#}");
    assert_eq!(s["dry_run"], false);
    assert_eq!(
        actions(&s),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    let dels = deletes(w.arr("movies"));
    assert_eq!(dels.len(), 1, "exactly one DELETE");
    assert_eq!(dels[0].path, format!("/api/v3/queue/{}", ids[0]));
    assert_eq!(dels[0].param("blocklist"), Some("true"));
    assert!(!w.qbit("main").torrent_hashes().await.contains(&hash));

    // The table holds the torrent's record, its removal noted, and no lease held.
    let records = table_records(&ddb).await;
    let rec = &records[&format!("torrent#main#{hash}")];
    assert!(
        matches!(rec, Record::Torrent(t) if t.removed_at.is_some()),
        "{rec:?}"
    );
    assert!(leases_released(&ddb).await, "lease released");
    assert!(s["state"]["written"].as_u64().unwrap() >= 1);

    // The emulator's deadline is in 1970: no deadline, the config's applies, nothing cut.
    let inv = &function.logged("invocation")[1];
    assert!(inv["deadline_ms"].as_u64().unwrap() < now_ms(), "{inv}");
    assert_eq!(inv["budget_ms"], CONFIG_DEADLINE_MS);

    // A warm invocation reuses the cold start: one `ready`, and nothing left to do.
    let s = summary(emulator.invoke_file("scheduler.json").await, &function);
    assert_eq!(s["status"], "ok", "{s:#}");
    assert!(actions(&s).is_empty(), "{s:#}");
    assert_eq!(deletes(w.arr("movies")).len(), 1);
    assert_eq!(function.logged("ready").len(), 1);
    assert_eq!(function.logged("pass finished").len(), 3);

    // Logs are JSON lines (json_logs panics otherwise) and carry no secret.
    let logs = function.json_logs();
    assert!(
        logs.iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    let text = function.logs().join("\n");
    assert!(!text.contains(API_KEY) && !text.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_event_plans_but_changes_nothing_anywhere() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("main", "dry.lambda.mkv", "radarr", &[]).await;
    w.queue("movies", &hash, "downloading", vec![4]);
    init_table(&ddb).await;
    let (emulator, function) = start_function(&env_secrets(&w, &ddb.url)).await;
    watch(&emulator, &function).await;
    let before = table_items(&ddb).await;
    assert!(!before.is_empty());
    let_stall().await;

    let s = summary(emulator.invoke_file("dry-run.json").await, &function);
    assert_eq!(s["dry_run"], true);
    assert_eq!(
        actions(&s),
        vec![("fail".into(), hash.clone(), "planned".into())]
    );
    assert!(deletes(w.arr("movies")).is_empty());
    assert!(w.arr("movies").in_queue(&hash.to_uppercase()));
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    assert_eq!(
        table_items(&ddb).await,
        before,
        "a dry run writes nothing, not even a lease"
    );
    assert_eq!(s["state"]["written"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torrent_finished_event_acts_only_on_its_hash() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "hook.lambda.mkv", "radarr", &[])
        .await;
    w.queue("movies", &hash, "downloading", vec![8]);
    init_table(&ddb).await;
    let (emulator, function) = start_function(&env_secrets(&w, &ddb.url)).await;
    watch(&emulator, &function).await;
    let_stall().await;

    // The sample names another torrent: this one is not touched.
    let s = summary(
        emulator.invoke_file("torrent-finished.json").await,
        &function,
    );
    assert_eq!(s["status"], "ok", "{s:#}");
    assert!(actions(&s).is_empty(), "{s:#}");
    assert!(deletes(w.arr("movies")).is_empty());
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));

    // The same event naming this torrent (in upper case, as qBittorrent's %I may be) acts.
    let mut hook = event("torrent-finished.json");
    hook["hashes"] = json!([hash.to_uppercase()]);
    let s = summary(emulator.invoke(&hook).await, &function);
    assert_eq!(
        actions(&s),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert_eq!(deletes(w.arr("movies")).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_invocations_on_one_table_act_once() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "twice.lambda.mkv", "radarr", &[])
        .await;
    w.queue("movies", &hash, "downloading", vec![2]);
    init_table(&ddb).await;
    // Two function instances (as two concurrent Lambda sandboxes would be), one table.
    let env = env_secrets(&w, &ddb.url);
    let (first_emulator, first) = start_function(&env).await;
    let (second_emulator, second) = start_function(&env).await;
    watch(&first_emulator, &first).await;
    let_stall().await;
    // A slow Arr keeps the first pass holding its lease (over 3 s) while the second one
    // starts. The second starts 300 ms later: moto checks a condition and writes the item
    // in two steps, so two conditional writes arriving in the same instant can both pass
    // there (DynamoDB applies each atomically).
    w.arr("movies").set_delay(Some(Duration::from_millis(1500)));

    let (a, b) = tokio::join!(first_emulator.invoke_file("scheduled.json"), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        second_emulator.invoke_file("scheduled.json").await
    });
    let (a, b) = (summary(a, &first), summary(b, &second));
    let mut statuses = [a["status"].as_str().unwrap(), b["status"].as_str().unwrap()];
    statuses.sort_unstable();
    assert_eq!(statuses, ["ok", "skipped"], "{a:#}\n{b:#}");
    let (acted, skipped) = if a["status"] == "ok" {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert_eq!(
        actions(acted),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert!(actions(skipped).is_empty());
    assert_eq!(deletes(w.arr("movies")).len(), 1, "acted once");
    assert!(leases_released(&ddb).await, "lease released");
}

/// The world's config with both secrets read from SSM.
fn ssm_config(w: &World) -> String {
    let text = w
        .config_toml()
        .replace(
            "password = { env = \"QBIT_PASSWORD\" }",
            "password = { ssm = \"/sweeparr/qbit-main\" }",
        )
        .replace(
            "api_key = { env = \"ARR_API_KEY\" }",
            "api_key = { ssm = \"/sweeparr/radarr\" }",
        );
    assert!(text.contains("ssm = \"/sweeparr/radarr\""));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssm_secrets_are_read_with_decryption_once_per_cold_start() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let moto = moto_server();
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    put_secret(&moto.url, "/sweeparr/qbit-main", PASSWORD).await;
    put_secret(&moto.url, "/sweeparr/radarr", API_KEY).await;
    init_table(&ddb).await;
    let mut env = cloud_env(ssm_config(&w), &ddb.url);
    env.push(("AWS_ENDPOINT_URL_SSM".into(), moto.url.clone()));
    let (emulator, function) = start_function(&env).await;

    let reachable = |s: &Value| {
        (
            s["instances"][0]["reachable"].as_bool().unwrap(),
            s["arrs"][0]["reachable"].as_bool().unwrap(),
        )
    };
    let s = summary(emulator.invoke_file("scheduler.json").await, &function);
    assert_eq!(reachable(&s), (true, true), "{s:#}");
    assert!(
        w.arr("movies").requests().iter().all(|r| r.api_key_ok),
        "every Arr request carried the key from SSM"
    );

    // Changed in SSM: a warm function keeps what it read at its cold start...
    put_secret(&moto.url, "/sweeparr/qbit-main", "changed-password").await;
    put_secret(&moto.url, "/sweeparr/radarr", "changed-key").await;
    let s = summary(emulator.invoke_file("scheduler.json").await, &function);
    assert_eq!(reachable(&s), (true, true), "{s:#}");

    // ...and a new cold start reads the new (wrong) values.
    let (emulator2, function2) = start_function(&env).await;
    let s = summary(emulator2.invoke_file("scheduler.json").await, &function2);
    assert_eq!(reachable(&s), (false, false), "{s:#}");

    for f in [&function, &function2] {
        let text = f.logs().join("\n");
        assert!(!text.contains(API_KEY) && !text.contains(PASSWORD));
        assert!(!text.contains("changed-key") && !text.contains("changed-password"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_without_its_ssm_parameter_exits_naming_key_and_parameter() {
    let moto = moto_server();
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    put_secret(&moto.url, "/sweeparr/radarr", API_KEY).await;
    let mut env = cloud_env(ssm_config(&w), &moto.url);
    env.push(("AWS_ENDPOINT_URL_SSM".into(), moto.url.clone()));
    let emulator = LambdaEmulator::start();
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut function =
        LambdaFunction::start(&LambdaFunction::binary(), &emulator.runtime_api(), &pairs);

    assert_eq!(function.wait_exit(READY).await, Some(2));
    let failed = function.logged("cold start failed");
    assert_eq!(failed.len(), 1, "{:?}", function.logs());
    let error = failed[0]["error"].as_str().unwrap();
    assert!(
        error.contains("qbit.main.password") && error.contains("/sweeparr/qbit-main"),
        "{error}"
    );
    assert!(!function.logs().join("\n").contains(API_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_state_pass_writes_only_the_lease() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1h\"\n".into();
    // An imported torrent seeding towards its goal, a stalled one under its threshold, and
    // one sweeparr does not manage.
    let (done, _) = w
        .add_complete("main", "seeding.lambda.mkv", "radarr", &[])
        .await;
    w.arr("movies").add_history(&done, "downloadFolderImported");
    let stalled = w
        .add_stalled("main", "waiting.lambda.mkv", "radarr", &[])
        .await;
    w.queue("movies", &stalled, "downloading", vec![9]);
    w.add_complete("main", "unmanaged.iso", "linux", &[]).await;
    init_table(&ddb).await;
    let meter = DdbMeter::start(&ddb.url).await;
    let (emulator, function) = start_function(&env_secrets(&w, &meter.url)).await;

    // The first pass learns about the torrents (history lookup, imported tag) and writes.
    let s = summary(emulator.invoke_file("scheduled.json").await, &function);
    assert_eq!(s["status"], "ok", "{s:#}");
    assert!(meter.ops().iter().any(|op| op == "BatchWriteItem"));
    let records = table_records(&ddb).await;
    assert!(records.contains_key(&format!("torrent#main#{done}")));
    assert!(records.contains_key(&format!("torrent#main#{stalled}")));

    // Nothing changed since: only the lease is written.
    for _ in 0..2 {
        meter.clear();
        let s = summary(emulator.invoke_file("scheduled.json").await, &function);
        assert_eq!(s["status"], "ok", "{s:#}");
        assert!(actions(&s).is_empty(), "{s:#}");
        assert_eq!(s["state"]["written"], 0, "{s:#}");
        let calls = meter.calls();
        let ops: Vec<&str> = calls.iter().map(|c| c.op.as_str()).collect();
        // Take the lease (reading the manifest), one eventually consistent Scan the
        // manifest vouches for, release the lease (keeping the manifest).
        assert_eq!(ops, ["UpdateItem", "Scan", "UpdateItem"], "{calls:#?}");
        assert!(calls.iter().all(|c| c.status == 200), "{calls:#?}");
        for call in [&calls[0], &calls[2]] {
            assert!(
                call.request["Key"]["pk"]["S"]
                    .as_str()
                    .unwrap()
                    .starts_with("lease#"),
                "{call:#?}"
            );
        }
        assert_ne!(calls[1].request["ConsistentRead"], true, "{:#?}", calls[1]);
        let writes: f64 = calls.iter().map(|c| c.write_units()).sum();
        assert_eq!(writes, 2.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_lambda_deadline_stops_acting_saves_and_releases_the_lease() {
    let Some(ddb) = dynamo_endpoint() else { return };
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("main", "late.lambda.mkv", "radarr", &[])
        .await;
    w.queue("movies", &hash, "downloading", vec![6]);
    init_table(&ddb).await;
    // A Runtime API that sets a real deadline (cargo lambda's is always in 1970).
    let api = RuntimeApi::start().await;
    let env = env_secrets(&w, &ddb.url);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut function = LambdaFunction::start(&LambdaFunction::binary(), api.address(), &pairs);
    function.wait_ready(READY).await;
    // A first pass with time to spare starts the stall clock: without the deadline, the
    // next pass would fail the torrent.
    let first = api
        .invoke(event("scheduled.json"), now_ms() + 60_000)
        .await
        .unwrap_or_else(|e| panic!("function error {e}"));
    assert_eq!(first["status"], "ok", "{first:#}");
    assert!(actions(&first).is_empty(), "{first:#}");
    let_stall().await;
    // 9 s left: the pass may scan and act for 9 - 2 (margin) - 5 (kept to save) = 2 s, and
    // a slow Arr spends 2.5 s answering each request: its queue is not read in time, so it
    // counts as unreachable and nothing is done for its category.
    w.arr("movies").set_delay(Some(Duration::from_millis(2500)));
    let deadline = now_ms() + 9_000;

    let s = api
        .invoke(event("scheduled.json"), deadline)
        .await
        .unwrap_or_else(|e| panic!("function error {e}"));
    assert!(now_ms() < deadline, "answered before the deadline");
    assert_eq!(s["status"], "partial", "{s:#}");
    assert!(actions(&s).is_empty(), "{s:#}");
    assert_eq!(s["arrs"][0]["reachable"], false, "{s:#}");
    assert!(
        s["arrs"][0]["error"].as_str().unwrap().contains("deadline"),
        "{s:#}"
    );
    assert!(deletes(w.arr("movies")).is_empty(), "nothing acted late");
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
    assert!(
        table_records(&ddb)
            .await
            .contains_key(&format!("torrent#main#{hash}")),
        "state saved"
    );
    assert!(leases_released(&ddb).await, "lease released");
    let inv = &function.logged("invocation")[1];
    assert_eq!(inv["deadline_ms"], deadline);
    assert!(inv["budget_ms"].as_u64().unwrap() <= 7_000, "{inv}");
}
