//! `check`, `state ...` and `config example` of the real binary against real servers.

use crate::helpers;

use std::time::Duration;

use helpers::world::{World, actions};
use sweeparr::model::ArrKind;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_prints_versions_and_names_what_is_unreachable() {
    let mut w = World::start(
        &["main"],
        &[
            ("movies", ArrKind::Radarr, "radarr"),
            ("tv", ArrKind::Sonarr, "sonarr"),
        ],
    )
    .await;
    let out = w.sweeparr(&["check"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let version = &w.qbit("main").build().version;
    assert!(
        all.contains(&format!("qbit.main: qBittorrent {version} (WebAPI ")),
        "{all}"
    );
    assert!(
        all.contains("login as 'admin'"),
        "check says how it logs in: {all}"
    );
    assert!(all.contains("arr.movies: Radarr 5.14"), "{all}");
    assert!(all.contains("arr.tv: Sonarr 4.0"), "{all}");
    assert!(
        all.contains("categories missing (a run creates them): radarr, sonarr"),
        "{all}"
    );

    let closed = helpers::qbit::free_port();
    w.extra = format!("[qbit.gone]\nurl = \"http://127.0.0.1:{closed}\"\n");
    w.arr("tv").set_failure(Some(401));
    let out = w.sweeparr(&["check"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("qbit.gone: UNREACHABLE"), "{all}");
    assert!(all.contains("arr.tv: UNREACHABLE"), "{all}");
    assert!(all.contains("2 problem(s)"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_commands_list_show_export_and_forget_records() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1h\"\n".into();
    let hash = w.add_stalled("main", "state.cmd.mkv", "radarr", &[]).await;
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).iter().all(|a| a.0 == "create_category"));

    let list = text(&w.sweeparr(&["state", "list"]).await);
    assert!(
        list.contains(&hash) && list.contains("state.cmd.mkv"),
        "{list}"
    );

    let export = w.sweeparr(&["state", "export"]).await;
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect();
    let torrent = lines
        .iter()
        .find(|r| r["kind"] == "torrent")
        .expect("a torrent record");
    assert_eq!(torrent["instance"], "main");
    assert_eq!(torrent["hash"], hash.as_str());

    let show = w.sweeparr(&["state", "show", &hash.to_uppercase()]).await;
    assert!(show.status.success(), "{}", text(&show));
    assert!(String::from_utf8_lossy(&show.stdout).contains("progress_at"));

    let forget = w.sweeparr(&["state", "forget", &hash]).await;
    assert!(forget.status.success(), "{}", text(&forget));
    let show = w.sweeparr(&["state", "show", &hash]).await;
    assert_eq!(show.status.code(), Some(1), "forgotten");
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_output_is_a_table_and_a_total() {
    let mut w = World::start(&["main"], &[("movies", ArrKind::Radarr, "radarr")]).await;
    w.extra = "[health]\nstalled_after = \"1s\"\n".into();
    let hash = w.add_stalled("main", "table.row.mkv", "radarr", &[]).await;
    w.queue("movies", &hash, "downloading", vec![1]);
    // The stall clock counts from the first pass that watched it stalled.
    w.watch().await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let out = w.sweeparr(&["plan"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("OUTCOME  ACTION"), "{stdout}");
    assert!(
        lines.iter().any(|l| l.starts_with("planned  fail")
            && l.contains("table.row.mkv")
            && l.contains("stalled ")),
        "{stdout}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("ok (dry run): 1 action (0 done, 1 planned"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_naming_nothing_to_look_at_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sweeparr.toml");
    std::fs::write(&config, "[state]\npath = \"state\"\n").unwrap();
    let out = helpers::world::run_binary(&config, &["run", "--output", "json"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("sweeparr.toml"), "{said}");
    assert!(said.contains("[qbit.<name>]"), "{said}");
    // Refused before the store is opened: nothing written.
    assert!(!dir.path().join("state").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_whether_each_orphan_root_can_be_searched() {
    let mut w = World::start(&["main"], &[]).await;
    let root = w.qbit("main").save_dir();
    let missing = w.dir.path().join("no-such-folder");
    w.extra = format!(
        "[orphans]\nroots = [\"{}\", \"{}\"]\nrecycle = \"{}\"\n",
        root.display(),
        missing.display(),
        w.dir.path().join("recycle").display()
    );
    let out = w.sweeparr(&["check"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!("orphans root {}: readable", root.display())),
        "{all}"
    );
    assert!(
        all.contains(&format!("orphans root {}: UNREADABLE", missing.display())),
        "{all}"
    );
    assert!(all.contains("1 problem(s)"), "{all}");
}
