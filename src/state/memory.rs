//! [`State`]: the records of a store as the core reads them, by what each is about.
//!
//! A store holds records by their storage keys (`torrent#<instance>#<hash>`, ...). The
//! decision, the notifications and the clients look records up by instance and hash, Arr and
//! media id, target or instance name, never by a storage key: the key format stays in
//! [`super::record`]. The torrent records are grouped by instance once, when the state is
//! built, so a lookup compares one short hash (looking up formatted keys made `decide()`
//! slower per torrent the larger the library, BENCHMARKS.md).

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::model::{HashKey, HexCase, info_hash_bytes};

use super::Records;
use super::record::{InstanceRecord, OutageRecord, Record, SearchRecord, TorrentRecord};

/// The records a pass starts from.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct State {
    /// Torrent records by instance, then by hash.
    torrents: HashMap<String, InstanceTorrents>,
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
        self.torrents.get(instance)?.get(hash)
    }

    /// The torrent records of `instance`, to look up many hashes of one instance.
    pub fn torrents_on(&self, instance: &str) -> Option<&InstanceTorrents> {
        self.torrents.get(instance)
    }

    /// The torrent records of `instance`, in no particular order.
    pub fn torrents_of(&self, instance: &str) -> impl Iterator<Item = &TorrentRecord> + '_ {
        self.torrents
            .get(instance)
            .into_iter()
            .flat_map(InstanceTorrents::iter)
    }

    /// Every search record of `arr`.
    pub fn searches_of(&self, arr: &str) -> impl Iterator<Item = &SearchRecord> + '_ {
        self.searches.get(arr).into_iter().flat_map(|m| m.values())
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
            Record::Torrent(t) => match self.torrents.get_mut(t.instance.as_str()) {
                Some(on) => on.insert(t),
                None => {
                    let mut on = InstanceTorrents::default();
                    let instance = t.instance.clone();
                    on.insert(t);
                    self.torrents.insert(instance, on);
                    false
                }
            },
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

/// A torrent's hash as the state keys it: 40 lower-case hex digits (an info-hash as stored)
/// as their 20 bytes, which hash and compare in a few words instead of a 40-byte string.
fn packed(hash: &str) -> Option<[u8; 20]> {
    info_hash_bytes(hash, HexCase::Lower)
}

/// The torrent records of one instance, by hash.
#[derive(Debug, Default, Clone)]
pub struct InstanceTorrents {
    /// The records, in the order they were added (a replaced one keeps its place). Boxed as
    /// the store's records come: moving each into the vector would copy it, and walking the
    /// positions without reading the records (which have been seen) stays cheap.
    #[allow(clippy::vec_box)]
    records: Vec<Box<TorrentRecord>>,
    /// Positions of the records whose hash is 40 lower-case hex digits, by those digits
    /// packed.
    packed: FxHashMap<[u8; 20], usize>,
    /// Positions of the records of any other hash, by the hash as stored.
    other: HashMap<String, usize>,
}

impl InstanceTorrents {
    /// The record of torrent `hash`.
    pub fn get(&self, hash: &str) -> Option<&TorrentRecord> {
        self.find(hash).map(|(_, r)| r)
    }

    /// The record of torrent `hash` and its position in [`InstanceTorrents::iter`], for a
    /// caller that marks which records it has seen.
    pub fn find(&self, hash: &str) -> Option<(usize, &TorrentRecord)> {
        self.find_key(&HashKey::new(hash))
    }

    /// [`InstanceTorrents::find`] with the hash already decoded.
    pub fn find_key(&self, key: &HashKey<'_>) -> Option<(usize, &TorrentRecord)> {
        let at = match &key.packed {
            Some(packed) => self.packed.get(packed),
            None => self.other.get(key.hash),
        }
        .copied()?;
        Some((at, &self.records[at]))
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records, by position (in the order they were added).
    pub fn iter(&self) -> impl Iterator<Item = &TorrentRecord> + '_ {
        self.records.iter().map(|r| &**r)
    }

    /// Adds `record`; true when it replaced one.
    fn insert(&mut self, record: Box<TorrentRecord>) -> bool {
        let next = self.records.len();
        let at = match packed(&record.hash) {
            Some(key) => *self.packed.entry(key).or_insert(next),
            None => match self.other.get(record.hash.as_str()) {
                Some(&at) => at,
                None => {
                    self.other.insert(record.hash.clone(), next);
                    next
                }
            },
        };
        if at == next {
            self.records.push(record);
            false
        } else {
            self.records[at] = record;
            true
        }
    }
}

impl PartialEq for InstanceTorrents {
    /// The same records, whatever the order they were added in.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|r| other.get(&r.hash) == Some(r))
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
                ..Default::default()
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

    #[test]
    fn an_info_hash_is_found_only_by_its_own_string() {
        let lower = "0123456789abcdef0123456789abcdef01234567";
        let upper = lower.to_ascii_uppercase();
        let records = [
            torrent("a", lower, "lower"),
            torrent("a", &upper, "upper"),
            torrent("a", "01", "short"),
        ];
        let state: State = records.iter().cloned().collect();
        let name = |hash: &str| state.torrent("a", hash).map(|r| r.name.clone());
        assert_eq!(name(lower).as_deref(), Some("lower"));
        assert_eq!(name(&upper).as_deref(), Some("upper"));
        assert_eq!(name("01").as_deref(), Some("short"));
        assert_eq!(name("0123456789abcdef0123456789abcdef01234568"), None);
        let on = state.torrents_on("a").expect("records of a");
        assert_eq!(on.len(), 3);
        assert_eq!(on.find(&upper).map(|(at, _)| at), Some(1));
        // A replaced record keeps its place; the order records came in does not matter.
        let mut replaced = state.clone();
        replaced.insert(torrent("a", lower, "again"));
        let on = replaced.torrents_on("a").expect("records of a");
        assert_eq!(
            on.find(lower).map(|(at, r)| (at, r.name.as_str())),
            Some((0, "again"))
        );
        let reversed: State = records.into_iter().rev().collect();
        assert_eq!(reversed, state);
        assert_ne!(replaced, state);
    }
}
