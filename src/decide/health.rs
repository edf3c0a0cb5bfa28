//! Health: is an incomplete (or never-importable) download unhealthy, and why.
//!
//! Each rule returns a reason with the measured value and the limit. The first rule that
//! fires wins, in this order: blocked file, unregistered tracker, errored (recheck once, then
//! fail), stalled, eta, availability.

use super::fmt::{as_secs, over, secs};
use crate::config::Health;
use crate::model::{Torrent, Tracker};
use crate::state::{Epoch, TorrentRecord};

/// What the health rules ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthVerdict {
    /// Fail the download, with the reason.
    Fail(String),
    /// Ask qBittorrent to recheck it once, with the reason.
    Recheck(String),
}

/// Tracker messages that mean "this torrent is gone from the tracker" (lower-case fragments).
const UNREGISTERED: &[&str] = &[
    "unregistered",
    "not registered",
    "torrent not found",
    "unknown torrent",
    "torrent does not exist",
    "this torrent does not exist",
    "torrent has been deleted",
    "infohash not found",
    "trumped",
    "retitled",
    "truncated",
    "complete season uploaded",
    "specifically banned",
];

/// Fragments that mean the tracker itself is in trouble, not the torrent.
const TRACKER_DOWN: &[&str] = &[
    "down",
    "unreachable",
    "bad gateway",
    "timed out",
    "maintenance",
];

/// The message of a failing real tracker that says the torrent is unregistered, if any.
pub fn unregistered_message(trackers: &[Tracker]) -> Option<&str> {
    trackers
        .iter()
        .filter(|tr| tr.tier >= 0 && tr.is_failing())
        .map(|tr| tr.msg.as_str())
        .find(|msg| {
            let m = msg.to_ascii_lowercase();
            UNREGISTERED.iter().any(|u| m.contains(u))
                && !TRACKER_DOWN.iter().any(|d| m.contains(d))
        })
}

/// Health rules for an incomplete torrent. `trackers` is present when fetched this pass.
pub fn verdict(
    t: &Torrent,
    rec: &TorrentRecord,
    h: &Health,
    trackers: Option<&[Tracker]>,
    now: Epoch,
) -> Option<HealthVerdict> {
    if let Some(file) = &rec.blocked_file {
        return Some(HealthVerdict::Fail(format!(
            "blocked file extension: {file}"
        )));
    }
    if h.remove_unregistered
        && let Some(msg) = trackers.and_then(unregistered_message)
    {
        return Some(HealthVerdict::Fail(format!("tracker says: {msg}")));
    }
    if t.status.is_errored() {
        return Some(match rec.rechecked_at {
            None => HealthVerdict::Recheck(format!("state {}: recheck once", t.state)),
            Some(at) => HealthVerdict::Fail(format!(
                "state {} {} after recheck",
                t.state,
                secs(now - at)
            )),
        });
    }
    if t.status.is_busy() {
        return None;
    }
    if let Some(limit) = h.stalled_after
        && t.status.is_stalled()
    {
        let stalled = now - rec.progress_at;
        if stalled >= as_secs(limit) {
            return Some(HealthVerdict::Fail(format!(
                "stalled {}",
                over(stalled, limit)
            )));
        }
    }
    if let (Some(limit), Some(eta)) = (h.max_eta, t.eta)
        && eta > limit.as_secs()
    {
        return Some(HealthVerdict::Fail(format!(
            "eta {}",
            over(i64::try_from(eta).unwrap_or(i64::MAX), limit)
        )));
    }
    if let (Some(limit), Some(since), Some(avail)) =
        (h.unavailable_after, rec.unavailable_since, t.availability)
    {
        let lasted = now - since;
        if lasted >= as_secs(limit) {
            return Some(HealthVerdict::Fail(format!(
                "availability {avail:.2} < 1 for {}",
                over(lasted, limit)
            )));
        }
    }
    None
}
