//! Hostile configs: arbitrary text and values at the edges never panic the loader; every
//! error names the origin; and no error, however the file is broken around it, echoes a
//! secret: a literal password, API key or notification URL, a secret read from the
//! environment, or the password in a URL's userinfo.
//!
//! Deterministic: the property tests run from a fixed seed.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, RngSeed};
use sweeparr::config::{ConfigError, load_str};

const ORIGIN: &str = "/cfg/sweeparr.toml";

fn prop_config(cases: u32) -> PropConfig {
    PropConfig {
        cases,
        rng_seed: RngSeed::Fixed(0xc0f1_6bad),
        failure_persistence: None,
        ..PropConfig::default()
    }
}

fn load(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    load_str(text, ORIGIN, Path::new("/cfg"), env).map(|_| ())
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// Lines a config might hold, many of them wrong.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[run]".to_string()),
        Just("[state]".to_string()),
        Just("[health]".to_string()),
        Just("[seeding]".to_string()),
        Just("[[seeding.tracker]]".to_string()),
        Just("[qbit.main]".to_string()),
        Just("[qbit.\"naïve/../x\"]".to_string()),
        Just("[arr.movies]".to_string()),
        Just("[arr.movies.health]".to_string()),
        Just("[[notify]]".to_string()),
        Just("[[rule]]".to_string()),
        Just("url = \"http://127.0.0.1:8080\"".to_string()),
        Just("kind = \"radarr\"".to_string()),
        Just("category = \"\"".to_string()),
        Just("category = \"a/b\"".to_string()),
        Just("max_deletions = 99999999999999999999".to_string()),
        Just("max_deletions = -1".to_string()),
        Just("ratio = nan".to_string()),
        Just("ratio = -inf".to_string()),
        Just("ratio = 1e400".to_string()),
        Just("stalled_after = \"99999999999999999999d\"".to_string()),
        Just("stalled_after = \"-5m\"".to_string()),
        Just("deadline = \"0s\"".to_string()),
        Just("protect_tag = \"\"".to_string()),
        Just("protect_tag = \"a,b\"".to_string()),
        Just("blocked_extensions = [\"\", \"/\", \".\"]".to_string()),
        Just("path_map = { \"\" = \"\" }".to_string()),
        Just("when = \"size >\"".to_string()),
        Just("then = [\"delete\", \"tag:\"]".to_string()),
        Just("name = \"\"".to_string()),
        Just("a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_string()),
        Just(format!("x = {}", "[".repeat(5_000))),
        Just(format!("x = {}", "{ a = ".repeat(2_000))),
        Just("\u{feff}\u{0}\u{202e}".to_string()),
        "[a-z_]{1,12} = (\"[^\"\\\\\\n]{0,12}\"|[0-9.-]{1,8}|true|off)",
        "\\PC{0,30}",
    ]
}

proptest! {
    #![proptest_config(prop_config(1500))]

    #[test]
    fn arbitrary_text_never_panics_the_loader(text in "\\PC{0,200}") {
        let _ = load(&text, &no_env);
    }

    #[test]
    fn broken_configs_fail_naming_the_origin(lines in prop::collection::vec(fragment(), 0..14)) {
        let text = lines.join("\n");
        if let Err(e) = load(&text, &no_env) {
            prop_assert!(e.to_string().starts_with(ORIGIN), "{}", e);
        }
    }
}

/// A distinctive secret: never part of any key, message or path by chance.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_+/=-]{6,24}".prop_map(|tail| format!("Zk9{tail}"))
}

/// Ways to write (or mistype) a secret value at a secret key, `S` standing for the secret.
const SECRET_FORMS: &[&str] = &[
    "\"S\"",
    "'S'",
    "\"\"\"S\"\"\"",
    "S",
    "\"S",
    "'S",
    "\"\"\"S",
    "'''S",
    "\"\"\"\nS = 1\n",
    "'''\n[S]\n",
    "\"S\" trailing",
    "\"S\",",
    "[\"S\"]",
    "{ literal = \"S\" }",
    "{ env = \"X\", value = \"S\" }",
    "{ \"S\" }",
    "{ S }",
    "{ file = \"f\", ssm = \"S\" }",
    "1\nkey = \"S\"",
];

/// Configs that place the secret at a secret key and break something (or nothing) else.
fn secret_config() -> impl Strategy<Value = (String, String)> {
    (
        secret(),
        prop::sample::select(SECRET_FORMS),
        0usize..3,
        prop::sample::select(
            &[
                "",
                "kind = \"radar\"",
                "url = \"not a url\"",
                "colour = 1",
                "[qbit.main]",
                "category = 5",
                "x = ",
                "[run]\nmax_deletions = -1",
            ][..],
        ),
    )
        .prop_map(|(secret, form, slot, breaker)| {
            let value = form.replace('S', &secret);
            let text = match slot {
                0 => format!("[qbit.main]\nurl = \"http://127.0.0.1:8080\"\npassword = {value}\n{breaker}\n"),
                1 => format!(
                    "[arr.movies]\nkind = \"radarr\"\nurl = \"http://127.0.0.1:7878\"\ncategory = \"radarr\"\napi_key = {value}\n{breaker}\n"
                ),
                _ => format!("[[notify]]\nkind = \"ntfy\"\nurl = {value}\n{breaker}\n"),
            };
            (secret, text)
        })
}

fn assert_hidden(secret: &str, text: &str, err: &ConfigError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(secret), "config:\n{text}\nerror: {shown}");
}

proptest! {
    #![proptest_config(prop_config(2000))]

    #[test]
    fn no_error_echoes_a_literal_secret((secret, text) in secret_config()) {
        if let Err(e) = load(&text, &no_env) {
            assert_hidden(&secret, &text, &e);
        }
    }

    #[test]
    fn no_error_echoes_a_secret_from_the_environment(
        secret in secret(),
        lines in prop::collection::vec(fragment(), 0..10),
    ) {
        let text = format!(
            "[qbit.main]\nurl = \"http://127.0.0.1:8080\"\npassword = {{ env = \"QBIT_PW\" }}\n{}",
            lines.join("\n")
        );
        let env = |var: &str| (var == "QBIT_PW").then(|| secret.clone());
        match load_str(&text, ORIGIN, Path::new("/cfg"), &env) {
            Ok(config) => {
                let shown = format!("{config:?}");
                prop_assert!(!shown.contains(&secret));
            }
            Err(e) => assert_hidden(&secret, &text, &e),
        }
    }

    #[test]
    fn no_error_echoes_a_password_in_a_url(
        secret in "[A-Za-z0-9]{6,20}".prop_map(|t| format!("Zk9{t}")),
        rest in prop::sample::select(&["", ":8080", ":99999", "/x y", ":abc", "\\\\"][..]),
    ) {
        for key in ["qbit.main", "arr.movies"] {
            let text = format!("[{key}]\nurl = \"http://admin:{secret}@127.0.0.1{rest}\"\n");
            if let Err(e) = load(&text, &no_env) {
                assert_hidden(&secret, &text, &e);
            }
        }
    }
}

#[test]
fn out_of_range_numbers_are_errors_naming_their_key() {
    for (text, key) in [
        (
            "[run]\nmax_deletions = 99999999999999999999",
            "run.max_deletions",
        ),
        ("[run]\nmax_deletions = -1", "run.max_deletions"),
        ("[seeding]\nratio = nan", "seeding.ratio"),
        ("[seeding]\nratio = -1.0", "seeding.ratio"),
        ("[seeding]\nratio = inf", "seeding.ratio"),
        (
            "[health]\nstalled_after = \"99999999999999999999d\"",
            "health.stalled_after",
        ),
        ("[health]\nstalled_after = \"-5m\"", "health.stalled_after"),
        ("[run]\nlease_margin = \"0s\"", "run.lease_margin"),
    ] {
        let err = load(text, &no_env).expect_err(text);
        assert_eq!(err.key(), Some(key), "{text}: {err}");
        assert!(err.to_string().starts_with(ORIGIN), "{err}");
    }
}

#[test]
fn hostile_names_are_refused_naming_the_table() {
    for (text, key) in [
        ("[qbit.\"naïve\"]\nurl = \"http://x\"", "qbit.naïve"),
        ("[qbit.\"a/b\"]\nurl = \"http://x\"", "qbit.a/b"),
        ("[qbit.\"\"]\nurl = \"http://x\"", "qbit."),
        ("[run]\nprotect_tag = \"\"", "run.protect_tag"),
        ("[run]\nprotect_tag = \"a,b\"", "run.protect_tag"),
        (
            "[health]\nblocked_extensions = [\".exe\", \"\"]",
            "health.blocked_extensions[1]",
        ),
        (
            "[health]\nblocked_extensions = [\"a/b\"]",
            "health.blocked_extensions[0]",
        ),
    ] {
        let err = load(text, &no_env).expect_err(text);
        assert_eq!(err.key(), Some(key), "{text}: {err}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [1_000, 100_000] {
        for text in [
            format!("x = {}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("x = {}1{}", "{ a = ".repeat(depth), " }".repeat(depth)),
        ] {
            assert!(load(&text, &no_env).is_err());
        }
    }
}
