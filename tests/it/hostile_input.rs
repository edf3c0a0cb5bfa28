//! Hostile replies: what a broken, old, future or malicious qBittorrent or Arr may send.
//! The parsers never panic; what they accept is sane (negative sizes and times become 0,
//! sentinels become "unknown", hashes lower-case, download ids upper-case), and a pass's
//! decision on it neither panics nor touches a protected torrent. The `sync/maindata` reader,
//! fed a reply in any pieces, reads exactly what the whole reply says, and a damaged or
//! truncated reply is an error.
//!
//! Deterministic: the property tests run from a fixed seed (the fuzz targets in `fuzz/`
//! explore further; see the README, Development).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, RngSeed};
use serde_json::{Value, json};
use sweeparr::arr::wire::{Paged, QueueReader, QueueRecord, group_queue, parse_queue};
use sweeparr::config::Config;
use sweeparr::decide::{Scope, decide};
use sweeparr::model::{ArrKind, ArrSnapshot, Connection, InstanceSnapshot, Snapshot, Torrent};
use sweeparr::qbit::maindata::{MainData, MainDataReader, parse_maindata};
use sweeparr::qbit::wire;
use sweeparr::state::State;

const NOW: i64 = 1_750_000_000;

fn prop_config(cases: u32) -> PropConfig {
    PropConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x5eed_c0de),
        failure_persistence: None,
        ..PropConfig::default()
    }
}

/// Real qBittorrent 4.5.2 replies, kept in the repository.
const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/bookworm/samples-4.5.2.json"
);

fn samples() -> Value {
    let text = std::fs::read_to_string(SAMPLES).unwrap();
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
            error: None,
            queue: group_queue(queue),
            history: Default::default(),
            grabs: Default::default(),
            search: None,
            health: Default::default(),
        }],
    };
    let mut state = State::new();
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
            state.insert(r);
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
        let body = serde_json::to_vec(&records).unwrap();
        if let Ok(queue) = parse_queue(&body) {
            prop_assert_eq!(&queue_in_pieces(&body, &[1, 3, 64]).unwrap(), &queue);
            for (key, d) in queue {
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
        let _ = parse_maindata(&bytes);
        let _ = maindata_in_pieces(&bytes, &[1, 7, 64]);
        let _ = serde_json::from_slice::<Paged<QueueRecord>>(&bytes).map(|p| group_queue(p.records));
        let _ = parse_queue(&bytes);
        let _ = queue_in_pieces(&bytes, &[1, 7, 64]);
    }
}

/// Characters that break a naive JSON framer: quotes, backslashes, braces, brackets, commas,
/// colons, slashes, control characters, and letters beyond the BMP (two `\u` escapes).
fn framing_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r#"[a-z\\"{}\[\],:/ é✓🎬\n\t\x01]{0,12}"#).unwrap()
}

/// A JSON string literal for `s`: as serde_json writes it, or with every character but
/// ASCII letters and digits as a `\uXXXX` escape (and `/` as `\/`), as another server may.
fn literal(s: &str, escaped: bool) -> String {
    if !escaped {
        return serde_json::to_string(s).unwrap();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c == '/' {
            out.push_str("\\/");
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                write!(out, "\\u{unit:04X}").unwrap();
            }
        }
    }
    out.push('"');
    out
}

/// One torrent of a generated `sync/maindata` reply.
#[derive(Debug, Clone)]
struct GenTorrent {
    upper: bool,
    name: String,
    category: String,
    tags: Vec<String>,
    nested: bool,
}

/// A generated `sync/maindata` full update: what each member holds, which members are sent
/// (5.x leaves out empty maps), in which order, with which escapes and white space.
#[derive(Debug, Clone)]
struct GenMainData {
    categories: Vec<String>,
    tags: Vec<String>,
    torrents: Vec<GenTorrent>,
    connection: &'static str,
    free_space: i64,
    rid: u64,
    /// Member indexes in sending order; a member left out is not in it.
    members: Vec<usize>,
    /// 0: as serde_json writes, 1: every string escaped, 2: every other string escaped.
    escapes: u8,
    spaces: String,
}

const CONNECTIONS: &[&str] = &["connected", "firewalled", "disconnected", "", "weird"];

fn gen_maindata() -> impl Strategy<Value = GenMainData> {
    let torrent = (
        any::<bool>(),
        framing_text(),
        framing_text(),
        prop::collection::vec(framing_text(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(upper, name, category, tags, nested)| GenTorrent {
            upper,
            name,
            category,
            tags,
            nested,
        });
    let members = (
        Just((0..8).collect::<Vec<usize>>()).prop_shuffle(),
        0..8usize,
    );
    (
        prop::collection::vec(framing_text(), 0..4),
        prop::collection::vec(framing_text(), 0..4),
        prop::collection::vec(torrent, 0..5),
        prop::sample::select(CONNECTIONS),
        prop_oneof![Just(-1_i64), Just(0), Just(i64::MAX), any::<i64>()],
        any::<u64>(),
        members,
        0..3u8,
        proptest::string::string_regex("[ \t\r\n]{0,3}").unwrap(),
    )
        .prop_map(
            |(
                categories,
                tags,
                torrents,
                connection,
                free_space,
                rid,
                (order, drop),
                escapes,
                spaces,
            )| {
                // Leave out one member at most (none when `drop` names no member).
                let members = order.into_iter().filter(|&m| m != drop || m == 7).collect();
                GenMainData {
                    categories,
                    tags,
                    torrents,
                    connection,
                    free_space,
                    rid,
                    members,
                    escapes,
                    spaces,
                }
            },
        )
}

impl GenMainData {
    /// The hash of torrent `i`: 40 hex digits, upper-case when the generator says so.
    fn hash(&self, i: usize) -> String {
        let hash = format!("{:040x}", 0xabc0_0000_u64 + i as u64);
        if self.torrents[i].upper {
            hash.to_ascii_uppercase()
        } else {
            hash
        }
    }

    /// The member with index `m`, when it is sent.
    fn sent(&self, m: usize) -> bool {
        self.members.contains(&m)
    }

    /// The reply, as one string: members joined with the generated white space around
    /// every `{`, `:` and `,` of the framing.
    fn body(&self) -> String {
        let sp = &self.spaces;
        let mut n = 0;
        let mut lit = |s: &str| {
            n += 1;
            literal(s, self.escapes == 1 || (self.escapes == 2 && n % 2 == 0))
        };
        let object = |entries: Vec<(String, String)>| {
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{sp}{k}{sp}:{sp}{v}{sp}"))
                .collect();
            format!("{{{}}}", inner.join(","))
        };
        let mut members = Vec::new();
        for &m in &self.members {
            let (key, value) = match m {
                0 => (
                    "categories",
                    object(
                        self.categories
                            .iter()
                            .map(|c| (lit(c), format!("{{\"name\":{},\"savePath\":\"\"}}", lit(c))))
                            .collect(),
                    ),
                ),
                1 => ("full_update", "true".to_string()),
                2 => ("rid", self.rid.to_string()),
                3 => (
                    "server_state",
                    format!(
                        "{{\"connection_status\":{},\"free_space_on_disk\":{},\"global_ratio\":\"1.02\",\"queueing\":true}}",
                        lit(self.connection),
                        self.free_space
                    ),
                ),
                4 => (
                    "tags",
                    format!(
                        "[{}]",
                        self.tags
                            .iter()
                            .map(|t| lit(t))
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                ),
                5 => (
                    "torrents",
                    object(
                        self.torrents
                            .iter()
                            .enumerate()
                            .map(|(i, t)| {
                                let mut fields = vec![
                                    (lit("name"), lit(&t.name)),
                                    (lit("category"), lit(&t.category)),
                                    (lit("tags"), lit(&t.tags.join(", "))),
                                    (lit("state"), "\"uploading\"".to_string()),
                                    (lit("size"), i.to_string()),
                                ];
                                if t.nested {
                                    let deep = format!(
                                        "[[{}],{{\"x\":[{}]}}]",
                                        lit(&t.name),
                                        lit(&t.tags.concat())
                                    );
                                    fields.push((lit("unknown_field"), deep));
                                }
                                (lit(&self.hash(i)), object(fields))
                            })
                            .collect(),
                    ),
                ),
                6 => (
                    "trackers",
                    object(
                        self.torrents
                            .iter()
                            .enumerate()
                            .map(|(i, t)| {
                                (
                                    lit(&format!("http://t/{}", t.name)),
                                    format!("[{}]", lit(&self.hash(i))),
                                )
                            })
                            .collect(),
                    ),
                ),
                _ => ("server_state_extra", format!("{{\"k\":{}}}", lit("}],\"{"))),
            };
            members.push((lit(key), value));
        }
        format!("{sp}{}{sp}", object(members))
    }

    /// What the reply means.
    fn expected(&self) -> ExpectedMainData {
        let torrents = if self.sent(5) {
            self.torrents
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let tags = t
                        .tags
                        .join(", ")
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    (
                        self.hash(i).to_ascii_lowercase(),
                        t.name.clone(),
                        t.category.clone(),
                        tags,
                    )
                })
                .collect()
        } else {
            vec![]
        };
        let categories = if self.sent(0) {
            self.categories.iter().cloned().collect::<BTreeSet<_>>()
        } else {
            BTreeSet::new()
        };
        let (connection, free_space) = if self.sent(3) {
            (
                Connection::from_qbit(self.connection),
                u64::try_from(self.free_space).ok(),
            )
        } else {
            (Connection::Unknown, None)
        };
        ExpectedMainData {
            torrents,
            categories: categories.into_iter().collect(),
            connection,
            free_space,
        }
    }
}

/// (hash, name, category, tags) of each torrent, the categories, the connection and the free
/// space a reply means.
#[derive(Debug, PartialEq)]
struct ExpectedMainData {
    torrents: Vec<(String, String, String, Vec<String>)>,
    categories: Vec<String>,
    connection: Connection,
    free_space: Option<u64>,
}

impl ExpectedMainData {
    fn of(m: &MainData) -> ExpectedMainData {
        ExpectedMainData {
            torrents: m
                .torrents
                .iter()
                .map(|t| {
                    (
                        t.hash.clone(),
                        t.name.clone(),
                        t.category.clone(),
                        t.tags.clone(),
                    )
                })
                .collect(),
            categories: m.categories.clone(),
            connection: m.connection,
            free_space: m.free_space,
        }
    }
}

/// Feeds `body` to a [`MainDataReader`] cut at `cuts` (positions, any order, clamped to the
/// body); the first error ends the reading.
fn maindata_in_pieces(body: &[u8], cuts: &[usize]) -> Result<MainData, String> {
    let mut reader = MainDataReader::default();
    for piece in pieces(body, cuts) {
        reader.feed(piece)?;
    }
    reader.finish()
}

/// A `queue/details` reply fed to [`QueueReader`] cut at `cuts`.
fn queue_in_pieces(
    body: &[u8],
    cuts: &[usize],
) -> Result<std::collections::BTreeMap<String, sweeparr::model::QueueDownload>, String> {
    let mut reader = QueueReader::default();
    for piece in pieces(body, cuts) {
        reader.feed(piece)?;
    }
    reader.finish()
}

/// `body` cut at `cuts` (each taken modulo its length + 1), in order.
fn pieces<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    at.push(body.len());
    at.sort_unstable();
    let mut from = 0;
    at.into_iter()
        .map(|to| {
            let piece = &body[from..to];
            from = to;
            piece
        })
        .collect()
}

/// Damage: each edit deletes the byte at a position (`None`) or inserts one there.
fn damage(body: &mut Vec<u8>, edits: &[(usize, Option<u8>)]) {
    for &(at, byte) in edits {
        let at = at % (body.len() + 1);
        match byte {
            Some(b) => body.insert(at, b),
            None if at < body.len() => {
                body.remove(at);
            }
            None => {}
        }
    }
}

const DAMAGE: &[Option<u8>] = &[
    None,
    Some(b'['),
    Some(b']'),
    Some(b'{'),
    Some(b'}'),
    Some(b','),
    Some(b'"'),
    Some(b'\\'),
    Some(b' '),
    Some(b':'),
    Some(b'x'),
    Some(0xff),
];

proptest! {
    #![proptest_config(prop_config(512))]

    /// Whatever the strings hold and wherever the reply is cut into pieces, the reader gives
    /// exactly what the whole body gives, and that is what the reply means.
    #[test]
    fn maindata_in_pieces_reads_as_the_whole_reply(
        reply in gen_maindata(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let body = reply.body().into_bytes();
        let whole = parse_maindata(&body);
        let text = String::from_utf8_lossy(&body).into_owned();
        let whole = whole.unwrap_or_else(|e| panic!("{e}: {text}"));
        prop_assert_eq!(ExpectedMainData::of(&whole), reply.expected(), "{}", text);
        prop_assert_eq!(whole.shape.torrents, whole.torrents.len());
        let pieces = maindata_in_pieces(&body, &cuts);
        prop_assert_eq!(pieces.as_ref(), Ok(&whole), "{}", text);
        // Every one-byte piece too.
        let every: Vec<usize> = (1..body.len()).collect();
        let bytewise = maindata_in_pieces(&body, &every);
        prop_assert_eq!(bytewise.as_ref(), Ok(&whole));
    }

    /// A damaged reply gives the same in pieces as whole (the same torrents, or an error
    /// both ways), is accepted only when it is still JSON, and a reply cut before its last
    /// brace is an error; nothing panics.
    #[test]
    fn damaged_or_truncated_maindata_is_an_error_never_a_panic(
        reply in gen_maindata(),
        edits in prop::collection::vec((any::<usize>(), prop::sample::select(DAMAGE)), 1..4),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        cut in any::<usize>(),
    ) {
        let intact = reply.body().into_bytes();
        let mut body = intact.clone();
        damage(&mut body, &edits);
        let text = String::from_utf8_lossy(&body).into_owned();
        let whole = parse_maindata(&body);
        let pieces = maindata_in_pieces(&body, &cuts);
        prop_assert_eq!(
            whole.as_ref().ok(), pieces.as_ref().ok(), "{}: {:?} / {:?}", text, whole, pieces
        );
        if whole.is_ok() {
            prop_assert!(
                serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok(),
                "accepted a reply that is not JSON: {}", text
            );
        }
        // Truncated anywhere before its closing brace: an error, whole and in pieces.
        let end = intact.iter().rposition(|&b| b == b'}').unwrap();
        let short = &intact[..cut % (end + 1)];
        prop_assert!(parse_maindata(short).is_err(), "{}", String::from_utf8_lossy(short));
        prop_assert!(maindata_in_pieces(short, &cuts).is_err());
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
    // The same for the whole state in one reply (`sync/maindata`), whole and in pieces.
    let maindata = serde_json::to_vec(s.pointer("/sync~1maindata_full_rid0").unwrap()).unwrap();
    for end in 0..maindata.len() {
        let cut = &maindata[..end];
        assert!(parse_maindata(cut).is_err(), "{end}");
        assert!(
            maindata_in_pieces(cut, &[end / 2, end / 3]).is_err(),
            "{end}"
        );
    }
    let whole = parse_maindata(&maindata).unwrap();
    whole.torrents.iter().for_each(assert_sane);
    let listed: BTreeSet<String> = wire::parse_torrents(&replies[0])
        .unwrap()
        .into_iter()
        .map(|t| t.hash)
        .collect();
    let in_maindata: BTreeSet<String> = whole.torrents.iter().map(|t| t.hash.clone()).collect();
    assert_eq!(in_maindata, listed, "the same torrents as torrents/info");
    assert_eq!(whole.categories, ["lidarr", "radarr", "sonarr"]);
    assert_eq!(whole.connection, Connection::Firewalled);
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
