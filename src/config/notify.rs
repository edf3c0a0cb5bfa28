//! `[[notify]]`: from the tables as written to [`NotifyConfig`]s.
//!
//! The URL is a secret (a Discord or Apprise URL carries its token): it is checked without
//! ever being quoted, here for a literal and in `resolve` for `env` / `file` values.

use super::defaults::NOTIFY_ON;
use super::error::ConfigError;
use super::error::Ctx;
use super::raw::{RawNotify, RawSecret};
use super::secret::{Secret, SecretSource};
use super::types::{NotifyConfig, NotifyEvent, NotifyKind};
use super::values::secret_source;

/// ntfy priority names; 1-5 are accepted too.
const NTFY_PRIORITIES: [&str; 6] = ["min", "low", "default", "high", "urgent", "max"];

/// Every `[[notify]]` entry, in order.
pub(crate) fn targets(raw: &[RawNotify], ctx: &Ctx) -> Result<Vec<NotifyConfig>, ConfigError> {
    raw.iter()
        .enumerate()
        .map(|(i, entry)| target(entry, &format!("notify[{i}]"), ctx))
        .collect()
}

fn target(raw: &RawNotify, key: &str, ctx: &Ctx) -> Result<NotifyConfig, ConfigError> {
    let kind = match raw.kind {
        Some(k) => k,
        None => {
            return Err(ctx.invalid(
                format!("{key}.kind"),
                "missing; expected one of webhook, discord, ntfy, apprise",
            ));
        }
    };
    let url_source = match &raw.url {
        Some(RawSecret(SecretSource::Literal(v))) if v.trim().is_empty() => None,
        Some(secret) => Some(secret_source(secret, ctx)),
        None => None,
    }
    .ok_or_else(|| {
        ctx.invalid(
            format!("{key}.url"),
            "missing; expected the target's http(s) URL, e.g. { env = \"DISCORD_WEBHOOK_URL\" }",
        )
    })?;
    if let SecretSource::Literal(url) = &url_source {
        check_url(url).map_err(|m| ctx.invalid(format!("{key}.url"), m))?;
    }
    let on = match &raw.on {
        None => NOTIFY_ON.to_vec(),
        Some(list) if list.is_empty() => {
            return Err(ctx.invalid(
                format!("{key}.on"),
                "expected at least one of destructive, unreachable, failed, attention (remove \
                 the target to turn it off)",
            ));
        }
        Some(list) => {
            let mut on: Vec<NotifyEvent> = list.clone();
            on.sort();
            on.dedup();
            on
        }
    };
    if let Some(p) = &raw.priority {
        if kind != NotifyKind::Ntfy {
            return Err(ctx.invalid(
                format!("{key}.priority"),
                "only used by kind = \"ntfy\"; remove it",
            ));
        }
        let p = p.trim().to_ascii_lowercase();
        let ok = NTFY_PRIORITIES.contains(&p.as_str())
            || matches!(p.as_str(), "1" | "2" | "3" | "4" | "5");
        if !ok {
            return Err(ctx.invalid(
                format!("{key}.priority"),
                format!("expected one of min, low, default, high, urgent or 1-5, found {p:?}"),
            ));
        }
    }
    let tags = raw.tags.clone().unwrap_or_default();
    if !tags.is_empty() && !matches!(kind, NotifyKind::Ntfy | NotifyKind::Apprise) {
        return Err(ctx.invalid(
            format!("{key}.tags"),
            "only used by kind = \"ntfy\" or \"apprise\"; remove it",
        ));
    }
    for (i, tag) in tags.iter().enumerate() {
        if tag.trim().is_empty() || tag.contains([',', '\n', '\r']) || !tag.is_ascii() {
            return Err(ctx.invalid(
                format!("{key}.tags[{i}]"),
                format!("expected a non-empty ASCII tag without ',', found {tag:?}"),
            ));
        }
    }
    Ok(NotifyConfig {
        kind,
        url_source,
        url: Secret::default(),
        on,
        priority: raw.priority.as_ref().map(|p| p.trim().to_ascii_lowercase()),
        tags: tags.iter().map(|t| t.trim().to_owned()).collect(),
    })
}

/// Checks a target URL without quoting it: http(s), with a host.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    const EXPECTED: &str =
        "expected an http:// or https:// URL (the value is a secret and not shown)";
    match reqwest::Url::parse(url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(EXPECTED.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::test_support::load_in;
    use crate::config::{Config, ConfigError, NotifyEvent, NotifyKind, SecretSource};

    const HOOK: &str = "https://discord.com/api/webhooks/123/t0ken-5ecret";

    fn load(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        load_in(Path::new("/cfg"), text, env)
    }

    #[test]
    fn targets_are_read_in_order_with_default_events() {
        let text = format!(
            "[[notify]]\nkind = \"discord\"\nurl = \"{HOOK}\"\n\n[[notify]]\nkind = \"ntfy\"\nurl = {{ env = \"NTFY_URL\" }}\non = [\"failed\", \"destructive\", \"failed\"]\npriority = \"High\"\ntags = [\"warning\", \" broom \"]\n"
        );
        let env = |v: &str| (v == "NTFY_URL").then(|| "http://127.0.0.1:9/alerts".to_owned());
        let config = load(&text, &env).unwrap();
        let [discord, ntfy] = &config.notify[..] else {
            panic!("two targets")
        };
        assert_eq!(discord.kind, NotifyKind::Discord);
        assert_eq!(discord.url.expose(), HOOK);
        assert_eq!(
            discord.on,
            [
                NotifyEvent::Destructive,
                NotifyEvent::Unreachable,
                NotifyEvent::Attention
            ]
        );
        assert_eq!(ntfy.kind, NotifyKind::Ntfy);
        assert_eq!(ntfy.url_source, SecretSource::Env("NTFY_URL".into()));
        assert_eq!(ntfy.url.expose(), "http://127.0.0.1:9/alerts");
        assert_eq!(ntfy.on, [NotifyEvent::Destructive, NotifyEvent::Failed]);
        assert_eq!(ntfy.priority.as_deref(), Some("high"));
        assert_eq!(ntfy.tags, ["warning", "broom"]);
        assert_eq!(ntfy.label(1), "notify[1] (ntfy)");
    }

    #[test]
    fn bad_targets_name_the_key_and_never_quote_the_url() {
        let env = |v: &str| (v == "BAD_URL").then(|| "ftp://t0ken-5ecret@host/x".to_owned());
        for (body, key) in [
            ("url = \"http://x\"", "notify[0].kind"),
            ("kind = \"slack\"\nurl = \"http://x\"", "notify[0].kind"),
            ("kind = \"webhook\"", "notify[0].url"),
            (
                "kind = \"webhook\"\nurl = \"t0ken-5ecret\"",
                "notify[0].url",
            ),
            (
                "kind = \"webhook\"\nurl = { env = \"BAD_URL\" }",
                "notify[0].url",
            ),
            ("kind = \"webhook\"\nurl = 5", "notify[0].url"),
            (
                "kind = \"webhook\"\nurl = \"http://x\"\non = []",
                "notify[0].on",
            ),
            (
                "kind = \"webhook\"\nurl = \"http://x\"\non = [\"always\"]",
                "notify[0].on",
            ),
            (
                "kind = \"discord\"\nurl = \"http://x\"\npriority = \"high\"",
                "notify[0].priority",
            ),
            (
                "kind = \"ntfy\"\nurl = \"http://x\"\npriority = \"loud\"",
                "notify[0].priority",
            ),
            (
                "kind = \"webhook\"\nurl = \"http://x\"\ntags = [\"a\"]",
                "notify[0].tags",
            ),
            (
                "kind = \"ntfy\"\nurl = \"http://x\"\ntags = [\"a,b\"]",
                "notify[0].tags[0]",
            ),
            (
                "kind = \"ntfy\"\nurl = \"http://x\"\ntopic = \"a\"",
                "notify[0]",
            ),
        ] {
            let err = load(&format!("[[notify]]\n{body}\n"), &env).unwrap_err();
            let shown = err.to_string();
            assert!(shown.contains(key), "{body}: {shown}");
            assert!(!shown.contains("t0ken-5ecret"), "{body}: {shown}");
        }
    }
}
