//! The text of one notification: a title counting what happened, one line per event, and a
//! severity the targets map to their own levels.

use super::events::{Event, EventKind};

/// How bad the news is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Only recoveries.
    Success,
    /// Removals.
    Info,
    /// The deletion circuit opened.
    Warning,
    /// Something failed or is unreachable.
    Failure,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// "sweeparr: 2 removed, 1 unreachable"
    pub title: String,
    /// One line per event.
    pub body: String,
    /// Worst severity of the events.
    pub severity: Severity,
}

/// The message telling `events` (not empty).
pub fn message(events: &[&Event]) -> Message {
    let count = |k: EventKind| events.iter().filter(|e| e.kind == k).count();
    let mut parts = Vec::new();
    for (kind, label) in [
        (EventKind::Removed, "removed"),
        (EventKind::ActionFailed, "failed"),
        (EventKind::Unreachable, "unreachable"),
        (EventKind::Back, "back"),
        (EventKind::Attention, "need attention"),
    ] {
        match count(kind) {
            0 => {}
            n => parts.push(format!("{n} {label}")),
        }
    }
    if count(EventKind::CircuitOpen) > 0 {
        parts.push("circuit open".into());
    }
    if count(EventKind::DeadlineReached) > 0 {
        parts.push("deadline reached".into());
    }
    let severity = events
        .iter()
        .map(|e| match e.kind {
            EventKind::Back => Severity::Success,
            EventKind::Removed => Severity::Info,
            EventKind::CircuitOpen | EventKind::Attention => Severity::Warning,
            EventKind::ActionFailed | EventKind::DeadlineReached | EventKind::Unreachable => {
                Severity::Failure
            }
        })
        .max()
        .unwrap_or(Severity::Info);
    Message {
        title: format!("sweeparr: {}", parts.join(", ")),
        body: events
            .iter()
            .map(|e| format!("- {}", e.text))
            .collect::<Vec<_>>()
            .join("\n"),
        severity,
    }
}

/// At most `max` characters of `text`, cut with an ellipsis.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
