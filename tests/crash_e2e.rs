//! Crash consistency, end to end: the real binary is killed (SIGKILL, by itself, at a named
//! crash point; see `src/crash.rs`) at each step of a pass, on both state backends, against a
//! real qbittorrent-nox and a fake Radarr / Sonarr. Then the next pass runs and we check:
//! - no destructive action is repeated (one DELETE, one blocklist entry per failed download);
//! - the import command is sent at most once (an intent saved before the crash counts as sent);
//! - a stall clock under its threshold is not reset;
//! - the lease: the file backend's next pass proceeds at once (the OS lock died with the
//!   process); with DynamoDB the next pass is `skipped` until the abandoned lease expires
//!   (`deadline` + `lease_margin`), then proceeds.
//!
//! Needs the `crash-points` feature (`make test` enables it; see Cargo.toml).

use testkit as helpers;

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::Duration;

use helpers::fake_arr::FakeDownload;
use helpers::moto::dynamo_endpoint;
use helpers::world::{World, parse_summary, run_binary};
use serde_json::Value;
use sweeparr::crash::{CRASH_AT_VAR, Point};
use sweeparr::model::ArrKind;

/// `[run]` of the crash tests: a short deadline and margin, so an abandoned DynamoDB lease
/// expires 11 s after its pass started (acting stops 5 s before the deadline).
const DEADLINE: &str = "deadline = \"10s\"\nlease_margin = \"1s\"";
/// The movies Arr fails a stall after 1 s; the shows Arr (and the default) after an hour.
const HEALTH: &str = "[health]\nstalled_after = \"1h\"\nfailed_import_after = \"1h\"\n\n\
                      [arr.movies.health]\nstalled_after = \"1s\"\n";

/// Where state lives for one world.
enum Backend {
    File,
    Dynamo(String),
}

/// One world, one backend, a config file, and the environment the binary gets.
struct Harness {
    w: World,
    backend: Backend,
    config: PathBuf,
}

impl Harness {
    async fn start(dynamo_url: Option<String>) -> Harness {
        let mut w = World::start(
            &["main"],
            &[
                ("movies", ArrKind::Radarr, "radarr"),
                ("shows", ArrKind::Sonarr, "sonarr"),
            ],
        )
        .await;
        w.extra = HEALTH.into();
        let backend = match dynamo_url {
            Some(url) => Backend::Dynamo(url),
            None => Backend::File,
        };
        let config = w.dir.path().join("crash.toml");
        let mut text = w.config_toml().replace("deadline = \"2m\"", DEADLINE);
        assert!(
            text.contains(DEADLINE),
            "world config changed shape:\n{text}"
        );
        if let Backend::Dynamo(url) = &backend {
            let state = "[state]\npath = \"state\"\n";
            assert!(text.starts_with(state), "{text}");
            text = text.replacen(
                state,
                &format!(
                    "[state]\nbackend = \"dynamodb\"\ntable = \"crash\"\nendpoint_url = \"{url}\"\n"
                ),
                1,
            );
        }
        std::fs::write(&config, text).expect("write config");
        let h = Harness { w, backend, config };
        if matches!(h.backend, Backend::Dynamo(_)) {
            let out = h.binary(&["state", "init"], None).await;
            assert!(out.status.success(), "state init: {out:?}");
        }
        h
    }

    fn name(&self) -> &'static str {
        match self.backend {
            Backend::File => "file",
            Backend::Dynamo(_) => "dynamodb",
        }
    }

    async fn binary(&self, args: &[&str], crash: Option<Point>) -> std::process::Output {
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        if let Some(p) = crash {
            env.push((CRASH_AT_VAR, p.as_str()));
        }
        run_binary(&self.config, args, &env).await
    }

    /// A normal `run --output json`: (exit code, summary).
    async fn run(&self) -> (i32, Value) {
        parse_summary(&self.binary(&["run", "--output", "json"], None).await)
    }

    /// `state export` as JSON values.
    async fn export(&self) -> Vec<Value> {
        let out = self.binary(&["state", "export"], None).await;
        assert!(out.status.success(), "state export: {out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("export line is JSON"))
            .collect()
    }

    async fn torrent_record(&self, hash: &str) -> Value {
        self.export()
            .await
            .into_iter()
            .find(|r| r["kind"] == "torrent" && r["hash"] == hash)
            .unwrap_or_else(|| panic!("no record of {hash}"))
    }
}

/// Side effects on the fake Arrs for the torrents of one round.
#[derive(Debug, PartialEq)]
struct Sent {
    deletes: usize,
    blocklisted: usize,
    imports: usize,
}

struct Round {
    /// Stalled, under its threshold: its clock must survive.
    under: String,
    /// Stalled past 1 s, queued in Radarr: failed through the Arr.
    failing: String,
    failing_ids: Vec<i64>,
    /// Complete, queued as not imported (the Arr's scan of that path will not import).
    complete: String,
}

impl Round {
    fn sent(&self, w: &World) -> Sent {
        let movies = w.arr("movies");
        let paths: Vec<String> = self
            .failing_ids
            .iter()
            .map(|id| format!("/api/v3/queue/{id}"))
            .collect();
        let upper = |h: &str| h.to_ascii_uppercase();
        Sent {
            deletes: movies
                .requests()
                .iter()
                .filter(|r| r.method == "DELETE" && paths.contains(&r.path))
                .count(),
            blocklisted: movies
                .blocklist()
                .iter()
                .filter(|b| b.download_id.as_deref() == Some(upper(&self.failing).as_str()))
                .count(),
            imports: movies
                .commands()
                .iter()
                .filter(|c| {
                    c.name == "DownloadedMoviesScan"
                        && c.body["downloadClientId"] == upper(&self.complete)
                })
                .count(),
        }
    }
}

/// The stall clock of a record: the first pass of its run of stalled passes.
fn stall_clock(record: &Value) -> i64 {
    record["stalled_since"]
        .as_i64()
        .unwrap_or_else(|| panic!("no stall clock in {record}"))
}

/// One crash point on one backend; returns a line for the figures.
async fn crash_round(h: &Harness, point: Point, round: usize) -> String {
    let w = &h.w;
    let tag = format!("{}-{}", h.name(), point.as_str());

    // A normal pass first observes the under-threshold torrent and the one to fail, and
    // saves their stall clocks.
    let under = w
        .add_stalled("main", &format!("under.{tag}.mkv"), "sonarr", &[])
        .await;
    let failing = w
        .add_stalled("main", &format!("failing.{tag}.mkv"), "radarr", &[])
        .await;
    let failing_ids = w.queue("movies", &failing, "downloading", vec![100 + round as i64]);
    let (code, summary) = h.run().await;
    assert_eq!(code, 0, "{tag}: first pass {summary:#}");
    let clock = stall_clock(&h.torrent_record(&under).await);

    // Work for the pass that will be killed: one fail (watched stalled since the first
    // pass), one import.
    let (complete, _) = w
        .add_complete("main", &format!("complete.{tag}.mkv"), "radarr", &[])
        .await;
    w.arr("movies").add_download(FakeDownload {
        tracked_state: "importPending".into(),
        output_path: Some("/elsewhere".into()),
        media_ids: vec![200 + round as i64],
        ..FakeDownload::new(&complete, &format!("complete {tag}"))
    });
    let r = Round {
        under,
        failing,
        failing_ids,
        complete,
    };
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let started = sweeparr::pass::epoch_now();
    let out = h.binary(&["run", "--output", "json"], Some(point)).await;
    assert_eq!(
        out.status.signal(),
        Some(9),
        "{tag}: the pass was not killed: {out:?}"
    );
    assert!(
        out.stdout.is_empty(),
        "{tag}: a killed pass prints no summary"
    );
    let at_crash = r.sent(w);
    // What the killed pass left in the store: intents on the fail and the import, or not.
    let ours = [r.failing.as_str(), r.complete.as_str()];
    let intents_left = h
        .export()
        .await
        .iter()
        .filter(|rec| {
            rec["kind"] == "torrent" && ours.contains(&rec["hash"].as_str().unwrap_or(""))
        })
        .filter(|rec| rec.get("intent").is_some())
        .count();
    let want_intents = match (point, &h.backend) {
        (Point::AfterLease | Point::AfterScan, _) => 0,
        // DynamoDB: half of the final save's packs landed, the shared one (the run record)
        // first; the pack of the instance's torrents, holding both intents, did not.
        // The file store's final save is one transaction: not committed, nothing of it.
        _ => 2,
    };
    assert_eq!(intents_left, want_intents, "{tag}: intents after the crash");

    let mut skipped = 0;
    if matches!(h.backend, Backend::Dynamo(_)) {
        // The abandoned lease holds the next run off until it expires...
        let (code, summary) = h.run().await;
        assert_eq!(
            (code, summary["status"].as_str()),
            (0, Some("skipped")),
            "{tag}"
        );
        assert!(summary["actions"].as_array().unwrap().is_empty(), "{tag}");
        assert_eq!(r.sent(w), at_crash, "{tag}: a skipped run sent nothing");
        skipped += 1;
        let lease = h
            .export()
            .await
            .into_iter()
            .find(|rec| rec["kind"] == "lease")
            .unwrap_or_else(|| panic!("{tag}: the killed run's lease is still stored"));
        let until = lease["until"].as_i64().unwrap();
        assert!(
            (started + 11..=started + 12).contains(&until),
            "{tag}: lease until {until}, pass started {started}: deadline + margin is 11 s"
        );
        // ...which is at most deadline + margin after the killed pass started.
        let wait = until + 1 - sweeparr::pass::epoch_now();
        if wait > 0 {
            tokio::time::sleep(Duration::from_secs(wait as u64)).await;
        }
    }
    let (code, summary) = h.run().await;
    assert_eq!(code, 0, "{tag}: next pass {summary:#}");
    assert_eq!(summary["status"], "ok", "{tag}: next pass {summary:#}");
    let after = r.sent(w);

    // (a) Never a repeated destructive action, and the fail did happen once in all.
    assert_eq!(
        (after.deletes, after.blocklisted),
        (1, 1),
        "{tag}: {at_crash:?} at the crash, {after:?} after"
    );
    assert!(
        !w.qbit("main").torrent_hashes().await.contains(&r.failing),
        "{tag}: the failed torrent is gone"
    );
    // (b) The import command at most once; exactly once unless an intent saved before the
    // crash stood for a command that was never sent.
    assert!(after.imports <= 1, "{tag}: {after:?}");
    match point {
        Point::AfterLease | Point::AfterScan | Point::BeforeSave | Point::WhileSaving => {
            assert_eq!(after.imports, 1, "{tag}: {after:?}")
        }
        Point::AfterIntent => assert_eq!(after.imports, 0, "{tag}: intent counts as sent"),
        Point::MidAct => {}
    }
    // (c) The stall clock under its threshold was kept.
    let records = h.export().await;
    let under_now = records
        .iter()
        .find(|rec| rec["kind"] == "torrent" && rec["hash"] == r.under.as_str())
        .expect("under-threshold record");
    assert_eq!(stall_clock(under_now), clock, "{tag}: stall clock reset");
    assert!(w.qbit("main").torrent_hashes().await.contains(&r.under));
    // No intent survives the next pass.
    for rec in &records {
        assert!(rec.get("intent").is_none(), "{tag}: intent left: {rec}");
    }
    // A further pass repeats nothing.
    let (code, summary) = h.run().await;
    assert_eq!(code, 0, "{tag}: {summary:#}");
    assert_eq!(r.sent(w), after, "{tag}: a later pass repeated something");

    format!(
        "| {} | {} | killed (SIGKILL) | {:?} | {} | {} | {:?} | kept | none |",
        h.name(),
        point.as_str(),
        (at_crash.deletes, at_crash.imports),
        intents_left,
        if skipped > 0 {
            "skipped until lease expiry, then ok"
        } else {
            "ok at once"
        },
        (after.deletes, after.blocklisted, after.imports),
    )
}

async fn every_point(h: &Harness) {
    let mut lines = Vec::new();
    for (round, point) in Point::ALL.into_iter().enumerate() {
        lines.push(crash_round(h, point, round).await);
    }
    eprintln!(
        "| backend | crash point | crashed pass | (DELETEs, imports) at crash | intents stored | next pass | (DELETEs, blocklisted, imports) after | under-threshold clock | intents left |"
    );
    for l in lines {
        eprintln!("{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_pass_on_file_store_repeats_nothing_and_keeps_clocks() {
    let h = Harness::start(None).await;
    every_point(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_pass_on_dynamodb_repeats_nothing_keeps_clocks_and_its_lease_expires() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let h = Harness::start(Some(endpoint.url.clone())).await;
    every_point(&h).await;
}
