//! The free-space guard (`[space]`): stop downloads before they fill the disk, start again
//! exactly those once there is room.
//!
//! The projected free space of an instance is its free space less what its running
//! downloads still have to write. While that is below `min_free`, the running downloads of
//! managed categories are stopped, the largest remainder first, until it is not (or all
//! are). Stopped downloads are tagged `sweeparr-space` and remembered in their record;
//! once the projected free space would stay at or above `min_free + resume_margin` with one
//! of them running again, it is started, the smallest remainder first. A download stopped by
//! anyone else is never started, and none is touched while the instance does not report its
//! free space.

use rustc_hash::FxHashSet;

use crate::config::speed::show_size;
use crate::config::{Config, Space};
use crate::model::{HashKey, InstanceSnapshot, Status, Torrent};
use crate::state::{InstanceTorrents, TorrentRecord};

/// Tag of a download the free-space guard stopped.
pub const TAG_SPACE: &str = "sweeparr-space";

/// What the guard does on one instance this pass.
#[derive(Debug, Default)]
pub struct SpacePlan<'a> {
    /// Hashes to stop.
    stop: FxHashSet<&'a str>,
    /// Hashes to start again.
    start: FxHashSet<&'a str>,
    /// The figures, for reasons: free space, projected free space (before the stops),
    /// `min_free`, `min_free + resume_margin`.
    free: u64,
    projected: i128,
    min_free: u64,
    resume_at: u64,
    /// The guard is off on this instance: every download it stopped is started.
    off: bool,
}

/// What the guard does to one torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpaceStep {
    /// Stop it; the reason gives the figures.
    Stop(String),
    /// Start it again.
    Start(String),
}

/// True for a download the guard may stop: managed, not protected, not complete, running
/// (or queued to run) with bytes left.
fn may_stop(t: &Torrent, config: &Config) -> bool {
    matches!(
        t.status,
        Status::Downloading | Status::StalledDl | Status::QueuedDl
    ) && !t.is_complete()
        && t.amount_left > 0
        && config.arr_for_category(&t.category).is_some()
        && !t.has_tag(&config.run.protect_tag)
}

/// True for a download the guard stopped and that is still stopped: its record says so, or
/// (a state started afresh) its tag does.
pub fn stopped_by_guard(t: &Torrent, rec: Option<&TorrentRecord>) -> bool {
    t.status == Status::PausedDl
        && (rec.is_some_and(|r| r.space_paused_at.is_some()) || t.has_tag(TAG_SPACE))
}

impl<'a> SpacePlan<'a> {
    /// Plans the guard for `inst`, whose records are `records`.
    pub fn new(
        inst: &'a InstanceSnapshot,
        records: Option<&InstanceTorrents>,
        config: &Config,
    ) -> SpacePlan<'a> {
        let record = |t: &Torrent| {
            records
                .and_then(|r| r.find_key(&HashKey::new(&t.hash)))
                .map(|(_, r)| r)
        };
        let space = config.qbit.get(&inst.name).and_then(|q| q.space);
        let Some(Space {
            min_free,
            resume_margin,
        }) = space
        else {
            return SpacePlan {
                off: true,
                ..SpacePlan::default()
            };
        };
        let mut plan = SpacePlan {
            min_free,
            resume_at: min_free.saturating_add(resume_margin),
            ..SpacePlan::default()
        };
        // No figure: nothing is decided (and what was stopped stays stopped).
        let Some(free) = inst.free_space else {
            return plan;
        };
        plan.free = free;
        let mut running: Vec<&Torrent> = Vec::new();
        let mut stopped: Vec<&Torrent> = Vec::new();
        let mut left: i128 = 0;
        for t in &inst.torrents {
            if may_stop(t, config) {
                left += i128::from(t.amount_left);
                running.push(t);
            } else if stopped_by_guard(t, record(t)) && !t.has_tag(&config.run.protect_tag) {
                stopped.push(t);
            }
        }
        let mut projected = i128::from(free) - left;
        plan.projected = projected;
        if projected < i128::from(min_free) {
            running.sort_unstable_by(|a, b| {
                b.amount_left
                    .cmp(&a.amount_left)
                    .then_with(|| a.hash.cmp(&b.hash))
            });
            for t in running {
                if projected >= i128::from(min_free) {
                    break;
                }
                projected += i128::from(t.amount_left);
                plan.stop.insert(&t.hash);
            }
        } else {
            stopped.sort_unstable_by(|a, b| {
                a.amount_left
                    .cmp(&b.amount_left)
                    .then_with(|| a.hash.cmp(&b.hash))
            });
            for t in stopped {
                let after = projected - i128::from(t.amount_left);
                if after < i128::from(plan.resume_at) {
                    break;
                }
                projected = after;
                plan.start.insert(&t.hash);
            }
        }
        plan
    }

    /// What the guard does to `t` (whose record is `rec`), if anything.
    pub fn step(&self, t: &Torrent, rec: Option<&TorrentRecord>) -> Option<SpaceStep> {
        if self.off {
            return stopped_by_guard(t, rec).then(|| {
                SpaceStep::Start("the free-space guard is off: started again".to_string())
            });
        }
        if self.stop.contains(t.hash.as_str()) {
            return Some(SpaceStep::Stop(format!(
                "free space {}, {} once running downloads finish < min_free {}; {} left",
                show_size(self.free),
                show_signed(self.projected),
                show_size(self.min_free),
                show_size(t.amount_left),
            )));
        }
        if self.start.contains(t.hash.as_str()) {
            return Some(SpaceStep::Start(format!(
                "free space {}, {} once running downloads finish: room for its {} left above \
                 min_free + resume_margin {}",
                show_size(self.free),
                show_signed(self.projected),
                show_size(t.amount_left),
                show_size(self.resume_at),
            )));
        }
        None
    }
}

fn show_signed(bytes: i128) -> String {
    if bytes < 0 {
        format!("-{}", show_size(u64::try_from(-bytes).unwrap_or(u64::MAX)))
    } else {
        show_size(u64::try_from(bytes).unwrap_or(u64::MAX))
    }
}
