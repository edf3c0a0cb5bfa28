//! Import: trigger the Arr's import of a complete download once, and fail a download the
//! Arr cannot import for `failed_import_after`, unless another release could not be
//! imported either (see [`UNFIXABLE`]): then it only asks for attention.

use super::fmt::{as_secs, over, secs};
use super::plan::{Action, ActionKind, Op, SkipReason};
use super::{Ctx, path_map};

/// Pieces (lower-case) of the Arrs' import status messages that another release would not
/// fix: the problem is the setup, not the download. Failing such a download only makes the
/// Arr grab the next release, which fails the same way. Sources: Radarr/Sonarr
/// `ImportApprovedMovie(s)`/`DownloadedEpisodesImportService` and their specifications
/// (`FreeSpaceSpecification`, `NotUnpackingSpecification`, `UpgradeSpecification`,
/// `AlreadyImportedSpecification`), the TBA / recently-aired checks of Sonarr, and the
/// path checks of the download-client and remote-path-mapping health checks.
pub const UNFIXABLE: &[(&str, &str)] = &[
    (
        "no files found are eligible for import",
        "the Arr cannot see the files: a remote path mapping or volume mistake",
    ),
    (
        "is not a valid local path",
        "the Arr cannot see the path: a remote path mapping mistake",
    ),
    (
        "does not exist",
        "the path the client reports does not exist for the Arr",
    ),
    ("not enough free space", "the Arr's disk is full"),
    ("free space", "the Arr's disk is full"),
    ("unpack", "the download is still being unpacked"),
    (
        "access to the path",
        "the Arr may not read or write the path",
    ),
    ("denied", "the Arr may not read or write the path"),
    ("permission", "the Arr may not read or write the path"),
    (
        "not an upgrade",
        "the library already has this quality or better",
    ),
    ("recently aired", "Sonarr waits for the episode's title"),
    ("tba title", "Sonarr waits for the episode's title"),
];

/// The Arr message of `messages` that another release would not fix (built in, or one of
/// the user's `extra` pieces), if any.
pub fn unfixable<'a>(messages: &'a [String], extra: &[String]) -> Option<&'a str> {
    messages
        .iter()
        .find(|m| {
            let lower = m.to_lowercase();
            UNFIXABLE.iter().any(|(piece, _)| lower.contains(piece))
                || extra.iter().any(|piece| lower.contains(piece.as_str()))
        })
        .map(String::as_str)
}

/// The import-related action of a complete torrent not yet known as imported.
pub(crate) fn import_action(ctx: &Ctx<'_, '_>) -> Option<Action> {
    let queued = ctx.queued?;
    let limit = ctx.arr_cfg.health.failed_import_after;
    if queued.import_problem()
        && let Some(message) = unfixable(&queued.messages, &ctx.arr_cfg.health.failed_import_ignore)
    {
        let mut action = ctx.action(ActionKind::Attention, message.to_string(), Op::Report);
        action.skip = Some(SkipReason::Held(
            "another release would not import either: fix the setup (path mapping, \
             volume, free space, permissions) or import it by hand; not failed"
                .to_string(),
        ));
        return Some(action);
    }
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
            display_state(queued.tracked_state.as_str())
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
    if same_folder(&ctx.t.content_path, &ctx.t.save_path) {
        // A multi-file torrent without a root folder: a scan of the save folder would import
        // every other download in it too.
        let mut action = ctx.action(
            ActionKind::Import,
            reason,
            Op::ImportScan {
                arr: ctx.arr.name.clone(),
                path: ctx.t.content_path.clone(),
                download_id: ctx.t.download_id(),
                import_mode: ctx.arr_cfg.import_mode,
            },
        );
        action.skip = Some(SkipReason::Held(format!(
            "not sent: the content path {} is the whole save folder (a torrent without a root \
             folder), and a scan of it would import every download there; the Arr imports it \
             by itself",
            ctx.t.content_path
        )));
        return Some(action);
    }
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

/// True when two paths name the same folder (trailing separators ignored).
fn same_folder(a: &str, b: &str) -> bool {
    let trim = |p: &str| p.trim_end_matches(['/', '\\']).to_string();
    !a.is_empty() && trim(a) == trim(b)
}

fn display_state(s: &str) -> &str {
    if s.is_empty() { "unknown" } else { s }
}
