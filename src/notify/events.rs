//! What a pass announces: a pure function of its summary and the outages already known.
//!
//! Outages are remembered as [`OutageRecord`]s, so an instance or Arr that stays down is
//! announced once when it goes down and once when it is back, not every pass. An outage no
//! target accepted yet is announced again by the next pass.

use std::collections::BTreeSet;

use crate::config::NotifyEvent;
use crate::decide::{ActionKind, SkipReason, fmt};
use crate::model::Epoch;
use crate::state::{OutageRecord, State};
use crate::summary::{Outcome, RunStatus, Summary};

/// What happened, one per line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    /// A torrent was removed (failed download, or seeded enough).
    Removed,
    /// The deletion circuit opened: nothing was removed.
    CircuitOpen,
    /// An action was sent and failed.
    ActionFailed,
    /// The deadline stopped the pass before every action was sent.
    DeadlineReached,
    /// An instance or Arr became unreachable.
    Unreachable,
    /// An instance or Arr that was announced unreachable answers again.
    Back,
    /// A download needs a person (told when it starts to).
    Attention,
}

impl EventKind {
    /// Name as sent in webhook payloads.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The `on = [...]` entry that selects it.
    pub fn category(self) -> NotifyEvent {
        match self {
            EventKind::Removed | EventKind::CircuitOpen => NotifyEvent::Destructive,
            EventKind::ActionFailed | EventKind::DeadlineReached => NotifyEvent::Failed,
            EventKind::Unreachable | EventKind::Back => NotifyEvent::Unreachable,
            EventKind::Attention => NotifyEvent::Attention,
        }
    }
}

/// One thing to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// One line for people.
    pub text: String,
}

/// What a pass announces and how its outage records change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Announcement {
    /// Events in the order they are told.
    pub events: Vec<Event>,
    /// Outage records to write: new ones and ones not announced yet (`announced` is set
    /// once a target accepted the message).
    pub outages: Vec<OutageRecord>,
    /// Keys of outage records to delete (the target is back).
    pub ended: Vec<String>,
}

/// The events of a pass. `track_outages`: some target listens to `unreachable`, so
/// outages are remembered (otherwise no outage event and no record at all).
pub fn announce(summary: &Summary, state: &State, now: Epoch, track_outages: bool) -> Announcement {
    let mut out = Announcement::default();
    for a in &summary.actions {
        let name = if a.instance.is_empty() {
            a.name.clone()
        } else {
            format!("{} ({})", a.name, a.instance)
        };
        match (a.kind, a.outcome) {
            (ActionKind::Fail, Outcome::Done) => out.push(
                EventKind::Removed,
                format!("removed failed download {name}: {}", a.reason),
            ),
            (ActionKind::Remove, Outcome::Done) => out.push(
                EventKind::Removed,
                format!("removed seeded torrent {name}: {}", a.reason),
            ),
            (ActionKind::Delete, Outcome::Done) => out.push(
                EventKind::Removed,
                format!("removed torrent {name} by a rule: {}", a.reason),
            ),
            (ActionKind::Attention, Outcome::Skipped)
                if !told_before(state, &a.instance, a.hash.as_deref()) =>
            {
                out.push(
                    EventKind::Attention,
                    format!("{name} needs attention: {}", a.reason),
                )
            }
            (kind, Outcome::Failed) => out.push(
                EventKind::ActionFailed,
                format!(
                    "{} {name} failed: {}",
                    kind.as_str(),
                    a.error
                        .as_ref()
                        .map_or_else(|| "unknown error".to_string(), ToString::to_string)
                ),
            ),
            _ => {}
        }
    }
    let unsent = summary
        .actions
        .iter()
        .filter(|a| a.skipped_for(|why| *why == SkipReason::DeadlineReached))
        .count();
    if unsent > 0 {
        out.push(
            EventKind::DeadlineReached,
            format!("deadline reached: {unsent} action(s) not sent"),
        );
    }
    if summary.status == RunStatus::CircuitOpen {
        let why = summary
            .actions
            .iter()
            .find(|a| a.skipped_for(|why| matches!(why, SkipReason::CircuitOpen { .. })))
            .and_then(|a| a.error.as_ref())
            .map_or_else(
                || "circuit open: too many deletions planned".to_string(),
                ToString::to_string,
            );
        out.push(
            EventKind::CircuitOpen,
            format!("{why}; nothing was removed"),
        );
    }
    if track_outages {
        outages(summary, state, now, &mut out);
    }
    out
}

impl Announcement {
    fn push(&mut self, kind: EventKind, text: String) {
        self.events.push(Event { kind, text });
    }

    /// The events a target listening to `on` is told.
    pub fn for_target(&self, on: &[NotifyEvent]) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| on.contains(&e.kind.category()))
            .collect()
    }
}

fn outages(summary: &Summary, state: &State, now: Epoch, out: &mut Announcement) {
    let targets = summary
        .instances
        .iter()
        .map(|i| {
            (
                format!("qbit.{}", i.name),
                "instance",
                &i.name,
                i.reachable,
                &i.error,
            )
        })
        .chain(summary.arrs.iter().map(|a| {
            (
                format!("arr.{}", a.name),
                "arr",
                &a.name,
                a.reachable,
                &a.error,
            )
        }));
    let mut seen = BTreeSet::new();
    for (target, what, name, reachable, error) in targets {
        if !seen.insert(target.clone()) {
            continue;
        }
        let known = state.outage(&target);
        let error = error.clone().unwrap_or_else(|| "unknown error".into());
        let detail = detail(&error, what, name);
        match (reachable, known) {
            (false, Some(o)) if o.announced => {}
            (false, Some(o)) => {
                out.push(
                    EventKind::Unreachable,
                    format!(
                        "{what} {name} unreachable for {}: {detail}",
                        fmt::secs(now - o.since)
                    ),
                );
                out.outages.push(OutageRecord { error, ..o.clone() });
            }
            (false, None) => {
                out.push(
                    EventKind::Unreachable,
                    format!("{what} {name} unreachable: {detail}"),
                );
                out.outages.push(OutageRecord {
                    target,
                    since: now,
                    error,
                    announced: false,
                });
            }
            (true, Some(o)) => {
                if o.announced {
                    out.push(
                        EventKind::Back,
                        format!(
                            "{what} {name} is back (unreachable for {})",
                            fmt::secs(now - o.since)
                        ),
                    );
                }
                out.ended.push(o.key());
            }
            (true, None) => {}
        }
    }
}

/// The error without the prefix naming the instance or Arr again (the line names it).
/// True when the torrent already needed attention before this pass (so it was told).
fn told_before(state: &State, instance: &str, hash: Option<&str>) -> bool {
    hash.is_some_and(|hash| {
        state
            .torrent(instance, hash)
            .is_some_and(|r| r.attention_since.is_some())
    })
}

fn detail<'a>(error: &'a str, what: &str, name: &str) -> &'a str {
    let prefixes = match what {
        "arr" => [
            format!("arr {name}: unreachable: "),
            format!("arr {name}: "),
        ],
        _ => [
            format!("qBittorrent instance '{name}' is unreachable: "),
            format!("qBittorrent instance '{name}': "),
        ],
    };
    prefixes
        .iter()
        .find_map(|p| error.strip_prefix(p.as_str()))
        .unwrap_or(error)
}
