//! A pass's decision on whatever the parsers accept. The fuzzer picks every field of a
//! `torrents/info` list and a Radarr queue page (integers and floats at will, names, tags);
//! they are sent through the real parsers as JSON, then two passes are decided (the second on
//! the records of the first, later by a fuzzed step). Neither may panic, and no action may
//! touch a torrent carrying the protect tag.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use sweeparr::arr::wire::{Paged, QueueRecord, group_queue};
use sweeparr::config::Config;
use sweeparr::decide::{Scope, decide};
use sweeparr::model::{ArrKind, ArrSnapshot, InstanceSnapshot, Snapshot};
use sweeparr::state::State;

const CONFIG: &str = r#"
[run]
ignore_younger_than = "10m"
max_deletions = 1000

[qbit.main]
url = "http://127.0.0.1:8080"

[arr.movies]
kind = "radarr"
url = "http://127.0.0.1:7878"
api_key = "k"
category = "radarr"

[seeding]
ratio = 1.0
time = "1d"

[[rule]]
name = "big-and-idle"
when = "size > gib(50) || idle_time > days(30) || age > days(365) || seeds < 0"
then = ["tag:odd"]
"#;

const STATES: [&str; 10] = [
    "stalledDL",
    "metaDL",
    "downloading",
    "uploading",
    "stalledUP",
    "pausedDL",
    "stoppedUP",
    "error",
    "missingFiles",
    "checkingDL",
];
const CATEGORIES: [&str; 3] = ["radarr", "", "other"];
const TRACKED: [&str; 6] = [
    "downloading",
    "importPending",
    "importBlocked",
    "importFailed",
    "imported",
    "failedPending",
];

#[derive(Debug, Arbitrary)]
struct FuzzTorrent {
    hash: u16,
    name: String,
    state: u8,
    category: u8,
    tags: String,
    size: i64,
    completed: i64,
    amount_left: i64,
    progress: f64,
    ratio: f64,
    seeding_time: i64,
    eta: i64,
    availability: f64,
    added_on: i64,
    completion_on: i64,
    last_activity: i64,
    num_seeds: i64,
    dlspeed: i64,
    content_path: String,
}

#[derive(Debug, Arbitrary)]
struct FuzzQueued {
    torrent: u16,
    id: i64,
    tracked: u8,
    status: String,
    message: String,
    size: f64,
}

#[derive(Debug, Arbitrary)]
struct Input {
    torrents: Vec<FuzzTorrent>,
    queue: Vec<FuzzQueued>,
    now: i64,
    step: u32,
}

fn config() -> &'static Config {
    static CONFIG_ONCE: OnceLock<Config> = OnceLock::new();
    CONFIG_ONCE.get_or_init(|| {
        sweeparr::config::load_str(CONFIG, "fuzz.toml", Path::new("/"), &|_| None)
            .expect("fuzz config loads")
    })
}

fn hash(n: u16) -> String {
    format!("{n:040x}")
}

fuzz_target!(|input: Input| {
    let list: Vec<_> = input
        .torrents
        .iter()
        .map(|t| {
            json!({
                "hash": hash(t.hash), "name": t.name,
                "state": STATES[t.state as usize % STATES.len()],
                "category": CATEGORIES[t.category as usize % CATEGORIES.len()],
                "tags": t.tags, "size": t.size, "completed": t.completed,
                "amount_left": t.amount_left, "progress": t.progress, "ratio": t.ratio,
                "seeding_time": t.seeding_time, "eta": t.eta, "availability": t.availability,
                "added_on": t.added_on, "completion_on": t.completion_on,
                "last_activity": t.last_activity, "num_seeds": t.num_seeds,
                "dlspeed": t.dlspeed, "content_path": t.content_path,
            })
        })
        .collect();
    let Ok(torrents) = sweeparr::qbit::wire::parse_torrents(&serde_json::to_vec(&list).unwrap())
    else {
        return;
    };
    let records: Vec<_> = input
        .queue
        .iter()
        .map(|q| {
            json!({
                "id": q.id, "downloadId": hash(q.torrent).to_uppercase(),
                "trackedDownloadState": TRACKED[q.tracked as usize % TRACKED.len()],
                "status": q.status, "errorMessage": q.message, "size": q.size,
            })
        })
        .collect();
    let page = serde_json::to_vec(&json!({"page": 1, "records": records})).unwrap();
    let queue = serde_json::from_slice::<Paged<QueueRecord>>(&page)
        .map(|p| group_queue(p.records))
        .unwrap_or_default();
    let snapshot = Snapshot {
        instances: vec![InstanceSnapshot {
            name: "main".into(),
            reachable: true,
            torrents,
            categories: vec!["radarr".into()],
            ..InstanceSnapshot::default()
        }],
        arrs: vec![ArrSnapshot {
            name: "movies".into(),
            kind: ArrKind::Radarr,
            reachable: true,
            error: None,
            queue,
            history: Default::default(),
            grabs: Default::default(),
            search: None,
            health: Default::default(),
        }],
    };
    let cfg = config();
    // Any time after 2001 and before the year 5000.
    let now = 1_000_000_000 + input.now.rem_euclid(100_000_000_000);
    let mut state = State::new();
    for now in [now, now + i64::from(input.step)] {
        let plan = decide(&snapshot, &state, cfg, &Scope::default(), now);
        for a in &plan.actions {
            let protected = snapshot.instances[0]
                .torrents
                .iter()
                .any(|t| Some(&t.hash) == a.hash.as_ref() && t.has_tag(&cfg.run.protect_tag));
            assert!(!protected, "acted on a protected torrent: {a:?}");
        }
        for r in plan.records {
            state.insert(r);
        }
    }
});
