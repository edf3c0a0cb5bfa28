//! Secrets: where they come from, and a wrapper that never prints them.

use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::types::Config;

/// Where a secret is read from, as written in the config.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Written inline in the config.
    Literal(String),
    /// `{ env = "NAME" }`
    Env(String),
    /// `{ file = "/run/secrets/x" }` (a trailing newline is ignored).
    File(PathBuf),
    /// `{ ssm = "/sweeparr/name" }`, read with decryption in the cloud.
    Ssm(String),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Literal(_) => f.write_str("Literal(<redacted>)"),
            SecretSource::Env(n) => write!(f, "Env({n})"),
            SecretSource::File(p) => write!(f, "File({})", p.display()),
            SecretSource::Ssm(n) => write!(f, "Ssm({n})"),
        }
    }
}

/// Where a secret of the config goes: one of the keys that hold a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSlot {
    /// `qbit.NAME.api_key`
    QbitApiKey(String),
    /// `qbit.NAME.password`
    QbitPassword(String),
    /// `arr.NAME.api_key`
    ArrApiKey(String),
    /// `notify[I].url`
    NotifyUrl(usize),
}

impl SecretSlot {
    /// Every secret `config` needs, in file order: per enabled instance its API key when one
    /// is configured, else its password; per Arr its API key; per notification target its URL.
    pub fn all(config: &Config) -> Vec<SecretSlot> {
        let qbit = config.qbit.values().filter(|q| !q.disabled).map(|q| {
            if q.api_key_source.is_some() {
                SecretSlot::QbitApiKey(q.name.clone())
            } else {
                SecretSlot::QbitPassword(q.name.clone())
            }
        });
        let arr = config
            .arr
            .values()
            .map(|a| SecretSlot::ArrApiKey(a.name.clone()));
        let notify = (0..config.notify.len()).map(SecretSlot::NotifyUrl);
        qbit.chain(arr).chain(notify).collect()
    }

    /// The dotted config key, for messages.
    pub fn key(&self) -> String {
        match self {
            SecretSlot::QbitApiKey(name) => format!("qbit.{name}.api_key"),
            SecretSlot::QbitPassword(name) => format!("qbit.{name}.password"),
            SecretSlot::ArrApiKey(name) => format!("arr.{name}.api_key"),
            SecretSlot::NotifyUrl(i) => format!("notify[{i}].url"),
        }
    }

    /// Where its value is read from, as configured.
    pub fn source<'a>(&self, config: &'a Config) -> Option<&'a SecretSource> {
        match self {
            SecretSlot::QbitApiKey(name) => config.qbit.get(name)?.api_key_source.as_ref(),
            SecretSlot::QbitPassword(name) => Some(&config.qbit.get(name)?.password_source),
            SecretSlot::ArrApiKey(name) => Some(&config.arr.get(name)?.api_key_source),
            SecretSlot::NotifyUrl(i) => Some(&config.notify.get(*i)?.url_source),
        }
    }

    /// Puts `secret` where it belongs in `config`.
    pub fn fill(&self, config: &mut Config, secret: Secret) {
        let slot = match self {
            SecretSlot::QbitApiKey(name) => config.qbit.get_mut(name).map(|q| &mut q.api_key),
            SecretSlot::QbitPassword(name) => config.qbit.get_mut(name).map(|q| &mut q.password),
            SecretSlot::ArrApiKey(name) => config.arr.get_mut(name).map(|a| &mut a.api_key),
            SecretSlot::NotifyUrl(i) => config.notify.get_mut(*i).map(|n| &mut n.url),
        };
        if let Some(slot) = slot {
            *slot = secret;
        }
    }
}

/// A resolved secret value. `Debug` and `Display` print `<redacted>`; the memory is wiped
/// when it is dropped (`secrecy`).
#[derive(Clone, Default)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The value, for the one place that sends it (an HTTP header or form field).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_of_a_config_has_one_slot_that_names_and_fills_it() {
        let text = "[qbit.a]\nurl = \"http://127.0.0.1:1\"\npassword = { ssm = \"/p\" }\n\
                    [qbit.b]\nurl = \"http://127.0.0.1:2\"\napi_key = \"k\"\n\
                    [qbit.off]\nurl = \"http://127.0.0.1:3\"\ndisabled = true\n\
                    [arr.movies]\nkind = \"radarr\"\nurl = \"http://127.0.0.1:4\"\n\
                    api_key = \"x\"\ncategory = \"radarr\"\n\
                    [[notify]]\nkind = \"ntfy\"\nurl = \"https://ntfy.sh/t\"\n";
        let mut config =
            crate::config::load_str(text, "<test>", std::path::Path::new("."), &|_| None)
                .expect("valid config");
        let slots = SecretSlot::all(&config);
        let keys: Vec<String> = slots.iter().map(SecretSlot::key).collect();
        assert_eq!(
            keys,
            [
                "qbit.a.password",
                "qbit.b.api_key",
                "arr.movies.api_key",
                "notify[0].url"
            ]
        );
        assert_eq!(
            slots[0].source(&config),
            Some(&SecretSource::Ssm("/p".into()))
        );
        for (i, slot) in slots.iter().enumerate() {
            slot.fill(&mut config, Secret::new(format!("v{i}")));
        }
        assert_eq!(config.qbit["a"].password.expose(), "v0");
        assert_eq!(config.qbit["b"].api_key.expose(), "v1");
        assert_eq!(config.arr["movies"].api_key.expose(), "v2");
        assert_eq!(config.notify[0].url.expose(), "v3");
    }

    #[test]
    fn a_secret_prints_redacted_and_compares_by_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(s, Secret::new("hunter2"));
        assert_ne!(s, Secret::new("other"));
        assert!(Secret::default().is_empty() && !s.is_empty());
    }
}
