//! The command-line front end: parses arguments, builds clients and the store, calls the
//! library and maps results to exit codes (README, "Exit codes").

pub mod args;
mod check;
mod state_cmd;

use std::io::Write;

pub use args::{Cli, Command, ConfigAction, OutputFormat, RunArgs, StateAction};

use crate::exit::ExitCode;
use crate::output;
use sweeparr::clients::Clients;
use sweeparr::config::{self, Config};
use sweeparr::decide::{Scope, ScopeError};
use sweeparr::pass::{self, PassOptions};
use sweeparr::state::{self, Store};
use sweeparr::summary::Summary;

/// Runs one command and returns the process exit code.
pub async fn execute(cli: Cli) -> ExitCode {
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
            Err(code) => code,
        },
        Command::State { action } => match load_config(config) {
            Ok(cfg) => state_cmd::state(&cfg, action).await,
            Err(code) => code,
        },
        Command::Config {
            action: ConfigAction::Example,
        } => {
            print!("{}", config::example());
            ExitCode::Ok
        }
    }
}

/// Loads and validates the config, printing the error on failure.
fn load_config(path: Option<&std::path::Path>) -> Result<Config, ExitCode> {
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

async fn run(config: Option<&std::path::Path>, args: RunArgs) -> ExitCode {
    let cfg = match load_config(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if cfg.qbit.is_empty() && cfg.arr.is_empty() {
        eprintln!(
            "sweeparr: config error: {}: no [qbit.<name>] and no [arr.<name>] table; a pass \
             would have nothing to look at",
            cfg.source
        );
        return ExitCode::Usage;
    }
    let known: Vec<&str> = cfg.qbit.keys().map(String::as_str).collect();
    let scope = match Scope::parse(&args.hashes, &args.instances, &known) {
        Ok(scope) => scope,
        Err(e @ ScopeError::UnknownInstance { .. }) => {
            eprintln!("sweeparr: config error: {}: --instance {e}", cfg.source);
            return ExitCode::Usage;
        }
        Err(e @ ScopeError::NotAHash(_)) => {
            eprintln!("sweeparr: usage error: --hash {e}");
            return ExitCode::Usage;
        }
    };
    let clients = match Clients::build(&cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sweeparr: config error: {}: {e}", cfg.source);
            return ExitCode::Usage;
        }
    };
    let opts = PassOptions::new(&cfg, scope, args.dry_run);
    let summary = match open_store(&cfg).await {
        Ok(store) => pass::run_pass(&cfg, &clients, store.as_ref(), &opts).await,
        Err(e) => pass::store_failed(
            Summary::start(&opts.run_id, opts.dry_run),
            std::time::Instant::now(),
            &e,
        ),
    };
    print_summary(&summary, args.output);
    summary.status.into()
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
