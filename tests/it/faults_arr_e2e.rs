//! Faults injected between the real binary and a fake Arr: a loopback proxy in front of it
//! answers 401, 500, garbage, or nothing, on the queue read, the history read, the queue
//! DELETE or the import command. A download whose Arr cannot be read is left alone (other
//! Arrs carry on); a write that failed is reported `failed`, exits 1, and is sent again by
//! the next pass exactly when the Arr did not carry it out.

use crate::helpers;

use std::time::Duration;

use helpers::fault_proxy::{Fault, FaultProxy, Rule};
use helpers::results::{arr_deletes, entry, export, let_stall, torrents_of};
use helpers::world::{World, actions};
use sweeparr::model::ArrKind;

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
    w.extra = "http_timeout = \"5s\"\n[health]\nstalled_after = \"1s\"\n".into();

    let cases: Vec<(&str, Fault, &str)> = vec![
        (
            "401",
            Fault::status(401, "Unauthorized"),
            "API key rejected (401)",
        ),
        (
            "500",
            Fault::status(500, "boom"),
            "GET queue/details answered HTTP 500",
        ),
        ("no answer", Fault::Hang, "timed out"),
        (
            "malformed",
            Fault::Malformed,
            "GET queue/details sent an unexpected body",
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
        proxy.set_rules(vec![Rule::new("/queue", fault).method("GET")]);
        // A first pass under the same fault starts the stall clocks and removes nothing.
        w.watch().await;
        let_stall().await;
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
    w.extra = "http_timeout = \"5s\"\n[health]\nstalled_after = \"1s\"\n".into();
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
        w.watch().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_arr_history_removes_nothing_until_it_answers() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.arr("movies").url());
    w.routes.push((w.arr("movies").url(), proxy.url()));
    // Seeding goal met at once; only the Arr's history can tell it was imported.
    w.extra = "[seeding]\nratio = 0.0\ntime = \"off\"\n".into();
    let (hash, data) = w
        .add_complete("main", "seeded.movie.mkv", "radarr", &[])
        .await;
    w.arr("movies").add_history(&hash, "downloadFolderImported");

    for fault in [Fault::status(500, "boom"), Fault::Malformed, Fault::Close] {
        let name = fault.name();
        proxy.set_rules(vec![Rule::new("/history", fault)]);
        let (code, summary) = w.run_json(&[]).await;
        proxy.clear_rules();
        assert!(proxy.faulted("/history") >= 1, "{name}");
        assert!(
            actions(&summary).iter().all(|a| a.0 != "remove"),
            "{name}: {summary:#}"
        );
        let arr = entry(&summary, "arrs", "movies");
        assert_eq!(arr["reachable"], true, "{name}: {arr}");
        let error = arr["error"].as_str().unwrap_or("");
        eprintln!("history {name}: {error}");
        assert!(error.contains("GET history"), "{name}: {arr}");
        assert_eq!(
            (code, summary["status"].as_str()),
            (1, Some("partial")),
            "{name}"
        );
        let rec = torrents_of(&export(&w).await, "main");
        assert!(
            rec[0].get("history_checked_at").is_none(),
            "{name}: an unread history is asked again next pass: {}",
            rec[0]
        );
        assert!(data.exists(), "{name}");
    }

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("remove".into(), hash.clone(), "done".into())]
    );
    assert!(
        w.qbit("main")
            .wait_for_gone(&hash, helpers::world::WAIT)
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_import_command_is_sent_again_once_by_the_next_pass() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    let proxy = FaultProxy::start(&w.arr("movies").url());
    w.routes.push((w.arr("movies").url(), proxy.url()));
    w.extra = "[health]\nfailed_import_after = \"1h\"\n".into();
    let (hash, _) = w
        .add_complete("main", "import.fault.mkv", "radarr", &[])
        .await;
    // Listed as not imported; the fake's scan of that path does not import it.
    w.arr("movies")
        .add_download(helpers::fake_arr::FakeDownload {
            tracked_state: "importPending".into(),
            output_path: Some("/elsewhere".into()),
            ..helpers::fake_arr::FakeDownload::new(&hash, "import.fault")
        });
    let scans = || {
        w.arr("movies")
            .commands()
            .iter()
            .filter(|c| c.name == "DownloadedMoviesScan")
            .count()
    };
    proxy.set_rules(vec![
        Rule::new("/command", Fault::status(500, "boom")).method("POST"),
    ]);
    let (code, summary) = w.run_json(&[]).await;
    proxy.clear_rules();
    assert_eq!(code, 1, "{summary:#}");
    assert_eq!(
        actions(&summary),
        vec![("import".into(), hash.clone(), "failed".into())]
    );
    let error = summary["actions"][0]["error"].as_str().unwrap_or("");
    eprintln!("import command 500: {error}");
    assert!(
        error.contains("movies") && error.contains("HTTP 500"),
        "{error}"
    );
    assert_eq!(scans(), 0);

    for pass in 0..2 {
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{summary:#}");
        let want = if pass == 0 {
            vec![("import".into(), hash.clone(), "done".into())]
        } else {
            vec![]
        };
        assert_eq!(actions(&summary), want, "pass {pass}");
    }
    assert_eq!(scans(), 1, "the command reached the Arr once in all");
}
