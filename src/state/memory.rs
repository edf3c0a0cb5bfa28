//! [`State`]: the records of a store as the core reads them, by what each is about.
//!
//! A store holds records by their storage keys (`torrent#<instance>#<hash>`, ...). The
//! decision, the notifications and the clients look records up by instance and hash, Arr and
//! media id, target or instance name, never by a storage key: the key format stays in
//! [`super::record`]. The torrent records are grouped by instance once, when the state is
//! built, so a lookup compares one short hash (looking up formatted keys made `decide()`
//! slower per torrent the larger the library, BENCHMARKS.md).

use std::collections::HashMap;

use super::Records;
use super::record::{InstanceRecord, OutageRecord, Record, SearchRecord, TorrentRecord};

/// The records a pass starts from.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct State {
    /// Torrent records by instance, then by hash (as stored: lower case).
    torrents: HashMap<String, HashMap<String, Box<TorrentRecord>>>,
    /// Search records by Arr, then by media id.
    searches: HashMap<String, HashMap<i64, SearchRecord>>,
    /// Outage records by target (`qbit.NAME`, `arr.NAME`).
    outages: HashMap<String, OutageRecord>,
    /// Instance records by instance name.
    instances: HashMap<String, InstanceRecord>,
    /// Records of every kind, the lease and the last run included.
    len: usize,
}

impl State {
    /// An empty state (a first pass).
    pub fn new() -> Self {
        State::default()
    }

    /// Number of records, of every kind.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no record is known.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The record of torrent `hash` on `instance`.
    pub fn torrent(&self, instance: &str, hash: &str) -> Option<&TorrentRecord> {
        self.torrents.get(instance)?.get(hash).map(|r| &**r)
    }

    /// The torrent records of `instance`, in no particular order.
    pub fn torrents_of(&self, instance: &str) -> impl Iterator<Item = &TorrentRecord> + '_ {
        self.torrents
            .get(instance)
            .into_iter()
            .flat_map(|records| records.values().map(|r| &**r))
    }

    /// The record of the last search sent to `arr` for `media_id`.
    pub fn search(&self, arr: &str, media_id: i64) -> Option<&SearchRecord> {
        self.searches.get(arr)?.get(&media_id)
    }

    /// The ongoing outage of `target` (`qbit.NAME` or `arr.NAME`).
    pub fn outage(&self, target: &str) -> Option<&OutageRecord> {
        self.outages.get(target)
    }

    /// What is remembered of qBittorrent instance `name`.
    pub fn instance(&self, name: &str) -> Option<&InstanceRecord> {
        self.instances.get(name)
    }

    /// Adds `record`, replacing the one about the same thing.
    pub fn insert(&mut self, record: Record) {
        let replaced = match record {
            Record::Torrent(t) => self
                .torrents
                .entry(t.instance.clone())
                .or_default()
                .insert(t.hash.clone(), t)
                .is_some(),
            Record::Search(s) => self
                .searches
                .entry(s.arr.clone())
                .or_default()
                .insert(s.media_id, s)
                .is_some(),
            Record::Outage(o) => self.outages.insert(o.target.clone(), o).is_some(),
            Record::Instance(i) => self.instances.insert(i.name.clone(), i).is_some(),
            // The lease and the last run are the store's and the commands' business: counted
            // (`state.loaded`), not kept.
            Record::Lease(_) | Record::Run(_) => false,
        };
        if !replaced {
            self.len += 1;
        }
    }
}

impl FromIterator<Record> for State {
    fn from_iter<I: IntoIterator<Item = Record>>(records: I) -> Self {
        let mut state = State::new();
        for record in records {
            state.insert(record);
        }
        state
    }
}

impl From<Records> for State {
    /// The state of the records a store loaded (taken, not copied).
    fn from(records: Records) -> Self {
        records.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LeaseRecord, RunRecord};

    fn torrent(instance: &str, hash: &str, name: &str) -> Record {
        Record::Torrent(Box::new(TorrentRecord {
            instance: instance.into(),
            hash: hash.into(),
            name: name.into(),
            ..Default::default()
        }))
    }

    #[test]
    fn finds_each_record_by_what_it_is_about() {
        let state: State = [
            torrent("a", "01", "a1"),
            torrent("b", "01", "b1"),
            torrent("a", "02", "a2"),
            Record::Search(SearchRecord {
                arr: "movies".into(),
                media_id: 7,
                searched_at: 3,
                reason: Some(crate::model::WantedReason::Missing),
            }),
            Record::Outage(OutageRecord {
                target: "arr.movies".into(),
                since: 4,
                error: String::new(),
                announced: true,
            }),
            Record::Instance(InstanceRecord {
                name: "a".into(),
                version: "v5.1.0".into(),
                api_version: "2.11.4".into(),
                read_at: 5,
            }),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            state.torrent("a", "01").map(|r| r.name.as_str()),
            Some("a1")
        );
        assert_eq!(
            state.torrent("b", "01").map(|r| r.name.as_str()),
            Some("b1")
        );
        assert_eq!(
            state.torrent("a", "02").map(|r| r.name.as_str()),
            Some("a2")
        );
        assert!(state.torrent("b", "02").is_none());
        assert!(state.torrent("c", "01").is_none());
        let mut of_a: Vec<&str> = state.torrents_of("a").map(|r| r.hash.as_str()).collect();
        of_a.sort_unstable();
        assert_eq!(of_a, ["01", "02"]);
        assert_eq!(state.torrents_of("c").count(), 0);
        assert_eq!(state.search("movies", 7).map(|s| s.searched_at), Some(3));
        assert!(state.search("movies", 8).is_none());
        assert!(state.search("shows", 7).is_none());
        assert_eq!(state.outage("arr.movies").map(|o| o.since), Some(4));
        assert!(state.outage("qbit.a").is_none());
        assert_eq!(state.instance("a").map(|i| i.read_at), Some(5));
        assert!(state.instance("b").is_none());
        assert_eq!(state.len(), 6);
    }

    #[test]
    fn counts_every_record_loaded_and_a_replaced_one_once() {
        let records: Records = [
            torrent("a", "01", "old"),
            Record::Lease(LeaseRecord {
                scope: "a".into(),
                holder: "r".into(),
                until: 1,
            }),
            Record::Run(RunRecord {
                run_id: "r".into(),
                status: crate::model::RunStatus::Ok,
                started_at: String::new(),
                actions: 0,
            }),
        ]
        .into_iter()
        .map(|r| (r.key(), r))
        .collect();
        let mut state = State::from(records);
        assert_eq!(state.len(), 3);
        state.insert(torrent("a", "01", "new"));
        assert_eq!(state.len(), 3);
        assert_eq!(
            state.torrent("a", "01").map(|r| r.name.as_str()),
            Some("new")
        );
        assert!(!state.is_empty());
        assert!(State::new().is_empty());
    }
}
