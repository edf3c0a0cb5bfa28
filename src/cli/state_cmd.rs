//! `sweeparr state list|show|forget|export|init`.

use sweeparr::config::{Backend, Config};
use sweeparr::pass::epoch_now;
use sweeparr::state::{LeaseRequest, Record, Store, StoreError, lease_scope};

use super::StateAction;
use crate::exit::ExitCode;
use crate::output::row;

/// Runs a state sub-command; returns the exit code.
pub(super) async fn state(cfg: &Config, action: StateAction) -> ExitCode {
    if let StateAction::Init = action {
        return init(cfg).await;
    }
    let store = match super::open_store(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sweeparr: {e}");
            return ExitCode::Store;
        }
    };
    // `forget` writes: it takes the run lease as a pass does, so it never races one.
    let lease = matches!(action, StateAction::Forget { .. }).then(|| {
        let instances = cfg.qbit.iter().filter(|(_, q)| !q.disabled);
        let now = epoch_now();
        LeaseRequest {
            scope: lease_scope(instances.map(|(name, _)| name.as_str())),
            run_id: format!("state-forget-{}", uuid::Uuid::new_v4()),
            now,
            until: now + 120,
        }
    });
    if let Some(req) = &lease {
        match store.acquire_lease(req).await {
            Ok(()) => {}
            Err(StoreError::LeaseHeld { holder, .. }) => {
                eprintln!(
                    "sweeparr: a pass ({holder}) holds the run lease; nothing forgotten, try again when it ends"
                );
                return ExitCode::Partial;
            }
            Err(e) => {
                eprintln!("sweeparr: {e}");
                return ExitCode::Store;
            }
        }
    }
    let code = match run(store.as_ref(), action).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sweeparr: {e}");
            ExitCode::Store
        }
    };
    if let Some(req) = &lease
        && let Err(e) = store.release_lease(&req.scope, &req.run_id).await
    {
        eprintln!("sweeparr: could not release the run lease (it expires by itself): {e}");
    }
    code
}

async fn run(
    store: &dyn Store,
    action: StateAction,
) -> Result<ExitCode, sweeparr::state::StoreError> {
    let records = store.load(epoch_now()).await?;
    match action {
        StateAction::List => {
            let widths = [10, 40, 9, 9];
            let yes = |set: bool| if set { "yes" } else { "no" };
            print!(
                "{}",
                row(&widths, &["INSTANCE", "HASH", "IMPORTED", "GONE"], "NAME")
            );
            for r in records.values() {
                if let Record::Torrent(t) = r {
                    let cells = [
                        t.instance.as_str(),
                        &t.hash,
                        yes(t.imported_at.is_some()),
                        yes(t.gone_since.is_some()),
                    ];
                    print!("{}", row(&widths, &cells, &t.name));
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

async fn init(cfg: &Config) -> ExitCode {
    match cfg.state.backend {
        Backend::File => match sweeparr::state::file::FileStore::open(&cfg.state.path) {
            Ok(_) => {
                println!("state folder {} ready", cfg.state.path.display());
                ExitCode::Ok
            }
            Err(e) => {
                eprintln!("sweeparr: {e}");
                ExitCode::Store
            }
        },
        Backend::Dynamodb => match sweeparr::state::init_dynamo(cfg).await {
            Ok(created) => {
                let table = &cfg.state.table;
                if created {
                    println!("created table {table}");
                } else {
                    println!("table {table} already exists");
                }
                ExitCode::Ok
            }
            Err(e) => {
                eprintln!("sweeparr: {e}");
                ExitCode::Store
            }
        },
    }
}
