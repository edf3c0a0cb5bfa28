//! The snapshot: what one scan saw on every qBittorrent instance and every Arr.
//!
//! Scanning fills these types; [`crate::decide`] reads them. They are plain data, already
//! normalised (qBittorrent 4.x and 5.x state names folded together, sentinel values turned
//! into `Option`s, hashes lower-case), so the decision pass never sees wire quirks.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

/// Seconds since the Unix epoch.
pub type Epoch = i64;

/// Host of a tracker URL, lower-case, without port; `None` for pseudo-trackers or junk.
pub fn tracker_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Identity of a torrent: the same hash on two instances is two torrents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TorrentKey {
    /// Name of the `[qbit.NAME]` instance holding it.
    pub instance: String,
    /// Lower-case hex info-hash.
    pub hash: String,
}

/// Which letters the 40 hex digits of [`info_hash_bytes`] may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexCase {
    /// `0-9a-f` (a hash as qBittorrent and the state write it).
    Lower,
    /// `0-9A-F` (a download id as the Arrs write it).
    Upper,
    /// Either.
    Either,
}

/// The value of each byte as a hex digit of one case, 0xFF for any other byte.
const fn hex_digits(lower: bool, upper: bool) -> [u8; 256] {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 16 {
        let value = i as u8;
        if i < 10 {
            table[(b'0' + value) as usize] = value;
        } else {
            if lower {
                table[(b'a' + value - 10) as usize] = value;
            }
            if upper {
                table[(b'A' + value - 10) as usize] = value;
            }
        }
        i += 1;
    }
    table
}

static LOWER_DIGITS: [u8; 256] = hex_digits(true, false);
static UPPER_DIGITS: [u8; 256] = hex_digits(false, true);
static EITHER_DIGITS: [u8; 256] = hex_digits(true, true);

/// The 20 bytes of an info-hash written as exactly 40 hex digits of `case`; `None` for any
/// other string, so two strings that pack are equal exactly when their bytes are.
pub fn info_hash_bytes(hex: &str, case: HexCase) -> Option<[u8; 20]> {
    let hex: &[u8; 40] = hex.as_bytes().try_into().ok()?;
    let digits = match case {
        HexCase::Lower => &LOWER_DIGITS,
        HexCase::Upper => &UPPER_DIGITS,
        HexCase::Either => &EITHER_DIGITS,
    };
    // Decoded without a branch per digit: a byte that is no digit sets high bits in `bad`.
    let mut out = [0; 20];
    let mut bad = 0;
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (hi, lo) = (digits[pair[0] as usize], digits[pair[1] as usize]);
        bad |= hi | lo;
        *byte = (hi << 4) | lo;
    }
    (bad & 0xF0 == 0).then_some(out)
}

/// A torrent's hash with its 20 bytes when it is 40 lower-case hex digits (as qBittorrent
/// writes it), decoded once for every look-up of one torrent.
#[derive(Debug, Clone, Copy)]
pub struct HashKey<'a> {
    /// The hash as given.
    pub hash: &'a str,
    /// [`info_hash_bytes`] of it, lower case.
    pub packed: Option<[u8; 20]>,
}

impl<'a> HashKey<'a> {
    /// Decodes `hash`.
    pub fn new(hash: &'a str) -> Self {
        HashKey {
            hash,
            packed: info_hash_bytes(hash, HexCase::Lower),
        }
    }
}

impl TorrentKey {
    /// Builds a key, lower-casing the hash.
    pub fn new(instance: impl Into<String>, hash: impl AsRef<str>) -> Self {
        TorrentKey {
            instance: instance.into(),
            hash: hash.as_ref().to_ascii_lowercase(),
        }
    }
}

impl std::fmt::Display for TorrentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.instance, self.hash)
    }
}

/// What an Arr's history says of the grab of one download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grab {
    /// No `grabbed` record.
    Missing,
    /// Grabbed: the id of the newest `grabbed` record (for `history/failed/{id}`).
    Grabbed(i64),
    /// Its newest event is `downloadFailed`: already failed (blocklisted).
    Failed,
}

/// qBittorrent's torrent state, with 4.x `pausedXX` and 5.x `stoppedXX` folded into `Paused*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// `downloading`, `forcedDL`, `allocating`
    Downloading,
    /// `stalledDL`: downloading, no peers sending data
    StalledDl,
    /// `metaDL`, `forcedMetaDL`: fetching metadata of a magnet
    MetaDl,
    /// `queuedDL`
    QueuedDl,
    /// `pausedDL` (4.x) / `stoppedDL` (5.x)
    PausedDl,
    /// `checkingDL`
    CheckingDl,
    /// `uploading`, `forcedUP`
    Uploading,
    /// `stalledUP`
    StalledUp,
    /// `queuedUP`
    QueuedUp,
    /// `pausedUP` (4.x) / `stoppedUP` (5.x)
    PausedUp,
    /// `checkingUP`
    CheckingUp,
    /// `error`
    Error,
    /// `missingFiles`
    MissingFiles,
    /// `moving`
    Moving,
    /// `checkingResumeData`
    CheckingResumeData,
    /// anything else (`unknown` or a state this version does not know)
    Unknown,
}

impl Status {
    /// Maps a qBittorrent `state` string of any 4.x or 5.x release.
    pub fn from_qbit(state: &str) -> Status {
        match state {
            "downloading" | "forcedDL" | "allocating" => Status::Downloading,
            "stalledDL" => Status::StalledDl,
            "metaDL" | "forcedMetaDL" => Status::MetaDl,
            "queuedDL" => Status::QueuedDl,
            "pausedDL" | "stoppedDL" => Status::PausedDl,
            "checkingDL" => Status::CheckingDl,
            "uploading" | "forcedUP" => Status::Uploading,
            "stalledUP" => Status::StalledUp,
            "queuedUP" => Status::QueuedUp,
            "pausedUP" | "stoppedUP" => Status::PausedUp,
            "checkingUP" => Status::CheckingUp,
            "error" => Status::Error,
            "missingFiles" => Status::MissingFiles,
            "moving" => Status::Moving,
            "checkingResumeData" => Status::CheckingResumeData,
            _ => Status::Unknown,
        }
    }

    /// True for the states the stall clock counts: no data arriving for a wanted download.
    pub fn is_stalled(self) -> bool {
        matches!(self, Status::StalledDl | Status::MetaDl)
    }

    /// True for the states of a download that is meant to be receiving data.
    pub fn is_downloading(self) -> bool {
        matches!(
            self,
            Status::Downloading | Status::StalledDl | Status::MetaDl
        )
    }

    /// True while qBittorrent is verifying or relocating data: no verdict is given then.
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            Status::CheckingDl | Status::CheckingUp | Status::CheckingResumeData | Status::Moving
        )
    }

    /// True for `error` and `missingFiles`.
    pub fn is_errored(self) -> bool {
        matches!(self, Status::Error | Status::MissingFiles)
    }
}

/// One torrent as `torrents/info` described it, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Torrent {
    /// Lower-case info-hash.
    pub hash: String,
    /// Display name.
    pub name: String,
    /// Normalised state.
    pub status: Status,
    /// The state string exactly as qBittorrent sent it (for reasons and logs).
    pub state: String,
    /// Category, "" when none.
    pub category: String,
    /// Tags, split on "," and trimmed; empty tags dropped.
    pub tags: Vec<String>,
    /// Bytes of the selected files.
    pub size: u64,
    /// Bytes done of the selected files.
    pub completed: u64,
    /// Bytes still to download; 0 means complete.
    pub amount_left: u64,
    /// 0.0 ..= 1.0
    pub progress: f64,
    /// Share ratio (qBittorrent reports -1 for "over 9999", mapped to `f64::INFINITY`).
    pub ratio: f64,
    /// Seconds spent seeding.
    pub seeding_time: u64,
    /// Seconds to completion; `None` for qBittorrent's "infinite" 8640000 or a negative value.
    pub eta: Option<u64>,
    /// Distributed copies; `None` when qBittorrent reports -1 (unknown / not downloading).
    pub availability: Option<f64>,
    /// Epoch seconds when added.
    pub added_on: i64,
    /// Epoch seconds when completed; `None` when never (0 on 4.x, -1 on 5.x).
    pub completion_on: Option<i64>,
    /// Epoch seconds of the last payload transfer (qBittorrent falls back to `added_on`).
    pub last_activity: i64,
    /// Absolute path of the file (single-file) or root folder (multi-file), as qBittorrent sees it.
    pub content_path: String,
    /// Base directory.
    pub save_path: String,
    /// qBittorrent's `tracker` field: on 4.x/5.0 the last tracker that ever worked, on 5.1+
    /// the first tracker. A host to match rules on, never a health signal.
    pub tracker: String,
    /// Number of trackers (pseudo-trackers excluded).
    pub trackers_count: u32,
    /// Download speed, bytes/s.
    pub dlspeed: u64,
    /// Upload speed, bytes/s.
    pub upspeed: u64,
    /// Connected seeds.
    pub num_seeds: i64,
    /// Connected leechers.
    pub num_leechs: i64,
    /// Seconds the torrent has been active (downloading or seeding).
    pub time_active: u64,
    /// Private torrent: `Some` on 5.x (`private`) or once read from `torrents/properties`
    /// (4.x `is_private`); `None` while unknown.
    pub private: Option<bool>,
    /// Per-torrent ratio limit: -2 the global one, -1 none, else the ratio.
    pub ratio_limit: f64,
    /// Per-torrent seeding time limit in minutes: -2 the global one, -1 none.
    pub seeding_time_limit: i64,
    /// Per-torrent inactive seeding time limit in minutes (4.6+): -2 global, -1 none;
    /// `None` on releases without it.
    pub inactive_seeding_time_limit: Option<i64>,
    /// Whether a tracker of the torrent reports an error or cannot be reached, as the
    /// torrent list of qBittorrent 5.2+ flags it (`has_tracker_error`,
    /// `has_other_announce_error`); `None` on builds whose list does not say.
    pub tracker_error: Option<bool>,
    /// Upload limit, bytes/s; 0 or less is none.
    pub up_limit: i64,
    /// Download limit, bytes/s; 0 or less is none.
    pub dl_limit: i64,
}

impl Torrent {
    /// Complete means nothing is left to download of the selected files.
    pub fn is_complete(&self) -> bool {
        self.amount_left == 0 && self.status != Status::MetaDl && self.size > 0
    }

    /// Upper-case hash, the form the Arrs use as `downloadId`.
    pub fn download_id(&self) -> String {
        self.hash.to_ascii_uppercase()
    }

    /// True when the torrent carries `tag` (exact, case-sensitive as qBittorrent is).
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// One tracker entry of `torrents/trackers` (pseudo-trackers DHT/PeX/LSD removed).
#[derive(Debug, Clone, PartialEq)]
pub struct Tracker {
    /// Announce URL.
    pub url: String,
    /// 0-based tier.
    pub tier: i64,
    /// 1 not contacted, 2 working, 3 updating, 4 not working, 5 error, 6 unreachable.
    pub status: i64,
    /// Last message from the tracker.
    pub msg: String,
}

impl Tracker {
    /// True when the tracker reported a failure (status 4, 5 or 6).
    pub fn is_failing(&self) -> bool {
        matches!(self.status, 4..=6)
    }
}

/// One file of `torrents/files`.
#[derive(Debug, Clone, PartialEq)]
pub struct TorrentFile {
    /// Path relative to the save path, '/' separated.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// 0 = do not download.
    pub priority: i64,
}

/// The client generation, from `webapiVersion`: decides pause/resume vs stop/start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ApiGeneration {
    /// qBittorrent 4.x (WebAPI < 2.11): `torrents/pause`, `torrents/resume`.
    V4,
    /// qBittorrent 5.x (WebAPI >= 2.11): `torrents/stop`, `torrents/start`.
    V5,
}

/// `server_state.connection_status` of `sync/maindata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// `connected`: incoming connections work.
    Connected,
    /// `firewalled`: outgoing only, still downloading.
    Firewalled,
    /// `disconnected`: no network (VPN down, interface gone).
    Disconnected,
    /// Not reported, or a value this release does not know.
    #[default]
    Unknown,
}

impl Connection {
    /// Maps qBittorrent's string.
    pub fn from_qbit(status: &str) -> Connection {
        match status {
            "connected" => Connection::Connected,
            "firewalled" => Connection::Firewalled,
            "disconnected" => Connection::Disconnected,
            _ => Connection::Unknown,
        }
    }
}

/// What one scan learnt about one qBittorrent instance.
#[derive(Debug, Clone, Default)]
pub struct InstanceSnapshot {
    /// `[qbit.NAME]`
    pub name: String,
    /// False when login, version or the torrent list failed.
    pub reachable: bool,
    /// `app/version`, e.g. "v4.5.2".
    pub version: Option<String>,
    /// `app/webapiVersion`, e.g. "2.8.19".
    pub api_version: Option<String>,
    /// Why it is unreachable (never contains a secret).
    pub error: Option<String>,
    /// Every torrent on the instance.
    pub torrents: Vec<Torrent>,
    /// Existing categories.
    pub categories: Vec<String>,
    /// Network state of the instance (`server_state.connection_status`).
    pub connection: Connection,
    /// Free bytes in the default save folder (`server_state.free_space_on_disk`), when told.
    pub free_space: Option<u64>,
    /// The version was read from the instance this pass (not taken from state): the next
    /// save remembers it.
    pub version_read: bool,
    /// Tracker lists fetched for the torrents whose verdict needs them, by hash (looked up
    /// once or twice for every torrent of the instance: a hash map).
    pub trackers: FxHashMap<String, Vec<Tracker>>,
    /// File lists fetched for torrents not checked before, by hash.
    pub files: FxHashMap<String, Vec<TorrentFile>>,
}

/// The kind of Arr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArrKind {
    /// Movies, API v3.
    Radarr,
    /// Series, API v3; one queue record per episode.
    Sonarr,
    /// Music, API v1; one queue record per album.
    Lidarr,
}

impl ArrKind {
    /// Path prefix of the API.
    pub fn api_base(self) -> &'static str {
        match self {
            ArrKind::Radarr | ArrKind::Sonarr => "/api/v3",
            ArrKind::Lidarr => "/api/v1",
        }
    }

    /// Name of the import-scan command.
    pub fn scan_command(self) -> &'static str {
        match self {
            ArrKind::Radarr => "DownloadedMoviesScan",
            ArrKind::Sonarr => "DownloadedEpisodesScan",
            ArrKind::Lidarr => "DownloadedAlbumsScan",
        }
    }

    /// Lower-case name as written in config.
    pub fn as_str(self) -> &'static str {
        match self {
            ArrKind::Radarr => "radarr",
            ArrKind::Sonarr => "sonarr",
            ArrKind::Lidarr => "lidarr",
        }
    }
}

/// One download in an Arr's queue: all records sharing a `downloadId`, grouped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueDownload {
    /// Upper-case `downloadId`.
    pub download_id: String,
    /// Queue record ids (one per episode in Sonarr, per album in Lidarr); deleting any one
    /// removes the whole download, so the first is used.
    pub record_ids: Vec<i64>,
    /// Release title.
    pub title: String,
    /// Client-side `status`, lower-cased ("downloading", "completed", ...).
    pub status: String,
    /// `trackedDownloadState`.
    pub tracked_state: TrackedState,
    /// `trackedDownloadStatus`, lower-cased ("ok", "warning", "error").
    pub tracked_status: String,
    /// Flattened `statusMessages[].messages[]` plus `errorMessage`.
    pub messages: Vec<String>,
}

impl QueueDownload {
    /// The Arr says it tried and cannot import this download (or, on builds before
    /// `importBlocked` existed, is pending import with a warning or error).
    pub fn import_problem(&self) -> bool {
        match self.tracked_state {
            TrackedState::ImportBlocked | TrackedState::ImportFailed => true,
            TrackedState::ImportPending => {
                self.tracked_status == "warning" || self.tracked_status == "error"
            }
            _ => false,
        }
    }

    /// The Arr has imported (or is importing) it already.
    pub fn imported_or_importing(&self) -> bool {
        matches!(
            self.tracked_state,
            TrackedState::Imported | TrackedState::Importing
        )
    }
}

/// An Arr's `trackedDownloadState` for a download (its `TrackedDownloadState`; the names
/// compared without case, as the Arrs' JSON spells them in camel case).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TrackedState {
    /// Not sent.
    #[default]
    Unknown,
    /// `downloading`
    Downloading,
    /// `importBlocked`: the Arr tried and will not import it without help.
    ImportBlocked,
    /// `importPending`: complete, waiting to be imported.
    ImportPending,
    /// `importing`
    Importing,
    /// `imported`
    Imported,
    /// `importFailed` (Lidarr; older builds of the others)
    ImportFailed,
    /// `failedPending`
    FailedPending,
    /// `failed`
    Failed,
    /// `ignored`
    Ignored,
    /// Any other state, lower-cased as sent.
    Other(String),
}

impl TrackedState {
    /// The state the Arr sent, in any case.
    pub fn from_wire(sent: &str) -> Self {
        let lower = sent.trim().to_ascii_lowercase();
        match lower.as_str() {
            "" => TrackedState::Unknown,
            "downloading" => TrackedState::Downloading,
            "importblocked" => TrackedState::ImportBlocked,
            "importpending" => TrackedState::ImportPending,
            "importing" => TrackedState::Importing,
            "imported" => TrackedState::Imported,
            "importfailed" => TrackedState::ImportFailed,
            "failedpending" => TrackedState::FailedPending,
            "failed" => TrackedState::Failed,
            "ignored" => TrackedState::Ignored,
            _ => TrackedState::Other(lower),
        }
    }

    /// Lower-case name as in reasons (`importblocked`, ...); empty when unknown.
    pub fn as_str(&self) -> &str {
        match self {
            TrackedState::Unknown => "",
            TrackedState::Downloading => "downloading",
            TrackedState::ImportBlocked => "importblocked",
            TrackedState::ImportPending => "importpending",
            TrackedState::Importing => "importing",
            TrackedState::Imported => "imported",
            TrackedState::ImportFailed => "importfailed",
            TrackedState::FailedPending => "failedpending",
            TrackedState::Failed => "failed",
            TrackedState::Ignored => "ignored",
            TrackedState::Other(name) => name,
        }
    }
}

impl From<&str> for TrackedState {
    fn from(sent: &str) -> Self {
        TrackedState::from_wire(sent)
    }
}

impl std::fmt::Display for TrackedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one scan learnt about one Arr.
#[derive(Debug, Clone)]
pub struct ArrSnapshot {
    /// `[arr.NAME]`
    pub name: String,
    /// Its kind.
    pub kind: ArrKind,
    /// False when its queue could not be read: nothing destructive for its category.
    pub reachable: bool,
    /// Why it is unreachable (never contains a secret).
    pub error: Option<String>,
    /// Queue grouped by upper-case `downloadId`.
    pub queue: BTreeMap<String, QueueDownload>,
    /// History answers fetched this pass: upper-case `downloadId` -> holds an import event.
    pub history: BTreeMap<String, bool>,
    /// Grab look-ups fetched this pass, by upper-case `downloadId`.
    pub grabs: BTreeMap<String, Grab>,
    /// What scheduled searches need, read this pass; `None` when searches are off for this
    /// Arr, the pass is narrowed to hashes, or the reads failed (no search then).
    pub search: Option<SearchScan>,
    /// Its health check, read only when a direct deletion of one of its torrents is planned.
    pub health: ArrHealth,
}

/// What an Arr's health check said of its download clients this pass.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ArrHealth {
    /// Not read (no direct deletion planned, or not yet).
    #[default]
    NotRead,
    /// Read: its download-client problems ("source: message"), none when all is well.
    Read(Vec<String>),
    /// The read failed (why, never a secret).
    Unreadable(String),
}

/// Why an item is on a wanted list; stored in search records by its name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WantedReason {
    /// No file yet (`wanted/missing`).
    Missing,
    /// Has a file below the quality cutoff (`wanted/cutoff`).
    CutoffUnmet,
}

impl WantedReason {
    /// Name as in reasons and search records: `missing`, `cutoff_unmet`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One monitored item of an Arr's wanted list.
#[derive(Debug, Clone, PartialEq)]
pub struct WantedItem {
    /// Movie id (Radarr), episode id (Sonarr) or album id (Lidarr).
    pub media_id: i64,
    /// Title for people ("Movie (2020)", "S01E02 Title", "Album").
    pub title: String,
    /// Which list it is on.
    pub reason: WantedReason,
    /// The Arr's own `lastSearchTime`, epoch seconds, when it has one.
    pub last_search: Option<i64>,
    /// Sonarr: (series id, season number) of the episode.
    pub season: Option<(i64, i64)>,
}

/// What scheduled searches of one Arr are decided on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchScan {
    /// Monitored wanted items, missing first, each list in the order the Arr sent it.
    pub wanted: Vec<WantedItem>,
    /// Search commands the Arr is running or has queued.
    pub running: usize,
    /// Every wanted list searched was read to its end: an item not in `wanted` is not wanted.
    pub complete: bool,
}

/// Everything one scan saw.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// One entry per configured, enabled instance (reachable or not).
    pub instances: Vec<InstanceSnapshot>,
    /// One entry per configured Arr.
    pub arrs: Vec<ArrSnapshot>,
}

impl Snapshot {
    /// The Arr snapshot by name.
    pub fn arr(&self, name: &str) -> Option<&ArrSnapshot> {
        self.arrs.iter().find(|a| a.name == name)
    }

    /// The instance snapshot by name.
    pub fn instance(&self, name: &str) -> Option<&InstanceSnapshot> {
        self.instances.iter().find(|i| i.name == name)
    }
}

/// Kinds of action, as named in the summary (serde and [`ActionKind::as_str`] give the same
/// names, both derived).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ActionKind {
    /// Unhealthy download: removed through its Arr (blocklist + replacement) or from the client.
    Fail,
    /// Seeded enough after import: removed from the client.
    Remove,
    /// Import-scan command sent to the Arr.
    Import,
    /// Recheck asked of qBittorrent.
    Recheck,
    /// `sweeparr-*` tag added.
    Tag,
    /// Missing Arr category created on an instance.
    CreateCategory,
    /// Search command sent to an Arr.
    Search,
    /// Tags removed by a user rule.
    Untag,
    /// Category set by a user rule.
    SetCategory,
    /// Stopped (paused) by a user rule.
    Stop,
    /// Started (resumed) by a user rule.
    Start,
    /// Share limits set by a user rule.
    ShareLimits,
    /// Reannounce asked by a user rule.
    Reannounce,
    /// Removed from the client by a user rule.
    Delete,
    /// Needs a person (an import problem another release would not fix): reported, never
    /// acted on.
    Attention,
    /// Files a download does not need set to "do not download" (`exclude_files`,
    /// `keep_only`).
    Deselect,
    /// A download stopped and tagged `sweeparr-space` by the free-space guard.
    Pause,
    /// A download the free-space guard stopped, started again and untagged.
    Resume,
    /// A file no torrent uses moved into the recycle folder (`[orphans]`).
    Recycle,
    /// A dated recycle folder older than `purge_after` deleted.
    Purge,
    /// Trackers added to or removed from a torrent (`[[tracker]]`).
    Trackers,
    /// Speed limits set on a torrent (`[[tracker]]`).
    Limit,
}

impl ActionKind {
    /// True for actions that remove a torrent from a client.
    pub fn is_deletion(self) -> bool {
        matches!(
            self,
            ActionKind::Fail | ActionKind::Remove | ActionKind::Delete
        )
    }

    /// Name as in the summary.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Overall result of a pass.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RunStatus {
    /// Everything reachable, every action done.
    Ok,
    /// Something unreachable, an action failed, or the deadline was reached.
    Partial,
    /// Another run holds the lease.
    Skipped,
    /// Too many deletions planned: none sent.
    CircuitOpen,
    /// The state store was unusable: nothing acted.
    Error,
}

impl RunStatus {
    /// Name as in the summary.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_states_are_read_in_any_case_and_named_in_lower_case() {
        for (sent, want, name) in [
            (
                "importBlocked",
                TrackedState::ImportBlocked,
                "importblocked",
            ),
            (
                "IMPORTPENDING",
                TrackedState::ImportPending,
                "importpending",
            ),
            (" imported ", TrackedState::Imported, "imported"),
            ("importFailed", TrackedState::ImportFailed, "importfailed"),
            (
                "failedPending",
                TrackedState::FailedPending,
                "failedpending",
            ),
            ("", TrackedState::Unknown, ""),
            (
                "downloadFailedPending",
                TrackedState::Other("downloadfailedpending".into()),
                "downloadfailedpending",
            ),
        ] {
            let state = TrackedState::from_wire(sent);
            assert_eq!(state, want, "{sent:?}");
            assert_eq!(state.as_str(), name);
            assert_eq!(state.to_string(), name);
            assert_eq!(
                TrackedState::from_wire(name),
                want,
                "round trip of {name:?}"
            );
        }
    }

    #[test]
    fn tracker_host_parses_common_forms() {
        for (url, want) in [
            (
                "https://tracker.example.org:443/announce?passkey=x",
                Some("tracker.example.org"),
            ),
            ("udp://Open.Tracker.io:1337", Some("open.tracker.io")),
            ("http://user:pw@t.example/a", Some("t.example")),
            ("http://[::1]:6969/announce", Some("::1")),
            ("** [DHT] **", None),
            ("", None),
        ] {
            assert_eq!(tracker_host(url).as_deref(), want, "{url}");
        }
    }
}
