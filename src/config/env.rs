//! Environment overrides, read with `envy` under the `SWEEPARR_` prefix.
//!
//! `SWEEPARR_DRY_RUN`, `SWEEPARR_STATE_BACKEND`, `SWEEPARR_STATE_PATH` and
//! `SWEEPARR_STATE_TABLE` override the file; `SWEEPARR_LOG` and `SWEEPARR_LOG_FORMAT` are
//! for the binary's logging. A variable set to the empty string counts as unset.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use super::error::ConfigError;
use super::raw::RawBackend;
use super::types::{Backend, Config};
use super::values::check_table;

/// Every variable read here, with the key (or setting) it overrides.
pub const VARS: [(&str, &str); 6] = [
    ("SWEEPARR_DRY_RUN", "run.dry_run"),
    ("SWEEPARR_STATE_BACKEND", "state.backend"),
    ("SWEEPARR_STATE_PATH", "state.path"),
    ("SWEEPARR_STATE_TABLE", "state.table"),
    ("SWEEPARR_LOG", "the log level filter"),
    ("SWEEPARR_LOG_FORMAT", "the log format"),
];

/// `SWEEPARR_LOG_FORMAT`: `text` (a terminal) or `json` (the cloud).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The `SWEEPARR_*` overrides that are set; `None` = not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvOverrides {
    /// `SWEEPARR_DRY_RUN`: true/false (also 1/0, yes/no, on/off).
    pub dry_run: Option<bool>,
    /// `SWEEPARR_STATE_BACKEND`: file | dynamodb.
    pub state_backend: Option<Backend>,
    /// `SWEEPARR_STATE_PATH`, relative to the current directory.
    pub state_path: Option<PathBuf>,
    /// `SWEEPARR_STATE_TABLE`
    pub state_table: Option<String>,
    /// `SWEEPARR_LOG`: a tracing level filter such as `info` or `sweeparr=debug`.
    pub log: Option<String>,
    /// `SWEEPARR_LOG_FORMAT`
    pub log_format: Option<LogFormat>,
}

/// What envy fills.
#[derive(Deserialize)]
struct Vars {
    #[serde(default, deserialize_with = "lenient_bool")]
    dry_run: Option<bool>,
    state_backend: Option<RawBackend>,
    state_path: Option<PathBuf>,
    state_table: Option<String>,
    log: Option<String>,
    log_format: Option<LogFormat>,
}

impl EnvOverrides {
    /// Reads the overrides through `env` (a lookup such as `std::env::var`).
    pub fn read(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set: Vec<(String, String)> = VARS
            .iter()
            .filter_map(|(var, _)| env(var).map(|value| ((*var).to_owned(), value)))
            .filter(|(_, value)| !value.trim().is_empty())
            .collect();
        let vars = parse(set.clone()).map_err(|message| blame(&set, message))?;
        if let Some(table) = &vars.state_table {
            check_table(table).map_err(|message| bad("SWEEPARR_STATE_TABLE", message))?;
        }
        Ok(EnvOverrides {
            dry_run: vars.dry_run,
            state_backend: vars.state_backend.map(Into::into),
            state_path: vars.state_path,
            state_table: vars.state_table,
            log: vars.log,
            log_format: vars.log_format,
        })
    }

    /// Reads the overrides from the process environment.
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::read(&|var| std::env::var(var).ok())
    }

    /// Applies the overrides to a loaded config; a relative `state_path` is taken from `cwd`.
    pub fn apply(&self, config: &mut Config, cwd: &Path) {
        if let Some(dry_run) = self.dry_run {
            config.run.dry_run = dry_run;
        }
        if let Some(backend) = self.state_backend {
            config.state.backend = backend;
        }
        if let Some(path) = &self.state_path {
            config.state.path = cwd.join(path);
        }
        if let Some(table) = &self.state_table {
            config.state.table = table.clone();
        }
    }
}

fn parse(set: Vec<(String, String)>) -> Result<Vars, String> {
    envy::prefixed("SWEEPARR_")
        .from_iter(set)
        .map_err(|e| e.to_string())
}

/// envy does not say which variable it choked on: try each one alone to find it.
fn blame(set: &[(String, String)], message: String) -> ConfigError {
    for pair in set {
        if let Err(own) = parse(vec![pair.clone()]) {
            return bad(&pair.0, own);
        }
    }
    bad("SWEEPARR_*", message)
}

fn bad(var: &str, message: String) -> ConfigError {
    let key = VARS
        .iter()
        .find(|(v, _)| *v == var)
        .map_or("the config", |(_, key)| *key);
    ConfigError::EnvOverride {
        var: var.to_owned(),
        key: key.to_owned(),
        message,
    }
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let text = String::deserialize(d)?;
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(Some(true)),
        "false" | "0" | "no" | "off" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(format!(
            "expected true or false (or 1/0, yes/no, on/off), found {text:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<EnvOverrides, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EnvOverrides::read(&move |var| pairs.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone()))
    }

    #[test]
    fn nothing_set_overrides_nothing() {
        assert_eq!(read(&[]).unwrap(), EnvOverrides::default());
    }

    #[test]
    fn every_variable_is_read() {
        let got = read(&[
            ("SWEEPARR_DRY_RUN", "true"),
            ("SWEEPARR_STATE_BACKEND", "dynamodb"),
            ("SWEEPARR_STATE_PATH", "/var/lib/sweeparr"),
            ("SWEEPARR_STATE_TABLE", "sweeparr-test"),
            ("SWEEPARR_LOG", "sweeparr=debug"),
            ("SWEEPARR_LOG_FORMAT", "json"),
            ("SWEEPARR_UNRELATED", "ignored"),
        ])
        .unwrap();
        assert_eq!(
            got,
            EnvOverrides {
                dry_run: Some(true),
                state_backend: Some(Backend::Dynamodb),
                state_path: Some(PathBuf::from("/var/lib/sweeparr")),
                state_table: Some("sweeparr-test".into()),
                log: Some("sweeparr=debug".into()),
                log_format: Some(LogFormat::Json),
            }
        );
    }

    #[test]
    fn dry_run_accepts_common_spellings() {
        for (text, want) in [
            ("1", true),
            ("yes", true),
            ("FALSE", false),
            ("0", false),
            ("off", false),
        ] {
            assert_eq!(
                read(&[("SWEEPARR_DRY_RUN", text)]).unwrap().dry_run,
                Some(want),
                "{text}"
            );
        }
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let got = read(&[("SWEEPARR_DRY_RUN", ""), ("SWEEPARR_STATE_TABLE", " ")]).unwrap();
        assert_eq!(got, EnvOverrides::default());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases = [
            ("SWEEPARR_DRY_RUN", "maybe", "run.dry_run"),
            ("SWEEPARR_STATE_BACKEND", "postgres", "state.backend"),
            ("SWEEPARR_STATE_TABLE", "a b", "state.table"),
            ("SWEEPARR_LOG_FORMAT", "xml", "the log format"),
        ];
        for (var, value, key) in cases {
            // A good variable beside the bad one must not be blamed.
            let err = read(&[("SWEEPARR_LOG", "info"), (var, value)]).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, ConfigError::EnvOverride { .. }), "{text}");
            assert!(text.contains(var) && text.contains(key), "{text}");
        }
    }
}
