//! [`ConfigError`]: every way loading the config can fail, each naming where; [`Ctx`], where
//! the text being checked came from.

use std::path::{Path, PathBuf};

/// Why the configuration could not be loaded.
///
/// The `Display` of every variant names the origin (the file path, or
/// `<inline SWEEPARR_CONFIG_TOML>`), the dotted key path (or environment variable) and
/// what was expected. It never contains a secret value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No config was found where the lookup order says to look.
    #[error("{origin}: config file not found ({hint})")]
    NotFound {
        /// The path looked at.
        origin: String,
        /// How it was chosen and what to do.
        hint: String,
    },
    /// The config file exists but cannot be read.
    #[error("{origin}: cannot read the config file: {source}")]
    Io {
        /// The file path.
        origin: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, or a value has the wrong type or an unknown key.
    #[error("{origin}: {key}: {message}")]
    Parse {
        /// File path or `<inline SWEEPARR_CONFIG_TOML>`.
        origin: String,
        /// Dotted key path, e.g. `arr.movies.kind`.
        key: String,
        /// What was expected, with the line and column.
        message: String,
    },
    /// A value parsed but does not make sense (bad URL, duplicate category, ...).
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// File path or `<inline SWEEPARR_CONFIG_TOML>`.
        origin: String,
        /// Dotted key path, e.g. `qbit.main.url`.
        key: String,
        /// What was expected.
        message: String,
    },
    /// A `{ env = "NAME" }` secret names a variable that is not set.
    #[error("{origin}: {key}: environment variable {var} is not set (the secret is read from it)")]
    SecretEnvUnset {
        /// File path or `<inline SWEEPARR_CONFIG_TOML>`.
        origin: String,
        /// Dotted key path of the secret, e.g. `qbit.main.password`.
        key: String,
        /// The variable name.
        var: String,
    },
    /// A `{ file = "..." }` secret cannot be read.
    #[error("{origin}: {key}: cannot read secret file {}: {reason}", path.display())]
    SecretFile {
        /// File path or `<inline SWEEPARR_CONFIG_TOML>`.
        origin: String,
        /// Dotted key path of the secret, e.g. `qbit.seedbox.password`.
        key: String,
        /// The file, resolved against the config folder.
        path: PathBuf,
        /// Why (the I/O error).
        reason: String,
    },
    /// A `SWEEPARR_*` environment override has a bad value.
    #[error("environment variable {var} (overrides {key}): {message}")]
    EnvOverride {
        /// The variable, e.g. `SWEEPARR_DRY_RUN`.
        var: String,
        /// The key it overrides, e.g. `run.dry_run`.
        key: String,
        /// What was expected.
        message: String,
    },
}

impl ConfigError {
    /// The dotted key path (or variable) the error is about, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::NotFound { .. } | ConfigError::Io { .. } => None,
            ConfigError::Parse { key, .. }
            | ConfigError::Invalid { key, .. }
            | ConfigError::SecretEnvUnset { key, .. }
            | ConfigError::SecretFile { key, .. } => Some(key),
            ConfigError::EnvOverride { var, .. } => Some(var),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Where the text came from, for messages and relative paths.
pub(crate) struct Ctx<'a> {
    /// File path or `<inline SWEEPARR_CONFIG_TOML>`.
    pub origin: &'a str,
    /// Folder relative paths are resolved against.
    pub base_dir: &'a Path,
}

impl Ctx<'_> {
    pub(crate) fn invalid(
        &self,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin.to_owned(),
            key: key.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn every_error_names_origin_and_key() {
        let err = ConfigError::SecretEnvUnset {
            origin: "/etc/sweeparr.toml".into(),
            key: "qbit.main.password".into(),
            var: "QBIT_PASSWORD".into(),
        };
        let text = err.to_string();
        for part in ["/etc/sweeparr.toml", "qbit.main.password", "QBIT_PASSWORD"] {
            assert!(text.contains(part), "{text}");
        }
        assert_eq!(err.key(), Some("qbit.main.password"));
    }
}
