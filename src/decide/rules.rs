//! User rules (`[[rule]]`), applied after the health, import and cleanup decisions.
//!
//! Rules see every torrent of a reachable instance in scope, managed or not, except
//! protected ones, those whose Arr is unreachable this pass (nothing is done for its
//! category then) and those the earlier decisions already act on (fail, remove, import,
//! recheck): one plan, no torrent acted on twice. Rules are evaluated in order; a matching
//! rule with `stop = true` ends the evaluation for that torrent. The actions of all matching
//! rules are then combined: a delete replaces every other action of the torrent; the first
//! rule to set the category, the run state (stop / start), the share limits, a reannounce or
//! a recheck wins; tags are merged, the first rule naming a tag deciding whether it is added
//! or removed. Actions that would change nothing (a tag already there, a torrent already
//! stopped, limits already set) are left out, so a rule that keeps matching stays quiet.

use std::collections::{BTreeMap, BTreeSet};

use tracing::warn;

use super::Managed;
use super::plan::{Action, ActionKind, Op, Plan};
use super::scope::Scope;
use super::select::DetailRequests;
use super::shared::SharedFiles;
use crate::config::Config;
use crate::model::Epoch;
use crate::model::{InstanceSnapshot, Snapshot, Status, Torrent};
use crate::rules::{Rule, RuleAction, TorrentView, Uses, expr};
use crate::state::{Record, State, TorrentRecord};

/// Kinds decided before rules that leave a torrent to them alone this pass.
fn is_primary(kind: ActionKind) -> bool {
    kind.is_deletion() || matches!(kind, ActionKind::Import | ActionKind::Recheck)
}

/// The rules that take part in this pass (`finished` ones only in `--hash` runs).
fn active<'c>(config: &'c Config, scope: &Scope) -> Vec<&'c Rule> {
    let finished = scope.narrowed_to_hashes();
    config
        .rules
        .iter()
        .filter(|r| r.context.applies(finished))
        .collect()
}

/// Torrents rules may act on: reachable instance and torrent in scope, not protected, and
/// not in the category of an unreachable Arr. Yields the instance, the torrent and its Arr.
fn candidates<'a>(
    snapshot: &'a Snapshot,
    config: &'a Config,
    scope: &'a Scope,
) -> impl Iterator<Item = (&'a InstanceSnapshot, &'a Torrent, Option<&'a str>)> {
    snapshot
        .instances
        .iter()
        .filter(|i| i.reachable && scope.has_instance(&i.name))
        .flat_map(move |inst| {
            inst.torrents
                .iter()
                .filter(|t| scope.has_hash(&t.hash) && !t.has_tag(&config.run.protect_tag))
                .filter_map(move |t| match Managed::find(config, snapshot, t) {
                    None => Some((inst, t, None)),
                    Some(m) => m.snapshot.map(|_| (inst, t, Some(m.config.name.as_str()))),
                })
        })
}

/// Adds the per-torrent requests the active rules' fields need: files when a rule reads
/// `files`, trackers for `tracker_message` (of every torrent with a tracker, or on 5.2+ of
/// those the list flags with a tracker error), the
/// properties for `private` where the torrent list does not say it (4.x).
pub fn details(snapshot: &Snapshot, config: &Config, scope: &Scope, out: &mut DetailRequests) {
    let uses = active(config, scope)
        .iter()
        .map(|r| r.when.uses())
        .fold(Uses::default(), |a, b| Uses {
            files: a.files || b.files,
            tracker_message: a.tracker_message || b.tracker_message,
            private: a.private || b.private,
        });
    if uses == Uses::default() {
        return;
    }
    let mut files: BTreeSet<(String, String)> = out.files.iter().cloned().collect();
    let mut trackers: BTreeSet<(String, String)> = out.trackers.iter().cloned().collect();
    let mut private: BTreeSet<(String, String)> = out.private.iter().cloned().collect();
    for (inst, t, _) in candidates(snapshot, config, scope) {
        let key = (inst.name.clone(), t.hash.clone());
        let has_metadata = t.status != Status::MetaDl && t.size > 0;
        if uses.files && has_metadata && files.insert(key.clone()) {
            out.files.push(key.clone());
        }
        // The list tells tracker trouble only from 5.2 (a flag); before, every torrent
        // with a tracker may have one.
        if uses.tracker_message
            && t.trackers_count > 0
            && t.tracker_error != Some(false)
            && trackers.insert(key.clone())
        {
            out.trackers.push(key.clone());
        }
        if uses.private && t.private.is_none() && has_metadata && private.insert(key.clone()) {
            out.private.push(key);
        }
    }
}

/// The actions of every matching rule, for torrents the plan so far leaves alone.
pub fn apply(
    snapshot: &Snapshot,
    state: &State,
    config: &Config,
    scope: &Scope,
    plan: &Plan,
    now: Epoch,
) -> Vec<Action> {
    let rules = active(config, scope);
    if rules.is_empty() {
        return vec![];
    }
    let mut planned: BTreeMap<(&str, &str), BTreeSet<ActionKind>> = BTreeMap::new();
    for a in &plan.actions {
        if let Some(hash) = &a.hash {
            planned
                .entry((a.instance.as_str(), hash.as_str()))
                .or_default()
                .insert(a.kind);
        }
    }
    // The torrent records as this pass changed them, by instance and hash.
    let changed: BTreeMap<(&str, &str), &TorrentRecord> = plan
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Torrent(t) => Some(((t.instance.as_str(), t.hash.as_str()), &**t)),
            _ => None,
        })
        .collect();
    let env = expr::env();
    let mut shared = BTreeMap::new();
    let mut out = vec![];
    for (inst, t, arr) in candidates(snapshot, config, scope) {
        let kinds = planned.get(&(inst.name.as_str(), t.hash.as_str()));
        if kinds.is_some_and(|k| k.iter().any(|&k| is_primary(k))) {
            continue;
        }
        let imported = changed
            .get(&(inst.name.as_str(), t.hash.as_str()))
            .copied()
            .or_else(|| state.torrent(&inst.name, &t.hash))
            .is_some_and(|r| r.imported_at.is_some());
        let view = TorrentView {
            instance: &inst.name,
            torrent: t,
            arr,
            imported,
            trackers: inst.trackers.get(&t.hash).map(Vec::as_slice),
            files: inst.files.get(&t.hash).map(Vec::as_slice),
            now,
        };
        let ctx = view.context(env.clone());
        let mut matched: Vec<(&str, &RuleAction)> = vec![];
        for rule in &rules {
            match rule.when.matches(&ctx) {
                Ok(true) => {
                    matched.extend(rule.then.iter().map(|a| (rule.name.as_str(), a)));
                    if rule.stop {
                        break;
                    }
                }
                Ok(false) => {}
                Err(error) => warn!(
                    rule = %rule.name,
                    instance = %inst.name,
                    hash = %t.hash,
                    %error,
                    "rule could not be evaluated for this torrent; taken as not matching"
                ),
            }
        }
        let target = Target {
            instance: &inst.name,
            t,
            arr,
            shared: shared_of(&mut shared, inst),
        };
        let already = kinds.cloned().unwrap_or_default();
        out.extend(
            combine(&target, &matched)
                .into_iter()
                .filter(|a| !already.contains(&a.kind)),
        );
    }
    out
}

/// The torrent a rule acts on.
struct Target<'a, 's> {
    instance: &'a str,
    t: &'a Torrent,
    arr: Option<&'a str>,
    /// The shared files of its instance.
    shared: &'a SharedFiles<'s>,
}

/// The shared-files index of `inst`, built once per instance.
fn shared_of<'a, 'b>(
    cache: &'b mut BTreeMap<&'a str, SharedFiles<'a>>,
    inst: &'a InstanceSnapshot,
) -> &'b SharedFiles<'a> {
    cache
        .entry(inst.name.as_str())
        .or_insert_with(|| SharedFiles::new(&inst.torrents))
}

impl Target<'_, '_> {
    fn action(&self, kind: ActionKind, reason: String, op: Op) -> Action {
        Action {
            kind,
            instance: self.instance.to_string(),
            hash: Some(self.t.hash.clone()),
            name: self.t.name.clone(),
            arr: self.arr.map(str::to_string),
            reason,
            op,
            skip: None,
        }
    }
}

fn because(rule: &str, action: &RuleAction) -> String {
    format!("rule \"{rule}\": {action}")
}

/// One torrent's matched actions, in rule order, made into at most one action per kind.
fn combine(target: &Target<'_, '_>, matched: &[(&str, &RuleAction)]) -> Vec<Action> {
    let t = target.t;
    if let Some((rule, a @ RuleAction::Delete { files })) = matched
        .iter()
        .find(|(_, a)| matches!(a, RuleAction::Delete { .. }))
    {
        let shared = target.shared.with(&t.hash, &t.content_path);
        let reason = match shared {
            Some(other) if *files => {
                format!("{}; files kept: {other} uses them too", because(rule, a))
            }
            _ => because(rule, a),
        };
        return vec![target.action(
            ActionKind::Delete,
            reason,
            Op::ClientDelete {
                delete_files: *files && shared.is_none(),
            },
        )];
    }
    let paused = matches!(t.status, Status::PausedUp | Status::PausedDl);
    let mut tag_slots = BTreeSet::new();
    let mut slots = BTreeSet::new();
    let (mut add, mut add_why) = (vec![], vec![]);
    let (mut remove, mut remove_why) = (vec![], vec![]);
    let mut rest = vec![];
    for &(rule, a) in matched {
        let why = because(rule, a);
        match a {
            RuleAction::Tag(tag) if tag_slots.insert(tag) && !t.has_tag(tag) => {
                add.push(tag.clone());
                add_why.push(why);
            }
            RuleAction::Untag(tag) if tag_slots.insert(tag) && t.has_tag(tag) => {
                remove.push(tag.clone());
                remove_why.push(why);
            }
            RuleAction::Tag(_) | RuleAction::Untag(_) | RuleAction::Delete { .. } => {}
            RuleAction::Category(c) if slots.insert("category") && &t.category != c => {
                rest.push(target.action(
                    ActionKind::SetCategory,
                    why,
                    Op::SetCategory {
                        category: c.clone(),
                    },
                ));
            }
            RuleAction::Stop if slots.insert("run") && !paused => {
                rest.push(target.action(ActionKind::Stop, why, Op::Stop));
            }
            RuleAction::Start if slots.insert("run") && paused => {
                rest.push(target.action(ActionKind::Start, why, Op::Start));
            }
            RuleAction::ShareLimits(l)
                if slots.insert("share_limits")
                    && !l.already(
                        t.ratio_limit,
                        t.seeding_time_limit,
                        t.inactive_seeding_time_limit,
                    ) =>
            {
                rest.push(target.action(
                    ActionKind::ShareLimits,
                    why,
                    Op::SetShareLimits {
                        ratio: l.ratio,
                        seeding_minutes: l.seeding_minutes,
                        inactive_minutes: l.inactive_minutes,
                    },
                ));
            }
            RuleAction::Reannounce if slots.insert("reannounce") => {
                rest.push(target.action(ActionKind::Reannounce, why, Op::Reannounce));
            }
            RuleAction::Recheck if slots.insert("recheck") && !t.status.is_busy() => {
                rest.push(target.action(ActionKind::Recheck, why, Op::Recheck));
            }
            _ => {}
        }
    }
    let mut out = vec![];
    if !add.is_empty() {
        out.push(target.action(
            ActionKind::Tag,
            add_why.join("; "),
            Op::AddTags { tags: add },
        ));
    }
    if !remove.is_empty() {
        out.push(target.action(
            ActionKind::Untag,
            remove_why.join("; "),
            Op::RemoveTags { tags: remove },
        ));
    }
    out.extend(rest);
    out
}
