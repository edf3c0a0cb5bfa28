//! A fake qBittorrent 4.5.2 WebUI on a loopback port, fast enough to serve 10,000 torrents.
//!
//! It answers the calls sweeparr makes, with bodies shaped like the real 4.5.2 replies (every
//! field of a `torrents/info` object present; `sync/maindata?rid=0` a full update with the
//! same objects keyed by hash, the categories, `server_state`, the tags and the tracker map),
//! keeps the torrents in memory so that actions change what the next pass sees (deleted
//! torrents vanish, added tags stick), and counts every request it receives by endpoint.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Serialize;
use serde_json::json;

/// WebUI user the fake accepts.
pub const USERNAME: &str = "admin";
/// WebUI password the fake accepts.
pub const PASSWORD: &str = "bench-password";
const SID: &str = "benchsessionid0123456789abcdefgh";

/// One `torrents/info` object with every field qBittorrent 4.5.2 (WebAPI 2.8.19) sends.
#[derive(Debug, Clone, Serialize)]
pub struct WebTorrent {
    pub added_on: i64,
    pub amount_left: i64,
    pub auto_tmm: bool,
    pub availability: f64,
    pub category: String,
    pub completed: i64,
    pub completion_on: i64,
    pub content_path: String,
    pub dl_limit: i64,
    pub dlspeed: i64,
    pub download_path: String,
    pub downloaded: i64,
    pub downloaded_session: i64,
    pub eta: i64,
    pub f_l_piece_prio: bool,
    pub force_start: bool,
    pub hash: String,
    pub infohash_v1: String,
    pub infohash_v2: String,
    pub last_activity: i64,
    pub magnet_uri: String,
    pub max_ratio: f64,
    pub max_seeding_time: i64,
    pub name: String,
    pub num_complete: i64,
    pub num_incomplete: i64,
    pub num_leechs: i64,
    pub num_seeds: i64,
    pub priority: i64,
    pub progress: f64,
    pub ratio: f64,
    pub ratio_limit: f64,
    pub save_path: String,
    pub seeding_time: i64,
    pub seeding_time_limit: i64,
    pub seen_complete: i64,
    pub seq_dl: bool,
    pub size: i64,
    pub state: String,
    pub super_seeding: bool,
    pub tags: String,
    pub time_active: i64,
    pub total_size: i64,
    pub tracker: String,
    pub trackers_count: i64,
    pub up_limit: i64,
    pub uploaded: i64,
    pub uploaded_session: i64,
    pub upspeed: i64,
    /// Not sent: the announce URL `torrents/trackers` reports (the `tracker` field is "" when
    /// no tracker works).
    #[serde(skip)]
    pub announce: String,
    /// Not sent: whether the torrent is private, which 4.5.2 tells only in
    /// `torrents/properties` (`is_private`).
    #[serde(skip)]
    pub private: bool,
}

struct Inner {
    torrents: BTreeMap<String, WebTorrent>,
    categories: Vec<String>,
    counts: BTreeMap<String, u64>,
    /// `rid` of the last `sync/maindata` answer.
    rid: u64,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(state: &Shared) -> MutexGuard<'_, Inner> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake WebUI; stops on drop.
pub struct FakeQbit {
    addr: SocketAddr,
    state: Shared,
    _server: testkit::background::Background,
}

impl FakeQbit {
    /// Starts on a free 127.0.0.1 port with these torrents and categories.
    pub fn start(torrents: Vec<WebTorrent>, categories: &[&str]) -> FakeQbit {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local addr");
        let state: Shared = Arc::new(Mutex::new(Inner {
            torrents: torrents.into_iter().map(|t| (t.hash.clone(), t)).collect(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            counts: BTreeMap::new(),
            rid: 0,
        }));
        let app = router(state.clone());
        let threads = testkit::background::Threads(2);
        FakeQbit {
            addr,
            state,
            _server: testkit::background::Background::serve_on("fake qbit", threads, listener, app),
        }
    }

    /// WebUI base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received since the last call, by endpoint (`sync/maindata`, ...); resets them.
    pub fn take_counts(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut lock(&self.state).counts)
    }

    /// Changes one torrent in place (panics on an unknown hash: a bench bug).
    pub fn modify(&self, hash: &str, f: impl FnOnce(&mut WebTorrent)) {
        let mut inner = lock(&self.state);
        f(inner.torrents.get_mut(hash).expect("known hash"));
    }
}

fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v2/auth/login", post(login))
        .route("/api/v2/app/version", get(|| async { "v4.5.2" }))
        .route("/api/v2/app/webapiVersion", get(|| async { "2.8.19" }))
        .route("/api/v2/sync/maindata", get(maindata))
        .route("/api/v2/torrents/info", get(info))
        .route("/api/v2/torrents/categories", get(categories))
        .route("/api/v2/torrents/trackers", get(trackers))
        .route("/api/v2/torrents/properties", get(properties))
        .route("/api/v2/torrents/files", get(files))
        .route("/api/v2/torrents/delete", post(delete))
        .route("/api/v2/torrents/addTags", post(add_tags))
        .route("/api/v2/torrents/recheck", post(recheck))
        .route("/api/v2/torrents/createCategory", post(create_category))
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// Counts the request, then requires the session cookie everywhere but `auth/login` (403
/// without it, as qBittorrent answers).
async fn gate(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().trim_start_matches("/api/v2/").to_string();
    *lock(&st).counts.entry(path.clone()).or_default() += 1;
    if path != "auth/login" && !has_session(req.headers()) {
        return (StatusCode::FORBIDDEN, "Forbidden").into_response();
    }
    next.run(req).await
}

fn has_session(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == format!("SID={SID}"))
}

async fn login(Form(form): Form<BTreeMap<String, String>>) -> Response {
    let ok = form.get("username").map(String::as_str) == Some(USERNAME)
        && form.get("password").map(String::as_str) == Some(PASSWORD);
    if !ok {
        return "Fails.".into_response();
    }
    let cookie = format!("SID={SID}; HttpOnly; path=/; SameSite=Strict");
    ([(header::SET_COOKIE, cookie)], "Ok.").into_response()
}

async fn info(State(st): State<Shared>) -> Response {
    let body = {
        let inner = lock(&st);
        let all: Vec<&WebTorrent> = inner.torrents.values().collect();
        serde_json::to_vec(&all).expect("serialise torrents")
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `torrents/categories`, also the `categories` member of `sync/maindata`.
fn category_map(inner: &Inner) -> serde_json::Map<String, serde_json::Value> {
    inner
        .categories
        .iter()
        .map(|c| (c.clone(), json!({"name": c, "savePath": ""})))
        .collect()
}

async fn categories(State(st): State<Shared>) -> Response {
    Json(category_map(&lock(&st))).into_response()
}

/// `sync/maindata`: always a full update (the fake keeps no history of what it sent, and
/// 4.5.2 answers an unknown `rid` with a full update too), members in the order 4.5.2 sends
/// them. Built in one buffer like `torrents/info`: each torrent object is serialised once,
/// without its `hash` (the key says it), so that 10,000 torrents cost what the list costs.
async fn maindata(State(st): State<Shared>) -> Response {
    let body = {
        let mut inner = lock(&st);
        inner.rid += 1;
        maindata_body(&inner)
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn maindata_body(inner: &Inner) -> Vec<u8> {
    let torrents = inner.torrents.values();
    let mut tags = std::collections::BTreeSet::new();
    let mut trackers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let (mut dl_speed, mut up_speed) = (0, 0);
    for t in torrents.clone() {
        tags.extend(t.tags.split(',').map(str::trim).filter(|s| !s.is_empty()));
        trackers.entry(&t.announce).or_default().push(&t.hash);
        dl_speed += t.dlspeed;
        up_speed += t.upspeed;
    }
    // qBittorrent 4.5.2's `server_state` of a full update, every field.
    let server_state = json!({
        "alltime_dl": 0, "alltime_ul": 0, "average_time_queue": 16,
        "connection_status": "connected", "dht_nodes": 0, "dl_info_data": 0,
        "dl_info_speed": dl_speed, "dl_rate_limit": 0, "free_space_on_disk": 4_000_000_000_000_i64,
        "global_ratio": "1.02", "queued_io_jobs": 0, "queueing": true, "read_cache_hits": "0",
        "read_cache_overload": "0", "refresh_interval": 1500, "total_buffers_size": 0,
        "total_peer_connections": 0, "total_queued_size": 0, "total_wasted_session": 0,
        "up_info_data": 0, "up_info_speed": up_speed, "up_rate_limit": 0,
        "use_alt_speed_limits": false, "write_cache_overload": "0",
    });
    let mut body = Vec::with_capacity(1_500 * inner.torrents.len() + 4_096);
    body.extend_from_slice(b"{\"categories\":");
    body.extend(json(&category_map(inner)));
    body.extend_from_slice(format!(",\"full_update\":true,\"rid\":{},", inner.rid).as_bytes());
    body.extend_from_slice(b"\"server_state\":");
    body.extend(json(&server_state));
    body.extend_from_slice(b",\"tags\":");
    body.extend(json(&tags));
    body.extend_from_slice(b",\"torrents\":{");
    for (i, t) in torrents.enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend(json(&t.hash));
        body.push(b':');
        body.extend(without_hash(&json(t), &t.hash));
    }
    body.extend_from_slice(b"},\"trackers\":");
    body.extend(json(&trackers));
    body.push(b'}');
    body
}

/// A serialised `torrents/info` object without its `hash` member, as `sync/maindata` sends
/// it. The member is found by its exact bytes: `,"hash":"<hex>"` can only be the member
/// itself, since a `"` inside a string value is always escaped.
fn without_hash(object: &[u8], hash: &str) -> Vec<u8> {
    let member = format!(",\"hash\":\"{hash}\"");
    let member = member.as_bytes();
    let at = object
        .windows(member.len())
        .position(|w| w == member)
        .expect("a serialised torrent carries its hash");
    [&object[..at], &object[at + member.len()..]].concat()
}

/// The JSON text of `value`.
fn json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("serialise")
}

type Params = Query<BTreeMap<String, String>>;

fn torrent(inner: &Inner, params: &BTreeMap<String, String>) -> Option<WebTorrent> {
    let hash = params.get("hash")?.to_ascii_lowercase();
    inner.torrents.get(&hash).cloned()
}

async fn trackers(State(st): State<Shared>, Query(p): Params) -> Response {
    let Some(t) = torrent(&lock(&st), &p) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let pseudo = |url: &str| {
        json!({"msg": "", "num_downloaded": 0, "num_leeches": 0, "num_peers": 0,
               "num_seeds": 0, "status": 0, "tier": -1, "url": url})
    };
    let working = !t.tracker.is_empty();
    let real = json!({
        "msg": if working { "" } else { "Connection refused" },
        "num_downloaded": if working { 12 } else { -1 },
        "num_leeches": if working { t.num_leechs } else { -1 },
        "num_peers": if working { 0 } else { -1 },
        "num_seeds": if working { t.num_seeds } else { -1 },
        "status": if working { 2 } else { 4 },
        "tier": 0,
        "url": t.announce,
    });
    Json(vec![
        pseudo("** [DHT] **"),
        pseudo("** [PeX] **"),
        pseudo("** [LSD] **"),
        real,
    ])
    .into_response()
}

/// `torrents/properties`: every field 4.5.2 sends, `is_private` among them.
async fn properties(State(st): State<Shared>, Query(p): Params) -> Response {
    let Some(t) = torrent(&lock(&st), &p) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let piece_size: u64 = 4 << 20;
    let pieces_num = (t.size.max(0) as u64).div_ceil(piece_size) as i64;
    // 4.5.2 says -1 for "never", where torrents/info says 0.
    let or_never = |at: i64| if at > 0 { at } else { -1 };
    Json(json!({
        "addition_date": t.added_on, "comment": "", "completion_date": or_never(t.completion_on),
        "created_by": "mktorrent 1.1", "creation_date": t.added_on - 60, "dl_limit": -1,
        "dl_speed": t.dlspeed, "dl_speed_avg": t.dlspeed, "download_path": t.download_path,
        "eta": t.eta, "hash": t.hash, "infohash_v1": t.infohash_v1, "infohash_v2": t.infohash_v2,
        "is_private": t.private, "last_seen": or_never(t.seen_complete), "name": t.name,
        "nb_connections": 0, "nb_connections_limit": 100, "peers": t.num_leechs,
        "peers_total": t.num_incomplete, "piece_size": piece_size,
        "pieces_have": (pieces_num as f64 * t.progress) as i64, "pieces_num": pieces_num,
        "reannounce": 116, "save_path": t.save_path, "seeding_time": t.seeding_time,
        "seeds": t.num_seeds, "seeds_total": t.num_complete, "share_ratio": t.ratio,
        "time_elapsed": t.time_active, "total_downloaded": t.downloaded,
        "total_downloaded_session": t.downloaded_session, "total_size": t.total_size,
        "total_uploaded": t.uploaded, "total_uploaded_session": t.uploaded_session,
        "total_wasted": 0, "up_limit": -1, "up_speed": t.upspeed, "up_speed_avg": t.upspeed,
    }))
    .into_response()
}

async fn files(State(st): State<Shared>, Query(p): Params) -> Response {
    let Some(t) = torrent(&lock(&st), &p) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let nfo = 2_048;
    let piece = 4 << 20;
    let last_piece = (t.size / piece).max(1);
    Json(vec![
        json!({"availability": t.availability, "index": 0, "is_seed": t.progress >= 1.0,
               "name": format!("{}/{}.mkv", t.name, t.name), "piece_range": [0, last_piece],
               "priority": 1, "progress": t.progress, "size": t.size - nfo}),
        json!({"availability": t.availability, "index": 1, "is_seed": t.progress >= 1.0,
               "name": format!("{}/{}.nfo", t.name, t.name),
               "piece_range": [last_piece, last_piece], "priority": 1,
               "progress": t.progress, "size": nfo}),
    ])
    .into_response()
}

fn hashes(form: &BTreeMap<String, String>) -> Vec<String> {
    form.get("hashes")
        .map(|h| h.split('|').map(str::to_ascii_lowercase).collect())
        .unwrap_or_default()
}

async fn delete(State(st): State<Shared>, Form(form): Form<BTreeMap<String, String>>) -> Response {
    let mut inner = lock(&st);
    for h in hashes(&form) {
        inner.torrents.remove(&h);
    }
    StatusCode::OK.into_response()
}

async fn add_tags(
    State(st): State<Shared>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let new: Vec<String> = form
        .get("tags")
        .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let mut inner = lock(&st);
    for h in hashes(&form) {
        if let Some(t) = inner.torrents.get_mut(&h) {
            let mut tags: Vec<String> = t
                .tags
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            for tag in &new {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
            tags.sort();
            t.tags = tags.join(", ");
        }
    }
    StatusCode::OK.into_response()
}

async fn recheck(State(st): State<Shared>, Form(form): Form<BTreeMap<String, String>>) -> Response {
    let mut inner = lock(&st);
    for h in hashes(&form) {
        if let Some(t) = inner.torrents.get_mut(&h) {
            t.state = if t.amount_left == 0 {
                "checkingUP"
            } else {
                "checkingDL"
            }
            .into();
        }
    }
    StatusCode::OK.into_response()
}

async fn create_category(
    State(st): State<Shared>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let name = form.get("category").cloned().unwrap_or_default();
    let mut inner = lock(&st);
    if name.is_empty() || inner.categories.contains(&name) {
        return (StatusCode::CONFLICT, "Unable to create category").into_response();
    }
    inner.categories.push(name);
    StatusCode::OK.into_response()
}
