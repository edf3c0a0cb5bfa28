//! `sweeparr state list|show|forget|export|init`.

use crate::config::{Backend, Config};
use crate::pass::epoch_now;
use crate::state::{Record, Store};

use super::{ExitCode, StateAction};

/// Runs a state sub-command; returns the exit code.
pub(super) async fn state(cfg: &Config, action: StateAction) -> i32 {
    if let StateAction::Init = action {
        return init(cfg).await;
    }
    let store = match super::open_store(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sweeparr: {e}");
            return ExitCode::Store as i32;
        }
    };
    match run(store.as_ref(), action).await {
        Ok(code) => code as i32,
        Err(e) => {
            eprintln!("sweeparr: {e}");
            ExitCode::Store as i32
        }
    }
}

async fn run(store: &dyn Store, action: StateAction) -> Result<ExitCode, crate::state::StoreError> {
    let records = store.load(epoch_now()).await?;
    match action {
        StateAction::List => {
            println!(
                "{:<10} {:<40} {:<9} {:<9} NAME",
                "INSTANCE", "HASH", "IMPORTED", "GONE"
            );
            for r in records.values() {
                if let Record::Torrent(t) = r {
                    println!(
                        "{:<10} {:<40} {:<9} {:<9} {}",
                        t.instance,
                        t.hash,
                        if t.imported_at.is_some() { "yes" } else { "no" },
                        if t.gone_since.is_some() { "yes" } else { "no" },
                        t.name
                    );
                }
            }
            Ok(ExitCode::Ok)
        }
        StateAction::Show { hash } => {
            let hash = hash.to_ascii_lowercase();
            let found: Vec<&Record> = records
                .values()
                .filter(|r| matches!(r, Record::Torrent(t) if t.hash == hash))
                .collect();
            if found.is_empty() {
                eprintln!("sweeparr: no record of torrent {hash}");
                return Ok(ExitCode::Partial);
            }
            for r in found {
                println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
            }
            Ok(ExitCode::Ok)
        }
        StateAction::Forget { hash, instance } => {
            let hash = hash.to_ascii_lowercase();
            let keys: Vec<String> = records
                .iter()
                .filter(|(_, r)| {
                    matches!(r, Record::Torrent(t) if t.hash == hash
                        && instance.as_ref().is_none_or(|i| &t.instance == i))
                })
                .map(|(k, _)| k.clone())
                .collect();
            if keys.is_empty() {
                eprintln!("sweeparr: no record of torrent {hash}");
                return Ok(ExitCode::Partial);
            }
            store.save(vec![], &keys).await?;
            println!("forgot {} record(s) of {hash}", keys.len());
            Ok(ExitCode::Ok)
        }
        StateAction::Export => {
            for r in records.values() {
                println!("{}", serde_json::to_string(r).unwrap_or_default());
            }
            Ok(ExitCode::Ok)
        }
        StateAction::Init => unreachable!("handled before opening the store"),
    }
}

async fn init(cfg: &Config) -> i32 {
    match cfg.state.backend {
        Backend::File => match crate::state::file::FileStore::open(&cfg.state.path) {
            Ok(_) => {
                println!("state folder {} ready", cfg.state.path.display());
                ExitCode::Ok as i32
            }
            Err(e) => {
                eprintln!("sweeparr: {e}");
                ExitCode::Store as i32
            }
        },
        Backend::Dynamodb => crate::state::init_dynamo(cfg).await,
    }
}
