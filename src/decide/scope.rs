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

impl Scope {
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
