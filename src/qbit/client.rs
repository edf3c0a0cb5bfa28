//! The HTTP client of one qBittorrent instance: a cookie session (or, on 5.2+, an API key),
//! one re-login on 403, a rejected login remembered for the life of the client, the version
//! remembered from earlier passes, and the typed API calls.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tracing::debug;

use super::error::{QbitError, describe, snippet};
use super::maindata::{MainData, MainDataReader};
use super::wire;
use crate::config::{QbitConfig, Secret};
use crate::model::{ApiGeneration, TorrentFile, Tracker};

/// The most torrents a list is made room for before it is read.
const MAX_EXPECTED_TORRENTS: usize = 1_000_000;

/// The version of a server: read by `connect` / [`QbitClient::read_version`], or
/// remembered from an earlier pass ([`QbitClient::remember`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// `app/version`, e.g. "v4.5.2".
    pub version: String,
    /// `app/webapiVersion`, e.g. "2.8.19".
    pub api_version: String,
    /// V4 (pause/resume) or V5 (stop/start), from `api_version`.
    pub generation: ApiGeneration,
}

impl ServerInfo {
    /// Builds the info of a known version pair; `None` when `api_version` is no version.
    pub fn new(version: &str, api_version: &str) -> Option<ServerInfo> {
        Some(ServerInfo {
            version: version.to_string(),
            api_version: api_version.to_string(),
            generation: wire::api_generation(api_version)?,
        })
    }
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// `auth/login` with a username and password; the session cookie is kept.
    Login {
        /// WebUI user.
        username: String,
        /// Its password.
        password: Secret,
    },
    /// `Authorization: Bearer <key>` on every request (qBittorrent 5.2+): no login.
    ApiKey(Secret),
}

impl Auth {
    /// How the instance is reached, for `check` (never the secret).
    pub fn describe(&self) -> String {
        match self {
            Auth::Login { username, .. } => format!("login as '{username}'"),
            Auth::ApiKey(_) => "API key".to_string(),
        }
    }
}

/// Largest body buffer reserved up front from a Content-Length (more still grows as needed).
const MAX_PREALLOC: u64 = 64 * 1024 * 1024;

/// Why logins stopped for good.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Password,
    /// 401 from the Host-header / CSRF check.
    Unauthorized,
    Banned,
    ApiKey,
}

/// HTTP method of an API call: read methods use GET with a query string, actions POST
/// with a form body (qBittorrent reads POST parameters from the body only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Get,
    Post,
}

/// A client for one qBittorrent instance, meant to live for one pass (or, in the cloud, for
/// the passes of one cold start).
///
/// With a password it holds its own cookie store: the session cookie the server sets at
/// login is sent with every later request. A 403 on any other endpoint means the session is
/// gone: the client logs in again once and repeats that request once. A refused password or
/// a ban is remembered, and every later call fails at once with the same error without
/// logging in. With an API key every request carries it and nothing logs in.
pub struct QbitClient {
    pub(super) instance: String,
    base: String,
    auth: Auth,
    /// `Authorization` header of the API key, marked sensitive.
    bearer: Option<HeaderValue>,
    http: reqwest::Client,
    requests: AtomicU64,
    refused: Mutex<Option<Refusal>>,
    server: Mutex<Option<ServerInfo>>,
    /// The version was read from the server (not remembered) since the pass began.
    version_read: Mutex<bool>,
    /// Torrents the instance is expected to list (those the state knows on it).
    expected_torrents: AtomicUsize,
    /// Counts successful logins; serialises re-logins of concurrent calls.
    session: tokio::sync::Mutex<u64>,
}

impl std::fmt::Debug for QbitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QbitClient")
            .field("instance", &self.instance)
            .field("base", &self.base)
            .field("auth", &self.auth.describe())
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
        // Checked when the config was loaded (config::BaseUrl).
        let base = cfg.url.as_str().to_string();
        let auth = if cfg.uses_api_key() {
            Auth::ApiKey(cfg.api_key.clone())
        } else {
            Auth::Login {
                username: cfg.username.clone(),
                password: cfg.password.clone(),
            }
        };
        let bearer = match &auth {
            Auth::ApiKey(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .map_err(|_| {
                        config_error("api_key holds characters an HTTP header cannot carry".into())
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            Auth::Login { .. } => None,
        };
        let http = crate::net::http_client_builder()
            .cookie_store(bearer.is_none())
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
            auth,
            bearer,
            http,
            requests: AtomicU64::new(0),
            refused: Mutex::new(None),
            server: Mutex::new(None),
            version_read: Mutex::new(false),
            expected_torrents: AtomicUsize::new(0),
            session: tokio::sync::Mutex::new(0),
        })
    }

    /// The instance name (`[qbit.NAME]`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// How the client authenticates.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Starts a new pass: a password refused in an earlier pass may be tried again (once).
    /// Clients built once per Lambda cold start serve many passes.
    pub fn begin_pass(&self) {
        *self.refused.lock().expect("refusal lock") = None;
        *self.version_read.lock().expect("version lock") = false;
    }

    /// How many torrents the state knows on the instance: the list is made room for them
    /// and a quarter more (torrents of categories no Arr owns have no record) at once,
    /// instead of growing to that size by doubling and copying.
    pub fn expect_torrents(&self, records: usize) {
        // A state far larger than any instance is no reason to reserve without bound.
        let room = records
            .saturating_add(records / 4)
            .min(MAX_EXPECTED_TORRENTS);
        self.expected_torrents.store(room, Ordering::Relaxed);
    }

    /// Takes a version remembered from an earlier pass, so that this pass needs not read it.
    pub fn remember(&self, info: ServerInfo) {
        *self.server.lock().expect("server lock") = Some(info);
    }

    /// The version known now (read or remembered), if any.
    pub fn server_info(&self) -> Option<ServerInfo> {
        self.server.lock().expect("server lock").clone()
    }

    /// True when the version was read from the server since the pass began (so it is worth
    /// remembering).
    pub fn version_read(&self) -> bool {
        *self.version_read.lock().expect("version lock")
    }

    /// HTTP requests sent so far (logins included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Logs in (unless an API key is used), then reads `app/version` and
    /// `app/webapiVersion`.
    pub async fn connect(&self) -> Result<ServerInfo, QbitError> {
        self.ensure_session().await?;
        self.read_version().await
    }

    /// Reads `app/version` and `app/webapiVersion` and keeps them.
    pub async fn read_version(&self) -> Result<ServerInfo, QbitError> {
        let version = self.get_text("app/version").await?;
        let api_version = self.get_text("app/webapiVersion").await?;
        let info = ServerInfo::new(&version, &api_version)
            .ok_or_else(|| self.malformed("app/webapiVersion", "not a version number"))?;
        debug!(instance = %self.instance, %version, %api_version, generation = ?info.generation, "version read");
        *self.server.lock().expect("server lock") = Some(info.clone());
        *self.version_read.lock().expect("version lock") = true;
        Ok(info)
    }

    /// Logs in when no session exists yet (with a password), so that the first request of a
    /// pass is not sent only to be refused.
    async fn ensure_session(&self) -> Result<(), QbitError> {
        if self.bearer.is_some() {
            return Ok(());
        }
        let mut session = self.session.lock().await;
        if *session == 0 {
            self.login(&mut session).await?;
        }
        Ok(())
    }

    /// The whole state of the instance in one `sync/maindata?rid=0` request: torrents,
    /// categories and `server_state`. Logs in first when no session exists yet.
    ///
    /// The reply is read as it arrives ([`MainDataReader`]): a large instance's list is never
    /// held whole beside the torrents made from it.
    pub async fn list(&self) -> Result<MainData, QbitError> {
        const ENDPOINT: &str = "sync/maindata";
        self.ensure_session().await?;
        let mut response = self.respond(Verb::Get, ENDPOINT, &[("rid", "0")]).await?;
        let status = response.status();
        if status != StatusCode::OK {
            let body = self.read_body(ENDPOINT, response).await?;
            return Err(self.http_error(ENDPOINT, status, &body));
        }
        let mut reader =
            MainDataReader::with_capacity(self.expected_torrents.load(Ordering::Relaxed));
        let mut bytes = 0usize;
        while let Some(piece) = response
            .chunk()
            .await
            .map_err(|e| self.body_error(ENDPOINT, e))?
        {
            bytes += piece.len();
            reader
                .feed(&piece)
                .map_err(|reason| self.malformed(ENDPOINT, &reason))?;
        }
        debug!(instance = %self.instance, endpoint = ENDPOINT, bytes, "qbit reply, read as it arrived");
        reader
            .finish()
            .map_err(|reason| self.malformed(ENDPOINT, &reason))
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

    /// Sets the download priority of files of one torrent (`torrents/filePrio`); `ids` are
    /// the files' indexes in `torrents/files` (0 = do not download).
    pub async fn file_priority(
        &self,
        hash: &str,
        ids: &[usize],
        priority: u8,
    ) -> Result<(), QbitError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("|");
        let priority = priority.to_string();
        self.act_on_one(
            "torrents/filePrio",
            hash,
            &[("id", &ids), ("priority", &priority)],
        )
        .await
    }

    /// Adds tracker URLs to one torrent (`torrents/addTrackers`).
    pub async fn add_trackers(&self, hash: &str, urls: &[String]) -> Result<(), QbitError> {
        if urls.is_empty() {
            return Ok(());
        }
        self.act_on_one("torrents/addTrackers", hash, &[("urls", &urls.join("\n"))])
            .await
    }

    /// Removes tracker URLs from one torrent (`torrents/removeTrackers`).
    pub async fn remove_trackers(&self, hash: &str, urls: &[String]) -> Result<(), QbitError> {
        if urls.is_empty() {
            return Ok(());
        }
        self.act_on_one(
            "torrents/removeTrackers",
            hash,
            &[("urls", &urls.join("|"))],
        )
        .await
    }

    /// `torrents/setUploadLimit` or `torrents/setDownloadLimit` (`endpoint`): `limit` bytes/s,
    /// 0 for none.
    pub async fn set_limit(
        &self,
        hashes: &[String],
        endpoint: &str,
        limit: u64,
    ) -> Result<(), QbitError> {
        self.act(endpoint, hashes, &[("limit", &limit.to_string())])
            .await
    }

    /// Stops torrents: `torrents/pause` on 4.x, `torrents/stop` on 5.x.
    pub async fn stop(&self, hashes: &[String]) -> Result<(), QbitError> {
        self.by_generation(hashes, "torrents/pause", "torrents/stop")
            .await
    }

    /// Starts torrents: `torrents/resume` on 4.x, `torrents/start` on 5.x.
    pub async fn start(&self, hashes: &[String]) -> Result<(), QbitError> {
        self.by_generation(hashes, "torrents/resume", "torrents/start")
            .await
    }

    /// An action whose endpoint depends on the generation. A 404 means the remembered
    /// version is out of date (the instance was upgraded or downgraded): the version is read
    /// again and the action sent once more to the right endpoint.
    async fn by_generation(&self, hashes: &[String], v4: &str, v5: &str) -> Result<(), QbitError> {
        if hashes.is_empty() {
            return Ok(());
        }
        let pick = |g: ApiGeneration| match g {
            ApiGeneration::V4 => v4,
            ApiGeneration::V5 => v5,
        };
        let generation = match self.server_info() {
            Some(info) => info.generation,
            None => self.read_version().await?.generation,
        };
        match self.act(pick(generation), hashes, &[]).await {
            Err(QbitError::Http { status: 404, .. }) if !self.version_read() => {
                debug!(instance = %self.instance, "404 on a versioned endpoint: reading the version again");
                let now = self.read_version().await?.generation;
                self.act(pick(now), hashes, &[]).await
            }
            other => other,
        }
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

    /// A POST action on the one torrent `hash` (lower-cased; the endpoints taking a single
    /// `hash`) with `extra` parameters; 200 and 204 are success.
    async fn act_on_one(
        &self,
        endpoint: &str,
        hash: &str,
        extra: &[(&str, &str)],
    ) -> Result<(), QbitError> {
        let hash = hash.to_ascii_lowercase();
        let mut params = vec![("hash", hash.as_str())];
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
        if self.bearer.is_some()
            && matches!(
                response.status(),
                StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
            )
        {
            self.read_body(endpoint, response).await?;
            return Err(self.refuse(Refusal::ApiKey));
        }
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

    /// POST auth/login. Success (200 `Ok.` before 5.2, 204 from 5.2) stores the session
    /// cookie in the cookie store. With an API key nothing is sent.
    async fn login(&self, session: &mut u64) -> Result<(), QbitError> {
        const ENDPOINT: &str = "auth/login";
        let Auth::Login { username, password } = &self.auth else {
            return Err(self.refuse(Refusal::ApiKey));
        };
        self.check_refused()?;
        let params = [
            ("username", username.as_str()),
            ("password", password.expose()),
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
            StatusCode::NO_CONTENT => {
                *session += 1;
                debug!(instance = %self.instance, "logged in (204)");
                return Ok(());
            }
            StatusCode::OK if text.trim() == "Fails." => Refusal::Password,
            StatusCode::UNAUTHORIZED => self.why_unauthorized().await?,
            StatusCode::FORBIDDEN => Refusal::Banned,
            StatusCode::OK => {
                return Err(
                    self.malformed(ENDPOINT, &format!("unexpected reply '{}'", snippet(&body)))
                );
            }
            _ => return Err(self.http_error(ENDPOINT, status, &body)),
        };
        let err = self.refuse(refusal);
        debug!(instance = %self.instance, error = %err, "login refused");
        Err(err)
    }

    /// Tells why auth/login answered 401: a wrong password (5.2+) or the Host-header / CSRF
    /// check (any release), which refuses every request alike. A request without
    /// credentials to a non-public endpoint tells: the check answers it 401 too, qBittorrent
    /// otherwise 403 (no session).
    async fn why_unauthorized(&self) -> Result<Refusal, QbitError> {
        const PROBE: &str = "app/version";
        let response = self.send(Verb::Get, PROBE, &[]).await?;
        let status = response.status();
        self.read_body(PROBE, response).await?;
        Ok(if status == StatusCode::UNAUTHORIZED {
            Refusal::Unauthorized
        } else {
            Refusal::Password
        })
    }

    /// Remembers a refusal for the life of the client (until the next pass) and returns its
    /// error.
    fn refuse(&self, refusal: Refusal) -> QbitError {
        *self.refused.lock().expect("refusal lock") = Some(refusal);
        self.refusal_error(refusal)
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
            Refusal::Unauthorized => QbitError::LoginUnauthorized { instance },
            Refusal::Banned => QbitError::Banned { instance },
            Refusal::ApiKey => QbitError::ApiKeyRejected { instance },
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
        let build = || {
            let builder = match verb {
                Verb::Get if params.is_empty() => self.http.get(&url),
                Verb::Get => self.http.get(&url).query(params),
                Verb::Post => self.http.post(&url).form(params),
            };
            match &self.bearer {
                Some(bearer) => builder.header(AUTHORIZATION, bearer.clone()),
                None => builder,
            }
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut sent = build().send().await;
        // qBittorrent may close a kept-alive connection just as the next request goes out on
        // it: no answer began, so a read (GET) is sent once more on a new connection. A POST
        // is never sent twice.
        if verb == Verb::Get
            && let Err(e) = &sent
            && closed_before_answer(e)
        {
            debug!(instance = %self.instance, endpoint, "connection closed before the answer; sending again");
            self.requests.fetch_add(1, Ordering::Relaxed);
            sent = build().send().await;
        }
        sent.map_err(|e| QbitError::Unreachable {
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

/// True when a request failed because the server closed the connection before any answer
/// began (hyper's "connection closed before message completed").
fn closed_before_answer(err: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if e.to_string()
            .contains("connection closed before message completed")
        {
            return true;
        }
        source = e.source();
    }
    false
}
