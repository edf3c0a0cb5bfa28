//! A real `qbittorrent-nox` for integration tests, and `.torrent` files made with `mktorrent`.
//!
//! [`QbitServer::start`] (async) writes a fresh profile in a temporary folder, starts
//! qBittorrent with its WebUI on a free 127.0.0.1 port, waits until it answers and listens
//! for BitTorrent (`connection_status` no longer `disconnected`), and kills it on drop. DHT,
//! PeX, LSD, UPnP, peer-country lookups and RSS are off and BitTorrent is bound to
//! 127.0.0.1, so nothing leaves the machine. Authentication is on even for localhost.
//!
//! The helper methods talk to the WebUI with their own HTTP client and session (never through
//! sweeparr's client), so tests check real side effects independently. They work on every
//! [`Build`]: 4.5 logs in with 200 `Ok.` and cookie `SID`, 5.2+ with 204, an empty body and
//! cookie `QBT_SID_<port>`; 5.x stops and starts with `torrents/stop|start` (4.5:
//! `pause|resume`) and adds stopped with `stopped` (4.5: `paused`); 5.3 answers
//! `torrents/add` with JSON and keeps at most 15 sessions, dropping the oldest, so the helper
//! logs in again whenever its session is refused.
//!
//! Which qBittorrent runs is chosen by `SWEEPARR_QBT_BUILD` (see [`Build`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use sweeparr::config::{QbitConfig, Secret, SecretSource};

pub use super::torrent::{info_hash, make_torrent};

/// WebUI user of every test server.
pub const USERNAME: &str = "admin";
/// WebUI password of every test server.
pub const PASSWORD: &str = "sweeparr-test-password";
/// PBKDF2-HMAC-SHA512 of [`PASSWORD`], 100000 iterations, salt 0x01..=0x10, 64-byte key,
/// in qBittorrent's `@ByteArray(<salt b64>:<key b64>)` form. Computed once with
/// `hashlib.pbkdf2_hmac('sha512', password, salt, 100000, 64)`.
const PASSWORD_PBKDF2: &str = "@ByteArray(AQIDBAUGBwgJCgsMDQ4PEA==:x/7g76YEVvrzm2cjWK4enhmv1Fv6DoJtumrWWwsRnaPKhGMAcdhcgHMGSt78D+50b7LNQGW5IAUPpgooyPc1Ng==)";
/// How long `start` waits for the WebUI.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The builds `SWEEPARR_QBT_BUILD` may name: (name, Debian suite, qBittorrent it ships).
/// `bookworm` is the system `qbittorrent-nox`; the others are unpacked by `scripts/setup.sh`
/// with debootstrap under the build cache and started through their launcher.
pub const BUILDS: &[(&str, &str, &str)] = &[
    ("bookworm", "Debian 12 bookworm", "4.5"),
    ("trixie", "Debian 13 trixie", "5.1"),
    ("testing", "Debian testing", "5.3 or later"),
];

/// The qBittorrent build the test servers of this process run.
///
/// `SWEEPARR_QBT_BUILD` names it (`bookworm`, the default, `trixie` or `testing`).
/// `bookworm` runs `$QBITTORRENT_NOX` or the system `qbittorrent-nox`; the others run
/// `<cache>/<name>/run-qbittorrent-nox`, where the cache is `$SWEEPARR_QBT_CACHE` or
/// `$HOME/.cache/sweeparr/qbt`.
#[derive(Debug, Clone)]
pub struct Build {
    /// `bookworm`, `trixie` or `testing`.
    pub name: &'static str,
    /// The Debian suite it comes from, e.g. "Debian 13 trixie".
    pub suite: &'static str,
    /// The program started (a binary or a launcher script).
    pub program: PathBuf,
    /// What the program reports with `--version`, e.g. `v5.1.0`.
    pub version: String,
}

impl Build {
    /// The build chosen by the environment, resolved and asked for its version once per
    /// process. Panics naming the build and how to install it when it is missing.
    pub fn current() -> &'static Build {
        static BUILD: OnceLock<Build> = OnceLock::new();
        BUILD.get_or_init(|| {
            let name = std::env::var("SWEEPARR_QBT_BUILD").unwrap_or_default();
            Build::resolve(if name.is_empty() { "bookworm" } else { &name })
        })
    }

    /// Finds build `name` and reads its version.
    fn resolve(name: &str) -> Build {
        let Some(&(name, suite, ships)) = BUILDS.iter().find(|(n, _, _)| *n == name) else {
            let known: Vec<&str> = BUILDS.iter().map(|(n, _, _)| *n).collect();
            panic!(
                "SWEEPARR_QBT_BUILD={name:?} is not a known qBittorrent build (one of {})",
                known.join(", ")
            );
        };
        let program = if name == "bookworm" {
            PathBuf::from(
                std::env::var("QBITTORRENT_NOX").unwrap_or_else(|_| "qbittorrent-nox".into()),
            )
        } else {
            let launcher = build_cache().join(name).join("run-qbittorrent-nox");
            if !launcher.is_file() {
                panic!(
                    "qBittorrent build '{name}' ({suite}, qBittorrent {ships}) is not installed: \
                     no {}. Install it with `SWEEPARR_QBT_BUILDS={name} scripts/setup.sh` \
                     (debootstrap of {suite} into the build cache), or run `scripts/setup.sh` \
                     for every build",
                    launcher.display()
                );
            }
            launcher
        };
        let out = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "qBittorrent build '{name}' ({suite}): cannot run {}: {e}. Install it with \
                     `scripts/setup.sh` (apt-get install qbittorrent-nox)",
                    program.display()
                )
            });
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split_whitespace()
            .find(|w| w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or_else(|| {
                panic!(
                    "qBittorrent build '{name}': {} --version printed no version: {text:?} {}",
                    program.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .to_string();
        Build {
            name,
            suite,
            program,
            version,
        }
    }

    /// (major, minor, patch) of [`Build::version`].
    pub fn version_triple(&self) -> (u32, u32, u32) {
        let mut parts = self.version[1..]
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse().unwrap_or(0));
        let mut next = || parts.next().unwrap_or(0);
        (next(), next(), next())
    }

    /// True when the build is `major.minor` or later.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let (ma, mi, _) = self.version_triple();
        (ma, mi) >= (major, minor)
    }

    /// The WebUI API stops and starts with `torrents/stop` and `torrents/start`, and a stopped
    /// torrent is `stoppedDL` / `stoppedUP` (qBittorrent 5); before, `pause` / `resume` and
    /// `pausedDL` / `pausedUP`.
    pub fn stops_with_stop(&self) -> bool {
        self.at_least(5, 0)
    }
}

/// Where `scripts/setup.sh` unpacks the extra builds: `$SWEEPARR_QBT_CACHE`, else
/// `$HOME/.cache/sweeparr/qbt`.
pub fn build_cache() -> PathBuf {
    match std::env::var_os("SWEEPARR_QBT_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into()))
            .join(".cache/sweeparr/qbt"),
    }
}

/// A running qBittorrent with its own profile; killed on drop.
pub struct QbitServer {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    http: reqwest::Client,
}

impl QbitServer {
    /// Starts the [`Build::current`] qBittorrent and logs the helper client in. Prints one
    /// line naming the build on stderr. A port taken by another process between choosing it
    /// and qBittorrent binding it (outgoing connections draw from the same range) means a
    /// new try on fresh ports, up to three. Panics with the process output when it does not
    /// answer within 30 s.
    pub async fn start() -> QbitServer {
        let build = Build::current();
        eprintln!("qBittorrent build: {} ({})", build.name, build.version);
        for attempt in 1.. {
            let mut server = QbitServer::spawn(build);
            let started = match server.wait_until_up().await {
                Ok(()) => {
                    server.login().await;
                    server.wait_until_listening().await
                }
                Err(output) => Err(output),
            };
            match started {
                Ok(()) => return server,
                // The WebUI port or the BitTorrent port (then it never leaves `disconnected`)
                // was taken by another process between choosing and binding it.
                Err(output)
                    if attempt < 3
                        && (output.contains("already in use")
                            || output.contains("still disconnected")) =>
                {
                    eprintln!(
                        "port {} or its BitTorrent port was taken; starting again",
                        server.port
                    );
                }
                Err(output) => panic!("{output}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// Writes a fresh profile on free ports and starts the process.
    fn spawn(build: &Build) -> QbitServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let bt_port = free_port();
        let save = dir.path().join("downloads");
        std::fs::create_dir_all(&save).expect("save dir");
        let conf_dir = dir.path().join("profile/qBittorrent/config");
        std::fs::create_dir_all(&conf_dir).expect("config dir");
        std::fs::write(
            conf_dir.join("qBittorrent.conf"),
            config_text(port, bt_port, &save),
        )
        .expect("write qBittorrent.conf");

        let log = |name: &str| std::fs::File::create(dir.path().join(name)).expect("log file");
        let child = Command::new(&build.program)
            .arg(format!(
                "--profile={}",
                dir.path().join("profile").display()
            ))
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start qBittorrent build '{}' ({}): {e}",
                    build.name,
                    build.program.display()
                )
            });
        let http = sweeparr::net::http_client_builder()
            .cookie_store(true)
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        QbitServer {
            child,
            dir,
            port,
            http,
        }
    }

    /// Waits until BitTorrent listens: 5.x answers the WebUI about 1.5 s before that and
    /// meanwhile reports `connection_status` `disconnected` (4.5 listens first).
    async fn wait_until_listening(&self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let info = self.get_json("transfer/info", &[]).await;
            if info["connection_status"] != "disconnected" {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "qbittorrent-nox ({}) still disconnected after {START_TIMEOUT:?}\n{}",
                    self.build().name,
                    self.output()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the WebUI answers; the failure text (with the process output) when the
    /// process exits or stays silent for [`START_TIMEOUT`].
    async fn wait_until_up(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Err(format!(
                    "qbittorrent-nox ({}) exited with {status}\n{}",
                    self.build().name,
                    self.output()
                ));
            }
            let answer = self
                .http
                .get(format!("{}/api/v2/app/version", self.url()))
                .send()
                .await;
            if answer.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "qbittorrent-nox did not answer on port {} within {START_TIMEOUT:?}\n{}",
                    self.port,
                    self.output()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// stdout and stderr of the process so far.
    pub fn output(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.path().join(n)).unwrap_or_default();
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            read("stdout.log"),
            read("stderr.log")
        )
    }

    /// Logs the helper session in: 200 `Ok.` before 5.2, 204 with an empty body after; the
    /// cookie store keeps whichever cookie the build sets.
    async fn login(&self) {
        let reply = self
            .http
            .post(format!("{}/api/v2/auth/login", self.url()))
            .form(&[("username", USERNAME), ("password", PASSWORD)])
            .send()
            .await
            .expect("login request");
        let status = reply.status().as_u16();
        let text = reply.text().await.unwrap_or_default();
        assert!(
            login_succeeded(status, &text),
            "helper login failed on {} ({}): HTTP {status} {text:?}",
            self.build().name,
            self.build().version
        );
    }

    /// The build this server runs (the same for every server of the process).
    pub fn build(&self) -> &'static Build {
        Build::current()
    }

    /// What `app/webapiVersion` answers, e.g. `2.8.19` (4.5.2), `2.11.4` (5.1.0).
    pub async fn webapi_version(&self) -> String {
        let (status, body) = self.call(false, "app/webapiVersion", &[]).await;
        assert_eq!(status, 200, "app/webapiVersion: {body}");
        body.trim().to_string()
    }

    /// Base URL of the WebUI, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// WebUI port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The WebUI password.
    pub fn password(&self) -> &'static str {
        PASSWORD
    }

    /// Default save path of the instance (created, empty at start).
    pub fn save_dir(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }

    /// A scratch folder inside the server's temp dir (created), e.g. for `.torrent` files.
    pub fn scratch_dir(&self) -> PathBuf {
        let p = self.dir.path().join("scratch");
        std::fs::create_dir_all(&p).expect("scratch dir");
        p
    }

    /// A sweeparr config for this server, named `name`, with the right credentials.
    pub fn config(&self, name: &str) -> QbitConfig {
        self.config_with_password(name, PASSWORD)
    }

    /// Like [`QbitServer::config`] with another password.
    pub fn config_with_password(&self, name: &str, password: &str) -> QbitConfig {
        QbitConfig {
            name: name.to_string(),
            url: self.url().parse().expect("loopback URL"),
            username: USERNAME.to_string(),
            password_source: SecretSource::Literal(password.to_string()),
            password: Secret::new(password),
            api_key_source: None,
            api_key: Secret::new(""),
            disabled: false,
            path_map: Vec::new(),
            tls_insecure: false,
            space: None,
        }
    }

    /// A sweeparr config for this server that authenticates with API key `key` (see
    /// [`QbitServer::enable_api_key`]) instead of the password.
    pub fn config_with_api_key(&self, name: &str, key: &str) -> QbitConfig {
        QbitConfig {
            api_key_source: Some(SecretSource::Literal(key.to_string())),
            api_key: Secret::new(key),
            ..self.config(name)
        }
    }

    /// GET (query) or POST (form) an API method with the helper's session, logging in again
    /// on 403. Returns status and body text.
    pub async fn call(&self, post: bool, endpoint: &str, params: &[(&str, &str)]) -> (u16, String) {
        let url = format!("{}/api/v2/{endpoint}", self.url());
        for attempt in 0..2 {
            let req = if post {
                self.http.post(&url).form(params)
            } else {
                self.http.get(&url).query(params)
            };
            let reply = req.send().await.expect("helper request");
            let status = reply.status().as_u16();
            let body = reply.text().await.unwrap_or_default();
            if status == 403 && attempt == 0 {
                self.login().await;
                continue;
            }
            return (status, body);
        }
        unreachable!()
    }

    /// GET a JSON method; panics on a non-200 status.
    pub async fn get_json(&self, endpoint: &str, params: &[(&str, &str)]) -> Value {
        let (status, body) = self.call(false, endpoint, params).await;
        assert_eq!(status, 200, "{endpoint}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"))
    }

    /// POST a method; panics unless it answers 200 (or 204, as 5.2+ answers some).
    pub async fn post_ok(&self, endpoint: &str, params: &[(&str, &str)]) {
        let (status, body) = self.call(true, endpoint, params).await;
        assert!(
            status == 200 || status == 204,
            "{endpoint}: {status} {body}"
        );
    }

    /// `app/setPreferences` with a JSON object, e.g. `{"web_ui_session_timeout": 1}`.
    pub async fn set_preferences(&self, prefs: Value) {
        self.post_ok("app/setPreferences", &[("json", &prefs.to_string())])
            .await;
    }

    /// Uploads a `.torrent` file (saved to [`QbitServer::save_dir`]) and waits until it is
    /// listed. Returns its hash.
    pub async fn add_torrent_file(
        &self,
        path: &Path,
        category: &str,
        tags: &[&str],
        paused: bool,
    ) -> String {
        let tags = tags.join(",");
        let paused = paused.to_string();
        // `paused` until 4.x, `stopped` from 5.0: each build ignores the other.
        let fields = [
            ("tags", tags.as_str()),
            ("paused", &paused),
            ("stopped", &paused),
        ];
        self.add_torrent_with(path, category, &fields, Duration::from_secs(10))
            .await
    }

    /// Uploads a `.torrent` file with `torrents/add` form `fields` over the defaults (saved
    /// to [`QbitServer::save_dir`], in `category`, started; e.g. `("contentLayout",
    /// "NoSubfolder")` or another `savepath`), and waits up to `wait` until it is listed.
    /// Returns its hash.
    pub async fn add_torrent_with(
        &self,
        path: &Path,
        category: &str,
        fields: &[(&str, &str)],
        wait: Duration,
    ) -> String {
        let bytes = std::fs::read(path).expect("read .torrent");
        let hash = info_hash(&bytes);
        let save = self.save_dir().display().to_string();
        let mut form_fields: Vec<(&str, &str)> = vec![
            ("savepath", &save),
            ("category", category),
            ("paused", "false"),
            ("stopped", "false"),
        ];
        for &(name, value) in fields {
            match form_fields.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => form_fields.push((name, value)),
            }
        }
        for attempt in 0..2 {
            let file = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name("upload.torrent")
                .mime_str("application/x-bittorrent")
                .unwrap();
            let form = form_fields.iter().fold(
                reqwest::multipart::Form::new().part("torrents", file),
                |f, (k, v)| f.text(k.to_string(), v.to_string()),
            );
            let reply = self
                .http
                .post(format!("{}/api/v2/torrents/add", self.url()))
                .multipart(form)
                .send()
                .await
                .expect("torrents/add");
            let status = reply.status().as_u16();
            let body = reply.text().await.unwrap_or_default();
            if status == 403 && attempt == 0 {
                self.login().await;
                continue;
            }
            assert!(
                add_succeeded(status, &body),
                "torrents/add: {status} {body}"
            );
            break;
        }
        self.wait_for(&hash, |_| true, wait).await;
        hash
    }

    /// Stops torrents (`hashes`: `|`-separated or `all`): `torrents/stop` on 5.x,
    /// `torrents/pause` before.
    pub async fn stop_torrents(&self, hashes: &str) {
        let endpoint = if self.build().stops_with_stop() {
            "torrents/stop"
        } else {
            "torrents/pause"
        };
        self.post_ok(endpoint, &[("hashes", hashes)]).await;
    }

    /// Starts torrents: `torrents/start` on 5.x, `torrents/resume` before.
    pub async fn start_torrents(&self, hashes: &str) {
        let endpoint = if self.build().stops_with_stop() {
            "torrents/start"
        } else {
            "torrents/resume"
        };
        self.post_ok(endpoint, &[("hashes", hashes)]).await;
    }

    /// The state of a stopped incomplete (`DL`) or complete (`UP`) torrent on this build:
    /// `stoppedDL` / `stoppedUP` on 5.x, `pausedDL` / `pausedUP` before.
    pub fn stopped_state(&self, complete: bool) -> &'static str {
        match (self.build().stops_with_stop(), complete) {
            (true, false) => "stoppedDL",
            (true, true) => "stoppedUP",
            (false, false) => "pausedDL",
            (false, true) => "pausedUP",
        }
    }

    /// Makes a torrent announce now (`torrents/reannounce`), e.g. after the tracker changed
    /// its answer.
    pub async fn reannounce(&self, hash: &str) {
        let hash = hash.to_ascii_lowercase();
        self.post_ok("torrents/reannounce", &[("hashes", &hash)])
            .await;
    }

    /// Creates a WebUI API key (`app/rotateAPIKey`, qBittorrent 5.3 and later) and returns
    /// it; requests then authenticate with `Authorization: Bearer <key>` and no cookie.
    /// `None` on builds without API keys (the endpoint answers 404).
    pub async fn enable_api_key(&self) -> Option<String> {
        let (status, body) = self.call(true, "app/rotateAPIKey", &[]).await;
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "app/rotateAPIKey: {body}");
        let reply: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("app/rotateAPIKey: {e}: {body}"));
        let key = reply["apiKey"]
            .as_str()
            .unwrap_or_else(|| panic!("app/rotateAPIKey without apiKey: {body}"));
        Some(key.to_string())
    }

    /// Lower-case hashes of every torrent.
    pub async fn torrent_hashes(&self) -> Vec<String> {
        let list = self.get_json("torrents/info", &[]).await;
        let mut hashes: Vec<String> = list
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["hash"].as_str().unwrap().to_string())
            .collect();
        hashes.sort();
        hashes
    }

    /// The `torrents/info` object of one torrent, `None` when absent.
    pub async fn torrent_info(&self, hash: &str) -> Option<Value> {
        let hash = hash.to_ascii_lowercase();
        let list = self.get_json("torrents/info", &[("hashes", &hash)]).await;
        list.as_array()?.first().cloned()
    }

    /// Polls until the torrent exists and `predicate` holds on its info; returns that info.
    /// Panics with the last info seen after `timeout`.
    pub async fn wait_for(
        &self,
        hash: &str,
        predicate: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let info = self.torrent_info(hash).await;
            if let Some(i) = info.as_ref().filter(|i| predicate(i)) {
                return i.clone();
            }
            if Instant::now() > deadline {
                panic!("torrent {hash}: condition not met within {timeout:?}; last info: {info:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Polls until the torrent is no longer listed; false when it still is after `timeout`.
    pub async fn wait_for_gone(&self, hash: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.torrent_info(hash).await.is_some() {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        true
    }

    /// Polls until the torrent's `state` is one of `states`.
    pub async fn wait_for_state(&self, hash: &str, states: &[&str], timeout: Duration) -> Value {
        self.wait_for(
            hash,
            |i| states.contains(&i["state"].as_str().unwrap_or("")),
            timeout,
        )
        .await
    }

    /// Tags of a torrent (split and trimmed, sorted); empty when absent.
    pub async fn tags_of(&self, hash: &str) -> Vec<String> {
        let Some(info) = self.torrent_info(hash).await else {
            return Vec::new();
        };
        let mut tags: Vec<String> = info["tags"]
            .as_str()
            .unwrap_or("")
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        tags.sort();
        tags
    }

    /// The raw `torrents/trackers` reply (pseudo-trackers included).
    pub async fn trackers_of(&self, hash: &str) -> Vec<Value> {
        let hash = hash.to_ascii_lowercase();
        let v = self.get_json("torrents/trackers", &[("hash", &hash)]).await;
        v.as_array().cloned().unwrap_or_default()
    }

    /// Waits until a tracker of `hash` reports a failure (see [`tracker_failed`]), with
    /// `message` when one is given; panics with the tracker list after `within`. Asks for a
    /// new announce every 5 s: 5.1 sometimes leaves the first announce `updating` (status 3)
    /// for good on a loaded machine.
    pub async fn wait_tracker_failed(&self, hash: &str, message: Option<&str>, within: Duration) {
        let what = format!(
            "failed{}",
            message.map(|m| format!(" with {m:?}")).unwrap_or_default()
        );
        let failed = |t: &Value| tracker_failed(t) && message.is_none_or(|m| t["msg"] == m);
        self.wait_tracker(hash, &what, failed, Duration::from_secs(5), within)
            .await;
    }

    /// Waits until a tracker of `hash` (the one at `url`, when given) reports working
    /// (status 2). Asks for a new announce only after 10 s without an answer (5.3 was seen
    /// to leave a first announce "updating" for over 30 s under load), so a test counting
    /// announces sees one in the usual case.
    pub async fn wait_tracker_working(&self, hash: &str, url: Option<&str>, within: Duration) {
        let working = |t: &Value| t["status"] == 2 && url.is_none_or(|u| t["url"] == u);
        self.wait_tracker(hash, "worked", working, Duration::from_secs(10), within)
            .await;
    }

    /// Polls `torrents/trackers` until one entry of `hash` matches, asking for a new announce
    /// every `ask_every`; panics with the tracker list (naming `what`) after `within`.
    async fn wait_tracker(
        &self,
        hash: &str,
        what: &str,
        matches: impl Fn(&Value) -> bool,
        ask_every: Duration,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        let mut ask_again = Instant::now() + ask_every;
        loop {
            let trackers = self.trackers_of(hash).await;
            if trackers.iter().any(&matches) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no tracker of {hash} {what} within {within:?}: {trackers:?}"
            );
            if Instant::now() > ask_again {
                self.reannounce(hash).await;
                ask_again = Instant::now() + ask_every;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Names of the existing categories.
    pub async fn category_names(&self) -> Vec<String> {
        let v = self.get_json("torrents/categories", &[]).await;
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

impl Drop for QbitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when a `torrents/trackers` entry reports a failure: status 4 (not working) on every
/// build; 5.2+ also 5 (the tracker answered with an error, e.g. a `failure reason`) and 6
/// (unreachable), where 4.5 and 5.1 say 4.
pub fn tracker_failed(tracker: &Value) -> bool {
    matches!(tracker["status"].as_i64(), Some(4..=6))
}

/// A successful `auth/login` reply: 200 `Ok.` (before 5.2) or 204 with an empty body (5.2+).
/// A refused one is 200 `Fails.` before 5.2 and 401 after.
pub fn login_succeeded(status: u16, body: &str) -> bool {
    (status == 200 && body.trim() == "Ok.") || (status == 204 && body.trim().is_empty())
}

/// A successful `torrents/add` reply: `Ok.` before 5.3; from 5.3 JSON with
/// `success_count`, `failure_count`, `pending_count` and `added_torrent_ids`.
fn add_succeeded(status: u16, body: &str) -> bool {
    if status != 200 {
        return false;
    }
    if body.trim() == "Ok." {
        return true;
    }
    serde_json::from_str::<Value>(body).is_ok_and(|v| {
        v["failure_count"].as_i64() == Some(0)
            && (v["success_count"].as_i64() > Some(0) || v["pending_count"].as_i64() > Some(0))
    })
}

/// The profile: legal notice accepted, WebUI on 127.0.0.1:`port` with a known password and
/// auth required on localhost, everything that could reach outside switched off.
///
/// The keys are the 4.5 layout; 5.x migrates them on first start (`Preferences\WebUI\*`
/// becomes `[WebUI]` in 5.3, `Session\AddTorrentPaused` becomes `AddTorrentStopped`,
/// `Connection\UPnP` becomes `Network\PortForwardingEnabled`), and the keys only 5.x reads
/// are written as well. The builds' libtorrent 2.0 has no WebTorrent, so 5.3's STUN server
/// setting is never used; I2P, dynamic DNS, mail and tracker-list downloads are off by
/// default on every build.
fn config_text(port: u16, bt_port: u16, save: &Path) -> String {
    format!(
        r#"[LegalNotice]
Accepted=true

[BitTorrent]
Session\InterfaceAddress=127.0.0.1
Session\Port={bt_port}
Session\DHTEnabled=false
Session\PeXEnabled=false
Session\LSDEnabled=false
Session\QueueingSystemEnabled=false
Session\DefaultSavePath={save}
Session\TempPathEnabled=false
Session\AddTorrentPaused=false
Session\AddTorrentStopped=false
Session\SSRFMitigation=false

[Network]
PortForwardingEnabled=false

[Preferences]
Connection\UPnP=false
Connection\ResolvePeerCountries=false
Advanced\updateCheck=false
WebUI\Address=127.0.0.1
WebUI\Port={port}
WebUI\Username={USERNAME}
WebUI\Password_PBKDF2="{PASSWORD_PBKDF2}"
WebUI\LocalHostAuth=true

[RSS]
Session\EnableProcessing=false
AutoDownloader\EnableProcessing=false
"#,
        save = save.display()
    )
}

/// A loopback port that is free for TCP and UDP right now.
pub fn free_port() -> u16 {
    for _ in 0..50 {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port")
}
