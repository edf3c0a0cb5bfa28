//! The rule language: what compiles, what each field holds, what the unit functions give.

use cel::Value;

use super::fields::{TorrentView, sample_details, sample_torrent};
use super::{Condition, Uses, expr};
use crate::model::{Status, Torrent, TorrentFile, Tracker};

const NOW: i64 = 2_000_000;

fn compile_err(source: &str) -> String {
    Condition::compile(source).expect_err(source)
}

fn eval(source: &str, view: &TorrentView<'_>) -> Result<bool, String> {
    let c = Condition::compile(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    c.matches(&view.context(expr::env()))
}

fn view(t: &Torrent) -> TorrentView<'_> {
    TorrentView {
        instance: "main",
        torrent: t,
        arr: None,
        imported: false,
        trackers: None,
        files: None,
        now: NOW,
    }
}

#[test]
fn syntax_errors_say_where() {
    let err = compile_err("ratio >");
    assert!(err.contains("Syntax error") && err.contains("1:8"), "{err}");
    assert!(compile_err("   ").contains("expected a CEL expression"));
}

#[test]
fn unknown_fields_are_named_with_the_list_of_fields() {
    let err = compile_err("seedng_time > days(7)");
    assert!(err.contains("unknown field `seedng_time`"), "{err}");
    assert!(
        err.contains("seeding_time") && err.contains("tracker_host"),
        "{err}"
    );
    // Inside a macro, its own variable is fine but an unknown name is not.
    assert!(Condition::compile("tags.exists(t, t == 'x')").is_ok());
    let err = compile_err("tags.exists(t, u == 'x')");
    assert!(err.contains("unknown field `u`"), "{err}");
    let err = compile_err("nme.contains('x')");
    assert!(err.contains("unknown field `nme`"), "{err}");
}

#[test]
fn type_errors_and_non_boolean_results_fail_at_compile_time() {
    for (source, want) in [
        ("ratio > '2'", "type error"),
        ("name > 3", "type error"),
        ("duration('1h') > age", "unknown function `duration`"),
        ("nosuchfunction(name)", "unknown function `nosuchfunction`"),
        ("size", "gives an int"),
        ("name", "gives a string"),
        ("tags", "gives a list"),
    ] {
        let err = compile_err(source);
        assert!(err.contains(want), "{source}: {err}");
    }
}

#[test]
fn data_dependent_errors_do_not_fail_compilation() {
    // An empty list on some torrent is not a mistake in the rule.
    assert!(Condition::compile("files[3] == 'x'").is_ok());
    assert!(Condition::compile("size / (peers - 1) > 0").is_ok());
}

#[test]
fn costly_fields_are_detected() {
    let uses = |s: &str| Condition::compile(s).unwrap().uses();
    assert_eq!(uses("ratio > 1.0"), Uses::default());
    assert_eq!(
        uses("files.exists(f, f.endsWith('.nfo')) && private == false"),
        Uses {
            files: true,
            tracker_message: false,
            private: true
        }
    );
    assert!(uses("tracker_message.contains('unregistered')").tracker_message);
}

#[test]
fn unit_functions_give_seconds_and_bytes() {
    let t = sample_torrent();
    let v = view(&t);
    for source in [
        "minutes(2) == 120",
        "hours(1) == 3600",
        "days(7) == 604800",
        "days(1.5) == 129600",
        "mib(1) == 1048576",
        "gib(1) == 1073741824",
        "tib(2) == 2199023255552",
        "'Linux ISO'.lowerAscii() == 'linux iso'",
        "name.matches('(?i)sample')",
        "ratio > 1",
    ] {
        assert_eq!(eval(source, &v), Ok(true), "{source}");
    }
    assert!(eval("days(9223372036854775807) > 0", &v).is_err());
}

#[test]
fn fields_hold_the_torrent_as_documented() {
    let mut t = sample_torrent();
    t.tracker = String::new();
    t.private = None;
    t.status = Status::PausedUp;
    t.state = "pausedUP".into();
    let files = vec![TorrentFile {
        name: "dir/a.mkv".into(),
        size: 1,
        priority: 1,
    }];
    let trackers = vec![
        Tracker {
            url: "https://ok.example:8443/announce".into(),
            tier: 0,
            status: 2,
            msg: String::new(),
        },
        Tracker {
            url: "udp://bad.example:1337".into(),
            tier: 1,
            status: 4,
            msg: "Unregistered torrent".into(),
        },
    ];
    let v = TorrentView {
        instance: "seedbox",
        torrent: &t,
        arr: Some("movies"),
        imported: true,
        trackers: Some(&trackers),
        files: Some(&files),
        now: NOW,
    };
    for source in [
        "name == 'Sample.Release.2024.1080p' && instance == 'seedbox'",
        "hash == '0123456789abcdef0123456789abcdef01234567'",
        "category == 'sample' && 'sample' in tags && size(tags) == 1",
        "state == 'pausedUP' && status == 'paused_up'",
        "progress == 1.0 && complete && amount_left == 0 && completed == size",
        "size == gib(1) && seeding_time == days(1) && active_time == 90000",
        "age == 1000000 && idle_time == 950000",
        "tracker == '' && tracker_host == 'ok.example'",
        "tracker_message == 'Unregistered torrent'",
        "private == null && !(private == true) && !(private == false)",
        "seeds == 1 && peers == 1 && upspeed == 1 && dlspeed == 1",
        "save_path == '/downloads' && content_path.endsWith('1080p')",
        "files == ['dir/a.mkv']",
        "managed && arr == 'movies' && imported",
    ] {
        assert_eq!(eval(source, &v), Ok(true), "{source}");
    }
    // A torrent of no Arr, details not fetched.
    let plain = sample_torrent();
    let v = view(&plain);
    for source in [
        "!managed && arr == '' && !imported",
        "files == [] && tracker_message == ''",
        "tracker_host == 'tracker.example.org' && private",
    ] {
        assert_eq!(eval(source, &v), Ok(true), "{source}");
    }
}

#[test]
fn an_unknown_private_flag_makes_a_negation_an_error_not_a_match() {
    let mut t = sample_torrent();
    t.private = None;
    assert!(eval("!private", &view(&t)).is_err());
}

#[test]
fn an_infinite_ratio_compares_above_any_number() {
    let mut t = sample_torrent();
    t.ratio = f64::INFINITY;
    assert_eq!(eval("ratio > 9999.0", &view(&t)), Ok(true));
}

#[test]
fn sample_values_cover_every_field() {
    let t = sample_torrent();
    let (files, trackers) = sample_details();
    let v = TorrentView {
        files: Some(&files),
        trackers: Some(&trackers),
        ..view(&t)
    };
    let values = v.values();
    assert_eq!(values.len(), super::fields::FIELDS.len());
    for ((name, value), (field, _)) in values.iter().zip(super::fields::FIELDS) {
        assert_eq!(name, field);
        assert!(
            !matches!(value, Value::Null),
            "{name} is null in the sample"
        );
    }
}
