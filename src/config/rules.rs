//! `[[rule]]` tables: as written ([`RawRule`]) and checked into [`Rule`]s, their `when`
//! expressions compiled. Every error names the rule: `rule[NAME].when`,
//! `rule[NAME].then[2]` (or `rule[3].name` while it has no name).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::duration::parse_threshold;
use super::error::ConfigError;
use super::error::Ctx;
use crate::rules::action::{LIMIT_GLOBAL, LIMIT_NONE};
use crate::rules::{Condition, Rule, RuleAction, RuleContext, ShareLimits};

/// `[[rule]]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[rule]] table (name, when, then, context, stop)"
)]
pub struct RawRule {
    /// `name` (required, unique)
    pub name: Option<String>,
    /// `when` (required): a CEL expression.
    pub when: Option<String>,
    /// `then`: action strings or one-key tables.
    pub then: Option<Vec<toml::Value>>,
    /// `context`
    pub context: Option<RuleContext>,
    /// `stop`
    pub stop: Option<bool>,
}

/// What an action must look like, for error messages.
const ACTIONS: &str = "expected \"tag:NAME\", \"untag:NAME\", \"category:NAME\", \"stop\", \
    \"start\", \"reannounce\", \"recheck\", \"delete\", \"delete_files\", or a table such as \
    { share_limits = { ratio = 2.0, seeding_time = \"7d\" } }";

/// Checks and compiles every rule, in order.
pub(crate) fn rules(raw: &[RawRule], ctx: &Ctx) -> Result<Vec<Rule>, ConfigError> {
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let name = r.name.as_deref().unwrap_or("").trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(ctx.invalid(
                format!("rule[{i}].name"),
                "missing; expected a name for the rule, shown in the reason of its actions",
            ));
        }
        let key = format!("rule[{name}]");
        if !names.insert(name.to_string()) {
            return Err(ctx.invalid(
                format!("{key}.name"),
                format!("rule name {name:?} is used twice; expected unique names"),
            ));
        }
        let source = r.when.as_deref().ok_or_else(|| {
            ctx.invalid(
                format!("{key}.when"),
                "missing; expected a CEL expression such as ratio > 2.0 && seeding_time > days(7)",
            )
        })?;
        let when = Condition::compile(source)
            .map_err(|e| ctx.invalid(format!("{key}.when"), format!("does not compile: {e}")))?;
        let then = r
            .then
            .iter()
            .flatten()
            .enumerate()
            .map(|(j, v)| action(v).map_err(|e| ctx.invalid(format!("{key}.then[{j}]"), e)))
            .collect::<Result<Vec<_>, _>>()?;
        let stop = r.stop.unwrap_or(false);
        if then.is_empty() && !stop {
            return Err(ctx.invalid(
                format!("{key}.then"),
                format!("a rule needs at least one action (or stop = true); {ACTIONS}"),
            ));
        }
        out.push(Rule {
            name: name.to_string(),
            when,
            then,
            context: r.context.unwrap_or(RuleContext::Scheduled),
            stop,
        });
    }
    Ok(out)
}

/// One `then` entry: `"verb"`, `"verb:argument"` or `{ verb = argument }`.
fn action(value: &toml::Value) -> Result<RuleAction, String> {
    match value {
        toml::Value::String(s) => {
            let (verb, arg) = match s.split_once(':') {
                Some((verb, arg)) => (verb.trim(), Some(arg.trim())),
                None => (s.trim(), None),
            };
            verb_action(verb, arg)
        }
        toml::Value::Table(t) if t.len() == 1 => {
            let (verb, arg) = t.iter().next().expect("one entry");
            match (verb.as_str(), arg) {
                ("share_limits", toml::Value::Table(limits)) => share_limits(limits),
                ("share_limits", _) => Err(
                    "share_limits: expected a table such as { ratio = 2.0, seeding_time = \"7d\" }"
                        .into(),
                ),
                (verb, toml::Value::String(arg)) => verb_action(verb, Some(arg.trim())),
                (verb, other) => Err(format!(
                    "{verb}: expected a string, found {}",
                    other.type_str()
                )),
            }
        }
        other => Err(format!("{ACTIONS}; found {}", other.type_str())),
    }
}

fn verb_action(verb: &str, arg: Option<&str>) -> Result<RuleAction, String> {
    let tag = |arg: Option<&str>| match arg {
        Some(t) if !t.is_empty() && !t.contains(',') => Ok(t.to_string()),
        _ => Err(format!(
            "{verb}: expected a tag name after ':' (not empty, no ','), e.g. \"{verb}:old\""
        )),
    };
    let bare = |action: RuleAction| match arg {
        None => Ok(action),
        Some(_) => Err(format!("{verb} takes no argument; {ACTIONS}")),
    };
    match verb {
        "tag" => Ok(RuleAction::Tag(tag(arg)?)),
        "untag" => Ok(RuleAction::Untag(tag(arg)?)),
        "category" => match arg {
            Some(c) => Ok(RuleAction::Category(c.to_string())),
            None => Err(
                "category: expected a category after ':', e.g. \"category:archive\" \
                 (\"category:\" clears it)"
                    .into(),
            ),
        },
        "stop" => bare(RuleAction::Stop),
        "start" => bare(RuleAction::Start),
        "reannounce" => bare(RuleAction::Reannounce),
        "recheck" => bare(RuleAction::Recheck),
        "delete" => bare(RuleAction::Delete { files: false }),
        "delete_files" => bare(RuleAction::Delete { files: true }),
        _ => Err(format!("unknown action {verb:?}; {ACTIONS}")),
    }
}

fn share_limits(t: &toml::Table) -> Result<RuleAction, String> {
    let mut limits = ShareLimits {
        ratio: LIMIT_GLOBAL as f64,
        seeding_minutes: LIMIT_GLOBAL,
        inactive_minutes: LIMIT_GLOBAL,
    };
    for (key, value) in t {
        match key.as_str() {
            "ratio" => limits.ratio = ratio_limit(value)?,
            "seeding_time" => limits.seeding_minutes = minutes_limit(key, value)?,
            "inactive_seeding_time" => limits.inactive_minutes = minutes_limit(key, value)?,
            _ => {
                return Err(format!(
                    "share_limits: unknown key `{key}`; expected ratio, seeding_time, \
                     inactive_seeding_time"
                ));
            }
        }
    }
    Ok(RuleAction::ShareLimits(limits))
}

fn ratio_limit(value: &toml::Value) -> Result<f64, String> {
    let expected = "share_limits.ratio: expected a number >= 0, \"off\" (no limit) or \
                    \"global\"";
    match value {
        toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => Ok(*f),
        toml::Value::Integer(i) if *i >= 0 => Ok(*i as f64),
        toml::Value::String(s) => match s.trim() {
            "off" => Ok(LIMIT_NONE as f64),
            "global" => Ok(LIMIT_GLOBAL as f64),
            _ => Err(format!("{expected}, found {s:?}")),
        },
        _ => Err(expected.into()),
    }
}

fn minutes_limit(key: &str, value: &toml::Value) -> Result<i64, String> {
    let expected = format!(
        "share_limits.{key}: expected a duration of whole minutes (\"90m\", \"7d\"), \"off\" \
         (no limit) or \"global\""
    );
    let toml::Value::String(s) = value else {
        return Err(expected);
    };
    if s.trim() == "global" {
        return Ok(LIMIT_GLOBAL);
    }
    match parse_threshold(s).map_err(|e| format!("share_limits.{key}: {e}"))? {
        None => Ok(LIMIT_NONE),
        Some(d) if d.as_secs() % 60 == 0 => Ok(i64::try_from(d.as_secs() / 60).unwrap_or(i64::MAX)),
        Some(_) => Err(format!("{expected}, found {s:?}")),
    }
}
