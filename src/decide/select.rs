//! Which per-torrent details the scan must fetch: only those a verdict needs.
//!
//! The torrent list of every instance costs one request; trackers, files and Arr history
//! cost one request per torrent, so they are asked only for the few torrents whose verdict
//! depends on them, and files at most once per torrent (remembered in state).

use super::Managed;
use super::arr_index::ArrIndex;
use super::scope::Scope;
use crate::config::{Config, PrivatePolicy};
use crate::model::{Epoch, HashKey, Snapshot, Status, TrackedState};
use crate::state::State;

/// Seconds between two history look-ups of one torrent.
pub const HISTORY_RECHECK_SECS: i64 = 3600;

/// Most tracker lists read from one instance in one pass on builds without tracker flags
/// (before 5.2): a first pass over a large library spreads its reads over several passes.
pub const TRACKER_READS_PER_PASS: usize = 500;

/// Per-torrent requests the scan should make before deciding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailRequests {
    /// (instance, hash): `torrents/trackers`.
    pub trackers: Vec<(String, String)>,
    /// (instance, hash): `torrents/files`.
    pub files: Vec<(String, String)>,
    /// (arr, upper-case download id): `history?downloadId=`.
    pub history: Vec<(String, String)>,
    /// (instance, hash): `torrents/properties`, for the private flag (user rules, 4.x).
    pub private: Vec<(String, String)>,
    /// (arr, upper-case download id): `history?downloadId=&eventType=1`, the grab to mark
    /// failed of a torrent moved into `failed_category`.
    pub grabs: Vec<(String, String)>,
}

impl DetailRequests {
    /// Total number of requests.
    pub fn len(&self) -> usize {
        self.trackers.len()
            + self.files.len()
            + self.history.len()
            + self.private.len()
            + self.grabs.len()
    }

    /// True when nothing is needed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether the tracker list of `t` must be read this pass to tell if a tracker says it is
/// unregistered, and if so how overdue the read is (seconds; `i64::MAX` when never read).
///
/// qBittorrent's `tracker` field says nothing about the health of the trackers (4.x/5.0 keep
/// the last one that ever worked, 5.1+ show the first one), so only the list tells. Torrents
/// that do not announce (stopped, queued) or have no tracker need no read. On 5.2+ the
/// torrent list flags tracker errors: a flagged torrent is read at once when the flag is new
/// (its last read showed no failing tracker), else every `every`; an unflagged one is not
/// read. Builds without the flags read each torrent's list every `every` (each torrent a
/// little earlier or later, from its hash, so that reads spread over passes).
pub fn trackers_due(
    t: &crate::model::Torrent,
    prev: Option<&crate::state::TorrentRecord>,
    every: std::time::Duration,
    now: Epoch,
) -> Option<i64> {
    let announcing = !matches!(
        t.status,
        Status::PausedDl | Status::PausedUp | Status::QueuedDl | Status::QueuedUp
    );
    if t.trackers_count == 0 || !announcing || t.tracker_error == Some(false) {
        return None;
    }
    let Some(at) = prev.and_then(|r| r.trackers_checked_at) else {
        return Some(i64::MAX);
    };
    let every = i64::try_from(every.as_secs()).unwrap_or(i64::MAX);
    let wait = match t.tracker_error {
        Some(true) if !prev.is_some_and(|r| r.trackers_failing) => 0,
        Some(_) => every,
        None => spread(every, &t.hash),
    };
    let overdue = now.saturating_sub(at).saturating_sub(wait);
    (overdue >= 0).then_some(overdue)
}

/// `every` shortened by up to a quarter, by the first byte of `hash`.
fn spread(every: i64, hash: &str) -> i64 {
    let byte = hash
        .get(..2)
        .and_then(|h| u8::from_str_radix(h, 16).ok())
        .unwrap_or(0);
    every - every / 4 * i64::from(byte) / 255
}

/// Looks at the torrent lists and queues already in `snapshot` and says which details to fetch.
pub fn details_needed(
    snapshot: &Snapshot,
    state: &State,
    config: &Config,
    scope: &Scope,
    now: Epoch,
) -> DetailRequests {
    let mut out = DetailRequests::default();
    let arrs = ArrIndex::reachable(snapshot);
    for inst in snapshot
        .instances
        .iter()
        .filter(|i| i.reachable && scope.has_instance(&i.name))
    {
        let records = state.torrents_on(&inst.name);
        // (how overdue, hash) of the torrents whose tracker list is to be read.
        let mut tracker_reads: Vec<(i64, &str)> = vec![];
        for t in inst.torrents.iter().filter(|t| scope.has_hash(&t.hash)) {
            let Some(m) = Managed::find(config, snapshot, t) else {
                // Moved into failed_category: the grab to mark failed, when the Arr that
                // owned it no longer holds it in its queue.
                if config.run.failed_category.as_ref() == Some(&t.category)
                    && !t.has_tag(&config.run.protect_tag)
                {
                    let key = HashKey::new(&t.hash);
                    if let Some(owner) = records
                        .and_then(|r| r.find_key(&key))
                        .and_then(|(_, r)| r.owner.as_deref())
                        && let Some(index) = ArrIndex::named(&arrs, owner)
                        && index.queued(&key).is_none()
                    {
                        out.grabs.push((owner.to_string(), t.download_id()));
                    }
                }
                continue;
            };
            if t.has_tag(&config.run.protect_tag) {
                continue;
            }
            let Some(arr) = m.snapshot else { continue };
            let key = HashKey::new(&t.hash);
            let prev = records.and_then(|r| r.find_key(&key)).map(|(_, r)| r);
            let queued = ArrIndex::of(&arrs, arr).and_then(|i| i.queued(&key));
            let imported = prev.is_some_and(|r| r.imported_at.is_some())
                || queued.is_some_and(|q| q.tracked_state == TrackedState::Imported);
            let health = &m.config.health;
            let due = trackers_due(t, prev, health.tracker_recheck, now);
            let upkeep = super::upkeep::entry_for(config, t, prev)
                .is_some_and(|entry| super::upkeep::needs_list(entry, prev, due.is_some()));
            if (health.remove_unregistered && due.is_some()) || upkeep {
                tracker_reads.push((due.unwrap_or(i64::MAX), t.hash.as_str()));
            }
            // 4.x says whether a torrent is private only in its properties: read once (it
            // never changes) for the torrents a fail could still reach.
            if health.private == PrivatePolicy::Keep
                && t.private.is_none()
                && prev.is_none_or(|r| r.private.is_none() && r.failed_kept_at.is_none())
                && !imported
                && t.status != Status::MetaDl
                && t.size > 0
            {
                out.private.push((inst.name.clone(), t.hash.clone()));
            }
            let files_checked = prev.is_some_and(|r| r.files_checked);
            if !files_checked
                && !imported
                && (!health.blocked_extensions.is_empty() || super::files::filters_on(health))
                && t.status != Status::MetaDl
                && t.size > 0
            {
                out.files.push((inst.name.clone(), t.hash.clone()));
            }
            let asked_recently = prev
                .and_then(|r| r.history_checked_at)
                .is_some_and(|at| now - at < HISTORY_RECHECK_SECS);
            if t.is_complete() && !imported && queued.is_none() && !asked_recently {
                out.history.push((arr.name.clone(), t.download_id()));
            }
        }
        // The most overdue first (never read counts as most overdue), at most a batch.
        tracker_reads.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        tracker_reads.truncate(TRACKER_READS_PER_PASS);
        out.trackers.extend(
            tracker_reads
                .into_iter()
                .map(|(_, hash)| (inst.name.clone(), hash.to_string())),
        );
    }
    super::rules::details(snapshot, config, scope, &mut out);
    out
}
