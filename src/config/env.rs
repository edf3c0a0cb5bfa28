//! Environment overrides under the `SWEEPARR_` prefix.
//!
//! `SWEEPARR_DRY_RUN`, `SWEEPARR_STATE_BACKEND`, `SWEEPARR_STATE_PATH` and
//! `SWEEPARR_STATE_TABLE` override the file. (`SWEEPARR_LOG` and `SWEEPARR_LOG_FORMAT` are
//! the binary's logging, read there.) A variable set to the empty string counts as unset.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IntoDeserializer;

use super::error::ConfigError;
use super::types::{Backend, Config};
use super::values::check_table;

/// Every variable read here, with the key it overrides.
pub const VARS: [(&str, &str); 4] = [
    ("SWEEPARR_DRY_RUN", "run.dry_run"),
    ("SWEEPARR_STATE_BACKEND", "state.backend"),
    ("SWEEPARR_STATE_PATH", "state.path"),
    ("SWEEPARR_STATE_TABLE", "state.table"),
];

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
}

impl EnvOverrides {
    /// Reads the overrides through `env` (a lookup such as `std::env::var`); a bad value is
    /// an error naming its variable and the key it overrides.
    pub fn read(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |var: &str| env(var).filter(|value| !value.trim().is_empty());
        Ok(EnvOverrides {
            dry_run: set("SWEEPARR_DRY_RUN")
                .map(|v| checked("SWEEPARR_DRY_RUN", lenient_bool(&v)))
                .transpose()?,
            state_backend: set("SWEEPARR_STATE_BACKEND")
                .map(|v| checked("SWEEPARR_STATE_BACKEND", backend_named(&v)))
                .transpose()?,
            state_path: set("SWEEPARR_STATE_PATH").map(PathBuf::from),
            state_table: set("SWEEPARR_STATE_TABLE")
                .map(|v| checked("SWEEPARR_STATE_TABLE", check_table(&v).map(|()| v)))
                .transpose()?,
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

/// `value`, or an error naming `var`.
fn checked<T>(var: &str, value: Result<T, String>) -> Result<T, ConfigError> {
    value.map_err(|message| bad(var, message))
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

/// `file` or `dynamodb`, with the message the config file gives for a bad value.
fn backend_named(value: &str) -> Result<Backend, String> {
    Backend::deserialize(value.into_deserializer())
        .map_err(|e: serde::de::value::Error| e.to_string())
}

fn lenient_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "expected true or false (or 1/0, yes/no, on/off), found {text:?}"
        )),
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
            ("SWEEPARR_LOG_FORMAT", "xml"),
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
        ];
        for (var, value, key) in cases {
            // A good variable beside the bad one must not be blamed.
            let err = read(&[("SWEEPARR_STATE_PATH", "/x"), (var, value)]).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, ConfigError::EnvOverride { .. }), "{text}");
            assert!(text.contains(var) && text.contains(key), "{text}");
        }
    }
}
