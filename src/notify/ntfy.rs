//! ntfy: the lines as a plain-text body POSTed to the topic URL, with `Title`, `Priority`
//! and `Tags` headers.

use super::message::{Message, Severity};
use crate::config::NotifyConfig;

/// The headers sent: `Title`; `Priority` as configured, else `high` for failures and the
/// circuit opening, `default` otherwise; `Tags` as configured, else one emoji tag by
/// severity.
pub fn headers(cfg: &NotifyConfig, msg: &Message) -> Vec<(&'static str, String)> {
    let priority = cfg.priority.clone().unwrap_or_else(|| {
        match msg.severity {
            Severity::Failure | Severity::Warning => "high",
            Severity::Info | Severity::Success => "default",
        }
        .to_string()
    });
    let tags = if cfg.tags.is_empty() {
        match msg.severity {
            Severity::Failure => "rotating_light",
            Severity::Warning => "warning",
            Severity::Info => "wastebasket",
            Severity::Success => "white_check_mark",
        }
        .to_string()
    } else {
        cfg.tags.join(",")
    };
    // Header values must be visible ASCII; the title is built from ASCII only, but keep
    // the guarantee.
    let title: String = msg
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    vec![("Title", title), ("Priority", priority), ("Tags", tags)]
}

/// The body: the lines, one event each.
pub fn body(msg: &Message) -> String {
    msg.body.clone()
}
