//! Health: is an incomplete (or never-importable) download unhealthy, and why.
//!
//! Each rule returns a reason with the measured value and the limit. The first rule that
//! fires wins, in this order: blocked file, unregistered tracker, errored (recheck once, then
//! fail), stalled, eta, availability.

use super::fmt::{as_secs, over, secs};
use crate::config::Health;
use crate::config::speed::show_speed;
use crate::model::Epoch;
use crate::model::{Torrent, Tracker};
use crate::state::TorrentRecord;

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
    "complete season uploaded",
    "specifically banned",
];

/// Fragments that mean the tracker itself, or the network to it, is in trouble, not the
/// torrent: a message with one of them is never taken as "unregistered".
const TRACKER_DOWN: &[&str] = &[
    "down",
    "unreachable",
    "bad gateway",
    "gateway",
    "timed out",
    "timeout",
    "maintenance",
    "truncated",
    "connection refused",
    "connection reset",
    "connection closed",
    "end of file",
    "host not found",
    "name resolution",
    "internal server error",
    "service unavailable",
    "too many requests",
    "http error 5",
    "status 5",
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

/// Health rules for an incomplete torrent. What a tracker said of it is in `rec` (observed
/// from the tracker list read this pass or an earlier one).
pub fn verdict(t: &Torrent, rec: &TorrentRecord, h: &Health, now: Epoch) -> Option<HealthVerdict> {
    if let Some(file) = &rec.blocked_file {
        return Some(HealthVerdict::Fail(format!(
            "blocked file extension: {file}"
        )));
    }
    if rec.no_wanted_file {
        return Some(HealthVerdict::Fail(
            "no wanted file: every file is excluded by exclude_files or keep_only".to_string(),
        ));
    }
    if h.remove_unregistered
        && let Some(msg) = &rec.unregistered
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
    if let (Some(limit), Some(since)) = (h.stalled_after, rec.stalled_since)
        && t.status.is_stalled()
    {
        let stalled = now - since;
        if stalled >= as_secs(limit) {
            return Some(HealthVerdict::Fail(format!(
                "stalled {}",
                over(stalled, limit)
            )));
        }
    }
    if let (Some(min), Some(since)) = (h.min_speed, rec.downloading_since) {
        let watched = now - since;
        if watched > 0 && watched >= as_secs(h.slow_after) {
            let got = t.completed.saturating_sub(rec.downloading_from);
            let average = got as f64 / watched as f64;
            if average < min as f64 {
                return Some(HealthVerdict::Fail(format!(
                    "slow: {} on average over {} < {}",
                    show_speed(average),
                    secs(watched),
                    show_speed(min as f64)
                )));
            }
        }
    }
    // Over max_eta on this pass and on the one before at least (the run began earlier).
    if let (Some(limit), Some(eta), Some(since)) = (h.max_eta, t.eta, rec.eta_over_since)
        && eta > limit.as_secs()
        && since < now
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
