//! What is announced, once; and what each kind of target is sent.

use std::time::Instant;

use serde_json::json;

use super::*;
use crate::act::ActionError;
use crate::config::{NotifyConfig, NotifyEvent, NotifyKind, Secret, SecretSource};
use crate::decide::{ActionKind, SkipReason};
use crate::state::OutageRecord;
use crate::summary::{
    ActionProblem, ActionSummary, ArrSummary, InstanceSummary, Outcome, RunStatus,
};

const NOW: Epoch = 1_800_000_000;

fn summary() -> Summary {
    let mut s = Summary::start("run-1", false);
    s.instances = vec![InstanceSummary {
        name: "main".into(),
        reachable: true,
        version: Some("v4.5.2".into()),
        torrents: 3,
        error: None,
    }];
    s.arrs = vec![ArrSummary {
        name: "movies".into(),
        kind: "radarr".into(),
        reachable: true,
        queue: 1,
        error: None,
    }];
    s
}

fn action(
    kind: ActionKind,
    name: &str,
    outcome: Outcome,
    error: Option<ActionProblem>,
) -> ActionSummary {
    ActionSummary {
        kind,
        instance: "main".into(),
        hash: Some("ab".repeat(20)),
        name: name.into(),
        arr: Some("movies".into()),
        reason: "stalled 45m > 30m".into(),
        outcome,
        error,
    }
}

/// A failure: the plan named an Arr the pass has no client for.
fn no_arr(name: &str) -> Option<ActionProblem> {
    Some(ActionProblem::Failed(ActionError::NoArr(name.into())))
}

fn skipped(why: SkipReason) -> Option<ActionProblem> {
    Some(ActionProblem::Skipped(why))
}

fn kinds(a: &Announcement) -> Vec<EventKind> {
    a.events.iter().map(|e| e.kind).collect()
}

fn outage(target: &str, since: Epoch, announced: bool) -> Record {
    let o = OutageRecord {
        target: target.into(),
        since,
        error: "connection refused".into(),
        announced,
    };
    Record::Outage(o)
}

fn target(kind: NotifyKind, url: &str, on: &[NotifyEvent]) -> NotifyConfig {
    NotifyConfig {
        kind,
        url_source: SecretSource::Literal(url.into()),
        url: Secret::new(url),
        on: on.to_vec(),
        priority: None,
        tags: vec![],
    }
}

#[test]
fn done_removals_failed_actions_and_an_open_circuit_are_announced_planned_ones_are_not() {
    let mut s = summary();
    s.actions = vec![
        action(ActionKind::Fail, "Stalled.Movie", Outcome::Done, None),
        action(ActionKind::Remove, "Seeded.Movie", Outcome::Done, None),
        action(
            ActionKind::Import,
            "Done.Movie",
            Outcome::Failed,
            no_arr("movies"),
        ),
        action(ActionKind::Fail, "Other.Movie", Outcome::Planned, None),
        action(ActionKind::Tag, "Tagged.Movie", Outcome::Done, None),
        action(
            ActionKind::Remove,
            "Late.Movie",
            Outcome::Skipped,
            skipped(SkipReason::DeadlineReached),
        ),
    ];
    let a = announce(&s, &State::new(), NOW, true);
    assert_eq!(
        kinds(&a),
        [
            EventKind::Removed,
            EventKind::Removed,
            EventKind::ActionFailed,
            EventKind::DeadlineReached
        ]
    );
    assert_eq!(
        a.events[0].text,
        "removed failed download Stalled.Movie (main): stalled 45m > 30m"
    );
    assert!(
        a.events[1]
            .text
            .starts_with("removed seeded torrent Seeded.Movie")
    );
    assert_eq!(
        a.events[2].text,
        "import Done.Movie (main) failed: no client for arr movies"
    );
    assert!(a.outages.is_empty() && a.ended.is_empty());

    let why = "circuit open: 30 deletions planned > max_deletions 25";
    s.status = RunStatus::CircuitOpen;
    let circuit = SkipReason::CircuitOpen {
        planned: 30,
        max: 25,
    };
    s.actions = vec![action(
        ActionKind::Fail,
        "X",
        Outcome::Skipped,
        skipped(circuit),
    )];
    let a = announce(&s, &State::new(), NOW, true);
    assert_eq!(kinds(&a), [EventKind::CircuitOpen]);
    assert_eq!(a.events[0].text, format!("{why}; nothing was removed"));
}

#[test]
fn a_torrent_a_rule_deleted_is_announced_as_removed() {
    let mut s = summary();
    s.actions = vec![
        action(ActionKind::Delete, "Old.Movie", Outcome::Done, None),
        action(ActionKind::Delete, "Planned.Movie", Outcome::Planned, None),
    ];
    let a = announce(&s, &State::new(), NOW, true);
    assert_eq!(kinds(&a), [EventKind::Removed]);
    assert_eq!(
        a.events[0].text,
        "removed torrent Old.Movie (main) by a rule: stalled 45m > 30m"
    );
    assert_eq!(
        a.for_target(&[NotifyEvent::Destructive]).len(),
        1,
        "a rule's deletion is destructive"
    );
}

#[test]
fn a_quiet_pass_announces_nothing() {
    let mut s = summary();
    s.actions = vec![action(
        ActionKind::Import,
        "Done.Movie",
        Outcome::Done,
        None,
    )];
    assert_eq!(
        announce(&s, &State::new(), NOW, true),
        Announcement::default()
    );
}

#[test]
fn an_outage_is_announced_when_it_starts_and_when_it_ends_only() {
    let mut down = summary();
    down.arrs[0].reachable = false;
    down.arrs[0].error = Some("arr movies: unreachable: connection refused".into());

    // First pass that sees it: announced, remembered.
    let first = announce(&down, &State::new(), NOW, true);
    assert_eq!(kinds(&first), [EventKind::Unreachable]);
    assert_eq!(
        first.events[0].text,
        "arr movies unreachable: connection refused"
    );
    assert_eq!(first.outages.len(), 1);
    assert_eq!(first.outages[0].target, "arr.movies");
    assert_eq!(first.outages[0].since, NOW);
    assert!(!first.outages[0].announced);

    // Still down, already announced: nothing.
    let state = State::from_iter([outage("arr.movies", NOW - 600, true)]);
    assert_eq!(announce(&down, &state, NOW, true), Announcement::default());

    // Still down, never delivered: told again, with how long.
    let state = State::from_iter([outage("arr.movies", NOW - 600, false)]);
    let again = announce(&down, &state, NOW, true);
    assert_eq!(kinds(&again), [EventKind::Unreachable]);
    assert!(
        again.events[0].text.contains("unreachable for 10m"),
        "{:?}",
        again.events
    );
    assert_eq!(again.outages[0].since, NOW - 600);

    // Back: told once, record dropped.
    let state = State::from_iter([outage("arr.movies", NOW - 7200, true)]);
    let back = announce(&summary(), &state, NOW, true);
    assert_eq!(kinds(&back), [EventKind::Back]);
    assert_eq!(
        back.events[0].text,
        "arr movies is back (unreachable for 2h)"
    );
    assert_eq!(back.ended, ["outage#arr.movies"]);

    // Back before anyone heard of it: dropped silently.
    let state = State::from_iter([outage("qbit.main", NOW - 60, false)]);
    let quiet = announce(&summary(), &state, NOW, true);
    assert!(quiet.events.is_empty());
    assert_eq!(quiet.ended, ["outage#qbit.main"]);
}

#[test]
fn an_instance_outage_names_the_instance_once() {
    let mut down = summary();
    down.instances[0].reachable = false;
    down.instances[0].error =
        Some("qBittorrent instance 'main' is unreachable: connection failed".into());
    let a = announce(&down, &State::new(), NOW, true);
    assert_eq!(
        a.events[0].text,
        "instance main unreachable: connection failed"
    );
    assert_eq!(a.outages[0].target, "qbit.main");
    assert_eq!(
        a.outages[0].error,
        "qBittorrent instance 'main' is unreachable: connection failed"
    );
}

#[test]
fn outages_are_not_tracked_when_no_target_listens_to_them() {
    let mut down = summary();
    down.instances[0].reachable = false;
    assert_eq!(
        announce(&down, &State::new(), NOW, false),
        Announcement::default()
    );
}

#[test]
fn each_target_hears_only_what_it_listens_to() {
    let mut s = summary();
    s.instances[0].reachable = false;
    s.actions = vec![
        action(ActionKind::Fail, "A", Outcome::Done, None),
        action(ActionKind::Import, "B", Outcome::Failed, no_arr("movies")),
    ];
    let a = announce(&s, &State::new(), NOW, true);
    let heard = |on: &[NotifyEvent]| -> Vec<EventKind> {
        a.for_target(on).iter().map(|e| e.kind).collect()
    };
    assert_eq!(heard(&[NotifyEvent::Destructive]), [EventKind::Removed]);
    assert_eq!(heard(&[NotifyEvent::Failed]), [EventKind::ActionFailed]);
    assert_eq!(
        heard(&[NotifyEvent::Destructive, NotifyEvent::Unreachable]),
        [EventKind::Removed, EventKind::Unreachable]
    );
}

fn ev(kind: EventKind, text: &str) -> Event {
    Event {
        kind,
        text: text.into(),
    }
}

#[test]
fn message_title_counts_and_severity_is_the_worst_event() {
    let removed = ev(EventKind::Removed, "removed a");
    let down = ev(EventKind::Unreachable, "instance main unreachable: x");
    let back = ev(EventKind::Back, "arr tv is back");
    let m = message(&[&removed, &removed, &down]);
    assert_eq!(m.title, "sweeparr: 2 removed, 1 unreachable");
    assert_eq!(
        m.body,
        "- removed a\n- removed a\n- instance main unreachable: x"
    );
    assert_eq!(m.severity, Severity::Failure);
    assert_eq!(message(&[&removed]).severity, Severity::Info);
    assert_eq!(message(&[&back]).severity, Severity::Success);
    assert_eq!(message(&[&back]).title, "sweeparr: 1 back");
}

#[test]
fn discord_content_is_cut_to_2000_characters_and_mentions_nobody() {
    let long = ev(EventKind::Removed, &"é".repeat(3000));
    let body = discord::body(&message(&[&long]));
    let content = body["content"].as_str().unwrap();
    assert_eq!(content.chars().count(), 2000);
    assert!(content.starts_with("**sweeparr: 1 removed**\n- éé"));
    assert!(content.ends_with('…'));
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
}

#[test]
fn ntfy_headers_follow_severity_unless_configured() {
    let down = ev(EventKind::Unreachable, "x");
    let cfg = target(NotifyKind::Ntfy, "http://127.0.0.1:1/t", &[]);
    let h = ntfy::headers(&cfg, &message(&[&down]));
    assert_eq!(
        h,
        [
            ("Title", "sweeparr: 1 unreachable".to_string()),
            ("Priority", "high".to_string()),
            ("Tags", "rotating_light".to_string())
        ]
    );
    let cfg = NotifyConfig {
        priority: Some("min".into()),
        tags: vec!["broom".into(), "tv".into()],
        ..cfg
    };
    let h = ntfy::headers(&cfg, &message(&[&down]));
    assert_eq!(h[1].1, "min");
    assert_eq!(h[2].1, "broom,tv");
    assert_eq!(ntfy::body(&message(&[&down])), "- x");
}

#[test]
fn apprise_body_has_type_and_tag_only_when_configured() {
    let removed = ev(EventKind::Removed, "removed a");
    let cfg = target(NotifyKind::Apprise, "http://127.0.0.1:1/notify/k", &[]);
    assert_eq!(
        apprise::body(&cfg, &message(&[&removed])),
        json!({"title": "sweeparr: 1 removed", "body": "- removed a", "type": "info"})
    );
    let cfg = NotifyConfig {
        tags: vec!["admins".into()],
        ..cfg
    };
    assert_eq!(apprise::body(&cfg, &message(&[&removed]))["tag"], "admins");
}

#[test]
fn webhook_body_is_the_summary_plus_events() {
    let s = summary();
    let removed = ev(EventKind::Removed, "removed a");
    let body = webhook::body(&s, &[&removed], &message(&[&removed]));
    assert_eq!(body["run_id"], "run-1");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["instances"][0]["name"], "main");
    assert_eq!(
        body["events"],
        json!([{"kind": "removed", "category": "destructive", "text": "removed a"}])
    );
    assert_eq!(body["title"], "sweeparr: 1 removed");
}

#[test]
fn scrub_removes_the_url_and_its_path() {
    let url = "https://discord.com/api/webhooks/123/t0ken";
    assert_eq!(
        scrub(&format!("error at {url} and /api/webhooks/123/t0ken"), url),
        "error at <redacted> and <redacted>"
    );
}

#[tokio::test]
async fn a_refusing_target_is_counted_and_the_outage_stays_unannounced() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let url = "http://127.0.0.1:1/hook/t0ken";
    let targets = [target(
        NotifyKind::Webhook,
        url,
        &[NotifyEvent::Destructive, NotifyEvent::Unreachable],
    )];
    let mut down = summary();
    down.instances[0].reachable = false;
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    let out = notify(&targets, &down, &State::new(), NOW, deadline).await;
    assert_eq!((out.sent, out.failed), (0, 1));
    let [Record::Outage(o)] = &out.put[..] else {
        panic!("{:?}", out.put)
    };
    assert_eq!(o.target, "qbit.main");
    assert!(!o.announced, "no target accepted it: told again next pass");

    // No target at all: nothing tracked.
    let none = notify(&[], &down, &State::new(), NOW, deadline).await;
    assert_eq!(none, NotifyOutcome::default());
}

#[test]
fn a_download_that_needs_attention_is_told_once() {
    let mut s = summary();
    s.actions = vec![action(
        ActionKind::Attention,
        "Movie",
        Outcome::Skipped,
        skipped(SkipReason::Held(
            "another release would not import either".into(),
        )),
    )];
    let first = events::announce(&s, &State::new(), NOW, false);
    assert_eq!(kinds(&first), [EventKind::Attention]);
    assert!(first.events[0].text.contains("needs attention"));
    assert_eq!(
        first.for_target(&[NotifyEvent::Attention]).len(),
        1,
        "heard by attention targets"
    );
    assert!(first.for_target(&[NotifyEvent::Destructive]).is_empty());
    // The next pass finds the torrent already marked: nothing new to tell.
    let mut rec = crate::state::TorrentRecord::new(
        &crate::model::TorrentKey::new("main", "ab".repeat(20)),
        NOW - 600,
    );
    rec.attention_since = Some(NOW - 300);
    let state = State::from_iter([Record::Torrent(Box::new(rec))]);
    assert!(events::announce(&s, &state, NOW, false).events.is_empty());
}
