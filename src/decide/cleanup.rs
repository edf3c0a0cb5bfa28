//! Cleanup: has an imported torrent seeded enough to be removed?

use super::fmt::{as_secs, dur, secs};
use crate::config::{SeedGoal, SeedMode, Seeding};
use crate::model::Torrent;

/// The goal that applies to a torrent of tracker `host`: the first tracker rule whose host
/// is the host or a parent domain of it, else the default.
pub fn goal_for<'a>(seeding: &'a Seeding, host: Option<&str>) -> (&'a SeedGoal, Option<&'a str>) {
    if let Some(host) = host {
        for rule in &seeding.trackers {
            if host == rule.host || host.ends_with(&format!(".{}", rule.host)) {
                return (&rule.goal, Some(rule.host.as_str()));
            }
        }
    }
    (&seeding.goal, None)
}

/// Why the goal is met, or `None` when it is not (or `min_time` has not passed).
pub fn goal_met(t: &Torrent, goal: &SeedGoal) -> Option<String> {
    let seeded = i64::try_from(t.seeding_time).unwrap_or(i64::MAX);
    if seeded < as_secs(goal.min_time) {
        return None;
    }
    let ratio = goal.ratio.map(|limit| {
        (
            t.ratio >= limit,
            format!("ratio {} >= {limit}", fmt_ratio(t.ratio)),
        )
    });
    let time = goal.time.map(|limit| {
        (
            seeded >= as_secs(limit),
            format!("seeded {} >= {}", secs(seeded), dur(limit)),
        )
    });
    let checks: Vec<(bool, String)> = ratio.into_iter().chain(time).collect();
    if checks.is_empty() {
        return None;
    }
    let met: Vec<String> = checks
        .iter()
        .filter(|(ok, _)| *ok)
        .map(|(_, why)| why.clone())
        .collect();
    let done = match goal.mode {
        SeedMode::Any => !met.is_empty(),
        SeedMode::All => met.len() == checks.len(),
    };
    done.then(|| met.join(" and "))
}

fn fmt_ratio(r: f64) -> String {
    if r.is_infinite() {
        "9999+".to_string()
    } else {
        format!("{r:.2}")
    }
}
