//! Reading what a pass of the real binary left: summary entries, exported state records, and
//! the requests a server behind a fault proxy or a fake Arr received.

use std::time::Duration;

use serde_json::Value;

use super::fake_arr::{FakeArr, FakeCommand, RecordedRequest};
use super::fault_proxy::FaultProxy;
use super::world::World;

/// Waits past a 1 s stall threshold.
pub async fn let_stall() {
    tokio::time::sleep(Duration::from_millis(2200)).await;
}

/// The `instances` or `arrs` entry of the summary named `name`.
pub fn entry<'a>(summary: &'a Value, list: &str, name: &str) -> &'a Value {
    summary[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {summary:#}"))
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name} in {summary:#}"))
}

/// Every record `sweeparr state export` prints.
pub async fn export(w: &World) -> Vec<Value> {
    let out = w.sweeparr(&["state", "export"]).await;
    assert!(out.status.success(), "state export: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect()
}

/// The torrent records of `instance`, by hash.
pub fn torrents_of(records: &[Value], instance: &str) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .iter()
        .filter(|r| r["kind"] == "torrent" && r["instance"] == instance)
        .cloned()
        .collect();
    out.sort_by_key(|r| r["hash"].as_str().unwrap_or("").to_string());
    out
}

/// Requests that could change something on the server behind `proxy` (a login aside), as
/// "METHOD target".
pub fn writes(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .requests()
        .into_iter()
        .filter(|s| s.method != "GET" && !s.target.contains("auth/login"))
        .map(|s| format!("{} {}", s.method, s.target))
        .collect()
}

/// The DELETE requests a fake Arr received.
pub fn deletes(arr: &FakeArr) -> Vec<RecordedRequest> {
    arr.requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect()
}

/// How many DELETE requests a fake Arr received.
pub fn arr_deletes(arr: &FakeArr) -> usize {
    deletes(arr).len()
}

/// The import-scan commands (`Downloaded*Scan`) a fake Arr received.
pub fn scan_commands(arr: &FakeArr) -> Vec<FakeCommand> {
    arr.commands()
        .into_iter()
        .filter(|c| c.name.ends_with("Scan"))
        .collect()
}

/// Asserts that a pass (its summary) carried out no action: a first pass that only starts
/// the clocks.
pub fn assert_nothing_done(summary: &Value) {
    assert!(
        summary["actions"]
            .as_array()
            .is_none_or(|a| a.iter().all(|a| a["outcome"] != "done")),
        "the watching pass acted: {summary:#}"
    );
}
