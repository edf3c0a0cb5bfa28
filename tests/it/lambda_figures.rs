//! Measurements behind the cloud section of BENCHMARKS.md, run by hand (`make cloud-figures`):
//! the function's cold start, and the DynamoDB traffic, duration and memory of a steady-state
//! pass over many torrents. Ignored by default: they take minutes and print figures rather
//! than judge them (the steady-state request pattern itself is asserted by
//! `lambda_e2e::steady_state_pass_writes_only_the_lease`).
//!
//! `SWEEPARR_FIGURES_BIN` names the binary to measure (a release build; default: the test
//! build), `SWEEPARR_FIGURES_TORRENTS` the number of torrents (default 200);
//! `SWEEPARR_FIGURES_SHOW_LOGS=1` prints the last log lines after each steady pass.

use crate::helpers;

use std::path::PathBuf;
use std::time::Duration;

use helpers::ddb_meter::DdbMeter;
use helpers::lambda::{LambdaEmulator, LambdaFunction};
use helpers::moto::{DynamoEndpoint, moto_server, put_secret};
use helpers::qbit::{PASSWORD, make_torrent};
use helpers::world::{API_KEY, World};
use serde_json::{Value, json};
use sweeparr::model::ArrKind;
use sweeparr::state::dynamo::DynamoStore;

const TABLE: &str = "sweeparr-figures";

fn binary() -> PathBuf {
    std::env::var_os("SWEEPARR_FIGURES_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(LambdaFunction::binary)
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn function_env(w: &World, dynamodb_url: &str) -> Vec<(String, String)> {
    [
        ("SWEEPARR_CONFIG_TOML", w.config_toml()),
        ("SWEEPARR_STATE_BACKEND", "dynamodb".into()),
        ("SWEEPARR_STATE_TABLE", TABLE.into()),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_url.into()),
        ("QBIT_PASSWORD", PASSWORD.into()),
        ("ARR_API_KEY", API_KEY.into()),
        ("SWEEPARR_LOG", "info".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn start(emulator: &LambdaEmulator, env: &[(String, String)]) -> LambdaFunction {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    LambdaFunction::start(&binary(), &emulator.runtime_api(), &pairs)
}

async fn init_table(ddb: &DynamoEndpoint) {
    DynamoStore::new(ddb.client(), TABLE.into())
        .init_table()
        .await
        .expect("create the table");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement for the cloud section of BENCHMARKS.md; run by hand"]
async fn figures_cold_start() {
    let runs = env_count("SWEEPARR_FIGURES_RUNS", 11);
    let moto = moto_server();
    init_table(&moto).await;
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let emulator = LambdaEmulator::start();
    let plain = function_env(&w, &moto.url);
    // The same config with both secrets in SSM (two GetParameter calls, here to local moto).
    put_secret(&moto.url, "/sweeparr/qbit-main", PASSWORD).await;
    put_secret(&moto.url, "/sweeparr/radarr", API_KEY).await;
    let mut ssm: Vec<(String, String)> = plain
        .iter()
        .filter(|(k, _)| k != "QBIT_PASSWORD" && k != "ARR_API_KEY")
        .cloned()
        .collect();
    ssm[0].1 = ssm[0]
        .1
        .replace(
            "{ env = \"QBIT_PASSWORD\" }",
            "{ ssm = \"/sweeparr/qbit-main\" }",
        )
        .replace(
            "{ env = \"ARR_API_KEY\" }",
            "{ ssm = \"/sweeparr/radarr\" }",
        );
    ssm.push(("AWS_ENDPOINT_URL_SSM".into(), moto.url.clone()));
    let mut report = json!({"binary": binary(), "runs": runs});
    for (label, env) in [("env_secrets", &plain), ("ssm_secrets", &ssm)] {
        let mut ms = Vec::new();
        for _ in 0..runs {
            let mut f = start(&emulator, env);
            ms.push(f.wait_ready(Duration::from_secs(30)).await.as_secs_f64() * 1000.0);
        }
        report[label] = json!({
            "median_ms": median(ms.clone()),
            "min_ms": ms.iter().copied().fold(f64::MAX, f64::min),
            "max_ms": ms.iter().copied().fold(0.0, f64::max),
        });
    }
    println!("FIGURES {report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement for the cloud section of BENCHMARKS.md; run by hand"]
async fn figures_steady_state_pass() {
    let n = env_count("SWEEPARR_FIGURES_TORRENTS", 200);
    let passes = env_count("SWEEPARR_FIGURES_PASSES", 5);
    let moto = moto_server();
    init_table(&moto).await;
    let w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let q = w.qbit("main");
    // n imported torrents seeding towards their goal: the common case of a library.
    let mut hashes = Vec::new();
    for i in 0..n {
        let (file, hash) = make_torrent(
            &q.save_dir(),
            &format!("figures.{i:05}.mkv"),
            &[("f", 2_000)],
            &w.tracker.announce_url(),
            false,
        );
        q.add_torrent_file(&file, "radarr", &[], false).await;
        w.arr("movies").add_history(&hash, "downloadFolderImported");
        hashes.push(hash);
    }
    for hash in &hashes {
        q.wait_for(
            hash,
            |t| t["amount_left"] == 0 && t["state"].as_str().is_some_and(|s| s.ends_with("UP")),
            Duration::from_secs(300),
        )
        .await;
    }
    let meter = DdbMeter::start(&moto.url).await;
    let emulator = LambdaEmulator::start();
    let mut f = start(&emulator, &function_env(&w, &meter.url));
    f.wait_ready(Duration::from_secs(30)).await;

    let first = emulator.invoke_file("scheduled.json").await.body;
    let first_calls = meter.calls();
    let mut steady = Vec::new();
    for _ in 0..passes {
        meter.clear();
        let logged_before: usize = f.logs().iter().map(|l| l.len() + 1).sum();
        let s = emulator.invoke_file("scheduled.json").await.body;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let log_bytes = f.logs().iter().map(|l| l.len() + 1).sum::<usize>() - logged_before;
        if std::env::var_os("SWEEPARR_FIGURES_SHOW_LOGS").is_some() {
            let lines = f.logs().len();
            for line in &f.logs()[lines.saturating_sub(8)..] {
                eprintln!("LOG {line}");
            }
        }
        assert_eq!(s["status"], "ok", "{s:#}");
        let calls = meter.calls();
        steady.push(json!({
            "duration_ms": s["duration_ms"],
            "actions": s["actions"].as_array().map_or(0, Vec::len),
            "written": s["state"]["written"],
            "log_bytes": log_bytes,
            "summary_bytes": s.to_string().len(),
            "ops": calls.iter().map(|c| c.op.clone()).collect::<Vec<_>>(),
            "write_units": calls.iter().map(|c| c.write_units()).sum::<f64>(),
            "read_units": calls.iter().map(|c| c.read_units()).sum::<f64>(),
            "dynamodb_ms": calls.iter().map(|c| c.elapsed.as_millis() as u64).sum::<u64>(),
            "scan_items": calls.iter().map(|c| c.items()).sum::<usize>(),
            "scan_bytes": calls.iter().filter(|c| c.op == "Scan").map(|c| c.response["Items"].as_array().into_iter().flatten()
                .filter_map(Value::as_object).map(helpers::ddb_meter::item_size).sum::<usize>()).sum::<usize>(),
        }));
    }
    let durations: Vec<f64> = steady
        .iter()
        .map(|p| p["duration_ms"].as_f64().unwrap())
        .collect();
    let report = json!({
        "binary": binary(),
        "torrents": n,
        "first_pass": {
            "duration_ms": first["duration_ms"],
            "actions": first["actions"].as_array().map_or(0, Vec::len),
            "requests": first_calls.len(),
            "write_units": first_calls.iter().map(|c| c.write_units()).sum::<f64>(),
            "read_units": first_calls.iter().map(|c| c.read_units()).sum::<f64>(),
        },
        "steady_passes": steady,
        "steady_duration_ms_median": median(durations),
        "peak_rss_kib": f.peak_rss_kib(),
    });
    println!("FIGURES {report}");
}
