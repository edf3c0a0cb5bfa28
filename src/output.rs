//! Rendering a summary for people (`--output text`).

use std::fmt::Write;

use crate::summary::{Outcome, Summary};

/// Longest name shown in the table before it is cut.
const NAME_WIDTH: usize = 40;

/// The human table of actions followed by a one-line total.
pub fn text(summary: &Summary) -> String {
    let mut out = String::new();
    let items = summary
        .instances
        .iter()
        .map(|i| ("instance", &i.name, i.reachable, &i.error))
        .chain(
            summary
                .arrs
                .iter()
                .map(|a| ("arr", &a.name, a.reachable, &a.error)),
        );
    for (what, name, reachable, error) in items {
        match (reachable, error) {
            (false, e) => {
                let e = e.as_deref().unwrap_or("unknown error");
                let _ = writeln!(out, "{what} {name} unreachable: {e}");
            }
            // Reachable, but some detail could not be read.
            (true, Some(e)) => {
                let _ = writeln!(out, "{what} {name}: {e}");
            }
            (true, None) => {}
        }
    }
    if let Some(e) = &summary.error {
        let _ = writeln!(out, "error: {e}");
    }
    if !summary.actions.is_empty() {
        let _ = writeln!(
            out,
            "{:<8} {:<15} {:<10} {:<8} {:<w$} REASON",
            "OUTCOME",
            "ACTION",
            "INSTANCE",
            "ARR",
            "NAME",
            w = NAME_WIDTH
        );
        for a in &summary.actions {
            let mut reason = a.reason.clone();
            if let Some(e) = &a.error {
                let _ = write!(reason, " [{e}]");
            }
            let _ = writeln!(
                out,
                "{:<8} {:<15} {:<10} {:<8} {:<w$} {}",
                outcome(a.outcome),
                a.kind,
                a.instance,
                a.arr.as_deref().unwrap_or("-"),
                cut(&a.name, NAME_WIDTH),
                reason,
                w = NAME_WIDTH
            );
        }
    }
    let count = |o: Outcome| summary.actions.iter().filter(|a| a.outcome == o).count();
    let reachable = summary.instances.iter().filter(|i| i.reachable).count();
    let arrs = summary.arrs.iter().filter(|a| a.reachable).count();
    let torrents: usize = summary.instances.iter().map(|i| i.torrents).sum();
    let _ = writeln!(
        out,
        "{}{}: {} action{} ({} done, {} planned, {} failed, {} skipped); instances {}/{} ({} torrents); arrs {}/{}; state {} loaded, {} written; {} ms",
        summary.status.as_str(),
        if summary.dry_run { " (dry run)" } else { "" },
        summary.actions.len(),
        if summary.actions.len() == 1 { "" } else { "s" },
        count(Outcome::Done),
        count(Outcome::Planned),
        count(Outcome::Failed),
        count(Outcome::Skipped),
        reachable,
        summary.instances.len(),
        torrents,
        arrs,
        summary.arrs.len(),
        summary.state.loaded,
        summary.state.written,
        summary.duration_ms
    );
    out
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Done => "done",
        Outcome::Planned => "planned",
        Outcome::Failed => "FAILED",
        Outcome::Skipped => "skipped",
    }
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width - 1).collect();
    t.push('…');
    t
}
