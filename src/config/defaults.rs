//! The defaults (README, "Configuration reference"): what a key that is not written means.

use std::path::Path;
use std::time::Duration;

use super::types::{
    Backend, Health, NotifyEvent, PrivatePolicy, RunConfig, SearchConfig, SeedGoal, SeedMode,
    Seeding, StateConfig,
};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `[state] path` when not written, relative to the config file's folder.
pub const STATE_PATH: &str = "sweeparr-state";
/// `[state] table` when not written.
pub const STATE_TABLE: &str = "sweeparr";
/// `[qbit.NAME] username` when not written.
pub const QBIT_USERNAME: &str = "admin";
/// `[health] blocked_extensions` when not written.
pub const BLOCKED_EXTENSIONS: [&str; 8] = [
    ".exe", ".scr", ".lnk", ".bat", ".cmd", ".msi", ".vbs", ".iso",
];

impl StateConfig {
    /// The default `[state]`: the file backend in `sweeparr-state` beside the config.
    pub fn default_in(config_dir: &Path) -> StateConfig {
        StateConfig {
            backend: Backend::File,
            path: config_dir.join(STATE_PATH),
            table: STATE_TABLE.to_owned(),
            endpoint_url: None,
        }
    }
}

impl Default for RunConfig {
    /// `dry_run = false`, `protect_tag = "sweeparr-keep"`, `max_deletions = 25`,
    /// `ignore_younger_than = "10m"`, `deadline = "10m"`, `tag_actions = true`,
    /// `http_timeout = "30s"`, `lease_margin = "60s"`.
    fn default() -> Self {
        RunConfig {
            dry_run: false,
            protect_tag: "sweeparr-keep".to_owned(),
            max_deletions: 25,
            ignore_younger_than: Some(Duration::from_secs(10 * MINUTE)),
            deadline: Duration::from_secs(10 * MINUTE),
            tag_actions: true,
            http_timeout: Duration::from_secs(30),
            // A crashed holder's lease expires this soon after the pass deadline.
            lease_margin: Duration::from_secs(60),
            failed_category: None,
            recheck_category: None,
        }
    }
}

impl Default for Health {
    /// `stalled_after = "30m"`, `max_eta = "7d"`, `unavailable_after = "1h"`,
    /// `remove_unregistered = true`, `tracker_recheck = "1h"`, the usual executable/ISO extensions blocked,
    /// `failed_import_after = "1h"`, `research = true`.
    fn default() -> Self {
        Health {
            stalled_after: Some(Duration::from_secs(30 * MINUTE)),
            max_eta: Some(Duration::from_secs(7 * DAY)),
            unavailable_after: Some(Duration::from_secs(HOUR)),
            remove_unregistered: true,
            tracker_recheck: Duration::from_secs(HOUR),
            blocked_extensions: BLOCKED_EXTENSIONS.iter().map(|e| (*e).to_owned()).collect(),
            exclude_files: Default::default(),
            keep_only: Vec::new(),
            failed_import_after: Some(Duration::from_secs(HOUR)),
            failed_import_ignore: Vec::new(),
            research: true,
            min_speed: None,
            slow_after: Duration::from_secs(HOUR),
            private: PrivatePolicy::Keep,
        }
    }
}

impl Default for SeedGoal {
    /// `ratio = 2.0`, `time = "14d"`, `mode = "any"`, `delete_files = true`, `min_time = "0s"`.
    fn default() -> Self {
        SeedGoal {
            ratio: Some(2.0),
            time: Some(Duration::from_secs(14 * DAY)),
            mode: SeedMode::Any,
            delete_files: true,
            min_time: Duration::ZERO,
        }
    }
}

impl Default for Seeding {
    /// The default goal and no tracker rules.
    fn default() -> Self {
        Seeding {
            goal: SeedGoal::default(),
            trackers: Vec::new(),
        }
    }
}

impl Default for SearchConfig {
    /// `missing = false`, `cutoff_unmet = false`, `per_run = 5`, `cooldown = "7d"`,
    /// `max_running = 3`, no `max_per_hour`, `season_after = 3`.
    fn default() -> Self {
        SearchConfig {
            missing: false,
            cutoff_unmet: false,
            per_run: 5,
            cooldown: Duration::from_secs(7 * DAY),
            max_running: 3,
            max_per_hour: None,
            season_after: 3,
        }
    }
}

/// `on` of a `[[notify]]` target when not written.
pub const NOTIFY_ON: [NotifyEvent; 3] = [
    NotifyEvent::Destructive,
    NotifyEvent::Unreachable,
    NotifyEvent::Attention,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_defaults_to_file_backend_beside_the_config() {
        let state = StateConfig::default_in(Path::new("/etc/sweeparr"));
        assert_eq!(state.backend, Backend::File);
        assert_eq!(state.path, Path::new("/etc/sweeparr/sweeparr-state"));
        assert_eq!(state.table, "sweeparr");
        assert_eq!(state.endpoint_url, None);
    }

    #[test]
    fn blocked_extensions_are_lower_case_with_a_dot() {
        for ext in Health::default().blocked_extensions {
            assert!(
                ext.starts_with('.') && ext == ext.to_ascii_lowercase(),
                "{ext}"
            );
        }
    }
}
