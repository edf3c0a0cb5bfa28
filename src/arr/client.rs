//! HTTP client of one Radarr / Sonarr / Lidarr instance.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::{ArrError, scrub, snippet};
use super::wire::{self, CommandReply, HistoryRecord, Paged, SystemStatus};
use crate::config::{ArrConfig, ImportMode};
use crate::model::{ArrKind, Grab, QueueDownload};

/// Records asked for per history page.
const HISTORY_PAGE_SIZE: usize = 100;
/// A paged read stops after this many pages even if the server keeps answering.
pub(super) const MAX_PAGES: usize = 200;
/// Characters of an error body kept in [`ArrError::Http`].
const SNIPPET_CHARS: usize = 200;

/// `GET system/status`, reduced to what `check` and the summary print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrStatus {
    /// "Radarr", "Sonarr", "Lidarr" (absent on very old builds).
    pub app_name: Option<String>,
    /// Version string, e.g. "5.14.0.9383".
    pub version: String,
}

/// How a queue removal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveOutcome {
    /// The Arr removed the item (and, as asked, the torrent from the client).
    Removed,
    /// The Arr no longer knew the item (404): someone removed it first.
    AlreadyGone,
}

/// Client of one Arr. The API key travels only in the `X-Api-Key` header.
pub struct ArrClient {
    name: String,
    kind: ArrKind,
    /// Configured URL + API base, e.g. `http://host:7878/radarr/api/v3`.
    base: String,
    /// Only used to scrub error bodies; the header carries the key.
    key: crate::config::Secret,
    http: reqwest::Client,
    requests: AtomicU64,
}

impl std::fmt::Debug for ArrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrClient")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ArrClient {
    /// Builds a client for `cfg`; every request gives up after `timeout`.
    pub fn new(cfg: &ArrConfig, timeout: Duration) -> Result<Self, ArrError> {
        let invalid = |reason: &str| ArrError::InvalidConfig {
            arr: cfg.name.clone(),
            reason: reason.to_string(),
        };
        // Checked when the config was loaded (config::BaseUrl).
        let url = cfg.url.as_str();
        let mut key = HeaderValue::from_str(cfg.api_key.expose())
            .map_err(|_| invalid("api_key holds characters not allowed in an HTTP header"))?;
        key.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("X-Api-Key", key);
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let http = crate::net::http_client_builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would carry the key header elsewhere (and means a wrong URL base).
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(cfg.tls_insecure)
            .user_agent(concat!("sweeparr/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid(&format!("http client: {e}")))?;
        Ok(ArrClient {
            name: cfg.name.clone(),
            kind: cfg.kind,
            base: format!("{url}{}", cfg.kind.api_base()),
            key: cfg.api_key.clone(),
            http,
            requests: AtomicU64::new(0),
        })
    }

    /// Name of the Arr (`[arr.NAME]`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Kind of the Arr.
    pub fn kind(&self) -> ArrKind {
        self.kind
    }

    /// HTTP requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET system/status`.
    pub async fn status(&self) -> Result<ArrStatus, ArrError> {
        let status: SystemStatus = self.get_json("system/status", &[]).await?;
        let version = status
            .version
            .ok_or_else(|| self.malformed("GET system/status", "no version"))?;
        Ok(ArrStatus {
            app_name: status.app_name,
            version,
        })
    }

    /// The download-client problems of `GET health` (`/api/v3/health`, Lidarr
    /// `/api/v1/health`), as "source: message" lines; empty when there is none.
    pub async fn download_client_problems(&self) -> Result<Vec<String>, ArrError> {
        let records: Vec<wire::HealthRecord> = self.get_json("health", &[]).await?;
        Ok(records
            .into_iter()
            .filter(wire::HealthRecord::is_download_client_problem)
            .map(|r| {
                format!(
                    "{}: {}",
                    r.source.unwrap_or_default(),
                    r.message.unwrap_or_default()
                )
            })
            .collect())
    }

    /// The whole queue in one consistent view: `GET queue/details` (unpaged; unknown items
    /// and pending releases included, as the Arr's own UI reads it), grouped by upper-case
    /// `downloadId`. Records without a download id (pending releases) are skipped.
    ///
    /// The paged `GET queue` is sorted by time left, so a download can move between pages
    /// while they are read and be missed; one reply cannot. The reply is read as it arrives,
    /// record by record, and only the fields a decision needs are kept.
    pub async fn queue(&self) -> Result<BTreeMap<String, QueueDownload>, ArrError> {
        const PATH: &str = "queue/details";
        let endpoint = format!("GET {PATH}");
        // Lidarr embeds each album unless told not to; the others embed nothing by default.
        let query: &[(&str, &str)] = match self.kind {
            ArrKind::Lidarr => &[("includeAlbum", "false")],
            ArrKind::Radarr | ArrKind::Sonarr => &[],
        };
        let req = self.request(Method::GET, PATH).query(query);
        let resp = self.send(req, &endpoint).await?;
        let mut resp = self.check(resp, &endpoint).await?;
        let mut reader = wire::QueueReader::default();
        let malformed =
            |reason: String| self.malformed(&endpoint, &scrub(&reason, self.key.expose()));
        while let Some(piece) = resp.chunk().await.map_err(|e| ArrError::Unreachable {
            arr: self.name.clone(),
            reason: format!("{endpoint}: reading body: {}", self.describe(e)),
        })? {
            reader.feed(&piece).map_err(malformed)?;
        }
        reader.finish().map_err(malformed)
    }

    /// True when the history of `download_id` (upper-cased, matched exactly) holds an import
    /// event of this kind.
    pub async fn imported(&self, download_id: &str) -> Result<bool, ArrError> {
        let id = download_id.trim().to_ascii_uppercase();
        let mut seen = 0;
        for page in 1..=MAX_PAGES {
            let query = [
                ("page", page.to_string()),
                ("pageSize", HISTORY_PAGE_SIZE.to_string()),
                ("sortKey", "date".to_string()),
                ("sortDirection", "descending".to_string()),
                ("downloadId", id.clone()),
            ];
            let reply: Paged<HistoryRecord> = self.get_json("history", &query).await?;
            let got = reply.records.len();
            seen += got;
            let hit = reply.records.iter().any(|r| {
                // Guard against a server that ignores the filter.
                let same = r
                    .download_id
                    .as_deref()
                    .is_none_or(|d| d.eq_ignore_ascii_case(&id));
                same && r.is_import(self.kind)
            });
            if hit {
                return Ok(true);
            }
            if last_page(got, seen, reply.total_records, HISTORY_PAGE_SIZE) {
                return Ok(false);
            }
        }
        Err(self.malformed("GET history", "paging did not end"))
    }

    /// What the history says of the grab of `download_id` (upper-cased, matched exactly):
    /// the newest of its `grabbed` and `downloadFailed` events decides.
    pub async fn grab_record(&self, download_id: &str) -> Result<Grab, ArrError> {
        let id = download_id.trim().to_ascii_uppercase();
        let query = [
            ("page", "1".to_string()),
            ("pageSize", HISTORY_PAGE_SIZE.to_string()),
            ("sortKey", "date".to_string()),
            ("sortDirection", "descending".to_string()),
            ("downloadId", id.clone()),
            // `grabbed` is 1 and `downloadFailed` 4 in Radarr, Sonarr and Lidarr.
            ("eventType", "1".to_string()),
            ("eventType", "4".to_string()),
        ];
        let reply: Paged<HistoryRecord> = self.get_json("history", &query).await?;
        let newest = reply.records.iter().find(|r| {
            r.download_id
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(&id))
                && (r.is_grab() || r.is_failure())
        });
        Ok(match newest {
            Some(r) if r.is_failure() => Grab::Failed,
            Some(r) => r.id.map_or(Grab::Missing, Grab::Grabbed),
            None => Grab::Missing,
        })
    }

    /// `POST history/failed/{id}`: the Arr marks the grab of history record `history_id`
    /// failed, blocklists the release and (per its settings) searches for another. It leaves
    /// the torrent in the client. A 404 means the record is gone.
    pub async fn mark_failed(&self, history_id: i64) -> Result<RemoveOutcome, ArrError> {
        let path = format!("history/failed/{history_id}");
        let endpoint = format!("POST {path}");
        let req = self.request(Method::POST, &path);
        let resp = self.send(req, &endpoint).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(RemoveOutcome::AlreadyGone);
        }
        self.check(resp, &endpoint).await?;
        Ok(RemoveOutcome::Removed)
    }

    /// `DELETE queue/{id}?removeFromClient=<c>&blocklist=true&skipRedownload=<b>`.
    /// With `remove_from_client` false the Arr leaves the torrent and its data in the client.
    /// A 404 means the item is already gone.
    pub async fn remove_from_queue(
        &self,
        queue_id: i64,
        skip_redownload: bool,
        remove_from_client: bool,
    ) -> Result<RemoveOutcome, ArrError> {
        let path = format!("queue/{queue_id}");
        let endpoint = format!("DELETE {path}");
        let query = [
            (
                "removeFromClient",
                if remove_from_client { "true" } else { "false" },
            ),
            ("blocklist", "true"),
            (
                "skipRedownload",
                if skip_redownload { "true" } else { "false" },
            ),
        ];
        let req = self.request(Method::DELETE, &path).query(&query);
        let resp = self.send(req, &endpoint).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(RemoveOutcome::AlreadyGone);
        }
        self.check(resp, &endpoint).await?;
        Ok(RemoveOutcome::Removed)
    }

    /// `POST command` with `body`; any 2xx (the Arrs send 201) gives the command id.
    pub async fn command(&self, body: &Value) -> Result<i64, ArrError> {
        let endpoint = "POST command";
        let req = self.request(Method::POST, "command").json(body);
        let resp = self.send(req, endpoint).await?;
        let resp = self.check(resp, endpoint).await?;
        let reply: CommandReply = self.parse(resp, endpoint).await?;
        reply
            .id
            .ok_or_else(|| self.malformed(endpoint, "no command id"))
    }

    /// The kind's `Downloaded*Scan` command for `path`, tied to `download_id` (upper-cased).
    pub async fn import_scan(
        &self,
        path: &str,
        download_id: &str,
        mode: ImportMode,
    ) -> Result<i64, ArrError> {
        self.command(&scan_body(self.kind, path, download_id, mode))
            .await
    }

    /// A request to `{base}/{path}`; counts as sent once handed to [`Self::send`].
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}/{path}", self.base))
    }

    /// Sends, mapping transport failures to [`ArrError::Unreachable`] and 401 to
    /// [`ArrError::Unauthorized`].
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        endpoint: &str,
    ) -> Result<reqwest::Response, ArrError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| ArrError::Unreachable {
            arr: self.name.clone(),
            reason: format!("{endpoint}: {}", self.describe(e)),
        })?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            return Err(ArrError::Unauthorized {
                arr: self.name.clone(),
            });
        }
        Ok(resp)
    }

    /// Passes 2xx through; anything else becomes [`ArrError::Http`] with a body snippet.
    async fn check(
        &self,
        resp: reqwest::Response,
        endpoint: &str,
    ) -> Result<reqwest::Response, ArrError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().await.unwrap_or_default();
        Err(ArrError::Http {
            arr: self.name.clone(),
            endpoint: endpoint.to_string(),
            status: status.as_u16(),
            snippet: snippet(&scrub(&body, self.key.expose()), SNIPPET_CHARS),
        })
    }

    /// Reads and parses a JSON body.
    async fn parse<T: DeserializeOwned>(
        &self,
        resp: reqwest::Response,
        endpoint: &str,
    ) -> Result<T, ArrError> {
        let bytes = resp.bytes().await.map_err(|e| ArrError::Unreachable {
            arr: self.name.clone(),
            reason: format!("{endpoint}: reading body: {}", self.describe(e)),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned();
            let start = snippet(&scrub(&start, self.key.expose()), 60);
            self.malformed(endpoint, &format!("{e} (body starts {start:?})"))
        })
    }

    /// `GET {path}?{query}` parsed as JSON.
    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ArrError> {
        let endpoint = format!("GET {path}");
        let req = self.request(Method::GET, path).query(query);
        let resp = self.send(req, &endpoint).await?;
        let resp = self.check(resp, &endpoint).await?;
        self.parse(resp, &endpoint).await
    }

    pub(super) fn malformed(&self, endpoint: &str, reason: &str) -> ArrError {
        ArrError::Malformed {
            arr: self.name.clone(),
            endpoint: endpoint.to_string(),
            reason: reason.to_string(),
        }
    }

    /// A transport error as text: its cause chain, without the URL, scrubbed of the key.
    fn describe(&self, e: reqwest::Error) -> String {
        scrub(&crate::net::transport_error(e), self.key.expose())
    }
}

/// Body of the `Downloaded*Scan` command of `kind`.
pub fn scan_body(kind: ArrKind, path: &str, download_id: &str, mode: ImportMode) -> Value {
    json!({
        "name": kind.scan_command(),
        "path": path,
        "downloadClientId": download_id.trim().to_ascii_uppercase(),
        "importMode": mode.as_str(),
    })
}

/// True when a paged read is done: an empty page, all `total` records seen, or (without a
/// total) a short page.
pub(super) fn last_page(got: usize, seen: usize, total: Option<i64>, page_size: usize) -> bool {
    match total {
        _ if got == 0 => true,
        Some(total) => seen as i64 >= total,
        None => got < page_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_on_empty_page_total_reached_or_short_page() {
        assert!(last_page(0, 500, Some(900), 500));
        assert!(!last_page(500, 500, Some(900), 500));
        assert!(last_page(400, 900, Some(900), 500));
        assert!(last_page(10, 10, None, 500));
        assert!(!last_page(500, 500, None, 500));
    }

    #[test]
    fn scan_body_names_the_kinds_command_and_upper_cases_the_id() {
        let body = scan_body(ArrKind::Lidarr, "/music/x", "abc", ImportMode::Copy);
        assert_eq!(
            body,
            json!({"name": "DownloadedAlbumsScan", "path": "/music/x",
                   "downloadClientId": "ABC", "importMode": "copy"})
        );
    }
}
