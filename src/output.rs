//! Rendering a summary for people (`--output text`).

use std::fmt::Write;

use sweeparr::summary::{Outcome, Summary};
use unicode_width::UnicodeWidthStr;

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
        let widths = [8, 15, 10, 8, NAME_WIDTH];
        out.push_str(&row(
            &widths,
            &["OUTCOME", "ACTION", "INSTANCE", "ARR", "NAME"],
            "REASON",
        ));
        for a in &summary.actions {
            let mut reason = a.reason.clone();
            if let Some(e) = &a.error {
                let _ = write!(reason, " [{e}]");
            }
            let cells = [
                outcome(a.outcome),
                a.kind.as_str(),
                &a.instance,
                a.arr.as_deref().unwrap_or("-"),
                &cut(&a.name, NAME_WIDTH),
            ];
            out.push_str(&row(&widths, &cells, &reason));
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

/// One line of a text table: each cell padded to its column's width in display columns
/// (a cell wider than its column pushes the next one right), then `last` unpadded.
pub fn row(widths: &[usize], cells: &[&str], last: &str) -> String {
    let mut line = String::new();
    for (cell, &width) in cells.iter().zip(widths) {
        line.push_str(cell);
        line.extend(std::iter::repeat_n(
            ' ',
            width.saturating_sub(cell.width()) + 1,
        ));
    }
    line.push_str(last);
    line.push('\n');
    line
}

/// `s` cut to at most `width` display columns, ending in `…` when cut.
fn cut(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut t = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        t.push(c);
    }
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_display_width_not_by_characters() {
        let widths = [6, 4];
        assert_eq!(row(&widths, &["ab", "c"], "end"), "ab     c    end\n");
        // Two wide characters take four columns: two spaces less.
        assert_eq!(row(&widths, &["映画", "c"], "end"), "映画   c    end\n");
        assert_eq!(row(&widths, &["toolong", "c"], "end"), "toolong c    end\n");
    }

    #[test]
    fn names_are_cut_to_the_column_in_display_width() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abcdefghijkl", 10), "abcdefghi…");
        let wide = cut("映画映画映画映画映画映画", 10);
        assert_eq!(wide, "映画映画…");
        assert!(wide.width() <= 10, "{wide}");
    }
}
