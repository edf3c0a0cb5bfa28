//! The fields a rule's `when` expression reads: one CEL variable per field.
//!
//! Durations are whole seconds (`int`), sizes bytes (`int`); the functions `minutes(n)`,
//! `hours(n)`, `days(n)`, `mib(n)`, `gib(n)` and `tib(n)` (see [`super::expr`]) give
//! the same units, so `seeding_time > days(7)` and `size > gib(50)` read naturally.

use cel::{Context, Env, Value};
use std::sync::Arc;

use crate::model::Epoch;
use crate::model::tracker_host;
use crate::model::{Torrent, TorrentFile, Tracker};

/// Every field name with its CEL type, in the order the README lists them.
pub const FIELDS: &[(&str, &str)] = &[
    ("name", "string"),
    ("hash", "string"),
    ("instance", "string"),
    ("category", "string"),
    ("tags", "list(string)"),
    ("state", "string"),
    ("status", "string"),
    ("progress", "double"),
    ("ratio", "double"),
    ("size", "int"),
    ("completed", "int"),
    ("amount_left", "int"),
    ("complete", "bool"),
    ("seeding_time", "int"),
    ("active_time", "int"),
    ("age", "int"),
    ("idle_time", "int"),
    ("tracker", "string"),
    ("tracker_host", "string"),
    ("tracker_message", "string"),
    ("private", "bool"),
    ("seeds", "int"),
    ("peers", "int"),
    ("upspeed", "int"),
    ("dlspeed", "int"),
    ("save_path", "string"),
    ("content_path", "string"),
    ("files", "list(string)"),
    ("managed", "bool"),
    ("arr", "string"),
    ("imported", "bool"),
];

/// True when `name` is a field.
pub fn is_field(name: &str) -> bool {
    FIELDS.iter().any(|(f, _)| *f == name)
}

/// Everything a rule can see of one torrent.
#[derive(Debug, Clone, Copy)]
pub struct TorrentView<'a> {
    /// Instance holding it.
    pub instance: &'a str,
    /// The torrent as listed.
    pub torrent: &'a Torrent,
    /// Name of the Arr whose category it is in, if any.
    pub arr: Option<&'a str>,
    /// Known as imported by that Arr.
    pub imported: bool,
    /// Its trackers, when fetched this pass.
    pub trackers: Option<&'a [Tracker]>,
    /// Its files, when fetched this pass.
    pub files: Option<&'a [TorrentFile]>,
    /// Time of the pass.
    pub now: Epoch,
}

fn int(v: u64) -> Value {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn text(s: &str) -> Value {
    Value::String(Arc::new(s.to_string()))
}

fn texts<'s>(items: impl Iterator<Item = &'s str>) -> Value {
    Value::List(Arc::new(items.map(text).collect()))
}

impl TorrentView<'_> {
    /// The value of every field, in [`FIELDS`] order.
    pub fn values(&self) -> Vec<(&'static str, Value)> {
        let t = self.torrent;
        let failing = self
            .trackers
            .and_then(|ts| ts.iter().find(|tr| tr.is_failing()));
        let host = if t.tracker.is_empty() {
            self.trackers
                .and_then(|ts| ts.first())
                .and_then(|tr| tracker_host(&tr.url))
        } else {
            tracker_host(&t.tracker)
        };
        let status = serde_json::to_value(t.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        vec![
            ("name", text(&t.name)),
            ("hash", text(&t.hash)),
            ("instance", text(self.instance)),
            ("category", text(&t.category)),
            ("tags", texts(t.tags.iter().map(String::as_str))),
            ("state", text(&t.state)),
            ("status", text(&status)),
            ("progress", Value::Float(t.progress)),
            ("ratio", Value::Float(t.ratio)),
            ("size", int(t.size)),
            ("completed", int(t.completed)),
            ("amount_left", int(t.amount_left)),
            ("complete", Value::Bool(t.is_complete())),
            ("seeding_time", int(t.seeding_time)),
            ("active_time", int(t.time_active)),
            ("age", Value::Int((self.now - t.added_on).max(0))),
            ("idle_time", Value::Int((self.now - t.last_activity).max(0))),
            ("tracker", text(&t.tracker)),
            ("tracker_host", text(host.as_deref().unwrap_or(""))),
            (
                "tracker_message",
                text(failing.map_or("", |tr| tr.msg.as_str())),
            ),
            ("private", t.private.map_or(Value::Null, Value::Bool)),
            ("seeds", Value::Int(t.num_seeds)),
            ("peers", Value::Int(t.num_leechs)),
            ("upspeed", int(t.upspeed)),
            ("dlspeed", int(t.dlspeed)),
            ("save_path", text(&t.save_path)),
            ("content_path", text(&t.content_path)),
            (
                "files",
                texts(
                    self.files
                        .unwrap_or_default()
                        .iter()
                        .map(|f| f.name.as_str()),
                ),
            ),
            ("managed", Value::Bool(self.arr.is_some())),
            ("arr", text(self.arr.unwrap_or(""))),
            ("imported", Value::Bool(self.imported)),
        ]
    }

    /// A CEL context holding every field.
    pub fn context(&self, env: Arc<Env>) -> Context<'static, 'static> {
        let mut ctx = Context::with_env(env);
        for (name, value) in self.values() {
            ctx.add_variable_from_value(name, value);
        }
        ctx
    }
}

/// A torrent with a plausible, non-empty value in every field: compiling a rule evaluates
/// it once against this, so a type error is a config error rather than a silent no-match.
pub fn sample_torrent() -> Torrent {
    Torrent {
        hash: "0123456789abcdef0123456789abcdef01234567".into(),
        name: "Sample.Release.2024.1080p".into(),
        status: crate::model::Status::StalledUp,
        state: "stalledUP".into(),
        category: "sample".into(),
        tags: vec!["sample".into()],
        size: 1 << 30,
        completed: 1 << 30,
        amount_left: 0,
        progress: 1.0,
        ratio: 1.5,
        seeding_time: 86_400,
        eta: None,
        availability: None,
        added_on: 1_000_000,
        completion_on: Some(1_000_600),
        last_activity: 1_050_000,
        content_path: "/downloads/Sample.Release.2024.1080p".into(),
        save_path: "/downloads".into(),
        tracker: "https://tracker.example.org/announce".into(),
        trackers_count: 1,
        dlspeed: 1,
        upspeed: 1,
        num_seeds: 1,
        num_leechs: 1,
        time_active: 90_000,
        private: Some(true),
        ratio_limit: -2.0,
        seeding_time_limit: -2,
        inactive_seeding_time_limit: Some(-2),
        tracker_error: None,
        up_limit: -1,
        dl_limit: -1,
    }
}

/// The files and trackers of [`sample_torrent`].
pub fn sample_details() -> (Vec<TorrentFile>, Vec<Tracker>) {
    (
        vec![TorrentFile {
            name: "Sample.Release.2024.1080p/sample.mkv".into(),
            size: 1 << 30,
            priority: 1,
        }],
        vec![Tracker {
            url: "https://tracker.example.org/announce".into(),
            tier: 0,
            status: 4,
            msg: "sample message".into(),
        }],
    )
}
