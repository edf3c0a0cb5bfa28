//! Invariants of `decide()` over generated snapshots and state (proptest): whatever the
//! torrents, records, queues and reachability, these hold for every plan.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::tests::{NOW, arr, complete, config, instance, queued, torrent};
use super::*;
use crate::model::{ArrKind, Status, Torrent, TorrentKey};
use crate::state::{Record, State, TorrentRecord};

const STATES: &[(&str, Status)] = &[
    ("downloading", Status::Downloading),
    ("stalledDL", Status::StalledDl),
    ("metaDL", Status::MetaDl),
    ("pausedDL", Status::PausedDl),
    ("queuedDL", Status::QueuedDl),
    ("checkingDL", Status::CheckingDl),
    ("error", Status::Error),
    ("missingFiles", Status::MissingFiles),
    ("stalledUP", Status::StalledUp),
    ("uploading", Status::Uploading),
    ("pausedUP", Status::PausedUp),
];

/// Content paths torrents are given (or their own unique one): the same, nested, or a
/// folder holding all of them.
const PATHS: &[&str] = &[
    "/downloads/A",
    "/downloads/A/",
    "/downloads/A/a.mkv",
    "/downloads/B",
    "/downloads",
];

/// Naive reference for shared files: same path, or one inside the other.
fn overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
    !a.is_empty()
        && !b.is_empty()
        && (a == b || a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/")))
}

/// One generated torrent with its optional record and queue entry.
#[derive(Debug, Clone)]
struct Case {
    torrent: Torrent,
    record: Option<TorrentRecord>,
    queue_ids: Option<Vec<i64>>,
    on_second_instance: bool,
}

fn case(index: usize) -> impl Strategy<Value = Case> {
    (
        (0..STATES.len(), any::<bool>(), 0u8..4, any::<bool>()),
        (
            0u64..10_000,
            0.0f64..5.0,
            0u64..40 * 86_400,
            prop::option::of(0u64..20 * 86_400),
        ),
        (
            prop::option::of(0.0f64..3.0),
            0i64..10 * 86_400,
            0i64..10 * 86_400,
        ),
        (
            any::<bool>(),
            prop::option::of(0i64..5 * 86_400),
            prop::option::of(0i64..5 * 86_400),
            prop::option::of(prop::collection::vec(1i64..1000, 1..4)),
            any::<bool>(),
            prop::option::of(0i64..5 * 86_400),
        ),
        0usize..PATHS.len() + 1,
    )
        .prop_map(
            move |(
                (state, complete_data, category, protected),
                (completed, ratio, seeding, eta),
                (availability, added_ago, activity_ago),
                (has_record, imported_ago, problem_ago, queue_ids, second, recheck_ago),
                path,
            )| {
                let hash = format!("{index:040x}");
                let (state, status) = STATES[state];
                let base = if complete_data {
                    complete(&hash)
                } else {
                    torrent(&hash)
                };
                let mut t = Torrent {
                    status,
                    state: state.to_string(),
                    category: ["radarr", "sonarr", "other", ""][category as usize].to_string(),
                    tags: if protected {
                        vec!["sweeparr-keep".into()]
                    } else {
                        vec![]
                    },
                    completed: if complete_data {
                        base.size
                    } else {
                        completed % base.size
                    },
                    ratio,
                    seeding_time: seeding,
                    eta,
                    availability,
                    added_on: NOW - added_ago,
                    last_activity: NOW - activity_ago.min(added_ago),
                    ..base
                };
                t.amount_left = t.size - t.completed;
                // Often a path another generated torrent has too, or one inside it.
                if let Some(p) = PATHS.get(path) {
                    t.content_path = (*p).to_string();
                }
                let record = has_record.then(|| {
                    let mut r = TorrentRecord::new(&TorrentKey::new("main", &hash), NOW - 86_400);
                    r.completed = t.completed;
                    r.progress_at = NOW - activity_ago;
                    r.imported_at = imported_ago.map(|a| NOW - a);
                    r.import_problem_since = problem_ago.map(|a| NOW - a);
                    r.rechecked_at = recheck_ago.map(|a| NOW - a);
                    r
                });
                Case {
                    torrent: t,
                    record,
                    queue_ids,
                    on_second_instance: second,
                }
            },
        )
}

fn world() -> impl Strategy<Value = (Vec<Case>, bool, bool, usize)> {
    (
        (0usize..24).prop_flat_map(|n| (0..n).map(case).collect::<Vec<_>>()),
        any::<bool>(),
        any::<bool>(),
        0usize..6,
    )
}

/// Builds the snapshot and state: instance "main" always reachable, "box" reachable or not,
/// Arr "movies" reachable or not, "tv" reachable.
fn build(cases: &[Case], box_up: bool, movies_up: bool) -> (Snapshot, State) {
    let mut main = vec![];
    let mut other = vec![];
    let mut movies_queue = vec![];
    let mut tv_queue = vec![];
    let mut state = State::new();
    for c in cases {
        if c.on_second_instance {
            other.push(c.torrent.clone());
        } else {
            main.push(c.torrent.clone());
            if let Some(r) = &c.record {
                state.insert(Record::Torrent(Box::new(r.clone())));
            }
        }
        if let Some(ids) = &c.queue_ids {
            let q = queued(&c.torrent.hash, ids, "importblocked");
            if c.torrent.category == "sonarr" {
                tv_queue.push(q);
            } else {
                movies_queue.push(q);
            }
        }
    }
    let mut boxed = instance("box", other);
    boxed.reachable = box_up;
    let mut movies = arr("movies", ArrKind::Radarr, movies_queue);
    movies.reachable = movies_up;
    let snapshot = Snapshot {
        instances: vec![instance("main", main), boxed],
        arrs: vec![movies, arr("tv", ArrKind::Sonarr, tv_queue)],
    };
    (snapshot, state)
}

fn torrent_of<'a>(cases: &'a [Case], a: &Action) -> Option<&'a Case> {
    cases
        .iter()
        .find(|c| Some(&c.torrent.hash) == a.hash.as_ref())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_every_plan((cases, box_up, movies_up, max) in world()) {
        let (snapshot, state) = build(&cases, box_up, movies_up);
        let mut cfg = config();
        cfg.run.max_deletions = max;
        let plan = decide(&snapshot, &state, &cfg, &Scope::default(), NOW);

        // Every action has a reason.
        prop_assert!(plan.actions.iter().all(|a| !a.reason.trim().is_empty()));
        // No plan sends more deletions than max_deletions.
        let sent = plan.actions.iter().filter(|a| a.kind.is_deletion() && a.skip.is_none()).count();
        prop_assert!(sent <= max, "{sent} deletions sent > {max}");
        // Nothing is decided for an unreachable instance.
        if !box_up {
            prop_assert!(plan.actions.iter().all(|a| a.instance != "box"));
            prop_assert!(plan.records.iter().all(|r| !matches!(r, Record::Torrent(t) if t.instance == "box")));
        }
        for a in plan.actions.iter().filter(|a| a.hash.is_some()) {
            let c = torrent_of(&cases, a).expect("action on a known torrent");
            // A protected torrent is never changed.
            prop_assert!(!c.torrent.has_tag("sweeparr-keep"), "{a:?}");
            // An incomplete torrent is never removed except as failed.
            if a.kind == ActionKind::Remove {
                prop_assert!(c.torrent.is_complete(), "{a:?}");
            }
            // An imported torrent is never failed.
            if a.kind == ActionKind::Fail && !c.on_second_instance {
                prop_assert!(c.record.as_ref().is_none_or(|r| r.imported_at.is_none()), "{a:?}");
            }
            // An unreachable Arr means nothing destructive (nor an import) for its category.
            if !movies_up && c.torrent.category == "radarr" {
                prop_assert!(false, "action for a category whose Arr is unreachable: {a:?}");
            }
            // Only managed torrents are acted on.
            prop_assert!(c.torrent.category == "radarr" || c.torrent.category == "sonarr");
        }
        // No plan deletes files that another torrent of the same instance uses.
        for a in plan.actions.iter().filter(|a| a.deletes_files()) {
            let inst = snapshot.instance(&a.instance).expect("instance");
            let me = inst.torrents.iter().find(|t| Some(&t.hash) == a.hash.as_ref()).expect("torrent");
            for other in inst.torrents.iter().filter(|t| t.hash != me.hash) {
                prop_assert!(
                    !overlap(&me.content_path, &other.content_path),
                    "{a:?} deletes files of {} too", other.name
                );
            }
        }
        // At most one action of each kind per torrent, and one primary action.
        let mut per_torrent: BTreeMap<(&str, &str), Vec<ActionKind>> = BTreeMap::new();
        for a in &plan.actions {
            if let Some(h) = &a.hash {
                per_torrent.entry((a.instance.as_str(), h.as_str())).or_default().push(a.kind);
            }
        }
        for kinds in per_torrent.values() {
            let primary = kinds.iter().filter(|k| !matches!(k, ActionKind::Tag)).count();
            prop_assert!(primary <= 1, "{kinds:?}");
        }
    }

    #[test]
    fn deciding_twice_on_its_own_records_changes_no_record((cases, box_up, movies_up, _max) in world()) {
        let (snapshot, state) = build(&cases, box_up, movies_up);
        let cfg = config();
        let first = decide(&snapshot, &state, &cfg, &Scope::default(), NOW);
        let mut next = state.clone();
        for r in &first.records {
            next.insert(r.clone());
        }
        let second = decide(&snapshot, &next, &cfg, &Scope::default(), NOW);
        // Same snapshot, same time: observations are already recorded.
        prop_assert!(second.records.is_empty(), "{:#?}", second.records);
    }
}
