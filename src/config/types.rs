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
    /// `[[notify]]` targets, in the order written.
    pub notify: Vec<NotifyConfig>,
    /// `[[rule]]`, in order, their expressions compiled.
    pub rules: Vec<crate::rules::Rule>,
    /// `[orphans]`; `None` when there is no root.
    pub orphans: Option<Orphans>,
    /// `[[tracker]]`, in order (the first whose host matches applies).
    pub trackers: Vec<Upkeep>,
}

/// A `[[tracker]]` entry: what the torrents of one tracker host should have.
#[derive(Debug, Clone, PartialEq)]
pub struct Upkeep {
    /// Host suffix, lower-case.
    pub host: String,
    /// Tracker URLs added when missing.
    pub add: Vec<String>,
    /// Tracker URLs matching one of these globs are removed.
    pub remove: FileGlobs,
    /// A tracker failing at every read for this long, while another one works, is removed;
    /// `None` = never.
    pub remove_dead: Option<Duration>,
    /// Tags the torrents carry.
    pub tags: Vec<String>,
    /// Upload limit, bytes/s: `None` not set by sweeparr, `Some(None)` unlimited.
    pub up_limit: Option<Option<u64>>,
    /// Download limit, as `up_limit`.
    pub down_limit: Option<Option<u64>>,
}

impl Upkeep {
    /// True when keeping it needs the torrent's tracker list.
    pub fn edits_trackers(&self) -> bool {
        !self.add.is_empty() || !self.remove.is_empty() || self.remove_dead.is_some()
    }

    /// A fingerprint of `add` and `remove`: a record that holds it had them in place.
    pub fn fingerprint(&self) -> u32 {
        let mut h: u32 = 0x811c_9dc5;
        for part in self.add.iter().chain(&self.remove.patterns) {
            for b in part.bytes().chain([0]) {
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
            h = (h ^ 0xff).wrapping_mul(0x0100_0193);
        }
        h
    }
}

/// `[orphans]`: files under the roots that no torrent uses, moved to a recycle folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphans {
    /// Folders searched, as sweeparr sees them (torrent paths are compared after
    /// `path_map`).
    pub roots: Vec<PathBuf>,
    /// Where orphans are moved, one dated folder per day (never searched).
    pub recycle: PathBuf,
    /// A file modified more recently is never an orphan.
    pub min_age: Duration,
    /// Dated recycle folders older than this are deleted; `None` = never.
    pub purge_after: Option<Duration>,
    /// At most this many files are moved in one pass.
    pub max_per_pass: usize,
}

impl Config {
    /// The Arr whose `category` this is, if any (each Arr has its own).
    pub fn arr_for_category(&self, category: &str) -> Option<&ArrConfig> {
        self.arr.values().find(|a| a.category == category)
    }
}

/// Which state backend (`backend` of `[state]`: `file`, `dynamodb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// How long the run lease outlives the pass deadline: a crashed run's lease (DynamoDB)
    /// blocks the next runs for at most `deadline` + this.
    pub lease_margin: Duration,
    /// A torrent moved into this category by hand is failed through the Arr that owned it;
    /// `None` = off.
    pub failed_category: Option<String>,
    /// A torrent moved into this category by hand is rechecked and moved back to its Arr's
    /// category; `None` = off.
    pub recheck_category: Option<String>,
}

impl RunConfig {
    /// True when a category trigger is on: records then remember each torrent's Arr.
    pub fn triggers_on(&self) -> bool {
        self.failed_category.is_some() || self.recheck_category.is_some()
    }
}

/// `[qbit.NAME]`
#[derive(Debug, Clone)]
pub struct QbitConfig {
    /// Instance name (the table key).
    pub name: String,
    /// Base URL of the WebUI.
    pub url: super::BaseUrl,
    /// WebUI user.
    pub username: String,
    /// WebUI password source as configured.
    pub password_source: SecretSource,
    /// Resolved password (empty until resolved for `ssm`).
    pub password: Secret,
    /// qBittorrent 5.2+ API key source, when configured: sent as `Authorization: Bearer`,
    /// with no login and no cookie (username and password are then unused).
    pub api_key_source: Option<SecretSource>,
    /// Resolved API key (empty when none, or until resolved for `ssm`).
    pub api_key: Secret,
    /// Skip this instance.
    pub disabled: bool,
    /// Prefix rewrites of content paths sent to Arrs, longest prefix first.
    pub path_map: Vec<(String, String)>,
    /// Accept an invalid TLS certificate (self-signed seedboxes). Off by default.
    pub tls_insecure: bool,
    /// The free-space guard (`[space]` overridden by `[qbit.NAME.space]`); `None` = off.
    pub space: Option<Space>,
}

/// The free-space guard of one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Downloads are stopped while the projected free space is below this many bytes.
    pub min_free: u64,
    /// They start again once it stays above `min_free` plus this many bytes.
    pub resume_margin: u64,
}

impl QbitConfig {
    /// True when the instance is reached with an API key rather than a login.
    pub fn uses_api_key(&self) -> bool {
        self.api_key_source.is_some()
    }
}

/// `import_mode` of an Arr: `auto`, `move`, `copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// Base URL, including any URL base.
    pub url: super::BaseUrl,
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
    /// `[arr.NAME.search]`; `None` when the section is absent (no scheduled searches).
    pub search: Option<SearchConfig>,
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
    /// How often the tracker list of a managed torrent is read again on qBittorrent builds
    /// whose torrent list does not flag tracker errors (before 5.2).
    pub tracker_recheck: Duration,
    /// File extensions (lower-case, with dot) that fail a torrent at once.
    pub blocked_extensions: Vec<String>,
    /// Files not to download: their priority is set to 0 (`exclude_files`).
    pub exclude_files: FileGlobs,
    /// When not empty, the only file extensions (lower-case, with dot) to download.
    pub keep_only: Vec<String>,
    /// Import blocked / failed in the Arr for this long -> failed.
    pub failed_import_after: Option<Duration>,
    /// Extra Arr status-message fragments (lower-case) that never lead to a fail: like the
    /// built-in ones of [`crate::decide::import::UNFIXABLE`], they make an `attention` action.
    pub failed_import_ignore: Vec<String>,
    /// Let the Arr search for a replacement.
    pub research: bool,
    /// A download whose average speed over an unbroken run of `slow_after` stays below this
    /// (bytes per second) is failed; `None` = off.
    pub min_speed: Option<u64>,
    /// How long a download must have been watched downloading before `min_speed` applies.
    pub slow_after: Duration,
    /// What a failed private torrent becomes.
    pub private: PrivatePolicy,
}

/// Glob patterns matched against a file's path in its torrent, ignoring case; `*` also
/// crosses `/` (so `*sample*` matches a `Sample/` folder).
#[derive(Debug, Clone, Default)]
pub struct FileGlobs {
    /// The patterns as written.
    pub patterns: Vec<String>,
    /// The patterns compiled.
    pub set: globset::GlobSet,
}

impl PartialEq for FileGlobs {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl FileGlobs {
    /// Compiles `patterns`; on error, the index of the bad pattern and why.
    pub fn new(patterns: Vec<String>) -> Result<FileGlobs, (usize, String)> {
        let mut set = globset::GlobSetBuilder::new();
        for (i, p) in patterns.iter().enumerate() {
            let glob = globset::GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| (i, e.kind().to_string()))?;
            set.add(glob);
        }
        let set = set.build().map_err(|e| (0, e.to_string()))?;
        Ok(FileGlobs { patterns, set })
    }

    /// The first pattern `path` matches, if any.
    pub fn first_match(&self, path: &str) -> Option<&str> {
        if self.patterns.is_empty() {
            return None;
        }
        let hit = self.set.matches(path);
        hit.first().map(|&i| self.patterns[i].as_str())
    }

    /// True when there is no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// `private` of `[health]` (`keep`, `remove`): what failing a private torrent does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivatePolicy {
    /// The Arr blocklists and searches (`removeFromClient=false`); the torrent stays in
    /// qBittorrent with its data, tagged `sweeparr-failed`, and no health rule fails or
    /// deletes it again. A private torrent the Arr does not hold is never deleted by a
    /// health rule.
    Keep,
    /// As any other torrent.
    Remove,
}

/// `mode` of a seeding goal. `any`: ratio OR time reached; `all`: both reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// `[arr.NAME.search]`: scheduled searches of the Arr's wanted lists.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    /// Search monitored items that have no file (`wanted/missing`).
    pub missing: bool,
    /// Search monitored items whose file is below the quality cutoff (`wanted/cutoff`).
    pub cutoff_unmet: bool,
    /// Items one pass may search (all sent in one command).
    pub per_run: usize,
    /// An item is not searched again before this has passed (zero = no cooldown).
    pub cooldown: Duration,
    /// No new search while the Arr already runs (or queues) this many search commands.
    pub max_running: usize,
    /// No new search once sweeparr sent this many search commands to the Arr in the last
    /// hour; `None` = no budget.
    pub max_per_hour: Option<usize>,
    /// Sonarr: this many wanted episodes of one season are searched as the season (one
    /// `SeasonSearch`); 0 = never.
    pub season_after: usize,
}

impl SearchConfig {
    /// True when at least one wanted list is searched.
    pub fn enabled(&self) -> bool {
        self.missing || self.cutoff_unmet
    }
}

/// Which service a `[[notify]]` target is (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyKind {
    /// A generic JSON webhook: the summary plus the events, POSTed as JSON.
    Webhook,
    /// A Discord channel webhook (`{"content": ...}`).
    Discord,
    /// An ntfy topic URL (text body, `Title` / `Priority` / `Tags` headers).
    Ntfy,
    /// An Apprise API notify URL (`.../notify/KEY`, JSON `title` / `body` / `type` / `tag`).
    Apprise,
}

impl NotifyKind {
    /// Name as written in config.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::Webhook => "webhook",
            NotifyKind::Discord => "discord",
            NotifyKind::Ntfy => "ntfy",
            NotifyKind::Apprise => "apprise",
        }
    }
}

/// What a `[[notify]]` target is told about (`on = [...]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyEvent {
    /// Torrents removed or failed (and a deletion circuit that opened).
    Destructive,
    /// An instance or Arr became unreachable, or came back.
    Unreachable,
    /// An action failed.
    Failed,
    /// A download needs a person: an import problem another release would not fix.
    Attention,
}

impl NotifyEvent {
    /// Name as written in config and sent in webhook payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::Destructive => "destructive",
            NotifyEvent::Unreachable => "unreachable",
            NotifyEvent::Failed => "failed",
            NotifyEvent::Attention => "attention",
        }
    }
}

/// One `[[notify]]` target.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Kind of service.
    pub kind: NotifyKind,
    /// URL source as configured (the URL may carry a token: it is a secret).
    pub url_source: SecretSource,
    /// Resolved URL (empty until resolved for `ssm`).
    pub url: Secret,
    /// Events this target is told about.
    pub on: Vec<NotifyEvent>,
    /// ntfy `Priority` header (`min`, `low`, `default`, `high`, `urgent` or 1-5).
    pub priority: Option<String>,
    /// ntfy `Tags` header / Apprise `tag`.
    pub tags: Vec<String>,
}

impl NotifyConfig {
    /// Name for logs: `notify[INDEX] (KIND)`; never the URL.
    pub fn label(&self, index: usize) -> String {
        format!("notify[{index}] ({})", self.kind.as_str())
    }
}
