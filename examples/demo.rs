//! `make demo`: a throwaway world on 127.0.0.1 — a real qbittorrent-nox with sample torrents,
//! a sample Radarr (the fake Arr of the tests) and a loopback tracker — then `sweeparr plan`
//! and `sweeparr run` on it, what the Arr received, and what is left. Everything is stopped
//! and deleted at the end.

use std::time::Duration;

use sweeparr::model::ArrKind;
use testkit::fake_arr::{FakeArr, FakeArrConfig, FakeDownload, QbitLink};
use testkit::qbit::{PASSWORD, QbitServer, USERNAME, make_torrent};
use testkit::tracker::FakeTracker;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("== starting a throwaway qbittorrent-nox, a sample Radarr and a tracker on 127.0.0.1");
    let qb = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let radarr = FakeArr::start(FakeArrConfig {
        kind: ArrKind::Radarr,
        api_key: "demo-api-key".into(),
        qbit: Some(QbitLink {
            url: qb.url(),
            username: USERNAME.into(),
            password: PASSWORD.into(),
        }),
    });
    let ann = tracker.announce_url();

    println!("== adding sample torrents");
    let stalled = add(
        &qb,
        &ann,
        "Big.Buck.Bunny.2008.1080p.mkv",
        &[("f", 96_000)],
        "radarr",
        &[],
        false,
    )
    .await;
    radarr.add_download(FakeDownload {
        media_ids: vec![101],
        ..FakeDownload::new(&stalled, "Big.Buck.Bunny.2008.1080p")
    });
    let done = add(
        &qb,
        &ann,
        "Sintel.2010.720p.mkv",
        &[("f", 64_000)],
        "radarr",
        &[],
        true,
    )
    .await;
    radarr.add_download(FakeDownload {
        tracked_state: "importPending".into(),
        status: "completed".into(),
        media_ids: vec![102],
        ..FakeDownload::new(&done, "Sintel.2010.720p")
    });
    let seeded = add(
        &qb,
        &ann,
        "Tears.of.Steel.2012.mkv",
        &[("f", 64_000)],
        "radarr",
        &[],
        true,
    )
    .await;
    radarr.add_history(&seeded, "downloadFolderImported");
    let bad = add(
        &qb,
        &ann,
        "Elephants.Dream.2006",
        &[("movie.mkv", 64_000), ("Setup.exe", 4_000)],
        "radarr",
        &[],
        false,
    )
    .await;
    let kept = add(
        &qb,
        &ann,
        "Cosmos.Laundromat.2015.mkv",
        &[("f", 96_000)],
        "radarr",
        &["sweeparr-keep"],
        false,
    )
    .await;
    let other = add(&qb, &ann, "debian-13.iso", &[("f", 64_000)], "", &[], false).await;
    for (hash, what) in [
        (&stalled, "stalled download, queued in Radarr"),
        (&done, "complete, Radarr has not imported it yet"),
        (&seeded, "complete, imported by Radarr (history)"),
        (&bad, "download with a .exe inside"),
        (&kept, "stalled, but tagged sweeparr-keep"),
        (&other, "not in any Arr category"),
    ] {
        println!("   {hash}  {what}");
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create .demo");
    let config = dir.join("sweeparr.toml");
    std::fs::write(
        &config,
        format!(
            r#"# Written by `make demo`. Thresholds are tiny so that two passes show every kind of action.
[run]
ignore_younger_than = "0s"

[qbit.demo]
url = "{qurl}"
username = "{USERNAME}"
password = "{PASSWORD}"

[arr.movies]
kind = "radarr"
url = "{aurl}"
api_key = "demo-api-key"
category = "radarr"

[health]
stalled_after = "2s"

[seeding]
ratio = 0.0          # any ratio: an imported torrent may go at once (the default is 2.0)
"#,
            qurl = qb.url(),
            aurl = radarr.url()
        ),
    )
    .expect("write config");
    let config_arg = config.display().to_string();

    println!(
        "\n== sweeparr plan --config {}   (dry run: changes nothing)",
        config_arg
    );
    sweeparr_cli(&["plan", "--config", &config_arg]).await;
    println!(
        "\n== sweeparr run --config {}   (the stalled download is watched from now on)",
        config_arg
    );
    sweeparr_cli(&["run", "--config", &config_arg]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    println!(
        "\n== the next pass, 2.5 s later (as cron would run it): watched stalled for longer than \
         stalled_after, the stalled download is failed through Radarr; Radarr imported Sintel \
         meanwhile, so it goes too"
    );
    sweeparr_cli(&["run", "--config", &config_arg]).await;

    println!("\n== what the sample Radarr received");
    for r in radarr.requests().iter().filter(|r| r.method != "GET") {
        let query: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let body = r.body.as_ref().map(|b| format!(" {b}")).unwrap_or_default();
        println!("   {} {}?{}{}", r.method, r.path, query.join("&"), body);
    }
    println!(
        "   blocklisted: {}, replacement searches started by Radarr itself: {:?}",
        radarr.blocklist().len(),
        radarr.searches()
    );

    println!("\n== torrents left in qBittorrent");
    for h in qb.torrent_hashes().await {
        let info = qb.torrent_info(&h).await.unwrap_or_default();
        println!(
            "   {h}  {:<32} {}",
            info["name"].as_str().unwrap_or(""),
            info["state"].as_str().unwrap_or("")
        );
    }
    println!(
        "\nstate kept in {}; the servers stop now.",
        dir.join("state").display()
    );
}

/// Runs the `sweeparr` binary built beside this example (`make demo` builds it first), its
/// output shown as it comes; warnings and errors only in its log.
async fn sweeparr_cli(args: &[&str]) {
    let binary = testkit::sweeparr_binary();
    let status = tokio::process::Command::new(&binary)
        .args(args)
        .env("SWEEPARR_LOG", "warn")
        .status()
        .await
        .expect("run sweeparr");
    if !status.success() {
        println!("   (sweeparr exited with {status})");
    }
}

async fn add(
    qb: &QbitServer,
    announce: &str,
    name: &str,
    files: &[(&str, usize)],
    category: &str,
    tags: &[&str],
    complete: bool,
) -> String {
    let dir = if complete {
        qb.save_dir()
    } else {
        qb.scratch_dir()
    };
    let (file, hash) = make_torrent(&dir, name, files, announce, false);
    if !complete {
        let data = dir.join(name);
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(&data);
    }
    qb.add_torrent_file(&file, category, tags, false).await;
    let want: &[&str] = if complete {
        &["stalledUP", "uploading"]
    } else {
        &["stalledDL"]
    };
    qb.wait_for_state(&hash, want, WAIT).await;
    hash
}
