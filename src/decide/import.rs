//! Import: trigger the Arr's import of a complete download once, and fail a download the
//! Arr cannot import for `failed_import_after`.

use super::fmt::{as_secs, over, secs};
use super::plan::{Action, ActionKind, Op};
use super::{Ctx, path_map};

/// The import-related action of a complete torrent not yet known as imported.
pub(crate) fn import_action(ctx: &Ctx<'_>) -> Option<Action> {
    let queued = ctx.arr.queue.get(&ctx.t.download_id())?;
    let limit = ctx.arr_cfg.health.failed_import_after;
    if let (Some(limit), Some(since)) = (limit, ctx.rec.import_problem_since) {
        let lasted = ctx.now - since;
        if lasted >= as_secs(limit) {
            let detail = queued
                .messages
                .first()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            return Some(ctx.fail(format!(
                "import {} {}{detail}",
                queued.tracked_state,
                over(lasted, limit)
            )));
        }
    }
    if queued.imported_or_importing() {
        return None;
    }
    let reason = match ctx.rec.import_sent_at {
        None => format!(
            "complete; Arr state {}",
            display_state(&queued.tracked_state)
        ),
        Some(sent) => {
            let limit = limit?;
            let waited = ctx.now - sent;
            if waited < as_secs(limit) {
                return None;
            }
            format!("no import {} after the previous scan", secs(waited))
        }
    };
    let qb = ctx.config.qbit.get(&ctx.inst.name);
    let path = path_map::apply(
        qb.map(|q| q.path_map.as_slice()).unwrap_or_default(),
        &ctx.t.content_path,
    );
    Some(ctx.action(
        ActionKind::Import,
        reason,
        Op::ImportScan {
            arr: ctx.arr.name.clone(),
            path,
            download_id: ctx.t.download_id(),
            import_mode: ctx.arr_cfg.import_mode,
        },
    ))
}

fn display_state(s: &str) -> &str {
    if s.is_empty() { "unknown" } else { s }
}
