//! What a rule can do to a torrent (`then = [...]`).

use std::fmt;

/// qBittorrent's "use the global limit" value in share limits.
pub const LIMIT_GLOBAL: i64 = -2;
/// qBittorrent's "no limit" value in share limits.
pub const LIMIT_NONE: i64 = -1;

/// One action of a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleAction {
    /// `"tag:NAME"`: add a tag.
    Tag(String),
    /// `"untag:NAME"`: remove a tag.
    Untag(String),
    /// `"category:NAME"`: set the category ("" = none); created when missing.
    Category(String),
    /// `"stop"`: stop (4.x: pause) the torrent.
    Stop,
    /// `"start"`: start (4.x: resume) a stopped torrent.
    Start,
    /// `"reannounce"`: announce to the trackers now.
    Reannounce,
    /// `"recheck"`: verify the data again.
    Recheck,
    /// `"delete"` (files kept) or `"delete_files"` (files deleted too).
    Delete {
        /// Delete the files too.
        files: bool,
    },
    /// `{ share_limits = { ratio = 2.0, seeding_time = "7d", inactive_seeding_time = "off" } }`
    ShareLimits(ShareLimits),
}

/// Per-torrent share limits, in qBittorrent's units: -2 = the global limit, -1 = none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareLimits {
    /// Ratio limit.
    pub ratio: f64,
    /// Seeding time limit, minutes.
    pub seeding_minutes: i64,
    /// Inactive seeding time limit, minutes (qBittorrent 4.6 and later).
    pub inactive_minutes: i64,
}

impl ShareLimits {
    /// True when a torrent's current limits are these already. A release without an
    /// inactive limit (`None`) matches any inactive value.
    pub fn already(&self, ratio: f64, seeding: i64, inactive: Option<i64>) -> bool {
        (self.ratio - ratio).abs() < 0.005
            && self.seeding_minutes == seeding
            && inactive.is_none_or(|i| i == self.inactive_minutes)
    }
}

fn limit(f: &mut fmt::Formatter<'_>, what: &str, v: i64, unit: &str) -> fmt::Result {
    match v {
        LIMIT_GLOBAL => write!(f, "{what} global"),
        LIMIT_NONE => write!(f, "{what} off"),
        _ => write!(f, "{what} {v}{unit}"),
    }
}

impl fmt::Display for ShareLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ratio {
            r if r == LIMIT_GLOBAL as f64 => write!(f, "ratio global")?,
            r if r == LIMIT_NONE as f64 => write!(f, "ratio off")?,
            r => write!(f, "ratio {r}")?,
        }
        limit(f, ", seeding time", self.seeding_minutes, "m")?;
        limit(f, ", inactive seeding time", self.inactive_minutes, "m")
    }
}

impl fmt::Display for RuleAction {
    /// The short human form used in action reasons: `tag old`, `delete with files`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleAction::Tag(t) => write!(f, "tag {t}"),
            RuleAction::Untag(t) => write!(f, "untag {t}"),
            RuleAction::Category(c) if c.is_empty() => write!(f, "clear category"),
            RuleAction::Category(c) => write!(f, "category {c}"),
            RuleAction::Stop => write!(f, "stop"),
            RuleAction::Start => write!(f, "start"),
            RuleAction::Reannounce => write!(f, "reannounce"),
            RuleAction::Recheck => write!(f, "recheck"),
            RuleAction::Delete { files: false } => write!(f, "delete"),
            RuleAction::Delete { files: true } => write!(f, "delete with files"),
            RuleAction::ShareLimits(l) => write!(f, "share limits {l}"),
        }
    }
}
