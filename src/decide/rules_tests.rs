//! Unit tests of user rules in the decision: order and `stop`, contexts, guards, one action
//! per kind and torrent, no-op actions left out, the circuit breaker.

use std::collections::BTreeMap;
use std::path::Path;

use super::rules::{apply, details};
use super::*;
use crate::config::load_str;
use crate::model::{ArrKind, Status};
use crate::rules::fields::sample_torrent;
use crate::state::{State, TorrentRecord};

const NOW: i64 = 2_000_000;

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

/// An unmanaged, complete, seeding torrent in category "linux".
fn torrent(n: u8) -> Torrent {
    Torrent {
        hash: hash(n),
        name: format!("torrent-{n}"),
        category: "linux".into(),
        tags: vec![],
        ..sample_torrent()
    }
}

fn config(rules: &str) -> Config {
    let text = format!(
        "[run]\nmax_deletions = 2\n[qbit.main]\nurl = \"http://127.0.0.1:1\"\n\
         [arr.movies]\nkind = \"radarr\"\nurl = \"http://127.0.0.1:2\"\napi_key = \"k\"\n\
         category = \"radarr\"\n{rules}"
    );
    load_str(&text, "test.toml", Path::new("/"), &|_| None).unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot(torrents: Vec<Torrent>, arr_reachable: bool) -> Snapshot {
    Snapshot {
        instances: vec![InstanceSnapshot {
            name: "main".into(),
            reachable: true,
            torrents,
            categories: vec!["radarr".into(), "linux".into()],
            ..Default::default()
        }],
        arrs: vec![ArrSnapshot {
            name: "movies".into(),
            kind: ArrKind::Radarr,
            reachable: arr_reachable,
            error: None,
            queue: BTreeMap::new(),
            history: BTreeMap::new(),
            grabs: Default::default(),
            search: None,
            health: Default::default(),
        }],
    }
}

fn run(config: &Config, snap: &Snapshot, scope: &Scope) -> Vec<Action> {
    apply(snap, &State::new(), config, scope, &Plan::default(), NOW)
}

/// (kind, torrent number, reason) of each action.
fn summary(actions: &[Action]) -> Vec<(&'static str, String, String)> {
    actions
        .iter()
        .map(|a| {
            let n = a.hash.as_deref().map_or("?", |h| &h[..2]).to_string();
            (a.kind.as_str(), n, a.reason.clone())
        })
        .collect()
}

fn all() -> Scope {
    Scope::default()
}

#[test]
fn rules_run_in_order_and_stop_ends_evaluation_for_that_torrent() {
    let c = config(
        r#"
[[rule]]
name = "keep-linux"
when = "name == 'torrent-1'"
then = ["tag:kept"]
stop = true
[[rule]]
name = "everyone"
when = "true"
then = ["tag:seen"]
"#,
    );
    let snap = snapshot(vec![torrent(1), torrent(2)], true);
    let got = run(&c, &snap, &all());
    assert_eq!(
        summary(&got),
        vec![
            ("tag", "01".into(), "rule \"keep-linux\": tag kept".into()),
            ("tag", "02".into(), "rule \"everyone\": tag seen".into()),
        ]
    );
    assert_eq!(
        got[0].op,
        Op::AddTags {
            tags: vec!["kept".into()]
        }
    );
    assert_eq!(got[0].arr, None, "unmanaged");
}

#[test]
fn matching_rules_give_one_action_per_kind_tags_merged_first_rule_wins_the_rest() {
    let c = config(
        r#"
[[rule]]
name = "a"
when = "true"
then = ["tag:x", "category:archive", "stop", "untag:old"]
[[rule]]
name = "b"
when = "true"
then = ["tag:y", "category:other", "start", "tag:x", "untag:old", "reannounce", "recheck"]
"#,
    );
    let mut t = torrent(1);
    t.tags = vec!["old".into()];
    let got = run(&c, &snapshot(vec![t], true), &all());
    assert_eq!(
        summary(&got),
        vec![
            (
                "tag",
                "01".into(),
                "rule \"a\": tag x; rule \"b\": tag y".into()
            ),
            ("untag", "01".into(), "rule \"a\": untag old".into()),
            (
                "set_category",
                "01".into(),
                "rule \"a\": category archive".into()
            ),
            ("stop", "01".into(), "rule \"a\": stop".into()),
            ("reannounce", "01".into(), "rule \"b\": reannounce".into()),
            ("recheck", "01".into(), "rule \"b\": recheck".into()),
        ]
    );
    assert_eq!(
        got[0].op,
        Op::AddTags {
            tags: vec!["x".into(), "y".into()]
        }
    );
    assert_eq!(
        got[1].op,
        Op::RemoveTags {
            tags: vec!["old".into()]
        }
    );
}

#[test]
fn actions_that_would_change_nothing_are_left_out() {
    let c = config(
        r#"
[[rule]]
name = "quiet"
when = "true"
then = ["tag:have", "untag:absent", "category:linux", "stop",
        { share_limits = { ratio = "global", seeding_time = "global", inactive_seeding_time = "global" } }]
"#,
    );
    let mut t = torrent(1);
    t.tags = vec!["have".into()];
    t.status = Status::PausedUp;
    let mut checking = torrent(2);
    checking.status = Status::CheckingUp;
    let recheck =
        config("[[rule]]\nname = \"r\"\nwhen = \"true\"\nthen = [\"recheck\", \"start\"]\n");
    assert!(run(&c, &snapshot(vec![t.clone()], true), &all()).is_empty());
    assert!(run(&recheck, &snapshot(vec![checking], true), &all()).is_empty());
    // The same torrent running, with other limits: stop and share limits are needed.
    t.status = Status::StalledUp;
    t.ratio_limit = 1.0;
    let got = run(&c, &snapshot(vec![t], true), &all());
    let kinds: Vec<_> = got.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["stop", "share_limits"]);
    assert_eq!(
        got[1].op,
        Op::SetShareLimits {
            ratio: -2.0,
            seeding_minutes: -2,
            inactive_minutes: -2
        }
    );
}

#[test]
fn a_delete_replaces_every_other_action_of_the_torrent() {
    let c = config(
        r#"
[[rule]]
name = "tag"
when = "true"
then = ["tag:x", "stop"]
[[rule]]
name = "old-linux"
when = "category == 'linux' && seeding_time > days(0)"
then = ["delete_files"]
[[rule]]
name = "later"
when = "true"
then = ["delete"]
"#,
    );
    let got = run(&c, &snapshot(vec![torrent(1)], true), &all());
    assert_eq!(
        summary(&got),
        vec![(
            "delete",
            "01".into(),
            "rule \"old-linux\": delete with files".into()
        )]
    );
    assert_eq!(got[0].op, Op::ClientDelete { delete_files: true });
    assert!(got[0].kind.is_deletion());
}

#[test]
fn context_decides_which_runs_a_rule_takes_part_in() {
    let c = config(
        r#"
[[rule]]
name = "sched"
when = "true"
then = ["tag:scheduled"]
[[rule]]
name = "hook"
when = "true"
then = ["tag:finished"]
context = "finished"
[[rule]]
name = "both"
when = "true"
then = ["tag:any"]
context = "any"
"#,
    );
    let snap = snapshot(vec![torrent(1), torrent(2)], true);
    let full = run(&c, &snap, &all());
    assert_eq!(full.len(), 2);
    assert_eq!(
        full[0].op,
        Op::AddTags {
            tags: vec!["scheduled".into(), "any".into()]
        }
    );
    let hook = run(&c, &snap, &Scope::new([hash(2)], Vec::<String>::new()));
    assert_eq!(summary(&hook).len(), 1, "only the finished torrent");
    assert_eq!(hook[0].hash.as_deref(), Some(hash(2).as_str()));
    assert_eq!(
        hook[0].op,
        Op::AddTags {
            tags: vec!["finished".into(), "any".into()]
        }
    );
}

#[test]
fn protected_torrents_unreachable_arrs_and_instances_out_of_scope_get_nothing() {
    let c = config("[[rule]]\nname = \"all\"\nwhen = \"true\"\nthen = [\"stop\"]\n");
    let mut protected = torrent(1);
    protected.tags = vec!["sweeparr-keep".into()];
    let mut managed = torrent(2);
    managed.category = "radarr".into();
    let snap = snapshot(vec![protected.clone(), managed.clone()], false);
    assert!(run(&c, &snap, &all()).is_empty());
    // The Arr reachable: its torrent is subject to rules, and the action names the Arr.
    let snap = snapshot(vec![protected, managed], true);
    let got = run(&c, &snap, &all());
    assert_eq!(summary(&got).len(), 1);
    assert_eq!(got[0].arr.as_deref(), Some("movies"));
    let other = Scope::new(Vec::<String>::new(), ["seedbox".to_string()]);
    assert!(run(&c, &snap, &other).is_empty());
    let mut down = snap.clone();
    down.instances[0].reachable = false;
    assert!(run(&c, &down, &all()).is_empty());
}

#[test]
fn a_torrent_already_acted_on_gets_no_rule_action_and_no_second_action_of_a_kind() {
    let c = config("[[rule]]\nname = \"r\"\nwhen = \"true\"\nthen = [\"tag:x\", \"stop\"]\n");
    let snap = snapshot(vec![torrent(1), torrent(2), torrent(3)], true);
    let planned = |n: u8, kind: ActionKind, op: Op| Action {
        kind,
        instance: "main".into(),
        hash: Some(hash(n)),
        name: String::new(),
        arr: None,
        reason: "earlier".into(),
        op,
        skip: None,
    };
    let plan = Plan {
        actions: vec![
            planned(1, ActionKind::Fail, Op::ClientDelete { delete_files: true }),
            planned(
                2,
                ActionKind::Tag,
                Op::AddTags {
                    tags: vec![TAG_IMPORTED.into()],
                },
            ),
            planned(3, ActionKind::Import, Op::Recheck),
        ],
        ..Plan::default()
    };
    let got = apply(&snap, &State::new(), &c, &all(), &plan, NOW);
    assert_eq!(
        summary(&got),
        vec![("stop", "02".into(), "rule \"r\": stop".into())]
    );
}

#[test]
fn imported_comes_from_the_records_and_a_failing_expression_matches_nothing() {
    let c = config(
        r#"
[[rule]]
name = "not-private"
when = "!private"
then = ["tag:public"]
[[rule]]
name = "imported"
when = "imported"
then = ["tag:imported"]
"#,
    );
    let mut t = torrent(1);
    t.private = None;
    let mut state = State::new();
    let rec = TorrentRecord {
        instance: "main".into(),
        hash: hash(1),
        imported_at: Some(NOW - 10),
        ..Default::default()
    };
    state.insert(Record::Torrent(Box::new(rec)));
    let got = apply(
        &snapshot(vec![t], true),
        &state,
        &c,
        &all(),
        &Plan::default(),
        NOW,
    );
    assert_eq!(
        summary(&got),
        vec![("tag", "01".into(), "rule \"imported\": tag imported".into())]
    );
}

#[test]
fn rule_deletions_count_for_the_circuit_breaker() {
    let c =
        config("[[rule]]\nname = \"purge\"\nwhen = \"category == 'linux'\"\nthen = [\"delete\"]\n");
    let snap = snapshot(vec![torrent(1), torrent(2), torrent(3)], true);
    let plan = decide(&snap, &State::new(), &c, &all(), NOW);
    assert_eq!(plan.deletions(), 3);
    assert!(plan.circuit_open);
    assert!(plan.actions.iter().all(|a| a.skip.is_some()));
    let plan = decide(
        &snapshot(vec![torrent(1)], true),
        &State::new(),
        &c,
        &all(),
        NOW,
    );
    assert!(!plan.circuit_open);
    assert_eq!(summary(&plan.actions).len(), 1);
    assert!(plan.actions[0].skip.is_none());
}

#[test]
fn costly_fields_are_fetched_only_when_a_rule_reads_them() {
    let mut no_tracker = torrent(1);
    no_tracker.tracker = String::new();
    no_tracker.private = None;
    let mut magnet = torrent(2);
    magnet.status = Status::MetaDl;
    magnet.size = 0;
    magnet.tracker = String::new();
    let mut calm = torrent(3);
    calm.tracker_error = Some(false);
    let snap = snapshot(vec![no_tracker, magnet, calm], true);
    let cheap = config("[[rule]]\nname = \"r\"\nwhen = \"ratio > 1.0\"\nthen = [\"stop\"]\n");
    let mut out = DetailRequests::default();
    details(&snap, &cheap, &all(), &mut out);
    assert!(out.is_empty());

    let costly = config(
        "[[rule]]\nname = \"r\"\nwhen = \"files.size() > 0 && tracker_message != '' && private == false\"\nthen = [\"stop\"]\n",
    );
    let mut out = DetailRequests {
        files: vec![("main".into(), hash(3))],
        ..Default::default()
    };
    details(&snap, &costly, &all(), &mut out);
    let key = |n: u8| ("main".to_string(), hash(n));
    assert_eq!(out.files, vec![key(3), key(1)], "no duplicate, no magnet");
    assert_eq!(
        out.trackers,
        vec![key(1), key(2)],
        "not where qBittorrent 5.2+ flags no tracker error"
    );
    assert_eq!(out.private, vec![key(1)], "only where unknown");
    // A finished-only rule costs nothing in a scheduled run.
    let hook = config(
        "[[rule]]\nname = \"r\"\nwhen = \"files.size() > 0\"\nthen = [\"stop\"]\ncontext = \"finished\"\n",
    );
    let mut out = DetailRequests::default();
    details(&snap, &hook, &all(), &mut out);
    assert!(out.is_empty());
}

#[test]
fn a_rule_deletion_keeps_files_another_torrent_uses() {
    let c = config(
        "[[rule]]\nname = \"old\"\nwhen = \"category == 'linux'\"\nthen = [\"delete_files\"]\n",
    );
    let mut a = torrent(1);
    a.content_path = "/data/linux.iso".into();
    let mut b = torrent(2);
    b.content_path = "/data/linux.iso".into();
    b.category = "seeding".into();
    let mut c_alone = torrent(3);
    c_alone.content_path = "/data/other.iso".into();
    let got = run(&c, &snapshot(vec![a, b, c_alone], true), &all());
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(
        got[0].op,
        Op::ClientDelete {
            delete_files: false
        }
    );
    assert!(
        got[0]
            .reason
            .ends_with("files kept: torrent-2 uses them too"),
        "{}",
        got[0].reason
    );
    assert_eq!(got[1].op, Op::ClientDelete { delete_files: true });
}
