//! `[[rule]]`: what a rule means once loaded, and how a bad one is reported.

use super::{ORIGIN, try_load};
use crate::rules::action::{LIMIT_GLOBAL, LIMIT_NONE};
use crate::rules::{RuleAction, RuleContext, ShareLimits};

fn rule(body: &str) -> String {
    format!("[[rule]]\nname = \"r\"\nwhen = \"ratio > 1.0\"\n{body}\n")
}

#[test]
fn rules_keep_their_order_and_take_the_documented_defaults() {
    let text = r#"
[[rule]]
name = "tag old"
when = "seeding_time > days(30)"
then = ["tag:old", "untag:new", "category:archive", "category:", "stop", "start",
        "reannounce", "recheck", "delete", "delete_files",
        { tag = "x" }, { category = "movies/old" }]

[[rule]]
name = "limits"
when = "private"
then = [{ share_limits = { ratio = 2.0, seeding_time = "7d", inactive_seeding_time = "off" } },
        { share_limits = { ratio = "off" } }]
context = "any"
stop = true

[[rule]]
name = "hook"
when = "complete"
context = "finished"
stop = true
"#;
    let config = super::load_ok(text);
    let names: Vec<&str> = config.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["tag old", "limits", "hook"]);
    let first = &config.rules[0];
    assert_eq!(first.context, RuleContext::Scheduled);
    assert!(!first.stop);
    assert_eq!(first.when.source(), "seeding_time > days(30)");
    assert_eq!(
        first.then,
        vec![
            RuleAction::Tag("old".into()),
            RuleAction::Untag("new".into()),
            RuleAction::Category("archive".into()),
            RuleAction::Category(String::new()),
            RuleAction::Stop,
            RuleAction::Start,
            RuleAction::Reannounce,
            RuleAction::Recheck,
            RuleAction::Delete { files: false },
            RuleAction::Delete { files: true },
            RuleAction::Tag("x".into()),
            RuleAction::Category("movies/old".into()),
        ]
    );
    let limits = &config.rules[1];
    assert_eq!((limits.context, limits.stop), (RuleContext::Any, true));
    assert_eq!(
        limits.then,
        vec![
            RuleAction::ShareLimits(ShareLimits {
                ratio: 2.0,
                seeding_minutes: 7 * 24 * 60,
                inactive_minutes: LIMIT_NONE,
            }),
            RuleAction::ShareLimits(ShareLimits {
                ratio: LIMIT_NONE as f64,
                seeding_minutes: LIMIT_GLOBAL,
                inactive_minutes: LIMIT_GLOBAL,
            }),
        ]
    );
    assert_eq!(config.rules[2].context, RuleContext::Finished);
    assert!(config.rules[2].then.is_empty(), "stop-only rule");
}

#[test]
fn a_rule_that_does_not_compile_is_a_config_error_naming_the_rule() {
    let text = "[[rule]]\nname = \"old-seeds\"\nwhen = \"ratio >\"\nthen = [\"stop\"]\n";
    let err = try_load(text).unwrap_err();
    assert_eq!(err.key(), Some("rule[old-seeds].when"), "{err}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "{ORIGIN}: rule[old-seeds].when: does not compile: "
        )),
        "{shown}"
    );
    assert!(shown.contains("Syntax error"), "{shown}");
}

/// (rule body after name and when, exact key, piece of the message)
const BAD: &[(&str, &str, &str)] = &[
    (
        "then = [\"stop\"]\nwhen2 = \"x\"",
        "rule[0].when2",
        "unknown field",
    ),
    (
        "then = [\"paws\"]",
        "rule[r].then[0]",
        "unknown action \"paws\"",
    ),
    ("then = [\"stop\", \"tag:\"]", "rule[r].then[1]", "tag name"),
    ("then = [\"tag:a,b\"]", "rule[r].then[0]", "no ','"),
    (
        "then = [\"category\"]",
        "rule[r].then[0]",
        "category:archive",
    ),
    (
        "then = [\"stop:now\"]",
        "rule[r].then[0]",
        "takes no argument",
    ),
    ("then = [3]", "rule[r].then[0]", "found integer"),
    (
        "then = [{ tag = 3 }]",
        "rule[r].then[0]",
        "expected a string",
    ),
    (
        "then = [{ tag = \"a\", untag = \"b\" }]",
        "rule[r].then[0]",
        "expected",
    ),
    (
        "then = [{ share_limits = { ratio = -1 } }]",
        "rule[r].then[0]",
        "number >= 0",
    ),
    (
        "then = [{ share_limits = { seeding_time = \"90s\" } }]",
        "rule[r].then[0]",
        "whole minutes",
    ),
    (
        "then = [{ share_limits = { time = \"1d\" } }]",
        "rule[r].then[0]",
        "unknown key `time`",
    ),
    ("then = []", "rule[r].then", "at least one action"),
    ("", "rule[r].then", "at least one action"),
    (
        "then = [\"stop\"]\ncontext = \"hook\"",
        "rule[0].context",
        "finished",
    ),
];

#[test]
fn each_bad_rule_is_reported_with_its_exact_key() {
    for (body, key, expected) in BAD {
        let text = rule(body);
        let err = try_load(&text).expect_err(&text);
        assert_eq!(err.key(), Some(*key), "{text}\n=> {err}");
        assert!(err.to_string().contains(expected), "{text}\n=> {err}");
    }
}

#[test]
fn rule_names_are_required_and_unique() {
    let err = try_load("[[rule]]\nwhen = \"complete\"\nthen = [\"stop\"]\n").unwrap_err();
    assert_eq!(err.key(), Some("rule[0].name"), "{err}");
    let twice = format!(
        "{}{}",
        rule("then = [\"stop\"]"),
        rule("then = [\"start\"]")
    );
    let err = try_load(&twice).unwrap_err();
    assert_eq!(err.key(), Some("rule[r].name"), "{err}");
    assert!(err.to_string().contains("used twice"), "{err}");
    let err = try_load("[[rule]]\nname = \"n\"\nthen = [\"stop\"]\n").unwrap_err();
    assert_eq!(err.key(), Some("rule[n].when"), "{err}");
}

#[test]
fn a_type_error_or_unknown_field_is_caught_at_load() {
    for (when, expected) in [
        ("seedng_time > 1", "unknown field `seedng_time`"),
        ("ratio > 'two'", "type error"),
        ("size", "true or false"),
    ] {
        let text = format!("[[rule]]\nname = \"r\"\nwhen = \"{when}\"\nthen = [\"stop\"]\n");
        let err = try_load(&text).unwrap_err();
        assert_eq!(err.key(), Some("rule[r].when"), "{err}");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn the_commented_rule_of_the_example_config_loads_once_uncommented() {
    let example = crate::config::example();
    let block: String = example
        .lines()
        .skip_while(|l| !l.starts_with("# [[rule]]"))
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l)))
        .collect();
    let config = super::load_ok(&block);
    assert_eq!(config.rules.len(), 1, "{block}");
    assert_eq!(config.rules[0].name, "stop-public-after-7d");
    assert_eq!(
        config.rules[0].then,
        vec![RuleAction::Stop, RuleAction::Tag("seeded".into())]
    );
}
