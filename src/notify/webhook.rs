//! A generic JSON webhook: the pass summary with the events and the message added.

use serde_json::{Value, json};

use super::events::Event;
use super::message::Message;
use crate::summary::Summary;

/// The JSON POSTed: every summary field (README, "Summary JSON") plus `events`
/// (`[{kind, category, text}]`), `title` and `message`.
pub fn body(summary: &Summary, events: &[&Event], msg: &Message) -> Value {
    let mut value = serde_json::to_value(summary).unwrap_or_else(|_| json!({}));
    if let Some(obj) = value.as_object_mut() {
        let events: Vec<Value> = events
            .iter()
            .map(|e| {
                json!({
                    "kind": e.kind.as_str(),
                    "category": e.kind.category().as_str(),
                    "text": e.text,
                })
            })
            .collect();
        obj.insert("events".into(), Value::Array(events));
        obj.insert("title".into(), json!(msg.title));
        obj.insert("message".into(), json!(msg.body));
    }
    value
}
