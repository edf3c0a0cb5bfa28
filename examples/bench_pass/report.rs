//! Printing the pass bench: a table per scenario, requests by endpoint, medians and targets.

use std::collections::BTreeSet;
use std::time::Duration;

use sweeparr::decide::select::TRACKER_READS_PER_PASS;

use crate::{ACTION_PASSES, Measured, PROVOKED_ACTIONS, ScenarioResult};

fn mb(kib: u64) -> f64 {
    (kib * 1024) as f64 / 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[v.len() / 2]
}

fn actions(m: &Measured) -> usize {
    m.run.summary["actions"].as_array().map_or(0, Vec::len)
}

fn written(m: &Measured) -> u64 {
    m.run.summary["state"]["written"].as_u64().unwrap_or(0)
}

fn status(m: &Measured) -> String {
    let status = m.run.summary["status"].as_str().unwrap_or("?");
    format!("{status} (exit {})", m.run.code)
}

fn duration_ms(m: &Measured) -> u64 {
    m.run.summary["duration_ms"].as_u64().unwrap_or(0)
}

/// Per-pass table and endpoint breakdown of one scenario.
pub fn scenario(r: &ScenarioResult) {
    let s = r.scenario;
    println!();
    println!(
        "== {}: {} torrents on {} instance(s); 3 Arrs, queues {} downloads / {} records; \
         state file {:.1} MB after the cold pass",
        s.label,
        s.instances * s.per_instance,
        s.instances,
        r.queue.0,
        r.queue.1,
        r.state_bytes as f64 / 1e6
    );
    println!(
        "{:<11} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8} {:>8} {:>8} {:>8}  status",
        "pass",
        "wall ms",
        "pass ms",
        "cpu ms",
        "peak MB",
        "qBit req",
        "Arr req",
        "total",
        "actions",
        "written"
    );
    let mut rows: Vec<(String, &Measured)> = vec![("cold".into(), &r.cold)];
    for (i, m) in r.catch_up.iter().enumerate() {
        rows.push((format!("catch-up {}", i + 1), m));
    }
    for (i, m) in r.steady.iter().enumerate() {
        rows.push((format!("steady {}", i + 1), m));
    }
    for (i, m) in r.actions.iter().enumerate() {
        rows.push((format!("actions {}", i + 1), m));
    }
    for (label, m) in &rows {
        println!(
            "{:<11} {:>9.0} {:>9} {:>9.0} {:>10.1} {:>9} {:>8} {:>8} {:>8} {:>8}  {}",
            label,
            ms(m.run.wall),
            duration_ms(m),
            ms(m.run.cpu),
            mb(m.run.max_rss_kib),
            m.qbit.values().sum::<u64>(),
            m.arr.values().sum::<u64>(),
            m.requests(),
            actions(m),
            written(m),
            status(m)
        );
    }
    let last = r.steady.last().expect("steady passes");
    let mut columns: Vec<(&str, &Measured)> = vec![("cold", &r.cold)];
    if let Some(m) = r.catch_up.first() {
        columns.push(("catchup1", m));
    }
    columns.push(("steady", last));
    let labels = ["actions1", "actions2", "actions3"];
    for (label, m) in labels.into_iter().zip(&r.actions) {
        columns.push((label, m));
    }
    println!("requests by endpoint:");
    print!("  {:<36}", "");
    for (label, _) in &columns {
        print!(" {label:>8}");
    }
    println!();
    let keys: BTreeSet<String> = columns
        .iter()
        .flat_map(|(_, m)| {
            let q = m.qbit.keys().map(|k| format!("qbit {k}"));
            q.chain(m.arr.keys().cloned()).collect::<Vec<_>>()
        })
        .collect();
    for key in keys {
        print!("  {key:<36}");
        for (_, m) in &columns {
            let n = match key.strip_prefix("qbit ") {
                Some(endpoint) => m.qbit.get(endpoint),
                None => m.arr.get(&key),
            };
            print!(" {:>8}", n.copied().unwrap_or(0));
        }
        println!();
    }
}

/// Medians over the steady passes, and the targets.
pub fn summary(results: &[ScenarioResult]) {
    println!();
    println!(
        "== summary: cold pass, then medians over {} steady-state passes",
        results[0].steady.len()
    );
    println!(
        "{:<34} | {:>8} {:>8} {:>8} {:>7} | {:>8} {:>8} | {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} | {:>12}",
        "scenario",
        "cold ms",
        "cold MB",
        "requests",
        "written",
        "catch-up",
        "max MB",
        "wall ms",
        "pass ms",
        "cpu ms",
        "peak MB",
        "requests",
        "expect",
        "written",
        "action passes"
    );
    for r in results {
        let st = &r.steady;
        let wall = median(st.iter().map(|m| m.run.wall).collect());
        let pass = median(st.iter().map(duration_ms).collect());
        let cpu = median(st.iter().map(|m| m.run.cpu).collect());
        let rss = median(st.iter().map(|m| m.run.max_rss_kib).collect());
        let req = median(st.iter().map(Measured::requests).collect());
        let wr = median(st.iter().map(written).collect());
        // All action passes together: their steady floor plus one request per action.
        let act = if r.actions.is_empty() {
            "-".to_string()
        } else {
            let total: u64 = r.actions.iter().map(Measured::requests).sum();
            let floor = req * r.actions.len() as u64;
            let done: usize = r.actions.iter().map(actions).sum();
            format!(
                "{total} = {floor} + {} ({done} actions)",
                total - floor.min(total)
            )
        };
        let catch_up_peak = r.catch_up.iter().map(|m| m.run.max_rss_kib).max();
        println!(
            "{:<34} | {:>8.0} {:>8.1} {:>8} {:>7} | {:>8} {:>8} | {:>8.0} {:>8} {:>8.0} {:>8.1} {:>8} {:>7} {:>7} | {:>12}",
            r.scenario.label,
            ms(r.cold.run.wall),
            mb(r.cold.run.max_rss_kib),
            r.cold.requests(),
            written(&r.cold),
            r.catch_up.len(),
            catch_up_peak.map_or("-".to_string(), |k| format!("{:.1}", mb(k))),
            ms(wall),
            pass,
            ms(cpu),
            mb(rss),
            req,
            r.expected_steady,
            wr,
            act
        );
    }
    println!();
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    for r in results {
        let s = r.scenario;
        let peak = std::iter::once(&r.cold)
            .chain(&r.catch_up)
            .chain(&r.steady)
            .chain(&r.actions)
            .map(|m| m.run.max_rss_kib)
            .max()
            .unwrap_or(0);
        let steady_peak = r
            .steady
            .iter()
            .map(|m| m.run.max_rss_kib)
            .max()
            .unwrap_or(0);
        let mib = |bytes: u64| bytes as f64 / (1u64 << 20) as f64;
        println!(
            "target peak RSS, {}: steady passes at most {:.1} MiB (target {:.0}) -> {}; any \
             pass (cold and catch-up included) at most {:.1} MiB (target {:.0}) -> {}",
            s.label,
            mib(steady_peak * 1024),
            mib(s.steady_rss_target),
            verdict(steady_peak * 1024 <= s.steady_rss_target),
            mib(peak * 1024),
            mib(s.rss_target),
            verdict(peak * 1024 <= s.rss_target)
        );
    }
    let clean: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| r.scenario.dead_trackers == 0)
        .collect();
    let independent = clean
        .iter()
        .all(|r| r.steady.iter().all(|m| m.requests() == r.expected_steady));
    println!(
        "target steady requests = 2 x instances + 1 x Arrs, whatever the \
         number of torrents: {}",
        verdict(independent)
    );
    // What the action passes cost beyond their steady floor: the same in every scenario.
    let beyond: BTreeSet<(usize, u64)> = clean
        .iter()
        .filter(|r| !r.actions.is_empty())
        .map(|r| {
            let total: u64 = r.actions.iter().map(Measured::requests).sum();
            let floor = r.expected_steady * r.actions.len() as u64;
            let done: usize = r.actions.iter().map(actions).sum();
            (done, total.saturating_sub(floor))
        })
        .collect();
    let shown: Vec<String> = beyond
        .iter()
        .map(|(done, extra)| format!("{done} actions, {extra} requests"))
        .collect();
    println!(
        "target {PROVOKED_ACTIONS} changed torrents cost the same actions and requests beyond \
         the steady floor over {ACTION_PASSES} passes, whatever the number of torrents ({}): {}",
        shown.join("; "),
        verdict(
            beyond.len() == 1
                && beyond
                    .iter()
                    .all(|&(done, _)| done as u64 >= PROVOKED_ACTIONS)
        )
    );
    println!(
        "catch-up: tracker lists of torrents first seen are read at most {TRACKER_READS_PER_PASS} \
         per instance per pass; the passes after the cold one that still read some are listed \
         as catch-up (a pass reading none is steady)"
    );
    for r in results.iter().filter(|r| r.scenario.dead_trackers > 0) {
        let req = median(r.steady.iter().map(Measured::requests).collect());
        println!(
            "{}: steady passes send {} requests, {} more than the {} a library with working \
             trackers needs (tracker lists are read on first sight and then every \
             tracker_recheck, whether a tracker works or not)",
            r.scenario.label,
            req,
            req.saturating_sub(r.expected_steady),
            r.expected_steady
        );
    }
}
