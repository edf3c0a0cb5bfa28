//! Lambda input (README, "Invoke it by hand with a sample event"): an EventBridge rule
//! envelope, an EventBridge Scheduler input / manual invocation object, or `{}`.

use serde::Deserialize;
use serde_json::Value;

/// What one invocation asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invocation {
    /// Change nothing anywhere.
    #[serde(default)]
    pub dry_run: bool,
    /// Limit the pass to these torrents.
    #[serde(default)]
    pub hashes: Vec<String>,
    /// Limit the pass to these instances.
    #[serde(default)]
    pub instances: Vec<String>,
}

/// The payload is not one of the accepted shapes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported event: {0}")]
pub struct EventError(pub String);

/// Reads an invocation from any accepted payload.
///
/// An EventBridge envelope (`"source": "aws.events"` or a `detail-type`) is a plain scheduled
/// pass; its `detail` may carry the same fields as the plain object. Any other object must
/// hold only `dry_run`, `hashes` and `instances`, so a misspelt key is an error rather than
/// a silent full pass.
pub fn parse(payload: &Value) -> Result<Invocation, EventError> {
    match payload {
        Value::Null => Ok(Invocation::default()),
        Value::Object(map) if map.contains_key("detail-type") || map.contains_key("source") => {
            match map.get("detail") {
                Some(detail @ Value::Object(d)) if !d.is_empty() => from_value(detail),
                _ => Ok(Invocation::default()),
            }
        }
        Value::Object(_) => from_value(payload),
        other => Err(EventError(format!(
            "expected a JSON object, got {}",
            kind_of(other)
        ))),
    }
}

fn from_value(v: &Value) -> Result<Invocation, EventError> {
    Invocation::deserialize(v).map_err(|e| EventError(e.to_string()))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepted_payloads_table() {
        let scheduled = json!({
            "version": "0", "id": "e1", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2026-11-21T06:00:00Z",
            "region": "eu-west-1", "resources": ["arn:aws:events:eu-west-1:123456789012:rule/x"],
            "detail": {}
        });
        let hook = json!({"hashes": ["ABCDEF"], "instances": ["main"]});
        let cases = [
            (json!({}), Invocation::default()),
            (Value::Null, Invocation::default()),
            (scheduled, Invocation::default()),
            (
                json!({"dry_run": true}),
                Invocation {
                    dry_run: true,
                    ..Default::default()
                },
            ),
            (
                hook,
                Invocation {
                    dry_run: false,
                    hashes: vec!["ABCDEF".into()],
                    instances: vec!["main".into()],
                },
            ),
            (
                json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {"dry_run": true}}),
                Invocation {
                    dry_run: true,
                    ..Default::default()
                },
            ),
        ];
        for (payload, want) in cases {
            assert_eq!(parse(&payload), Ok(want), "{payload}");
        }
    }

    #[test]
    fn every_sample_event_in_events_folder_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
        let mut seen = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(&dir).expect("events/ folder") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read event");
            let payload: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            let inv = parse(&payload).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen.insert(
                path.file_name().unwrap().to_string_lossy().into_owned(),
                inv,
            );
        }
        let plain = Invocation::default();
        assert_eq!(seen.get("scheduled.json"), Some(&plain));
        assert_eq!(seen.get("scheduler.json"), Some(&plain));
        assert_eq!(seen.get("dry-run.json").map(|i| i.dry_run), Some(true));
        let hook = seen.get("torrent-finished.json").expect("hook sample");
        assert_eq!(hook.hashes.len(), 1);
        assert!(!hook.dry_run && hook.instances.is_empty());
    }

    #[test]
    fn misspelt_key_or_wrong_shape_is_rejected() {
        let e = parse(&json!({"dryrun": true})).unwrap_err();
        assert!(e.0.contains("dryrun"), "{e}");
        assert!(parse(&json!([1])).is_err());
        assert!(parse(&json!({"hashes": "abc"})).is_err());
    }
}
