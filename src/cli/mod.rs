//! The command-line front end: parses arguments, builds clients and the store, calls the
//! library and maps results to exit codes (CONTRACT section 2).

pub mod args;
mod check;
mod state_cmd;

use std::io::Write;

pub use args::{Cli, Command, ConfigAction, OutputFormat, RunArgs, StateAction};

use crate::clients::Clients;
use crate::config::{self, Config};
use crate::decide::Scope;
use crate::output;
use crate::pass::{self, PassOptions};
use crate::state::{self, Store};
use crate::summary::Summary;

/// Exit codes of CONTRACT section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Pass completed (or skipped: lease held).
    Ok = 0,
    /// Completed, but something was unreachable or failed.
    Partial = 1,
    /// Usage or config error: nothing contacted or changed.
    Usage = 2,
    /// State store unusable: nothing acted.
    Store = 3,
}

/// Runs one command and returns the process exit code.
pub async fn execute(cli: Cli) -> i32 {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Run(args) => run(config, args).await,
        Command::Plan {
            hashes,
            instances,
            output,
        } => {
            run(
                config,
                RunArgs {
                    dry_run: true,
                    hashes,
                    instances,
                    output,
                },
            )
            .await
        }
        Command::Check => match load_config(config) {
            Ok(cfg) => check::check(&cfg).await,
            Err(code) => code as i32,
        },
        Command::State { action } => match load_config(config) {
            Ok(cfg) => state_cmd::state(&cfg, action).await,
            Err(code) => code as i32,
        },
        Command::Config {
            action: ConfigAction::Example,
        } => {
            print!("{}", config::example());
            ExitCode::Ok as i32
        }
    }
}

/// Loads and validates the config, printing the error on failure.
pub(crate) fn load_config(path: Option<&std::path::Path>) -> Result<Config, ExitCode> {
    let loaded = config::locate(path).and_then(|src| config::load(&src));
    loaded.map_err(|e| {
        eprintln!("sweeparr: config error: {e}");
        ExitCode::Usage
    })
}

/// Opens the configured state store.
pub async fn open_store(cfg: &Config) -> Result<Box<dyn Store>, state::StoreError> {
    state::open(cfg).await
}

async fn run(config: Option<&std::path::Path>, args: RunArgs) -> i32 {
    let cfg = match load_config(config) {
        Ok(c) => c,
        Err(code) => return code as i32,
    };
    for name in &args.instances {
        if !cfg.qbit.contains_key(name) {
            eprintln!(
                "sweeparr: config error: {}: --instance {name}: no [qbit.{name}] in the config (known: {})",
                cfg.source,
                cfg.qbit.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            return ExitCode::Usage as i32;
        }
    }
    for hash in &args.hashes {
        if hash.is_empty() || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            eprintln!("sweeparr: usage error: --hash {hash:?} is not a hexadecimal info-hash");
            return ExitCode::Usage as i32;
        }
    }
    let clients = match Clients::build(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sweeparr: config error: {}: {e}", cfg.source);
            return ExitCode::Usage as i32;
        }
    };
    let opts = PassOptions::new(
        &cfg,
        Scope::new(&args.hashes, args.instances.clone()),
        args.dry_run,
    );
    let summary = match open_store(&cfg).await {
        Ok(store) => pass::run_pass(&cfg, &clients, store.as_ref(), &opts).await,
        Err(e) => pass::store_failed(
            Summary::start(&opts.run_id, opts.dry_run),
            std::time::Instant::now(),
            &e,
        ),
    };
    print_summary(&summary, args.output);
    summary.status.exit_code()
}

/// Prints a summary on stdout in the chosen format.
pub fn print_summary(summary: &Summary, format: OutputFormat) {
    let mut stdout = std::io::stdout().lock();
    let text = match format {
        OutputFormat::Json => serde_json::to_string(summary).unwrap_or_else(|_| "{}".into()) + "\n",
        OutputFormat::Text => output::text(summary),
    };
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
