//! Notifications end to end: the real binary, fake Arrs, real qbittorrent-nox where a
//! torrent must be removed, and a loopback receiver standing in for the webhook, Discord,
//! ntfy and Apprise endpoints.

use crate::helpers;

use std::process::Output;
use std::time::Duration;

use helpers::receiver::Receiver;
use helpers::world::{World, actions, parse_summary};
use serde_json::Value;
use sweeparr::model::ArrKind;

/// The token part of every notification URL: a secret no output may contain.
const TOKEN: &str = "t0ken-5ecret-4242";

/// One `[[notify]]` target of each kind, all pointing at `rx`.
fn all_targets(rx: &Receiver) -> String {
    format!(
        "[[notify]]\nkind = \"webhook\"\nurl = \"{}\"\n\n\
         [[notify]]\nkind = \"discord\"\nurl = \"{}\"\n\n\
         [[notify]]\nkind = \"ntfy\"\nurl = \"{}\"\npriority = \"high\"\ntags = [\"broom\"]\n\n\
         [[notify]]\nkind = \"apprise\"\nurl = \"{}\"\ntags = [\"admins\"]\n",
        rx.url(&format!("/webhook/{TOKEN}")),
        rx.url(&format!("/discord/api/webhooks/1/{TOKEN}")),
        rx.url(&format!("/ntfy/sweeparr-{TOKEN}")),
        rx.url(&format!("/apprise/notify/{TOKEN}")),
    )
}

fn assert_no_secret(out: &Output) {
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(text);
        assert!(
            !text.contains(TOKEN),
            "{what} shows a notification URL:\n{text}"
        );
    }
}

/// A world whose pass fails one stalled torrent through the Arr; returns its hash.
async fn destructive_world(extra: &str) -> (World, String) {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = format!("[health]\nstalled_after = \"1s\"\n\n{extra}");
    let hash = w
        .add_stalled("main", "Stalled.Movie.2024.mkv", "radarr", &[])
        .await;
    w.queue("movies", &hash, "downloading", vec![11]);
    // The stall clock counts from the first pass that watched it stalled.
    w.watch().await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    (w, hash)
}

async fn run(w: &World, args: &[&str]) -> (i32, Value, Output) {
    let out = w.sweeparr(args).await;
    let (code, summary) = parse_summary(&out);
    assert_no_secret(&out);
    (code, summary, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destructive_pass_sends_one_message_to_each_target_in_its_shape() {
    let rx = Receiver::start();
    let (w, hash) = destructive_world(&all_targets(&rx)).await;

    let (code, summary, _) = run(&w, &["run", "--output", "json"]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        [("fail".into(), hash.clone(), "done".into())]
    );
    assert_eq!(rx.received().len(), 4, "{:#?}", rx.received());

    let hook = &rx.at("/webhook/")[0];
    assert_eq!(hook.method, "POST");
    assert!(
        hook.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = hook.json();
    assert_eq!(body["run_id"], summary["run_id"]);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["actions"][0]["hash"], hash);
    assert_eq!(body["events"][0]["kind"], "removed");
    assert_eq!(body["events"][0]["category"], "destructive");
    let line = body["events"][0]["text"].as_str().unwrap();
    assert!(
        line.starts_with("removed failed download Stalled.Movie.2024.mkv (main): stalled "),
        "{line}"
    );
    assert_eq!(body["title"], "sweeparr: 1 removed");

    let discord = rx.at("/discord/")[0].json();
    let content = discord["content"].as_str().unwrap();
    assert!(
        content.starts_with(
            "**sweeparr: 1 removed**\n- removed failed download Stalled.Movie.2024.mkv"
        ),
        "{content}"
    );
    assert!(content.chars().count() <= 2000);
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));

    let ntfy = &rx.at("/ntfy/")[0];
    assert_eq!(ntfy.header("title"), Some("sweeparr: 1 removed"));
    assert_eq!(ntfy.header("priority"), Some("high"));
    assert_eq!(ntfy.header("tags"), Some("broom"));
    assert!(
        ntfy.body
            .starts_with("- removed failed download Stalled.Movie.2024.mkv")
    );

    let apprise = rx.at("/apprise/notify/")[0].json();
    assert_eq!(apprise["title"], "sweeparr: 1 removed");
    assert_eq!(apprise["type"], "info");
    assert_eq!(apprise["tag"], "admins");
    assert!(
        apprise["body"]
            .as_str()
            .unwrap()
            .contains("Stalled.Movie.2024.mkv")
    );

    // The next pass has nothing to tell.
    rx.clear();
    let (code, summary, _) = run(&w, &["run", "--output", "json"]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(rx.received().is_empty(), "{:#?}", rx.received());
}

/// Outage records in the state store as (target, announced).
async fn outages(w: &World) -> Vec<(String, bool)> {
    let out = w.sweeparr(&["state", "export"]).await;
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "outage")
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["announced"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn texts(rx: &Receiver) -> Vec<String> {
    rx.at("/webhook/")
        .iter()
        .flat_map(|r| {
            r.json()["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["text"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_arr_is_announced_once_and_its_recovery_once() {
    let rx = Receiver::start();
    let mut w = World::start(&[], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = format!(
        "[[notify]]\nkind = \"webhook\"\nurl = \"{}\"\n",
        rx.url(&format!("/webhook/{TOKEN}"))
    );
    w.arr("movies").set_failure(Some(503));

    for _ in 0..2 {
        let (code, summary, _) = run(&w, &["run", "--output", "json"]).await;
        assert_eq!(code, 1, "{summary:#}");
        assert_eq!(summary["status"], "partial");
    }
    let told = texts(&rx);
    assert_eq!(told.len(), 1, "announced once over two passes: {told:#?}");
    assert!(
        told[0].starts_with("arr movies unreachable: GET queue/details answered HTTP 503"),
        "{}",
        told[0]
    );
    assert_eq!(outages(&w).await, [("arr.movies".to_string(), true)]);

    w.arr("movies").set_failure(None);
    rx.clear();
    for _ in 0..2 {
        let (code, summary, _) = run(&w, &["run", "--output", "json"]).await;
        assert_eq!(code, 0, "{summary:#}");
    }
    let told = texts(&rx);
    assert_eq!(told.len(), 1, "recovery told once: {told:#?}");
    assert!(
        told[0].starts_with("arr movies is back (unreachable for "),
        "{}",
        told[0]
    );
    assert!(outages(&w).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_no_target_accepted_is_announced_again_next_pass() {
    let rx = Receiver::start();
    rx.set_status(500);
    let mut w = World::start(&[], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = format!(
        "[[notify]]\nkind = \"discord\"\nurl = \"{}\"\n",
        rx.url(&format!("/discord/{TOKEN}"))
    );
    w.arr("movies").set_failure(Some(503));

    let (code, _, _) = run(&w, &["run", "--output", "json"]).await;
    assert_eq!(code, 1);
    assert_eq!(rx.received().len(), 1);
    assert_eq!(outages(&w).await, [("arr.movies".to_string(), false)]);

    rx.set_status(204);
    let (code, _, _) = run(&w, &["run", "--output", "json"]).await;
    assert_eq!(code, 1);
    assert_eq!(rx.received().len(), 2);
    let content = rx.received()[1].json()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(content.contains("arr movies unreachable for "), "{content}");
    assert_eq!(outages(&w).await, [("arr.movies".to_string(), true)]);

    let (_, _, _) = run(&w, &["run", "--output", "json"]).await;
    assert_eq!(rx.received().len(), 2, "no third announcement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_targets_never_fail_the_pass() {
    let rx = Receiver::start();
    rx.set_status(500);
    let closed = helpers::qbit::free_port();
    let extra = format!(
        "[[notify]]\nkind = \"webhook\"\nurl = \"{}\"\n\n[[notify]]\nkind = \"ntfy\"\nurl = \"http://127.0.0.1:{closed}/{TOKEN}\"\n",
        rx.url(&format!("/webhook/{TOKEN}"))
    );
    let (w, hash) = destructive_world(&extra).await;

    let (code, summary, out) = run(&w, &["run", "--output", "json"]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(
        actions(&summary),
        [("fail".into(), hash.clone(), "done".into())]
    );
    assert_eq!(rx.received().len(), 1, "the webhook was tried");
    assert!(!w.qbit("main").torrent_hashes().await.contains(&hash));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notify[0] (webhook): answered HTTP 500"),
        "{stderr}"
    );
    assert!(stderr.contains("notify[1] (ntfy): no answer"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_no_notification_and_writes_nothing() {
    let rx = Receiver::start();
    let (w, hash) = destructive_world(&all_targets(&rx)).await;
    assert!(rx.received().is_empty(), "the watching pass told nothing");
    let before = w.sweeparr(&["state", "export"]).await.stdout;

    for args in [
        vec!["plan", "--output", "json"],
        vec!["run", "--dry-run", "--output", "json"],
    ] {
        let (code, summary, _) = run(&w, &args).await;
        assert_eq!(code, 0, "{summary:#}");
        assert_eq!(
            actions(&summary),
            [("fail".into(), hash.clone(), "planned".into())]
        );
    }
    // An unreachable Arr in a dry run: still nothing sent, nothing remembered.
    w.arr("movies").set_failure(Some(503));
    let (code, _, _) = run(&w, &["plan", "--output", "json"]).await;
    assert_eq!(code, 1);
    assert!(rx.received().is_empty(), "{:#?}", rx.received());
    let export = w.sweeparr(&["state", "export"]).await;
    assert_eq!(
        String::from_utf8_lossy(&export.stdout),
        String::from_utf8_lossy(&before),
        "nothing remembered"
    );
}
