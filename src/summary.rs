//! The pass summary (README, "Summary JSON"): printed with `--output json`, returned by Lambda.

use serde::{Deserialize, Serialize, Serializer};

use crate::act::ActionError;
use crate::decide::{ActionKind, SkipReason};

pub use crate::model::RunStatus;

/// Per-instance line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSummary {
    /// Instance name.
    pub name: String,
    /// Reached this pass.
    pub reachable: bool,
    /// `app/version`.
    pub version: Option<String>,
    /// Torrents seen (before filters).
    pub torrents: usize,
    /// Why unreachable.
    pub error: Option<String>,
}

/// Per-Arr line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrSummary {
    /// Arr name.
    pub name: String,
    /// radarr | sonarr | lidarr
    pub kind: String,
    /// Queue read this pass.
    pub reachable: bool,
    /// Distinct downloads in the queue.
    pub queue: usize,
    /// Why unreachable.
    pub error: Option<String>,
}

/// Outcome of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Sent and accepted.
    Done,
    /// Dry run: would have been sent.
    Planned,
    /// Sent and refused, or could not be sent.
    Failed,
    /// Not sent on purpose (circuit open, deadline, Arr unreachable).
    Skipped,
}

/// Why an action was not done: skipped on purpose, or sent and refused. The summary's
/// `error` is its text.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionProblem {
    /// Not sent on purpose.
    Skipped(SkipReason),
    /// Sent (or tried) and not done.
    Failed(ActionError),
}

impl std::fmt::Display for ActionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionProblem::Skipped(why) => why.fmt(f),
            ActionProblem::Failed(e) => e.fmt(f),
        }
    }
}

impl Serialize for ActionProblem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One action line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSummary {
    /// Action kind.
    pub kind: ActionKind,
    /// Instance.
    pub instance: String,
    /// Lower-case hash.
    pub hash: Option<String>,
    /// Torrent name.
    pub name: String,
    /// Arr name.
    pub arr: Option<String>,
    /// Why.
    pub reason: String,
    /// What happened.
    pub outcome: Outcome,
    /// Why it was skipped or what failed.
    pub error: Option<ActionProblem>,
}

impl ActionSummary {
    /// True when it was skipped for this reason.
    pub fn skipped_for(&self, why: impl Fn(&SkipReason) -> bool) -> bool {
        matches!(&self.error, Some(ActionProblem::Skipped(s)) if why(s))
    }
}

/// Record counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// Records loaded.
    pub loaded: usize,
    /// Records written or deleted.
    pub written: usize,
}

/// The summary of one pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Overall status.
    pub status: RunStatus,
    /// Unique per invocation.
    pub run_id: String,
    /// RFC 3339.
    pub started_at: String,
    /// Wall time.
    pub duration_ms: u64,
    /// Dry run.
    pub dry_run: bool,
    /// Instances.
    pub instances: Vec<InstanceSummary>,
    /// Arrs.
    pub arrs: Vec<ArrSummary>,
    /// Actions.
    pub actions: Vec<ActionSummary>,
    /// State counts.
    pub state: StateCounts,
    /// Set with status `error`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// `[orphans]`: what the search of the roots found; absent when off.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub orphans: Option<OrphansSummary>,
}

/// What the orphan search of one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrphansSummary {
    /// Each root searched.
    pub roots: Vec<crate::orphans::RootSearch>,
    /// Why no root was searched, if none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl Summary {
    /// An empty summary of a pass starting now, with status `ok`.
    pub fn start(run_id: &str, dry_run: bool) -> Self {
        Summary {
            status: RunStatus::Ok,
            run_id: run_id.to_string(),
            started_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            duration_ms: 0,
            dry_run,
            instances: vec![],
            arrs: vec![],
            actions: vec![],
            state: StateCounts::default(),
            error: None,
            orphans: None,
        }
    }
}
