//! Apprise API (`POST .../notify/KEY`): `{"title", "body", "type", "tag"}`.

use serde_json::{Value, json};

use super::message::{Message, Severity};
use crate::config::NotifyConfig;

/// The JSON POSTed; `type` is Apprise's `info`, `success`, `warning` or `failure`; `tag`
/// (the configured tags, comma-separated) only when tags are configured.
pub fn body(cfg: &NotifyConfig, msg: &Message) -> Value {
    let kind = match msg.severity {
        Severity::Success => "success",
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Failure => "failure",
    };
    let mut body = json!({"title": msg.title, "body": msg.body, "type": kind});
    if !cfg.tags.is_empty()
        && let Some(obj) = body.as_object_mut()
    {
        obj.insert("tag".into(), json!(cfg.tags.join(",")));
    }
    body
}
