//! What a config means, through [`load_str`] as the rest of the crate sees it:
//! `meaning` (defaults, overrides, normalisation) and `errors` (what bad values report).

mod errors;
mod meaning;
mod rules;

use std::path::Path;
use std::time::Duration;

use super::*;

const ORIGIN: &str = "/etc/sweeparr/sweeparr.toml";
const DIR: &str = "/etc/sweeparr";

/// One instance and one Arr, nothing else.
const MINIMAL: &str = r#"
[qbit.main]
url = "http://127.0.0.1:8080/"
password = "pw"

[arr.movies]
kind = "radarr"
url = "http://127.0.0.1:7878"
api_key = "key"
category = "radarr"
"#;

const TV: &str = r#"
[arr.tv]
kind = "sonarr"
url = "http://127.0.0.1:8989"
api_key = "key"
category = "tv"
"#;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn try_load(text: &str) -> Result<Config, ConfigError> {
    load_str(text, ORIGIN, Path::new(DIR), &|_| None)
}

fn load_ok(text: &str) -> Config {
    try_load(text).unwrap_or_else(|e| panic!("{e}"))
}
