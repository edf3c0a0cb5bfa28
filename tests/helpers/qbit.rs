//! A real `qbittorrent-nox` for integration tests, and `.torrent` files made with `mktorrent`.
//!
//! [`QbitServer::start`] (async) writes a fresh profile in a temporary folder, starts
//! qBittorrent with its WebUI on a free 127.0.0.1 port, waits until it answers and kills it
//! on drop. DHT, PeX, LSD, UPnP, peer-country lookups and RSS are off and BitTorrent is bound
//! to 127.0.0.1, so nothing leaves the machine. Authentication is on even for localhost.
//!
//! The helper methods talk to the WebUI with their own HTTP client and session (never through
//! sweeparr's client), so tests check real side effects independently.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// A running qBittorrent with its own profile; killed on drop.
pub struct QbitServer {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    http: reqwest::Client,
}

impl QbitServer {
    /// Starts `qbittorrent-nox` (or `$QBITTORRENT_NOX`) and logs the helper client in.
    /// Panics with the process output when it does not answer within 30 s.
    pub async fn start() -> QbitServer {
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

        let bin = std::env::var("QBITTORRENT_NOX").unwrap_or_else(|_| "qbittorrent-nox".into());
        let log = |name: &str| std::fs::File::create(dir.path().join(name)).expect("log file");
        let child = Command::new(&bin)
            .arg(format!(
                "--profile={}",
                dir.path().join("profile").display()
            ))
            .stdin(Stdio::null())
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin} (apt-get install qbittorrent-nox): {e}")
            });
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        let mut server = QbitServer {
            child,
            dir,
            port,
            http,
        };
        server.wait_until_up().await;
        server.login().await;
        server
    }

    async fn wait_until_up(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("qbittorrent-nox exited with {status}\n{}", self.output());
            }
            let answer = self
                .http
                .get(format!("{}/api/v2/app/version", self.url()))
                .send()
                .await;
            if answer.is_ok() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "qbittorrent-nox did not answer on port {} within {START_TIMEOUT:?}\n{}",
                    self.port,
                    self.output()
                );
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

    async fn login(&self) {
        let reply = self
            .http
            .post(format!("{}/api/v2/auth/login", self.url()))
            .form(&[("username", USERNAME), ("password", PASSWORD)])
            .send()
            .await
            .expect("login request");
        let text = reply.text().await.unwrap_or_default();
        assert_eq!(text, "Ok.", "helper login failed");
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
            url: self.url(),
            username: USERNAME.to_string(),
            password_source: SecretSource::Literal(password.to_string()),
            password: Secret::new(password),
            disabled: false,
            path_map: Vec::new(),
            tls_insecure: false,
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

    /// POST a method; panics unless it answers 200.
    pub async fn post_ok(&self, endpoint: &str, params: &[(&str, &str)]) {
        let (status, body) = self.call(true, endpoint, params).await;
        assert_eq!(status, 200, "{endpoint}: {body}");
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
        let bytes = std::fs::read(path).expect("read .torrent");
        let hash = info_hash(&bytes);
        let file = reqwest::multipart::Part::bytes(bytes)
            .file_name("upload.torrent")
            .mime_str("application/x-bittorrent")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .part("torrents", file)
            .text("savepath", self.save_dir().display().to_string())
            .text("category", category.to_string())
            .text("tags", tags.join(","))
            .text("paused", paused.to_string());
        let reply = self
            .http
            .post(format!("{}/api/v2/torrents/add", self.url()))
            .multipart(form)
            .send()
            .await
            .expect("torrents/add");
        let status = reply.status().as_u16();
        let body = reply.text().await.unwrap_or_default();
        assert_eq!((status, body.as_str()), (200, "Ok."), "torrents/add");
        self.wait_for(&hash, |_| true, Duration::from_secs(10))
            .await;
        hash
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

/// The profile: legal notice accepted, WebUI on 127.0.0.1:`port` with a known password and
/// auth required on localhost, everything that could reach outside switched off.
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
Session\SSRFMitigation=false

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
