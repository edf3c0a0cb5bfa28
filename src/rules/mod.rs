//! User rules (`[[rule]]`): a condition over a torrent's fields written in CEL, the Common
//! Expression Language (known from Kubernetes validation rules), and actions to take when it
//! holds.
//!
//! CEL is small, side-effect free and not Turing complete (no loops beyond the bounded
//! `all` / `exists` / `map` / `filter` macros, no recursion), so a rule always ends and
//! cannot reach outside the torrent it looks at. [`Condition`] compiles and checks an
//! expression once, at config load; [`fields`] lists what an expression can read;
//! [`RuleAction`] is what a rule can do. Applying rules to a scan is a decision:
//! see `crate::decide::rules`.

pub mod action;
pub mod expr;
pub mod fields;

pub use action::{RuleAction, ShareLimits};
pub use expr::{Condition, Uses};
pub use fields::TorrentView;

/// Which runs a rule takes part in (`context`: `scheduled`, `finished`, `any`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleContext {
    /// Full runs (no `--hash`): the scheduled pass over every torrent.
    Scheduled,
    /// `--hash` runs only: the torrent-finished hook.
    Finished,
    /// Both.
    Any,
}

impl RuleContext {
    /// True when a rule of this context runs in a pass narrowed to hashes (`finished`) or not.
    pub fn applies(self, finished_run: bool) -> bool {
        match self {
            RuleContext::Scheduled => !finished_run,
            RuleContext::Finished => finished_run,
            RuleContext::Any => true,
        }
    }

    /// Name as written in config.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleContext::Scheduled => "scheduled",
            RuleContext::Finished => "finished",
            RuleContext::Any => "any",
        }
    }
}

/// One `[[rule]]`, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique name, shown in every action reason (`rule "old-seeds": stop`).
    pub name: String,
    /// The `when` expression.
    pub when: Condition,
    /// The `then` actions, in order.
    pub then: Vec<RuleAction>,
    /// Which runs it takes part in.
    pub context: RuleContext,
    /// When it matches, later rules are not evaluated for that torrent.
    pub stop: bool,
}

#[cfg(test)]
mod tests;
