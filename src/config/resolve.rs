//! Secrets: reading `{ env = }` and `{ file = }` values (qBittorrent passwords, Arr API keys,
//! notification URLs); `{ ssm = }` is left for the cloud.

use std::fs;

use super::error::ConfigError;
use super::secret::{Secret, SecretSource};
use super::types::Config;

/// Reads `env` and `file` secrets of every enabled instance, every Arr and every
/// `[[notify]]` URL.
pub(crate) fn resolve_secrets(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let origin = config.source.clone();
    for q in config.qbit.values_mut().filter(|q| !q.disabled) {
        if let Some(source) = &q.api_key_source {
            let key = format!("qbit.{}.api_key", q.name);
            q.api_key = resolve(source, &key, &origin, env)?;
            if q.api_key.expose().trim().is_empty() && !matches!(source, SecretSource::Ssm(_)) {
                return Err(ConfigError::Invalid {
                    origin,
                    key,
                    message: format!(
                        "{source:?} gave an empty API key; expected qBittorrent's WebUI API key"
                    ),
                });
            }
            continue;
        }
        let key = format!("qbit.{}.password", q.name);
        q.password = resolve(&q.password_source, &key, &origin, env)?;
    }
    for a in config.arr.values_mut() {
        let key = format!("arr.{}.api_key", a.name);
        a.api_key = resolve(&a.api_key_source, &key, &origin, env)?;
        if a.api_key.is_empty() && !matches!(a.api_key_source, SecretSource::Ssm(_)) {
            return Err(ConfigError::Invalid {
                origin,
                key,
                message: format!(
                    "{:?} gave an empty API key; expected the Arr's API key",
                    a.api_key_source
                ),
            });
        }
    }
    for (i, n) in config.notify.iter_mut().enumerate() {
        let key = format!("notify[{i}].url");
        n.url = resolve(&n.url_source, &key, &origin, env)?;
        if !matches!(n.url_source, SecretSource::Ssm(_))
            && let Err(message) = super::notify::check_url(n.url.expose())
        {
            return Err(ConfigError::Invalid {
                origin,
                key,
                message,
            });
        }
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
