//! Helpers shared by the config unit tests of several files.

use std::path::Path;

use crate::config::{Config, ConfigError, load_str};

/// One instance with only its URL.
pub const QBIT: &str = "[qbit.main]\nurl = \"http://127.0.0.1:8080\"\n";

/// Loads `text` as if it were `/cfg/sweeparr.toml`, relative paths resolved against `dir`.
pub fn load_in(
    dir: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    load_str(text, "/cfg/sweeparr.toml", dir, env)
}
