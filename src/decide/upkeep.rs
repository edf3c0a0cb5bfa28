//! Tracker upkeep (`[[tracker]]`): what the managed torrents of one tracker host should have.
//! Tags and speed limits are read from the torrent list; tracker additions and removals need
//! the torrent's tracker list, read once per torrent (and again after a change, to confirm,
//! or when the entry changes) and, with `remove_dead`, as often as `tracker_recheck`. Every
//! step is planned only when something is missing, so a steady pass sends nothing.

use super::cleanup::host_matches;
use crate::config::speed::show_speed;
use crate::config::{Config, Upkeep};
use crate::decide::{ActionKind, Op};
use crate::model::{Epoch, Torrent, Tracker, tracker_host};
use crate::state::TorrentRecord;

/// The `[[tracker]]` entry of a managed torrent: the first whose host matches the torrent's
/// tracker (from the torrent list, else the one its record remembers).
pub fn entry_for<'c>(
    config: &'c Config,
    t: &Torrent,
    rec: Option<&TorrentRecord>,
) -> Option<&'c Upkeep> {
    if config.trackers.is_empty() {
        return None;
    }
    let listed = tracker_host(&t.tracker);
    let host = listed
        .as_deref()
        .or_else(|| rec.and_then(|r| r.tracker_host.as_deref()))?;
    config.trackers.iter().find(|u| host_matches(&u.host, host))
}

/// True when the tracker list of a torrent under `entry` must be read to keep it: its
/// additions and removals were never seen in place, or (`remove_dead`) `due` says so.
pub fn needs_list(entry: &Upkeep, rec: Option<&TorrentRecord>, due: bool) -> bool {
    let edits = !entry.add.is_empty() || !entry.remove.is_empty();
    (edits && rec.and_then(|r| r.tracker_upkeep) != Some(entry.fingerprint()))
        || (entry.remove_dead.is_some() && due)
}

/// The steps that bring `t` in line with `entry`: (kind, reason, op). `trackers` is its
/// tracker list when read this pass; `rec` remembers what the list showed.
pub fn steps(
    entry: &Upkeep,
    t: &Torrent,
    trackers: Option<&[Tracker]>,
    rec: &mut TorrentRecord,
    now: Epoch,
) -> Vec<(ActionKind, String, Op)> {
    let host = &entry.host;
    let mut out = Vec::new();
    let missing: Vec<String> = entry
        .tags
        .iter()
        .filter(|tag| !t.has_tag(tag))
        .cloned()
        .collect();
    if !missing.is_empty() {
        out.push((
            ActionKind::Tag,
            format!("tracker {host}: tags {}", missing.join(", ")),
            Op::AddTags { tags: missing },
        ));
    }
    // (limit to set, the torrent's) when they differ; 0 or less on the torrent is none.
    let change = |want: Option<Option<u64>>, set: i64| {
        let want = want?;
        let current = u64::try_from(set).ok().filter(|&v| v > 0);
        (current != want).then_some((want.unwrap_or(0), current))
    };
    let up = change(entry.up_limit, t.up_limit);
    let down = change(entry.down_limit, t.dl_limit);
    if up.is_some() || down.is_some() {
        let show = |v: u64| {
            if v == 0 {
                "none".to_string()
            } else {
                show_speed(v as f64)
            }
        };
        let mut parts = Vec::new();
        for (what, limit) in [("upload", up), ("download", down)] {
            if let Some((want, was)) = limit {
                parts.push(format!(
                    "{what} limit {} (was {})",
                    show(want),
                    show(was.unwrap_or(0))
                ));
            }
        }
        out.push((
            ActionKind::Limit,
            format!("tracker {host}: {}", parts.join(", ")),
            Op::SetLimits {
                up: up.map(|u| u.0),
                down: down.map(|d| d.0),
            },
        ));
    }
    if let Some(list) = trackers
        && let Some(edit) = edit_list(entry, list, rec, now)
    {
        out.push(edit);
    }
    out
}

/// The additions and removals a read tracker list needs, if any; the record keeps the
/// failing trackers and, when all is in place, the entry's fingerprint.
fn edit_list(
    entry: &Upkeep,
    list: &[Tracker],
    rec: &mut TorrentRecord,
    now: Epoch,
) -> Option<(ActionKind, String, Op)> {
    let host = &entry.host;
    if entry.remove_dead.is_some() {
        let mut dead: Vec<(String, Epoch)> = list
            .iter()
            .filter(|tr| tr.is_failing())
            .map(|tr| {
                let since = rec
                    .dead_trackers
                    .iter()
                    .find(|(url, _)| url == &tr.url)
                    .map_or(now, |&(_, since)| since);
                (tr.url.clone(), since)
            })
            .collect();
        dead.sort();
        rec.dead_trackers = dead;
    } else {
        rec.dead_trackers.clear();
    }
    let add: Vec<String> = entry
        .add
        .iter()
        .filter(|url| !list.iter().any(|tr| tr.url.trim() == url.trim()))
        .cloned()
        .collect();
    let mut why: Vec<String> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    for tr in list {
        if let Some(pattern) = entry.remove.first_match(&tr.url) {
            why.push(format!("remove {} (matches {pattern:?})", tr.url));
            remove.push(tr.url.clone());
        }
    }
    if let Some(limit) = entry.remove_dead {
        let someone_works = list
            .iter()
            .any(|tr| tr.status == 2 && !remove.contains(&tr.url));
        for (url, since) in &rec.dead_trackers {
            if someone_works && now - since >= super::fmt::as_secs(limit) && !remove.contains(url) {
                why.push(format!(
                    "remove {url} (failing for {})",
                    super::fmt::secs(now - since)
                ));
                remove.push(url.clone());
            }
        }
    }
    // Never every tracker: a torrent needs one to announce to.
    if add.is_empty() && !list.is_empty() && remove.len() >= list.len() {
        remove.clear();
        why.clear();
    }
    if add.is_empty() && remove.is_empty() {
        rec.tracker_upkeep = Some(entry.fingerprint());
        return None;
    }
    // Read again next pass, which finds them in place (or sends this again).
    rec.tracker_upkeep = None;
    let mut reason: Vec<String> = add.iter().map(|url| format!("add {url}")).collect();
    reason.extend(why);
    Some((
        ActionKind::Trackers,
        format!("tracker {host}: {}", reason.join(", ")),
        Op::EditTrackers { add, remove },
    ))
}
