//! Discord channel webhooks: `{"content": ...}`, at most 2000 characters, no mentions.

use serde_json::{Value, json};

use super::message::{Message, cut};

/// Discord's limit on `content`.
pub const MAX_CONTENT: usize = 2000;

/// The JSON POSTed: the title in bold, then the lines, cut to [`MAX_CONTENT`]. Mentions are
/// disabled so a torrent named "@everyone" pings nobody.
pub fn body(msg: &Message) -> Value {
    let content = cut(&format!("**{}**\n{}", msg.title, msg.body), MAX_CONTENT);
    json!({
        "username": "sweeparr",
        "content": content,
        "allowed_mentions": {"parse": []},
    })
}
