//! Command-line arguments (README, "Command line").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// sweeparr: one pass over your qBittorrent instances for Radarr, Sonarr and Lidarr.
#[derive(Debug, Parser)]
#[command(name = "sweeparr", version, about, long_about = None)]
pub struct Cli {
    /// Config file (else $SWEEPARR_CONFIG, $SWEEPARR_CONFIG_TOML, ./sweeparr.toml).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `run` and `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// A table of actions and a one-line total.
    #[default]
    Text,
    /// Exactly one JSON document: the summary.
    Json,
}

/// Arguments of `run` and `plan`.
#[derive(Debug, Clone, Args, Default)]
pub struct RunArgs {
    /// Change nothing anywhere: print what would be done.
    #[arg(long)]
    pub dry_run: bool,
    /// Limit the pass to these torrents (info-hash, any case). Repeatable.
    #[arg(long = "hash", value_name = "HASH")]
    pub hashes: Vec<String>,
    /// Limit the pass to these instances. Repeatable.
    #[arg(long = "instance", value_name = "NAME")]
    pub instances: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one pass: scan, decide, act, save.
    Run(RunArgs),
    /// Show what a pass would do (same as `run --dry-run`).
    Plan {
        /// Limit to these torrents. Repeatable.
        #[arg(long = "hash", value_name = "HASH")]
        hashes: Vec<String>,
        /// Limit to these instances. Repeatable.
        #[arg(long = "instance", value_name = "NAME")]
        instances: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Validate the config and reach every instance and Arr.
    Check,
    /// Inspect or edit the state store.
    State {
        /// What to do.
        #[command(subcommand)]
        action: StateAction,
    },
    /// Configuration helpers.
    Config {
        /// What to do.
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// `state` sub-commands.
#[derive(Debug, Subcommand)]
pub enum StateAction {
    /// One line per torrent record.
    List,
    /// Every record of one torrent, as JSON.
    Show {
        /// Info-hash (any case).
        hash: String,
    },
    /// Drop the records of one torrent (its clocks start again).
    Forget {
        /// Info-hash (any case).
        hash: String,
        /// Only on this instance.
        #[arg(long)]
        instance: Option<String>,
    },
    /// Every record as JSON lines.
    Export,
    /// Create the DynamoDB table (idempotent; local use and emulators).
    Init,
}

/// `config` sub-commands.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print a commented sample config.
    Example,
}
