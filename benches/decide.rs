//! `cargo bench --bench decide`: the pure decision pass over synthetic libraries.
//!
//! Times building the core's `State` from the loaded records, `details_needed()` and
//! `decide()` separately over 3 Arrs (Radarr, Sonarr with several queue records per download,
//! Lidarr) at 1k, 10k and 50k torrents on 3 instances and 100k on 5, in the steady state (a
//! record for nearly every torrent). Plain `std::time::Instant`: warm-ups, then samples; min / median / p90 of wall time, the median CPU time of the thread (the cores
//! are shared: this leaves out time spent descheduled), and the median per torrent to show
//! scaling. `libc` (a dev-dependency) gives the thread CPU clock.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use sweeparr::config::Config;
use sweeparr::decide::{self, Scope};
use sweeparr::model::Snapshot;
use sweeparr::state::{Record, State};
use testkit::bench::library;

const WARMUPS: usize = 5;
const SAMPLES: usize = 31;
/// Instances of the smoke run.
const INSTANCES: usize = 3;
/// Instances in the config: the largest world's count.
const MAX_INSTANCES: usize = 5;
/// (instances, total torrents) per row, the torrents split evenly over the instances.
const SIZES: [(usize, usize); 4] = [(3, 1_000), (3, 10_000), (3, 50_000), (5, 100_000)];
/// `decide()` under 20 ms for 10,000 torrents.
const TARGET_10K: Duration = Duration::from_millis(20);
/// `decide()` under 150 ms for 100,000 torrents over 5 instances.
const TARGET_100K: Duration = Duration::from_millis(150);
/// Per-torrent cost of `decide()` from 1,000 to 100,000 torrents within this ratio.
const TARGET_GROWTH: f64 = 1.3;

/// min / median / p90 of the wall-clock samples, and the median CPU time of this thread.
struct Stats {
    min: Duration,
    median: Duration,
    p90: Duration,
    /// Excludes time the thread spent descheduled (the cores are shared), not cache or
    /// memory-bandwidth contention.
    cpu_median: Duration,
}

/// CPU time consumed by the calling thread.
#[allow(unsafe_code)]
fn thread_cpu() -> Duration {
    // SAFETY: timespec is plain old data; clock_gettime only writes into it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: a valid clock id and a valid out-pointer.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(r, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn measure<R>(mut f: impl FnMut() -> R) -> Stats {
    for _ in 0..WARMUPS {
        black_box(f());
    }
    let (mut wall, mut cpu): (Vec<Duration>, Vec<Duration>) = (0..SAMPLES)
        .map(|_| {
            let (start, cpu_start) = (Instant::now(), thread_cpu());
            black_box(f());
            (start.elapsed(), thread_cpu() - cpu_start)
        })
        .unzip();
    wall.sort_unstable();
    cpu.sort_unstable();
    let p90 = (SAMPLES * 9).div_ceil(10) - 1;
    Stats {
        min: wall[0],
        median: wall[SAMPLES / 2],
        p90: wall[p90],
        cpu_median: cpu[SAMPLES / 2],
    }
}

fn config() -> Config {
    let mut toml = String::from("[state]\npath = \"unused\"\n");
    for i in 0..MAX_INSTANCES {
        toml.push_str(&format!(
            "[qbit.qb{i}]\nurl = \"http://127.0.0.1:1\"\npassword = \"x\"\n"
        ));
    }
    for (name, kind, category) in library::ARRS {
        toml.push_str(&format!(
            "[arr.{name}]\nkind = \"{}\"\nurl = \"http://127.0.0.1:2\"\napi_key = \"k\"\n\
             category = \"{category}\"\n",
            kind.as_str()
        ));
    }
    sweeparr::config::load_str(&toml, "<bench>", Path::new("."), &|_| None)
        .expect("bench config is valid")
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn per_torrent(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn describe(snapshot: &Snapshot, state: &State) -> String {
    let queue: usize = snapshot.arrs.iter().map(|a| a.queue.len()).sum();
    let records: usize = snapshot
        .arrs
        .iter()
        .flat_map(|a| a.queue.values())
        .map(|q| q.record_ids.len())
        .sum();
    format!(
        "{} queued downloads ({records} queue records), {} state records",
        queue,
        state.len()
    )
}

/// The state a previous pass over the same snapshot would have left: each torrent record of
/// the library replaced by what that pass observed (clocks that start on first sight, the
/// queue guard's "absent since"), so the measured pass sees the steady state. Torrents the
/// library gave no record stay first-seen; other records stay as they are.
fn settled(
    snapshot: &Snapshot,
    mut records: Vec<Record>,
    config: &Config,
    scope: &Scope,
) -> Vec<Record> {
    let state: State = records.iter().cloned().collect();
    let earlier = decide::decide(snapshot, &state, config, scope, library::NOW - 300);
    let at: HashMap<(String, String), usize> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Record::Torrent(t) => Some(((t.instance.clone(), t.hash.clone()), i)),
            _ => None,
        })
        .collect();
    for r in earlier.records {
        if let Record::Torrent(t) = &r
            && let Some(&i) = at.get(&(t.instance.clone(), t.hash.clone()))
        {
            records[i] = r;
        }
    }
    records
}

/// `cargo test --all-targets` runs this program too, without `--bench` and in a debug build:
/// then it only checks, once, that the synthetic library exercises the rules.
fn smoke(config: &Config, scope: &Scope) {
    let (snapshot, records) = library::library(INSTANCES, 400, 42);
    let state: State = records.into_iter().collect();
    let details = decide::details_needed(&snapshot, &state, config, scope, library::NOW);
    let plan = decide::decide(&snapshot, &state, config, scope, library::NOW);
    assert!(!details.is_empty(), "the library asks for some details");
    assert!(plan.deletions() > 0, "the library has torrents to remove");
    assert!(
        !plan.records.is_empty(),
        "the library has first-seen torrents"
    );
    println!(
        "decide bench: smoke run ({} actions, {} detail requests); `cargo bench --bench decide` measures",
        plan.actions.len(),
        details.len()
    );
}

fn main() {
    let config = config();
    let scope = Scope::default();
    if !std::env::args().any(|a| a == "--bench") {
        smoke(&config, &scope);
        return;
    }
    println!(
        "decide bench: 3 instances (5 for 100,000 torrents), 3 Arrs; {WARMUPS} warm-ups + \
         {SAMPLES} samples per row"
    );
    println!();
    println!(
        "{:>8}  {:<15} {:>11} {:>11} {:>11} {:>11} {:>11}  plan",
        "torrents", "function", "min", "median", "p90", "cpu median", "cpu ns/t"
    );
    let mut decide_per_torrent = Vec::new();
    let mut notes = Vec::new();
    // `BENCH_ONLY=<torrents>` (e.g. 100000) measures that row only, for profiling it.
    let only: Option<usize> = std::env::var("BENCH_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    for (instances, total) in SIZES
        .into_iter()
        .filter(|&(_, n)| only.is_none_or(|o| o == n))
    {
        let (snapshot, records) = library::library(instances, total / instances, 42);
        let records = settled(&snapshot, records, &config, &scope);
        let n: usize = snapshot.instances.iter().map(|i| i.torrents.len()).sum();
        // What a pass does once after loading: the records grouped into the core's State
        // (the copy of the records the measurement needs is included).
        let b = measure(|| records.iter().cloned().collect::<State>());
        let state: State = records.into_iter().collect();
        notes.push(format!("{n:>7} torrents: {}", describe(&snapshot, &state)));
        println!(
            "{n:>8}  {:<15} {:>11} {:>11} {:>11} {:>11} {:>11.1}  {} records",
            "State (load)",
            ms(b.min),
            ms(b.median),
            ms(b.p90),
            ms(b.cpu_median),
            per_torrent(b.cpu_median, n),
            state.len()
        );

        let details = decide::details_needed(&snapshot, &state, &config, &scope, library::NOW);
        let d =
            measure(|| decide::details_needed(&snapshot, &state, &config, &scope, library::NOW));
        println!(
            "{n:>8}  {:<15} {:>11} {:>11} {:>11} {:>11} {:>11.1}  {} trackers, {} files, {} history",
            "details_needed",
            ms(d.min),
            ms(d.median),
            ms(d.p90),
            ms(d.cpu_median),
            per_torrent(d.cpu_median, n),
            details.trackers.len(),
            details.files.len(),
            details.history.len()
        );

        let plan = decide::decide(&snapshot, &state, &config, &scope, library::NOW);
        let s = measure(|| decide::decide(&snapshot, &state, &config, &scope, library::NOW));
        println!(
            "{n:>8}  {:<15} {:>11} {:>11} {:>11} {:>11} {:>11.1}  {} actions ({} deletions{}), {} records changed",
            "decide",
            ms(s.min),
            ms(s.median),
            ms(s.p90),
            ms(s.cpu_median),
            per_torrent(s.cpu_median, n),
            plan.actions.len(),
            plan.deletions(),
            if plan.circuit_open {
                ", circuit open"
            } else {
                ""
            },
            plan.records.len()
        );
        decide_per_torrent.push((n, s.median, s.cpu_median));
    }
    println!();
    for note in notes {
        println!("{note}");
    }
    println!();
    let (n0, _, base) = decide_per_torrent[0];
    for &(n, _, median) in &decide_per_torrent {
        println!(
            "decide() at {n:>6}: {:>6.1} CPU ns/torrent, {:.2}x the per-torrent cost at {n0}",
            per_torrent(median, n),
            per_torrent(median, n) / per_torrent(base, n0)
        );
    }
    for (at, target) in [(9_999, TARGET_10K), (99_995, TARGET_100K)] {
        if let Some(&(n, median, cpu)) = decide_per_torrent.iter().find(|(n, _, _)| *n >= at) {
            let verdict = |d: Duration| if d < target { "PASS" } else { "FAIL" };
            println!(
                "target: decide() < {} at {n} torrents: median wall {} -> {}; median CPU {} -> {}",
                ms(target),
                ms(median),
                verdict(median),
                ms(cpu),
                verdict(cpu)
            );
        }
    }
    let &(n, _, last) = decide_per_torrent.last().expect("rows");
    let growth = per_torrent(last, n) / per_torrent(base, n0);
    println!(
        "target: per-torrent CPU cost from {n0} to {n} within {TARGET_GROWTH}x: {growth:.2}x -> {}",
        if growth <= TARGET_GROWTH {
            "PASS"
        } else {
            "FAIL"
        }
    );
}
