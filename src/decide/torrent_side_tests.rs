//! decide() on the torrent side: the free-space guard and the file filters.

use super::tests::{NOW, config, rec_of, record, snap, torrent};
use super::*;
use crate::config::{FileGlobs, Space};
use crate::decide::ClientSide;
use crate::model::{Grab, Status, TorrentFile};
use crate::state::{Record, State, TorrentRecord};

const GIB: u64 = 1 << 30;
const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

fn with_space(min_free: u64) -> Config {
    let mut c = config();
    c.qbit.get_mut("main").unwrap().space = Some(Space {
        min_free,
        resume_margin: 5 * GIB,
    });
    c
}

fn left(hash: &str, bytes: u64) -> Torrent {
    Torrent {
        size: bytes + 100,
        amount_left: bytes,
        ..torrent(hash)
    }
}

fn space_snap(free: u64, torrents: Vec<Torrent>) -> Snapshot {
    let mut s = snap(torrents, vec![]);
    s.instances[0].free_space = Some(free);
    s
}

fn decide_with(s: &Snapshot, state: &State, c: &Config) -> Plan {
    decide(s, state, c, &Scope::default(), NOW)
}

/// (kind, hash) of the torrent actions of a plan (categories created left out).
fn kinds(plan: &Plan) -> Vec<(ActionKind, &str)> {
    plan.actions
        .iter()
        .filter(|a| a.kind != ActionKind::CreateCategory)
        .map(|a| (a.kind, a.hash.as_deref().unwrap_or("")))
        .collect()
}

fn paused_by_guard(hash: &str) -> Torrent {
    Torrent {
        status: Status::PausedDl,
        state: "pausedDL".into(),
        tags: vec![space::TAG_SPACE.into()],
        ..left(hash, 10 * GIB)
    }
}

#[test]
fn below_the_limit_the_largest_downloads_stop_until_the_projection_clears_it() {
    // 100 GiB free, 60 + 30 + 20 GiB to come: projected -10 GiB < 50 GiB. Stopping the
    // 60 GiB one gives 50 GiB: enough.
    let s = space_snap(
        100 * GIB,
        vec![left(A, 30 * GIB), left(B, 60 * GIB), left(C, 20 * GIB)],
    );
    let plan = decide_with(&s, &State::new(), &with_space(50 * GIB));
    assert_eq!(kinds(&plan), vec![(ActionKind::Pause, B)]);
    let a = &plan.actions[0];
    assert_eq!(
        a.op,
        Op::StopTagged {
            tag: "sweeparr-space".into()
        }
    );
    assert_eq!(
        a.reason,
        "free space 100.0 GiB, -10.0 GiB once running downloads finish < min_free 50.0 GiB; \
         60.0 GiB left"
    );
    assert_eq!(rec_of(&plan, B).space_paused_at, Some(NOW));
    // Free space itself below the limit: every running download stops.
    let s = space_snap(10 * GIB, vec![left(A, GIB), left(B, 2 * GIB)]);
    let plan = decide_with(&s, &State::new(), &with_space(50 * GIB));
    assert_eq!(
        kinds(&plan),
        vec![(ActionKind::Pause, A), (ActionKind::Pause, B)]
    );
}

#[test]
fn the_guard_leaves_alone_what_it_must_not_touch() {
    let user_stopped = Torrent {
        status: Status::PausedDl,
        state: "pausedDL".into(),
        ..left(A, 10 * GIB)
    };
    let protected = Torrent {
        tags: vec!["sweeparr-keep".into()],
        ..left(B, 10 * GIB)
    };
    let unmanaged = Torrent {
        category: "linux".into(),
        ..left(C, 10 * GIB)
    };
    let s = space_snap(GIB, vec![user_stopped, protected, unmanaged]);
    let plan = decide_with(&s, &State::new(), &with_space(50 * GIB));
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
    // Off, or no figure from the instance: nothing is stopped.
    let s = space_snap(GIB, vec![left(A, 10 * GIB)]);
    assert!(decide_with(&s, &State::new(), &config()).actions.is_empty());
    let mut unknown = s.clone();
    unknown.instances[0].free_space = None;
    let plan = decide_with(&unknown, &State::new(), &with_space(50 * GIB));
    assert!(plan.actions.is_empty());
}

#[test]
fn downloads_the_guard_stopped_start_again_smallest_first_once_there_is_room() {
    let mark = |at| record(A, |r| r.space_paused_at = Some(at));
    let marked = |hash: &str| {
        let mut r = TorrentRecord::new(&crate::model::TorrentKey::new("main", hash), NOW - 900);
        r.space_paused_at = Some(NOW - 600);
        Record::Torrent(Box::new(r))
    };
    // 80 GiB free, nothing running: A (10 GiB) starts (80 - 10 >= 55), B (30 GiB) does not
    // (70 - 30 < 55).
    let b = Torrent {
        amount_left: 30 * GIB,
        ..paused_by_guard(B)
    };
    let state = State::from_iter([marked(A), marked(B)]);
    let s = space_snap(80 * GIB, vec![paused_by_guard(A), b.clone()]);
    let plan = decide_with(&s, &state, &with_space(50 * GIB));
    assert_eq!(kinds(&plan), vec![(ActionKind::Resume, A)]);
    assert_eq!(
        plan.actions[0].op,
        Op::StartUntagged {
            tag: "sweeparr-space".into()
        }
    );
    // Between the limit and the margin: nothing moves either way.
    let s = space_snap(52 * GIB, vec![paused_by_guard(A), b]);
    assert!(
        decide_with(&s, &state, &with_space(50 * GIB))
            .actions
            .is_empty()
    );
    // The guard turned off: what it stopped starts.
    let s = space_snap(GIB, vec![paused_by_guard(A)]);
    assert_eq!(
        kinds(&decide_with(&s, &mark(NOW - 600), &config())),
        vec![(ActionKind::Resume, A)]
    );
}

#[test]
fn a_started_download_is_no_longer_the_guards() {
    let state = record(A, |r| r.space_paused_at = Some(NOW - 600));
    // Started by hand while space is still short: the mark goes, and the guard may stop it
    // again as any running download.
    let s = space_snap(100 * GIB, vec![left(A, 10 * GIB)]);
    let plan = decide_with(&s, &state, &with_space(50 * GIB));
    assert!(plan.actions.is_empty());
    assert_eq!(rec_of(&plan, A).space_paused_at, None);
}

fn files(list: &[(&str, i64)]) -> Vec<TorrentFile> {
    list.iter()
        .map(|&(name, priority)| TorrentFile {
            name: name.into(),
            size: 1000,
            priority,
        })
        .collect()
}

fn with_filters(globs: &[&str], keep: &[&str]) -> Config {
    let mut c = config();
    for arr in c.arr.values_mut() {
        arr.health.exclude_files =
            FileGlobs::new(globs.iter().map(|g| g.to_string()).collect()).unwrap();
        arr.health.keep_only = keep.iter().map(|e| e.to_string()).collect();
    }
    c
}

#[test]
fn unwanted_files_of_a_download_are_deselected_and_read_again_next_pass() {
    let mut s = snap(vec![torrent(A)], vec![]);
    s.instances[0].files.insert(
        A.into(),
        files(&[
            ("Movie/Movie.mkv", 1),
            ("Movie/Sample/sample.mkv", 1),
            ("Movie/info.nfo", 1),
        ]),
    );
    let c = with_filters(&["*sample*", "*.nfo"], &[]);
    let plan = decide_with(&s, &State::new(), &c);
    assert_eq!(kinds(&plan), vec![(ActionKind::Deselect, A)]);
    assert_eq!(
        plan.actions[0].op,
        Op::FilePriority {
            ids: vec![1, 2],
            priority: 0
        }
    );
    assert!(
        plan.actions[0]
            .reason
            .starts_with("not wanted: Movie/Sample/sample.mkv (exclude_files \"*sample*\")"),
        "{}",
        plan.actions[0].reason
    );
    assert!(!rec_of(&plan, A).files_checked);
    // Read again: deselected now, nothing more to do, and the list is not read again.
    s.instances[0].files.insert(
        A.into(),
        files(&[
            ("Movie/Movie.mkv", 1),
            ("Movie/Sample/sample.mkv", 0),
            ("Movie/info.nfo", 0),
        ]),
    );
    let plan = decide_with(&s, &State::new(), &c);
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
    assert!(rec_of(&plan, A).files_checked);
}

#[test]
fn a_download_with_no_wanted_file_fails_and_a_blocked_one_still_fails_whole() {
    let c = with_filters(&["*.txt"], &[".mkv"]);
    let mut s = snap(vec![torrent(A), torrent(B)], vec![]);
    s.instances[0]
        .files
        .insert(A.into(), files(&[("x/readme.txt", 1), ("x/cover.jpg", 1)]));
    s.instances[0]
        .files
        .insert(B.into(), files(&[("y/movie.mkv", 1), ("y/setup.exe", 1)]));
    let plan = decide_with(&s, &State::new(), &c);
    let reasons: Vec<(&str, &str)> = plan
        .actions
        .iter()
        .map(|a| (a.hash.as_deref().unwrap(), a.reason.as_str()))
        .collect();
    assert_eq!(plan.actions.len(), 2, "{:#?}", plan.actions);
    assert!(plan.actions.iter().all(|a| a.kind == ActionKind::Fail));
    assert!(reasons[0].1.starts_with("no wanted file"), "{reasons:?}");
    assert!(
        reasons[1]
            .1
            .starts_with("blocked file extension: y/setup.exe"),
        "{reasons:?}"
    );
}

#[test]
fn the_filters_ask_for_file_lists_and_leave_complete_downloads_alone() {
    let c = with_filters(&["*.nfo"], &[]);
    let mut no_blocked = c.clone();
    for arr in no_blocked.arr.values_mut() {
        arr.health.blocked_extensions.clear();
    }
    let s = snap(vec![torrent(A)], vec![]);
    let wanted = details_needed(&s, &State::new(), &no_blocked, &Scope::default(), NOW);
    assert_eq!(wanted.files, vec![("main".to_string(), A.to_string())]);
    // Complete: nothing to deselect, and nothing failed for its files.
    let mut s = snap(vec![super::tests::complete(A)], vec![]);
    s.instances[0]
        .files
        .insert(A.into(), files(&[("x/info.nfo", 1)]));
    let plan = decide_with(&s, &State::new(), &c);
    assert!(
        plan.actions
            .iter()
            .all(|a| a.kind != ActionKind::Deselect && a.kind != ActionKind::Fail),
        "{:#?}",
        plan.actions
    );
    assert!(!rec_of(&plan, A).no_wanted_file);
}

fn with_triggers() -> Config {
    let mut c = config();
    c.run.failed_category = Some("failed".into());
    c.run.recheck_category = Some("recheck".into());
    c
}

fn moved(hash: &str, category: &str) -> Torrent {
    Torrent {
        category: category.into(),
        ..torrent(hash)
    }
}

fn owned_by(hash: &str, arr: &str) -> State {
    record(hash, |r| r.owner = Some(arr.into()))
}

#[test]
fn the_owner_is_remembered_only_while_a_trigger_is_on() {
    let s = snap(vec![torrent(A)], vec![]);
    let plan = decide_with(&s, &State::new(), &with_triggers());
    assert_eq!(rec_of(&plan, A).owner.as_deref(), Some("movies"));
    // The trigger categories are created, so that they can be picked in qBittorrent.
    let created: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::CreateCategory)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(created, ["failed", "recheck"]);
    let plan = decide_with(&s, &State::new(), &config());
    assert_eq!(rec_of(&plan, A).owner, None);
}

#[test]
fn a_torrent_moved_into_failed_category_is_failed_through_its_owner() {
    let c = with_triggers();
    // Still in the owner's queue: removed from it, blocklisted, as a stalled one.
    let s = snap(
        vec![moved(A, "failed")],
        vec![super::tests::queued(A, &[9], "downloading")],
    );
    let plan = decide_with(&s, &owned_by(A, "movies"), &c);
    assert_eq!(kinds(&plan), vec![(ActionKind::Fail, A)]);
    let a = plan.actions.last().unwrap();
    assert_eq!(a.reason, "moved into category failed by hand");
    assert!(matches!(
        a.op,
        Op::ArrRemove {
            queue_id: 9,
            client: ClientSide::ArrRemoves,
            ..
        }
    ));
    // Dropped from the queue: its grab is looked up, then marked failed.
    let mut s = snap(vec![moved(A, "failed")], vec![]);
    let wanted = details_needed(&s, &owned_by(A, "movies"), &c, &Scope::default(), NOW);
    assert_eq!(
        wanted.grabs,
        vec![("movies".to_string(), A.to_ascii_uppercase())]
    );
    assert_eq!(
        kinds(&decide_with(&s, &owned_by(A, "movies"), &c)),
        vec![],
        "nothing before the grab is read"
    );
    s.arrs[0]
        .grabs
        .insert(A.to_ascii_uppercase(), Grab::Grabbed(77));
    let plan = decide_with(&s, &owned_by(A, "movies"), &c);
    assert_eq!(kinds(&plan), vec![(ActionKind::Fail, A)]);
    let a = plan.actions.last().unwrap();
    assert_eq!(
        a.op,
        Op::MarkFailed {
            arr: "movies".into(),
            history_id: 77,
            client: ClientSide::ArrRemoves
        }
    );
    assert!(a.deletes_files() && a.removes_from_client());
    // Private, under private = "keep": marked failed and kept.
    let private = Torrent {
        private: Some(true),
        ..moved(A, "failed")
    };
    let mut s = snap(vec![private], vec![]);
    s.arrs[0]
        .grabs
        .insert(A.to_ascii_uppercase(), Grab::Grabbed(77));
    let plan = decide_with(&s, &owned_by(A, "movies"), &c);
    let a = plan.actions.last().unwrap();
    assert!(matches!(
        a.op,
        Op::MarkFailed {
            client: ClientSide::KeepTagged,
            ..
        }
    ));
    assert!(!a.deletes_files() && !a.removes_from_client());
    // Failed already (the deletion of an earlier pass failed): deleted, not blocklisted again.
    let mut s = snap(vec![moved(A, "failed")], vec![]);
    s.arrs[0].grabs.insert(A.to_ascii_uppercase(), Grab::Failed);
    let plan = decide_with(&s, &owned_by(A, "movies"), &c);
    let a = plan.actions.last().unwrap();
    assert_eq!(
        (a.kind, &a.op),
        (ActionKind::Fail, &Op::ClientDelete { delete_files: true })
    );
    assert!(
        a.reason.ends_with("; already failed in movies"),
        "{}",
        a.reason
    );
}

#[test]
fn a_failed_trigger_without_an_owner_or_a_grab_is_only_reported() {
    let c = with_triggers();
    let mut s = snap(vec![moved(A, "failed"), moved(B, "failed")], vec![]);
    s.arrs[0]
        .grabs
        .insert(B.to_ascii_uppercase(), Grab::Missing);
    let state = owned_by(B, "movies");
    let plan = decide_with(&s, &state, &c);
    assert_eq!(
        kinds(&plan),
        vec![(ActionKind::Attention, A), (ActionKind::Attention, B)]
    );
    let reports: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Attention)
        .collect();
    assert!(reports.iter().all(|a| a.skip.is_some()));
    assert!(reports[1].reason.contains("holds no grab of it"));
    // The owner unreachable: nothing destructive.
    let mut s = snap(vec![moved(A, "failed")], vec![]);
    s.arrs[0].reachable = false;
    s.arrs[0]
        .grabs
        .insert(A.to_ascii_uppercase(), Grab::Grabbed(5));
    assert_eq!(kinds(&decide_with(&s, &owned_by(A, "movies"), &c)), vec![]);
    // Protected: nothing at all.
    let protected = Torrent {
        tags: vec!["sweeparr-keep".into()],
        ..moved(A, "failed")
    };
    let s = snap(vec![protected], vec![]);
    assert_eq!(kinds(&decide_with(&s, &owned_by(A, "movies"), &c)), vec![]);
}

#[test]
fn a_torrent_moved_into_recheck_category_is_rechecked_and_moved_back() {
    let mut s = snap(vec![moved(A, "recheck")], vec![]);
    s.arrs[0].reachable = false;
    let plan = decide_with(&s, &owned_by(A, "movies"), &with_triggers());
    assert_eq!(kinds(&plan), vec![(ActionKind::Recheck, A)]);
    assert_eq!(
        plan.actions.last().unwrap().op,
        Op::RecheckInto {
            category: "radarr".into()
        }
    );
    // Off: the category means nothing.
    assert!(
        decide_with(&s, &owned_by(A, "movies"), &config())
            .actions
            .is_empty()
    );
}

fn with_upkeep(f: impl FnOnce(&mut crate::config::Upkeep)) -> Config {
    let mut c = config();
    let mut entry = crate::config::Upkeep {
        host: "other.net".into(),
        add: vec![],
        remove: FileGlobs::default(),
        remove_dead: None,
        tags: vec![],
        up_limit: None,
        down_limit: None,
    };
    f(&mut entry);
    c.trackers = vec![entry];
    c
}

fn tracker(url: &str, status: i64) -> crate::model::Tracker {
    crate::model::Tracker {
        url: url.into(),
        tier: 0,
        status,
        msg: String::new(),
    }
}

#[test]
fn tags_and_limits_of_a_tracker_entry_are_set_once() {
    let c = with_upkeep(|u| {
        u.tags = vec!["other".into(), "public".into()];
        u.up_limit = Some(Some(1 << 20));
        u.down_limit = Some(None);
    });
    // The torrent's tracker is tracker.other.net: a sub-domain of the entry's host.
    let t = Torrent {
        tags: vec!["public".into()],
        dl_limit: 5000,
        ..torrent(A)
    };
    let s = snap(vec![t], vec![]);
    let plan = decide_with(&s, &State::new(), &c);
    assert_eq!(
        kinds(&plan),
        vec![(ActionKind::Tag, A), (ActionKind::Limit, A)]
    );
    assert_eq!(
        plan.actions[0].op,
        Op::AddTags {
            tags: vec!["other".into()]
        }
    );
    assert_eq!(
        plan.actions[1].op,
        Op::SetLimits {
            up: Some(1 << 20),
            down: Some(0)
        }
    );
    assert_eq!(
        plan.actions[1].reason,
        "tracker other.net: upload limit 1.0 MiB/s (was none), download limit none (was 4.9 \
         KiB/s)"
    );
    let in_place = Torrent {
        tags: vec!["public".into(), "other".into()],
        up_limit: 1 << 20,
        dl_limit: -1,
        ..torrent(A)
    };
    let s = snap(vec![in_place], vec![]);
    assert_eq!(kinds(&decide_with(&s, &State::new(), &c)), vec![]);
    // Another host: nothing.
    let elsewhere = Torrent {
        tracker: "https://tracker.example.com/announce".into(),
        ..torrent(A)
    };
    let s = snap(vec![elsewhere], vec![]);
    assert_eq!(kinds(&decide_with(&s, &State::new(), &c)), vec![]);
}

#[test]
fn trackers_are_added_and_removed_from_a_read_list_then_remembered_in_place() {
    let c = with_upkeep(|u| {
        u.add = vec!["udp://backup.other.net:1337/announce".into()];
        u.remove = FileGlobs::new(vec!["*old.other.net*".into()]).unwrap();
    });
    let s = snap(vec![torrent(A)], vec![]);
    let wanted = details_needed(&s, &State::new(), &c, &Scope::default(), NOW);
    assert_eq!(wanted.trackers, vec![("main".to_string(), A.to_string())]);
    let mut s = s;
    s.instances[0].trackers.insert(
        A.into(),
        vec![
            tracker("https://tracker.other.net/announce", 2),
            tracker("http://old.other.net/announce", 4),
        ],
    );
    let plan = decide_with(&s, &State::new(), &c);
    let edit = plan
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Trackers)
        .expect("an edit");
    assert_eq!(
        edit.op,
        Op::EditTrackers {
            add: vec!["udp://backup.other.net:1337/announce".into()],
            remove: vec!["http://old.other.net/announce".into()],
        }
    );
    assert_eq!(
        rec_of(&plan, A).tracker_upkeep,
        None,
        "read again to confirm"
    );
    // In place: remembered, and not read again.
    s.instances[0].trackers.insert(
        A.into(),
        vec![
            tracker("https://tracker.other.net/announce", 2),
            tracker("udp://backup.other.net:1337/announce", 1),
        ],
    );
    let plan = decide_with(&s, &State::new(), &c);
    assert!(plan.actions.iter().all(|a| a.kind != ActionKind::Trackers));
    let fp = rec_of(&plan, A).tracker_upkeep;
    assert_eq!(fp, Some(c.trackers[0].fingerprint()));
    let state: State = plan.records.into_iter().collect();
    let s = snap(vec![torrent(A)], vec![]);
    let wanted = details_needed(&s, &state, &c, &Scope::default(), NOW);
    assert!(wanted.trackers.is_empty(), "{wanted:?}");
}

#[test]
fn a_dead_tracker_goes_only_after_remove_dead_and_only_while_another_works() {
    let c = with_upkeep(|u| u.remove_dead = Some(std::time::Duration::from_secs(86_400)));
    let dead = "udp://dead.other.net:80/announce";
    let list = |working: i64| {
        vec![
            tracker("https://tracker.other.net/announce", working),
            tracker(dead, 4),
        ]
    };
    let mut s = snap(vec![torrent(A)], vec![]);
    s.instances[0].trackers.insert(A.into(), list(2));
    let since = |ago: i64| {
        record(A, |r| {
            r.dead_trackers = vec![(dead.to_string(), NOW - ago)];
        })
    };
    // Failing for an hour: remembered, kept.
    let plan = decide_with(&s, &since(3600), &c);
    assert!(plan.actions.iter().all(|a| a.kind != ActionKind::Trackers));
    assert_eq!(
        rec_of(&plan, A).dead_trackers,
        vec![(dead.to_string(), NOW - 3600)]
    );
    // For two days, beside a working one: removed.
    let plan = decide_with(&s, &since(2 * 86_400), &c);
    let edit = plan.actions.iter().find(|a| a.kind == ActionKind::Trackers);
    assert_eq!(
        edit.map(|a| &a.op),
        Some(&Op::EditTrackers {
            add: vec![],
            remove: vec![dead.to_string()]
        })
    );
    // Every tracker failing: none is removed.
    s.instances[0].trackers.insert(A.into(), list(4));
    let plan = decide_with(&s, &since(2 * 86_400), &c);
    assert!(plan.actions.iter().all(|a| a.kind != ActionKind::Trackers));
}
