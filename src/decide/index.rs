//! The torrent records of the state, indexed once per pass by instance and hash.
//!
//! The state is keyed by `torrent#<instance>#<hash>`: looking a torrent up there means
//! formatting its key and comparing long strings that share their first part, per torrent,
//! which made `decide()` slower per torrent the larger the library (BENCHMARKS.md). The index
//! is built once in linear time and borrows everything from the state.

use std::collections::HashMap;

use crate::state::{Record, Records, TorrentRecord};

/// Torrent records by instance, then by lower-case hash.
#[derive(Debug, Default)]
pub struct TorrentIndex<'a> {
    by_instance: HashMap<&'a str, HashMap<&'a str, &'a TorrentRecord>>,
}

impl<'a> TorrentIndex<'a> {
    /// Indexes every torrent record of `state`.
    pub fn new(state: &'a Records) -> Self {
        let mut by_instance: HashMap<&str, HashMap<&str, &TorrentRecord>> = HashMap::new();
        for record in state.values() {
            if let Record::Torrent(t) = record {
                by_instance
                    .entry(t.instance.as_str())
                    .or_default()
                    .insert(t.hash.as_str(), t);
            }
        }
        TorrentIndex { by_instance }
    }

    /// The torrent records of `instance`, in no particular order.
    pub fn of_instance(&self, instance: &str) -> impl Iterator<Item = &'a TorrentRecord> + '_ {
        self.by_instance
            .get(instance)
            .into_iter()
            .flat_map(|records| records.values().copied())
    }

    /// The record of torrent `hash` (lower-case) on `instance`.
    pub fn get(&self, instance: &str, hash: &str) -> Option<&'a TorrentRecord> {
        self.by_instance.get(instance)?.get(hash).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(instance: &str, hash: &str) -> Record {
        Record::Torrent(Box::new(TorrentRecord {
            instance: instance.into(),
            hash: hash.into(),
            ..Default::default()
        }))
    }

    #[test]
    fn finds_a_torrent_by_instance_and_hash_only() {
        let state: Records = [record("a", "01"), record("b", "01"), record("a", "02")]
            .into_iter()
            .map(|r| (r.key(), r))
            .collect();
        let index = TorrentIndex::new(&state);
        assert_eq!(index.get("a", "01").map(|r| r.instance.as_str()), Some("a"));
        assert_eq!(index.get("b", "01").map(|r| r.instance.as_str()), Some("b"));
        assert_eq!(index.get("a", "02").map(|r| r.hash.as_str()), Some("02"));
        assert!(index.get("b", "02").is_none());
        assert!(index.get("c", "01").is_none());
        let mut of_a: Vec<&str> = index.of_instance("a").map(|r| r.hash.as_str()).collect();
        of_a.sort_unstable();
        assert_eq!(of_a, ["01", "02"]);
        assert_eq!(index.of_instance("c").count(), 0);
    }
}
