//! Defaults, per-Arr overrides, tracker inheritance, "off", normalisation, env overrides.

use std::path::Path;
use std::time::Duration;

use super::{DIR, MINIMAL, ORIGIN, TV, load_ok, secs};
use crate::config::*;
use crate::model::ArrKind;

#[test]
fn unwritten_keys_take_the_contract_defaults() {
    let config = load_ok(MINIMAL);
    assert_eq!(config.source, ORIGIN);

    assert_eq!(config.state.backend, Backend::File);
    assert_eq!(config.state.path, Path::new("/etc/sweeparr/sweeparr-state"));
    assert_eq!(config.state.table, "sweeparr");
    assert_eq!(config.state.endpoint_url, None);

    let run = &config.run;
    assert!(!run.dry_run);
    assert_eq!(run.protect_tag, "sweeparr-keep");
    assert_eq!(run.max_deletions, 25);
    assert_eq!(run.ignore_younger_than, Some(secs(600)));
    assert_eq!(run.deadline, secs(600));
    assert!(run.tag_actions);
    assert_eq!(run.http_timeout, secs(30));
    assert_eq!(run.lease_margin, secs(60));

    let qbit = &config.qbit["main"];
    assert_eq!(qbit.name, "main");
    assert_eq!(qbit.url, "http://127.0.0.1:8080");
    assert_eq!(qbit.username, "admin");
    assert_eq!(qbit.password.expose(), "pw");
    assert!(!qbit.disabled && !qbit.tls_insecure);
    assert!(qbit.path_map.is_empty());

    let arr = &config.arr["movies"];
    assert_eq!(arr.kind, ArrKind::Radarr);
    assert_eq!(arr.import_mode, ImportMode::Auto);
    assert!(!arr.tls_insecure);
    let health = &arr.health;
    assert_eq!(health.stalled_after, Some(secs(30 * 60)));
    assert_eq!(health.max_eta, Some(secs(7 * 86400)));
    assert_eq!(health.unavailable_after, Some(secs(3600)));
    assert!(health.remove_unregistered);
    assert_eq!(
        health.blocked_extensions,
        [
            ".exe", ".scr", ".lnk", ".bat", ".cmd", ".msi", ".vbs", ".iso"
        ]
    );
    assert_eq!(health.failed_import_after, Some(secs(3600)));
    assert!(health.research);
    let goal = &arr.seeding.goal;
    assert_eq!(goal.ratio, Some(2.0));
    assert_eq!(goal.time, Some(secs(14 * 86400)));
    assert_eq!(goal.mode, SeedMode::Any);
    assert!(goal.delete_files);
    assert_eq!(goal.min_time, Duration::ZERO);
    assert!(arr.seeding.trackers.is_empty());
}

#[test]
fn an_empty_config_is_valid_and_configures_nothing() {
    let config = load_ok("");
    assert!(config.qbit.is_empty() && config.arr.is_empty());
}

#[test]
fn per_arr_sections_override_single_keys_of_the_global_ones() {
    let text = format!(
        "{MINIMAL}{TV}
[health]
stalled_after = \"45m\"
max_eta = \"3d\"
[seeding]
ratio = 3.0
delete_files = false
[arr.tv.health]
stalled_after = \"2h\"
[arr.tv.seeding]
time = \"30d\"
mode = \"all\"
"
    );
    let config = load_ok(&text);
    let (movies, tv) = (&config.arr["movies"], &config.arr["tv"]);
    assert_eq!(movies.health.stalled_after, Some(secs(45 * 60)));
    assert_eq!(tv.health.stalled_after, Some(secs(2 * 3600)));
    assert_eq!(tv.health.max_eta, Some(secs(3 * 86400)), "global key kept");
    assert_eq!(tv.health.research, movies.health.research);

    assert_eq!(movies.seeding.goal.time, Some(secs(14 * 86400)));
    assert_eq!(movies.seeding.goal.mode, SeedMode::Any);
    let tv_goal = &tv.seeding.goal;
    assert_eq!(tv_goal.time, Some(secs(30 * 86400)));
    assert_eq!(tv_goal.mode, SeedMode::All);
    assert_eq!(tv_goal.ratio, Some(3.0), "global key kept");
    assert!(!tv_goal.delete_files, "global key kept");
}

#[test]
fn tracker_rules_inherit_unwritten_keys_from_their_seeding_section() {
    let text = format!(
        "{MINIMAL}
[seeding]
ratio = 3
time = \"20d\"
delete_files = false
[[seeding.tracker]]
host = \"Tracker.Example.ORG\"
ratio = 1.0
min_time = \"72h\"
[[seeding.tracker]]
host = \"other.example\"
"
    );
    let config = load_ok(&text);
    let rules = &config.arr["movies"].seeding.trackers;
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].host, "tracker.example.org");
    let goal = &rules[0].goal;
    assert_eq!(goal.ratio, Some(1.0));
    assert_eq!(goal.min_time, secs(72 * 3600));
    assert_eq!(goal.time, Some(secs(20 * 86400)), "inherited");
    assert!(!goal.delete_files, "inherited");
    assert_eq!(goal.mode, SeedMode::Any, "inherited default");
    assert_eq!(rules[1].goal, config.arr["movies"].seeding.goal);
}

#[test]
fn an_arrs_own_tracker_list_replaces_the_global_one() {
    let text = format!(
        "{MINIMAL}{TV}
[[seeding.tracker]]
host = \"global.example\"
[arr.tv.seeding]
ratio = 5
[[arr.tv.seeding.tracker]]
host = \"tv.example\"
time = \"1d\"
"
    );
    let config = load_ok(&text);
    let movies: Vec<_> = config.arr["movies"]
        .seeding
        .trackers
        .iter()
        .map(|r| &r.host)
        .collect();
    assert_eq!(movies, ["global.example"]);
    let tv = &config.arr["tv"].seeding.trackers;
    assert_eq!(tv.len(), 1);
    assert_eq!(tv[0].host, "tv.example");
    assert_eq!(tv[0].goal.time, Some(secs(86400)));
    assert_eq!(
        tv[0].goal.ratio,
        Some(5.0),
        "inherits the Arr's own seeding keys"
    );
}

#[test]
fn global_tracker_rules_inherit_the_arrs_seeding_overrides() {
    let text = format!(
        "{MINIMAL}
[[seeding.tracker]]
host = \"tracker.example.org\"
ratio = 1.0
[arr.movies.seeding]
delete_files = false
"
    );
    let goal = &load_ok(&text).arr["movies"].seeding.trackers[0].goal;
    assert_eq!(goal.ratio, Some(1.0));
    assert!(!goal.delete_files);
}

#[test]
fn off_disables_thresholds() {
    let text = format!(
        "{MINIMAL}
[run]
ignore_younger_than = \"off\"
[health]
stalled_after = \"off\"
max_eta = \"OFF\"
unavailable_after = \"off\"
failed_import_after = \"off\"
[seeding]
ratio = \"off\"
time = \"off\"
min_time = \"off\"
"
    );
    let config = load_ok(&text);
    assert_eq!(config.run.ignore_younger_than, None);
    let arr = &config.arr["movies"];
    assert_eq!(arr.health.stalled_after, None);
    assert_eq!(arr.health.max_eta, None);
    assert_eq!(arr.health.unavailable_after, None);
    assert_eq!(arr.health.failed_import_after, None);
    assert_eq!(arr.seeding.goal.ratio, None);
    assert_eq!(arr.seeding.goal.time, None);
    assert_eq!(arr.seeding.goal.min_time, Duration::ZERO, "no minimum");
}

#[test]
fn values_are_normalised() {
    let text = r#"
[qbit.box]
url = "https://Seedbox.Example.com/qbittorrent/"
path_map = { "/home/me/" = "/mnt/box/", "/home/me/downloads" = "/mnt/dl", "/" = "/srv" }
[health]
blocked_extensions = ["EXE", ".Scr", "exe", " .iso "]
"#;
    let config = load_ok(text);
    let qbit = &config.qbit["box"];
    assert_eq!(qbit.url, "https://seedbox.example.com/qbittorrent");
    let map: Vec<(&str, &str)> = qbit
        .path_map
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        map,
        [
            ("/home/me/downloads", "/mnt/dl"),
            ("/home/me", "/mnt/box"),
            ("/", "/srv")
        ]
    );
    let text = format!(
        "{MINIMAL}\n[health]\nblocked_extensions = [\"EXE\", \".Scr\", \"exe\", \" .iso \"]\n"
    );
    let exts = &load_ok(&text).arr["movies"].health.blocked_extensions;
    assert_eq!(exts, &[".exe", ".scr", ".iso"]);
}

#[test]
fn state_path_is_resolved_against_the_config_folder() {
    for (written, want) in [
        ("data/state", "/etc/sweeparr/data/state"),
        ("/var/lib/sweeparr", "/var/lib/sweeparr"),
    ] {
        let config = load_ok(&format!("[state]\npath = \"{written}\"\n"));
        assert_eq!(config.state.path, Path::new(want));
    }
}

#[test]
fn every_state_key_is_read() {
    let text = r#"
[state]
backend = "dynamodb"
table = "my-table"
endpoint_url = "http://127.0.0.1:8000/"
"#;
    let state = load_ok(text).state;
    assert_eq!(state.backend, Backend::Dynamodb);
    assert_eq!(state.table, "my-table");
    assert_eq!(state.endpoint_url.as_deref(), Some("http://127.0.0.1:8000"));
}

#[test]
fn lease_margin_is_read() {
    let run = load_ok("[run]\ndeadline = \"10s\"\nlease_margin = \"1s\"\n").run;
    assert_eq!((run.deadline, run.lease_margin), (secs(10), secs(1)));
}

#[test]
fn environment_overrides_replace_file_values() {
    let text = "[run]\ndry_run = false\n[state]\nbackend = \"file\"\ntable = \"from-file\"\n";
    let env = |var: &str| match var {
        "SWEEPARR_DRY_RUN" => Some("true".to_owned()),
        "SWEEPARR_STATE_BACKEND" => Some("dynamodb".to_owned()),
        "SWEEPARR_STATE_PATH" => Some("rel/state".to_owned()),
        "SWEEPARR_STATE_TABLE" => Some("from-env".to_owned()),
        _ => None,
    };
    let config = load_str(text, ORIGIN, Path::new(DIR), &env).unwrap();
    assert!(config.run.dry_run);
    assert_eq!(config.state.backend, Backend::Dynamodb);
    assert_eq!(config.state.table, "from-env");
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        config.state.path,
        cwd.join("rel/state"),
        "relative to the current dir"
    );
}

#[test]
fn tls_insecure_and_import_mode_are_read() {
    let text = format!(
        "{MINIMAL}\n[qbit.box]\nurl = \"https://b\"\ntls_insecure = true\ndisabled = true\n"
    )
    .replace(
        "category = \"radarr\"",
        "category = \"radarr\"\nimport_mode = \"copy\"\ntls_insecure = true",
    );
    let config = load_ok(&text);
    assert!(config.qbit["box"].tls_insecure && config.qbit["box"].disabled);
    assert!(!config.qbit["main"].tls_insecure);
    assert_eq!(config.arr["movies"].import_mode, ImportMode::Copy);
    assert!(config.arr["movies"].tls_insecure);
}

#[test]
fn a_qbit_api_key_replaces_the_login() {
    let env = |var: &str| (var == "QBIT_KEY").then(|| "key-value".to_owned());
    let text = "[qbit.main]\nurl = \"http://127.0.0.1:8080\"\napi_key = { env = \"QBIT_KEY\" }\n";
    let config = load_str(text, ORIGIN, Path::new(DIR), &env).unwrap();
    let q = &config.qbit["main"];
    assert!(q.uses_api_key());
    assert_eq!(q.api_key.expose(), "key-value");
    assert!(q.password.is_empty());
    let plain = load_ok("[qbit.main]\nurl = \"http://127.0.0.1:8080\"\npassword = \"pw\"\n");
    assert!(!plain.qbit["main"].uses_api_key());
    assert!(plain.qbit["main"].api_key.is_empty());
}

#[test]
fn tracker_recheck_defaults_to_an_hour_and_is_overridden_per_arr() {
    let config = load_ok(&format!("[health]\ntracker_recheck = \"10m\"\n{TV}"));
    assert_eq!(
        config.arr["tv"].health.tracker_recheck,
        Duration::from_secs(600)
    );
    assert_eq!(Health::default().tracker_recheck, Duration::from_secs(3600));
}

#[test]
fn orphans_are_off_without_roots_and_default_the_rest() {
    assert_eq!(load_ok(MINIMAL).orphans, None);
    let text = format!("{MINIMAL}\n[orphans]\nroots = []\n");
    assert_eq!(load_ok(&text).orphans, None);
    let text = format!("{MINIMAL}\n[orphans]\nroots = [\"/dl\"]\nrecycle = \"/dl/.bin\"\n");
    let o = load_ok(&text).orphans.unwrap();
    assert_eq!(o.roots, [std::path::PathBuf::from("/dl")]);
    assert_eq!(o.min_age, secs(86_400));
    assert_eq!(o.purge_after, Some(secs(30 * 86_400)));
    assert_eq!(o.max_per_pass, 50);
}

#[test]
fn space_is_off_unless_set_and_an_instance_overrides_single_keys() {
    assert_eq!(load_ok(MINIMAL).qbit["main"].space, None);
    let text = format!(
        "{MINIMAL}\n[qbit.box]\nurl = \"http://127.0.0.1:8081\"\n[qbit.box.space]\n\
         resume_margin = \"1GiB\"\n[qbit.off]\nurl = \"http://127.0.0.1:8082\"\n\
         [qbit.off.space]\nmin_free = \"off\"\n[space]\nmin_free = \"50GiB\"\n"
    );
    let config = load_ok(&text);
    let space = |name: &str| config.qbit[name].space;
    assert_eq!(
        space("main"),
        Some(crate::config::Space {
            min_free: 50 << 30,
            resume_margin: 5 << 30
        })
    );
    assert_eq!(
        space("box"),
        Some(crate::config::Space {
            min_free: 50 << 30,
            resume_margin: 1 << 30
        })
    );
    assert_eq!(space("off"), None);
}

#[test]
fn file_filters_are_per_arr_and_match_any_case_across_folders() {
    let text = format!(
        "{MINIMAL}{TV}\n[health]\nexclude_files = [\"*sample*\"]\nkeep_only = [\"MKV\", \".srt\"]\n\
         [arr.tv.health]\nexclude_files = []\n"
    );
    let config = load_ok(&text);
    let movies = &config.arr["movies"].health;
    assert_eq!(movies.keep_only, [".mkv", ".srt"]);
    assert_eq!(
        movies.exclude_files.first_match("Film/SAMPLE/film.mkv"),
        Some("*sample*")
    );
    assert_eq!(movies.exclude_files.first_match("Film/film.mkv"), None);
    assert!(config.arr["tv"].health.exclude_files.is_empty());
    assert_eq!(config.arr["tv"].health.keep_only, [".mkv", ".srt"]);
}
