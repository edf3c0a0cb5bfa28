//! The records sweeparr remembers between passes.
//!
//! Every record has a string key (`pk`), the same in every backend:
//! `torrent#<instance>#<hash>`, `search#<arr>#<media id>`, `outage#<target>`, `instance#<name>`,
//! `lease#<scope>`, `run#last`.
//! Records serialise as JSON objects tagged with `kind`, which is also what
//! `sweeparr state export` prints, one per line.

use serde::{Deserialize, Serialize};

use crate::model::{ActionKind, RunStatus, TorrentKey, WantedReason};

pub use crate::model::Epoch;

/// How long the record of a torrent that left its (reachable) instance is kept.
pub const GONE_RETENTION_SECS: i64 = 30 * 24 * 3600;

/// A destructive or once-only action recorded before it is sent, so that a process killed
/// mid-pass leaves a trace the next pass reads (see the README, "Crash safety").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// Action kind, stored by its summary name (`fail`, `remove`, `delete`, `import`,
    /// `recheck`).
    pub action: ActionKind,
    /// When it was recorded.
    pub at: Epoch,
    /// `run_id` of the pass that recorded it.
    pub run_id: String,
}

/// Memory of one torrent on one instance.
#[derive(Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct TorrentRecord {
    /// Instance name.
    pub instance: String,
    /// Lower-case hash.
    pub hash: String,
    /// Last known name (for `state list`).
    #[serde(default)]
    pub name: String,
    /// First pass that saw it.
    pub first_seen: Epoch,
    /// Last pass that saw it on a reachable instance.
    pub last_seen: Epoch,
    /// `completed` bytes at the last growth.
    #[serde(default)]
    pub completed: u64,
    /// When `completed` last grew (or the record was made).
    pub progress_at: Epoch,
    /// The stall clock: first pass of the unbroken run of passes that each saw the torrent
    /// `stalledDL` / `metaDL` with no new bytes. Any other state, new bytes, or a pass that
    /// cannot see it (instance unreachable or disconnected) ends the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stalled_since: Option<Epoch>,
    /// First pass of the unbroken run of passes that each saw an `eta` above `max_eta`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_over_since: Option<Epoch>,
    /// First pass of the unbroken run of passes that each saw the torrent downloading
    /// (`downloading`, `stalledDL`, `metaDL`), for the average speed of `min_speed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloading_since: Option<Epoch>,
    /// `completed` bytes at `downloading_since`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub downloading_from: u64,
    /// Availability below 1 since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable_since: Option<Epoch>,
    /// The Arr reports the import blocked / failed since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_problem_since: Option<Epoch>,
    /// First pass that found the torrent missing from its (reachable) Arr's queue; `None`
    /// while the queue holds it. A direct deletion needs it absent on an earlier pass too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent_from_queue_since: Option<Epoch>,
    /// When the import-scan command was last sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_sent_at: Option<Epoch>,
    /// When sweeparr learnt it was imported (from the Arr queue or history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_at: Option<Epoch>,
    /// When the Arr history was last asked about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_checked_at: Option<Epoch>,
    /// The file list has been read once.
    #[serde(default)]
    pub files_checked: bool,
    /// First file with a blocked extension, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_file: Option<String>,
    /// The file list read showed no file left to download: every selected file is excluded
    /// by `exclude_files` or outside `keep_only`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_wanted_file: bool,
    /// The Arr whose category it was last seen in (remembered while a category trigger is
    /// on: a torrent moved into `failed_category` is failed through that Arr).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Fingerprint of the `[[tracker]]` additions and removals a tracker list read showed in
    /// place; the list is read again when the entry changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracker_upkeep: Option<u32>,
    /// Trackers failing at every read since then (`remove_dead`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dead_trackers: Vec<(String, Epoch)>,
    /// When the free-space guard stopped it (tagged `sweeparr-space`); cleared when it is
    /// started again, by sweeparr or by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_paused_at: Option<Epoch>,
    /// Since when the torrent has needed attention (an import problem another release would
    /// not fix); notifications tell it when this is first set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention_since: Option<Epoch>,
    /// When a recheck was asked for an errored torrent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rechecked_at: Option<Epoch>,
    /// When the tracker list was last read (see `tracker_recheck`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trackers_checked_at: Option<Epoch>,
    /// The last tracker list read showed a failing tracker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trackers_failing: bool,
    /// What a tracker said at the last read when it said the torrent is unregistered (kept
    /// until a later read, or qBittorrent 5.2+'s flags, show otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unregistered: Option<String>,
    /// Tracker host (of the first working tracker), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracker_host: Option<String>,
    /// Action recorded before sending; cleared once its outcome is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// Private or not, once known (from the torrent list on 5.x, `torrents/properties` on
    /// 4.x; it never changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// When it was failed through its Arr and kept in qBittorrent (a private torrent under
    /// `private = "keep"`): no health rule touches it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_kept_at: Option<Epoch>,
    /// When a fail / remove was confirmed done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<Epoch>,
    /// Seen missing from its reachable instance since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_since: Option<Epoch>,
    /// Epoch seconds after which the record may be dropped (`gone_since` + 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Epoch>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Written out to give `clone_from` that reuses the strings of the record it overwrites: the
/// decision observes every torrent into one scratch record, so a pass allocates only for the
/// records it changes.
impl Clone for TorrentRecord {
    fn clone(&self) -> Self {
        let mut copy = TorrentRecord::default();
        copy.clone_from(self);
        copy
    }

    fn clone_from(&mut self, source: &Self) {
        self.instance.clone_from(&source.instance);
        self.hash.clone_from(&source.hash);
        self.name.clone_from(&source.name);
        self.copy_memory(source);
    }
}

/// Calls `$then!($args; <fields>)` with the fields of a torrent record's memory: every field
/// but the identity (`instance`, `hash`) and the `name`. [`TorrentRecord::copy_memory`] and
/// [`TorrentRecord::same_memory`] destructure records whole with it, so a new field is a
/// compile error there until it is listed here.
macro_rules! with_memory_fields {
    ($then:ident!($($args:tt)*)) => {
        $then!(
            $($args)*;
            first_seen,
            last_seen,
            completed,
            progress_at,
            stalled_since,
            eta_over_since,
            downloading_since,
            downloading_from,
            unavailable_since,
            import_problem_since,
            absent_from_queue_since,
            import_sent_at,
            imported_at,
            history_checked_at,
            files_checked,
            blocked_file,
            no_wanted_file,
            owner,
            tracker_upkeep,
            dead_trackers,
            space_paused_at,
            attention_since,
            rechecked_at,
            trackers_checked_at,
            trackers_failing,
            unregistered,
            tracker_host,
            intent,
            private,
            failed_kept_at,
            removed_at,
            gone_since,
            expires_at
        )
    };
}

/// Copies the memory fields of `$source` into `$target`.
macro_rules! copy_fields {
    ($target:ident, $source:ident; $($field:ident),*) => {{
        let TorrentRecord {
            instance: _,
            hash: _,
            name: _,
            $($field),*
        } = $source;
        $($target.$field.clone_from($field);)*
    }};
}

/// True when the memory fields of `$a` and `$b` are equal.
macro_rules! same_fields {
    ($a:ident, $b:ident; $($field:ident),*) => {{
        let TorrentRecord {
            instance: _,
            hash: _,
            name: _,
            $($field),*
        } = $a;
        true $(&& *$field == $b.$field)*
    }};
}

impl TorrentRecord {
    /// Copies what `source` remembers of its torrent: every field but the identity
    /// (`instance`, `hash`) and the `name`, which the decision takes from the torrent it
    /// observes.
    pub fn copy_memory(&mut self, source: &Self) {
        let target = self;
        with_memory_fields!(copy_fields!(target, source));
    }

    /// True when both records hold the same `name` and memory ([`Self::copy_memory`]),
    /// whatever their identity: the decision compares a torrent's observation with the
    /// record it found by that torrent's identity.
    pub fn same_memory(&self, other: &Self) -> bool {
        let this = self;
        with_memory_fields!(same_fields!(this, other)) && self.name == other.name
    }
}

impl TorrentRecord {
    /// Ends every run of passes the clocks count (the torrent was not watched this pass):
    /// stalled, eta, availability and the downloading run. True when something changed.
    pub fn end_runs(&mut self) -> bool {
        let before = (
            self.stalled_since,
            self.eta_over_since,
            self.unavailable_since,
            self.downloading_since,
        );
        self.stalled_since = None;
        self.eta_over_since = None;
        self.unavailable_since = None;
        self.downloading_since = None;
        self.downloading_from = 0;
        before != (None, None, None, None)
    }

    /// A fresh record for a torrent seen for the first time at `now`.
    pub fn new(key: &TorrentKey, now: Epoch) -> Self {
        TorrentRecord {
            instance: key.instance.clone(),
            hash: key.hash.clone(),
            first_seen: now,
            last_seen: now,
            progress_at: now,
            ..Default::default()
        }
    }

    /// Its identity.
    pub fn key(&self) -> TorrentKey {
        TorrentKey::new(self.instance.clone(), &self.hash)
    }
}

/// Memory of one search sent to an Arr for one media item (scheduled searches).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchRecord {
    /// `[arr.NAME]`
    pub arr: String,
    /// Media id in that Arr (movie, episode or album id).
    pub media_id: i64,
    /// When it was last searched.
    pub searched_at: Epoch,
    /// What was searched for (`missing` or `cutoff_unmet`); none in a record written
    /// without it or naming a reason this build does not know.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_reason"
    )]
    pub reason: Option<WantedReason>,
    /// Sonarr: (series id, season number) when the item went out in a season search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season: Option<(i64, i64)>,
    /// First pass whose complete wanted lists no longer held the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_since: Option<Epoch>,
    /// Epoch seconds after which the record may be dropped (`gone_since` + 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Epoch>,
}

/// A stored search reason, `None` for one this build does not know (a record is never
/// unreadable for it: the reason is for people reading the state).
fn known_reason<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<WantedReason>, D::Error> {
    let name = Option::<String>::deserialize(d)?;
    Ok(name.and_then(|n| n.parse().ok()))
}

/// An instance or Arr found unreachable, remembered so that notifications announce the
/// outage once and its end once, not every pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageRecord {
    /// `qbit.NAME` or `arr.NAME`.
    pub target: String,
    /// First pass that found it unreachable.
    pub since: Epoch,
    /// Why, as that pass saw it (never contains a secret).
    #[serde(default)]
    pub error: String,
    /// A notification target accepted the announcement (until then, each pass tries again).
    #[serde(default)]
    pub announced: bool,
}

impl OutageRecord {
    /// Its storage key (to forget it once the outage ended).
    pub fn key(&self) -> String {
        outage_pk(&self.target)
    }
}

/// What sweeparr remembers of a qBittorrent instance: its version, so that a pass needs not
/// read it (it is read again when a reply shows the instance changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRecord {
    /// `[qbit.NAME]`
    pub name: String,
    /// `app/version`, e.g. "v5.1.0".
    pub version: String,
    /// `app/webapiVersion`, e.g. "2.11.4".
    pub api_version: String,
    /// When the version was read.
    pub read_at: Epoch,
}

/// The run lease: who holds it and until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// Lease scope (sorted instance names joined by ",").
    pub scope: String,
    /// `run_id` of the holder.
    pub holder: String,
    /// Epoch seconds after which anyone may take it.
    pub until: Epoch,
}

/// The summary of the last pass, kept for `state list` and for the next pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// `run_id`
    pub run_id: String,
    /// Status of that pass, stored by its summary name (`ok`, `partial`, ...).
    pub status: RunStatus,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Counts of actions by outcome.
    #[serde(default)]
    pub actions: u64,
}

/// Any stored record, tagged with its `kind`.
///
/// The torrent record (376 bytes) is boxed: a `Record` is then 80 bytes, and the lists and
/// maps of a pass (10,000 records at 10,000 torrents) hold the records themselves exactly
/// sized instead of growing by doubling a 376-byte slot per record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// Per-torrent memory.
    Torrent(Box<TorrentRecord>),
    /// Per-search memory.
    Search(SearchRecord),
    /// An ongoing outage of an instance or Arr.
    Outage(OutageRecord),
    /// What is known of a qBittorrent instance.
    Instance(InstanceRecord),
    /// The run lease.
    Lease(LeaseRecord),
    /// Last run.
    Run(RunRecord),
}

impl Record {
    /// The partition key of this record.
    pub fn key(&self) -> String {
        match self {
            Record::Torrent(t) => torrent_pk(&t.instance, &t.hash),
            Record::Search(s) => search_pk(&s.arr, s.media_id),
            Record::Outage(o) => o.key(),
            Record::Instance(i) => instance_pk(&i.name),
            Record::Lease(l) => lease_pk(&l.scope),
            Record::Run(_) => "run#last".to_string(),
        }
    }

    /// Epoch seconds after which a backend may drop it (DynamoDB TTL).
    pub fn expires_at(&self) -> Option<Epoch> {
        match self {
            Record::Torrent(t) => t.expires_at,
            Record::Search(s) => s.expires_at,
            Record::Lease(l) => Some(l.until + 86_400),
            _ => None,
        }
    }
}

/// Key of a torrent record.
pub fn torrent_pk(instance: &str, hash: &str) -> String {
    format!("torrent#{}#{}", instance, hash.to_ascii_lowercase())
}

/// Key of a search record.
fn search_pk(arr: &str, media_id: i64) -> String {
    format!("search#{arr}#{media_id}")
}

/// Key of an outage record (`target` = `qbit.NAME` or `arr.NAME`).
fn outage_pk(target: &str) -> String {
    format!("outage#{target}")
}

/// Key of an instance record.
pub fn instance_pk(name: &str) -> String {
    format!("instance#{name}")
}

/// Key of a lease record.
pub fn lease_pk(scope: &str) -> String {
    format!("lease#{scope}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A torrent record with every field set to a value other than its default.
    fn every_field_set() -> serde_json::Value {
        serde_json::json!({
            "instance": "main", "hash": "ab", "name": "Some.Movie", "first_seen": 1,
            "last_seen": 2, "completed": 3, "progress_at": 4, "stalled_since": 5,
            "eta_over_since": 6, "downloading_since": 7, "downloading_from": 8,
            "unavailable_since": 9, "import_problem_since": 10, "absent_from_queue_since": 11,
            "import_sent_at": 12, "imported_at": 13, "history_checked_at": 14,
            "files_checked": true, "blocked_file": "x.exe", "no_wanted_file": true,
            "space_paused_at": 23, "owner": "movies", "tracker_upkeep": 24,
            "dead_trackers": [["udp://dead.example:80/announce", 25]], "attention_since": 15,
            "rechecked_at": 16, "trackers_checked_at": 17, "trackers_failing": true,
            "unregistered": "Unregistered torrent", "tracker_host": "t.example",
            "intent": {"action": "remove", "at": 18, "run_id": "r"}, "private": true,
            "failed_kept_at": 19, "removed_at": 20, "gone_since": 21, "expires_at": 22
        })
    }

    #[test]
    fn a_torrent_record_copies_every_field_into_a_fresh_or_a_used_one() {
        let full: TorrentRecord = serde_json::from_value(every_field_set()).unwrap();
        assert_eq!(full.clone(), full);
        let mut used = TorrentRecord {
            instance: "other".into(),
            name: "Another.Name.That.Is.Longer".into(),
            tracker_host: Some("old.example".into()),
            ..Default::default()
        };
        used.clone_from(&full);
        assert_eq!(used, full);
        used.clone_from(&TorrentRecord::default());
        assert_eq!(used, TorrentRecord::default());
    }

    #[test]
    fn the_memory_of_a_record_is_every_field_but_its_identity() {
        let json = every_field_set();
        let full: TorrentRecord = serde_json::from_value(json.clone()).unwrap();
        // Every field but the identity is memory: one of another value is a difference.
        for (field, value) in json.as_object().unwrap() {
            let changed = match value {
                serde_json::Value::Number(n) => serde_json::json!(n.as_i64().unwrap() + 100),
                serde_json::Value::Bool(b) => serde_json::json!(!b),
                serde_json::Value::String(text) => serde_json::json!(format!("{text}x")),
                serde_json::Value::Array(_) => serde_json::json!([["udp://other/announce", 1]]),
                _ => serde_json::json!({"action": "fail", "at": 18, "run_id": "r"}),
            };
            let mut one_changed = json.clone();
            one_changed[field] = changed;
            let other: TorrentRecord = serde_json::from_value(one_changed).unwrap();
            let identity = field == "instance" || field == "hash";
            assert_eq!(full.same_memory(&other), identity, "{field}");
        }
        // Copying the memory leaves the identity and the name as they were.
        let mut used = TorrentRecord {
            instance: "other".into(),
            hash: "cd".into(),
            name: "Another.Name".into(),
            ..Default::default()
        };
        used.copy_memory(&full);
        assert_eq!(
            (used.instance.as_str(), used.hash.as_str()),
            ("other", "cd")
        );
        assert_eq!(used.name, "Another.Name");
        used.name = full.name.clone();
        assert!(used.same_memory(&full));
        assert_ne!(used, full);
    }

    #[test]
    fn search_reasons_are_stored_by_name_and_an_unknown_one_reads_as_none() {
        let search = |reason| {
            Record::Search(SearchRecord {
                arr: "movies".into(),
                media_id: 7,
                searched_at: 5,
                reason,
                ..Default::default()
            })
        };
        let stored = r#"{"kind":"search","arr":"movies","media_id":7,"searched_at":5,"reason":"cutoff_unmet"}"#;
        let cutoff = search(Some(WantedReason::CutoffUnmet));
        assert_eq!(serde_json::to_string(&cutoff).unwrap(), stored);
        assert_eq!(serde_json::from_str::<Record>(stored).unwrap(), cutoff);
        let missing = stored.replace("cutoff_unmet", "missing");
        assert_eq!(
            serde_json::from_str::<Record>(&missing).unwrap(),
            search(Some(WantedReason::Missing))
        );
        for unknown in [
            r#"{"kind":"search","arr":"movies","media_id":7,"searched_at":5}"#,
            r#"{"kind":"search","arr":"movies","media_id":7,"searched_at":5,"reason":""}"#,
            r#"{"kind":"search","arr":"movies","media_id":7,"searched_at":5,"reason":"later"}"#,
        ] {
            assert_eq!(
                serde_json::from_str::<Record>(unknown).unwrap(),
                search(None),
                "{unknown}"
            );
        }
    }

    #[test]
    fn intents_and_run_statuses_are_stored_by_their_summary_names() {
        let intent = Intent {
            action: ActionKind::Import,
            at: 5,
            run_id: "r".into(),
        };
        assert_eq!(
            serde_json::to_string(&intent).unwrap(),
            r#"{"action":"import","at":5,"run_id":"r"}"#
        );
        let run = Record::Run(RunRecord {
            run_id: "r".into(),
            status: RunStatus::CircuitOpen,
            started_at: "2026-12-02T00:00:00Z".into(),
            actions: 3,
        });
        let stored = r#"{"kind":"run","run_id":"r","status":"circuit_open","started_at":"2026-12-02T00:00:00Z","actions":3}"#;
        assert_eq!(serde_json::to_string(&run).unwrap(), stored);
        assert_eq!(serde_json::from_str::<Record>(stored).unwrap(), run);
        for kind in [
            ActionKind::Fail,
            ActionKind::Remove,
            ActionKind::Delete,
            ActionKind::Recheck,
        ] {
            let text = serde_json::to_string(&kind).unwrap();
            assert_eq!(text, format!("\"{}\"", kind.as_str()));
        }
    }
}
