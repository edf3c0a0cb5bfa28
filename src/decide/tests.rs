//! Unit tests of `decide()`: one block per rule (README, "What one pass does" and "Never
//! destroy a good download").

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::config::*;
use crate::model::*;
use crate::state::{Intent, Record, State, TorrentRecord};

pub(super) const NOW: i64 = 1_800_000_000;
const MIN: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const H1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const H2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const H3: &str = "cccccccccccccccccccccccccccccccccccccccc";

fn mins(m: u64) -> Option<Duration> {
    Some(Duration::from_secs(m * 60))
}

fn health() -> Health {
    Health {
        stalled_after: mins(30),
        max_eta: mins(7 * 24 * 60),
        unavailable_after: mins(60),
        remove_unregistered: true,
        tracker_recheck: Duration::from_secs(3600),
        blocked_extensions: vec![".exe".into(), ".lnk".into()],
        exclude_files: Default::default(),
        keep_only: Vec::new(),
        failed_import_after: mins(60),
        failed_import_ignore: vec![],
        research: true,
        min_speed: None,
        slow_after: Duration::from_secs(3600),
        private: PrivatePolicy::Keep,
    }
}

fn seeding() -> Seeding {
    Seeding {
        goal: SeedGoal {
            ratio: Some(2.0),
            time: Some(Duration::from_secs(14 * DAY as u64)),
            mode: SeedMode::Any,
            delete_files: true,
            min_time: Duration::ZERO,
        },
        trackers: vec![TrackerRule {
            host: "tracker.example.org".into(),
            goal: SeedGoal {
                ratio: Some(1.0),
                time: Some(Duration::from_secs(3 * DAY as u64)),
                mode: SeedMode::Any,
                delete_files: false,
                min_time: Duration::from_secs(72 * HOUR as u64),
            },
        }],
    }
}

fn arr_cfg(name: &str, kind: ArrKind, category: &str) -> ArrConfig {
    ArrConfig {
        name: name.into(),
        kind,
        url: "http://127.0.0.1:7878".parse().unwrap(),
        api_key_source: SecretSource::Literal("k".into()),
        api_key: Secret::new("k"),
        category: category.into(),
        import_mode: ImportMode::Auto,
        health: health(),
        seeding: seeding(),
        tls_insecure: false,
        search: None,
    }
}

fn qbit_cfg(name: &str) -> QbitConfig {
    QbitConfig {
        name: name.into(),
        url: "http://127.0.0.1:8080".parse().unwrap(),
        username: "admin".into(),
        password_source: SecretSource::Literal("p".into()),
        password: Secret::new("p"),
        api_key_source: None,
        api_key: Secret::default(),
        disabled: false,
        path_map: vec![("/downloads".into(), "/mnt/dl".into())],
        tls_insecure: false,
        space: None,
    }
}

pub(super) fn config() -> Config {
    Config {
        source: "test".into(),
        state: StateConfig {
            backend: Backend::File,
            path: "state".into(),
            table: "sweeparr".into(),
            endpoint_url: None,
        },
        run: RunConfig {
            dry_run: false,
            protect_tag: "sweeparr-keep".into(),
            max_deletions: 25,
            ignore_younger_than: mins(10),
            deadline: Duration::from_secs(600),
            tag_actions: false,
            http_timeout: Duration::from_secs(30),
            lease_margin: Duration::from_secs(60),
            failed_category: None,
            recheck_category: None,
        },
        qbit: BTreeMap::from([
            ("main".into(), qbit_cfg("main")),
            ("box".into(), qbit_cfg("box")),
        ]),
        arr: BTreeMap::from([
            (
                "movies".into(),
                arr_cfg("movies", ArrKind::Radarr, "radarr"),
            ),
            ("tv".into(), arr_cfg("tv", ArrKind::Sonarr, "sonarr")),
        ]),
        notify: vec![],
        rules: vec![],
        orphans: None,
        trackers: vec![],
    }
}

/// A downloading radarr torrent added two hours ago.
pub(super) fn torrent(hash: &str) -> Torrent {
    Torrent {
        hash: hash.into(),
        name: format!("name-{}", &hash[..4]),
        status: Status::Downloading,
        state: "downloading".into(),
        category: "radarr".into(),
        tags: vec![],
        size: 1000,
        completed: 100,
        amount_left: 900,
        progress: 0.1,
        ratio: 0.0,
        seeding_time: 0,
        eta: Some(600),
        availability: Some(2.0),
        added_on: NOW - 2 * HOUR,
        completion_on: None,
        last_activity: NOW - MIN,
        content_path: format!("/downloads/{hash}"),
        save_path: "/downloads".into(),
        tracker: "https://tracker.other.net/announce".into(),
        trackers_count: 1,
        dlspeed: 1000,
        upspeed: 0,
        num_seeds: 1,
        num_leechs: 0,
        time_active: 2 * HOUR as u64,
        private: Some(false),
        ratio_limit: -2.0,
        seeding_time_limit: -2,
        inactive_seeding_time_limit: Some(-2),
        tracker_error: None,
        up_limit: -1,
        dl_limit: -1,
    }
}

fn stalled(hash: &str, since: i64) -> Torrent {
    Torrent {
        status: Status::StalledDl,
        state: "stalledDL".into(),
        last_activity: NOW - since,
        eta: None,
        availability: Some(0.0),
        dlspeed: 0,
        ..torrent(hash)
    }
}

pub(super) fn complete(hash: &str) -> Torrent {
    Torrent {
        status: Status::StalledUp,
        state: "stalledUP".into(),
        completed: 1000,
        amount_left: 0,
        progress: 1.0,
        eta: None,
        availability: None,
        completion_on: Some(NOW - HOUR),
        ..torrent(hash)
    }
}

pub(super) fn queued(hash: &str, ids: &[i64], tracked_state: &str) -> QueueDownload {
    QueueDownload {
        download_id: hash.to_ascii_uppercase(),
        record_ids: ids.to_vec(),
        title: "title".into(),
        status: "completed".into(),
        tracked_state: tracked_state.into(),
        tracked_status: "ok".into(),
        messages: vec![],
    }
}

pub(super) fn arr(name: &str, kind: ArrKind, queue: Vec<QueueDownload>) -> ArrSnapshot {
    ArrSnapshot {
        name: name.into(),
        kind,
        reachable: true,
        error: None,
        queue: queue
            .into_iter()
            .map(|q| (q.download_id.clone(), q))
            .collect(),
        history: BTreeMap::new(),
        grabs: Default::default(),
        search: None,
        // Read and well (a direct deletion is then decided on the other guards).
        health: ArrHealth::Read(vec![]),
    }
}

pub(super) fn instance(name: &str, torrents: Vec<Torrent>) -> InstanceSnapshot {
    InstanceSnapshot {
        name: name.into(),
        reachable: true,
        version: Some("v4.5.2".into()),
        api_version: Some("2.8.19".into()),
        categories: vec!["radarr".into(), "sonarr".into()],
        torrents,
        ..Default::default()
    }
}

pub(super) fn snap(torrents: Vec<Torrent>, queue: Vec<QueueDownload>) -> Snapshot {
    Snapshot {
        instances: vec![instance("main", torrents)],
        arrs: vec![
            arr("movies", ArrKind::Radarr, queue),
            arr("tv", ArrKind::Sonarr, vec![]),
        ],
    }
}

pub(super) fn record(hash: &str, f: impl FnOnce(&mut TorrentRecord)) -> State {
    let mut r = TorrentRecord::new(&TorrentKey::new("main", hash), NOW - DAY);
    r.completed = 100;
    r.progress_at = NOW - DAY;
    f(&mut r);
    State::from_iter([Record::Torrent(Box::new(r))])
}

/// The records an earlier pass, `ago` seconds before NOW, left after seeing `s` (its runs
/// of passes, such as the stall clock, start then).
fn earlier(s: &Snapshot, ago: i64) -> State {
    decide(s, &State::new(), &config(), &Scope::default(), NOW - ago)
        .records
        .into_iter()
        .collect()
}

pub(super) fn run(s: &Snapshot, state: &State) -> Plan {
    decide(s, state, &config(), &Scope::default(), NOW)
}

fn only(plan: &Plan) -> &Action {
    assert_eq!(
        plan.actions.len(),
        1,
        "expected one action: {:#?}",
        plan.actions
    );
    &plan.actions[0]
}

pub(super) fn rec_of<'a>(plan: &'a Plan, hash: &str) -> &'a TorrentRecord {
    plan.records
        .iter()
        .find_map(|r| match r {
            Record::Torrent(t) if t.hash == hash => Some(t),
            _ => None,
        })
        .expect("record written")
}

#[test]
fn stalled_torrent_is_failed_after_threshold_through_the_arr() {
    let s = snap(
        vec![stalled(H1, 45 * MIN)],
        vec![queued(H1, &[7], "downloading")],
    );
    let plan = run(&s, &earlier(&s, 45 * MIN));
    let a = only(&plan);
    assert_eq!(a.kind, ActionKind::Fail);
    assert_eq!(a.reason, "stalled 45m > 30m");
    assert_eq!(
        a.op,
        Op::ArrRemove {
            arr: "movies".into(),
            queue_id: 7,
            skip_redownload: false,
            client: ClientSide::ArrRemoves,
        }
    );
}

#[test]
fn stall_thresholds_table() {
    // (seconds watched stalled, failed?)
    for (since, failed) in [
        (29 * MIN, false),
        (30 * MIN, true),
        (5 * HOUR, true),
        (0, false),
    ] {
        let s = snap(vec![stalled(H1, since)], vec![]);
        let plan = run(&s, &earlier(&s, since));
        assert_eq!(
            plan.actions.iter().any(|a| a.kind == ActionKind::Fail),
            failed,
            "{since}"
        );
    }
}

#[test]
fn stalled_torrent_unknown_to_the_arr_is_deleted_with_files() {
    let s = snap(vec![stalled(H1, 2 * HOUR)], vec![]);
    let plan = run(&s, &earlier(&s, 2 * HOUR));
    assert_eq!(only(&plan).op, Op::ClientDelete { delete_files: true });
}

#[test]
fn stall_clock_restarts_when_bytes_grow() {
    let mut t = stalled(H1, 5 * HOUR);
    t.completed = 500;
    let state = record(H1, |r| r.completed = 100);
    let plan = run(&snap(vec![t], vec![]), &state);
    assert!(plan.actions.is_empty());
    assert_eq!(rec_of(&plan, H1).progress_at, NOW);
    assert_eq!(rec_of(&plan, H1).completed, 500);
}

#[test]
fn stall_clock_is_kept_across_passes() {
    // Watched stalled for 40 minutes, qBittorrent's last_activity is recent (peers
    // connect but send nothing): the stored clock decides.
    let t = stalled(H1, MIN);
    let state = record(H1, |r| r.stalled_since = Some(NOW - 40 * MIN));
    assert_eq!(
        only(&run(&snap(vec![t], vec![]), &state)).reason,
        "stalled 40m > 30m"
    );
}

#[test]
fn eta_rules_table() {
    for (eta, failed) in [
        (Some(8 * DAY as u64), true),
        (Some(DAY as u64), false),
        (None, false),
    ] {
        let mut t = torrent(H1);
        t.eta = eta;
        let s = snap(vec![t], vec![]);
        let plan = run(&s, &earlier(&s, 10 * MIN));
        assert_eq!(!plan.actions.is_empty(), failed, "{eta:?}");
        if failed {
            assert_eq!(plan.actions[0].reason, "eta 8d > 7d");
        }
    }
}

#[test]
fn availability_rules_table() {
    // (availability now, unavailable since (secs ago), fails, clock kept)
    for (avail, since, fails, clock) in [
        (Some(0.5), Some(2 * HOUR), true, true),
        (Some(0.5), Some(10 * MIN), false, true),
        (Some(0.5), None, false, true),
        (None, Some(2 * HOUR), false, false),
        (Some(1.0), Some(2 * HOUR), false, false),
    ] {
        let mut t = torrent(H1);
        t.availability = avail;
        let state = record(H1, |r| r.unavailable_since = since.map(|s| NOW - s));
        let plan = run(&snap(vec![t], vec![]), &state);
        assert_eq!(!plan.actions.is_empty(), fails, "{avail:?} {since:?}");
        let kept = plan
            .records
            .iter()
            .any(|r| matches!(r, Record::Torrent(t) if t.unavailable_since.is_some()))
            || (since.is_some() && plan.records.is_empty());
        assert_eq!(kept, clock, "{avail:?} {since:?}");
    }
}

#[test]
fn unregistered_tracker_fails_but_tracker_down_does_not() {
    for (msg, fails) in [
        ("Torrent not registered with this tracker", true),
        ("Connection refused", false),
        ("Tracker is down (unregistered check unavailable)", false),
        // Network failures are not the tracker's verdict, whatever words they carry.
        ("stream truncated", false),
        ("Torrent truncated", false),
        ("unregistered: connection reset by peer", false),
        ("not registered (timeout)", false),
        ("Unregistered torrent (HTTP error 503)", false),
        ("torrent not found: Service Unavailable", false),
        ("Trumped", true),
        ("Unregistered torrent", true),
    ] {
        let mut inst = instance("main", vec![torrent(H1)]);
        inst.trackers.insert(
            H1.into(),
            vec![Tracker {
                url: "http://t/announce".into(),
                tier: 0,
                status: 4,
                msg: msg.into(),
            }],
        );
        let s = Snapshot {
            instances: vec![inst],
            arrs: snap(vec![], vec![]).arrs,
        };
        let plan = run(&s, &State::new());
        assert_eq!(!plan.actions.is_empty(), fails, "{msg}");
        if fails {
            assert_eq!(plan.actions[0].reason, format!("tracker says: {msg}"));
        }
    }
}

#[test]
fn blocked_extension_fails_on_first_pass() {
    let mut inst = instance("main", vec![torrent(H1)]);
    inst.files.insert(
        H1.into(),
        vec![
            TorrentFile {
                name: "x/movie.mkv".into(),
                size: 10,
                priority: 1,
            },
            TorrentFile {
                name: "x/Setup.EXE".into(),
                size: 10,
                priority: 1,
            },
        ],
    );
    let s = Snapshot {
        instances: vec![inst],
        arrs: snap(vec![], vec![]).arrs,
    };
    let plan = run(&s, &State::new());
    assert_eq!(only(&plan).reason, "blocked file extension: x/Setup.EXE");
    assert!(rec_of(&plan, H1).files_checked);
}

#[test]
fn unselected_blocked_file_is_ignored() {
    let mut inst = instance("main", vec![torrent(H1)]);
    inst.files.insert(
        H1.into(),
        vec![TorrentFile {
            name: "x/Setup.exe".into(),
            size: 10,
            priority: 0,
        }],
    );
    let s = Snapshot {
        instances: vec![inst],
        arrs: snap(vec![], vec![]).arrs,
    };
    assert!(run(&s, &State::new()).actions.is_empty());
}

#[test]
fn errored_torrent_is_rechecked_once_then_failed() {
    let mut t = torrent(H1);
    t.status = Status::MissingFiles;
    t.state = "missingFiles".into();
    let first = run(&snap(vec![t.clone()], vec![]), &State::new());
    assert_eq!(only(&first).kind, ActionKind::Recheck);
    let state = record(H1, |r| r.rechecked_at = Some(NOW - 10 * MIN));
    let second = run(&snap(vec![t], vec![]), &state);
    assert_eq!(only(&second).kind, ActionKind::Fail);
    assert_eq!(only(&second).reason, "state missingFiles 10m after recheck");
}

#[test]
fn import_is_sent_once_then_again_only_after_failed_import_after() {
    let s = snap(
        vec![complete(H1)],
        vec![queued(H1, &[3], "importPending".to_lowercase().as_str())],
    );
    let first = run(&s, &State::new());
    let a = only(&first);
    assert_eq!(a.kind, ActionKind::Import);
    assert_eq!(
        a.op,
        Op::ImportScan {
            arr: "movies".into(),
            path: format!("/mnt/dl/{H1}"),
            download_id: H1.to_ascii_uppercase(),
            import_mode: ImportMode::Auto,
        }
    );
    let recent = record(H1, |r| {
        r.completed = 1000;
        r.import_sent_at = Some(NOW - 10 * MIN)
    });
    assert!(run(&s, &recent).actions.is_empty());
    let old = record(H1, |r| {
        r.completed = 1000;
        r.import_sent_at = Some(NOW - 2 * HOUR)
    });
    assert_eq!(
        only(&run(&s, &old)).reason,
        "no import 2h after the previous scan"
    );
}

#[test]
fn import_intent_of_a_crashed_pass_counts_as_sent() {
    let s = snap(vec![complete(H1)], vec![queued(H1, &[3], "importpending")]);
    let state = record(H1, |r| {
        r.completed = 1000;
        r.intent = Some(Intent {
            action: ActionKind::Import,
            at: NOW - 5 * MIN,
            run_id: "r".into(),
        })
    });
    let plan = run(&s, &state);
    assert!(plan.actions.is_empty());
    let rec = rec_of(&plan, H1);
    assert_eq!(rec.import_sent_at, Some(NOW - 5 * MIN));
    assert_eq!(rec.intent, None);
}

#[test]
fn import_blocked_for_too_long_fails_through_the_arr() {
    let mut q = queued(H1, &[9], "importblocked");
    q.messages = vec!["Sample file detected".into()];
    let s = snap(vec![complete(H1)], vec![q]);
    let fresh = run(&s, &State::new());
    assert_eq!(
        only(&fresh).kind,
        ActionKind::Import,
        "first sight: try an import"
    );
    assert_eq!(rec_of(&fresh, H1).import_problem_since, Some(NOW));
    let state = record(H1, |r| {
        r.completed = 1000;
        r.import_problem_since = Some(NOW - 2 * HOUR);
        r.import_sent_at = Some(NOW - 2 * HOUR);
    });
    let a = only(&run(&s, &state)).clone();
    assert_eq!(a.kind, ActionKind::Fail);
    assert_eq!(
        a.reason,
        "import importblocked 2h > 1h: Sample file detected"
    );
    assert!(matches!(a.op, Op::ArrRemove { queue_id: 9, .. }));
}

#[test]
fn import_problems_another_release_would_not_fix_ask_for_attention_and_never_fail() {
    let state = record(H1, |r| {
        r.completed = 1000;
        r.import_problem_since = Some(NOW - 30 * DAY);
        r.import_sent_at = Some(NOW - 30 * DAY);
    });
    for (tracked, status, message) in [
        (
            "importpending",
            "warning",
            "No files found are eligible for import in /downloads/Movie (2020)",
        ),
        ("importblocked", "warning", "Not enough free space"),
        (
            "importblocked",
            "warning",
            "Not an upgrade for existing movie file(s)",
        ),
        (
            "importpending",
            "warning",
            "Episode has a TBA title and recently aired",
        ),
        (
            "importblocked",
            "error",
            "Access to the path '/tv/x' is denied.",
        ),
    ] {
        let mut q = queued(H1, &[9], tracked);
        q.tracked_status = status.into();
        q.messages = vec![message.into()];
        let plan = run(&snap(vec![complete(H1)], vec![q]), &state);
        let a = only(&plan);
        assert_eq!(a.kind, ActionKind::Attention, "{message}");
        assert_eq!(a.reason, message);
        assert!(
            a.skip_reason()
                .as_deref()
                .is_some_and(|s| s.contains("not failed"))
        );
        assert_eq!(plan.deletions(), 0);
        assert_eq!(rec_of(&plan, H1).attention_since, Some(NOW));
    }
    // The user's own pieces count too, per Arr.
    let mut q = queued(H1, &[9], "importblocked");
    q.messages = vec!["Custom check says wait".into()];
    let s = snap(vec![complete(H1)], vec![q]);
    assert_eq!(only(&run(&s, &state)).kind, ActionKind::Fail);
    let mut cfg = config();
    for arr in cfg.arr.values_mut() {
        arr.health.failed_import_ignore = vec!["custom check".into()];
    }
    let plan = decide(&s, &state, &cfg, &Scope::default(), NOW);
    assert_eq!(only(&plan).kind, ActionKind::Attention);
    // Once the problem is gone, so is the attention mark.
    let noted = record(H1, |r| {
        r.completed = 1000;
        r.attention_since = Some(NOW - HOUR);
    });
    let plan = run(
        &snap(vec![complete(H1)], vec![queued(H1, &[9], "downloading")]),
        &noted,
    );
    assert_eq!(rec_of(&plan, H1).attention_since, None);
}

#[test]
fn an_import_scan_of_the_whole_save_folder_is_never_sent() {
    let mut t = complete(H1);
    t.content_path = "/downloads/".into();
    t.save_path = "/downloads".into();
    let plan = run(
        &snap(vec![t], vec![queued(H1, &[9], "importpending")]),
        &State::new(),
    );
    let a = only(&plan);
    assert_eq!(a.kind, ActionKind::Import);
    assert!(
        a.skip_reason()
            .as_deref()
            .is_some_and(|s| s.contains("whole save folder")),
        "{a:?}"
    );
}

#[test]
fn cleanup_rules_table() {
    // (imported, ratio, seeding secs, tracker, expected remove reason)
    let cases: Vec<(bool, f64, u64, &str, Option<&str>)> = vec![
        (
            true,
            2.5,
            0,
            "https://x.net/a",
            Some("imported; ratio 2.50 >= 2"),
        ),
        (
            true,
            1.0,
            15 * DAY as u64,
            "https://x.net/a",
            Some("imported; seeded 15d >= 14d"),
        ),
        (true, 1.0, DAY as u64, "https://x.net/a", None),
        (false, 5.0, 30 * DAY as u64, "https://x.net/a", None),
        // tracker rule: ratio 1.0 but min_time 72h
        (
            true,
            1.5,
            2 * DAY as u64,
            "https://a.tracker.example.org/ann",
            None,
        ),
        (
            true,
            1.5,
            4 * DAY as u64,
            "https://a.tracker.example.org/ann",
            Some("imported; ratio 1.50 >= 1 and seeded 4d >= 3d (tracker tracker.example.org)"),
        ),
    ];
    for (imported, ratio, seeded, tracker, want) in cases {
        let mut t = complete(H1);
        t.ratio = ratio;
        t.seeding_time = seeded;
        t.tracker = tracker.into();
        let state = record(H1, |r| {
            r.completed = 1000;
            r.imported_at = imported.then_some(NOW - DAY);
            r.history_checked_at = Some(NOW - MIN);
        });
        let plan = run(&snap(vec![t], vec![]), &state);
        let got = plan
            .actions
            .iter()
            .find(|a| a.kind == ActionKind::Remove)
            .map(|a| a.reason.as_str());
        assert_eq!(got, want, "{imported} {ratio} {seeded} {tracker}");
    }
}

#[test]
fn cleanup_keeps_files_when_the_tracker_rule_says_so() {
    let mut t = complete(H1);
    t.ratio = 3.0;
    t.seeding_time = 5 * DAY as u64;
    t.tracker = "https://tracker.example.org/a".into();
    let state = record(H1, |r| {
        r.completed = 1000;
        r.imported_at = Some(NOW - DAY)
    });
    assert_eq!(
        only(&run(&snap(vec![t], vec![]), &state)).op,
        Op::ClientDelete {
            delete_files: false
        }
    );
}

#[test]
fn seeding_mode_all_needs_both_goals() {
    let mut cfg = config();
    for a in cfg.arr.values_mut() {
        a.seeding.goal.mode = SeedMode::All;
    }
    let mut t = complete(H1);
    t.ratio = 3.0;
    t.seeding_time = DAY as u64;
    let state = record(H1, |r| {
        r.completed = 1000;
        r.imported_at = Some(NOW - DAY)
    });
    let s = snap(vec![t.clone()], vec![]);
    assert!(
        decide(&s, &state, &cfg, &Scope::default(), NOW)
            .actions
            .is_empty()
    );
    t.seeding_time = 20 * DAY as u64;
    let s = snap(vec![t], vec![]);
    assert_eq!(
        decide(&s, &state, &cfg, &Scope::default(), NOW)
            .actions
            .len(),
        1
    );
}

#[test]
fn history_import_event_marks_imported() {
    let mut s = snap(vec![complete(H1)], vec![]);
    s.arrs[0].history.insert(H1.to_ascii_uppercase(), true);
    let plan = run(&s, &State::new());
    let rec = rec_of(&plan, H1);
    assert_eq!(rec.imported_at, Some(NOW));
    assert_eq!(rec.history_checked_at, Some(NOW));
}

#[test]
fn imported_torrent_is_never_failed() {
    let mut t = complete(H1);
    t.status = Status::Error;
    t.state = "error".into();
    let state = record(H1, |r| {
        r.completed = 1000;
        r.imported_at = Some(NOW - DAY);
        r.rechecked_at = Some(NOW - DAY);
    });
    let plan = run(&snap(vec![t], vec![]), &state);
    assert!(plan.actions.iter().all(|a| a.kind != ActionKind::Fail));
}

#[test]
fn protected_torrent_gets_no_action() {
    let mut t = stalled(H1, 5 * HOUR);
    t.tags = vec!["sweeparr-keep".into()];
    assert!(
        run(&snap(vec![t], vec![]), &State::new())
            .actions
            .is_empty()
    );
}

#[test]
fn young_torrent_gets_no_health_verdict_but_is_imported() {
    let mut t = stalled(H1, 5 * HOUR);
    t.added_on = NOW - 5 * MIN;
    assert!(
        run(&snap(vec![t], vec![]), &State::new())
            .actions
            .is_empty()
    );
    let mut c = complete(H2);
    c.added_on = NOW - MIN;
    let plan = run(
        &snap(vec![c], vec![queued(H2, &[1], "importpending")]),
        &State::new(),
    );
    assert_eq!(only(&plan).kind, ActionKind::Import);
}

#[test]
fn unmanaged_torrent_is_left_alone() {
    let mut t = stalled(H1, 5 * HOUR);
    t.category = "linux-isos".into();
    let plan = run(&snap(vec![t], vec![]), &State::new());
    assert!(plan.actions.is_empty());
    assert!(plan.records.is_empty());
}

#[test]
fn hash_and_instance_scope_limit_the_pass() {
    let s = Snapshot {
        instances: vec![
            instance("main", vec![stalled(H1, 5 * HOUR), stalled(H2, 5 * HOUR)]),
            instance("box", vec![stalled(H1, 5 * HOUR)]),
        ],
        arrs: snap(vec![], vec![]).arrs,
    };
    let by_hash = decide(
        &s,
        &earlier(&s, 5 * HOUR),
        &config(),
        &Scope::new([H1.to_uppercase()], Vec::<String>::new()),
        NOW,
    );
    let keys: Vec<_> = by_hash
        .actions
        .iter()
        .map(|a| (a.instance.as_str(), a.hash.clone().unwrap()))
        .collect();
    assert_eq!(
        keys,
        vec![("main", H1.to_string()), ("box", H1.to_string())]
    );
    let by_inst = decide(
        &s,
        &earlier(&s, 5 * HOUR),
        &config(),
        &Scope::new(Vec::<String>::new(), ["box"]),
        NOW,
    );
    assert!(by_inst.actions.iter().all(|a| a.instance == "box"));
    assert_eq!(by_inst.actions.len(), 1);
}

#[test]
fn same_hash_on_two_instances_is_two_torrents() {
    let s = Snapshot {
        instances: vec![
            instance("main", vec![torrent(H1)]),
            instance("box", vec![torrent(H1)]),
        ],
        arrs: snap(vec![], vec![]).arrs,
    };
    let plan = run(&s, &State::new());
    let keys: Vec<String> = plan.records.iter().map(Record::key).collect();
    assert_eq!(
        keys,
        vec![format!("torrent#main#{H1}"), format!("torrent#box#{H1}")]
    );
}

#[test]
fn unreachable_instance_is_not_decided_and_its_records_are_untouched() {
    let mut inst = instance("main", vec![stalled(H1, 5 * HOUR)]);
    inst.reachable = false;
    let s = Snapshot {
        instances: vec![inst],
        arrs: snap(vec![], vec![]).arrs,
    };
    let state = record(H2, |_| {});
    let plan = run(&s, &state);
    assert!(plan.actions.is_empty());
    assert!(plan.records.is_empty());
}

#[test]
fn unreachable_arr_means_nothing_destructive_for_its_category_only() {
    let mut s = snap(
        vec![
            stalled(H1, 5 * HOUR),
            Torrent {
                category: "sonarr".into(),
                ..stalled(H2, 5 * HOUR)
            },
        ],
        vec![],
    );
    s.arrs[0].reachable = false;
    let plan = run(&s, &earlier(&s, 5 * HOUR));
    let a = only(&plan);
    assert_eq!(a.hash.as_deref(), Some(H2));
    assert_eq!(a.arr.as_deref(), Some("tv"));
}

#[test]
fn circuit_breaker_skips_every_deletion_over_the_limit() {
    let mut cfg = config();
    cfg.run.max_deletions = 2;
    let s = snap(
        vec![
            stalled(H1, 5 * HOUR),
            stalled(H2, 5 * HOUR),
            stalled(H3, 5 * HOUR),
        ],
        vec![],
    );
    let plan = decide(&s, &earlier(&s, 5 * HOUR), &cfg, &Scope::default(), NOW);
    assert!(plan.circuit_open);
    assert_eq!(plan.deletions(), 3);
    assert!(plan.actions.iter().all(|a| a.skip_reason().as_deref()
        == Some("circuit open: 3 deletions planned > max_deletions 2")));
    cfg.run.max_deletions = 3;
    let plan = decide(&s, &earlier(&s, 5 * HOUR), &cfg, &Scope::default(), NOW);
    assert!(!plan.circuit_open && plan.actions.iter().all(|a| a.skip.is_none()));
}

#[test]
fn research_off_sets_skip_redownload() {
    let mut cfg = config();
    cfg.arr.get_mut("movies").unwrap().health.research = false;
    let s = snap(
        vec![stalled(H1, 5 * HOUR)],
        vec![queued(H1, &[4], "downloading")],
    );
    let plan = decide(&s, &earlier(&s, 5 * HOUR), &cfg, &Scope::default(), NOW);
    assert!(matches!(
        only(&plan).op,
        Op::ArrRemove {
            skip_redownload: true,
            ..
        }
    ));
}

#[test]
fn sonarr_episode_records_give_one_removal_with_the_first_record_id() {
    let t = Torrent {
        category: "sonarr".into(),
        ..stalled(H1, 5 * HOUR)
    };
    let mut s = snap(vec![t], vec![]);
    s.arrs[1] = arr(
        "tv",
        ArrKind::Sonarr,
        vec![queued(H1, &[21, 22, 23], "downloading")],
    );
    let plan = run(&s, &earlier(&s, 5 * HOUR));
    assert_eq!(
        only(&plan).op,
        Op::ArrRemove {
            arr: "tv".into(),
            queue_id: 21,
            skip_redownload: false,
            client: ClientSide::ArrRemoves,
        }
    );
}

#[test]
fn gone_torrent_record_starts_its_expiry() {
    let state = record(H2, |_| {});
    let plan = run(&snap(vec![], vec![]), &state);
    let rec = rec_of(&plan, H2);
    assert_eq!(rec.gone_since, Some(NOW));
    assert_eq!(rec.expires_at, Some(NOW + 30 * DAY));
    // A second pass changes nothing more.
    let again = run(
        &snap(vec![], vec![]),
        &State::from_iter([plan.records[0].clone()]),
    );
    assert!(again.records.is_empty());
}

#[test]
fn steady_state_writes_no_record() {
    let s = snap(vec![torrent(H1), complete(H2)], vec![]);
    let first = run(&s, &State::new());
    assert_eq!(first.records.len(), 2);
    let state: State = first.records.iter().cloned().collect();
    let mut s2 = s.clone();
    s2.arrs[0].history.clear();
    let second = decide(&s2, &state, &config(), &Scope::default(), NOW + 300);
    assert!(second.records.is_empty(), "{:#?}", second.records);
}

#[test]
fn missing_categories_are_created_except_in_hash_runs() {
    let mut s = snap(vec![], vec![]);
    s.instances[0].categories = vec!["radarr".into()];
    let plan = run(&s, &State::new());
    let a = only(&plan);
    assert_eq!(a.kind, ActionKind::CreateCategory);
    assert_eq!(
        a.op,
        Op::CreateCategory {
            category: "sonarr".into()
        }
    );
    let hook = decide(
        &s,
        &State::new(),
        &config(),
        &Scope::new([H1], Vec::<String>::new()),
        NOW,
    );
    assert!(hook.actions.is_empty());
}

#[test]
fn imported_torrent_is_tagged_once_when_tag_actions_is_on() {
    let mut cfg = config();
    cfg.run.tag_actions = true;
    let state = record(H1, |r| {
        r.completed = 1000;
        r.imported_at = Some(NOW - HOUR)
    });
    let s = snap(vec![complete(H1)], vec![]);
    let plan = decide(&s, &state, &cfg, &Scope::default(), NOW);
    assert_eq!(
        only(&plan).op,
        Op::AddTags {
            tags: vec![TAG_IMPORTED.into()]
        }
    );
    let tagged = Torrent {
        tags: vec![TAG_IMPORTED.into()],
        ..complete(H1)
    };
    let plan = decide(
        &snap(vec![tagged], vec![]),
        &state,
        &cfg,
        &Scope::default(),
        NOW,
    );
    assert!(plan.actions.is_empty());
}

#[test]
fn details_are_asked_only_where_a_verdict_needs_them() {
    let mut stopped = torrent(H1);
    stopped.status = Status::PausedDl;
    let s = snap(vec![stopped.clone(), complete(H2), torrent(H3)], vec![]);
    let state = record(H3, |r| {
        r.files_checked = true;
        r.trackers_checked_at = Some(NOW - 10 * MIN);
    });
    let req = details_needed(&s, &state, &config(), &Scope::default(), NOW);
    assert_eq!(
        req.trackers,
        vec![("main".to_string(), H2.to_string())],
        "never read, announcing; not a stopped one nor one read 10 minutes ago"
    );
    let s = snap(vec![torrent(H1), complete(H2), torrent(H3)], vec![]);
    let req = details_needed(&s, &state, &config(), &Scope::default(), NOW);
    assert_eq!(
        req.files,
        vec![
            ("main".to_string(), H1.to_string()),
            ("main".to_string(), H2.to_string())
        ]
    );
    assert_eq!(
        req.history,
        vec![("movies".to_string(), H2.to_ascii_uppercase())]
    );
    // History asked less than an hour ago is not asked again.
    let state = record(H2, |r| r.history_checked_at = Some(NOW - 10 * MIN));
    let req = details_needed(
        &snap(vec![complete(H2)], vec![]),
        &state,
        &config(),
        &Scope::default(),
        NOW,
    );
    assert!(req.history.is_empty());
}

#[test]
fn imported_torrent_that_lost_data_is_not_failed() {
    let mut t = stalled(H1, 5 * HOUR);
    t.status = Status::MissingFiles;
    t.state = "missingFiles".into();
    let state = record(H1, |r| {
        r.imported_at = Some(NOW - DAY);
        r.rechecked_at = Some(NOW - HOUR);
    });
    let plan = run(
        &snap(vec![t], vec![queued(H1, &[2], "downloading")]),
        &state,
    );
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
}

#[test]
fn trackers_are_read_at_most_hourly_and_never_for_paused_torrents() {
    // The tracker field shows a URL whether or not the tracker works: it is not looked at.
    let dead = torrent(H1);
    assert!(!dead.tracker.is_empty());
    let s = snap(vec![dead.clone()], vec![]);
    let cfg = config();
    let recent = record(H1, |r| r.trackers_checked_at = Some(NOW - 10 * MIN));
    assert!(
        details_needed(&s, &recent, &cfg, &Scope::default(), NOW)
            .trackers
            .is_empty()
    );
    let old = record(H1, |r| r.trackers_checked_at = Some(NOW - 2 * HOUR));
    assert_eq!(
        details_needed(&s, &old, &cfg, &Scope::default(), NOW)
            .trackers
            .len(),
        1
    );
    let paused = Torrent {
        status: Status::PausedDl,
        state: "pausedDL".into(),
        ..dead
    };
    let s = snap(vec![paused], vec![]);
    assert!(
        details_needed(&s, &State::new(), &cfg, &Scope::default(), NOW)
            .trackers
            .is_empty()
    );
}

#[test]
fn the_tracker_flags_of_5_2_decide_which_lists_are_read() {
    let cfg = config();
    let flagged = |error: bool| Torrent {
        tracker_error: Some(error),
        ..torrent(H1)
    };
    let needed = |t: Torrent, state: &State| {
        details_needed(&snap(vec![t], vec![]), state, &cfg, &Scope::default(), NOW).trackers
    };
    let key = vec![("main".to_string(), H1.to_string())];
    // No error flagged: never read, even the first time.
    assert!(needed(flagged(false), &State::new()).is_empty());
    // A new flag is read at once, even right after a read that showed no failure.
    let read_ok = record(H1, |r| r.trackers_checked_at = Some(NOW - MIN));
    assert_eq!(needed(flagged(true), &read_ok), key);
    // A flag already seen on a failing list waits for tracker_recheck.
    let read_failing = record(H1, |r| {
        r.trackers_checked_at = Some(NOW - MIN);
        r.trackers_failing = true;
    });
    assert!(needed(flagged(true), &read_failing).is_empty());
    let read_failing_long_ago = record(H1, |r| {
        r.trackers_checked_at = Some(NOW - 2 * HOUR);
        r.trackers_failing = true;
    });
    assert_eq!(needed(flagged(true), &read_failing_long_ago), key);
}

#[test]
fn tracker_reads_of_one_pass_are_capped_most_overdue_first() {
    use crate::decide::select::TRACKER_READS_PER_PASS;
    let torrents: Vec<Torrent> = (0..TRACKER_READS_PER_PASS + 20)
        .map(|i| torrent(&format!("{i:040x}")))
        .collect();
    let oldest = format!("{:040x}", 7);
    let mut state = State::new();
    for t in &torrents {
        let mut r = TorrentRecord::new(&TorrentKey::new("main", &t.hash), NOW - DAY);
        r.trackers_checked_at = Some(if t.hash == oldest {
            NOW - 30 * DAY
        } else {
            NOW - 2 * HOUR
        });
        state.insert(Record::Torrent(Box::new(r)));
    }
    let mut never = torrent(&format!("{:040x}", 999_999));
    never.name = "new".into();
    let mut all = torrents;
    all.push(never.clone());
    let req = details_needed(
        &snap(all, vec![]),
        &state,
        &config(),
        &Scope::default(),
        NOW,
    );
    assert_eq!(req.trackers.len(), TRACKER_READS_PER_PASS);
    assert_eq!(req.trackers[0].1, never.hash, "never read first");
    assert_eq!(req.trackers[1].1, oldest, "then the most overdue");
}

#[test]
fn a_read_tracker_list_records_whether_a_tracker_fails() {
    let mut inst = instance("main", vec![torrent(H1)]);
    inst.trackers.insert(
        H1.into(),
        vec![Tracker {
            url: "http://t/a".into(),
            tier: 0,
            status: 4,
            msg: "timed out".into(),
        }],
    );
    let s = Snapshot {
        instances: vec![inst],
        arrs: snap(vec![], vec![]).arrs,
    };
    let plan = run(&s, &State::new());
    assert!(rec_of(&plan, H1).trackers_failing);
    // 5.2+ saying no error clears it without a read.
    let state = record(H1, |r| r.trackers_failing = true);
    let calm = Torrent {
        tracker_error: Some(false),
        ..torrent(H1)
    };
    let plan = run(&snap(vec![calm], vec![]), &state);
    assert!(!rec_of(&plan, H1).trackers_failing);
}

#[test]
fn reading_trackers_is_remembered() {
    let mut inst = instance("main", vec![torrent(H1)]);
    inst.trackers.insert(H1.into(), vec![]);
    let s = Snapshot {
        instances: vec![inst],
        arrs: snap(vec![], vec![]).arrs,
    };
    assert_eq!(
        rec_of(&run(&s, &State::new()), H1).trackers_checked_at,
        Some(NOW)
    );
}

#[test]
fn a_disconnected_instance_gets_no_health_verdict_and_its_clocks_start_again() {
    let stalled_long = record(H1, |r| {
        r.stalled_since = Some(NOW - 5 * HOUR);
        r.unavailable_since = Some(NOW - 5 * HOUR);
    });
    let mut s = snap(
        vec![stalled(H1, 5 * HOUR), complete(H2)],
        vec![
            queued(H1, &[7], "downloading"),
            queued(H2, &[8], "importpending"),
        ],
    );
    s.instances[0].connection = Connection::Disconnected;
    let plan = run(&s, &stalled_long);
    let kinds: Vec<(ActionKind, &str)> = plan
        .actions
        .iter()
        .map(|a| (a.kind, a.hash.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(kinds, [(ActionKind::Import, H2)]);
    let rec = rec_of(&plan, H1);
    assert_eq!((rec.stalled_since, rec.unavailable_since), (None, None));
    // Connected again: the torrent has been watched stalled for no time yet.
    s.instances[0].connection = Connection::Connected;
    let state = State::from_iter([Record::Torrent(Box::new(rec.clone()))]);
    assert!(
        run(&s, &state)
            .actions
            .iter()
            .all(|a| a.kind != ActionKind::Fail)
    );
}

#[test]
fn a_slow_download_is_failed_on_its_average_over_the_watched_run() {
    let mut cfg = config();
    for arr in cfg.arr.values_mut() {
        arr.health.min_speed = Some(50 * 1024);
        arr.health.slow_after = Duration::from_secs(3600);
    }
    let downloading = |completed: u64| Torrent {
        status: Status::Downloading,
        state: "downloading".into(),
        completed,
        amount_left: 10_000_000_000,
        size: 20_000_000_000,
        eta: None,
        ..torrent(H1)
    };
    let watched = |since: Epoch, from: u64| {
        record(H1, |r| {
            r.downloading_since = Some(since);
            r.downloading_from = from;
            r.completed = from;
            r.progress_at = NOW;
        })
    };
    let s = |completed| {
        snap(
            vec![downloading(completed)],
            vec![queued(H1, &[4], "downloading")],
        )
    };
    // 2 h at 10 KiB/s on average: failed, whatever the speed of the moment.
    let plan = decide(
        &s(1_000 + 7200 * 10 * 1024),
        &watched(NOW - 2 * HOUR, 1_000),
        &cfg,
        &Scope::default(),
        NOW,
    );
    let a = only(&plan);
    assert_eq!(a.kind, ActionKind::Fail);
    assert_eq!(a.reason, "slow: 10.0 KiB/s on average over 2h < 50.0 KiB/s");
    // Fast enough on average: kept.
    let plan = decide(
        &s(7200 * 60 * 1024),
        &watched(NOW - 2 * HOUR, 0),
        &cfg,
        &Scope::default(),
        NOW,
    );
    assert!(plan.actions.is_empty());
    // Not watched long enough yet.
    let plan = decide(
        &s(100),
        &watched(NOW - 30 * MIN, 0),
        &cfg,
        &Scope::default(),
        NOW,
    );
    assert!(plan.actions.is_empty());
    // First sight starts the run; another state ends it.
    let plan = decide(&s(100), &State::new(), &cfg, &Scope::default(), NOW);
    assert_eq!(rec_of(&plan, H1).downloading_since, Some(NOW));
    let paused = Torrent {
        status: Status::PausedDl,
        state: "pausedDL".into(),
        ..downloading(100)
    };
    let plan = decide(
        &snap(vec![paused], vec![]),
        &watched(NOW - 2 * HOUR, 0),
        &cfg,
        &Scope::default(),
        NOW,
    );
    assert_eq!(rec_of(&plan, H1).downloading_since, None);
    // Off by default.
    let plan = run(&s(1_000), &watched(NOW - 20 * HOUR, 1_000));
    assert!(plan.actions.is_empty());
}

#[test]
fn a_private_torrent_is_failed_through_the_arr_and_kept_and_never_failed_again() {
    let private = |p: Option<bool>| Torrent {
        private: p,
        ..stalled(H1, 2 * HOUR)
    };
    let held = vec![queued(H1, &[7], "downloading")];
    let watched = earlier(&snap(vec![private(None)], vec![]), 2 * HOUR);
    let with = |f: fn(&mut TorrentRecord)| {
        let mut r = watched.torrent("main", H1).expect("watched").clone();
        f(&mut r);
        State::from_iter([Record::Torrent(Box::new(r))])
    };
    let a = only(&run(
        &snap(vec![private(Some(true))], held.clone()),
        &watched,
    ))
    .clone();
    assert_eq!(a.kind, ActionKind::Fail);
    assert!(matches!(
        a.op,
        Op::ArrRemove {
            client: ClientSide::KeepTagged,
            ..
        }
    ));
    assert!(a.reason.contains("private: kept"), "{}", a.reason);
    assert!(!a.removes_from_client() && !a.deletes_files());
    // Unknown yet: kept too (when unsure, nothing destructive).
    let a = only(&run(&snap(vec![private(None)], held.clone()), &watched)).clone();
    assert!(matches!(
        a.op,
        Op::ArrRemove {
            client: ClientSide::KeepTagged,
            ..
        }
    ));
    // The Arr does not hold it: not deleted at all.
    let plan = run(&snap(vec![private(Some(true))], vec![]), &watched);
    let a = only(&plan);
    assert!(
        a.skip_reason()
            .as_deref()
            .is_some_and(|s| s.contains("private")),
        "{a:?}"
    );
    // Remembered from an earlier read (4.x reads the flag once from the properties).
    let known = with(|r| r.private = Some(true));
    let plan = run(&snap(vec![private(None)], vec![]), &known);
    assert!(only(&plan).skip.is_some());
    // Once failed and kept, health rules leave it alone.
    let kept = with(|r| {
        r.private = Some(true);
        r.failed_kept_at = Some(NOW - DAY);
    });
    assert!(
        run(&snap(vec![private(Some(true))], vec![]), &kept)
            .actions
            .is_empty()
    );
    // private = "remove": as any other torrent.
    let mut cfg = config();
    for arr in cfg.arr.values_mut() {
        arr.health.private = PrivatePolicy::Remove;
    }
    let plan = decide(
        &snap(vec![private(Some(true))], held),
        &watched,
        &cfg,
        &Scope::default(),
        NOW,
    );
    assert!(only(&plan).removes_from_client());
    // 4.x: the flag is read once from the properties of the torrents a fail could reach.
    let unknown_complete = Torrent {
        private: None,
        ..complete(H2)
    };
    let unknown = snap(vec![private(None), unknown_complete], vec![]);
    let req = details_needed(&unknown, &State::new(), &config(), &Scope::default(), NOW);
    assert_eq!(
        req.private,
        vec![
            ("main".to_string(), H1.to_string()),
            ("main".to_string(), H2.to_string())
        ]
    );
    let req = details_needed(&unknown, &known, &config(), &Scope::default(), NOW);
    assert_eq!(req.private, vec![("main".to_string(), H2.to_string())]);
}

#[test]
fn files_another_torrent_uses_are_never_deleted() {
    let mut a = stalled(H1, 2 * HOUR);
    a.content_path = "/downloads/Movie (2020)".into();
    let mut b = complete(H2);
    b.content_path = "/downloads/Movie (2020)".into();
    b.category = "cross-seed".into();
    let watched = earlier(&snap(vec![a.clone()], vec![]), 2 * HOUR);
    // Direct fail: the torrent goes, the files stay.
    let plan = run(&snap(vec![a.clone(), b.clone()], vec![]), &watched);
    let fail = only(&plan);
    assert_eq!(
        fail.op,
        Op::ClientDelete {
            delete_files: false
        }
    );
    assert!(fail.reason.contains("files kept: name-"), "{}", fail.reason);
    // Through the Arr: it must not remove the data either.
    let plan = run(
        &snap(
            vec![a.clone(), b.clone()],
            vec![queued(H1, &[3], "downloading")],
        ),
        &watched,
    );
    assert!(matches!(
        only(&plan).op,
        Op::ArrRemove {
            client: ClientSide::RemoveKeepFiles,
            ..
        }
    ));
    assert!(!only(&plan).deletes_files());
    // Cleanup after import: removed without its files.
    let mut seeded = complete(H1);
    seeded.content_path = "/downloads/Movie (2020)/".into();
    seeded.ratio = 5.0;
    let state = record(H1, |r| {
        r.completed = 1000;
        r.imported_at = Some(NOW - DAY);
    });
    let plan = run(&snap(vec![seeded, b], vec![]), &state);
    let remove = only(&plan);
    assert_eq!(remove.kind, ActionKind::Remove);
    assert_eq!(
        remove.op,
        Op::ClientDelete {
            delete_files: false
        }
    );
    // Alone on its path: files deleted as usual.
    let plan = run(&snap(vec![a], vec![]), &watched);
    assert_eq!(only(&plan).op, Op::ClientDelete { delete_files: true });
}

#[test]
fn the_stall_clock_counts_only_passes_that_watched_it_stalled() {
    // First sight, stalled for hours by qBittorrent's last_activity: the run starts now.
    let s = snap(vec![stalled(H1, 10 * HOUR)], vec![]);
    let first = run(&s, &State::new());
    assert!(first.actions.is_empty(), "{:?}", first.actions);
    assert_eq!(rec_of(&first, H1).stalled_since, Some(NOW));
    // A pass that sees it queued (or stopped, or downloading) ends the run.
    let watched = record(H1, |r| r.stalled_since = Some(NOW - 5 * HOUR));
    let queued_now = Torrent {
        status: Status::QueuedDl,
        state: "queuedDL".into(),
        ..stalled(H1, 10 * HOUR)
    };
    let plan = run(&snap(vec![queued_now], vec![]), &watched);
    assert!(plan.actions.is_empty());
    assert_eq!(rec_of(&plan, H1).stalled_since, None);
    // New bytes end it too.
    let mut grew = stalled(H1, 10 * HOUR);
    grew.completed = 150;
    let plan = run(&snap(vec![grew], vec![]), &watched);
    assert!(plan.actions.is_empty());
    assert_eq!(rec_of(&plan, H1).stalled_since, None);
    // So does a pass whose instance is unreachable: its records lose their runs only.
    let mut down = snap(vec![stalled(H1, 10 * HOUR)], vec![]);
    down.instances[0].reachable = false;
    let plan = run(&down, &watched);
    assert!(plan.actions.is_empty());
    let rec = rec_of(&plan, H1);
    assert_eq!(rec.stalled_since, None);
    assert_eq!(rec.progress_at, NOW - DAY, "nothing else changes");
    // An unreachable instance whose records have no run writes nothing.
    let calm = record(H1, |_| {});
    assert!(run(&down, &calm).records.is_empty());
}

#[test]
fn max_eta_needs_two_passes_over_it() {
    let mut t = torrent(H1);
    t.eta = Some(8 * DAY as u64);
    let s = snap(vec![t], vec![]);
    let first = run(&s, &State::new());
    assert!(first.actions.is_empty(), "one sight is not enough");
    assert_eq!(rec_of(&first, H1).eta_over_since, Some(NOW));
    assert_eq!(only(&run(&s, &earlier(&s, 5 * MIN))).reason, "eta 8d > 7d");
}

#[test]
fn a_torrent_the_arr_does_not_hold_is_deleted_directly_only_when_that_is_safe() {
    let s = snap(vec![stalled(H1, 2 * HOUR)], vec![]);
    let watched = earlier(&s, 2 * HOUR);
    let plan = run(&s, &watched);
    let a = only(&plan);
    assert_eq!(
        (a.op.clone(), a.skip.clone()),
        (Op::ClientDelete { delete_files: true }, None)
    );
    assert!(plan.needs_health.is_empty());
    // Absent from the queue since this pass only: waits one pass.
    let fresh = record(H1, |r| r.stalled_since = Some(NOW - 2 * HOUR));
    let plan = run(&s, &fresh);
    assert!(
        only(&plan)
            .skip_reason()
            .as_deref()
            .is_some_and(|w| w.contains("next pass"))
    );
    assert_eq!(rec_of(&plan, H1).absent_from_queue_since, Some(NOW));
    // The health check not read yet: the plan asks for it.
    let mut unread = s.clone();
    unread.arrs[0].health = ArrHealth::NotRead;
    let plan = run(&unread, &watched);
    assert_eq!(only(&plan).skip, Some(SkipReason::HealthNotRead));
    assert_eq!(plan.needs_health, ["movies".to_string()].into());
    assert_eq!(plan.deletions(), 1, "held back, still shown");
    // A download-client problem, or an unreadable health check: nothing deleted directly.
    for health in [
        ArrHealth::Read(vec![
            "DownloadClientCheck: Unable to communicate with qBittorrent".into(),
        ]),
        ArrHealth::Unreadable("HTTP 500".into()),
    ] {
        let mut sick = s.clone();
        sick.arrs[0].health = health.clone();
        let plan = run(&sick, &watched);
        let a = only(&plan);
        assert!(a.skip.is_some(), "{health:?}");
        assert!(plan.needs_health.is_empty());
    }
    // Held in the queue again: the absence clock is gone.
    let held = snap(
        vec![stalled(H1, 2 * HOUR)],
        vec![queued(H1, &[3], "downloading")],
    );
    let plan = run(&held, &watched);
    assert_eq!(rec_of(&plan, H1).absent_from_queue_since, None);
}

#[test]
fn what_a_tracker_said_is_remembered_until_a_later_read_says_otherwise() {
    let said = record(H1, |r| {
        r.unregistered = Some("Unregistered torrent".into());
        r.trackers_checked_at = Some(NOW - 10 * MIN);
        r.absent_from_queue_since = Some(NOW - 10 * MIN);
    });
    let s = snap(vec![torrent(H1)], vec![]);
    let a = only(&run(&s, &said)).clone();
    assert_eq!(a.reason, "tracker says: Unregistered torrent");
    // A later read without the message clears it.
    let mut inst = instance("main", vec![torrent(H1)]);
    inst.trackers.insert(
        H1.into(),
        vec![Tracker {
            url: "http://t/a".into(),
            tier: 0,
            status: 2,
            msg: String::new(),
        }],
    );
    let read = Snapshot {
        instances: vec![inst],
        arrs: s.arrs.clone(),
    };
    let plan = run(&read, &said);
    assert!(plan.actions.is_empty());
    assert_eq!(rec_of(&plan, H1).unregistered, None);
}
