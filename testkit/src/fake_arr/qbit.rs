//! The fake Arr's download-client side: the few qBittorrent WebUI calls a real Arr makes
//! (login, list a category, delete a torrent with its files).
//!
//! Every call logs in, does its work and logs out. Login succeeds with 200 `Ok.` (before
//! qBittorrent 5.2) or 204 and an empty body (5.2+, cookie `QBT_SID_<port>`); it is refused
//! with 200 `Fails.` or, from 5.2, 401. Logging out matters on 5.3, which keeps at most 15
//! sessions and drops the oldest (perhaps the session of the pass under test) for a new one.

use std::time::Duration;

use serde::Deserialize;

use std::collections::BTreeSet;

use super::{FakeDownload, QbitLink, Shared, lock};

/// One torrent of `torrents/info`, the fields an Arr reads.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ClientTorrent {
    pub hash: String,
    pub name: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub amount_left: i64,
    #[serde(default)]
    pub content_path: String,
    #[serde(default)]
    pub eta: i64,
}

impl ClientTorrent {
    /// Updates a queue entry the way Radarr's qBittorrent client maps torrent states.
    pub fn apply(&self, dl: &mut FakeDownload) {
        let (status, message) = match self.state.as_str() {
            "error" => ("warning", Some("qBittorrent is reporting an error")),
            "missingFiles" => ("warning", Some("The download is missing files")),
            "stalledDL" => (
                "warning",
                Some("The download is stalled with no connections"),
            ),
            "pausedDL" | "stoppedDL" => ("paused", None),
            "queuedDL" | "checkingDL" | "checkingResumeData" | "metaDL" | "forcedMetaDL" => {
                ("queued", None)
            }
            "pausedUP" | "stoppedUP" | "uploading" | "stalledUP" | "queuedUP" | "forcedUP"
            | "checkingUP" => ("completed", None),
            _ => ("downloading", None),
        };
        dl.status = status.to_string();
        dl.tracked_status = if status == "warning" { "warning" } else { "ok" }.to_string();
        dl.tracked_state = if status == "completed" {
            "importPending"
        } else {
            "downloading"
        }
        .to_string();
        dl.status_messages = message
            .map(|m| vec![(self.name.clone(), vec![m.to_string()])])
            .unwrap_or_default();
        dl.size = self.size.max(0) as u64;
        dl.sizeleft = self.amount_left.max(0) as u64;
        dl.output_path = (!self.content_path.is_empty()).then(|| self.content_path.clone());
        dl.timeleft = (0..8_640_000)
            .contains(&self.eta)
            .then(|| timespan(self.eta));
    }
}

/// .NET TimeSpan text: "hh:mm:ss" or "d.hh:mm:ss".
fn timespan(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Logs in and returns a client holding the session cookie (whatever its name).
async fn session(link: &QbitLink) -> Result<(reqwest::Client, String), String> {
    let base = link.url.trim_end_matches('/').to_string();
    let client = sweeparr::net::http_client_builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("qBittorrent client: {e}"))?;
    let resp = client
        .post(format!("{base}/api/v2/auth/login"))
        .form(&[("username", &link.username), ("password", &link.password)])
        .send()
        .await
        .map_err(|e| format!("qBittorrent login: {}", e.without_url()))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let ok = (status == 200 && text.trim() == "Ok.") || (status == 204 && text.trim().is_empty());
    if !ok {
        return Err(format!(
            "qBittorrent login rejected (HTTP {status}, {:?})",
            text.trim()
        ));
    }
    Ok((client, base))
}

/// Ends the session `session` opened, freeing its place on the server.
async fn logout(client: &reqwest::Client, base: &str) {
    let _ = client
        .post(format!("{base}/api/v2/auth/logout"))
        .send()
        .await;
}

/// `torrents/delete` with `deleteFiles=true`, as an Arr removing a failed download does.
pub(super) async fn delete(link: &QbitLink, hash: &str) -> Result<(), String> {
    let (client, base) = session(link).await?;
    let resp = client
        .post(format!("{base}/api/v2/torrents/delete"))
        .form(&[
            ("hashes", hash.to_ascii_lowercase().as_str()),
            ("deleteFiles", "true"),
        ])
        .send()
        .await;
    logout(&client, &base).await;
    let resp = resp.map_err(|e| format!("qBittorrent delete: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!(
            "qBittorrent delete answered HTTP {}",
            resp.status()
        ));
    }
    Ok(())
}

/// `torrents/info?category=C`.
pub(super) async fn torrents(
    link: &QbitLink,
    category: &str,
) -> Result<Vec<ClientTorrent>, String> {
    let (client, base) = session(link).await?;
    let resp = client
        .get(format!("{base}/api/v2/torrents/info"))
        .query(&[("category", category)])
        .send()
        .await;
    let body = match resp {
        Ok(r) if r.status().is_success() => r
            .json()
            .await
            .map_err(|e| format!("qBittorrent torrents/info body: {e}")),
        Ok(r) => Err(format!(
            "qBittorrent torrents/info answered HTTP {}",
            r.status()
        )),
        Err(e) => Err(format!("qBittorrent torrents/info: {}", e.without_url())),
    };
    logout(&client, &base).await;
    body
}

/// Mirrors the torrents of `category` into the queue (see [`super::FakeArr::sync_from_qbit`]).
pub(super) async fn sync(state: &Shared, category: &str) -> Result<usize, String> {
    let link = lock(state)
        .qbit
        .clone()
        .ok_or("no qBittorrent link configured")?;
    let torrents = torrents(&link, category).await?;
    let mut inner = lock(state);
    let mut seen = BTreeSet::new();
    for t in &torrents {
        let id = t.hash.to_ascii_uppercase();
        seen.insert(id.clone());
        if inner.gone.contains(&id) {
            continue;
        }
        let existing = inner
            .downloads
            .iter_mut()
            .find(|s| s.dl.download_id.as_deref() == Some(id.as_str()));
        if let Some(s) = existing {
            t.apply(&mut s.dl);
            continue;
        }
        let mut dl = FakeDownload::new(&id, &t.name);
        dl.media_ids = vec![inner.next()];
        t.apply(&mut dl);
        inner.add_download(dl);
    }
    inner
        .downloads
        .retain(|s| s.dl.download_id.as_ref().is_none_or(|d| seen.contains(d)));
    Ok(inner.downloads.len())
}
