//! Cleanup: has an imported torrent seeded enough to be removed?

use super::fmt::{as_secs, dur, secs};
use crate::config::{SeedGoal, SeedMode, Seeding};
use crate::model::Torrent;

/// The goal that applies to a torrent of tracker `host`: the first tracker rule whose host
/// is the host or a parent domain of it, else the default.
pub fn goal_for<'a>(seeding: &'a Seeding, host: Option<&str>) -> (&'a SeedGoal, Option<&'a str>) {
    if let Some(host) = host {
        for rule in &seeding.trackers {
            if host_matches(&rule.host, host) {
                return (&rule.goal, Some(rule.host.as_str()));
            }
        }
    }
    (&seeding.goal, None)
}

/// True when `host` is `rule` or one of its sub-domains (`a.tracker.example.org` for
/// `tracker.example.org`).
pub fn host_matches(rule: &str, host: &str) -> bool {
    host == rule
        || host
            .strip_suffix(rule)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Why the goal is met, or `None` when it is not (or `min_time` has not passed).
pub fn goal_met(t: &Torrent, goal: &SeedGoal) -> Option<String> {
    let seeded = i64::try_from(t.seeding_time).unwrap_or(i64::MAX);
    if seeded < as_secs(goal.min_time) {
        return None;
    }
    // Decided first, worded only when met: most torrents seed below their goal.
    let ratio = goal.ratio.map(|limit| (t.ratio >= limit, limit));
    let time = goal.time.map(|limit| (seeded >= as_secs(limit), limit));
    let checks = usize::from(ratio.is_some()) + usize::from(time.is_some());
    if checks == 0 {
        return None;
    }
    let met =
        usize::from(ratio.is_some_and(|(ok, _)| ok)) + usize::from(time.is_some_and(|(ok, _)| ok));
    let done = match goal.mode {
        SeedMode::Any => met > 0,
        SeedMode::All => met == checks,
    };
    if !done {
        return None;
    }
    let mut why = Vec::with_capacity(met);
    if let Some((true, limit)) = ratio {
        why.push(format!("ratio {} >= {limit}", fmt_ratio(t.ratio)));
    }
    if let Some((true, limit)) = time {
        why.push(format!("seeded {} >= {}", secs(seeded), dur(limit)));
    }
    Some(why.join(" and "))
}

fn fmt_ratio(r: f64) -> String {
    if r.is_infinite() {
        "9999+".to_string()
    } else {
        format!("{r:.2}")
    }
}
