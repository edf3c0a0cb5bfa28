//! The config file as written: serde structs mirroring the TOML (README, "Configuration
//! reference").
//!
//! Every key is optional here (defaults and per-Arr overrides are applied in
//! `validate`), and every table rejects unknown keys so a typo is an error, not a silently
//! ignored setting. Values with a grammar of their own (durations, ratios, secrets) are
//! parsed here, so a bad one is reported with its key path and line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::duration;
use super::secret::SecretSource;
use super::types::{Backend, ImportMode, NotifyEvent, NotifyKind, PrivatePolicy, SeedMode};
use crate::model::ArrKind;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the sweeparr config")]
pub struct RawConfig {
    /// `[state]`
    #[serde(default)]
    pub state: RawState,
    /// `[run]`
    #[serde(default)]
    pub run: RawRun,
    /// `[qbit.NAME]`
    #[serde(default)]
    pub qbit: BTreeMap<String, RawQbit>,
    /// `[arr.NAME]`
    #[serde(default)]
    pub arr: BTreeMap<String, RawArr>,
    /// `[health]`, defaults for every Arr.
    #[serde(default)]
    pub health: RawHealth,
    /// `[seeding]`, defaults for every Arr.
    #[serde(default)]
    pub seeding: RawSeeding,
    /// `[space]`, defaults for every instance.
    #[serde(default)]
    pub space: RawSpace,
    /// `[orphans]`
    pub orphans: Option<RawOrphans>,
    /// `[[tracker]]`, in order.
    #[serde(default)]
    pub tracker: Vec<RawUpkeep>,
    /// `[[notify]]` targets.
    #[serde(default)]
    pub notify: Vec<RawNotify>,
    /// `[[rule]]`, in order.
    #[serde(default)]
    pub rule: Vec<super::rules::RawRule>,
}

/// `[state]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [state] table")]
pub struct RawState {
    /// `backend`
    pub backend: Option<Backend>,
    /// `path`
    pub path: Option<PathBuf>,
    /// `table`
    pub table: Option<String>,
    /// `endpoint_url`
    pub endpoint_url: Option<String>,
}

/// `[run]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [run] table")]
pub struct RawRun {
    /// `dry_run`
    pub dry_run: Option<bool>,
    /// `protect_tag`
    pub protect_tag: Option<String>,
    /// `max_deletions`
    pub max_deletions: Option<usize>,
    /// `ignore_younger_than`
    pub ignore_younger_than: Option<Threshold>,
    /// `deadline`
    pub deadline: Option<Threshold>,
    /// `tag_actions`
    pub tag_actions: Option<bool>,
    /// `http_timeout`
    pub http_timeout: Option<Threshold>,
    /// `lease_margin`
    pub lease_margin: Option<Threshold>,
    /// `failed_category`
    pub failed_category: Option<String>,
    /// `recheck_category`
    pub recheck_category: Option<String>,
}

/// `[qbit.NAME]`
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [qbit.NAME] table (url, username, password or api_key, ...)"
)]
pub struct RawQbit {
    /// `url`
    pub url: Option<String>,
    /// `username`
    pub username: Option<String>,
    /// `password`
    pub password: Option<RawSecret>,
    /// `api_key` (qBittorrent 5.2+)
    pub api_key: Option<RawSecret>,
    /// `disabled`
    pub disabled: Option<bool>,
    /// `path_map`
    pub path_map: Option<BTreeMap<String, String>>,
    /// `tls_insecure`
    pub tls_insecure: Option<bool>,
    /// `[qbit.NAME.space]`
    pub space: Option<RawSpace>,
}

/// `[space]` or `[qbit.NAME.space]`: each key present overrides the level above.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a space table (min_free, resume_margin)"
)]
pub struct RawSpace {
    /// `min_free`
    pub min_free: Option<Size>,
    /// `resume_margin`
    pub resume_margin: Option<Size>,
}

/// `[[tracker]]`: upkeep of the torrents of one tracker host.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[tracker]] table (host, add, remove, remove_dead, tags, up_limit, \
                 down_limit)"
)]
pub struct RawUpkeep {
    /// `host` (required)
    pub host: Option<String>,
    /// `add`
    pub add: Option<Vec<String>>,
    /// `remove`
    pub remove: Option<Vec<String>>,
    /// `remove_dead`
    pub remove_dead: Option<Threshold>,
    /// `tags`
    pub tags: Option<Vec<String>>,
    /// `up_limit`
    pub up_limit: Option<Speed>,
    /// `down_limit`
    pub down_limit: Option<Speed>,
}

/// `[orphans]`
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "the [orphans] table (roots, recycle, min_age, purge_after, max_per_pass)"
)]
pub struct RawOrphans {
    /// `roots`
    pub roots: Option<Vec<PathBuf>>,
    /// `recycle`
    pub recycle: Option<PathBuf>,
    /// `min_age`
    pub min_age: Option<Threshold>,
    /// `purge_after`
    pub purge_after: Option<Threshold>,
    /// `max_per_pass`
    pub max_per_pass: Option<usize>,
}

/// `[arr.NAME]`
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an [arr.NAME] table (kind, url, api_key, category, ...)"
)]
pub struct RawArr {
    /// `kind`
    pub kind: Option<ArrKind>,
    /// `url`
    pub url: Option<String>,
    /// `api_key`
    pub api_key: Option<RawSecret>,
    /// `category`
    pub category: Option<String>,
    /// `import_mode`
    pub import_mode: Option<ImportMode>,
    /// `[arr.NAME.health]`
    pub health: Option<RawHealth>,
    /// `[arr.NAME.seeding]`
    pub seeding: Option<RawSeeding>,
    /// `tls_insecure`
    pub tls_insecure: Option<bool>,
    /// `[arr.NAME.search]`
    pub search: Option<RawSearch>,
}

/// `[arr.NAME.search]`
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an [arr.NAME.search] table (missing, cutoff_unmet, per_run, cooldown, \
                 max_running, max_per_hour, season_after)"
)]
pub struct RawSearch {
    /// `missing`
    pub missing: Option<bool>,
    /// `cutoff_unmet`
    pub cutoff_unmet: Option<bool>,
    /// `per_run`
    pub per_run: Option<usize>,
    /// `cooldown`
    pub cooldown: Option<Threshold>,
    /// `max_running`
    pub max_running: Option<usize>,
    /// `max_per_hour`
    pub max_per_hour: Option<usize>,
    /// `season_after` (Sonarr)
    pub season_after: Option<usize>,
}

/// `[[notify]]`
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[notify]] table (kind, url, on, priority, tags)"
)]
pub struct RawNotify {
    /// `kind` (required)
    pub kind: Option<NotifyKind>,
    /// `url` (required; a secret: webhook URLs carry their token)
    pub url: Option<RawSecret>,
    /// `on`
    pub on: Option<Vec<NotifyEvent>>,
    /// `priority` (ntfy)
    pub priority: Option<String>,
    /// `tags` (ntfy, apprise)
    pub tags: Option<Vec<String>>,
}

/// `[health]` or `[arr.NAME.health]`: each key present overrides the level above.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a health table (stalled_after, max_eta, ...)"
)]
pub struct RawHealth {
    /// `stalled_after`
    pub stalled_after: Option<Threshold>,
    /// `max_eta`
    pub max_eta: Option<Threshold>,
    /// `unavailable_after`
    pub unavailable_after: Option<Threshold>,
    /// `remove_unregistered`
    pub remove_unregistered: Option<bool>,
    /// `tracker_recheck`
    pub tracker_recheck: Option<Threshold>,
    /// `blocked_extensions`
    pub blocked_extensions: Option<Vec<String>>,
    /// `exclude_files`
    pub exclude_files: Option<Vec<String>>,
    /// `keep_only`
    pub keep_only: Option<Vec<String>>,
    /// `failed_import_after`
    pub failed_import_after: Option<Threshold>,
    /// `failed_import_ignore`
    pub failed_import_ignore: Option<Vec<String>>,
    /// `min_speed`
    pub min_speed: Option<Speed>,
    /// `slow_after`
    pub slow_after: Option<Threshold>,
    /// `private`
    pub private: Option<PrivatePolicy>,
    /// `research`
    pub research: Option<bool>,
}

/// `[seeding]` or `[arr.NAME.seeding]`: each key present overrides the level above.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a seeding table (ratio, time, mode, ...)"
)]
pub struct RawSeeding {
    /// `ratio`
    pub ratio: Option<Ratio>,
    /// `time`
    pub time: Option<Threshold>,
    /// `mode`
    pub mode: Option<SeedMode>,
    /// `delete_files`
    pub delete_files: Option<bool>,
    /// `min_time`
    pub min_time: Option<Threshold>,
    /// `[[seeding.tracker]]`
    pub tracker: Option<Vec<RawTracker>>,
}

/// `[[seeding.tracker]]`: keys not given come from the enclosing seeding section.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[seeding.tracker]] table (host, ratio, time, ...)"
)]
pub struct RawTracker {
    /// `host` (required)
    pub host: Option<String>,
    /// `ratio`
    pub ratio: Option<Ratio>,
    /// `time`
    pub time: Option<Threshold>,
    /// `mode`
    pub mode: Option<SeedMode>,
    /// `delete_files`
    pub delete_files: Option<bool>,
    /// `min_time`
    pub min_time: Option<Threshold>,
}

/// A duration string, or `"off"` (`None`). Keys that cannot be off reject `None` later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold(pub Option<Duration>);

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ThresholdVisitor;
        impl Visitor<'_> for ThresholdVisitor {
            type Value = Threshold;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} (in quotes) or \"off\"", duration::EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Threshold, E> {
                duration::parse_threshold(v)
                    .map(Threshold)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_str(ThresholdVisitor)
    }
}

/// A download speed (bytes per second), or `"off"` (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speed(pub Option<u64>);

impl<'de> Deserialize<'de> for Speed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpeedVisitor;
        impl Visitor<'_> for SpeedVisitor {
            type Value = Speed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} (in quotes) or \"off\"", super::speed::EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Speed, E> {
                super::speed::parse_speed(v).map(Speed).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(SpeedVisitor)
    }
}

/// A size in bytes (`"50GiB"`), or `"off"` (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub Option<u64>);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SizeVisitor;
        impl Visitor<'_> for SizeVisitor {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} (in quotes) or \"off\"", super::speed::EXPECTED_SIZE)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                super::speed::parse_size(v).map(Size).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(SizeVisitor)
    }
}

/// A share ratio: a number >= 0, or `"off"` (`None`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio(pub Option<f64>);

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RatioVisitor;
        impl Visitor<'_> for RatioVisitor {
            type Value = Ratio;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ratio (a number >= 0, e.g. 2.0) or \"off\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ratio, E> {
                if v.is_finite() && v >= 0.0 {
                    Ok(Ratio(Some(v)))
                } else {
                    Err(E::custom(format!(
                        "expected a ratio >= 0 (e.g. 2.0) or \"off\", found {v}"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ratio, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ratio, E> {
                self.visit_f64(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ratio, E> {
                if v.trim().eq_ignore_ascii_case("off") {
                    Ok(Ratio(None))
                } else {
                    Err(E::custom(format!(
                        "expected a ratio >= 0 (e.g. 2.0) or \"off\", found {v:?}"
                    )))
                }
            }
        }
        deserializer.deserialize_any(RatioVisitor)
    }
}

/// A secret as written: a literal string or `{ env | file | ssm = "..." }`.
///
/// Its errors never quote the value: a literal of the wrong type is described by its type
/// only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSecret(pub SecretSource);

/// What a secret must look like, for error messages.
const SECRET_EXPECTED: &str = "expected a string, or a table with exactly one of \
    env = \"VARIABLE\", file = \"/path\" or ssm = \"/parameter/name\"";

impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read any value first, so serde never gets to describe the value in its own
        // words (which would quote it).
        let value = toml::Value::deserialize(deserializer)
            .map_err(|_| de::Error::custom(SECRET_EXPECTED))?;
        secret_from_value(value)
            .map(RawSecret)
            .map_err(de::Error::custom)
    }
}

fn secret_from_value(value: toml::Value) -> Result<SecretSource, String> {
    let table = match value {
        toml::Value::String(s) => return Ok(SecretSource::Literal(s)),
        toml::Value::Table(table) => table,
        other => return Err(format!("{SECRET_EXPECTED}, found {}", other.type_str())),
    };
    let mut entries = table.into_iter();
    let (Some((kind, value)), None) = (entries.next(), entries.next()) else {
        return Err(SECRET_EXPECTED.to_owned());
    };
    let toml::Value::String(name) = value else {
        return Err(format!(
            "{kind}: expected a string, found {}",
            value.type_str()
        ));
    };
    if name.trim().is_empty() {
        return Err(format!("{kind}: expected a non-empty string"));
    }
    match kind.as_str() {
        "env" => Ok(SecretSource::Env(name)),
        "file" => Ok(SecretSource::File(PathBuf::from(name))),
        "ssm" => Ok(SecretSource::Ssm(name)),
        _ => Err(format!(
            "unknown key `{kind}` in the secret table; {SECRET_EXPECTED}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct One {
        v: RawSecret,
    }

    fn secret(toml_value: &str) -> Result<SecretSource, String> {
        toml::from_str::<One>(&format!("v = {toml_value}"))
            .map(|one| one.v.0)
            .map_err(|e| e.message().to_owned())
    }

    #[test]
    fn secret_forms_map_to_their_source() {
        let cases = [
            ("\"hunter2\"", SecretSource::Literal("hunter2".into())),
            (
                "{ env = \"QBIT_PASSWORD\" }",
                SecretSource::Env("QBIT_PASSWORD".into()),
            ),
            (
                "{ file = \"/run/secrets/x\" }",
                SecretSource::File("/run/secrets/x".into()),
            ),
            (
                "{ ssm = \"/sweeparr/x\" }",
                SecretSource::Ssm("/sweeparr/x".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(secret(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn malformed_secrets_are_rejected_without_quoting_the_value() {
        let cases = [
            "12345",
            "12.5",
            "true",
            "[\"12345\"]",
            "{ env = \"A\", file = \"12345\" }",
            "{ vault = \"12345\" }",
            "{ env = 12345 }",
            "{}",
            "1979-05-27",
        ];
        for text in cases {
            let err = secret(text).unwrap_err();
            assert!(err.contains("expected"), "{text}: {err}");
            assert!(!err.contains("12345"), "{text}: {err}");
            assert!(!err.contains("1979"), "{text}: {err}");
        }
    }

    #[test]
    fn ratio_accepts_numbers_and_off() {
        #[derive(Deserialize)]
        struct R {
            r: Ratio,
        }
        let parse = |t: &str| toml::from_str::<R>(&format!("r = {t}")).map(|r| r.r.0);
        assert_eq!(parse("2.0").unwrap(), Some(2.0));
        assert_eq!(parse("1").unwrap(), Some(1.0));
        assert_eq!(parse("0").unwrap(), Some(0.0));
        assert_eq!(parse("\"off\"").unwrap(), None);
        for bad in ["-1", "-0.5", "nan", "inf", "\"two\"", "true"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
