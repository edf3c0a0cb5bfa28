//! Checks and normalisation of single values: URLs, names, durations that cannot be off,
//! extensions, path maps, secret sources.

use std::collections::BTreeMap;
use std::time::Duration;

use super::error::ConfigError;
use super::error::Ctx;
use super::raw::{RawSecret, Threshold};
use super::secret::SecretSource;
use super::url::{BaseUrl, UrlProblem};

/// Checks a DynamoDB table name; shared with the `SWEEPARR_STATE_TABLE` override.
pub(crate) fn check_table(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if (3..=255).contains(&name.len()) && ok_chars {
        Ok(())
    } else {
        Err(format!(
            "expected a DynamoDB table name of 3 to 255 letters, digits, '_', '-' or '.', \
             found {name:?}"
        ))
    }
}
pub(crate) fn threshold(value: Option<Threshold>, base: Option<Duration>) -> Option<Duration> {
    value.map_or(base, |t| t.0)
}

/// A duration that can be neither "off" nor zero.
pub(crate) fn positive(
    value: Option<Threshold>,
    base: Duration,
    key: &str,
    ctx: &Ctx,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(base),
        Some(Threshold(Some(d))) if !d.is_zero() => Ok(d),
        Some(_) => Err(ctx.invalid(
            key,
            format!(
                "expected {} above zero (\"off\" is not allowed here)",
                super::duration::EXPECTED
            ),
        )),
    }
}

pub(crate) fn check_name(name: &str, key: &str, ctx: &Ctx) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ctx.invalid(
            key,
            "expected a name made of letters, digits, '_' and '-' (not empty)",
        ))
    }
}

/// An http(s) base URL, stored without trailing slash. The value is never echoed: it may
/// hold credentials.
pub(crate) fn http_url(
    value: Option<&str>,
    key: &str,
    example: &str,
    ctx: &Ctx,
) -> Result<BaseUrl, ConfigError> {
    let expected = format!("expected an http:// or https:// URL such as {example}");
    let Some(text) = value else {
        return Err(ctx.invalid(key, format!("missing; {expected}")));
    };
    BaseUrl::parse(text).map_err(|problem| {
        let message = match problem {
            UrlProblem::Invalid(why) => format!("{expected} ({why})"),
            UrlProblem::Scheme(scheme) => format!("{expected}, found scheme {scheme:?}"),
            UrlProblem::Credentials => format!(
                "{expected}, without user:password@ (use the username/password or api_key keys)"
            ),
            UrlProblem::QueryOrFragment => format!("{expected}, without ?query or #fragment"),
        };
        ctx.invalid(key, message)
    })
}

/// Lower-case, with a leading dot, no duplicates, in the order written.
pub(crate) fn extensions(
    list: &[String],
    key: &str,
    ctx: &Ctx,
) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::new();
    for (i, ext) in list.iter().enumerate() {
        let bare = ext.trim().trim_start_matches('.').to_lowercase();
        if bare.is_empty() || bare.contains(['/', '\\']) {
            return Err(ctx.invalid(
                format!("{key}[{i}]"),
                format!("expected a file extension such as \".exe\", found {ext:?}"),
            ));
        }
        let ext = format!(".{bare}");
        if !out.contains(&ext) {
            out.push(ext);
        }
    }
    Ok(out)
}

/// Prefixes without trailing slash (a lone "/" stays), longest first.
pub(crate) fn path_map(
    raw: Option<&BTreeMap<String, String>>,
    key: &str,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, ConfigError> {
    fn trim(p: &str) -> String {
        let t = p.trim().trim_end_matches(['/', '\\']);
        if t.is_empty() {
            p.trim().chars().take(1).collect()
        } else {
            t.to_owned()
        }
    }
    let mut out = Vec::new();
    for (from, to) in raw.into_iter().flatten() {
        let (from, to) = (trim(from), trim(to));
        if from.is_empty() || to.is_empty() {
            return Err(ctx.invalid(
                key,
                "expected non-empty path prefixes, e.g. { \"/home/me/downloads\" = \"/mnt/seedbox\" }",
            ));
        }
        if out.iter().any(|(f, _)| *f == from) {
            return Err(ctx.invalid(key, format!("prefix {from:?} is mapped twice")));
        }
        out.push((from, to));
    }
    out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// A file secret's path is made absolute against the config folder.
pub(crate) fn secret_source(raw: &RawSecret, ctx: &Ctx) -> SecretSource {
    match &raw.0 {
        SecretSource::File(path) => SecretSource::File(ctx.base_dir.join(path)),
        other => other.clone(),
    }
}
