//! One pass, end to end: lease, load, scan, decide, record intent, act, notify, save,
//! release.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::{error, info, warn};

use crate::act;
use crate::clients::Clients;
use crate::config::Config;
use crate::crash::{self, Point};
use crate::decide::{self, Plan, Scope, SkipReason};
use crate::ledger::Ledger;
use crate::model::Epoch;
use crate::notify;
use crate::scan;
use crate::state::{LeaseRequest, Record, RunRecord, State, Store, StoreError, lease_scope};
use crate::summary::{
    ActionProblem, ActionSummary, ArrSummary, InstanceSummary, Outcome, RunStatus, Summary,
};

/// Time kept back before the deadline for saving state and releasing the lease.
pub const SAVE_RESERVE: Duration = Duration::from_secs(5);

/// How one pass is run.
#[derive(Debug, Clone)]
pub struct PassOptions {
    /// Change nothing anywhere (also when the config says so).
    pub dry_run: bool,
    /// `--hash` / `--instance` filters.
    pub scope: Scope,
    /// How long the pass may take in all; acting stops `SAVE_RESERVE` before it.
    pub budget: Duration,
    /// Unique id of this invocation.
    pub run_id: String,
    /// The pass runs where the torrents' files are (not in the cloud): `[orphans]` applies.
    pub local_disk: bool,
}

impl PassOptions {
    /// Options for a pass of `config` with a fresh run id.
    pub fn new(config: &Config, scope: Scope, dry_run: bool) -> Self {
        PassOptions {
            dry_run: dry_run || config.run.dry_run,
            scope,
            budget: config.run.deadline,
            run_id: new_run_id(),
            local_disk: true,
        }
    }
}

/// A fresh unique run id.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Current time in epoch seconds.
pub fn epoch_now() -> Epoch {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as Epoch)
        .unwrap_or(0)
}

/// Runs one pass and returns its summary. Never panics on remote failures; the status and
/// per-item errors say what went wrong.
pub async fn run_pass(
    config: &Config,
    clients: &Clients,
    store: &dyn Store,
    opts: &PassOptions,
) -> Summary {
    let start = Instant::now();
    let now = epoch_now();
    let mut summary = Summary::start(&opts.run_id, opts.dry_run);
    let lease = lease_scope(clients.qbit.keys().map(String::as_str));
    let act_deadline = start + opts.budget.saturating_sub(SAVE_RESERVE);

    if !opts.dry_run {
        let req = LeaseRequest {
            scope: lease.clone(),
            run_id: opts.run_id.clone(),
            now,
            until: now + (opts.budget + config.run.lease_margin).as_secs() as Epoch,
        };
        match store.acquire_lease(&req).await {
            Ok(()) => crash::at(Point::AfterLease),
            Err(StoreError::LeaseHeld { holder, until }) => {
                info!(%holder, until, "another run holds the lease; skipping");
                summary.status = RunStatus::Skipped;
                return finish(summary, start);
            }
            Err(e) => return store_failed(summary, start, &e),
        }
    }

    let result = leased_pass(
        config,
        clients,
        store,
        opts,
        now,
        act_deadline,
        &mut summary,
    )
    .await;
    if !opts.dry_run
        && let Err(e) = store.release_lease(&lease, &opts.run_id).await
    {
        warn!(error = %e, "could not release the lease; it expires by itself");
    }
    if let Err(e) = result {
        return store_failed(summary, start, &e);
    }
    finish(summary, start)
}

async fn leased_pass(
    config: &Config,
    clients: &Clients,
    store: &dyn Store,
    opts: &PassOptions,
    now: Epoch,
    act_deadline: Instant,
    summary: &mut Summary,
) -> Result<(), StoreError> {
    let state = State::from(store.load(now).await?);
    summary.state.loaded = state.len();

    clients.begin_pass(&state);
    let mut snapshot = scan::scan_lists(clients, &opts.scope.instances, act_deadline).await;
    let details = decide::details_needed(&snapshot, &state, config, &opts.scope, now);
    // A pass narrowed to hashes (a torrent-finished hook) does no scheduled search.
    let searching = if opts.scope.narrowed_to_hashes() {
        vec![]
    } else {
        scan::search_targets(config, &snapshot)
    };
    let (_, searches) = futures::join!(
        scan::scan_details(clients, &mut snapshot, &details, act_deadline),
        scan::scan_searches(clients, config, &searching, act_deadline)
    );
    // A first pass asks for ~20,000 details at 10,000 torrents: free the list of them.
    drop(details);
    for (name, search) in searches {
        if let Some(arr) = snapshot.arrs.iter_mut().find(|a| a.name == name) {
            match search {
                Ok(scan) => arr.search = Some(scan),
                Err(e) => scan::note(&mut arr.error, Some(e)),
            }
        }
    }
    summarise_scan(summary, &snapshot);

    let mut plan = decide::decide(&snapshot, &state, config, &opts.scope, now);
    if !plan.needs_health.is_empty() {
        // A direct deletion is planned: read those Arrs' health checks, then decide again.
        scan::scan_health(clients, &mut snapshot, &plan.needs_health, act_deadline).await;
        plan = decide::decide(&snapshot, &state, config, &opts.scope, now);
    }
    if let Some(cfg) = config.orphans.as_ref().filter(|_| opts.local_disk)
        && !opts.scope.narrowed_to_hashes()
    {
        plan.actions
            .extend(look_for_orphans(cfg, config, &snapshot, summary).await);
    }
    // Nothing after this reads the scan (torrent lists, file lists): free it before acting.
    drop(snapshot);
    // A pass with nothing to do or record says so at debug only: "pass finished" follows.
    if plan.actions.is_empty() && plan.records.is_empty() {
        tracing::debug!("plan ready: nothing to do");
    } else {
        info!(
            actions = plan.actions.len(),
            deletions = plan.deletions(),
            records = plan.records.len(),
            "plan ready"
        );
    }
    crash::at(Point::AfterScan);

    if opts.dry_run {
        summary.actions = plan
            .actions
            .iter()
            .map(|a| {
                let (outcome, error) = match &a.skip {
                    Some(why) => (Outcome::Skipped, Some(ActionProblem::Skipped(why.clone()))),
                    None => (Outcome::Planned, None),
                };
                action_summary(a, outcome, error)
            })
            .collect();
        set_status(summary, &plan);
        return Ok(());
    }

    // Record intent (and every observation) before acting: a pass killed while acting
    // leaves the stall clocks and what it was about to do.
    let changed = std::mem::take(&mut plan.records);
    let (ledger, first) = Ledger::open(&state, changed, &plan, &opts.run_id, now);
    summary.state.written += store.save(first, &[]).await?;
    crash::at(Point::AfterIntent);

    let acted = act::act(clients, &plan.actions, act_deadline).await;
    let mut last = ledger.close(&plan, &acted, now);
    summary.actions = plan
        .actions
        .iter()
        .zip(&acted)
        .map(|(a, r)| action_summary(a, r.outcome, r.error.clone()))
        .collect();
    set_status(summary, &plan);
    let told = notify::notify(
        &config.notify,
        summary,
        &state,
        now,
        act_deadline + SAVE_RESERVE / 2,
    )
    .await;
    last.extend(told.put);
    last.extend(clients.versions_to_remember(&state, now));
    if !summary.actions.is_empty() || summary.status != RunStatus::Ok {
        last.push(Record::Run(RunRecord {
            run_id: opts.run_id.clone(),
            status: summary.status,
            started_at: summary.started_at.clone(),
            actions: summary.actions.len() as u64,
        }));
    }
    crash::at(Point::BeforeSave);
    if !last.is_empty() || !told.forget.is_empty() {
        summary.state.written += store.save(last, &told.forget).await?;
    }
    Ok(())
}

fn summarise_scan(summary: &mut Summary, snapshot: &crate::model::Snapshot) {
    summary.instances = snapshot
        .instances
        .iter()
        .map(|i| InstanceSummary {
            name: i.name.clone(),
            reachable: i.reachable,
            version: i.version.clone(),
            torrents: i.torrents.len(),
            error: i.error.clone(),
        })
        .collect();
    summary.arrs = snapshot
        .arrs
        .iter()
        .map(|a| ArrSummary {
            name: a.name.clone(),
            kind: a.kind.as_str().to_string(),
            reachable: a.reachable,
            queue: a.queue.len(),
            error: a.error.clone(),
        })
        .collect();
}

fn action_summary(
    a: &decide::Action,
    outcome: Outcome,
    error: Option<ActionProblem>,
) -> ActionSummary {
    ActionSummary {
        kind: a.kind,
        instance: a.instance.clone(),
        hash: a.hash.clone(),
        name: a.name.clone(),
        arr: a.arr.clone(),
        reason: a.reason.clone(),
        outcome,
        error,
    }
}

/// The orphan search: the actions it plans, and what it found in the summary.
async fn look_for_orphans(
    cfg: &crate::config::Orphans,
    config: &Config,
    snapshot: &crate::model::Snapshot,
    summary: &mut Summary,
) -> Vec<decide::Action> {
    let mut report = crate::summary::OrphansSummary::default();
    let used = match crate::orphans::in_use(snapshot, config) {
        Ok(used) => used,
        Err(why) => {
            info!(why = %why, "no orphan search");
            report.skipped = Some(format!("{why}: no orphan search"));
            summary.orphans = Some(report);
            return Vec::new();
        }
    };
    let owned = cfg.clone();
    let searched = tokio::task::spawn_blocking(move || {
        let now = SystemTime::now();
        let (found, roots) = crate::orphans::search(&owned, &used, now);
        let purge = crate::orphans::purgeable(&owned, now);
        (crate::orphans::actions(&owned, &found, &purge, now), roots)
    })
    .await;
    let actions = match searched {
        Ok((actions, roots)) => {
            report.roots = roots;
            actions
        }
        Err(e) => {
            report.skipped = Some(format!("the orphan search stopped: {e}"));
            Vec::new()
        }
    };
    summary.orphans = Some(report);
    actions
}

fn set_status(summary: &mut Summary, plan: &Plan) {
    // An error on a reachable instance or Arr: some detail could not be read.
    let unreachable = summary
        .instances
        .iter()
        .any(|i| !i.reachable || i.error.is_some())
        || summary
            .arrs
            .iter()
            .any(|a| !a.reachable || a.error.is_some());
    let unreadable_root = summary
        .orphans
        .as_ref()
        .is_some_and(|o| o.roots.iter().any(|r| r.error.is_some()));
    let unreachable = unreachable || unreadable_root;
    let failed = summary.actions.iter().any(|a| {
        a.outcome == Outcome::Failed || a.skipped_for(|why| *why == SkipReason::DeadlineReached)
    });
    summary.status = if plan.circuit_open {
        RunStatus::CircuitOpen
    } else if unreachable || failed {
        RunStatus::Partial
    } else {
        RunStatus::Ok
    };
}

/// The summary of a pass whose state store was unusable: status `error`, nothing acted.
pub fn store_failed(mut summary: Summary, start: Instant, e: &StoreError) -> Summary {
    error!(error = %e, "state store unusable; nothing acted");
    summary.status = RunStatus::Error;
    summary.error = Some(e.to_string());
    finish(summary, start)
}

fn finish(mut summary: Summary, start: Instant) -> Summary {
    summary.duration_ms = start.elapsed().as_millis() as u64;
    summary
}
