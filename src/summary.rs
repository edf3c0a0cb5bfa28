//! The pass summary (CONTRACT section 6): printed with `--output json`, returned by Lambda.

use serde::{Deserialize, Serialize};

/// Overall result of a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Everything reachable, every action done.
    Ok,
    /// Something unreachable, an action failed, or the deadline was reached.
    Partial,
    /// Another run holds the lease.
    Skipped,
    /// Too many deletions planned: none sent.
    CircuitOpen,
    /// The state store was unusable: nothing acted.
    Error,
}

impl RunStatus {
    /// Process exit code for this status.
    pub fn exit_code(self) -> i32 {
        match self {
            RunStatus::Ok | RunStatus::Skipped => 0,
            RunStatus::Partial | RunStatus::CircuitOpen => 1,
            RunStatus::Error => 3,
        }
    }

    /// Name as in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Partial => "partial",
            RunStatus::Skipped => "skipped",
            RunStatus::CircuitOpen => "circuit_open",
            RunStatus::Error => "error",
        }
    }
}

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

/// One action line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionSummary {
    /// Action kind.
    pub kind: String,
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
    /// Error text when failed or skipped.
    pub error: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        }
    }
}
