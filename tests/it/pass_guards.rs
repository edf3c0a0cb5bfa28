//! Guards of the real binary: bad config and bad arguments contact nothing, overlapping runs
//! act once, an unusable state store acts on nothing, secrets never reach any output.

use crate::helpers;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use helpers::world::{API_KEY, World, actions, parse_summary, run_binary};
use sweeparr::model::ArrKind;
use sweeparr::state::file::FileStore;
use sweeparr::state::{LeaseRequest, Store};

/// A loopback listener that counts the connections it accepts (and answers none).
fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stream.is_ok() {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_config_exits_2_and_contacts_nothing() {
    let (qbit_url, qbit_hits) = counting_listener();
    let (arr_url, arr_hits) = counting_listener();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // (config body, text the error must name)
        (
            format!(
                "[qbit.main]\nurl = \"{qbit_url}\"\n[arr.movies]\nkind = \"radar\"\nurl = \"{arr_url}\"\napi_key = \"k\"\ncategory = \"radarr\"\n"
            ),
            "arr.movies.kind",
        ),
        (
            format!(
                "[qbit.main]\nurl = \"{qbit_url}\"\npassword = {{ env = \"SWEEPARR_TEST_UNSET_VAR\" }}\n"
            ),
            "SWEEPARR_TEST_UNSET_VAR",
        ),
        (
            format!("[qbit.main]\nurl = \"{qbit_url}\"\n[health]\nstalled_after = \"soon\"\n"),
            "health.stalled_after",
        ),
        (
            format!("[qbit.main]\nurl = \"{qbit_url}\"\nusername = \"a\"\npasword = \"x\"\n"),
            "qbit.main.pasword",
        ),
    ];
    for (body, names) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, &body).unwrap();
        for args in [
            vec!["run"],
            vec!["plan"],
            vec!["check"],
            vec!["run", "--output", "json"],
        ] {
            let out = run_binary(&path, &args, &[]).await;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} {body}\n{stderr}");
            assert!(stderr.contains(names), "{stderr}");
            assert!(stderr.contains("bad.toml"), "names the file: {stderr}");
        }
    }
    // Unknown --instance is a config error too.
    let path = dir.path().join("good.toml");
    std::fs::write(&path, format!("[qbit.main]\nurl = \"{qbit_url}\"\n")).unwrap();
    let out = run_binary(&path, &["run", "--instance", "nope"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    // So are bad environment overrides, and a log format the binary does not know.
    for (var, value) in [
        ("SWEEPARR_STATE_BACKEND", "postgres"),
        ("SWEEPARR_DRY_RUN", "maybe"),
        ("SWEEPARR_LOG_FORMAT", "xml"),
    ] {
        let out = run_binary(&path, &["run"], &[(var, value)]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}\n{stderr}");
        assert!(stderr.contains(var), "names the variable: {stderr}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        qbit_hits.load(Ordering::SeqCst),
        0,
        "no request to qBittorrent"
    );
    assert_eq!(arr_hits.load(Ordering::SeqCst), 0, "no request to the Arr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_run_is_skipped_and_acts_on_nothing() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("main", "overlap.mkv", "radarr", &[]).await;
    w.queue("movies", &hash, "downloading", vec![3]);
    // The stall clock counts from the first pass that watched it stalled.
    w.watch().await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    w.write_config();

    // Another run holds the lease.
    let store = FileStore::open(&w.state_dir()).unwrap();
    let now = sweeparr::pass::epoch_now();
    store
        .acquire_lease(&LeaseRequest {
            scope: "main".into(),
            run_id: "other-run".into(),
            now,
            until: now + 600,
        })
        .await
        .unwrap();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "skipped");
    assert!(actions(&summary).is_empty());
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));

    // Released: the next run acts.
    store.release_lease("main", "other-run").await.unwrap();
    drop(store);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_started_together_act_once() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("main", "race.mkv", "radarr", &[]).await;
    w.queue("movies", &hash, "downloading", vec![4]);
    w.watch().await;
    // Slow Arr answers keep the first run inside its lease while the second starts: 1.5 s
    // per answer, so the first run holds the lease for seconds, more than the two processes'
    // start can drift apart on a loaded machine (at 300 ms both once ran one after the other).
    w.arr("movies").set_delay(Some(Duration::from_millis(1500)));
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (a, b) = tokio::join!(w.run_json(&[]), w.run_json(&[]));
    let statuses = [
        a.1["status"].as_str().unwrap().to_string(),
        b.1["status"].as_str().unwrap().to_string(),
    ];
    assert!(
        statuses.contains(&"skipped".to_string()),
        "{statuses:?}\n{:#}\n{:#}",
        a.1,
        b.1
    );
    assert!(statuses.contains(&"ok".to_string()), "{statuses:?}");
    let deletes = w
        .arr("movies")
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_state_store_exits_3_and_acts_on_nothing() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("main", "nostore.mkv", "radarr", &[]).await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    // The state path is a regular file: the store cannot be opened.
    std::fs::write(w.state_dir(), b"not a folder").unwrap();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 3, "{summary:#}");
    assert_eq!(summary["status"], "error");
    assert!(
        summary["error"].as_str().unwrap().contains("state"),
        "{summary:#}"
    );
    assert!(actions(&summary).is_empty());
    assert!(w.qbit("main").torrent_hashes().await.contains(&hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_any_output() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("main", "secret.mkv", "radarr", &[]).await;
    w.queue("movies", &hash, "downloading", vec![1]);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let password = helpers::qbit::PASSWORD;
    let mut outputs = vec![];
    for args in [
        vec!["plan"],
        vec!["check"],
        vec!["run", "--output", "json"],
        vec!["state", "export"],
        vec!["state", "list"],
    ] {
        outputs.push((args.clone(), w.sweeparr(&args).await));
    }
    // A wrong password and a wrong key: the error messages must not echo them either.
    let config = w.write_config();
    for env in [
        [
            ("QBIT_PASSWORD", "wrong-pass-W7x9"),
            ("ARR_API_KEY", API_KEY),
        ],
        [
            ("QBIT_PASSWORD", password),
            ("ARR_API_KEY", "wrong-key-Q4z8"),
        ],
    ] {
        let out = run_binary(&config, &["run", "--output", "json"], &env).await;
        let (code, summary) = parse_summary(&out);
        assert_eq!(code, 1, "{summary:#}");
        outputs.push((vec!["run (wrong secret)"], out));
    }
    for (args, out) in &outputs {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in [password, API_KEY, "wrong-pass-W7x9", "wrong-key-Q4z8"] {
            assert!(!all.contains(secret), "{args:?} printed a secret:\n{all}");
        }
    }
}
