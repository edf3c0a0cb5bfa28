//! A fake Radarr / Sonarr / Lidarr on a loopback port, for demos (`make demo`).
//!
//! ```text
//! cargo run --example fake_arr -- --kind radarr --port 17878 --api-key demo-key \
//!     --category radarr --qbit-url http://127.0.0.1:8080 --qbit-user admin --qbit-pass-env QBIT_PASS
//! ```
//!
//! With a qBittorrent link, its queue mirrors the torrents of `--category` (refreshed on every
//! queue read, as the real Arr polls its download client), removals with `removeFromClient`
//! delete the torrent from qBittorrent, and import scans import the matching download. Every
//! request it receives is printed to stderr (the API key is never printed). Stops on Ctrl-C.

use clap::Parser;
use sweeparr::model::ArrKind;
use testkit::fake_arr::{FakeArr, FakeArrConfig, QbitLink};

/// Command line of the fake Arr.
#[derive(Debug, Parser)]
#[command(about = "A fake Radarr/Sonarr/Lidarr on 127.0.0.1 for demos")]
struct Args {
    /// radarr | sonarr | lidarr
    #[arg(long, value_parser = parse_kind)]
    kind: ArrKind,
    /// Loopback port to listen on (0 = any free port).
    #[arg(long)]
    port: u16,
    /// API key the fake accepts.
    #[arg(long)]
    api_key: String,
    /// qBittorrent category whose torrents form the queue.
    #[arg(long)]
    category: String,
    /// qBittorrent WebUI URL.
    #[arg(long, requires_all = ["qbit_user", "qbit_pass_env"])]
    qbit_url: Option<String>,
    /// qBittorrent WebUI user.
    #[arg(long)]
    qbit_user: Option<String>,
    /// Name of the environment variable holding the qBittorrent password.
    #[arg(long)]
    qbit_pass_env: Option<String>,
}

fn parse_kind(s: &str) -> Result<ArrKind, String> {
    match s.to_ascii_lowercase().as_str() {
        "radarr" => Ok(ArrKind::Radarr),
        "sonarr" => Ok(ArrKind::Sonarr),
        "lidarr" => Ok(ArrKind::Lidarr),
        _ => Err(format!("unknown kind {s:?} (radarr, sonarr or lidarr)")),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let qbit = match (&args.qbit_url, &args.qbit_user, &args.qbit_pass_env) {
        (Some(url), Some(user), Some(var)) => Some(QbitLink {
            url: url.clone(),
            username: user.clone(),
            password: std::env::var(var).map_err(|_| {
                format!("environment variable {var} (qBittorrent password) is not set")
            })?,
        }),
        _ => None,
    };
    let linked = qbit.is_some();
    let fake = FakeArr::start_on(
        FakeArrConfig {
            kind: args.kind,
            api_key: args.api_key.clone(),
            qbit,
        },
        args.port,
    )?;
    fake.set_log_requests(true);
    if linked {
        fake.set_auto_sync(Some(args.category.clone()));
        match fake.sync_from_qbit(&args.category).await {
            Ok(n) => eprintln!(
                "[fake arr] {n} download(s) of category {:?} in the queue",
                args.category
            ),
            Err(e) => eprintln!("[fake arr] qBittorrent sync failed: {e}"),
        }
    }
    eprintln!(
        "[fake arr] {} listening on {}{} (Ctrl-C to stop)",
        args.kind.as_str(),
        fake.url(),
        args.kind.api_base()
    );
    tokio::signal::ctrl_c().await?;
    eprintln!("[fake arr] stopping");
    Ok(())
}
