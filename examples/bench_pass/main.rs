//! `cargo run --release --example bench_pass`: whole passes of the real release binary
//! against fake qBittorrent instances serving thousands of torrents and three fake Arrs.
//!
//! For each scenario: one cold pass (empty state: every torrent first seen, file lists and
//! Arr history read once, records written, imported torrents tagged, the version of each
//! instance read and remembered), then catch-up passes while tracker lists of torrents first
//! seen are still unread (at most [`sweeparr::decide::select::TRACKER_READS_PER_PASS`] per
//! instance per pass, so a large library is read over several passes), then steady-state
//! passes (nothing changed: no action, nothing written, no per-torrent request, no version
//! read), then, for the main scenarios, the passes after six torrents changed (two reach
//! their seeding goal, two exceed `max_eta`, one errors, one completes) to show that requests
//! grow with the actions and not with the torrents: [`ACTION_PASSES`] of them, a second
//! apart, since an eta over `max_eta` fails a download only once two passes in a row saw it
//! (the other four act on the first; the imported download is tagged on the second). Each
//! pass reports wall time, the child's peak RSS,
//! the HTTP requests the fakes received by endpoint, and `state.written` from the summary.
//!
//! The passes run seconds apart: no tracker list comes due again (`tracker_recheck`, 1 h by
//! default) during a run, so the steady passes show the floor of a pass, not the share of
//! the hourly tracker re-reads a pass of a 4.x instance also carries.
//!
//! Everything listens on 127.0.0.1 and stops at the end; state lives in a temp folder.

mod child;
mod fake_qbit;
mod report;
mod world;

use std::collections::BTreeMap;
use std::path::Path;

use child::PassRun;
use world::{Kind, World};

/// Steady-state passes per scenario (medians are taken over these).
const STEADY_PASSES: usize = 7;
/// Most catch-up passes per scenario before the steady ones are measured anyway.
const MAX_CATCH_UP: usize = 40;
/// Torrents the action passes change, one action each.
const PROVOKED_ACTIONS: u64 = 6;
/// Passes measured after the changes.
const ACTION_PASSES: usize = 2;

/// A library shape to measure.
pub struct Scenario {
    /// Row label.
    pub label: &'static str,
    /// qBittorrent instances.
    pub instances: usize,
    /// Torrents on each.
    pub per_instance: usize,
    /// Per mille of seeding torrents whose tracker does not work (`tracker` = "").
    pub dead_trackers: u64,
    /// Target peak RSS of a steady pass, in bytes.
    pub steady_rss_target: u64,
    /// Target peak RSS of any pass (cold and catch-up included), in bytes.
    pub rss_target: u64,
    /// Left out unless `BENCH_ONLY` names it (the 100,000-torrent world takes minutes).
    pub on_request: bool,
}

const MIB: u64 = 1 << 20;

const SCENARIOS: [Scenario; 5] = [
    Scenario {
        label: "1 x 1,000",
        instances: 1,
        per_instance: 1_000,
        dead_trackers: 0,
        steady_rss_target: 15 * MIB,
        rss_target: 40 * MIB,
        on_request: false,
    },
    Scenario {
        label: "1 x 10,000",
        instances: 1,
        per_instance: 10_000,
        dead_trackers: 0,
        steady_rss_target: 30 * MIB,
        rss_target: 40 * MIB,
        on_request: false,
    },
    Scenario {
        label: "3 x 3,334",
        instances: 3,
        per_instance: 3_334,
        dead_trackers: 0,
        steady_rss_target: 30 * MIB,
        rss_target: 40 * MIB,
        on_request: false,
    },
    Scenario {
        label: "1 x 10,000, 1% no working tracker",
        instances: 1,
        per_instance: 10_000,
        dead_trackers: 10,
        steady_rss_target: 30 * MIB,
        rss_target: 40 * MIB,
        on_request: false,
    },
    Scenario {
        label: "5 x 20,000",
        instances: 5,
        per_instance: 20_000,
        dead_trackers: 0,
        steady_rss_target: 150 * MIB,
        rss_target: 150 * MIB,
        on_request: true,
    },
];

/// One measured pass: the run and the requests the fakes received during it.
pub struct Measured {
    /// What the child cost and said.
    pub run: PassRun,
    /// qBittorrent requests by endpoint, all instances together.
    pub qbit: BTreeMap<String, u64>,
    /// Arr requests by "<kind> <METHOD> <path>".
    pub arr: BTreeMap<String, u64>,
}

impl Measured {
    /// All HTTP requests of the pass.
    pub fn requests(&self) -> u64 {
        self.qbit.values().sum::<u64>() + self.arr.values().sum::<u64>()
    }
}

/// Everything measured for one scenario.
pub struct ScenarioResult {
    /// The scenario.
    pub scenario: &'static Scenario,
    /// Requests a steady pass should need: 2 per instance (login, `sync/maindata`),
    /// 1 per Arr (`queue/details`).
    pub expected_steady: u64,
    /// Downloads / records in the Arr queues.
    pub queue: (usize, usize),
    /// Size of the state database after the cold pass.
    pub state_bytes: u64,
    /// First pass, empty state.
    pub cold: Measured,
    /// Passes after the cold one that still read tracker lists of torrents first seen.
    pub catch_up: Vec<Measured>,
    /// Passes with nothing changed.
    pub steady: Vec<Measured>,
    /// The passes after six torrents changed (none for the scenarios that do not provoke).
    pub actions: Vec<Measured>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(child::LAUNCHER_FLAG) {
        std::process::exit(child::launcher(&args[2..]));
    }
    let binary = match testkit::find_sweeparr_binary() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bench_pass: {e}");
            std::process::exit(2);
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("note: the fakes are a debug build; run with --release for comparable figures");
    }
    println!("pass bench: {} (release binary)", binary.display());
    let scratch = tempfile::tempdir().expect("temp dir");
    println!(
        "measuring floor: `sweeparr --version` peaks at {:.1} MB through the launcher",
        child::floor_kib(&binary, scratch.path()) as f64 * 1024.0 / 1e6
    );
    // `BENCH_ONLY=<text>` keeps the scenarios whose label contains it (for profiling one);
    // `BENCH_ONLY=all` runs every one, the 100,000-torrent world too.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let chosen = |s: &&Scenario| match only.as_str() {
        "all" => true,
        "" => !s.on_request,
        text => s.label.contains(text),
    };
    let mut results = Vec::new();
    for scenario in SCENARIOS.iter().filter(chosen) {
        let result = run_scenario(&binary, scenario);
        report::scenario(&result);
        results.push(result);
    }
    report::summary(&results);
}

fn run_scenario(binary: &Path, scenario: &'static Scenario) -> ScenarioResult {
    let now = sweeparr::pass::epoch_now();
    let world = World::start(
        scenario.instances,
        scenario.per_instance,
        scenario.dead_trackers,
        now,
    );
    let queue = (
        world.arrs.iter().map(|a| a.queue_len()).sum(),
        world.arrs.iter().map(|a| a.queue_record_count()).sum(),
    );
    // One queue/details per Arr, whatever the length of its queue.
    let expected_steady = (2 * world.qbits.len() + world.arrs.len()) as u64;
    let cold = measure(&world, binary);
    let state_bytes = world.state_bytes();
    // Passes go on reading tracker lists until every torrent's was read once; the first pass
    // that reads none is the first steady one.
    let mut catch_up = Vec::new();
    let mut steady = Vec::new();
    while steady.is_empty() {
        let m = measure(&world, binary);
        if m.qbit.contains_key("torrents/trackers") && catch_up.len() < MAX_CATCH_UP {
            catch_up.push(m);
        } else {
            steady.push(m);
        }
    }
    steady.extend((1..STEADY_PASSES).map(|_| measure(&world, binary)));
    let mut actions = Vec::new();
    if scenario.dead_trackers == 0 {
        provoke_actions(&world, now);
        for i in 0..ACTION_PASSES {
            if i > 0 {
                // Each pass in a later second than the one before: "two passes in a row" are
                // two different moments.
                let start = sweeparr::pass::epoch_now();
                while sweeparr::pass::epoch_now() == start {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
            actions.push(measure(&world, binary));
        }
    }
    ScenarioResult {
        scenario,
        expected_steady,
        queue,
        state_bytes,
        cold,
        catch_up,
        steady,
        actions,
    }
}

/// Runs one pass and collects what the fakes saw.
fn measure(world: &World, binary: &Path) -> Measured {
    for q in &world.qbits {
        q.take_counts();
    }
    for a in &world.arrs {
        a.clear_requests();
    }
    let run = child::run_pass(binary, &world.config, world.dir.path());
    let mut qbit = BTreeMap::new();
    for q in &world.qbits {
        for (endpoint, n) in q.take_counts() {
            *qbit.entry(endpoint).or_default() += n;
        }
    }
    let mut arr = BTreeMap::new();
    for a in &world.arrs {
        let base = a.kind().api_base();
        for r in a.requests() {
            let path = r.path.strip_prefix(base).unwrap_or(&r.path);
            let path = match path.strip_prefix("/queue/") {
                Some(rest) if rest != "details" => "/queue/{id}",
                _ => path,
            };
            let key = format!(
                "{} {} {}",
                a.kind().as_str(),
                r.method,
                path.trim_start_matches('/')
            );
            *arr.entry(key).or_default() += 1;
        }
    }
    Measured { run, qbit, arr }
}

/// Six changes, one action each: two imported torrents reach ratio 2.5 (remove), two
/// downloads get an eta over `max_eta` (fail through the Arr), one download errors
/// (recheck), one download completes (import scan).
fn provoke_actions(world: &World, now: i64) {
    let goal = world.of_kind(Kind::Seeding, 2);
    let dl = world.of_kind(Kind::Downloading, 4);
    assert!(goal.len() == 2 && dl.len() == 4, "library too small");
    for p in &goal {
        world.qbits[p.instance].modify(&p.hash, |t| t.ratio = 2.5);
    }
    for p in &dl[..2] {
        world.qbits[p.instance].modify(&p.hash, |t| t.eta = 30 * 86_400);
    }
    world.qbits[dl[2].instance].modify(&dl[2].hash, |t| t.state = "error".into());
    world.qbits[dl[3].instance].modify(&dl[3].hash, |t| {
        t.completed = t.size;
        t.downloaded = t.size;
        t.amount_left = 0;
        t.progress = 1.0;
        t.state = "uploading".into();
        t.eta = 8_640_000;
        t.availability = -1.0;
        t.completion_on = now;
        t.seen_complete = now;
    });
}
