//! From the file as written ([`RawConfig`]) to the typed [`Config`]: defaults, per-Arr
//! overrides, normalisation and every check that needs more than the value's type.
//!
//! Secrets are not resolved here: their sources are set (file paths made absolute) and
//! their values left empty for `load` to fill.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::defaults::{QBIT_USERNAME, STATE_PATH};
use super::error::{ConfigError, Ctx};
use super::raw::{
    Ratio, RawArr, RawConfig, RawHealth, RawOrphans, RawQbit, RawRun, RawSecret, RawSeeding,
    RawSpace, RawState, RawTracker, RawUpkeep, Threshold,
};
use super::secret::{Secret, SecretSource};
use super::types::{
    ArrConfig, Config, FileGlobs, Health, ImportMode, Orphans, QbitConfig, RunConfig, SeedGoal,
    SeedMode, Seeding, Space, StateConfig, TrackerRule, Upkeep,
};
use super::values::{
    check_name, check_table, extensions, http_url, path_map, positive, secret_source, threshold,
};

/// Applies defaults and overrides and checks everything; secrets stay unresolved.
pub(crate) fn build(raw: RawConfig, ctx: &Ctx) -> Result<Config, ConfigError> {
    let state = state(&raw.state, ctx)?;
    let run = run(&raw.run, ctx)?;
    let space = merge_space((None, RESUME_MARGIN), &raw.space);
    let mut qbit = BTreeMap::new();
    for (name, entry) in &raw.qbit {
        let mut instance = qbit_instance(name, entry, ctx)?;
        instance.space = space_guard(match &entry.space {
            Some(own) => merge_space(space, own),
            None => space,
        });
        qbit.insert(name.clone(), instance);
    }
    let health = merge_health(&Health::default(), &raw.health, "health", ctx)?;
    let goal = merge_goal(&SeedGoal::default(), GoalPatch::from(&raw.seeding));
    let global_trackers = raw.seeding.tracker.as_deref().unwrap_or_default();
    // Checked once on their own, so a bad rule is reported even when no Arr uses it.
    trackers(global_trackers, &goal, "seeding.tracker", ctx)?;
    let mut arr = BTreeMap::new();
    let mut categories: BTreeMap<String, String> = BTreeMap::new();
    for (name, entry) in &raw.arr {
        let built = arr_entry(name, entry, &health, &goal, global_trackers, ctx)?;
        let folded = built.category.to_lowercase();
        if let Some(other) = categories.insert(folded, name.clone()) {
            return Err(ctx.invalid(
                format!("arr.{name}.category"),
                format!(
                    "category {:?} is already used by arr.{other}; expected a category \
                     unique to each Arr",
                    built.category
                ),
            ));
        }
        arr.insert(name.clone(), built);
    }
    for (key, trigger) in [
        ("run.failed_category", &run.failed_category),
        ("run.recheck_category", &run.recheck_category),
    ] {
        let Some(trigger) = trigger else { continue };
        if let Some(owner) = categories.get(&trigger.to_lowercase()) {
            return Err(ctx.invalid(
                key,
                format!(
                    "category {trigger:?} is arr.{owner}'s; expected a category of its own, \
                     e.g. \"failed\""
                ),
            ));
        }
    }
    if run.failed_category.is_some() && run.failed_category == run.recheck_category {
        return Err(ctx.invalid(
            "run.recheck_category",
            "is the same as run.failed_category; expected a category of its own",
        ));
    }
    let rules = super::rules::rules(&raw.rule, ctx)?;
    let orphans = raw
        .orphans
        .as_ref()
        .map(|o| orphans(o, ctx))
        .transpose()?
        .flatten();
    let trackers = upkeep(&raw.tracker, ctx)?;
    Ok(Config {
        orphans,
        trackers,
        source: ctx.origin.to_owned(),
        state,
        run,
        qbit,
        arr,
        notify: super::notify::targets(&raw.notify, ctx)?,
        rules,
    })
}

fn state(raw: &RawState, ctx: &Ctx) -> Result<StateConfig, ConfigError> {
    let mut state = StateConfig::default_in(ctx.base_dir);
    if let Some(backend) = raw.backend {
        state.backend = backend;
    }
    let path = raw.path.as_deref().unwrap_or(Path::new(STATE_PATH));
    if path.as_os_str().is_empty() {
        return Err(ctx.invalid(
            "state.path",
            "expected a folder path, found an empty string",
        ));
    }
    state.path = ctx.base_dir.join(path);
    if let Some(table) = &raw.table {
        check_table(table).map_err(|e| ctx.invalid("state.table", e))?;
        state.table = table.clone();
    }
    if let Some(endpoint) = &raw.endpoint_url {
        let url = http_url(
            Some(endpoint),
            "state.endpoint_url",
            "http://127.0.0.1:8000",
            ctx,
        )?;
        state.endpoint_url = Some(url.to_string());
    }
    Ok(state)
}

fn run(raw: &RawRun, ctx: &Ctx) -> Result<RunConfig, ConfigError> {
    let base = RunConfig::default();
    let protect_tag = raw.protect_tag.clone().unwrap_or(base.protect_tag);
    tag_name(&protect_tag, "run.protect_tag", ctx)?;
    Ok(RunConfig {
        dry_run: raw.dry_run.unwrap_or(base.dry_run),
        protect_tag,
        max_deletions: raw.max_deletions.unwrap_or(base.max_deletions),
        ignore_younger_than: threshold(raw.ignore_younger_than, base.ignore_younger_than),
        deadline: positive(raw.deadline, base.deadline, "run.deadline", ctx)?,
        tag_actions: raw.tag_actions.unwrap_or(base.tag_actions),
        http_timeout: positive(raw.http_timeout, base.http_timeout, "run.http_timeout", ctx)?,
        lease_margin: positive(raw.lease_margin, base.lease_margin, "run.lease_margin", ctx)?,
        failed_category: trigger(raw.failed_category.as_deref(), "run.failed_category", ctx)?,
        recheck_category: trigger(raw.recheck_category.as_deref(), "run.recheck_category", ctx)?,
    })
}

/// A qBittorrent tag name: not empty, no ',' (the API's list separator).
fn tag_name(tag: &str, key: &str, ctx: &Ctx) -> Result<(), ConfigError> {
    if tag.trim().is_empty() || tag.contains(',') {
        return Err(ctx.invalid(key, "expected a qBittorrent tag name: not empty, no ','"));
    }
    Ok(())
}

/// A folder path that must be absolute.
fn absolute(path: &Path, key: &str, ctx: &Ctx) -> Result<(), ConfigError> {
    if path.is_absolute() {
        return Ok(());
    }
    Err(ctx.invalid(
        key,
        format!(
            "expected an absolute folder path, found {:?}",
            path.display().to_string()
        ),
    ))
}

/// A trigger category: a qBittorrent category name, or `None` when not written.
fn trigger(raw: Option<&str>, key: &str, ctx: &Ctx) -> Result<Option<String>, ConfigError> {
    match raw {
        None => Ok(None),
        Some(c) if c.trim().is_empty() || c.trim() != c || c.contains('\\') => Err(ctx.invalid(
            key,
            format!("expected a qBittorrent category name such as \"failed\", found {c:?}"),
        )),
        Some(c) => Ok(Some(c.to_owned())),
    }
}

fn qbit_instance(name: &str, raw: &RawQbit, ctx: &Ctx) -> Result<QbitConfig, ConfigError> {
    let key = format!("qbit.{name}");
    check_name(name, &key, ctx)?;
    let url = http_url(
        raw.url.as_deref(),
        &format!("{key}.url"),
        "http://127.0.0.1:8080",
        ctx,
    )?;
    let password = raw
        .password
        .as_ref()
        .map_or(SecretSource::Literal(String::new()), |s| {
            secret_source(s, ctx)
        });
    let api_key_source = match &raw.api_key {
        Some(RawSecret(SecretSource::Literal(v))) if v.trim().is_empty() => {
            return Err(ctx.invalid(
                format!("{key}.api_key"),
                "is empty; expected the WebUI API key (qBittorrent 5.2+, Options > WebUI), \
                 e.g. { env = \"QBIT_API_KEY\" }, or leave it out to log in with \
                 username and password",
            ));
        }
        Some(secret) => Some(secret_source(secret, ctx)),
        None => None,
    };
    if api_key_source.is_some() && (raw.username.is_some() || raw.password.is_some()) {
        return Err(ctx.invalid(
            format!("{key}.api_key"),
            "is set together with username/password; expected one of them: api_key \
             (qBittorrent 5.2+, no login) or username and password",
        ));
    }
    Ok(QbitConfig {
        name: name.to_owned(),
        url,
        username: raw.username.clone().unwrap_or(QBIT_USERNAME.to_owned()),
        password_source: password,
        password: Secret::default(),
        api_key_source,
        api_key: Secret::default(),
        disabled: raw.disabled.unwrap_or(false),
        path_map: path_map(raw.path_map.as_ref(), &format!("{key}.path_map"), ctx)?,
        tls_insecure: raw.tls_insecure.unwrap_or(false),
        space: None,
    })
}

/// `[orphans]`; `None` without roots. Paths are absolute (the file may be read from
/// anywhere, and a relative root would move files under the working directory).
fn orphans(raw: &RawOrphans, ctx: &Ctx) -> Result<Option<Orphans>, ConfigError> {
    let roots = raw.roots.clone().unwrap_or_default();
    if roots.is_empty() {
        return Ok(None);
    }
    for (i, root) in roots.iter().enumerate() {
        absolute(root, &format!("orphans.roots[{i}]"), ctx)?;
    }
    let recycle = raw.recycle.clone().ok_or_else(|| {
        ctx.invalid(
            "orphans.recycle",
            "missing; expected the absolute folder orphans are moved to, on the same \
             filesystem as the roots, e.g. \"/downloads/.sweeparr-recycle\"",
        )
    })?;
    absolute(&recycle, "orphans.recycle", ctx)?;
    if let Some(i) = roots.iter().position(|r| r.starts_with(&recycle)) {
        return Err(ctx.invalid(
            format!("orphans.roots[{i}]"),
            "is inside orphans.recycle; expected the recycle folder outside every root or \
             within one",
        ));
    }
    let max_per_pass = raw.max_per_pass.unwrap_or(50);
    if max_per_pass == 0 {
        return Err(ctx.invalid(
            "orphans.max_per_pass",
            "expected at least 1 (leave [orphans] out to turn it off)",
        ));
    }
    Ok(Some(Orphans {
        roots,
        recycle,
        min_age: threshold(raw.min_age, Some(Duration::from_secs(24 * 3600)))
            .unwrap_or(Duration::ZERO),
        purge_after: threshold(raw.purge_after, Some(Duration::from_secs(30 * 24 * 3600))),
        max_per_pass,
    }))
}

/// `resume_margin` when written nowhere.
const RESUME_MARGIN: u64 = 5 << 30;

/// `[space]` of `raw` over `base` (`min_free`, `resume_margin`); `min_free` `None` = off.
fn merge_space(base: (Option<u64>, u64), raw: &RawSpace) -> (Option<u64>, u64) {
    (
        raw.min_free.map_or(base.0, |size| size.0),
        raw.resume_margin.map_or(base.1, |size| size.0.unwrap_or(0)),
    )
}

/// The guard of settings merged by [`merge_space`].
fn space_guard((min_free, resume_margin): (Option<u64>, u64)) -> Option<Space> {
    min_free.map(|min_free| Space {
        min_free,
        resume_margin,
    })
}

fn arr_entry(
    name: &str,
    raw: &RawArr,
    health: &Health,
    goal: &SeedGoal,
    global_trackers: &[RawTracker],
    ctx: &Ctx,
) -> Result<ArrConfig, ConfigError> {
    let key = format!("arr.{name}");
    check_name(name, &key, ctx)?;
    let kind = raw.kind.ok_or_else(|| {
        ctx.invalid(
            format!("{key}.kind"),
            "missing; expected one of radarr, sonarr, lidarr",
        )
    })?;
    let url = http_url(
        raw.url.as_deref(),
        &format!("{key}.url"),
        "http://127.0.0.1:7878",
        ctx,
    )?;
    let api_key_source = match &raw.api_key {
        Some(RawSecret(SecretSource::Literal(v))) if v.is_empty() => None,
        Some(secret) => Some(secret_source(secret, ctx)),
        None => None,
    }
    .ok_or_else(|| {
        ctx.invalid(
            format!("{key}.api_key"),
            "missing; expected the Arr's API key (Settings > General), e.g. \
             { env = \"RADARR_API_KEY\" }",
        )
    })?;
    let category = raw.category.clone().unwrap_or_default();
    if category.trim().is_empty() {
        return Err(ctx.invalid(
            format!("{key}.category"),
            "expected the qBittorrent category of this Arr's downloads (not empty)",
        ));
    }
    let health = match &raw.health {
        Some(over) => merge_health(health, over, &format!("{key}.health"), ctx)?,
        None => health.clone(),
    };
    let empty = RawSeeding::default();
    let seeding = raw.seeding.as_ref().unwrap_or(&empty);
    let goal = merge_goal(goal, GoalPatch::from(seeding));
    let trackers = match &seeding.tracker {
        Some(own) => trackers(own, &goal, &format!("{key}.seeding.tracker"), ctx)?,
        None => trackers(global_trackers, &goal, "seeding.tracker", ctx)?,
    };
    Ok(ArrConfig {
        name: name.to_owned(),
        kind,
        url,
        api_key_source,
        api_key: Secret::default(),
        category,
        import_mode: raw.import_mode.map_or(ImportMode::Auto, Into::into),
        health,
        seeding: Seeding { goal, trackers },
        tls_insecure: raw.tls_insecure.unwrap_or(false),
        search: raw
            .search
            .as_ref()
            .map(|s| super::search::search(s, &format!("{key}.search"), ctx))
            .transpose()?,
    })
}

fn merge_health(
    base: &Health,
    raw: &RawHealth,
    key: &str,
    ctx: &Ctx,
) -> Result<Health, ConfigError> {
    let blocked_extensions = match &raw.blocked_extensions {
        Some(list) => extensions(list, &format!("{key}.blocked_extensions"), ctx)?,
        None => base.blocked_extensions.clone(),
    };
    let exclude_files = match &raw.exclude_files {
        Some(list) => globs(
            list,
            &format!("{key}.exclude_files"),
            "a file pattern such as \"*sample*\" or \"*.nfo\"",
            ctx,
        )?,
        None => base.exclude_files.clone(),
    };
    let keep_only = match &raw.keep_only {
        Some(list) => extensions(list, &format!("{key}.keep_only"), ctx)?,
        None => base.keep_only.clone(),
    };
    Ok(Health {
        exclude_files,
        keep_only,
        stalled_after: threshold(raw.stalled_after, base.stalled_after),
        max_eta: threshold(raw.max_eta, base.max_eta),
        unavailable_after: threshold(raw.unavailable_after, base.unavailable_after),
        remove_unregistered: raw.remove_unregistered.unwrap_or(base.remove_unregistered),
        tracker_recheck: positive(
            raw.tracker_recheck,
            base.tracker_recheck,
            &format!("{key}.tracker_recheck"),
            ctx,
        )?,
        blocked_extensions,
        failed_import_after: threshold(raw.failed_import_after, base.failed_import_after),
        failed_import_ignore: match &raw.failed_import_ignore {
            Some(list) => fragments(list, &format!("{key}.failed_import_ignore"), ctx)?,
            None => base.failed_import_ignore.clone(),
        },
        research: raw.research.unwrap_or(base.research),
        min_speed: raw.min_speed.map_or(base.min_speed, |s| s.0),
        slow_after: positive(
            raw.slow_after,
            base.slow_after,
            &format!("{key}.slow_after"),
            ctx,
        )?,
        private: raw.private.unwrap_or(base.private),
    })
}

/// Globs, compiled; an empty one would match nothing a user meant. `expected` says what a
/// good one looks like.
fn globs(list: &[String], key: &str, expected: &str, ctx: &Ctx) -> Result<FileGlobs, ConfigError> {
    if let Some(i) = list.iter().position(|p| p.trim().is_empty()) {
        return Err(ctx.invalid(
            format!("{key}[{i}]"),
            format!("is empty; expected {expected}"),
        ));
    }
    let patterns = list.iter().map(|p| p.trim().to_owned()).collect();
    FileGlobs::new(patterns).map_err(|(i, why)| {
        ctx.invalid(format!("{key}[{i}]"), format!("{why}; expected {expected}"))
    })
}

/// Message fragments, trimmed and lower-cased; an empty one would match every message.
fn fragments(list: &[String], key: &str, ctx: &Ctx) -> Result<Vec<String>, ConfigError> {
    list.iter()
        .enumerate()
        .map(|(i, f)| {
            let f = f.trim().to_lowercase();
            if f.is_empty() {
                Err(ctx.invalid(
                    format!("{key}[{i}]"),
                    "is empty; expected a piece of an Arr status message, e.g. \"no files found\"",
                ))
            } else {
                Ok(f)
            }
        })
        .collect()
}

/// The goal keys shared by `[seeding]`, `[arr.NAME.seeding]` and `[[seeding.tracker]]`.
///
/// Gathered here rather than with `#[serde(flatten)]` in the raw tables: serde does not
/// support `deny_unknown_fields` together with `flatten`, so a misspelt key in those tables
/// would be accepted silently, and flattened fields lose their key paths in messages.
struct GoalPatch {
    ratio: Option<Ratio>,
    time: Option<Threshold>,
    mode: Option<SeedMode>,
    delete_files: Option<bool>,
    min_time: Option<Threshold>,
}

impl From<&RawSeeding> for GoalPatch {
    fn from(s: &RawSeeding) -> Self {
        GoalPatch {
            ratio: s.ratio,
            time: s.time,
            mode: s.mode,
            delete_files: s.delete_files,
            min_time: s.min_time,
        }
    }
}

impl From<&RawTracker> for GoalPatch {
    fn from(t: &RawTracker) -> Self {
        GoalPatch {
            ratio: t.ratio,
            time: t.time,
            mode: t.mode,
            delete_files: t.delete_files,
            min_time: t.min_time,
        }
    }
}

/// Each key present replaces the base's; `min_time = "off"` means no minimum.
fn merge_goal(base: &SeedGoal, patch: GoalPatch) -> SeedGoal {
    SeedGoal {
        ratio: patch.ratio.map_or(base.ratio, |r| r.0),
        time: threshold(patch.time, base.time),
        mode: patch.mode.map_or(base.mode, Into::into),
        delete_files: patch.delete_files.unwrap_or(base.delete_files),
        min_time: patch
            .min_time
            .map_or(base.min_time, |t| t.0.unwrap_or(Duration::ZERO)),
    }
}

/// A `host` of `[[seeding.tracker]]` or `[[tracker]]`: a bare host name, lower-cased.
fn host_name(raw: Option<&str>, key: String, ctx: &Ctx) -> Result<String, ConfigError> {
    let host = raw.unwrap_or("").trim();
    let host = host.trim_start_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(ctx.invalid(
            key,
            "missing; expected a tracker host name such as tracker.example.org",
        ));
    }
    if host.contains(['/', ':', ' ', '@']) {
        return Err(ctx.invalid(
            key,
            format!(
                "expected a bare host name such as tracker.example.org (no scheme, port or \
                 path), found {host:?}"
            ),
        ));
    }
    Ok(host)
}

/// `[[tracker]]` entries.
fn upkeep(raw: &[RawUpkeep], ctx: &Ctx) -> Result<Vec<Upkeep>, ConfigError> {
    raw.iter()
        .enumerate()
        .map(|(i, entry)| {
            let key = format!("tracker[{i}]");
            let host = host_name(entry.host.as_deref(), format!("{key}.host"), ctx)?;
            let add = entry.add.clone().unwrap_or_default();
            for (j, url) in add.iter().enumerate() {
                let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
                if !matches!(scheme.as_deref(), Some("http" | "https" | "udp"))
                    || crate::model::tracker_host(url).is_none()
                {
                    return Err(ctx.invalid(
                        format!("{key}.add[{j}]"),
                        format!(
                            "expected a tracker announce URL such as \
                             \"udp://tracker.example.org:1337/announce\", found {url:?}"
                        ),
                    ));
                }
            }
            let remove = globs(
                entry.remove.as_deref().unwrap_or_default(),
                &format!("{key}.remove"),
                "a tracker URL pattern such as \"*://old.example.org/*\"",
                ctx,
            )?;
            let tags = entry.tags.clone().unwrap_or_default();
            for (j, tag) in tags.iter().enumerate() {
                tag_name(tag, &format!("{key}.tags[{j}]"), ctx)?;
            }
            Ok(Upkeep {
                host,
                add,
                remove,
                remove_dead: threshold(entry.remove_dead, None),
                tags,
                up_limit: entry.up_limit.map(|s| s.0),
                down_limit: entry.down_limit.map(|s| s.0),
            })
        })
        .collect()
}

fn trackers(
    raw: &[RawTracker],
    base: &SeedGoal,
    key: &str,
    ctx: &Ctx,
) -> Result<Vec<TrackerRule>, ConfigError> {
    raw.iter()
        .enumerate()
        .map(|(i, rule)| {
            let host = host_name(rule.host.as_deref(), format!("{key}[{i}].host"), ctx)?;
            Ok(TrackerRule {
                host,
                goal: merge_goal(base, GoalPatch::from(rule)),
            })
        })
        .collect()
}
