//! `sweeparr check`: validate, reach everything, print versions and what is misconfigured.

use sweeparr::arr::ArrClient;
use sweeparr::clients::Clients;
use sweeparr::config::Config;
use sweeparr::model::Connection;
use sweeparr::qbit::QbitClient;

use super::ExitCode;

/// Runs the check and returns the exit code (1 when anything is unreachable or misconfigured).
pub(super) async fn check(cfg: &Config) -> ExitCode {
    println!("config {}: valid", cfg.source);
    let clients = match Clients::build(cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sweeparr: config error: {}: {e}", cfg.source);
            return ExitCode::Usage;
        }
    };
    let mut problems = 0;
    let categories: Vec<&str> = cfg.arr.values().map(|a| a.category.as_str()).collect();
    let qbits = clients
        .qbit
        .iter()
        .map(|(n, c)| check_qbit(n, c, &categories));
    let arrs = clients.arr.iter().map(|(n, c)| check_arr(n, c));
    let (qbits, arrs) = futures::join!(
        futures::future::join_all(qbits),
        futures::future::join_all(arrs)
    );
    for (line, ok) in qbits.into_iter().chain(arrs) {
        println!("{line}");
        if !ok {
            problems += 1;
        }
    }
    for (name, q) in cfg.qbit.iter().filter(|(_, q)| q.disabled) {
        println!("qbit.{name}: disabled ({})", q.url);
    }
    if let Some(orphans) = &cfg.orphans {
        for (line, ok) in sweeparr::orphans::check(orphans) {
            println!("{line}");
            if !ok {
                problems += 1;
            }
        }
    }
    match super::open_store(cfg).await {
        Ok(store) => match store.load(sweeparr::pass::epoch_now()).await {
            Ok(records) => println!("state {}: {} records", store.describe(), records.len()),
            Err(e) => {
                println!("state: UNUSABLE: {e}");
                problems += 1;
            }
        },
        Err(e) => {
            println!("state: UNUSABLE: {e}");
            problems += 1;
        }
    }
    if problems == 0 {
        println!("all reachable");
        ExitCode::Ok
    } else {
        println!("{problems} problem(s)");
        ExitCode::Partial
    }
}

async fn check_qbit(name: &str, client: &QbitClient, categories: &[&str]) -> (String, bool) {
    let auth = client.auth().describe();
    let info = match client.connect().await {
        Ok(i) => i,
        Err(e) => return (format!("qbit.{name}: UNREACHABLE ({auth}): {e}"), false),
    };
    let mut line = format!(
        "qbit.{name}: qBittorrent {} (WebAPI {}, {:?}; {auth})",
        info.version, info.api_version, info.generation
    );
    match client.list().await {
        Ok(data) => {
            let missing: Vec<&str> = categories
                .iter()
                .copied()
                .filter(|c| !data.categories.iter().any(|h| h == c))
                .collect();
            line.push_str(&format!("; {} torrents", data.torrents.len()));
            if data.connection == Connection::Disconnected {
                line.push_str("; network DISCONNECTED (no health verdicts until it is back)");
            }
            if !missing.is_empty() {
                line.push_str(&format!(
                    "; categories missing (a run creates them): {}",
                    missing.join(", ")
                ));
            }
            (line, true)
        }
        Err(e) => (format!("{line}; torrent list unreadable: {e}"), false),
    }
}

async fn check_arr(name: &str, client: &ArrClient) -> (String, bool) {
    match client.status().await {
        Ok(s) => match client.queue().await {
            Ok(q) => (
                format!(
                    "arr.{name}: {} {} (queue: {} downloads)",
                    s.app_name.as_deref().unwrap_or("Arr"),
                    s.version,
                    q.len()
                ),
                true,
            ),
            Err(e) => (format!("arr.{name}: queue unreadable: {e}"), false),
        },
        Err(e) => (format!("arr.{name}: UNREACHABLE: {e}"), false),
    }
}
