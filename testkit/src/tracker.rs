//! A tiny BitTorrent HTTP tracker on a loopback port.
//!
//! `/announce` answers every torrent with a valid reply without peers, except the hashes
//! marked with [`FakeTracker::set_failure`] / [`FakeTracker::set_unregistered`], which get a
//! bencoded `failure reason` (qBittorrent then shows the tracker as not working, status 4,
//! with that message). Marks can change at any time (a tracker that deletes a torrent already
//! being downloaded is a mark set after it announced); qBittorrent only hears the new answer at its next
//! announce, which [`super::qbit::QbitServer::reannounce`] forces (replies ask for a one-second
//! minimum interval). The server stops when the value is dropped.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::routing::get;

/// The message private trackers typically send for a torrent they do not know.
pub const UNREGISTERED: &str = "Unregistered torrent";

#[derive(Default)]
struct Shared {
    /// Refused hashes and the `failure reason` each gets.
    failures: Mutex<HashMap<String, String>>,
    announced: Mutex<Vec<String>>,
}

/// A running fake tracker.
pub struct FakeTracker {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeTracker {
    /// Binds 127.0.0.1 on a free port and starts serving.
    pub async fn start() -> FakeTracker {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind tracker");
        let addr = listener.local_addr().expect("tracker address");
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .route("/announce", get(announce))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("tracker serve");
        });
        FakeTracker { addr, shared, task }
    }

    /// The announce URL to put in a torrent.
    pub fn announce_url(&self) -> String {
        format!("http://{}/announce", self.addr)
    }

    /// Answers announces of `hash` with `failure reason` = `message` from now on.
    pub fn set_failure(&self, hash: &str, message: &str) {
        self.shared
            .failures
            .lock()
            .unwrap()
            .insert(hash.to_ascii_lowercase(), message.to_string());
    }

    /// Answers announces of `hash` with "Unregistered torrent" from now on (also after it
    /// announced successfully: the torrent hears it at its next announce).
    pub fn set_unregistered(&self, hash: &str) {
        self.set_failure(hash, UNREGISTERED);
    }

    /// Answers announces of `hash` normally again.
    pub fn clear_failure(&self, hash: &str) {
        self.shared
            .failures
            .lock()
            .unwrap()
            .remove(&hash.to_ascii_lowercase());
    }

    /// How many announces of `hash` were received so far.
    pub fn announce_count(&self, hash: &str) -> usize {
        let hash = hash.to_ascii_lowercase();
        self.shared
            .announced
            .lock()
            .unwrap()
            .iter()
            .filter(|h| **h == hash)
            .count()
    }

    /// Lower-case hashes of every announce received so far, in order.
    pub fn announced(&self) -> Vec<String> {
        self.shared.announced.lock().unwrap().clone()
    }

    /// Distinct hashes that announced.
    pub fn announced_hashes(&self) -> HashSet<String> {
        self.announced().into_iter().collect()
    }
}

impl Drop for FakeTracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn announce(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Vec<u8> {
    let hash = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("info_hash="))
        .map(|v| hex(&percent_decode(v)))
        .unwrap_or_default();
    shared.announced.lock().unwrap().push(hash.clone());
    match shared.failures.lock().unwrap().get(&hash) {
        Some(m) => format!("d14:failure reason{}:{}e", m.len(), m).into_bytes(),
        // A short "min interval" lets a forced reannounce reach the tracker at once.
        None => b"d8:intervali1800e12:min intervali1e5:peers0:e".to_vec(),
    }
}

/// Decodes `%XX` escapes; other bytes are taken as they are.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%' && i + 2 < b.len())
            .then(|| std::str::from_utf8(&b[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let Some(v) = escaped {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
