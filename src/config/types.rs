//! The typed, validated configuration. Built once by [`crate::config::load`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::secret::{Secret, SecretSource};
use crate::model::ArrKind;

/// The whole configuration of one sweeparr deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it was read from ("<inline SWEEPARR_CONFIG_TOML>" for the inline form).
    pub source: String,
    /// `[state]`
    pub state: StateConfig,
    /// `[run]`
    pub run: RunConfig,
    /// `[qbit.NAME]`, by name.
    pub qbit: BTreeMap<String, QbitConfig>,
    /// `[arr.NAME]`, by name; each carries its resolved health and seeding rules.
    pub arr: BTreeMap<String, ArrConfig>,
    /// `[[rule]]`, in order, their expressions compiled.
    pub rules: Vec<crate::rules::Rule>,
}

/// Which state backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded local store in a folder.
    File,
    /// An AWS DynamoDB table (or a local emulator).
    Dynamodb,
}

/// `[state]`
#[derive(Debug, Clone)]
pub struct StateConfig {
    /// Backend.
    pub backend: Backend,
    /// File backend folder, resolved against the config file's folder.
    pub path: PathBuf,
    /// DynamoDB table name.
    pub table: String,
    /// DynamoDB endpoint override (emulators).
    pub endpoint_url: Option<String>,
}

/// `[run]`
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Change nothing anywhere.
    pub dry_run: bool,
    /// Torrents carrying this tag are never changed.
    pub protect_tag: String,
    /// A plan that would remove more torrents than this removes none.
    pub max_deletions: usize,
    /// Torrents added more recently get no health verdict; `None` = off.
    pub ignore_younger_than: Option<Duration>,
    /// A CLI pass stops acting after this.
    pub deadline: Duration,
    /// Mark torrents with `sweeparr-*` tags.
    pub tag_actions: bool,
    /// Timeout of one HTTP request to a qBittorrent instance or an Arr.
    pub http_timeout: Duration,
}

/// `[qbit.NAME]`
#[derive(Debug, Clone)]
pub struct QbitConfig {
    /// Instance name (the table key).
    pub name: String,
    /// Base URL of the WebUI, without trailing slash.
    pub url: String,
    /// WebUI user.
    pub username: String,
    /// WebUI password source as configured.
    pub password_source: SecretSource,
    /// Resolved password (empty until resolved for `ssm`).
    pub password: Secret,
    /// Skip this instance.
    pub disabled: bool,
    /// Prefix rewrites of content paths sent to Arrs, longest prefix first.
    pub path_map: Vec<(String, String)>,
    /// Accept an invalid TLS certificate (self-signed seedboxes). Off by default.
    pub tls_insecure: bool,
}

/// `import_mode` of an Arr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Let the Arr choose.
    Auto,
    /// Move files.
    Move,
    /// Copy (or hardlink) files.
    Copy,
}

impl ImportMode {
    /// Value sent in the command body.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Auto => "auto",
            ImportMode::Move => "move",
            ImportMode::Copy => "copy",
        }
    }
}

/// `[arr.NAME]`
#[derive(Debug, Clone)]
pub struct ArrConfig {
    /// Name (the table key).
    pub name: String,
    /// radarr | sonarr | lidarr
    pub kind: ArrKind,
    /// Base URL, including any URL base, without trailing slash.
    pub url: String,
    /// API key source as configured.
    pub api_key_source: SecretSource,
    /// Resolved API key.
    pub api_key: Secret,
    /// qBittorrent category of its downloads.
    pub category: String,
    /// Import mode of the scan command.
    pub import_mode: ImportMode,
    /// Health rules (global `[health]` overridden by `[arr.NAME.health]`).
    pub health: Health,
    /// Seeding rules (global `[seeding]` overridden by `[arr.NAME.seeding]`).
    pub seeding: Seeding,
    /// Accept an invalid TLS certificate. Off by default.
    pub tls_insecure: bool,
}

/// Health thresholds; `None` = off.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// stalledDL / metaDL with no new bytes for this long -> failed.
    pub stalled_after: Option<Duration>,
    /// eta above this -> failed.
    pub max_eta: Option<Duration>,
    /// availability < 1 for this long -> failed.
    pub unavailable_after: Option<Duration>,
    /// A tracker saying unregistered -> failed.
    pub remove_unregistered: bool,
    /// File extensions (lower-case, with dot) that fail a torrent at once.
    pub blocked_extensions: Vec<String>,
    /// Import blocked / failed in the Arr for this long -> failed.
    pub failed_import_after: Option<Duration>,
    /// Let the Arr search for a replacement.
    pub research: bool,
}

/// `any`: ratio OR time reached; `all`: both reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMode {
    /// Either goal.
    Any,
    /// Both goals.
    All,
}

/// A seeding goal.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedGoal {
    /// Ratio to reach; `None` = off.
    pub ratio: Option<f64>,
    /// Seeding time to reach; `None` = off.
    pub time: Option<Duration>,
    /// How ratio and time combine.
    pub mode: SeedMode,
    /// Delete files with the torrent.
    pub delete_files: bool,
    /// Never remove before this seeding time.
    pub min_time: Duration,
}

/// A `[[seeding.tracker]]` rule: a goal for torrents of one tracker host (suffix match).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerRule {
    /// Host suffix, lower-case.
    pub host: String,
    /// Goal for that host.
    pub goal: SeedGoal,
}

/// Seeding rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeding {
    /// Default goal.
    pub goal: SeedGoal,
    /// Per-tracker goals, first match wins.
    pub trackers: Vec<TrackerRule>,
}
