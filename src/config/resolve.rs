//! Secrets: reading `{ env = }` and `{ file = }` values (qBittorrent passwords, Arr API keys,
//! notification URLs); `{ ssm = }` is left for the cloud.

use std::fs;

use super::error::ConfigError;
use super::secret::{Secret, SecretSlot, SecretSource};
use super::types::Config;

/// Reads `env` and `file` secrets of every enabled instance, every Arr and every
/// `[[notify]]` URL ([`SecretSlot::all`]).
pub(crate) fn resolve_secrets(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let origin = config.source.clone();
    for slot in SecretSlot::all(config) {
        let Some(source) = slot.source(config).cloned() else {
            continue;
        };
        let key = slot.key();
        let value = resolve(&source, &key, &origin, env)?;
        let invalid = |message: String| ConfigError::Invalid {
            origin: origin.clone(),
            key: key.clone(),
            message,
        };
        if !matches!(source, SecretSource::Ssm(_)) {
            match slot {
                SecretSlot::QbitApiKey(_) if value.expose().trim().is_empty() => {
                    return Err(invalid(format!(
                        "{source:?} gave an empty API key; expected qBittorrent's WebUI API key"
                    )));
                }
                SecretSlot::ArrApiKey(_) if value.is_empty() => {
                    return Err(invalid(format!(
                        "{source:?} gave an empty API key; expected the Arr's API key"
                    )));
                }
                SecretSlot::NotifyUrl(_) => {
                    super::notify::check_url(value.expose()).map_err(invalid)?;
                }
                _ => {}
            }
        }
        slot.fill(config, value);
    }
    Ok(())
}

fn resolve(
    source: &SecretSource,
    key: &str,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    match source {
        SecretSource::Literal(value) => Ok(Secret::new(value.clone())),
        SecretSource::Env(var) => {
            env(var)
                .map(Secret::new)
                .ok_or_else(|| ConfigError::SecretEnvUnset {
                    origin: origin.to_owned(),
                    key: key.to_owned(),
                    var: var.clone(),
                })
        }
        SecretSource::File(path) => match fs::read_to_string(path) {
            Ok(mut value) => {
                if value.ends_with("\r\n") {
                    value.truncate(value.len() - 2);
                } else if value.ends_with('\n') {
                    value.truncate(value.len() - 1);
                }
                Ok(Secret::new(value))
            }
            Err(e) => Err(ConfigError::SecretFile {
                origin: origin.to_owned(),
                key: key.to_owned(),
                path: path.clone(),
                reason: e.to_string(),
            }),
        },
        SecretSource::Ssm(_) => Ok(Secret::default()),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use std::path::Path;

    use crate::config::ConfigError;

    use crate::config::test_support::{QBIT, load_in};

    fn env_from(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |var| {
            pairs
                .iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn a_file_secret_loses_exactly_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        for (content, want) in [
            ("pw\n", "pw"),
            ("pw\r\n", "pw"),
            ("pw\n\n", "pw\n"),
            ("pw", "pw"),
            (" pw ", " pw "),
        ] {
            fs::write(dir.path().join("pw"), content).unwrap();
            let text = format!("{QBIT}password = {{ file = \"pw\" }}\n");
            let config = load_in(dir.path(), &text, &|_| None).unwrap();
            assert_eq!(config.qbit["main"].password.expose(), want, "{content:?}");
        }
    }

    #[test]
    fn an_unreadable_secret_file_names_the_key_and_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{QBIT}password = {{ file = \"nope/pw\" }}\n");
        let err = load_in(dir.path(), &text, &|_| None).unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, ConfigError::SecretFile { .. }), "{shown}");
        assert!(
            shown.contains("/cfg/sweeparr.toml") && shown.contains("qbit.main.password"),
            "{shown}"
        );
        assert!(
            shown.contains(&dir.path().join("nope/pw").display().to_string()),
            "{shown}"
        );
    }

    #[test]
    fn env_secrets_are_read_through_the_lookup() {
        let text = format!(
            "{QBIT}password = {{ env = \"QBIT_PW\" }}\n[arr.m]\nkind = \"radarr\"\nurl = \"http://x\"\ncategory = \"m\"\napi_key = {{ env = \"M_KEY\" }}\n"
        );
        let env = env_from(&[("QBIT_PW", "pw"), ("M_KEY", "key")]);
        let config = load_in(Path::new("/cfg"), &text, &env).unwrap();
        assert_eq!(config.qbit["main"].password.expose(), "pw");
        assert_eq!(config.arr["m"].api_key.expose(), "key");
        assert_eq!(
            config.arr["m"].api_key_source,
            SecretSource::Env("M_KEY".into())
        );
    }

    #[test]
    fn an_unset_env_secret_names_the_key_and_the_variable() {
        let text = format!("{QBIT}password = {{ env = \"QBIT_MAIN_PASSWORD\" }}\n");
        let err = load_in(Path::new("/cfg"), &text, &|_| None).unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, ConfigError::SecretEnvUnset { .. }), "{shown}");
        for part in [
            "/cfg/sweeparr.toml",
            "qbit.main.password",
            "QBIT_MAIN_PASSWORD",
        ] {
            assert!(shown.contains(part), "{shown}");
        }
    }

    #[test]
    fn a_disabled_instance_needs_no_secret() {
        let text = format!("{QBIT}disabled = true\npassword = {{ env = \"UNSET\" }}\n");
        let config = load_in(Path::new("/cfg"), &text, &|_| None).unwrap();
        assert!(config.qbit["main"].password.is_empty());
    }

    #[test]
    fn ssm_secrets_stay_unresolved() {
        let text = "[arr.m]\nkind = \"lidarr\"\nurl = \"http://x\"\ncategory = \"m\"\napi_key = { ssm = \"/sweeparr/m\" }\n";
        let config = load_in(Path::new("/cfg"), text, &|_| None).unwrap();
        assert!(config.arr["m"].api_key.is_empty());
        assert_eq!(
            config.arr["m"].api_key_source,
            SecretSource::Ssm("/sweeparr/m".into())
        );
    }

    #[test]
    fn an_api_key_that_resolves_empty_is_rejected() {
        let text = "[arr.m]\nkind = \"radarr\"\nurl = \"http://x\"\ncategory = \"m\"\napi_key = { env = \"K\" }\n";
        let err = load_in(Path::new("/cfg"), text, &env_from(&[("K", "")])).unwrap_err();
        assert_eq!(err.key(), Some("arr.m.api_key"), "{err}");
    }
}
