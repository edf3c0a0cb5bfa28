//! Hostile replies: what a broken, old, future or malicious qBittorrent or Arr may send.
//! The parsers never panic; what they accept is sane (negative sizes and times become 0,
//! sentinels become "unknown", hashes lower-case, download ids upper-case), and a pass's
//! decision on it neither panics nor touches a protected torrent.
//!
//! Deterministic: the property tests run from a fixed seed (the fuzz targets in `fuzz/`
//! explore further; see the README, Development).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, RngSeed};
use serde_json::{Value, json};
use sweeparr::arr::wire::{Paged, QueueRecord, group_queue};
use sweeparr::config::Config;
use sweeparr::decide::{Scope, decide};
use sweeparr::model::{ArrKind, ArrSnapshot, InstanceSnapshot, Snapshot, Torrent};
use sweeparr::qbit::wire;
use sweeparr::state::Records;

const NOW: i64 = 1_750_000_000;

fn prop_config(cases: u32) -> PropConfig {
    PropConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x5eed_c0de),
        failure_persistence: None,
        ..PropConfig::default()
    }
}

/// `shared/specs/<name>` beside the repository (worktrees one level deeper).
fn spec_file(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared/specs", "../../shared/specs"]
        .iter()
        .map(|dir| root.join(dir).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found in ../shared/specs or ../../shared/specs"))
}

fn samples() -> Value {
    let text = std::fs::read_to_string(spec_file("qbittorrent-4.5.2-samples.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A JSON value of any kind that a numeric field might hold on a bad day.
fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        Just(json!(8_640_000)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(0.5)),
        Just(json!("12")),
        Just(Value::Null),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
    ]
}

/// An integer field's value: mostly integers at the edges, sometimes anything.
fn hostile_int() -> impl Strategy<Value = Value> {
    prop_oneof![
        24 => prop_oneof![
            Just(json!(0)),
            Just(json!(-1)),
            Just(json!(i64::MIN)),
            Just(json!(i64::MAX)),
            Just(json!(8_640_000)),
            any::<i64>().prop_map(|n| json!(n)),
        ],
        1 => hostile_number(),
    ]
}

/// Names and labels: unicode, path separators, control characters, empty, very long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("../../etc/passwd".to_string()),
        Just("C:\\Windows\\system32\\x.exe".to_string()),
        Just("a/b/c.mkv".to_string()),
        Just("名前 – Ünïcødé 🎬 \u{202e}vkm.exe".to_string()),
        Just("line\nbreak\ttab\u{0}nul".to_string()),
        Just("#".repeat(3)),
        Just("x".repeat(10_000)),
        "\\PC{0,40}",
    ]
}

/// qBittorrent's comma-separated tag strings, empty parts included.
fn hostile_tags() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(",".to_string()),
        Just(" , ,, ".to_string()),
        Just("sweeparr-keep".to_string()),
        Just("a,,sweeparr-keep , ".to_string()),
        "[a-z ,]{0,20}",
    ]
}

/// A hash: mostly a real one in either case (a missing one fails the whole list).
fn hostile_hash() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => "[0-9a-fA-F]{40}".prop_map(Value::String),
        1 => Just(json!("")),
        1 => Just(json!("   ")),
        1 => Just(json!("../x")),
        1 => Just(json!("a#b")),
        1 => Just(Value::Null),
        1 => hostile_text().prop_map(Value::String),
    ]
}

const STATES: &[&str] = &[
    "stalledDL",
    "metaDL",
    "downloading",
    "uploading",
    "stalledUP",
    "pausedDL",
    "stoppedUP",
    "error",
    "missingFiles",
    "",
    "noSuchState",
];

/// One `torrents/info` object, every field hostile or missing.
fn hostile_torrent() -> impl Strategy<Value = Value> {
    let ints = prop::collection::vec(hostile_int(), 13);
    let floats = prop::collection::vec(hostile_number(), 3);
    (
        hostile_hash(),
        hostile_text(),
        prop::sample::select(STATES),
        prop::sample::select(&["radarr", "sonarr", "", "other"][..]),
        hostile_tags(),
        (ints, floats),
        hostile_text(),
    )
        .prop_map(|(hash, name, state, category, tags, (n, f), path)| {
            json!({
                "hash": hash, "name": name, "state": state, "category": category,
                "tags": tags, "size": n[0], "completed": n[1], "amount_left": n[2],
                "progress": f[0], "ratio": f[1], "seeding_time": n[3], "eta": n[4],
                "availability": f[2], "added_on": n[5], "completion_on": n[6],
                "last_activity": n[7], "num_seeds": n[8], "num_leechs": n[9],
                "dlspeed": n[10], "trackers_count": n[11], "time_active": n[12],
                "content_path": path, "save_path": path, "tracker": "",
            })
        })
}

/// Invariants of every parsed torrent.
fn assert_sane(t: &Torrent) {
    assert!(
        !t.hash.is_empty() && t.hash.trim() == t.hash,
        "{:?}",
        t.hash
    );
    assert_eq!(t.hash, t.hash.to_ascii_lowercase());
    assert!((0.0..=1.0).contains(&t.progress), "progress {}", t.progress);
    assert!(t.ratio >= 0.0 || t.ratio.is_nan(), "ratio {}", t.ratio);
    assert!(t.added_on >= 0 && t.last_activity >= 0, "{t:?}");
    assert!(t.eta.is_none_or(|e| e != 8_640_000));
    assert!(t.availability.is_none_or(|a| a >= 0.0));
    assert!(t.completion_on.is_none_or(|c| c > 0));
    assert!(
        t.tags
            .iter()
            .all(|tag| !tag.is_empty() && tag.trim() == tag)
    );
}

fn decide_config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let text = r#"
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
[arr.shows]
kind = "sonarr"
url = "http://127.0.0.1:8989"
api_key = "k"
category = "sonarr"
[seeding]
ratio = 1.0
time = "1d"
[[rule]]
name = "odd"
when = "size > gib(50) || idle_time > days(30) || age > days(365) || seeds < 0"
then = ["tag:odd"]
"#;
        sweeparr::config::load_str(text, "test.toml", Path::new("/"), &|_| None).unwrap()
    })
}

/// Two passes decided on `torrents` (the second on the first's records, a day later):
/// no panic, nothing done to a torrent with the protect tag.
fn decide_twice(torrents: Vec<Torrent>, queue: Vec<QueueRecord>) {
    let cfg = decide_config();
    let snapshot = Snapshot {
        instances: vec![InstanceSnapshot {
            name: "main".into(),
            reachable: true,
            torrents,
            categories: vec!["radarr".into(), "sonarr".into()],
            ..InstanceSnapshot::default()
        }],
        arrs: vec![ArrSnapshot {
            name: "movies".into(),
            kind: ArrKind::Radarr,
            reachable: true,
            version: None,
            error: None,
            queue: group_queue(queue),
            history: Default::default(),
            search: None,
        }],
    };
    let mut state = Records::new();
    for now in [NOW, NOW + 86_400] {
        let plan = decide(&snapshot, &state, cfg, &Scope::default(), now);
        for a in &plan.actions {
            let protected = snapshot.instances[0]
                .torrents
                .iter()
                .any(|t| Some(&t.hash) == a.hash.as_ref() && t.has_tag(&cfg.run.protect_tag));
            assert!(!protected, "acted on a protected torrent: {a:?}");
            // The summary of any action is valid JSON whatever the names hold.
            serde_json::to_string(&a.name).unwrap();
        }
        for r in plan.records {
            state.insert(r.key(), r);
        }
    }
}

proptest! {
    #![proptest_config(prop_config(400))]

    #[test]
    fn hostile_torrent_lists_parse_sanely_or_fail_cleanly(
        list in prop::collection::vec(hostile_torrent(), 0..8)
    ) {
        let body = serde_json::to_vec(&list).unwrap();
        if let Ok(torrents) = wire::parse_torrents(&body) {
            torrents.iter().for_each(assert_sane);
            decide_twice(torrents, vec![]);
        }
    }

    #[test]
    fn hostile_queue_pages_fold_into_upper_case_downloads(
        records in prop::collection::vec(
            (hostile_hash(), hostile_number(), hostile_text(), hostile_number()), 0..12)
    ) {
        let records: Vec<Value> = records
            .into_iter()
            .map(|(id, record_id, title, size)| json!({
                "downloadId": id, "id": record_id, "title": title, "size": size,
                "sizeleft": size, "trackedDownloadState": "importBlocked",
                "statusMessages": [{"title": title, "messages": [title, ""]}],
            }))
            .collect();
        let body = serde_json::to_vec(&json!({"page": 1, "records": records})).unwrap();
        if let Ok(page) = serde_json::from_slice::<Paged<QueueRecord>>(&body) {
            for (key, d) in group_queue(page.records.clone()) {
                prop_assert!(!key.is_empty() && key.trim() == key);
                prop_assert_eq!(&key, &key.to_ascii_uppercase());
                prop_assert!(d.messages.iter().all(|m| !m.trim().is_empty()));
                let mut ids = d.record_ids.clone();
                ids.dedup();
                prop_assert_eq!(ids.len(), d.record_ids.len());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = wire::parse_torrents(&bytes);
        let _ = wire::parse_trackers(&bytes);
        let _ = wire::parse_files(&bytes);
        let _ = wire::parse_private(&bytes);
        let _ = wire::parse_categories(&bytes);
        let _ = wire::parse_text(&bytes).map(|t| wire::api_generation(&t));
        let _ = serde_json::from_slice::<Paged<QueueRecord>>(&bytes).map(|p| group_queue(p.records));
    }
}

fn one(torrent: Value) -> Torrent {
    let body = serde_json::to_vec(&json!([torrent])).unwrap();
    wire::parse_torrents(&body).unwrap().remove(0)
}

#[test]
fn negative_sizes_and_times_become_zero_and_sentinels_unknown() {
    let t = one(json!({
        "hash": "ABCDEF0123456789ABCDEF0123456789ABCDEF01", "size": -5, "completed": -1,
        "amount_left": -9, "seeding_time": -3, "dlspeed": -1, "time_active": i64::MIN,
        "added_on": -1_000, "last_activity": i64::MIN, "completion_on": -1,
        "eta": 8_640_000, "availability": -1, "ratio": -1, "progress": 7.5,
        "trackers_count": -2,
    }));
    assert_eq!(t.hash, "abcdef0123456789abcdef0123456789abcdef01");
    assert_eq!(
        (
            t.size,
            t.completed,
            t.amount_left,
            t.seeding_time,
            t.dlspeed
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!((t.time_active, t.trackers_count), (0, 0));
    assert_eq!((t.added_on, t.last_activity, t.completion_on), (0, 0, None));
    assert_eq!((t.eta, t.availability), (None, None));
    assert!(t.ratio.is_infinite(), "ratio -1 means over 9999");
    assert_eq!(t.progress, 1.0);
    // Size 0 after clamping: never "complete", so nothing is imported or cleaned up on the
    // strength of such numbers.
    assert!(!t.is_complete());
}

#[test]
fn huge_values_are_kept_or_refused_never_wrapped() {
    let t = one(
        json!({"hash": "aa", "size": i64::MAX, "eta": i64::MAX, "seeding_time": i64::MAX,
        "added_on": i64::MAX, "last_activity": i64::MAX, "trackers_count": i64::MAX}),
    );
    assert_eq!((t.size, t.seeding_time), (i64::MAX as u64, i64::MAX as u64));
    assert_eq!(t.eta, Some(i64::MAX as u64));
    assert_eq!(t.trackers_count, u32::MAX);
    decide_twice(vec![t], vec![]);
    // Beyond i64 (or a fraction where an integer belongs): the reply is malformed, the
    // instance unreachable for the pass; nothing is guessed.
    for bad in [json!(u64::MAX), json!(1.5), json!("12")] {
        let body = serde_json::to_vec(&json!([{"hash": "aa", "size": bad}])).unwrap();
        let err = wire::parse_torrents(&body).expect_err("refused");
        assert!(err.contains("invalid"), "{err}");
    }
}

#[test]
fn names_paths_and_tags_are_kept_as_data() {
    let name = "../../etc/passwd/名前 🎬\u{202e}vkm.exe";
    let t = one(
        json!({"hash": "aa", "name": name, "content_path": "/d/../../x",
        "tags": " , ,,a,, sweeparr-keep ,", "category": "radarr/sub"}),
    );
    assert_eq!(t.name, name);
    assert_eq!(t.content_path, "/d/../../x");
    assert_eq!(t.tags, ["a", "sweeparr-keep"]);
    assert!(t.has_tag("sweeparr-keep"));
    for tags in ["", ",", " , , "] {
        assert!(one(json!({"hash": "aa", "tags": tags})).tags.is_empty());
    }
}

#[test]
fn a_torrent_without_a_hash_makes_the_list_malformed() {
    for hash in [json!(""), json!("  "), Value::Null] {
        let body = serde_json::to_vec(&json!([{"hash": hash, "name": "x"}])).unwrap();
        assert!(wire::parse_torrents(&body).is_err(), "{hash}");
    }
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    for depth in [200, 10_000, 1_000_000] {
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(wire::parse_torrents(body.as_bytes()).is_err());
        assert!(wire::parse_categories(body.as_bytes()).is_err());
        let page = format!("{{\"records\":[{{\"title\":{}}}]}}", "[".repeat(depth));
        assert!(serde_json::from_slice::<Paged<QueueRecord>>(page.as_bytes()).is_err());
    }
}

#[test]
fn every_truncation_of_the_real_replies_fails_cleanly() {
    let s = samples();
    let replies: Vec<Vec<u8>> = [
        "/torrents~1info",
        "/torrents~1info_first_capture_before_tag_and_sharelimit_changes",
        "/torrents~1categories",
    ]
    .iter()
    .map(|p| serde_json::to_vec(s.pointer(p).expect(p)).unwrap())
    .chain(
        [
            "/torrents~1trackers",
            "/torrents~1files",
            "/torrents~1properties",
        ]
        .iter()
        .flat_map(|p| s.pointer(p).expect(p).as_object().unwrap().values())
        .map(|v| serde_json::to_vec(v).unwrap()),
    )
    .collect();
    let mut cuts = 0;
    for body in &replies {
        for end in 0..body.len() {
            let cut = &body[..end];
            assert!(wire::parse_torrents(cut).is_err());
            let _ = wire::parse_trackers(cut);
            let _ = wire::parse_files(cut);
            let _ = wire::parse_private(cut);
            let _ = wire::parse_categories(cut);
            cuts += 1;
        }
    }
    assert!(cuts > 5_000, "{cuts} truncations");
    // Whole, the torrent lists parse, and decide copes with them.
    let torrents = wire::parse_torrents(&replies[0]).unwrap();
    assert!(!torrents.is_empty());
    torrents.iter().for_each(assert_sane);
    decide_twice(torrents, vec![]);
}

#[test]
fn queue_ids_are_trimmed_upper_cased_and_blank_ones_skipped() {
    let page = json!({"records": [
        {"id": 1, "downloadId": " abc ", "title": "x"},
        {"id": 1, "downloadId": "ABC"},
        {"id": 2, "downloadId": "   "},
        {"id": 3, "downloadId": ""},
        {"id": 4},
        {"id": -9, "downloadId": "abc", "size": -1.0, "sizeleft": -1e308},
    ]});
    let page: Paged<QueueRecord> = serde_json::from_value(page).unwrap();
    let queue = group_queue(page.records);
    assert_eq!(queue.keys().collect::<Vec<_>>(), ["ABC"]);
    assert_eq!(queue["ABC"].record_ids, [1, -9]);
}
