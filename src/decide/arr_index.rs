//! An Arr's queue and history by download id, looked up by torrent hash without building the
//! upper-case id (a `String`) for every torrent.
//!
//! The snapshot keeps both by upper-case `downloadId`. An info-hash (40 hex digits, any case)
//! becomes the id of the same digits in upper case: those ids are indexed here by their 20
//! bytes, and any other hash is looked up in the snapshot by its upper-case form, so a look-up
//! finds exactly what `queue.get(&hash.to_ascii_uppercase())` would.

use rustc_hash::FxHashMap;

use crate::model::{ArrSnapshot, HashKey, HexCase, QueueDownload, Snapshot, info_hash_bytes};

/// One Arr's queue and history, indexed for look-ups by torrent hash.
pub(crate) struct ArrIndex<'a> {
    /// The snapshot indexed.
    pub arr: &'a ArrSnapshot,
    /// The queue downloads whose id is 40 upper-case hex digits.
    queue: FxHashMap<[u8; 20], &'a QueueDownload>,
    /// The history answers whose id is 40 upper-case hex digits.
    history: FxHashMap<[u8; 20], bool>,
}

impl<'a> ArrIndex<'a> {
    /// The queues and histories of the reachable Arrs of `snapshot`, each indexed once.
    pub fn reachable(snapshot: &'a Snapshot) -> Vec<ArrIndex<'a>> {
        snapshot
            .arrs
            .iter()
            .filter(|a| a.reachable)
            .map(ArrIndex::new)
            .collect()
    }

    /// The index of `arr` among `indexes` (none when it was unreachable).
    pub fn of<'i>(indexes: &'i [ArrIndex<'a>], arr: &ArrSnapshot) -> Option<&'i ArrIndex<'a>> {
        indexes.iter().find(|i| std::ptr::eq(i.arr, arr))
    }

    /// The index of the Arr named `name` among `indexes` (none when it was unreachable).
    pub fn named<'i>(indexes: &'i [ArrIndex<'a>], name: &str) -> Option<&'i ArrIndex<'a>> {
        indexes.iter().find(|i| i.arr.name == name)
    }

    /// Indexes `arr` (once per pass: a look-up is then one hash of 20 bytes).
    pub fn new(arr: &'a ArrSnapshot) -> Self {
        // Ids with lower-case letters match no upper-cased hash: they are left out.
        let queue = arr
            .queue
            .iter()
            .filter_map(|(id, q)| Some((info_hash_bytes(id, HexCase::Upper)?, q)))
            .collect();
        let history = arr
            .history
            .iter()
            .filter_map(|(id, &imported)| Some((info_hash_bytes(id, HexCase::Upper)?, imported)))
            .collect();
        ArrIndex {
            arr,
            queue,
            history,
        }
    }

    /// The queue download of the torrent of hash `key`, if the Arr holds it.
    pub fn queued(&self, key: &HashKey<'_>) -> Option<&'a QueueDownload> {
        match key
            .packed
            .or_else(|| info_hash_bytes(key.hash, HexCase::Either))
        {
            Some(packed) => self.queue.get(&packed).copied(),
            None => self.arr.queue.get(&key.hash.to_ascii_uppercase()),
        }
    }

    /// The history answer (holds an import event) about the torrent of hash `key`, if asked.
    pub fn history(&self, key: &HashKey<'_>) -> Option<bool> {
        if self.arr.history.is_empty() {
            return None;
        }
        match key
            .packed
            .or_else(|| info_hash_bytes(key.hash, HexCase::Either))
        {
            Some(packed) => self.history.get(&packed).copied(),
            None => self
                .arr
                .history
                .get(&key.hash.to_ascii_uppercase())
                .copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(ids: &[&str]) -> ArrSnapshot {
        ArrSnapshot {
            name: "movies".into(),
            kind: crate::model::ArrKind::Radarr,
            reachable: true,
            error: None,
            queue: ids
                .iter()
                .map(|id| {
                    let q = QueueDownload {
                        download_id: id.to_string(),
                        ..Default::default()
                    };
                    (id.to_string(), q)
                })
                .collect(),
            history: ids.iter().map(|id| (id.to_string(), true)).collect(),
            grabs: Default::default(),
            search: None,
            health: Default::default(),
        }
    }

    #[test]
    fn finds_what_the_upper_case_id_finds() {
        let upper = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
        let mixed = "ABCDEF0123456789abcdef0123456789ABCDEF02";
        let ids = [
            upper,
            mixed,
            "SHORT",
            "ABCDEF0123456789ABCDEF0123456789ABCDEF0G",
        ];
        let snapshot = arr(&ids);
        let index = ArrIndex::new(&snapshot);
        let hashes = [
            upper.to_ascii_lowercase(),
            upper.to_string(),
            "abcdef0123456789abcdef0123456789abcdef01".replace('a', "A"),
            mixed.to_ascii_lowercase(),
            mixed.to_string(),
            "short".to_string(),
            "abcdef0123456789abcdef0123456789abcdef0g".to_string(),
            "abcdef0123456789abcdef0123456789abcdef03".to_string(),
            String::new(),
        ];
        for hash in &hashes {
            let id = hash.to_ascii_uppercase();
            assert_eq!(
                index
                    .queued(&HashKey::new(hash))
                    .map(|q| q.download_id.as_str()),
                snapshot.queue.get(&id).map(|q| q.download_id.as_str()),
                "{hash}"
            );
            assert_eq!(
                index.history(&HashKey::new(hash)),
                snapshot.history.get(&id).copied(),
                "{hash}"
            );
        }
    }
}
