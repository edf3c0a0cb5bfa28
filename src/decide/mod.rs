//! The decision pass: a pure function of (snapshot, state, config, scope, now) giving a [`Plan`].
//!
//! Files by rule: [`health`] (stalled, eta, availability, unregistered, blocked files,
//! errored), [`import`] (import trigger, failed import), [`cleanup`] (seeding goals),
//! [`guard`] (protect tag, circuit breaker), [`observe`] (clocks kept in state),
//! [`select`] (which details the scan must fetch), [`search`] (scheduled searches),
//! [`rules`] (user `[[rule]]`s, after all of these).

mod arr_index;
pub mod cleanup;
pub mod files;
pub mod fmt;
pub mod guard;
pub mod health;
pub mod import;
pub mod observe;
pub mod path_map;
pub mod plan;
pub mod rules;
#[cfg(test)]
mod rules_tests;
pub mod scope;
pub mod search;
pub mod select;
pub mod shared;
pub mod space;
mod triggers;
pub mod upkeep;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod torrent_side_tests;

pub use plan::{Action, ActionKind, ClientSide, Op, Plan, SkipReason};
pub use scope::{Scope, ScopeError};
pub use select::{DetailRequests, details_needed};

use crate::config::{ArrConfig, Config, PrivatePolicy};
use crate::model::{
    ArrHealth, ArrSnapshot, Connection, InstanceSnapshot, QueueDownload, Snapshot, Torrent,
};
use crate::model::{Epoch, HashKey};
use crate::state::{InstanceTorrents, Record, State, TorrentRecord};
use arr_index::ArrIndex;
use health::HealthVerdict;
use observe::ArrFacts;

/// Tag added to torrents sweeparr knows as imported (with `tag_actions`).
pub const TAG_IMPORTED: &str = "sweeparr-imported";

/// Tag of a private torrent failed through its Arr and kept (`private = "keep"`).
pub const TAG_FAILED: &str = "sweeparr-failed";

/// A torrent's Arr: its config, and its snapshot when reachable this pass.
pub(crate) struct Managed<'a> {
    pub config: &'a ArrConfig,
    pub snapshot: Option<&'a ArrSnapshot>,
}

impl<'a> Managed<'a> {
    /// The Arr whose category the torrent is in, if any.
    pub fn find(config: &'a Config, snapshot: &'a Snapshot, t: &Torrent) -> Option<Self> {
        let arr = config.arr_for_category(&t.category)?;
        Some(Managed {
            config: arr,
            snapshot: snapshot.arr(&arr.name).filter(|a| a.reachable),
        })
    }
}

/// Decides what one pass does. Touches no network, clock or disk.
pub fn decide(
    snapshot: &Snapshot,
    state: &State,
    config: &Config,
    scope: &Scope,
    now: Epoch,
) -> Plan {
    let mut plan = Plan::default();
    // The queues and histories of the reachable Arrs, indexed once for the whole pass.
    let arrs = ArrIndex::reachable(snapshot);
    // The record a torrent is observed into: one for the pass, so that observing allocates
    // only for the records that change.
    let mut scratch = TorrentRecord::default();
    for inst in &snapshot.instances {
        if !scope.has_instance(&inst.name) {
            continue;
        }
        // An unreachable instance: nothing decided, its records left as they are but for
        // the runs of passes its clocks count (a pass that cannot see a torrent ends them).
        if !inst.reachable {
            let mut ended: Vec<TorrentRecord> = state
                .torrents_of(&inst.name)
                .filter_map(|rec| {
                    let mut rec = rec.clone();
                    rec.end_runs().then_some(rec)
                })
                .collect();
            ended.sort_unstable_by(|a, b| a.hash.cmp(&b.hash));
            plan.records
                .extend(ended.into_iter().map(|rec| Record::Torrent(Box::new(rec))));
            continue;
        }
        if !scope.narrowed_to_hashes() {
            ensure_categories(inst, config, &mut plan);
        }
        let shared = shared::SharedFiles::new(&inst.torrents);
        let records = state.torrents_on(&inst.name);
        let space = space::SpacePlan::new(inst, records, config);
        let on = On {
            inst,
            shared: &shared,
            space: &space,
            snapshot,
            arrs: &arrs,
            config,
            now,
        };
        // Which records a torrent of the instance has, by position in `records`.
        let mut seen = vec![false; records.map_or(0, InstanceTorrents::len)];
        for t in inst.torrents.iter().filter(|t| scope.has_hash(&t.hash)) {
            // The hash decoded once for the state's and the Arrs' look-ups.
            let key = HashKey::new(&t.hash);
            let prev = records.and_then(|r| r.find_key(&key)).map(|(at, prev)| {
                seen[at] = true;
                prev
            });
            decide_torrent(&on, t, &key, prev, &mut scratch, &mut plan);
        }
        // Records of torrents that left this (reachable) instance start their 30-day expiry.
        let mut gone: Vec<TorrentRecord> = records
            .into_iter()
            .flat_map(InstanceTorrents::iter)
            .zip(&seen)
            .filter(|&(rec, &seen)| !seen && scope.has_hash(&rec.hash))
            .filter_map(|(rec, _)| {
                let mut rec = rec.clone();
                observe::mark_gone(&mut rec, now).then_some(rec)
            })
            .collect();
        // The state has no order; the plan has one.
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
    let triggers = [
        (&config.run.failed_category, "failed_category"),
        (&config.run.recheck_category, "recheck_category"),
    ];
    let wanted = wanted
        .into_iter()
        .map(|arr| {
            (
                arr.category.as_str(),
                Some(arr.name.as_str()),
                arr.name.as_str(),
            )
        })
        .chain(
            triggers
                .into_iter()
                .filter_map(|(category, key)| category.as_deref().map(|c| (c, None, key))),
        );
    for (category, arr, of) in wanted {
        if !inst.categories.iter().any(|c| c == category) {
            plan.actions.push(Action {
                kind: ActionKind::CreateCategory,
                instance: inst.name.clone(),
                hash: None,
                name: category.to_string(),
                arr: arr.map(str::to_string),
                reason: format!("category {category} of {of} is missing"),
                op: Op::CreateCategory {
                    category: category.to_string(),
                },
                skip: None,
            });
        }
    }
}

/// Where a torrent is: its instance, the instance's shared files, the whole scan, the
/// indexed Arrs, the config and the time of the pass.
struct On<'a, 's> {
    inst: &'a InstanceSnapshot,
    shared: &'a shared::SharedFiles<'s>,
    space: &'a space::SpacePlan<'a>,
    snapshot: &'a Snapshot,
    arrs: &'a [ArrIndex<'a>],
    config: &'a Config,
    now: Epoch,
}

/// Decides about `t` (of hash `key`), whose record is `prev`, observing it into `rec`.
fn decide_torrent(
    on: &On<'_, '_>,
    t: &Torrent,
    key: &HashKey<'_>,
    prev: Option<&TorrentRecord>,
    rec: &mut TorrentRecord,
    plan: &mut Plan,
) {
    let (inst, snapshot, config, now) = (on.inst, on.snapshot, on.config, on.now);
    let Some(managed) = Managed::find(config, snapshot, t) else {
        triggers::triggered(on, t, key, prev, rec, plan);
        return;
    };
    let arr_cfg = managed.config;
    let index = managed.snapshot.and_then(|a| ArrIndex::of(on.arrs, a));
    let queued = index.and_then(|i| i.queued(key));
    let facts = index.map(|i| ArrFacts {
        queued,
        history_imported: i.history(key),
    });
    observe::observe_into(rec, prev, inst, t, facts, &arr_cfg.health, now);
    if config.run.triggers_on() && rec.owner.as_deref() != Some(arr_cfg.name.as_str()) {
        rec.owner = Some(arr_cfg.name.clone());
    }
    if inst.connection == Connection::Disconnected {
        // No network (VPN down, interface gone): what the torrent shows says nothing about
        // it. Its runs end; they start again when the network is back.
        rec.end_runs();
    }

    let protected = t.has_tag(&config.run.protect_tag);
    // Whether a primary action (fail, recheck, import, remove...) was planned.
    let mut acted = false;
    // Protected, or its Arr unreachable: observe only.
    if let Some(arr) = managed.snapshot
        && !protected
    {
        let ctx = Ctx {
            inst,
            shared: on.shared,
            t,
            rec,
            arr,
            queued,
            arr_cfg,
            config,
            now,
        };
        let action = primary_action(&ctx);
        let attention = action
            .as_ref()
            .is_some_and(|a| a.kind == ActionKind::Attention);
        if action
            .as_ref()
            .is_some_and(|a| a.skip == Some(SkipReason::HealthNotRead))
        {
            plan.needs_health.insert(arr.name.clone());
        }
        if let Some(action) = action {
            acted = true;
            plan.actions.push(action);
        } else if let Some(deselect) = ctx.deselect() {
            // Read again next pass, which finds them deselected (or sends this again).
            rec.files_checked = false;
            plan.actions.push(deselect);
        } else if config.run.tag_actions && rec.imported_at.is_some() && !t.has_tag(TAG_IMPORTED) {
            plan.actions.push(ctx.action(
                ActionKind::Tag,
                "imported".to_string(),
                Op::AddTags {
                    tags: vec![TAG_IMPORTED.to_string()],
                },
            ));
        }
        rec.attention_since = attention.then(|| rec.attention_since.unwrap_or(now));
    }
    if !acted && !protected {
        space_step(on, t, prev, arr_cfg, rec, plan);
        if let Some(entry) = upkeep::entry_for(config, t, prev) {
            let list = inst.trackers.get(&t.hash).map(Vec::as_slice);
            for (kind, reason, op) in upkeep::steps(entry, t, list, rec, now) {
                plan.actions.push(torrent_action(
                    inst,
                    t,
                    Some(&arr_cfg.name),
                    kind,
                    reason,
                    op,
                ));
            }
        }
    }

    remember(prev, rec, now, plan);
}

/// Plans the record `rec` observed this pass unless it is `prev` unchanged.
fn remember(prev: Option<&TorrentRecord>, rec: &TorrentRecord, now: Epoch, plan: &mut Plan) {
    // Identity is equal by construction (the record was found by it).
    if prev.is_none_or(|p| !p.same_memory(rec)) {
        let mut rec = rec.clone();
        rec.last_seen = now;
        plan.records.push(Record::Torrent(Box::new(rec)));
    }
}

/// The free-space guard's step for `t`, if any, planned and remembered in `rec`.
fn space_step(
    on: &On<'_, '_>,
    t: &Torrent,
    prev: Option<&TorrentRecord>,
    arr_cfg: &ArrConfig,
    rec: &mut TorrentRecord,
    plan: &mut Plan,
) {
    let Some(step) = on.space.step(t, prev) else {
        return;
    };
    let tag = space::TAG_SPACE.to_string();
    let (kind, reason, op) = match step {
        space::SpaceStep::Stop(reason) => {
            rec.space_paused_at = Some(on.now);
            (ActionKind::Pause, reason, Op::StopTagged { tag })
        }
        // The mark stays until a pass sees it running: a start that fails is sent again.
        space::SpaceStep::Start(reason) => (ActionKind::Resume, reason, Op::StartUntagged { tag }),
    };
    plan.actions.push(torrent_action(
        on.inst,
        t,
        Some(&arr_cfg.name),
        kind,
        reason,
        op,
    ));
}

/// An action on torrent `t` of `inst`, for Arr `arr`.
pub(crate) fn torrent_action(
    inst: &InstanceSnapshot,
    t: &Torrent,
    arr: Option<&str>,
    kind: ActionKind,
    reason: String,
    op: Op,
) -> Action {
    Action {
        kind,
        instance: inst.name.clone(),
        hash: Some(t.hash.clone()),
        name: t.name.clone(),
        arr: arr.map(str::to_string),
        reason,
        op,
        skip: None,
    }
}

/// Everything one torrent's rules look at.
pub(crate) struct Ctx<'a, 's> {
    pub inst: &'a InstanceSnapshot,
    /// Which content paths of the instance more than one torrent uses.
    pub shared: &'a shared::SharedFiles<'s>,
    pub t: &'a Torrent,
    pub rec: &'a TorrentRecord,
    pub arr: &'a ArrSnapshot,
    /// The torrent's download in the Arr's queue, if the Arr holds it.
    pub queued: Option<&'a QueueDownload>,
    pub arr_cfg: &'a ArrConfig,
    pub config: &'a Config,
    pub now: Epoch,
}

impl Ctx<'_, '_> {
    pub fn action(&self, kind: ActionKind, reason: String, op: Op) -> Action {
        torrent_action(self.inst, self.t, Some(&self.arr.name), kind, reason, op)
    }

    /// A fail: through the Arr when its queue holds the download, else straight from the
    /// client, within the guards: a private torrent under `private = "keep"` stays in
    /// qBittorrent (and one the Arr does not hold, or whose flag is unknown, is not touched),
    /// and files another torrent of the instance uses are never deleted.
    pub fn fail(&self, reason: String) -> Action {
        let queued = self.queued.and_then(|q| q.record_ids.first().copied());
        let shared = self.shared.with(&self.t.hash, &self.t.content_path);
        let keep_private = self.arr_cfg.health.private == PrivatePolicy::Keep;
        let private = self.t.private.or(self.rec.private);
        let mut skip = None;
        let mut reason = reason;
        let op = match queued {
            Some(queue_id) => {
                let client = self.client_side(&mut reason);
                Op::ArrRemove {
                    arr: self.arr.name.clone(),
                    queue_id,
                    skip_redownload: !self.arr_cfg.health.research,
                    client,
                }
            }
            None => {
                if keep_private && private != Some(false) {
                    skip = Some(SkipReason::Held(match private {
                        Some(_) => "private torrent the Arr does not hold: kept (private = \
                                    \"keep\")"
                            .to_string(),
                        None => "the Arr does not hold it and whether it is private is not \
                                 known yet: kept"
                            .to_string(),
                    }));
                }
                if skip.is_none() {
                    skip = self.direct_delete_held_back();
                }
                if let Some(other) = shared {
                    reason.push_str(&format!("; files kept: {other} uses them too"));
                }
                Op::ClientDelete {
                    delete_files: shared.is_none(),
                }
            }
        };
        let mut action = self.action(ActionKind::Fail, reason, op);
        action.skip = skip;
        action
    }

    /// What a fail through the Arr leaves in qBittorrent, the reason told why when it keeps
    /// something: a private torrent under `private = "keep"` (or one whose flag is unknown)
    /// stays, tagged; files another torrent of the instance uses stay.
    pub(crate) fn client_side(&self, reason: &mut String) -> ClientSide {
        let keep_private = self.arr_cfg.health.private == PrivatePolicy::Keep;
        let private = self.t.private.or(self.rec.private);
        if keep_private && private != Some(false) {
            if private.is_none() {
                reason.push_str("; whether it is private is not known yet: kept in qBittorrent");
            } else {
                reason.push_str("; private: kept in qBittorrent, tagged sweeparr-failed");
            }
            ClientSide::KeepTagged
        } else if let Some(other) = self.shared.with(&self.t.hash, &self.t.content_path) {
            reason.push_str(&format!("; files kept: {other} uses them too"));
            ClientSide::RemoveKeepFiles
        } else {
            ClientSide::ArrRemoves
        }
    }

    /// A fail through the Arr's history: its grab `history_id` marked failed, the torrent
    /// then deleted or kept as [`Ctx::client_side`] says.
    pub fn mark_failed(&self, reason: String, history_id: i64) -> Action {
        let mut reason = reason;
        let client = self.client_side(&mut reason);
        self.action(
            ActionKind::Fail,
            reason,
            Op::MarkFailed {
                arr: self.arr.name.clone(),
                history_id,
                client,
            },
        )
    }

    /// Why a direct deletion (the Arr's queue does not hold the torrent) must wait, if it
    /// must: an Arr that lost its download client drops that client's downloads from its
    /// queue, so absence proves nothing until the torrent was absent on an earlier pass too
    /// and the Arr's health check shows no download-client problem.
    fn direct_delete_held_back(&self) -> Option<SkipReason> {
        if self
            .rec
            .absent_from_queue_since
            .is_none_or(|since| since >= self.now)
        {
            return Some(SkipReason::Held(format!(
                "not in {}'s queue since this pass only: deleted directly only when still \
                 absent on the next pass",
                self.arr.name
            )));
        }
        let held = match &self.arr.health {
            ArrHealth::NotRead => return Some(SkipReason::HealthNotRead),
            ArrHealth::Unreadable(e) => Some(format!(
                "{}'s health check could not be read ({e}): not deleted directly",
                self.arr.name
            )),
            ArrHealth::Read(problems) if !problems.is_empty() => Some(format!(
                "{} reports a download-client problem ({}): its queue may lack this download, \
                 so it is not deleted directly",
                self.arr.name, problems[0]
            )),
            ArrHealth::Read(_) => None,
        };
        held.map(SkipReason::Held)
    }

    /// A `torrents/delete`, with the files only when asked and no other torrent of the
    /// instance uses them (the reason then says so).
    pub fn client_delete(&self, kind: ActionKind, reason: String, delete_files: bool) -> Action {
        let shared = self.shared.with(&self.t.hash, &self.t.content_path);
        let reason = match shared {
            Some(other) if delete_files => format!("{reason}; files kept: {other} uses them too"),
            _ => reason,
        };
        self.action(
            kind,
            reason,
            Op::ClientDelete {
                delete_files: delete_files && shared.is_none(),
            },
        )
    }

    /// Files of a download to deselect (`exclude_files`, `keep_only`), from the file list
    /// read this pass.
    fn deselect(&self) -> Option<Action> {
        if self.t.is_complete() || self.rec.imported_at.is_some() {
            return None;
        }
        let files = self.inst.files.get(&self.t.hash)?;
        let verdict = files::judge(files, &self.arr_cfg.health);
        if verdict.deselect.is_empty() || verdict.none_wanted {
            return None;
        }
        Some(self.action(
            ActionKind::Deselect,
            format!("not wanted: {}", verdict.reason),
            Op::FilePriority {
                ids: verdict.deselect,
                priority: 0,
            },
        ))
    }

    fn young(&self) -> bool {
        self.config
            .run
            .ignore_younger_than
            .is_some_and(|d| self.now - self.t.added_on < fmt::as_secs(d))
    }
}

/// The one primary action (fail, recheck, import or remove) of a torrent, if any.
fn primary_action(ctx: &Ctx<'_, '_>) -> Option<Action> {
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
    // Failed through its Arr and kept (private): health rules never touch it again.
    if rec.failed_kept_at.is_some() {
        return None;
    }
    if ctx.inst.connection == Connection::Disconnected {
        // No health verdict without a network; import and cleanup need none.
        return if t.is_complete() && rec.blocked_file.is_none() && !t.status.is_errored() {
            import::import_action(ctx)
        } else {
            None
        };
    }
    if !t.is_complete() {
        if ctx.young() {
            return None;
        }
        return health::verdict(t, rec, &ctx.arr_cfg.health, ctx.now)
            .map(|v| health_action(ctx, v));
    }
    // Complete, not known as imported.
    if rec.blocked_file.is_some() || t.status.is_errored() {
        // Only the file and error rules: a complete download's tracker is not its health.
        let rec = TorrentRecord {
            unregistered: None,
            no_wanted_file: false,
            ..rec.clone()
        };
        let v = health::verdict(t, &rec, &ctx.arr_cfg.health, ctx.now)?;
        return Some(health_action(ctx, v));
    }
    import::import_action(ctx)
}

fn health_action(ctx: &Ctx<'_, '_>, v: HealthVerdict) -> Action {
    match v {
        HealthVerdict::Fail(reason) => ctx.fail(reason),
        HealthVerdict::Recheck(reason) => ctx.action(ActionKind::Recheck, reason, Op::Recheck),
    }
}

fn cleanup_action(ctx: &Ctx<'_, '_>) -> Option<Action> {
    let seeding = &ctx.arr_cfg.seeding;
    let (goal, rule) = cleanup::goal_for(seeding, ctx.rec.tracker_host.as_deref());
    if ctx.arr_cfg.health.remove_unregistered
        && let Some(msg) = &ctx.rec.unregistered
    {
        return Some(ctx.client_delete(
            ActionKind::Remove,
            format!("imported; tracker says: {msg}"),
            goal.delete_files,
        ));
    }
    let why = cleanup::goal_met(ctx.t, goal)?;
    let reason = match rule {
        Some(host) => format!("imported; {why} (tracker {host})"),
        None => format!("imported; {why}"),
    };
    Some(ctx.client_delete(ActionKind::Remove, reason, goal.delete_files))
}
