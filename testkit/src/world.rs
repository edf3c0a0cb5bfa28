//! A whole test world for end-to-end passes: real qbittorrent-nox instances, fake Arrs, a
//! loopback tracker, a config file in a temp folder, and the real `sweeparr` binary.
//!
//! Secrets reach the binary only through environment variables named in the config, so a
//! test can check that no output ever contains them.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use sweeparr::model::ArrKind;

use super::fake_arr::{FakeArr, FakeArrConfig, FakeDownload, QbitLink};
use super::qbit::{PASSWORD, QbitServer, USERNAME, make_torrent};
use super::tracker::FakeTracker;

/// How long to wait for qBittorrent to reach a state.
pub const WAIT: Duration = Duration::from_secs(30);

/// An API key no output may contain.
pub const API_KEY: &str = "arr-key-5ecret-0123456789abcdef";

/// One Arr of the world.
pub struct WorldArr {
    /// Config name (`[arr.NAME]`).
    pub name: String,
    /// qBittorrent category.
    pub category: String,
    /// The fake server.
    pub fake: FakeArr,
}

/// Real servers plus a config folder.
pub struct World {
    /// Config folder (also holds the state folder).
    pub dir: tempfile::TempDir,
    /// Instances by name, in config order.
    pub qbits: Vec<(String, QbitServer)>,
    /// Arrs.
    pub arrs: Vec<WorldArr>,
    /// A tracker every torrent announces to.
    pub tracker: FakeTracker,
    /// Extra TOML appended to the generated config (`[run]`, `[health]`... overrides).
    pub extra: String,
    /// URL rewrites of the generated config: (a server's URL, the URL sweeparr gets
    /// instead), e.g. a fault proxy in front of that server.
    pub routes: Vec<(String, String)>,
}

impl World {
    /// Starts one qBittorrent per name and one fake Arr per (name, kind, category). Each Arr
    /// removes torrents from the first instance when asked to (as a real Arr would).
    pub async fn start(instances: &[&str], arrs: &[(&str, ArrKind, &str)]) -> World {
        let mut qbits = Vec::new();
        for name in instances {
            qbits.push((name.to_string(), QbitServer::start().await));
        }
        let link = qbits.first().map(|(_, q)| QbitLink {
            url: q.url(),
            username: USERNAME.into(),
            password: PASSWORD.into(),
        });
        let arrs = arrs
            .iter()
            .map(|(name, kind, category)| WorldArr {
                name: name.to_string(),
                category: category.to_string(),
                fake: FakeArr::start(FakeArrConfig {
                    kind: *kind,
                    api_key: API_KEY.into(),
                    qbit: link.clone(),
                }),
            })
            .collect();
        World {
            dir: tempfile::tempdir().expect("temp dir"),
            qbits,
            arrs,
            tracker: FakeTracker::start().await,
            extra: String::new(),
            routes: Vec::new(),
        }
    }

    /// The instance named `name`.
    pub fn qbit(&self, name: &str) -> &QbitServer {
        &self
            .qbits
            .iter()
            .find(|(n, _)| n == name)
            .expect("instance")
            .1
    }

    /// The Arr named `name`.
    pub fn arr(&self, name: &str) -> &FakeArr {
        &self.arrs.iter().find(|a| a.name == name).expect("arr").fake
    }

    /// The state folder the config points at.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The config text: every instance and Arr, fast thresholds suited to tests, `extra` last.
    /// A `[run]` key at the start of `extra` replaces the default of the same key.
    pub fn config_toml(&self) -> String {
        let mut t = String::from("[state]\npath = \"state\"\n\n[run]\n");
        let head = self.extra_section("run");
        for (key, value) in [
            ("ignore_younger_than", "\"0s\""),
            ("deadline", "\"2m\""),
            ("http_timeout", "\"5s\""),
        ] {
            let overridden = head
                .lines()
                .any(|l| l.split('=').next().is_some_and(|k| k.trim() == key));
            if !overridden {
                t.push_str(&format!("{key} = {value}\n"));
            }
        }
        t.push_str(&head);
        for (name, q) in &self.qbits {
            t.push_str(&format!(
                "\n[qbit.{name}]\nurl = \"{}\"\nusername = \"{USERNAME}\"\npassword = {{ env = \"QBIT_PASSWORD\" }}\n",
                self.routed(&q.url())
            ));
        }
        for a in &self.arrs {
            t.push_str(&format!(
                "\n[arr.{}]\nkind = \"{}\"\nurl = \"{}\"\napi_key = {{ env = \"ARR_API_KEY\" }}\ncategory = \"{}\"\n",
                a.name,
                a.fake.kind().as_str(),
                self.routed(&a.fake.url()),
                a.category
            ));
        }
        t.push_str(&self.extra_rest());
        t
    }

    /// The URL sweeparr is given for a server at `url` (see [`World::routes`]).
    fn routed(&self, url: &str) -> String {
        self.routes
            .iter()
            .find(|(from, _)| from == url)
            .map_or_else(|| url.to_string(), |(_, to)| to.clone())
    }

    // `extra` may start with keys for `[run]` (before any table header); they go there.
    fn extra_section(&self, _table: &str) -> String {
        let head: Vec<&str> = self
            .extra
            .lines()
            .take_while(|l| !l.trim_start().starts_with('['))
            .collect();
        if head.is_empty() {
            String::new()
        } else {
            head.join("\n") + "\n"
        }
    }

    fn extra_rest(&self) -> String {
        let rest: Vec<&str> = self
            .extra
            .lines()
            .skip_while(|l| !l.trim_start().starts_with('['))
            .collect();
        if rest.is_empty() {
            String::new()
        } else {
            format!("\n{}\n", rest.join("\n"))
        }
    }

    /// Writes the config and returns its path. The file is replaced whole (written aside,
    /// then renamed), so a run started alongside never reads it half-written.
    pub fn write_config(&self) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = self.dir.path().join("sweeparr.toml");
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let aside = self.dir.path().join(format!(".sweeparr.toml.{n}"));
        std::fs::write(&aside, self.config_toml()).expect("write config");
        std::fs::rename(&aside, &path).expect("put config in place");
        path
    }

    /// Runs the real binary with `args` after writing the config; secrets come from env.
    pub async fn sweeparr(&self, args: &[&str]) -> Output {
        let config = self.write_config();
        run_binary(&config, args, &[]).await
    }

    /// Runs `sweeparr run --output json` and returns (exit code, summary).
    pub async fn run_json(&self, extra_args: &[&str]) -> (i32, Value) {
        let mut args = vec!["run", "--output", "json"];
        args.extend_from_slice(extra_args);
        let out = self.sweeparr(&args).await;
        parse_summary(&out)
    }

    /// Adds a torrent whose data is absent to `instance` (it stays `stalledDL`); returns its hash.
    pub async fn add_stalled(
        &self,
        instance: &str,
        name: &str,
        category: &str,
        tags: &[&str],
    ) -> String {
        self.add_stalled_files(instance, name, category, tags, &[("f", 64_000)])
            .await
    }

    /// Like [`World::add_stalled`] with a torrent made of `files` (more than one entry: a
    /// multi-file torrent, paths relative to its folder).
    pub async fn add_stalled_files(
        &self,
        instance: &str,
        name: &str,
        category: &str,
        tags: &[&str],
        files: &[(&str, usize)],
    ) -> String {
        let q = self.qbit(instance);
        let scratch = q.scratch_dir();
        let (file, hash) = make_torrent(&scratch, name, files, &self.tracker.announce_url(), false);
        let data = scratch.join(name);
        if data.is_dir() {
            std::fs::remove_dir_all(&data).expect("remove data");
        } else {
            std::fs::remove_file(&data).expect("remove data");
        }
        q.add_torrent_file(&file, category, tags, false).await;
        q.wait_for_state(&hash, &["stalledDL"], WAIT).await;
        hash
    }

    /// Adds a complete torrent (data present in the save folder) to `instance`; returns
    /// (hash, path of its data).
    pub async fn add_complete(
        &self,
        instance: &str,
        name: &str,
        category: &str,
        tags: &[&str],
    ) -> (String, PathBuf) {
        self.add_seeding(instance, name, category, tags, &[("f", 50_000)], false)
            .await
    }

    /// Adds a torrent made of `files` (one entry: a single-file torrent) with its data
    /// present and waits until it seeds; returns (hash, path of its data).
    pub async fn add_seeding(
        &self,
        instance: &str,
        name: &str,
        category: &str,
        tags: &[&str],
        files: &[(&str, usize)],
        private: bool,
    ) -> (String, PathBuf) {
        let q = self.qbit(instance);
        let (file, hash) = make_torrent(
            &q.save_dir(),
            name,
            files,
            &self.tracker.announce_url(),
            private,
        );
        q.add_torrent_file(&file, category, tags, false).await;
        q.wait_for(
            &hash,
            |t| t["amount_left"] == 0 && t["state"].as_str().is_some_and(|s| s.ends_with("UP")),
            WAIT,
        )
        .await;
        (hash, q.save_dir().join(name))
    }

    /// Puts a download in the Arr's queue; returns its queue record ids.
    pub fn queue(
        &self,
        arr: &str,
        hash: &str,
        tracked_state: &str,
        media_ids: Vec<i64>,
    ) -> Vec<i64> {
        self.arr(arr).add_download(FakeDownload {
            tracked_state: tracked_state.into(),
            media_ids,
            ..FakeDownload::new(hash, &format!("release {hash}"))
        })
    }
}

/// Runs the binary with a config path and extra environment.
pub async fn run_binary(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(crate::sweeparr_binary());
    cmd.args(args)
        .arg("--config")
        .arg(config)
        .env("QBIT_PASSWORD", PASSWORD)
        .env("ARR_API_KEY", API_KEY)
        .env("SWEEPARR_LOG", "debug")
        .env_remove("SWEEPARR_CONFIG")
        .env_remove("SWEEPARR_CONFIG_TOML")
        .env_remove("SWEEPARR_DRY_RUN")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("sweeparr finished in time")
        .expect("sweeparr ran")
}

/// (exit code, summary JSON) of a `--output json` run; panics with stderr if stdout is not
/// exactly one JSON document.
pub fn parse_summary(out: &Output) -> (i32, Value) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), summary)
}

/// The actions of a summary as (kind, hash, outcome).
pub fn actions(summary: &Value) -> Vec<(String, String, String)> {
    summary["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").to_string(),
                a["hash"].as_str().unwrap_or("").to_string(),
                a["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

impl World {
    /// A pass that only starts the clocks: the stall clock counts the passes that watched a
    /// torrent stalled, and a torrent the Arr does not hold is deleted directly only when it
    /// was absent from the queue on an earlier pass too. Asserts that it removed nothing;
    /// returns its summary once a second has passed (the clocks count epoch seconds, so the
    /// next pass is a later one).
    pub async fn watch(&self) -> Value {
        let (_, summary) = self.run_json(&[]).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let removed: Vec<&Value> = summary["actions"]
            .as_array()
            .map(|a| a.iter().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|a| {
                matches!(a["kind"].as_str(), Some("fail" | "remove" | "delete"))
                    && a["outcome"] == "done"
            })
            .collect();
        assert!(removed.is_empty(), "a watching pass removed {removed:#?}");
        summary
    }
}

impl World {
    /// Uploads a `.torrent` to `instance` with extra `torrents/add` fields (e.g.
    /// `("contentLayout", "NoSubfolder")`, `("savepath", ...)`; the save path defaults to the
    /// instance's save folder); waits until it is listed and returns its hash.
    pub async fn add_torrent_with(
        &self,
        instance: &str,
        torrent: &Path,
        category: &str,
        fields: &[(&str, &str)],
    ) -> String {
        self.qbit(instance)
            .add_torrent_with(torrent, category, fields, WAIT)
            .await
    }
}
