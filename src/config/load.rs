//! Finding the config and loading it: parse, validate, environment overrides, secrets.

use std::fs;
use std::path::{Path, PathBuf};

use super::env::EnvOverrides;
use super::error::ConfigError;
use super::error::Ctx;
use super::parse::parse;
use super::resolve::resolve_secrets;
use super::types::Config;
use super::validate::build;

/// Origin named in messages for a config given inline in `SWEEPARR_CONFIG_TOML`.
pub const INLINE_ORIGIN: &str = "<inline SWEEPARR_CONFIG_TOML>";
/// Env variable naming the config file.
pub const CONFIG_PATH_VAR: &str = "SWEEPARR_CONFIG";
/// Env variable holding the whole config inline.
pub const CONFIG_TOML_VAR: &str = "SWEEPARR_CONFIG_TOML";
/// The file looked for in the current directory when nothing else names a config.
pub const DEFAULT_FILE: &str = "sweeparr.toml";

/// Where the config came from.
#[derive(Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file.
    File(PathBuf),
    /// The text of `SWEEPARR_CONFIG_TOML`.
    Inline(String),
}

impl ConfigSource {
    /// The origin named in messages: the file path or `<inline SWEEPARR_CONFIG_TOML>`.
    pub fn origin(&self) -> String {
        match self {
            ConfigSource::File(path) => path.display().to_string(),
            ConfigSource::Inline(_) => INLINE_ORIGIN.to_owned(),
        }
    }
}

impl std::fmt::Debug for ConfigSource {
    // The inline text may hold literal secrets: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(path) => f.debug_tuple("File").field(path).finish(),
            ConfigSource::Inline(text) => write!(f, "Inline(<{} bytes>)", text.len()),
        }
    }
}

/// Resolves per lookup order: explicit `--config` path, env `SWEEPARR_CONFIG` (a path), env
/// `SWEEPARR_CONFIG_TOML` (inline text), `./sweeparr.toml`. Error if none exists.
pub fn locate(explicit: Option<&Path>) -> Result<ConfigSource, ConfigError> {
    locate_with(explicit, &|var| std::env::var(var).ok(), Path::new("."))
}

fn locate_with(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
) -> Result<ConfigSource, ConfigError> {
    let existing = |path: &Path, hint: &str| {
        if path.exists() {
            Ok(ConfigSource::File(path.to_path_buf()))
        } else {
            Err(ConfigError::NotFound {
                origin: path.display().to_string(),
                hint: hint.to_owned(),
            })
        }
    };
    if let Some(path) = explicit {
        return existing(path, "given with --config");
    }
    let set = |var| env(var).filter(|v: &String| !v.trim().is_empty());
    if let Some(path) = set(CONFIG_PATH_VAR) {
        return existing(Path::new(&path), "named by SWEEPARR_CONFIG");
    }
    if let Some(text) = set(CONFIG_TOML_VAR) {
        return Ok(ConfigSource::Inline(text));
    }
    existing(
        &cwd.join(DEFAULT_FILE),
        "no --config, SWEEPARR_CONFIG or SWEEPARR_CONFIG_TOML given; \
         `sweeparr config example` prints one to start from",
    )
}

/// Parses, validates, applies env overrides and resolves `env`/`file` secrets (`ssm`
/// secrets stay unresolved: value empty, source kept). No network.
pub fn load(source: &ConfigSource) -> Result<Config, ConfigError> {
    let env = |var: &str| std::env::var(var).ok();
    match source {
        ConfigSource::File(path) => {
            let origin = source.origin();
            let text = fs::read_to_string(path).map_err(|source| ConfigError::Io {
                origin: origin.clone(),
                source,
            })?;
            load_str(&text, &origin, &config_dir(path), &env)
        }
        ConfigSource::Inline(text) => load_str(text, INLINE_ORIGIN, &current_dir(), &env),
    }
}

/// Same as [`load`] from a string: `origin` is named in messages, relative paths are
/// resolved against `base_dir`, variables (secrets and overrides) are looked up with `env`.
pub fn load_str(
    text: &str,
    origin: &str,
    base_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let raw = parse(text, origin)?;
    let mut config = build(raw, &Ctx { origin, base_dir })?;
    EnvOverrides::read(env)?.apply(&mut config, &current_dir());
    resolve_secrets(&mut config, env)?;
    Ok(config)
}

fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_default()
}

/// The absolute folder of a config file.
fn config_dir(path: &Path) -> PathBuf {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretSource;

    use crate::config::test_support::QBIT;

    #[test]
    fn lookup_order_is_flag_then_path_var_then_inline_var_then_local_file() {
        let dir = tempfile::tempdir().unwrap();
        let (flag, named, local) = (
            dir.path().join("flag.toml"),
            dir.path().join("named.toml"),
            dir.path().join(DEFAULT_FILE),
        );
        for file in [&flag, &named, &local] {
            fs::write(file, "").unwrap();
        }
        let named_str = named.display().to_string();
        let all = |var: &str| match var {
            CONFIG_PATH_VAR => Some(named_str.clone()),
            CONFIG_TOML_VAR => Some("[run]\n".to_owned()),
            _ => None,
        };
        let inline_only = |var: &str| (var == CONFIG_TOML_VAR).then(|| "[run]\n".to_owned());
        let none = |_: &str| None;

        let got = locate_with(Some(&flag), &all, dir.path()).unwrap();
        assert_eq!(got, ConfigSource::File(flag.clone()));
        let got = locate_with(None, &all, dir.path()).unwrap();
        assert_eq!(got, ConfigSource::File(named.clone()));
        let got = locate_with(None, &inline_only, dir.path()).unwrap();
        assert_eq!(got, ConfigSource::Inline("[run]\n".to_owned()));
        let got = locate_with(None, &none, dir.path()).unwrap();
        assert_eq!(got, ConfigSource::File(local.clone()));

        fs::remove_file(&local).unwrap();
        let err = locate_with(None, &none, dir.path()).unwrap_err();
        assert!(matches!(err, ConfigError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("sweeparr.toml"), "{err}");
    }

    #[test]
    fn a_named_config_that_does_not_exist_is_not_found_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(DEFAULT_FILE), "").unwrap();
        let missing = dir.path().join("missing.toml");
        let err = locate_with(Some(&missing), &|_| None, dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("missing.toml") && err.to_string().contains("--config"),
            "{err}"
        );
        let missing_str = missing.display().to_string();
        let env = |var: &str| (var == CONFIG_PATH_VAR).then(|| missing_str.clone());
        let err = locate_with(None, &env, dir.path()).unwrap_err();
        assert!(err.to_string().contains("SWEEPARR_CONFIG"), "{err}");
    }

    #[test]
    fn loading_a_file_resolves_paths_against_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweeparr.toml");
        fs::write(dir.path().join("qbit.pw"), "s3cret\n").unwrap();
        fs::write(
            &path,
            format!("{QBIT}password = {{ file = \"qbit.pw\" }}\n[state]\npath = \"st\"\n"),
        )
        .unwrap();
        let config = load(&ConfigSource::File(path.clone())).unwrap();
        assert_eq!(config.source, path.display().to_string());
        assert_eq!(config.state.path, dir.path().join("st"));
        assert_eq!(config.qbit["main"].password.expose(), "s3cret");
        assert_eq!(
            config.qbit["main"].password_source,
            SecretSource::File(dir.path().join("qbit.pw"))
        );
    }

    #[test]
    fn an_unreadable_config_file_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(&ConfigSource::File(dir.path().to_path_buf())).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }), "{err}");
        assert!(
            err.to_string().contains(&dir.path().display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn inline_config_takes_the_current_folder_for_relative_paths() {
        let config = load(&ConfigSource::Inline(
            "[state]\npath = \"inline-state\"\n".into(),
        ))
        .unwrap();
        assert_eq!(config.source, INLINE_ORIGIN);
        assert_eq!(
            config.state.path,
            std::env::current_dir().unwrap().join("inline-state")
        );
    }
}
