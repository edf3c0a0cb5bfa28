//! Every bad value is an error naming the origin and the exact dotted key.

use std::path::Path;

use super::{DIR, MINIMAL, ORIGIN, TV, try_load};
use crate::config::*;

#[test]
fn a_bad_environment_override_is_a_config_error_naming_the_variable() {
    let env = |var: &str| (var == "SWEEPARR_DRY_RUN").then(|| "sometimes".to_owned());
    let err = load_str(MINIMAL, ORIGIN, Path::new(DIR), &env).unwrap_err();
    assert!(err.to_string().contains("SWEEPARR_DRY_RUN"), "{err}");
}

/// (config text, exact dotted key, a piece of the expected-value message)
const BAD: &[(&str, &str, &str)] = &[
    (
        "[arr.movies]\nkind = \"radar\"",
        "arr.movies.kind",
        "radarr",
    ),
    (
        "[arr.movies]\nurl = \"http://x\"\ncategory = \"c\"\napi_key = \"k\"",
        "arr.movies.kind",
        "radarr",
    ),
    (
        "[qbit.main]\nurl = \"not a url\"",
        "qbit.main.url",
        "http://",
    ),
    (
        "[qbit.main]\nurl = \"ftp://host/\"",
        "qbit.main.url",
        "http://",
    ),
    ("[qbit.main]\nusername = \"u\"", "qbit.main.url", "missing"),
    (
        "[qbit.main]\nurl = \"http://x\"\napi_key = \"\"",
        "qbit.main.api_key",
        "API key",
    ),
    (
        "[qbit.main]\nurl = \"http://x\"\napi_key = \"k\"\npassword = \"p\"",
        "qbit.main.api_key",
        "one of them",
    ),
    (
        "[health]\ntracker_recheck = \"off\"",
        "health.tracker_recheck",
        "not allowed",
    ),
    (
        "[qbit.\"my box\"]\nurl = \"http://x\"",
        "qbit.my box",
        "letters, digits",
    ),
    (
        "[health]\nstalled_after = \"ten minutes\"",
        "health.stalled_after",
        "\"30m\"",
    ),
    ("[run]\ndeadline = \"off\"", "run.deadline", "not allowed"),
    (
        "[run]\nhttp_timeout = \"0s\"",
        "run.http_timeout",
        "above zero",
    ),
    (
        "[run]\nlease_margin = \"off\"",
        "run.lease_margin",
        "not allowed",
    ),
    ("[run]\nprotect_tag = \"\"", "run.protect_tag", "tag"),
    (
        "[run]\nmax_deletion = 3",
        "run.max_deletion",
        "max_deletions",
    ),
    ("colour = \"blue\"", "colour", "unknown field"),
    (
        "[qbit.main]\nurl = \"http://x\"\npasword = \"p\"",
        "qbit.main.pasword",
        "unknown field",
    ),
    (
        "[arr.tv.health]\nstaled_after = \"1h\"",
        "arr.tv.health.staled_after",
        "unknown field",
    ),
    (
        "[[seeding.tracker]]\nhost = \"a\"\nratoi = 1",
        "seeding.tracker[0].ratoi",
        "unknown field",
    ),
    (
        "[[seeding.tracker]]\nratio = 1",
        "seeding.tracker[0].host",
        "host",
    ),
    (
        "[[seeding.tracker]]\nhost = \"https://t.example/announce\"",
        "seeding.tracker[0].host",
        "bare host",
    ),
    ("[seeding]\nratio = -1", "seeding.ratio", ">= 0"),
    ("[seeding]\nmode = \"either\"", "seeding.mode", "any"),
    ("[state]\nbackend = \"s3\"", "state.backend", "dynamodb"),
    ("[state]\ntable = \"x\"", "state.table", "table name"),
    (
        "[state]\nendpoint_url = \"localhost:8000\"",
        "state.endpoint_url",
        "http://",
    ),
    (
        "[health]\nblocked_extensions = [\".exe\", \"\"]",
        "health.blocked_extensions[1]",
        "extension",
    ),
    (
        "[health]\nexclude_files = [\"*.nfo\", \"[bad\"]",
        "health.exclude_files[1]",
        "file pattern",
    ),
    (
        "[health]\nexclude_files = [\" \"]",
        "health.exclude_files[0]",
        "is empty",
    ),
    (
        "[health]\nkeep_only = [\"a/b\"]",
        "health.keep_only[0]",
        "extension",
    ),
    (
        "[space]\nmin_free = \"50\"",
        "space.min_free",
        "a size such as",
    ),
    (
        "[space]\nmin_free = \"lots\"",
        "space.min_free",
        "\"50GiB\"",
    ),
    ("[space]\nfree = \"1GiB\"", "space.free", "unknown field"),
    (
        "[run]\nfailed_category = \"\"",
        "run.failed_category",
        "category name",
    ),
    (
        "[run]\nfailed_category = \"x\"\nrecheck_category = \"x\"",
        "run.recheck_category",
        "same as run.failed_category",
    ),
    (
        "[orphans]\nroots = [\"dl\"]",
        "orphans.roots[0]",
        "absolute",
    ),
    ("[orphans]\nroots = [\"/dl\"]", "orphans.recycle", "missing"),
    (
        "[orphans]\nroots = [\"/dl\"]\nrecycle = \"bin\"",
        "orphans.recycle",
        "absolute",
    ),
    (
        "[orphans]\nroots = [\"/bin/dl\"]\nrecycle = \"/bin\"",
        "orphans.roots[0]",
        "inside orphans.recycle",
    ),
    (
        "[orphans]\nroots = [\"/dl\"]\nrecycle = \"/r\"\nmax_per_pass = 0",
        "orphans.max_per_pass",
        "at least 1",
    ),
    (
        "[orphans]\nroot = [\"/dl\"]",
        "orphans.root",
        "unknown field",
    ),
    ("[[tracker]]\nadd = []", "tracker[0].host", "missing"),
    (
        "[[tracker]]\nhost = \"t.example\"\nadd = [\"t.example/announce\"]",
        "tracker[0].add[0]",
        "announce URL",
    ),
    (
        "[[tracker]]\nhost = \"t.example\"\ntags = [\"a,b\"]",
        "tracker[0].tags[0]",
        "tag name",
    ),
    (
        "[[tracker]]\nhost = \"t.example\"\nup_limit = \"fast\"",
        "tracker[0].up_limit",
        "a speed such as",
    ),
    (
        "[[tracker]]\nhost = \"t.example\"\nremove = [\"[x\"]",
        "tracker[0].remove[0]",
        "pattern",
    ),
    (
        "[qbit.main]\nurl = \"http://x\"\n[qbit.main.space]\nresume_margin = 5",
        "qbit.main.space.resume_margin",
        "a size",
    ),
    (
        "[qbit.main]\nurl = \"http://x\"\npath_map = { \"\" = \"/a\" }",
        "qbit.main.path_map",
        "non-empty",
    ),
    (
        "[qbit.main]\nurl = \"http://x\"\ndisabled = \"yes\"",
        "qbit.main.disabled",
        "boolean",
    ),
    ("[run]\ndry_run = tru", "run.dry_run", "line 2"),
];

#[test]
fn each_bad_value_is_reported_with_origin_and_exact_key() {
    for (text, key, expected) in BAD {
        let err = try_load(text).expect_err(text);
        let shown = err.to_string();
        assert_eq!(err.key(), Some(*key), "{text}\n=> {shown}");
        assert!(shown.starts_with(&format!("{ORIGIN}: {key}: ")), "{shown}");
        assert!(shown.contains(expected), "{text}\n=> {shown}");
    }
}

#[test]
fn arr_fields_are_required_and_checked() {
    let arr = |body: &str| format!("[arr.movies]\n{body}\n");
    let full = "kind = \"radarr\"\nurl = \"http://x\"\napi_key = \"k\"\ncategory = \"c\"";
    assert!(try_load(&arr(full)).is_ok());
    for (remove, key) in [
        ("url = \"http://x\"", "arr.movies.url"),
        ("api_key = \"k\"", "arr.movies.api_key"),
        ("category = \"c\"", "arr.movies.category"),
    ] {
        let err = try_load(&arr(&full.replace(remove, ""))).unwrap_err();
        assert_eq!(err.key(), Some(key), "{err}");
        assert!(
            err.to_string().contains("missing") || err.to_string().contains("category"),
            "{err}"
        );
    }
    let err = try_load(&arr(&full.replace("\"c\"", "\" \""))).unwrap_err();
    assert_eq!(err.key(), Some("arr.movies.category"), "{err}");
    let err = try_load(&arr(&format!("{full}\nimport_mode = \"link\""))).unwrap_err();
    assert_eq!(err.key(), Some("arr.movies.import_mode"), "{err}");
}

#[test]
fn a_category_used_by_two_arrs_is_rejected() {
    let text = format!("{MINIMAL}{}", TV.replace("\"tv\"", "\"Radarr\""));
    let err = try_load(&text).unwrap_err();
    let shown = err.to_string();
    assert_eq!(err.key(), Some("arr.tv.category"), "{shown}");
    assert!(
        shown.contains(ORIGIN) && shown.contains("arr.movies"),
        "{shown}"
    );
}

#[test]
fn inline_origin_is_named_in_errors() {
    let err = load_str(
        "[run]\ndeadline = 5",
        INLINE_ORIGIN,
        Path::new("."),
        &|_| None,
    )
    .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with("<inline SWEEPARR_CONFIG_TOML>: run.deadline: "),
        "{shown}"
    );
}

#[test]
fn a_trigger_category_must_not_be_an_arrs() {
    let text = format!("[run]\nrecheck_category = \"RADARR\"\n{MINIMAL}");
    let err = try_load(&text).unwrap_err().to_string();
    assert!(err.contains("run.recheck_category"), "{err}");
    assert!(err.contains("arr.movies's"), "{err}");
}
