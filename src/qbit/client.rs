//! The HTTP client of one qBittorrent instance: cookie session, one re-login on 403, a
//! rejected password remembered for the life of the client, and the typed API calls.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use tracing::debug;

use super::error::{QbitError, describe, snippet};
use super::wire;
use crate::config::{QbitConfig, Secret};
use crate::model::{ApiGeneration, Torrent, TorrentFile, Tracker};

/// What `connect` learnt about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// `app/version`, e.g. "v4.5.2".
    pub version: String,
    /// `app/webapiVersion`, e.g. "2.8.19".
    pub api_version: String,
    /// V4 (pause/resume) or V5 (stop/start), from `api_version`.
    pub generation: ApiGeneration,
}

/// Largest body buffer reserved up front from a Content-Length (more still grows as needed).
const MAX_PREALLOC: u64 = 64 * 1024 * 1024;

/// Why logins stopped for good.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Password,
    Banned,
}

/// HTTP method of an API call: read methods use GET with a query string, actions POST
/// with a form body (qBittorrent reads POST parameters from the body only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Get,
    Post,
}

/// A client for one qBittorrent instance, meant to live for one pass.
///
/// It holds its own cookie store: the session cookie the server sets at login is sent with
/// every later request. A 403 on any other endpoint means the session is gone: the client
/// logs in again once and repeats that request once. A refused password or a ban is
/// remembered, and every later call fails at once with the same error without logging in.
pub struct QbitClient {
    pub(super) instance: String,
    base: String,
    username: String,
    password: Secret,
    http: reqwest::Client,
    requests: AtomicU64,
    refused: Mutex<Option<Refusal>>,
    generation: Mutex<Option<ApiGeneration>>,
    /// Counts successful logins; serialises re-logins of concurrent calls.
    session: tokio::sync::Mutex<u64>,
}

impl std::fmt::Debug for QbitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QbitClient")
            .field("instance", &self.instance)
            .field("base", &self.base)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl QbitClient {
    /// Builds the client; sends nothing. `timeout` bounds every request (connect included).
    pub fn new(cfg: &QbitConfig, timeout: Duration) -> Result<Self, QbitError> {
        let config_error = |reason: String| QbitError::Config {
            instance: cfg.name.clone(),
            reason,
        };
        let base = cfg.url.trim().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| config_error(format!("url is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "url must start with http:// or https://, not {}://",
                url.scheme()
            )));
        }
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .referer(false)
            // A 307/308 redirect would re-send the login form, password included, to
            // wherever it points; a redirect also means the configured URL is not the WebUI.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .tls_danger_accept_invalid_certs(cfg.tls_insecure)
            .build()
            .map_err(|e| config_error(describe(e)))?;
        Ok(QbitClient {
            instance: cfg.name.clone(),
            base,
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            http,
            requests: AtomicU64::new(0),
            refused: Mutex::new(None),
            generation: Mutex::new(None),
            session: tokio::sync::Mutex::new(0),
        })
    }

    /// The instance name (`[qbit.NAME]`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Starts a new pass: a password refused in an earlier pass may be tried again (once).
    /// Clients built once per Lambda cold start serve many passes.
    pub fn begin_pass(&self) {
        *self.refused.lock().expect("refusal lock") = None;
    }

    /// HTTP requests sent so far (logins included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Logs in, then reads `app/version` and `app/webapiVersion`.
    pub async fn connect(&self) -> Result<ServerInfo, QbitError> {
        {
            let mut session = self.session.lock().await;
            self.login(&mut session).await?;
        }
        let version = self.get_text("app/version").await?;
        let api_version = self.get_text("app/webapiVersion").await?;
        let generation = wire::api_generation(&api_version)
            .ok_or_else(|| self.malformed("app/webapiVersion", "not a version number"))?;
        *self.generation.lock().expect("generation lock") = Some(generation);
        debug!(instance = %self.instance, %version, %api_version, ?generation, "connected");
        Ok(ServerInfo {
            version,
            api_version,
            generation,
        })
    }

    /// Every torrent of the instance, in one `torrents/info` request.
    ///
    /// The reply is read as it arrives ([`wire::TorrentListReader`]): a large instance's
    /// list is never held whole beside the torrents made from it.
    pub async fn torrents(&self) -> Result<Vec<Torrent>, QbitError> {
        const ENDPOINT: &str = "torrents/info";
        let mut response = self.respond(Verb::Get, ENDPOINT, &[]).await?;
        let status = response.status();
        if status != StatusCode::OK {
            let body = self.read_body(ENDPOINT, response).await?;
            return Err(self.http_error(ENDPOINT, status, &body));
        }
        let mut list = wire::TorrentListReader::default();
        let mut bytes = 0usize;
        while let Some(piece) = response
            .chunk()
            .await
            .map_err(|e| self.body_error(ENDPOINT, e))?
        {
            bytes += piece.len();
            list.feed(&piece)
                .map_err(|reason| self.malformed(ENDPOINT, &reason))?;
        }
        debug!(instance = %self.instance, endpoint = ENDPOINT, bytes, "qbit reply, read as it arrived");
        list.finish()
            .map_err(|reason| self.malformed(ENDPOINT, &reason))
    }

    /// Names of the existing categories.
    pub async fn categories(&self) -> Result<Vec<String>, QbitError> {
        self.get_parsed("torrents/categories", &[], wire::parse_categories)
            .await
    }

    /// The real trackers of a torrent (DHT/PeX/LSD pseudo-entries dropped).
    pub async fn trackers(&self, hash: &str) -> Result<Vec<Tracker>, QbitError> {
        self.get_for_hash("torrents/trackers", hash, wire::parse_trackers)
            .await
    }

    /// The files of a torrent (empty while a magnet has no metadata).
    pub async fn files(&self, hash: &str) -> Result<Vec<TorrentFile>, QbitError> {
        self.get_for_hash("torrents/files", hash, wire::parse_files)
            .await
    }

    /// Removes torrents, with their data when `delete_files`.
    pub async fn delete(&self, hashes: &[String], delete_files: bool) -> Result<(), QbitError> {
        let delete_files = if delete_files { "true" } else { "false" };
        self.act("torrents/delete", hashes, &[("deleteFiles", delete_files)])
            .await
    }

    /// Asks qBittorrent to verify the data of torrents again.
    pub async fn recheck(&self, hashes: &[String]) -> Result<(), QbitError> {
        self.act("torrents/recheck", hashes, &[]).await
    }

    /// Adds tags (created on the fly by qBittorrent) to torrents.
    pub async fn add_tags(&self, hashes: &[String], tags: &[String]) -> Result<(), QbitError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tags.join(",");
        self.act("torrents/addTags", hashes, &[("tags", &tags)])
            .await
    }

    /// Creates a category; one that already exists counts as created.
    pub async fn create_category(&self, name: &str) -> Result<(), QbitError> {
        const ENDPOINT: &str = "torrents/createCategory";
        let (status, body) = self
            .request(Verb::Post, ENDPOINT, &[("category", name)])
            .await?;
        if status == StatusCode::CONFLICT
            && String::from_utf8_lossy(&body).contains("Unable to create category")
        {
            debug!(instance = %self.instance, category = name, "category exists already");
            return Ok(());
        }
        self.expect_success(ENDPOINT, status, &body)
    }

    /// Stops torrents: `torrents/pause` on 4.x, `torrents/stop` on 5.x.
    pub async fn stop(&self, hashes: &[String]) -> Result<(), QbitError> {
        let endpoint = match self.generation().await? {
            ApiGeneration::V4 => "torrents/pause",
            ApiGeneration::V5 => "torrents/stop",
        };
        self.act(endpoint, hashes, &[]).await
    }

    /// Starts torrents: `torrents/resume` on 4.x, `torrents/start` on 5.x.
    pub async fn start(&self, hashes: &[String]) -> Result<(), QbitError> {
        let endpoint = match self.generation().await? {
            ApiGeneration::V4 => "torrents/resume",
            ApiGeneration::V5 => "torrents/start",
        };
        self.act(endpoint, hashes, &[]).await
    }

    /// The generation seen by `connect`, or read now when `connect` was not called.
    async fn generation(&self) -> Result<ApiGeneration, QbitError> {
        if let Some(g) = *self.generation.lock().expect("generation lock") {
            return Ok(g);
        }
        let api_version = self.get_text("app/webapiVersion").await?;
        let g = wire::api_generation(&api_version)
            .ok_or_else(|| self.malformed("app/webapiVersion", "not a version number"))?;
        *self.generation.lock().expect("generation lock") = Some(g);
        Ok(g)
    }

    /// A POST action on `hashes` (joined with '|'); 200 and 204 are success. No request is
    /// sent for an empty list.
    pub(super) async fn act(
        &self,
        endpoint: &str,
        hashes: &[String],
        extra: &[(&str, &str)],
    ) -> Result<(), QbitError> {
        if hashes.is_empty() {
            return Ok(());
        }
        let joined = hashes
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("|");
        let mut params = vec![("hashes", joined.as_str())];
        params.extend_from_slice(extra);
        let (status, body) = self.request(Verb::Post, endpoint, &params).await?;
        self.expect_success(endpoint, status, &body)
    }

    /// 200 / 204, or an [`QbitError::Http`].
    pub(super) fn expect_success(
        &self,
        endpoint: &str,
        status: StatusCode,
        body: &[u8],
    ) -> Result<(), QbitError> {
        if status == StatusCode::OK || status == StatusCode::NO_CONTENT {
            Ok(())
        } else {
            Err(self.http_error(endpoint, status, body))
        }
    }

    /// A GET of a single-torrent endpoint (`?hash=`, lower-cased), parsed by `parse`.
    pub(super) async fn get_for_hash<T>(
        &self,
        endpoint: &str,
        hash: &str,
        parse: fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, QbitError> {
        let hash = hash.to_ascii_lowercase();
        self.get_parsed(endpoint, &[("hash", &hash)], parse).await
    }

    /// A GET whose 200 reply is parsed by `parse`.
    pub(super) async fn get_parsed<T>(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        parse: fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, QbitError> {
        let (status, body) = self.request(Verb::Get, endpoint, query).await?;
        if status != StatusCode::OK {
            return Err(self.http_error(endpoint, status, &body));
        }
        parse(&body).map_err(|reason| self.malformed(endpoint, &reason))
    }

    /// A GET of a plain-text endpoint.
    async fn get_text(&self, endpoint: &str) -> Result<String, QbitError> {
        self.get_parsed(endpoint, &[], wire::parse_text).await
    }

    /// Sends a request and reads its reply; on 403 logs in again once and repeats it once.
    pub(super) async fn request(
        &self,
        verb: Verb,
        endpoint: &str,
        params: &[(&str, &str)],
    ) -> Result<(StatusCode, Vec<u8>), QbitError> {
        let response = self.respond(verb, endpoint, params).await?;
        let status = response.status();
        let body = self.read_body(endpoint, response).await?;
        Ok((status, body))
    }

    /// Sends a request; on 403 logs in again once and repeats it once. The body of the
    /// answer is left unread.
    async fn respond(
        &self,
        verb: Verb,
        endpoint: &str,
        params: &[(&str, &str)],
    ) -> Result<reqwest::Response, QbitError> {
        self.check_refused()?;
        let seen = *self.session.lock().await;
        let response = self.send(verb, endpoint, params).await?;
        if response.status() != StatusCode::FORBIDDEN {
            return Ok(response);
        }
        // The 403's own body says nothing more ("Forbidden"); read so the connection is reused.
        self.read_body(endpoint, response).await?;
        debug!(instance = %self.instance, endpoint, "403: session missing or expired, logging in again");
        {
            let mut session = self.session.lock().await;
            // Another call may have logged in while this one waited.
            if *session == seen {
                self.login(&mut session).await?;
            }
        }
        self.send(verb, endpoint, params).await
    }

    /// POST auth/login. Success stores the session cookie in the cookie store.
    async fn login(&self, session: &mut u64) -> Result<(), QbitError> {
        const ENDPOINT: &str = "auth/login";
        self.check_refused()?;
        let params = [
            ("username", self.username.as_str()),
            ("password", self.password.expose()),
        ];
        let response = self.send(Verb::Post, ENDPOINT, &params).await?;
        let status = response.status();
        let body = self.read_body(ENDPOINT, response).await?;
        let text = String::from_utf8_lossy(&body);
        let refusal = match status {
            StatusCode::OK if text.trim() == "Ok." => {
                *session += 1;
                debug!(instance = %self.instance, "logged in");
                return Ok(());
            }
            StatusCode::OK if text.trim() == "Fails." => Refusal::Password,
            StatusCode::UNAUTHORIZED => Refusal::Password,
            StatusCode::FORBIDDEN => Refusal::Banned,
            StatusCode::OK => {
                return Err(
                    self.malformed(ENDPOINT, &format!("unexpected reply '{}'", snippet(&body)))
                );
            }
            _ => return Err(self.http_error(ENDPOINT, status, &body)),
        };
        *self.refused.lock().expect("refusal lock") = Some(refusal);
        let err = self.refusal_error(refusal);
        debug!(instance = %self.instance, error = %err, "login refused");
        Err(err)
    }

    /// Fails at once when a login was refused before.
    fn check_refused(&self) -> Result<(), QbitError> {
        match *self.refused.lock().expect("refusal lock") {
            Some(r) => Err(self.refusal_error(r)),
            None => Ok(()),
        }
    }

    fn refusal_error(&self, refusal: Refusal) -> QbitError {
        let instance = self.instance.clone();
        match refusal {
            Refusal::Password => QbitError::AuthRejected { instance },
            Refusal::Banned => QbitError::Banned { instance },
        }
    }

    /// Sends one request: GET with a query string or POST with a form body. The body of the
    /// answer is left unread.
    async fn send(
        &self,
        verb: Verb,
        endpoint: &str,
        params: &[(&str, &str)],
    ) -> Result<reqwest::Response, QbitError> {
        let url = format!("{}/api/v2/{endpoint}", self.base);
        let builder = match verb {
            Verb::Get if params.is_empty() => self.http.get(&url),
            Verb::Get => self.http.get(&url).query(params),
            Verb::Post => self.http.post(&url).form(params),
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        builder.send().await.map_err(|e| QbitError::Unreachable {
            instance: self.instance.clone(),
            reason: format!("{endpoint}: {}", describe(e)),
        })
    }

    /// Reads a whole body into one buffer sized from Content-Length.
    async fn read_body(
        &self,
        endpoint: &str,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, QbitError> {
        let status = response.status();
        let expected = response.content_length().unwrap_or(0).min(MAX_PREALLOC);
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.body_error(endpoint, e))?
        {
            body.extend_from_slice(&chunk);
        }
        debug!(instance = %self.instance, endpoint, status = status.as_u16(), bytes = body.len(), "qbit reply");
        Ok(body)
    }

    /// A body that could not be read: a timeout is an unreachable instance, anything else
    /// (a closed connection mid-body) a malformed reply.
    fn body_error(&self, endpoint: &str, e: reqwest::Error) -> QbitError {
        if e.is_timeout() {
            QbitError::Unreachable {
                instance: self.instance.clone(),
                reason: format!("{endpoint}: {}", describe(e)),
            }
        } else {
            self.malformed(
                endpoint,
                &format!("body could not be read: {}", describe(e)),
            )
        }
    }

    fn http_error(&self, endpoint: &str, status: StatusCode, body: &[u8]) -> QbitError {
        QbitError::Http {
            instance: self.instance.clone(),
            endpoint: endpoint.to_string(),
            status: status.as_u16(),
            body_snippet: snippet(body),
        }
    }

    fn malformed(&self, endpoint: &str, reason: &str) -> QbitError {
        QbitError::Malformed {
            instance: self.instance.clone(),
            endpoint: endpoint.to_string(),
            reason: reason.to_string(),
        }
    }
}
