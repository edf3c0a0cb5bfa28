//! Category triggers (`[run] failed_category`, `recheck_category`): a torrent moved by hand,
//! in qBittorrent's own UI, into `failed_category` is failed through the Arr that owned it as
//! a stalled one would be; one moved into `recheck_category` is rechecked and moved back to
//! its Arr's category.
//!
//! The owner is the Arr whose category the torrent was last seen in, remembered in its
//! record (the category itself no longer says). An Arr that leaves a download in its queue
//! after the category changed has it removed from the queue (`DELETE queue/{id}`); one whose
//! queue dropped it has its grab marked failed (`POST history/failed/{id}`), then sweeparr
//! deletes the torrent itself.

use super::arr_index::ArrIndex;
use super::observe::{self, ArrFacts};
use super::{Ctx, On, remember, torrent_action};
use crate::decide::{Action, ActionKind, ClientSide, Op, Plan, SkipReason, TAG_FAILED};
use crate::model::{Grab, HashKey, Torrent};
use crate::state::TorrentRecord;

/// Decides about `t`, in no Arr's category, when it is in a trigger category.
pub(super) fn triggered(
    on: &On<'_, '_>,
    t: &Torrent,
    key: &HashKey<'_>,
    prev: Option<&TorrentRecord>,
    rec: &mut TorrentRecord,
    plan: &mut Plan,
) {
    let run = &on.config.run;
    let failed = run.failed_category.as_ref() == Some(&t.category);
    let recheck = run.recheck_category.as_ref() == Some(&t.category);
    if !(failed || recheck) || t.has_tag(&run.protect_tag) {
        return;
    }
    let report = |reason: String, why: &str| Action {
        skip: Some(SkipReason::Held(why.to_string())),
        ..torrent_action(on.inst, t, None, ActionKind::Attention, reason, Op::Report)
    };
    let Some(owner) = prev
        .and_then(|r| r.owner.as_deref())
        .and_then(|o| on.config.arr.get(o))
    else {
        plan.actions.push(report(
            format!(
                "moved into category {} but never seen in an Arr's category: nothing done",
                t.category
            ),
            "no Arr known for it",
        ));
        return;
    };
    // Indexed only when reachable.
    let index = ArrIndex::named(on.arrs, &owner.name);
    let arr = index.map(|i| i.arr);
    let queued = index.and_then(|i| i.queued(key));
    let facts = index.map(|_| ArrFacts {
        queued,
        history_imported: None,
    });
    observe::observe_into(rec, prev, on.inst, t, facts, &owner.health, on.now);

    if recheck {
        plan.actions.push(torrent_action(
            on.inst,
            t,
            Some(&owner.name),
            ActionKind::Recheck,
            format!(
                "moved into category {}: rechecked and moved back to {}",
                t.category, owner.category
            ),
            Op::RecheckInto {
                category: owner.category.clone(),
            },
        ));
        remember(prev, rec, on.now, plan);
        return;
    }
    // Nothing destructive while the owner is unreachable.
    let Some(arr) = arr else {
        remember(prev, rec, on.now, plan);
        return;
    };
    let ctx = Ctx {
        inst: on.inst,
        shared: on.shared,
        t,
        rec,
        arr,
        queued,
        arr_cfg: owner,
        config: on.config,
        now: on.now,
    };
    let reason = format!("moved into category {} by hand", t.category);
    let action = if queued.is_some() {
        Some(ctx.fail(reason))
    } else {
        match arr.grabs.get(&t.download_id()) {
            Some(Grab::Grabbed(history_id)) => Some(ctx.mark_failed(reason, *history_id)),
            // Blocklisted already (a pass whose deletion failed after the Arr's part, or the
            // Arr's own handling): what is left is the client's part, never a second
            // blocklisting.
            Some(Grab::Failed) => {
                let mut reason = format!("{reason}; already failed in {}", owner.name);
                match ctx.client_side(&mut reason) {
                    ClientSide::KeepTagged if t.has_tag(TAG_FAILED) => None,
                    ClientSide::KeepTagged => Some(ctx.action(
                        ActionKind::Tag,
                        reason,
                        Op::AddTags {
                            tags: vec![TAG_FAILED.to_string()],
                        },
                    )),
                    side => Some(ctx.action(
                        ActionKind::Fail,
                        reason,
                        Op::ClientDelete {
                            delete_files: side == ClientSide::ArrRemoves,
                        },
                    )),
                }
            }
            Some(Grab::Missing) => Some(report(
                format!(
                    "{reason}, but {} holds no grab of it (not in its queue, none in its \
                     history): not failed",
                    owner.name
                ),
                "nothing to blocklist",
            )),
            // Not read this pass: the Arr's `error` says why.
            None => None,
        }
    };
    plan.actions.extend(action);
    remember(prev, rec, on.now, plan);
}
