//! `[arr.NAME.search]`: from the table as written to a [`SearchConfig`].

use std::time::Duration;

use super::error::ConfigError;
use super::error::Ctx;
use super::raw::RawSearch;
use super::types::SearchConfig;

/// The search settings of `[arr.NAME.search]` (`key` = `arr.NAME.search`); keys not written
/// take their defaults. `cooldown = "off"` means no cooldown.
pub(crate) fn search(raw: &RawSearch, key: &str, ctx: &Ctx) -> Result<SearchConfig, ConfigError> {
    let base = SearchConfig::default();
    let at_least_one = |value: Option<usize>, default: usize, name: &str| match value {
        Some(0) => Err(ctx.invalid(
            format!("{key}.{name}"),
            "expected a number >= 1 (set missing and cutoff_unmet to false to turn searches off)",
        )),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    Ok(SearchConfig {
        missing: raw.missing.unwrap_or(base.missing),
        cutoff_unmet: raw.cutoff_unmet.unwrap_or(base.cutoff_unmet),
        per_run: at_least_one(raw.per_run, base.per_run, "per_run")?,
        cooldown: raw
            .cooldown
            .map_or(base.cooldown, |t| t.0.unwrap_or(Duration::ZERO)),
        max_running: at_least_one(raw.max_running, base.max_running, "max_running")?,
        max_per_hour: raw
            .max_per_hour
            .map(|n| at_least_one(Some(n), n, "max_per_hour"))
            .transpose()?,
        season_after: raw.season_after.unwrap_or(base.season_after),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::test_support::load_in;
    use crate::config::{ConfigError, SearchConfig};

    const ARR: &str = "[arr.movies]\nkind = \"radarr\"\nurl = \"http://127.0.0.1:7878\"\napi_key = \"k\"\ncategory = \"radarr\"\n";

    fn load(extra: &str) -> Result<Option<SearchConfig>, ConfigError> {
        load_in(Path::new("/cfg"), &format!("{ARR}{extra}"), &|_| None)
            .map(|c| c.arr["movies"].search.clone())
    }

    #[test]
    fn absent_section_means_no_searches() {
        assert_eq!(load("").unwrap(), None);
    }

    #[test]
    fn keys_not_written_take_their_defaults() {
        let got = load("[arr.movies.search]\nmissing = true\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            got,
            SearchConfig {
                missing: true,
                ..SearchConfig::default()
            }
        );
        assert_eq!(
            (got.per_run, got.cooldown.as_secs(), got.max_running),
            (5, 7 * 86_400, 3)
        );
        assert!(!got.cutoff_unmet);
        assert!(got.enabled());
    }

    #[test]
    fn every_key_is_read_and_cooldown_may_be_off() {
        let got = load(
            "[arr.movies.search]\nmissing = false\ncutoff_unmet = true\nper_run = 2\ncooldown = \"off\"\nmax_running = 1\nmax_per_hour = 4\nseason_after = 0\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            got,
            SearchConfig {
                missing: false,
                cutoff_unmet: true,
                per_run: 2,
                cooldown: std::time::Duration::ZERO,
                max_running: 1,
                max_per_hour: Some(4),
                season_after: 0,
            }
        );
    }

    #[test]
    fn zero_per_run_or_max_running_and_unknown_keys_are_errors_naming_the_key() {
        for (text, key) in [
            ("per_run = 0", "arr.movies.search.per_run"),
            ("max_running = 0", "arr.movies.search.max_running"),
            ("max_per_hour = 0", "arr.movies.search.max_per_hour"),
            ("cooldown = \"soon\"", "arr.movies.search.cooldown"),
            ("monitored = false", "arr.movies.search"),
        ] {
            let err = load(&format!("[arr.movies.search]\n{text}\n")).unwrap_err();
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }
}
