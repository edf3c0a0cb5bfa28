//! Observations: what this pass saw, folded into a torrent's record (clocks and facts).
//!
//! Nothing here decides an action; it keeps the memory the rules read: the stall clock,
//! how long availability or an import problem has lasted, what the Arr said about import,
//! what the file list and trackers showed.

use crate::config::Health;
use crate::model::{
    ActionKind, ArrSnapshot, Epoch, InstanceSnapshot, Torrent, TrackedState, tracker_host,
};
use crate::state::TorrentRecord;

/// Facts from the Arr about one torrent, when its Arr was reachable this pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArrFacts<'a> {
    /// The queue entry, if the Arr holds the download.
    pub queued: Option<&'a crate::model::QueueDownload>,
    /// The history answer, if it was asked this pass.
    pub history_imported: Option<bool>,
}

impl<'a> ArrFacts<'a> {
    /// Gathers the facts of `download_id` from a reachable Arr snapshot.
    pub fn of(arr: &'a ArrSnapshot, download_id: &str) -> Self {
        ArrFacts {
            queued: arr.queue.get(download_id),
            history_imported: arr.history.get(download_id).copied(),
        }
    }
}

/// Writes into `rec` (whatever it held before) the record updated with what this pass saw
/// of `t`; the caller compares it with the previous one. `arr` is `None` when the torrent's
/// Arr is unreachable: its facts are then left as they were. The strings of `rec` are
/// reused, so observing a torrent allocates nothing when its record does not change.
pub fn observe_into(
    rec: &mut TorrentRecord,
    previous: Option<&TorrentRecord>,
    inst: &InstanceSnapshot,
    t: &Torrent,
    arr: Option<ArrFacts<'_>>,
    health: &Health,
    now: Epoch,
) {
    match previous {
        // The previous record was found by this torrent's identity: the identity is copied
        // from the torrent and its instance (at hand), the memory from the record.
        Some(r) => {
            debug_assert!(r.instance == inst.name && r.hash == t.hash);
            rec.instance.clone_from(&inst.name);
            rec.hash.clone_from(&t.hash);
            rec.copy_memory(r);
        }
        None => {
            // First sight starts every clock now: qBittorrent's `last_activity` ages while a
            // torrent is queued or stopped, so it says nothing of how long it stalled.
            let key = crate::model::TorrentKey::new(inst.name.clone(), &t.hash);
            *rec = TorrentRecord::new(&key, now);
            rec.completed = t.completed;
        }
    }
    let blocked_extensions = &health.blocked_extensions;
    rec.name.clone_from(&t.name);
    if t.private.is_some() {
        rec.private = t.private;
    }
    rec.gone_since = None;
    rec.expires_at = None;

    // Stall clock: an unbroken run of passes seeing it stalled with no new bytes.
    let grew = t.completed > rec.completed;
    if grew {
        rec.progress_at = now;
    }
    rec.completed = t.completed;
    rec.stalled_since = (t.status.is_stalled() && !grew && !t.is_complete())
        .then(|| rec.stalled_since.unwrap_or(now));
    // The eta clock: every pass of the run saw an eta over max_eta.
    rec.eta_over_since = match (health.max_eta, t.eta) {
        (Some(limit), Some(eta)) if eta > limit.as_secs() && !t.is_complete() => {
            Some(rec.eta_over_since.unwrap_or(now))
        }
        _ => None,
    };

    // The downloading run, for the average speed.
    if t.status.is_downloading() && !t.is_complete() {
        if rec.downloading_since.is_none() {
            rec.downloading_since = Some(now);
            rec.downloading_from = t.completed;
        }
    } else {
        rec.downloading_since = None;
        rec.downloading_from = 0;
    }

    // Availability below 1 (unknown never counts, and resets the clock).
    rec.unavailable_since = match t.availability {
        Some(a) if a < 1.0 && !t.is_complete() => Some(rec.unavailable_since.unwrap_or(now)),
        _ => None,
    };

    if let Some(files) = inst.files.get(&t.hash) {
        rec.files_checked = true;
        rec.blocked_file = files
            .iter()
            .filter(|f| f.priority > 0)
            .map(|f| f.name.as_str())
            .find(|name| has_extension(name, blocked_extensions))
            .map(str::to_string);
        rec.no_wanted_file = !t.is_complete() && super::files::judge(files, health).none_wanted;
    }
    // Started again, by sweeparr or by hand, or complete: no longer the guard's.
    if t.status != crate::model::Status::PausedDl {
        rec.space_paused_at = None;
    }

    let trackers = inst.trackers.get(&t.hash);
    if let Some(list) = trackers {
        rec.trackers_checked_at = Some(now);
        rec.trackers_failing = list.iter().any(crate::model::Tracker::is_failing);
        rec.unregistered = super::health::unregistered_message(list).map(str::to_string);
    } else if t.tracker_error == Some(false) {
        // 5.2+ says no tracker fails now: a later flag is news.
        rec.trackers_failing = false;
        rec.unregistered = None;
    }
    if rec.tracker_host.is_none() {
        let url = if t.tracker.is_empty() {
            trackers.and_then(|ts| ts.first()).map(|tr| tr.url.as_str())
        } else {
            Some(t.tracker.as_str())
        };
        rec.tracker_host = url.and_then(tracker_host);
    }

    if let Some(facts) = arr {
        if let Some(q) = facts.queued {
            rec.import_problem_since = if t.is_complete() && q.import_problem() {
                Some(rec.import_problem_since.unwrap_or(now))
            } else {
                None
            };
            if q.tracked_state == TrackedState::Imported && rec.imported_at.is_none() {
                rec.imported_at = Some(now);
            }
            rec.absent_from_queue_since = None;
        } else {
            rec.import_problem_since = None;
            rec.absent_from_queue_since = Some(rec.absent_from_queue_since.unwrap_or(now));
        }
        if let Some(answer) = facts.history_imported {
            rec.history_checked_at = Some(now);
            if answer && rec.imported_at.is_none() {
                rec.imported_at = Some(now);
            }
        }
    }

    // An intent left by a pass that died before saving its outcome.
    if let Some(intent) = rec.intent.take() {
        // An import command may have been sent: count it as sent, so it is not repeated
        // before `failed_import_after`. Destructive intents are re-decided from fresh data;
        // their requests are idempotent (an unknown hash or queue id is a no-op).
        if intent.action == ActionKind::Import {
            rec.import_sent_at = Some(rec.import_sent_at.unwrap_or(0).max(intent.at));
        }
    }
}

/// True when `name` ends with one of `extensions` (lower-case, with dot), ignoring case
/// (`blocked_extensions`, `keep_only`).
pub fn has_extension(name: &str, extensions: &[String]) -> bool {
    let lower = name.to_ascii_lowercase();
    extensions.iter().any(|ext| lower.ends_with(ext.as_str()))
}

/// Marks a record of a torrent no longer on its reachable instance; returns true if changed.
pub fn mark_gone(rec: &mut TorrentRecord, now: Epoch) -> bool {
    if rec.gone_since.is_some() {
        return false;
    }
    rec.gone_since = Some(now);
    rec.expires_at = Some(now + crate::state::record::GONE_RETENTION_SECS);
    rec.intent = None;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_matches_whatever_its_case() {
        let exts = vec![".exe".to_string(), ".lnk".to_string()];
        assert!(has_extension("Movie/Setup.EXE", &exts));
        assert!(!has_extension("Movie/movie.mkv", &exts));
        assert!(!has_extension("exe", &exts));
    }
}
