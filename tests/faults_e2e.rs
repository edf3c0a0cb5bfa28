//! Faults injected between the real binary and real servers: a loopback proxy in front of one
//! qbittorrent-nox (or a fake Arr) answers errors, hangs, closes connections, cuts or garbles
//! bodies. In every case the pass acts on nothing it could not read, still processes the
//! other instances and Arrs, names the fault in the summary, exits 1, and leaves state the
//! next pass uses: once the fault is gone, that pass acts normally.

mod helpers;

use std::time::Duration;

use helpers::fault_proxy::{Fault, FaultProxy, Rule};
use helpers::world::{World, actions};
use serde_json::Value;
use sweeparr::model::ArrKind;

/// Wait past a 1 s stall threshold.
async fn let_stall() {
    tokio::time::sleep(Duration::from_millis(2200)).await;
}

/// The `instances` or `arrs` entry of the summary named `name`.
fn entry<'a>(summary: &'a Value, list: &str, name: &str) -> &'a Value {
    summary[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {summary:#}"))
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name} in {summary:#}"))
}

/// Every record `sweeparr state export` prints.
async fn export(w: &World) -> Vec<Value> {
    let out = w.sweeparr(&["state", "export"]).await;
    assert!(out.status.success(), "state export: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect()
}

/// The torrent records of `instance`, by hash.
fn torrents_of(records: &[Value], instance: &str) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .iter()
        .filter(|r| r["kind"] == "torrent" && r["instance"] == instance)
        .cloned()
        .collect();
    out.sort_by_key(|r| r["hash"].as_str().unwrap_or("").to_string());
    out
}

/// Requests that could change something on the instance behind `proxy` (a login aside).
fn writes(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .requests()
        .into_iter()
        .filter(|s| s.method != "GET" && !s.target.contains("auth/login"))
        .map(|s| format!("{} {}", s.method, s.target))
        .collect()
}

/// DELETE requests a fake Arr received.
fn arr_deletes(arr: &helpers::fake_arr::FakeArr) -> usize {
    arr.requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_faults_leave_that_instance_untouched_and_the_other_processed() {
    let mut w = World::start(&["main", "box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    let on_box = w.add_stalled("box", "box.stalled.mkv", "radarr", &[]).await;

    // A first pass sees both instances; nothing has stalled for an hour yet.
    w.extra = "http_timeout = \"3s\"\n[health]\nstalled_after = \"1h\"\n".into();
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(
        actions(&summary).iter().all(|a| a.0 != "fail"),
        "{summary:#}"
    );
    let before = torrents_of(&export(&w).await, "box");
    assert_eq!(before.len(), 1, "the box torrent has a record");

    w.extra = "http_timeout = \"3s\"\n[health]\nstalled_after = \"1s\"\n".into();
    let cases: Vec<(&str, Rule, &[&str])> = vec![
        (
            "500 on torrents/info",
            Rule::new("torrents/info", Fault::status(500, "Internal Server Error")),
            &["torrents/info", "HTTP 500"],
        ),
        (
            "no answer to torrents/info",
            Rule::new("torrents/info", Fault::Hang),
            &["torrents/info", "unreachable", "timed out"],
        ),
        (
            "connection closed on torrents/info",
            Rule::new("torrents/info", Fault::Close),
            &["torrents/info", "unreachable"],
        ),
        (
            "truncated torrents/info",
            Rule::new("torrents/info", Fault::Truncate),
            &["torrents/info", "unreadable reply"],
        ),
        (
            "malformed torrents/info",
            Rule::new("torrents/info", Fault::Malformed),
            &["torrents/info", "unreadable reply"],
        ),
        (
            "403 on auth/login (banned)",
            Rule::new(
                "auth/login",
                Fault::status(403, "Your IP address has been banned"),
            ),
            &["banned", "auth/login"],
        ),
        (
            "500 on app/version",
            Rule::new("app/version", Fault::status(500, "")),
            &["app/version", "HTTP 500"],
        ),
        (
            "truncated app/webapiVersion",
            Rule::new("app/webapiVersion", Fault::Truncate),
            &["app/webapiVersion"],
        ),
    ];
    for (i, (what, rule, names)) in cases.into_iter().enumerate() {
        let on_main = w
            .add_stalled("main", &format!("main.stalled.{i}.mkv"), "radarr", &[])
            .await;
        let_stall().await;
        proxy.set_rules(vec![rule]);
        proxy.clear_log();
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();

        assert_eq!(code, 1, "{what}: {summary:#}");
        assert_eq!(summary["status"], "partial", "{what}");
        let faulty = entry(&summary, "instances", "box");
        assert_eq!(faulty["reachable"], false, "{what}: {faulty}");
        let error = faulty["error"].as_str().unwrap_or("");
        assert!(
            error.contains("'box'"),
            "{what}: error names the instance: {error}"
        );
        for name in names {
            assert!(error.contains(name), "{what}: error says {name:?}: {error}");
        }
        eprintln!("{what}: {error}");
        assert_eq!(entry(&summary, "instances", "main")["reachable"], true);
        assert_eq!(
            actions(&summary),
            vec![("fail".into(), on_main.clone(), "done".into())],
            "{what}: only the other instance's torrent is failed"
        );
        assert!(writes(&proxy).is_empty(), "{what}: {:?}", writes(&proxy));
        assert!(
            proxy.faulted("") >= 1,
            "{what}: the fault was injected: {:?}",
            proxy.requests()
        );
        if what.contains("banned") {
            assert_eq!(proxy.count("auth/login"), 1, "{what}: a ban is not retried");
        }
        assert!(
            w.qbit("box").torrent_hashes().await.contains(&on_box),
            "{what}"
        );
        assert!(
            w.qbit("main")
                .wait_for_gone(&on_main, helpers::world::WAIT)
                .await,
            "{what}: the other instance's stalled torrent is gone"
        );
        assert_eq!(
            torrents_of(&export(&w).await, "box"),
            before,
            "{what}: the records of the faulty instance are kept as they were"
        );
    }

    // The fault gone, the next pass acts on that instance as usual.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), on_box.clone(), "done".into())]
    );
    assert!(
        w.qbit("box")
            .wait_for_gone(&on_box, helpers::world::WAIT)
            .await
    );
    let after = torrents_of(&export(&w).await, "box");
    assert_eq!(
        after[0]["progress_at"], before[0]["progress_at"],
        "the stall clock kept through the faulty passes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_qbittorrent_within_the_timeout_is_reachable_and_acted_on() {
    let mut w = World::start(&["box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    w.extra = "http_timeout = \"5s\"\n[health]\nstalled_after = \"1s\"\n".into();
    let hash = w
        .add_stalled("box", "slow.stalled.mkv", "radarr", &[])
        .await;
    let_stall().await;
    // Every request waits 1 s before it reaches qBittorrent.
    proxy.set_rules(vec![Rule::new("", Fault::Delay(Duration::from_secs(1)))]);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(entry(&summary, "instances", "box")["reachable"], true);
    assert_eq!(
        actions(&summary),
        vec![("fail".into(), hash.clone(), "done".into())]
    );
    assert!(proxy.faulted("torrents/info") >= 1 && proxy.faulted("torrents/delete") == 1);
    assert!(
        w.qbit("box")
            .wait_for_gone(&hash, helpers::world::WAIT)
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_faults_give_no_verdict_until_the_detail_is_read() {
    let mut w = World::start(&["box"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.qbit("box").url());
    w.routes.push((w.qbit("box").url(), proxy.url()));
    let q = w.qbit("box");
    let scratch = q.scratch_dir();
    let tracker = w.tracker.announce_url();

    // A torrent its tracker calls unregistered (only torrents/trackers tells).
    let (file, unregistered) =
        helpers::qbit::make_torrent(&scratch, "gone.mkv", &[("f", 64_000)], &tracker, false);
    w.tracker.set_unregistered(&unregistered);
    std::fs::remove_file(scratch.join("gone.mkv")).unwrap();
    q.add_torrent_file(&file, "radarr", &[], false).await;
    // A torrent shipping an .exe (only torrents/files tells).
    let (file, exe) = helpers::qbit::make_torrent(
        &scratch,
        "movie.with.exe",
        &[("movie.mkv", 64_000), ("setup.exe", 4_000)],
        &tracker,
        false,
    );
    std::fs::remove_dir_all(scratch.join("movie.with.exe")).unwrap();
    q.add_torrent_file(&file, "radarr", &[], false).await;
    let deadline = std::time::Instant::now() + helpers::world::WAIT;
    while !q
        .trackers_of(&unregistered)
        .await
        .iter()
        .any(|t| t["status"] == 4)
    {
        assert!(std::time::Instant::now() < deadline, "tracker never failed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for fault in [
        Fault::status(500, "Internal Server Error"),
        Fault::Close,
        Fault::Malformed,
        Fault::Truncate,
    ] {
        let name = fault.name();
        proxy.set_rules(vec![
            Rule::new("torrents/trackers", fault.clone()),
            Rule::new("torrents/files", fault),
        ]);
        proxy.clear_log();
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();
        assert!(
            proxy.faulted("torrents/trackers") >= 1 && proxy.faulted("torrents/files") >= 1,
            "{name}: both details were asked and faulted: {:?}",
            proxy.requests()
        );
        assert!(
            actions(&summary).iter().all(|a| a.0 != "fail"),
            "{name}: no verdict without the detail: {summary:#}"
        );
        assert!(
            writes(&proxy).iter().all(|w| !w.contains("delete")),
            "{name}"
        );
        let inst = entry(&summary, "instances", "box");
        assert_eq!(inst["reachable"], true, "{name}: {inst}");
        let error = inst["error"].as_str().unwrap_or("");
        assert!(
            error.contains("torrents/trackers") && error.contains("torrents/files"),
            "{name}: the summary names the unread details: {inst}"
        );
        assert_eq!(code, 1, "{name}: {summary:#}");
        assert_eq!(summary["status"], "partial", "{name}");
        let records = torrents_of(&export(&w).await, "box");
        let exe_record = records.iter().find(|r| r["hash"] == exe.as_str()).unwrap();
        assert_eq!(
            exe_record["files_checked"], false,
            "{name}: an unread file list does not count as checked"
        );
    }
    let hashes = q.torrent_hashes().await;
    assert!(hashes.contains(&unregistered) && hashes.contains(&exe));

    // Details readable again: both verdicts come.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut got = actions(&summary);
    got.sort();
    let mut want = vec![
        ("fail".to_string(), unregistered.clone(), "done".to_string()),
        ("fail".to_string(), exe.clone(), "done".to_string()),
    ];
    want.sort();
    assert_eq!(got, want, "{summary:#}");
    let reasons: Vec<&str> = summary["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("setup.exe")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("Unregistered")),
        "{reasons:?}"
    );
    assert!(q.wait_for_gone(&unregistered, helpers::world::WAIT).await);
    assert!(q.wait_for_gone(&exe, helpers::world::WAIT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arr_queue_faults_spare_its_category_and_other_arrs_work() {
    let mut w = World::start(
        &["main"],
        &[
            ("movies", ArrKind::Radarr, "radarr"),
            ("tv", ArrKind::Sonarr, "sonarr"),
        ],
    )
    .await;
    let proxy = FaultProxy::start(&w.arr("movies").url());
    w.routes.push((w.arr("movies").url(), proxy.url()));
    w.extra = "http_timeout = \"3s\"\n[health]\nstalled_after = \"1s\"\n".into();

    let cases: Vec<(&str, Fault, &str)> = vec![
        (
            "401",
            Fault::status(401, "Unauthorized"),
            "API key rejected (401)",
        ),
        (
            "500",
            Fault::status(500, "boom"),
            "GET queue answered HTTP 500",
        ),
        ("no answer", Fault::Hang, "timed out"),
        (
            "malformed",
            Fault::Malformed,
            "GET queue sent an unexpected body",
        ),
    ];
    let mut movies = vec![];
    for (i, (what, fault, says)) in cases.into_iter().enumerate() {
        let movie = w
            .add_stalled("main", &format!("arrfault.movie.{i}.mkv"), "radarr", &[])
            .await;
        w.queue("movies", &movie, "downloading", vec![i as i64 + 1]);
        let show = w
            .add_stalled("main", &format!("arrfault.show.{i}.mkv"), "sonarr", &[])
            .await;
        w.queue("tv", &show, "downloading", vec![i as i64 + 1]);
        movies.push(movie.clone());
        let_stall().await;
        proxy.set_rules(vec![Rule::new("/queue", fault).method("GET")]);
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();

        assert_eq!(code, 1, "{what}: {summary:#}");
        assert_eq!(summary["status"], "partial");
        let arr = entry(&summary, "arrs", "movies");
        assert_eq!(arr["reachable"], false, "{what}: {arr}");
        let error = arr["error"].as_str().unwrap_or("");
        assert!(
            error.contains("movies") && error.contains(says),
            "{what}: {error}"
        );
        eprintln!("arr {what}: {error}");
        assert_eq!(entry(&summary, "arrs", "tv")["reachable"], true);
        assert_eq!(
            actions(&summary),
            vec![("fail".into(), show.clone(), "done".into())],
            "{what}: only the reachable Arr's download is failed"
        );
        assert_eq!(arr_deletes(w.arr("movies")), 0, "{what}");
        assert_eq!(w.arr("tv").blocklist().len(), i + 1, "{what}");
        let left = w.qbit("main").torrent_hashes().await;
        assert!(movies.iter().all(|m| left.contains(m)), "{what}");
    }

    // The Arr answers again: each download it holds is failed once.
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let mut got: Vec<String> = actions(&summary)
        .into_iter()
        .filter(|a| a.0 == "fail" && a.2 == "done")
        .map(|a| a.1)
        .collect();
    got.sort();
    movies.sort();
    assert_eq!(got, movies);
    assert_eq!(arr_deletes(w.arr("movies")), movies.len());
    assert_eq!(w.arr("movies").blocklist().len(), movies.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arr_failing_on_the_delete_is_retried_once_by_the_next_pass() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.arr("movies").url());
    w.routes.push((w.arr("movies").url(), proxy.url()));
    w.extra = "http_timeout = \"3s\"\n[health]\nstalled_after = \"1s\"\n".into();
    let arr = w.arr("movies");

    // (fault, error text, whether the Arr received and carried out the DELETE)
    let cases: Vec<(Fault, &str, bool)> = vec![
        (
            Fault::status(500, "Internal Server Error"),
            "HTTP 500",
            false,
        ),
        (Fault::Hang, "timed out", false),
        (Fault::Close, "unreachable", false),
        (Fault::Swallow, "timed out", true),
    ];
    for (i, (fault, says, carried_out)) in cases.into_iter().enumerate() {
        let name = fault.name();
        let hash = w
            .add_stalled("main", &format!("delfault.{i}.mkv"), "radarr", &[])
            .await;
        w.queue("movies", &hash, "downloading", vec![i as i64 + 1]);
        let_stall().await;
        let blocked = arr.blocklist().len();
        let deletes = arr_deletes(arr);
        proxy.set_rules(vec![Rule::new("/queue/", fault).method("DELETE")]);
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();

        assert_eq!(code, 1, "{name}: {summary:#}");
        assert_eq!(summary["status"], "partial");
        assert_eq!(
            actions(&summary),
            vec![("fail".into(), hash.clone(), "failed".into())],
            "{name}"
        );
        let error = summary["actions"][0]["error"].as_str().unwrap_or("");
        assert!(
            error.contains("movies") && error.contains(says),
            "{name}: {error}"
        );
        eprintln!("delete {name}: {error}");
        assert_eq!(entry(&summary, "arrs", "movies")["reachable"], true);
        let record = torrents_of(&export(&w).await, "main")
            .into_iter()
            .find(|r| r["hash"] == hash.as_str())
            .expect("record");
        assert!(
            record.get("intent").is_none(),
            "{name}: outcome saved: {record}"
        );
        assert!(record.get("removed_at").is_none(), "{name}: {record}");
        let step = usize::from(carried_out);
        // A DELETE forwarded to the Arr is finished there even though sweeparr gave up.
        let settled = std::time::Instant::now() + helpers::world::WAIT;
        while arr.blocklist().len() < blocked + step && std::time::Instant::now() < settled {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(arr_deletes(arr), deletes + step, "{name}");
        assert_eq!(arr.blocklist().len(), blocked + step, "{name}");

        // Next pass: a DELETE the Arr never carried out is sent once more; one it did is not.
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{name}: {summary:#}");
        if carried_out {
            assert!(actions(&summary).is_empty(), "{name}: {summary:#}");
        } else {
            assert_eq!(
                actions(&summary),
                vec![("fail".into(), hash.clone(), "done".into())],
                "{name}"
            );
        }
        assert_eq!(arr_deletes(arr), deletes + 1, "{name}: one DELETE in all");
        assert_eq!(
            arr.blocklist().len(),
            blocked + 1,
            "{name}: blocklisted once"
        );
        assert!(
            w.qbit("main")
                .wait_for_gone(&hash, helpers::world::WAIT)
                .await
        );
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{name}: {summary:#}");
        assert!(actions(&summary).is_empty(), "{name}: {summary:#}");
        assert_eq!(arr.blocklist().len(), blocked + 1, "{name}");
    }
}
