//! The commented sample config printed by `sweeparr config example`.

/// A commented, valid sample config covering every key.
pub fn example() -> &'static str {
    include_str!("example.toml")
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::config::{Health, ImportMode, RunConfig, SeedGoal, SeedMode, load_str};

    /// Loads the example with its env secrets set and its file secret pointed at a real file.
    fn load_example() -> crate::config::Config {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("seedbox");
        std::fs::write(&secret, "seedbox-pw\n").unwrap();
        let text = example().replace("/run/secrets/seedbox", &secret.display().to_string());
        let env = |var: &str| match var {
            "QBIT_MAIN_PASSWORD" | "QBIT_BOX52_API_KEY" | "RADARR_API_KEY" | "SONARR_API_KEY" => {
                Some(format!("{var}-value"))
            }
            "DISCORD_WEBHOOK_URL" => Some("https://discord.com/api/webhooks/1/token".into()),
            _ => None,
        };
        load_str(&text, "example.toml", Path::new("/etc/sweeparr"), &env)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn example_parses_and_validates() {
        let config = load_example();
        assert_eq!(config.qbit.len(), 3);
        assert!(config.qbit["box52"].uses_api_key());
        assert_eq!(
            config.qbit["box52"].api_key.expose(),
            "QBIT_BOX52_API_KEY-value"
        );
        assert!(!config.qbit["main"].uses_api_key());
        assert_eq!(config.arr.len(), 2);
        assert_eq!(config.qbit["seedbox"].password.expose(), "seedbox-pw");
        assert_eq!(
            config.qbit["main"].password.expose(),
            "QBIT_MAIN_PASSWORD-value"
        );
        assert_eq!(
            config.qbit["seedbox"].path_map,
            [("/home/me/downloads".to_owned(), "/mnt/seedbox".to_owned())]
        );
        assert_eq!(
            config.arr["movies"].api_key.expose(),
            "RADARR_API_KEY-value"
        );
    }

    #[test]
    fn example_values_are_the_defaults_where_it_says_so() {
        let config = load_example();
        let run = &config.run;
        let default = RunConfig::default();
        assert_eq!(
            (
                run.dry_run,
                &run.protect_tag,
                run.max_deletions,
                run.ignore_younger_than,
                run.deadline,
                run.tag_actions,
                run.http_timeout,
                run.lease_margin
            ),
            (
                default.dry_run,
                &default.protect_tag,
                default.max_deletions,
                default.ignore_younger_than,
                default.deadline,
                default.tag_actions,
                default.http_timeout,
                default.lease_margin
            )
        );
        let movies = &config.arr["movies"];
        assert_eq!(movies.health, Health::default());
        assert_eq!(movies.seeding.goal, SeedGoal::default());
        assert_eq!(config.state.path, Path::new("/etc/sweeparr/sweeparr-state"));
    }

    #[test]
    fn example_shows_searches_and_notifications() {
        let config = load_example();
        let search = config.arr["movies"].search.clone().expect("search section");
        assert!(search.missing && !search.cutoff_unmet);
        let default = crate::config::SearchConfig::default();
        assert_eq!(
            (search.per_run, search.cooldown, search.max_running),
            (default.per_run, default.cooldown, default.max_running)
        );
        assert!(config.arr["tv"].search.is_none());
        assert_eq!(config.notify.len(), 2);
        assert_eq!(
            config.notify[0].url.expose(),
            "https://discord.com/api/webhooks/1/token"
        );
        assert_eq!(config.notify[1].priority.as_deref(), Some("high"));
    }

    #[test]
    fn example_shows_per_arr_overrides_at_work() {
        let config = load_example();
        let tv = &config.arr["tv"];
        assert_eq!(tv.import_mode, ImportMode::Move);
        assert_eq!(tv.url, "http://127.0.0.1:8989/sonarr");
        assert_eq!(tv.health.stalled_after, Some(Duration::from_secs(2 * 3600)));
        assert_eq!(tv.health.max_eta, Health::default().max_eta);
        assert!(tv.health.blocked_extensions.contains(&".zipx".to_owned()));
        assert_eq!(
            tv.health.exclude_files.first_match("Show/Sample/x.mkv"),
            Some("*sample*")
        );
        assert!(tv.health.keep_only.contains(&".srt".to_owned()));
        assert!(config.arr["movies"].health.exclude_files.is_empty());
        let upkeep = &config.trackers[0];
        assert_eq!(upkeep.host, "tracker.example.org");
        assert_eq!(upkeep.up_limit, Some(Some(2 << 20)));
        assert_eq!(upkeep.down_limit, Some(None));
        assert_eq!(
            upkeep.remove.first_match("udp://old.example.org/announce"),
            Some("*://old.example.org/*")
        );
        // [space] is off; the seedbox turns it on for itself.
        assert_eq!(config.qbit["main"].space, None);
        assert_eq!(
            config.qbit["seedbox"].space,
            Some(crate::config::Space {
                min_free: 100 << 30,
                resume_margin: 5 << 30
            })
        );
        assert!(!tv.seeding.goal.delete_files);
        assert_eq!(tv.seeding.trackers.len(), 1);
        let rule = &tv.seeding.trackers[0];
        assert_eq!(
            (rule.host.as_str(), rule.goal.ratio, rule.goal.mode),
            ("tv.example.net", None, SeedMode::Any)
        );
        assert!(!rule.goal.delete_files, "inherited from [arr.tv.seeding]");
    }

    #[test]
    fn example_writes_every_key() {
        let keys = [
            "backend",
            "path",
            "table",
            "endpoint_url",
            "dry_run",
            "protect_tag",
            "max_deletions",
            "ignore_younger_than",
            "deadline",
            "tag_actions",
            "http_timeout",
            "lease_margin",
            "failed_category",
            "recheck_category",
            "url",
            "username",
            "password",
            "disabled",
            "tls_insecure",
            "path_map",
            "kind",
            "api_key",
            "category",
            "import_mode",
            "stalled_after",
            "max_eta",
            "unavailable_after",
            "remove_unregistered",
            "tracker_recheck",
            "blocked_extensions",
            "exclude_files",
            "keep_only",
            "min_free",
            "resume_margin",
            "add",
            "remove",
            "remove_dead",
            "up_limit",
            "down_limit",
            "roots",
            "recycle",
            "min_age",
            "purge_after",
            "max_per_pass",
            "failed_import_after",
            "failed_import_ignore",
            "research",
            "private",
            "min_speed",
            "slow_after",
            "ratio",
            "time",
            "mode",
            "delete_files",
            "min_time",
            "host",
            "missing",
            "cutoff_unmet",
            "per_run",
            "cooldown",
            "max_running",
            "max_per_hour",
            "season_after",
            "on",
            "priority",
            "tags",
        ];
        for key in keys {
            let written = example().lines().any(|line| {
                let line = line.trim_start_matches(['#', ' ']);
                line.starts_with(&format!("{key} ")) || line.starts_with(&format!("{key}="))
            });
            assert!(written, "{key} is not shown in example.toml");
        }
        for table in [
            "[state]",
            "[run]",
            "[qbit.",
            "[arr.",
            "[health]",
            "[seeding]",
            "[[seeding.tracker]]",
            ".health]",
            ".seeding]",
            "seeding.tracker]]",
            ".search]",
            "[[notify]]",
            "[space]",
            ".space]",
            "[orphans]",
            "[[tracker]]",
        ] {
            assert!(example().contains(table), "{table}");
        }
    }
}
