//! Secrets: where they come from, and a wrapper that never prints them.

use std::fmt;
use std::path::PathBuf;

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

/// A resolved secret value. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it (an HTTP header or form field).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

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
