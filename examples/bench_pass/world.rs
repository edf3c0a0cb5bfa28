//! The benchmark world: fake qBittorrent instances full of synthetic torrents, three fake
//! Arrs (Radarr, Sonarr, Lidarr) whose queues and histories match them, and a config file
//! with a file state store in a temp folder.
//!
//! The library is steady-state-stable: once a first pass has seen everything, a pass with
//! nothing changed has no action to take. Most torrents are complete, imported (the Arr's
//! history says so) and seeding below their goal; a fixed set of 400 downloads is active
//! (downloading with frozen progress, recently stalled, paused or queued, fetching metadata,
//! or errored but protected); some torrents are in a category no Arr owns. The Arr queues
//! hold the active downloads only, so their size does not grow with the library.

use std::path::PathBuf;

use crate::fake_qbit::{self, FakeQbit, WebTorrent};
use sweeparr::model::ArrKind;
use testkit::bench::rng::Rng;
use testkit::fake_arr::{FakeArr, FakeArrConfig, FakeDownload};

/// Active (queued) downloads in the whole world, whatever its size.
const ACTIVE: usize = 400;
const API_KEY: &str = "bench-api-key";
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const GIB: i64 = 1 << 30;

/// The Arrs: (config name, kind, category, share of torrents in per mille).
const ARRS: [(&str, ArrKind, &str, u64); 3] = [
    ("movies", ArrKind::Radarr, "radarr", 500),
    ("tv", ArrKind::Sonarr, "sonarr", 350),
    ("music", ArrKind::Lidarr, "lidarr", 150),
];

/// What a synthetic torrent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Complete, imported (Arr history), seeding below the default goal.
    Seeding,
    /// A category no Arr owns.
    Unmanaged,
    /// Downloading with peers; progress does not move between passes.
    Downloading,
    /// stalledDL since a minute before the world started (well under `stalled_after`).
    Stalled,
    /// pausedDL or queuedDL.
    Waiting,
    /// metaDL.
    MetaDl,
    /// `error`, tagged with the protect tag.
    ProtectedErrored,
}

/// Shares of the active downloads, in per mille.
const ACTIVE_MIX: [(Kind, u64); 5] = [
    (Kind::Downloading, 600),
    (Kind::Stalled, 200),
    (Kind::Waiting, 125),
    (Kind::MetaDl, 37),
    (Kind::ProtectedErrored, 38),
];

/// One synthetic torrent: where it lives and what it is.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Index of its instance.
    pub instance: usize,
    /// Lower-case hash.
    pub hash: String,
    /// Its kind.
    pub kind: Kind,
}

/// A running world; everything stops and the temp folder goes on drop.
pub struct World {
    /// Holds the config and the state folder.
    pub dir: tempfile::TempDir,
    /// The config file.
    pub config: PathBuf,
    /// The instances, `qb0`, `qb1`, ...
    pub qbits: Vec<FakeQbit>,
    /// Radarr, Sonarr, Lidarr.
    pub arrs: Vec<FakeArr>,
    /// Every torrent.
    pub torrents: Vec<Placed>,
}

fn pick(rng: &mut Rng, mix: &[(Kind, u64)]) -> Kind {
    let mut roll = rng.below(1000);
    for &(kind, share) in mix {
        if roll < share {
            return kind;
        }
        roll -= share;
    }
    mix[0].0
}

fn arr_of(rng: &mut Rng) -> usize {
    let mut roll = rng.below(1000);
    for (i, arr) in ARRS.iter().enumerate() {
        if roll < arr.3 {
            return i;
        }
        roll -= arr.3;
    }
    0
}

impl World {
    /// `instances` instances of `per_instance` torrents each; `now` is the epoch second the
    /// passes run around; `dead_trackers` per mille of the seeding torrents have no working
    /// tracker (`tracker` = "").
    pub fn start(instances: usize, per_instance: usize, dead_trackers: u64, now: i64) -> World {
        let mut rng = Rng::new(0x5eed ^ (instances * per_instance) as u64);
        let arrs: Vec<FakeArr> = ARRS
            .iter()
            .map(|(_, kind, _, _)| {
                FakeArr::start(FakeArrConfig {
                    kind: *kind,
                    api_key: API_KEY.into(),
                    qbit: None,
                })
            })
            .collect();
        let total = instances * per_instance;
        let mut placed = Vec::with_capacity(total);
        let mut by_instance: Vec<Vec<WebTorrent>> = vec![Vec::new(); instances];
        for n in 0..total {
            let instance = n % instances;
            let kind = if n < ACTIVE {
                pick(&mut rng, &ACTIVE_MIX)
            } else if rng.below(100) < 5 {
                Kind::Unmanaged
            } else {
                Kind::Seeding
            };
            let arr = arr_of(&mut rng);
            let dead = kind == Kind::Seeding && rng.below(1000) < dead_trackers;
            let t = torrent(&mut rng, kind, ARRS[arr].2, n, dead, now);
            register(&arrs[arr], ARRS[arr].1, &mut rng, kind, &t);
            placed.push(Placed {
                instance,
                hash: t.hash.clone(),
                kind,
            });
            by_instance[instance].push(t);
        }
        let categories = ["linux", "lidarr", "radarr", "sonarr"];
        let qbits: Vec<FakeQbit> = by_instance
            .into_iter()
            .map(|ts| FakeQbit::start(ts, &categories))
            .collect();
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("sweeparr.toml");
        std::fs::write(&config, config_toml(&qbits, &arrs)).expect("write config");
        World {
            dir,
            config,
            qbits,
            arrs,
            torrents: placed,
        }
    }

    /// Size of the state database file, in bytes (0 before the first pass).
    pub fn state_bytes(&self) -> u64 {
        let db = self
            .dir
            .path()
            .join("state")
            .join(sweeparr::state::file::DB_FILE);
        std::fs::metadata(db).map_or(0, |m| m.len())
    }

    /// The first `n` torrents of `kind`.
    pub fn of_kind(&self, kind: Kind, n: usize) -> Vec<Placed> {
        self.torrents
            .iter()
            .filter(|p| p.kind == kind)
            .take(n)
            .cloned()
            .collect()
    }
}

fn config_toml(qbits: &[FakeQbit], arrs: &[FakeArr]) -> String {
    let mut toml = String::from(
        "# Written by the pass benchmark.\n[state]\nbackend = \"file\"\npath = \"state\"\n",
    );
    for (i, q) in qbits.iter().enumerate() {
        toml.push_str(&format!(
            "\n[qbit.qb{i}]\nurl = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\n",
            q.url(),
            fake_qbit::USERNAME,
            fake_qbit::PASSWORD
        ));
    }
    for ((name, kind, category, _), fake) in ARRS.iter().zip(arrs) {
        toml.push_str(&format!(
            "\n[arr.{name}]\nkind = \"{}\"\nurl = \"{}\"\napi_key = \"{API_KEY}\"\ncategory = \"{category}\"\n",
            kind.as_str(),
            fake.url()
        ));
    }
    toml
}

/// Tells the torrent's Arr about it: an import event for a seeding torrent, a queue entry
/// (one record per episode / album) for an active one.
fn register(arr: &FakeArr, kind: ArrKind, rng: &mut Rng, what: Kind, t: &WebTorrent) {
    let (status, state, tracked) = match what {
        Kind::Seeding => {
            let event = match kind {
                ArrKind::Lidarr => "downloadImported",
                _ => "downloadFolderImported",
            };
            arr.add_history(&t.hash, event);
            return;
        }
        Kind::Unmanaged => return,
        Kind::Downloading => ("downloading", "downloading", "ok"),
        Kind::Stalled | Kind::ProtectedErrored => ("warning", "downloading", "warning"),
        Kind::Waiting | Kind::MetaDl => ("queued", "downloading", "ok"),
    };
    let first = 1 + rng.below(100_000) as i64;
    let records = match kind {
        ArrKind::Radarr => 1,
        ArrKind::Sonarr => 1 + rng.below(8) as i64,
        ArrKind::Lidarr => 1 + rng.below(2) as i64,
    };
    arr.add_download(FakeDownload {
        media_ids: (first..first + records).collect(),
        status: status.into(),
        tracked_state: state.into(),
        tracked_status: tracked.into(),
        size: t.size.max(0) as u64,
        sizeleft: t.amount_left.max(0) as u64,
        ..FakeDownload::new(&t.hash, &t.name)
    });
}

fn torrent(
    rng: &mut Rng,
    kind: Kind,
    arr_category: &str,
    n: usize,
    dead: bool,
    now: i64,
) -> WebTorrent {
    let hash = rng.hash();
    let category = match kind {
        Kind::Unmanaged if n.is_multiple_of(2) => "",
        Kind::Unmanaged => "linux",
        _ => arr_category,
    };
    let name = format!("Synthetic.Release.{n:06}.1080p.WEB-DL.x264-GRP");
    let save_path = format!("/downloads/{category}");
    let announce = format!(
        "https://tracker{}.example.org/announce/{:016x}",
        rng.below(4),
        rng.next_u64()
    );
    let complete = matches!(kind, Kind::Seeding | Kind::Unmanaged);
    let size = if kind == Kind::MetaDl {
        0
    } else {
        GIB / 4 + rng.below(40 * GIB as u64) as i64
    };
    let completed = match kind {
        _ if complete => size,
        Kind::MetaDl => 0,
        _ => size / (2 + rng.below(8) as i64),
    };
    let added_on = now - 2 * HOUR - rng.below(200 * DAY as u64) as i64;
    let completion_on = if complete { added_on + HOUR } else { 0 };
    let seeding_time = if complete {
        rng.below(13 * DAY as u64) as i64
    } else {
        0
    };
    let ratio = if complete {
        rng.below(190) as f64 / 100.0
    } else {
        0.0
    };
    let (state, eta, availability, dlspeed) = match kind {
        _ if complete && rng.below(4) == 0 => ("uploading", 8_640_000, -1.0, 0),
        _ if complete => ("stalledUP", 8_640_000, -1.0, 0),
        Kind::Downloading => (
            "downloading",
            600 + rng.below(12 * HOUR as u64) as i64,
            1.0 + rng.below(400) as f64 / 100.0,
            2_500_000,
        ),
        Kind::Stalled => ("stalledDL", 8_640_000, 0.0, 0),
        Kind::Waiting if n.is_multiple_of(2) => ("pausedDL", 8_640_000, -1.0, 0),
        Kind::Waiting => ("queuedDL", 8_640_000, -1.0, 0),
        Kind::MetaDl => ("metaDL", 8_640_000, -1.0, 0),
        _ => ("error", 8_640_000, -1.0, 0),
    };
    let working = !dead;
    WebTorrent {
        added_on,
        amount_left: size - completed,
        auto_tmm: false,
        availability,
        category: category.to_string(),
        completed,
        completion_on,
        content_path: format!("{save_path}/{name}"),
        dl_limit: 0,
        dlspeed,
        download_path: String::new(),
        downloaded: completed,
        downloaded_session: completed / 3,
        eta,
        f_l_piece_prio: false,
        force_start: false,
        infohash_v1: hash.clone(),
        infohash_v2: String::new(),
        last_activity: if complete {
            now - rng.below(DAY as u64) as i64
        } else {
            now - 60
        },
        magnet_uri: format!(
            "magnet:?xt=urn:btih:{hash}&dn={name}&tr={}",
            announce.replace(':', "%3a").replace('/', "%2f")
        ),
        max_ratio: -1.0,
        max_seeding_time: -1,
        name,
        num_complete: 20,
        num_incomplete: 3,
        num_leechs: if working { 1 } else { 0 },
        num_seeds: if kind == Kind::Downloading { 6 } else { 0 },
        priority: if complete { 0 } else { 1 + (n % 50) as i64 },
        progress: if size > 0 {
            completed as f64 / size as f64
        } else {
            0.0
        },
        ratio,
        ratio_limit: -2.0,
        save_path,
        seeding_time,
        seeding_time_limit: -2,
        seen_complete: if complete { completion_on } else { 0 },
        seq_dl: false,
        size,
        state: state.to_string(),
        super_seeding: false,
        tags: if kind == Kind::ProtectedErrored {
            "sweeparr-keep".into()
        } else {
            String::new()
        },
        time_active: seeding_time + HOUR,
        total_size: size,
        tracker: if working {
            announce.clone()
        } else {
            String::new()
        },
        trackers_count: 1,
        up_limit: 0,
        uploaded: (ratio * size as f64) as i64,
        uploaded_session: 0,
        upspeed: if state == "uploading" { 150_000 } else { 0 },
        announce,
        // Public: a failed private download would be kept (`private = "keep"`), which is
        // not what the provoked actions measure.
        private: false,
        hash,
    }
}
