//! A fake Radarr / Sonarr / Lidarr on a loopback port, shaped after the OpenAPI documents.
//!
//! It keeps a queue, a history, a blocklist and a command list in memory and behaves like the
//! real thing where sweeparr depends on it: `X-Api-Key` (or `apikey`) checks with 401, paged
//! replies with a default `pageSize` of 10, omitted nulls, one queue record per Sonarr episode
//! or Lidarr album sharing a `downloadId`, PascalCase `status` in Lidarr, queue removal that
//! removes the whole download (and, with a [`QbitLink`], the torrent from qBittorrent),
//! blocklisting that triggers the Arr's own replacement search, and `Downloaded*Scan`
//! commands that import a tracked download. Tests drive it through Rust methods.
//!
//! Used by the integration tests (`mod helpers;`) and by `examples/fake_arr.rs` (`make demo`).
//! Searches: `wanted/missing` and `wanted/cutoff` serve what [`FakeArr::set_wanted`] stored
//! (empty by default), filtered on `monitored` (default true, as the real endpoints) and
//! paged; [`FakeArr::set_wanted_endpoints`] makes them answer 404 as Radarr before 5.6,
//! whose `GET movie` serves [`FakeArr::set_movies`]; [`FakeArr::add_running_command`]
//! presets a running search; search commands posted are in [`FakeArr::search_commands`].

// Not every test crate uses every control method; handlers return `Response` as their error.
#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sweeparr::model::ArrKind;

/// How the fake reaches qBittorrent when the Arr would remove a torrent from its client.
#[derive(Debug, Clone)]
pub struct QbitLink {
    /// WebUI base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// WebUI user.
    pub username: String,
    /// WebUI password.
    pub password: String,
}

/// What the fake pretends to be.
#[derive(Debug, Clone)]
pub struct FakeArrConfig {
    /// Radarr, Sonarr or Lidarr: API base, field names, enum spellings, command names.
    pub kind: ArrKind,
    /// The only accepted API key.
    pub api_key: String,
    /// When set, queue removals with `removeFromClient=true` delete the torrent there.
    pub qbit: Option<QbitLink>,
}

/// A download to put in the queue.
#[derive(Debug, Clone, Default)]
pub struct FakeDownload {
    /// Client id (stored UPPER-case); `None` = a pending release, listed without `downloadId`.
    pub download_id: Option<String>,
    /// Release title.
    pub title: String,
    /// Radarr: the movie id (one record); Sonarr: one record per episode id; Lidarr: one per
    /// album id. Empty = one record of an unknown item (listed only with `includeUnknown*Items`).
    pub media_ids: Vec<i64>,
    /// `seriesId` / `artistId` (default 1); unused by Radarr.
    pub parent_id: Option<i64>,
    /// camelCase QueueStatus ("downloading", "completed", ...); PascalCased for Lidarr.
    pub status: String,
    /// camelCase TrackedDownloadState ("downloading", "importBlocked", ...).
    pub tracked_state: String,
    /// TrackedDownloadStatus ("ok", "warning", "error").
    pub tracked_status: String,
    /// `statusMessages`: (title, messages).
    pub status_messages: Vec<(String, Vec<String>)>,
    /// `errorMessage`, omitted when `None`.
    pub error_message: Option<String>,
    /// `outputPath`, omitted when `None`.
    pub output_path: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Bytes left.
    pub sizeleft: u64,
    /// `timeleft` ("hh:mm:ss"), omitted when `None`.
    pub timeleft: Option<String>,
}

impl FakeDownload {
    /// A downloading release of one movie / episode / album (media id 1), tracked `ok`.
    pub fn new(download_id: &str, title: &str) -> Self {
        FakeDownload {
            download_id: Some(download_id.to_string()),
            title: title.to_string(),
            media_ids: vec![1],
            status: "downloading".into(),
            tracked_state: "downloading".into(),
            tracked_status: "ok".into(),
            size: 1_000_000_000,
            sizeleft: 500_000_000,
            ..FakeDownload::default()
        }
    }
}

/// One HTTP request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// "GET", "DELETE", ...
    pub method: String,
    /// Path without the query, e.g. "/api/v3/queue/7".
    pub path: String,
    /// Query pairs in order, repeated keys kept.
    pub query: Vec<(String, String)>,
    /// JSON body, if any (a non-JSON body is kept as a JSON string).
    pub body: Option<Value>,
    /// The request carried the right key (header `X-Api-Key`, query `apikey` or Bearer).
    pub api_key_ok: bool,
}

impl RecordedRequest {
    /// First value of query parameter `name` (case-insensitive, as ASP.NET binds).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A command the fake accepted.
#[derive(Debug, Clone)]
pub struct FakeCommand {
    /// Command id.
    pub id: i64,
    /// Canonical name, e.g. "DownloadedMoviesScan".
    pub name: String,
    /// The posted body as sent.
    pub body: Value,
    /// Final status: "completed" or "failed".
    pub status: String,
    /// "successful" or "unsuccessful".
    pub result: String,
    /// Outcome text.
    pub message: String,
}

/// One history event.
#[derive(Debug, Clone)]
pub struct FakeHistory {
    /// History record id.
    pub id: i64,
    /// Download id, as stored (upper-case for events the fake created from downloads).
    pub download_id: Option<String>,
    /// camelCase event name, e.g. "downloadFolderImported".
    pub event_type: String,
    /// Media id (movie / episode / album), if any.
    pub media_id: Option<i64>,
    /// Release title.
    pub source_title: String,
    /// ISO-8601 UTC.
    pub date: String,
}

/// One blocklist entry.
#[derive(Debug, Clone)]
pub struct FakeBlock {
    /// Blocklist id.
    pub id: i64,
    /// The download that was blocklisted (not part of the real resource; for assertions).
    pub download_id: Option<String>,
    /// Release title.
    pub source_title: String,
    /// Media ids of the release.
    pub media_ids: Vec<i64>,
    /// ISO-8601 UTC.
    pub date: String,
}

/// The wanted lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// `wanted/missing`
    Missing,
    /// `wanted/cutoff`
    Cutoff,
}

struct Stored {
    dl: FakeDownload,
    record_ids: Vec<i64>,
    added: String,
}

struct Inner {
    kind: ArrKind,
    api_key: String,
    qbit: Option<QbitLink>,
    downloads: Vec<Stored>,
    history: Vec<FakeHistory>,
    blocklist: Vec<FakeBlock>,
    commands: Vec<(FakeCommand, String)>,
    requests: Vec<RecordedRequest>,
    searches: Vec<i64>,
    /// History record ids `POST history/failed/{id}` marked failed.
    marked_failed: Vec<i64>,
    removed_from_client: Vec<String>,
    /// Downloads that left the queue (imported or removed); a qBittorrent sync skips them.
    gone: BTreeSet<String>,
    failure: Option<u16>,
    delay: Option<Duration>,
    log: bool,
    auto_sync: Option<String>,
    wanted_missing: Vec<Value>,
    wanted_cutoff: Vec<Value>,
    /// False: `wanted/*` answers 404, as Radarr before 5.6.
    wanted_endpoints: bool,
    movies: Vec<Value>,
    /// What `GET health` answers (HealthResource records).
    health: Vec<Value>,
    /// Ids of commands preset by a test (not posted).
    preset: BTreeSet<i64>,
    next_id: i64,
}

impl Inner {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn add_history(
        &mut self,
        download_id: Option<String>,
        event: &str,
        media: Option<i64>,
        title: &str,
    ) -> i64 {
        let id = self.next();
        self.history.push(FakeHistory {
            id,
            download_id,
            event_type: event.to_string(),
            media_id: media,
            source_title: title.to_string(),
            date: now(),
        });
        id
    }

    /// Index of the download holding queue record `record_id`.
    fn add_download(&mut self, mut dl: FakeDownload) -> Vec<i64> {
        dl.download_id = dl.download_id.map(|d| d.to_ascii_uppercase());
        let records = match (self.kind, dl.media_ids.len()) {
            (_, 0) | (ArrKind::Radarr, _) => 1,
            (_, n) => n,
        };
        let record_ids: Vec<i64> = (0..records).map(|_| self.next()).collect();
        if dl.download_id.is_some() {
            for media in grabbed_media(self.kind, &dl.media_ids) {
                self.add_history(dl.download_id.clone(), "grabbed", media, &dl.title);
            }
        }
        self.downloads.push(Stored {
            dl,
            record_ids: record_ids.clone(),
            added: now(),
        });
        record_ids
    }

    fn download_of_record(&self, record_id: i64) -> Option<usize> {
        self.downloads
            .iter()
            .position(|s| s.record_ids.contains(&record_id))
    }
}

type Shared = Arc<Mutex<Inner>>;

fn lock(state: &Shared) -> MutexGuard<'_, Inner> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// A running fake Arr; stops on drop.
pub struct FakeArr {
    addr: SocketAddr,
    kind: ArrKind,
    api_key: String,
    state: Shared,
    _server: super::background::Background,
}

impl FakeArr {
    /// Starts on a free loopback port (panics if none can be bound).
    pub fn start(cfg: FakeArrConfig) -> FakeArr {
        FakeArr::start_on(cfg, 0).expect("bind 127.0.0.1")
    }

    /// Starts on `127.0.0.1:port` (0 = any free port).
    pub fn start_on(cfg: FakeArrConfig, port: u16) -> std::io::Result<FakeArr> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(Inner {
            kind: cfg.kind,
            api_key: cfg.api_key.clone(),
            qbit: cfg.qbit,
            downloads: Vec::new(),
            history: Vec::new(),
            blocklist: Vec::new(),
            commands: Vec::new(),
            requests: Vec::new(),
            searches: Vec::new(),
            marked_failed: Vec::new(),
            removed_from_client: Vec::new(),
            gone: BTreeSet::new(),
            failure: None,
            delay: None,
            log: false,
            auto_sync: None,
            wanted_missing: Vec::new(),
            wanted_cutoff: Vec::new(),
            wanted_endpoints: true,
            movies: Vec::new(),
            health: Vec::new(),
            preset: BTreeSet::new(),
            next_id: 0,
        }));
        let app = router(cfg.kind, state.clone());
        let server = super::background::Background::serve("fake arr", listener, app);
        Ok(FakeArr {
            addr,
            kind: cfg.kind,
            api_key: cfg.api_key,
            state,
            _server: server,
        })
    }

    /// Base URL to configure (`http://127.0.0.1:PORT`, without the API base).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The accepted API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// What it pretends to be.
    pub fn kind(&self) -> ArrKind {
        self.kind
    }

    /// Puts a download in the queue (id upper-cased) with a `grabbed` history event; returns
    /// its queue record ids.
    pub fn add_download(&self, dl: FakeDownload) -> Vec<i64> {
        lock(&self.state).add_download(dl)
    }

    /// Adds a history event (`event_type` camelCase, e.g. "downloadFolderImported") for
    /// `download_id` (upper-cased, as the Arr stores qBittorrent ids); returns its id.
    pub fn add_history(&self, download_id: &str, event_type: &str) -> i64 {
        let mut inner = lock(&self.state);
        inner.add_history(
            Some(download_id.to_ascii_uppercase()),
            event_type,
            None,
            "manual event",
        )
    }

    /// Answers every API call (not `/ping`) with this status while set.
    pub fn set_failure(&self, status: Option<u16>) {
        lock(&self.state).failure = status;
    }

    /// Delays every answer by this long while set (for timeout tests).
    pub fn set_delay(&self, delay: Option<Duration>) {
        lock(&self.state).delay = delay;
    }

    /// Prints every request (method, path, query without `apikey`, status) to stderr.
    pub fn set_log_requests(&self, on: bool) {
        lock(&self.state).log = on;
    }

    /// Records served by `wanted/missing` or `wanted/cutoff` (JSON resources, paged as sent).
    pub fn set_wanted(&self, list: Wanted, records: Vec<Value>) {
        let mut inner = lock(&self.state);
        match list {
            Wanted::Missing => inner.wanted_missing = records,
            Wanted::Cutoff => inner.wanted_cutoff = records,
        }
    }

    /// False makes `wanted/missing` and `wanted/cutoff` answer 404, as Radarr before 5.6.
    pub fn set_wanted_endpoints(&self, on: bool) {
        lock(&self.state).wanted_endpoints = on;
    }

    /// Sets what `GET health` reports, e.g. a lost download client:
    /// `{"source": "DownloadClientCheck", "type": "error", "message": ...}`.
    pub fn set_health(&self, records: Vec<Value>) {
        lock(&self.state).health = records;
    }

    /// Reports that the Arr cannot reach its download client (as its health check does).
    pub fn lose_download_client(&self) {
        self.set_health(vec![json!({
            "id": 1,
            "source": "DownloadClientStatusCheck",
            "type": "error",
            "message": "All download clients are unavailable due to failures",
            "wikiUrl": "https://wiki.servarr.com/radarr/system#download-clients-are-unavailable-due-to-failures"
        })]);
    }

    /// Records served by `GET movie` (MovieResources; Radarr).
    pub fn set_movies(&self, movies: Vec<Value>) {
        lock(&self.state).movies = movies;
    }

    /// Adds a command that stays `started` (listed by `GET command`), e.g. a search the Arr
    /// is running; returns its id.
    pub fn add_running_command(&self, name: &str) -> i64 {
        let mut inner = lock(&self.state);
        let command = FakeCommand {
            id: inner.next(),
            name: name.to_string(),
            body: json!({"name": name}),
            status: "started".into(),
            result: "unknown".into(),
            message: "Running".into(),
        };
        let id = command.id;
        inner.preset.insert(id);
        inner.commands.push((command, now()));
        id
    }

    /// Ends a command added with [`FakeArr::add_running_command`] (`completed`).
    pub fn finish_command(&self, id: i64) {
        let mut inner = lock(&self.state);
        if let Some((c, _)) = inner.commands.iter_mut().find(|(c, _)| c.id == id) {
            c.status = "completed".into();
            c.result = "successful".into();
            c.message = "Completed".into();
        }
    }

    /// Commands named `*Search` that were posted (preset running ones excluded).
    pub fn search_commands(&self) -> Vec<FakeCommand> {
        let inner = lock(&self.state);
        inner
            .commands
            .iter()
            .map(|(c, _)| c)
            .filter(|c| c.name.ends_with("Search") && !inner.preset.contains(&c.id))
            .cloned()
            .collect()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Commands accepted so far, in order.
    pub fn commands(&self) -> Vec<FakeCommand> {
        lock(&self.state)
            .commands
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Downloads in the queue (not records).
    pub fn queue_len(&self) -> usize {
        lock(&self.state).downloads.len()
    }

    /// Queue records (Sonarr / Lidarr list several per download).
    pub fn queue_record_count(&self) -> usize {
        lock(&self.state)
            .downloads
            .iter()
            .map(|s| s.record_ids.len())
            .sum()
    }

    /// True when the queue holds `download_id` (any case).
    pub fn in_queue(&self, download_id: &str) -> bool {
        let id = download_id.to_ascii_uppercase();
        lock(&self.state)
            .downloads
            .iter()
            .any(|s| s.dl.download_id.as_deref() == Some(id.as_str()))
    }

    /// History events, oldest first.
    pub fn history(&self) -> Vec<FakeHistory> {
        lock(&self.state).history.clone()
    }

    /// Blocklist entries, oldest first.
    pub fn blocklist(&self) -> Vec<FakeBlock> {
        lock(&self.state).blocklist.clone()
    }

    /// History record ids marked failed through `POST history/failed/{id}`.
    pub fn marked_failed(&self) -> Vec<i64> {
        lock(&self.state).marked_failed.clone()
    }

    /// Media ids the Arr searched a replacement for after a blocklisting removal.
    pub fn searches(&self) -> Vec<i64> {
        lock(&self.state).searches.clone()
    }

    /// Download ids whose torrent the Arr removed from the client (`removeFromClient=true`).
    pub fn removed_from_client(&self) -> Vec<String> {
        lock(&self.state).removed_from_client.clone()
    }

    /// Mirrors the qBittorrent torrents of `category` into the queue, as the Arr's download
    /// client polling does: new torrents are added (unless they left the queue before),
    /// progress is updated, torrents gone from qBittorrent leave the queue. Returns the queue
    /// length. Needs a [`QbitLink`].
    pub async fn sync_from_qbit(&self, category: &str) -> Result<usize, String> {
        qbit::sync(&self.state, category).await
    }

    /// While set, every `GET queue` and `GET queue/details` first runs [`FakeArr::sync_from_qbit`] for this category
    /// (a failed sync is printed to stderr and the queue served as it is).
    pub fn set_auto_sync(&self, category: Option<String>) {
        lock(&self.state).auto_sync = category;
    }
}

/// Media ids a `grabbed` event is recorded for (one event per media id, one if none).
fn grabbed_media(kind: ArrKind, ids: &[i64]) -> Vec<Option<i64>> {
    match (kind, ids) {
        (_, []) => vec![None],
        (ArrKind::Radarr, [first, ..]) => vec![Some(*first)],
        (_, ids) => ids.iter().map(|i| Some(*i)).collect(),
    }
}

#[path = "fake_arr/qbit.rs"]
mod qbit;
#[path = "fake_arr/routes.rs"]
mod routes;

use routes::router;

impl FakeArr {
    /// Drops a download from the queue without touching qBittorrent, as an Arr that lost
    /// its download client stops listing that client's downloads. True when it was queued.
    pub fn drop_download(&self, download_id: &str) -> bool {
        let id = download_id.to_ascii_uppercase();
        let mut inner = lock(&self.state);
        let before = inner.downloads.len();
        inner
            .downloads
            .retain(|s| s.dl.download_id.as_deref() != Some(id.as_str()));
        inner.downloads.len() != before
    }
}
