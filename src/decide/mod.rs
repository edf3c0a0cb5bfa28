//! The decision pass: a pure function of (snapshot, state, config, scope, now) giving a [`Plan`].
//!
//! Files by rule: [`health`] (stalled, eta, availability, unregistered, blocked files,
//! errored), [`import`] (import trigger, failed import), [`cleanup`] (seeding goals),
//! [`guard`] (protect tag, circuit breaker), [`observe`] (clocks kept in state),
//! [`select`] (which details the scan must fetch), [`search`] (scheduled searches),
//! [`rules`] (user `[[rule]]`s, after all of these).

pub mod cleanup;
pub mod fmt;
pub mod guard;
pub mod health;
pub mod import;
mod index;
pub mod observe;
pub mod path_map;
pub mod plan;
pub mod rules;
#[cfg(test)]
mod rules_tests;
pub mod scope;
pub mod search;
pub mod select;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

pub use plan::{Action, ActionKind, Op, Plan};
pub use scope::Scope;
pub use select::{DetailRequests, details_needed};

use crate::config::{ArrConfig, Config};
use crate::model::{ArrSnapshot, InstanceSnapshot, Snapshot, Torrent};
use crate::state::{Epoch, Record, Records, TorrentRecord};
use health::HealthVerdict;
use index::TorrentIndex;
use observe::ArrFacts;

/// Tag added to torrents sweeparr knows as imported (with `tag_actions`).
pub const TAG_IMPORTED: &str = "sweeparr-imported";

/// A torrent's Arr: its config, and its snapshot when reachable this pass.
pub(crate) struct Managed<'a> {
    pub config: &'a ArrConfig,
    pub snapshot: Option<&'a ArrSnapshot>,
}

impl<'a> Managed<'a> {
    /// The Arr whose category the torrent is in, if any.
    pub fn find(config: &'a Config, snapshot: &'a Snapshot, t: &Torrent) -> Option<Self> {
        let arr = config.arr.values().find(|a| a.category == t.category)?;
        Some(Managed {
            config: arr,
            snapshot: snapshot.arr(&arr.name).filter(|a| a.reachable),
        })
    }
}

/// Decides what one pass does. Touches no network, clock or disk.
pub fn decide(
    snapshot: &Snapshot,
    state: &Records,
    config: &Config,
    scope: &Scope,
    now: Epoch,
) -> Plan {
    let mut plan = Plan::default();
    let index = TorrentIndex::new(state);
    for inst in &snapshot.instances {
        // An unreachable instance: nothing decided, its records left as they are.
        if !inst.reachable || !scope.has_instance(&inst.name) {
            continue;
        }
        if !scope.narrowed_to_hashes() {
            ensure_categories(inst, config, &mut plan);
        }
        let mut seen = HashSet::with_capacity(inst.torrents.len());
        for t in inst.torrents.iter().filter(|t| scope.has_hash(&t.hash)) {
            seen.insert(t.hash.as_str());
            decide_torrent(inst, t, snapshot, &index, config, now, &mut plan);
        }
        // Records of torrents that left this (reachable) instance start their 30-day expiry.
        let mut gone: Vec<TorrentRecord> = index
            .of_instance(&inst.name)
            .filter(|rec| !seen.contains(rec.hash.as_str()) && scope.has_hash(&rec.hash))
            .filter_map(|rec| {
                let mut rec = rec.clone();
                observe::mark_gone(&mut rec, now).then_some(rec)
            })
            .collect();
        // The index has no order; the plan has one.
        gone.sort_unstable_by(|a, b| a.hash.cmp(&b.hash));
        plan.records
            .extend(gone.into_iter().map(|rec| Record::Torrent(Box::new(rec))));
    }
    if !scope.narrowed_to_hashes() {
        search::plan_searches(snapshot, state, config, now, &mut plan);
    }
    let by_rules = rules::apply(snapshot, state, config, scope, &plan, now);
    plan.actions.extend(by_rules);
    guard::circuit_breaker(&mut plan, config.run.max_deletions);
    // Grown by doubling, up to twice the room needed: at 10,000 torrents a first pass
    // plans ~10,000 records and tags, and the plan lives while acting and saving.
    plan.records.shrink_to_fit();
    plan.actions.shrink_to_fit();
    plan
}

fn ensure_categories(inst: &InstanceSnapshot, config: &Config, plan: &mut Plan) {
    let mut wanted: Vec<&ArrConfig> = config.arr.values().collect();
    wanted.dedup_by(|a, b| a.category == b.category);
    for arr in wanted {
        if !inst.categories.iter().any(|c| c == &arr.category) {
            plan.actions.push(Action {
                kind: ActionKind::CreateCategory,
                instance: inst.name.clone(),
                hash: None,
                name: arr.category.clone(),
                arr: Some(arr.name.clone()),
                reason: format!("category {} of {} is missing", arr.category, arr.name),
                op: Op::CreateCategory {
                    category: arr.category.clone(),
                },
                skip: None,
            });
        }
    }
}

fn decide_torrent(
    inst: &InstanceSnapshot,
    t: &Torrent,
    snapshot: &Snapshot,
    index: &TorrentIndex<'_>,
    config: &Config,
    now: Epoch,
    plan: &mut Plan,
) {
    let Some(managed) = Managed::find(config, snapshot, t) else {
        return;
    };
    let arr_cfg = managed.config;
    let prev = index.get(&inst.name, &t.hash);
    let facts = managed.snapshot.map(|a| ArrFacts::of(a, &t.download_id()));
    let rec = observe::observe(
        prev,
        inst,
        t,
        facts,
        &arr_cfg.health.blocked_extensions,
        now,
    );

    // Protected, or its Arr unreachable: observe only.
    if let Some(arr) = managed.snapshot
        && !t.has_tag(&config.run.protect_tag)
    {
        let ctx = Ctx {
            inst,
            t,
            rec: &rec,
            arr,
            arr_cfg,
            config,
            now,
        };
        if let Some(action) = primary_action(&ctx) {
            plan.actions.push(action);
        } else if config.run.tag_actions && rec.imported_at.is_some() && !t.has_tag(TAG_IMPORTED) {
            plan.actions.push(ctx.action(
                ActionKind::Tag,
                "imported".to_string(),
                Op::AddTags {
                    tags: vec![TAG_IMPORTED.to_string()],
                },
            ));
        }
    }

    if prev != Some(&rec) {
        let mut rec = rec;
        rec.last_seen = now;
        plan.records.push(Record::Torrent(Box::new(rec)));
    }
}

/// Everything one torrent's rules look at.
pub(crate) struct Ctx<'a> {
    pub inst: &'a InstanceSnapshot,
    pub t: &'a Torrent,
    pub rec: &'a TorrentRecord,
    pub arr: &'a ArrSnapshot,
    pub arr_cfg: &'a ArrConfig,
    pub config: &'a Config,
    pub now: Epoch,
}

impl Ctx<'_> {
    pub fn action(&self, kind: ActionKind, reason: String, op: Op) -> Action {
        Action {
            kind,
            instance: self.inst.name.clone(),
            hash: Some(self.t.hash.clone()),
            name: self.t.name.clone(),
            arr: Some(self.arr.name.clone()),
            reason,
            op,
            skip: None,
        }
    }

    /// A fail: through the Arr when its queue holds the download, else straight from the client.
    pub fn fail(&self, reason: String) -> Action {
        let op = match self.arr.queue.get(&self.t.download_id()) {
            Some(q) if !q.record_ids.is_empty() => Op::ArrRemove {
                arr: self.arr.name.clone(),
                queue_id: q.record_ids[0],
                skip_redownload: !self.arr_cfg.health.research,
            },
            _ => Op::ClientDelete { delete_files: true },
        };
        self.action(ActionKind::Fail, reason, op)
    }

    fn young(&self) -> bool {
        self.config
            .run
            .ignore_younger_than
            .is_some_and(|d| self.now - self.t.added_on < fmt::as_secs(d))
    }

    fn trackers(&self) -> Option<&[crate::model::Tracker]> {
        self.inst.trackers.get(&self.t.hash).map(Vec::as_slice)
    }
}

/// The one primary action (fail, recheck, import or remove) of a torrent, if any.
fn primary_action(ctx: &Ctx<'_>) -> Option<Action> {
    let (t, rec) = (ctx.t, ctx.rec);
    // An imported torrent is never failed: that would blocklist a release the Arr already
    // imported. It is only cleaned up once complete and seeded.
    if rec.imported_at.is_some() {
        return if t.is_complete() {
            cleanup_action(ctx)
        } else {
            None
        };
    }
    if !t.is_complete() {
        if ctx.young() {
            return None;
        }
        return health::verdict(t, rec, &ctx.arr_cfg.health, ctx.trackers(), ctx.now)
            .map(|v| health_action(ctx, v));
    }
    // Complete, not known as imported.
    if rec.blocked_file.is_some() || t.status.is_errored() {
        let v = health::verdict(t, rec, &ctx.arr_cfg.health, None, ctx.now)?;
        return Some(health_action(ctx, v));
    }
    import::import_action(ctx)
}

fn health_action(ctx: &Ctx<'_>, v: HealthVerdict) -> Action {
    match v {
        HealthVerdict::Fail(reason) => ctx.fail(reason),
        HealthVerdict::Recheck(reason) => ctx.action(ActionKind::Recheck, reason, Op::Recheck),
    }
}

fn cleanup_action(ctx: &Ctx<'_>) -> Option<Action> {
    let seeding = &ctx.arr_cfg.seeding;
    let (goal, rule) = cleanup::goal_for(seeding, ctx.rec.tracker_host.as_deref());
    if ctx.arr_cfg.health.remove_unregistered
        && let Some(msg) = ctx.trackers().and_then(health::unregistered_message)
    {
        return Some(ctx.action(
            ActionKind::Remove,
            format!("imported; tracker says: {msg}"),
            Op::ClientDelete {
                delete_files: goal.delete_files,
            },
        ));
    }
    let why = cleanup::goal_met(ctx.t, goal)?;
    let reason = match rule {
        Some(host) => format!("imported; {why} (tracker {host})"),
        None => format!("imported; {why}"),
    };
    Some(ctx.action(
        ActionKind::Remove,
        reason,
        Op::ClientDelete {
            delete_files: goal.delete_files,
        },
    ))
}
