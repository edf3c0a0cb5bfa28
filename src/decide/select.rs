//! Which per-torrent details the scan must fetch: only those a verdict needs.
//!
//! The torrent list of every instance costs one request; trackers, files and Arr history
//! cost one request per torrent, so they are asked only for the few torrents whose verdict
//! depends on them, and files at most once per torrent (remembered in state).

use super::Managed;
use super::scope::Scope;
use crate::config::Config;
use crate::model::{Snapshot, Status};
use crate::state::Epoch;
use crate::state::Records;

/// Seconds between two history look-ups of one torrent.
pub const HISTORY_RECHECK_SECS: i64 = 3600;

/// Seconds between two tracker-list reads of one torrent with no working tracker.
pub const TRACKERS_RECHECK_SECS: i64 = 3600;

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
}

impl DetailRequests {
    /// Total number of requests.
    pub fn len(&self) -> usize {
        self.trackers.len() + self.files.len() + self.history.len() + self.private.len()
    }

    /// True when nothing is needed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Looks at the torrent lists and queues already in `snapshot` and says which details to fetch.
pub fn details_needed(
    snapshot: &Snapshot,
    state: &Records,
    config: &Config,
    scope: &Scope,
    now: Epoch,
) -> DetailRequests {
    let mut out = DetailRequests::default();
    let index = super::index::TorrentIndex::new(state);
    for inst in snapshot
        .instances
        .iter()
        .filter(|i| i.reachable && scope.has_instance(&i.name))
    {
        for t in inst.torrents.iter().filter(|t| scope.has_hash(&t.hash)) {
            let Some(m) = Managed::find(config, snapshot, t) else {
                continue;
            };
            if t.has_tag(&config.run.protect_tag) {
                continue;
            }
            let Some(arr) = m.snapshot else { continue };
            let prev = index.get(&inst.name, &t.hash);
            let queued = arr.queue.get(&t.download_id());
            let imported = prev.is_some_and(|r| r.imported_at.is_some())
                || queued.is_some_and(|q| q.tracked_state == "imported");
            let health = &m.config.health;
            // No working tracker: maybe unregistered. Paused and queued torrents do not
            // announce, so an empty tracker says nothing about them.
            let announcing = !matches!(
                t.status,
                Status::PausedDl | Status::PausedUp | Status::QueuedDl | Status::QueuedUp
            );
            let trackers_read_recently = prev
                .and_then(|r| r.trackers_checked_at)
                .is_some_and(|at| now - at < TRACKERS_RECHECK_SECS);
            if health.remove_unregistered
                && t.tracker.is_empty()
                && t.trackers_count > 0
                && announcing
                && !trackers_read_recently
            {
                out.trackers.push((inst.name.clone(), t.hash.clone()));
            }
            let files_checked = prev.is_some_and(|r| r.files_checked);
            if !files_checked
                && !imported
                && !health.blocked_extensions.is_empty()
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
    }
    super::rules::details(snapshot, config, scope, &mut out);
    out
}
