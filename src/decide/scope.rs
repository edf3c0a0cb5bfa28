//! The scope of a pass: `--hash` and `--instance` filters.

use std::collections::BTreeSet;

/// Which torrents and instances a pass may decide about. Empty sets mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Lower-case hashes (`--hash`, any case on input).
    pub hashes: BTreeSet<String>,
    /// Instance names (`--instance`).
    pub instances: BTreeSet<String>,
}

/// A `--hash` / `--instance` filter (or the event's `hashes` / `instances`) that cannot be
/// used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// An instance name the config does not have.
    #[error("{name}: no [qbit.{name}] in the config (known: {known})")]
    UnknownInstance {
        /// The name given.
        name: String,
        /// The configured names, comma-separated.
        known: String,
    },
    /// A hash that is not hexadecimal.
    #[error("{0:?} is not a hexadecimal info-hash")]
    NotAHash(String),
}

impl Scope {
    /// The scope of `hashes` and `instances` as given by a user (CLI flags or a Lambda
    /// event), checked: every instance must be one of `known`, every hash hexadecimal.
    pub fn parse(
        hashes: &[String],
        instances: &[String],
        known: &[&str],
    ) -> Result<Scope, ScopeError> {
        if let Some(name) = instances.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(ScopeError::UnknownInstance {
                name: name.clone(),
                known: known.join(", "),
            });
        }
        if let Some(hash) = hashes
            .iter()
            .find(|h| h.trim().is_empty() || !h.trim().chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(ScopeError::NotAHash(hash.clone()));
        }
        Ok(Scope::new(hashes, instances.iter().cloned()))
    }

    /// Builds a scope, lower-casing hashes.
    pub fn new<H, I>(hashes: H, instances: I) -> Self
    where
        H: IntoIterator,
        H::Item: AsRef<str>,
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Scope {
            hashes: hashes
                .into_iter()
                .map(|h| h.as_ref().trim().to_ascii_lowercase())
                .collect(),
            instances: instances.into_iter().map(Into::into).collect(),
        }
    }

    /// True when `instance` is in scope.
    pub fn has_instance(&self, instance: &str) -> bool {
        self.instances.is_empty() || self.instances.contains(instance)
    }

    /// True when the torrent `hash` (lower-case) is in scope.
    pub fn has_hash(&self, hash: &str) -> bool {
        self.hashes.is_empty() || self.hashes.contains(hash)
    }

    /// True when the pass is limited to some hashes (a torrent-finished hook).
    pub fn narrowed_to_hashes(&self) -> bool {
        !self.hashes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parse_checks_instances_and_hashes() {
        let known = ["main", "seedbox"];
        let s = Scope::parse(&strings(&[" ABCdef01 "]), &strings(&["main"]), &known).unwrap();
        assert!(s.has_hash("abcdef01") && s.has_instance("main") && !s.has_instance("seedbox"));
        assert_eq!(
            Scope::parse(&[], &strings(&["nas"]), &known)
                .unwrap_err()
                .to_string(),
            "nas: no [qbit.nas] in the config (known: main, seedbox)"
        );
        for bad in ["", "  ", "xyz", "ab cd"] {
            assert_eq!(
                Scope::parse(&strings(&[bad]), &[], &known),
                Err(ScopeError::NotAHash(bad.to_string())),
                "{bad:?}"
            );
        }
        assert_eq!(Scope::parse(&[], &[], &known), Ok(Scope::default()));
    }
}
