//! The Lambda runtime loop: config, clients and store built once per cold start; one pass
//! per invocation; the summary is the response.
//!
//! Config comes from `SWEEPARR_CONFIG` (a path) or `SWEEPARR_CONFIG_TOML` (the whole file, as
//! the cloud template passes it), else from `sweeparr.toml` packaged beside `bootstrap` in
//! the function's zip (`$LAMBDA_TASK_ROOT`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use tracing::{error, info};

use super::event;
use crate::exit::ExitCode;
use sweeparr::clients::Clients;
use sweeparr::config::{self, Config};
use sweeparr::decide::{Scope, ScopeError};
use sweeparr::pass::{self, PassOptions};
use sweeparr::state::{self, Store};
use sweeparr::summary::Summary;

/// Time kept between the end of a pass and the Lambda deadline.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(2);

/// What every invocation of a warm container shares.
struct Shared {
    config: Config,
    clients: Clients,
    store: Box<dyn Store>,
}

/// Serves the Lambda runtime API until the runtime stops. A cold start that cannot load
/// the config, its secrets, the clients or the store ends with [`ExitCode::Usage`].
pub async fn serve() -> ExitCode {
    let shared = match cold_start().await {
        Ok(s) => Arc::new(s),
        Err(e) => {
            error!(error = %e, "cold start failed");
            return ExitCode::Usage;
        }
    };
    let result = lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| {
        let shared = Arc::clone(&shared);
        async move { handle(&shared, ev).await }
    }))
    .await;
    match result {
        Ok(()) => ExitCode::Ok,
        Err(e) => {
            error!(error = %e, "lambda runtime stopped");
            ExitCode::Partial
        }
    }
}

/// The config file packaged with the function, when no config comes from the environment.
pub fn packaged_config(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |var: &str| env(var).is_some_and(|v| !v.trim().is_empty());
    if set(config::CONFIG_PATH_VAR) || set(config::CONFIG_TOML_VAR) {
        return None;
    }
    let root = env("LAMBDA_TASK_ROOT").filter(|r| !r.is_empty())?;
    let path = Path::new(&root).join(config::DEFAULT_FILE);
    path.exists().then_some(path)
}

async fn cold_start() -> anyhow::Result<Shared> {
    let packaged = packaged_config(&|var| std::env::var(var).ok());
    let source = config::locate(packaged.as_deref())?;
    let mut config = config::load(&source)?;
    super::ssm::resolve(&mut config).await?;
    let clients = Clients::build(&config)?;
    let store = state::open(&config).await?;
    info!(config = %config.source, store = %store.describe(), "ready");
    Ok(Shared {
        config,
        clients,
        store,
    })
}

async fn handle(shared: &Shared, ev: LambdaEvent<Value>) -> Result<Summary, Error> {
    let inv = event::parse(&ev.payload)?;
    let known: Vec<&str> = shared.config.qbit.keys().map(String::as_str).collect();
    let scope = Scope::parse(&inv.hashes, &inv.instances, &known).map_err(|e| match e {
        ScopeError::UnknownInstance { .. } => format!("unknown instance in the event: {e}"),
        ScopeError::NotAHash(_) => format!("a hash in the event: {e}"),
    })?;
    let mut opts = PassOptions::new(&shared.config, scope, inv.dry_run);
    opts.budget = budget(shared.config.run.deadline, ev.context.deadline, now_ms());
    // No file of the torrents is reachable from the function.
    opts.local_disk = false;
    info!(
        request_id = %ev.context.request_id,
        run_id = %opts.run_id,
        deadline_ms = ev.context.deadline,
        budget_ms = opts.budget.as_millis() as u64,
        dry_run = opts.dry_run,
        "invocation"
    );
    let summary = pass::run_pass(
        &shared.config,
        &shared.clients,
        shared.store.as_ref(),
        &opts,
    )
    .await;
    info!(
        run_id = %summary.run_id,
        status = summary.status.as_str(),
        actions = summary.actions.len(),
        duration_ms = summary.duration_ms,
        "pass finished"
    );
    Ok(summary)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Time a pass may take: the config deadline, cut to what is left before the Lambda
/// deadline less a margin. A deadline already past (as local emulators send) means none.
pub fn budget(config_deadline: Duration, lambda_deadline_ms: u64, now_ms: u64) -> Duration {
    if lambda_deadline_ms <= now_ms {
        return config_deadline;
    }
    let left = Duration::from_millis(lambda_deadline_ms - now_ms).saturating_sub(DEADLINE_MARGIN);
    left.min(config_deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_table() {
        let ten_min = Duration::from_secs(600);
        for (deadline, now, want) in [
            // 60 s left: 58 s after the margin
            (1_000_060_000, 1_000_000_000, Duration::from_secs(58)),
            // an hour left: the config deadline wins
            (1_003_600_000, 1_000_000_000, ten_min),
            // past or zero (emulators): none, the config deadline applies
            (999_000_000, 1_000_000_000, ten_min),
            (0, 1_000_000_000, ten_min),
            // less than the margin left
            (1_000_001_000, 1_000_000_000, Duration::ZERO),
        ] {
            assert_eq!(budget(ten_min, deadline, now), want, "{deadline}");
        }
    }

    #[test]
    fn packaged_config_is_used_only_without_config_from_env() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("sweeparr.toml");
        std::fs::write(&file, "").unwrap();
        let root_s = root.path().display().to_string();
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Vars, Option<PathBuf>); 5] = [
            (&[("LAMBDA_TASK_ROOT", &root_s)], Some(file.clone())),
            (
                &[("LAMBDA_TASK_ROOT", &root_s), ("SWEEPARR_CONFIG_TOML", "x")],
                None,
            ),
            (
                &[("LAMBDA_TASK_ROOT", &root_s), ("SWEEPARR_CONFIG", "/c")],
                None,
            ),
            // an empty inline config (the template's default) counts as none
            (
                &[("LAMBDA_TASK_ROOT", &root_s), ("SWEEPARR_CONFIG_TOML", " ")],
                Some(file.clone()),
            ),
            (&[("LAMBDA_TASK_ROOT", "/nonexistent")], None),
        ];
        for (vars, want) in cases {
            let env = |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            };
            assert_eq!(packaged_config(&env), want, "{vars:?}");
        }
    }
}
