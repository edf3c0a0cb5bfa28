//! A deterministic synthetic library for the `decide` bench: instances full of torrents in
//! the mix a long-running setup has (mostly imported and seeding, some downloading, a few
//! stalled or errored, some in categories no Arr owns), the Arr queues that go with them,
//! and the state records earlier passes would have left (the steady state).

use std::collections::BTreeMap;

pub use super::rng::Rng;
use sweeparr::model::{
    ArrKind, ArrSnapshot, InstanceSnapshot, QueueDownload, Snapshot, Status, Torrent, TorrentFile,
    Tracker,
};
use sweeparr::state::{Epoch, Record, TorrentRecord};

/// The "now" of every bench pass.
pub const NOW: Epoch = 1_800_000_000;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// The three Arrs: (config name, kind, category).
pub const ARRS: [(&str, ArrKind, &str); 3] = [
    ("movies", ArrKind::Radarr, "radarr"),
    ("tv", ArrKind::Sonarr, "sonarr"),
    ("music", ArrKind::Lidarr, "lidarr"),
];

/// What a synthetic torrent is, with its share of the library in per mille.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Complete, imported (known in state), seeding below its goal.
    Seeding,
    /// Imported and its seeding goal met: a removal.
    GoalMet,
    /// Complete, queued in the Arr as importPending; the scan was sent earlier.
    AwaitingImport,
    /// Just completed: an import action.
    JustCompleted,
    /// Downloading with peers.
    Downloading,
    /// stalledDL; one in eight past `stalled_after`.
    Stalled,
    /// Fetching metadata.
    MetaDl,
    /// pausedDL / queuedDL.
    Waiting,
    /// `error` state (half already rechecked: a fail).
    Errored,
    /// A category no Arr owns.
    Unmanaged,
    /// Imported, carrying the protect tag.
    Protected,
    /// Imported, no working tracker; the tracker list says "unregistered".
    Unregistered,
}

const MIX: [(Kind, u64); 12] = [
    (Kind::Seeding, 756),
    (Kind::GoalMet, 1),
    (Kind::AwaitingImport, 40),
    (Kind::JustCompleted, 3),
    (Kind::Downloading, 70),
    (Kind::Stalled, 30),
    (Kind::MetaDl, 5),
    (Kind::Waiting, 20),
    (Kind::Errored, 5),
    (Kind::Unmanaged, 60),
    (Kind::Protected, 5),
    (Kind::Unregistered, 5),
];

fn pick(rng: &mut Rng) -> Kind {
    let mut roll = rng.below(1000);
    for (kind, share) in MIX {
        if roll < share {
            return kind;
        }
        roll -= share;
    }
    Kind::Seeding
}

/// Snapshot and state records (as a store loads them) of `instances` instances holding `per_instance` torrents each.
pub fn library(instances: usize, per_instance: usize, seed: u64) -> (Snapshot, Vec<Record>) {
    let mut rng = Rng::new(seed);
    let mut arrs: Vec<ArrSnapshot> = ARRS
        .iter()
        .map(|(name, kind, _)| ArrSnapshot {
            name: name.to_string(),
            kind: *kind,
            reachable: true,
            error: None,
            queue: BTreeMap::new(),
            history: BTreeMap::new(),
            grabs: Default::default(),
            search: None,
            health: Default::default(),
        })
        .collect();
    let mut state = Vec::new();
    let mut next_record_id = 1;
    let mut snapshot_instances = Vec::new();
    for i in 0..instances {
        let mut inst = InstanceSnapshot {
            name: format!("qb{i}"),
            reachable: true,
            version: Some("v4.5.2".into()),
            api_version: Some("2.8.19".into()),
            categories: ["lidarr", "linux", "radarr", "sonarr"]
                .map(String::from)
                .into(),
            ..Default::default()
        };
        for n in 0..per_instance {
            let kind = pick(&mut rng);
            let arr = match rng.below(20) {
                0..10 => 0,
                10..17 => 1,
                _ => 2,
            };
            let t = torrent(&mut rng, kind, ARRS[arr].2, n);
            if matches!(kind, Kind::Unregistered) {
                inst.trackers
                    .insert(t.hash.clone(), unregistered_trackers());
            }
            // One torrent in a hundred is new this pass: no record yet, file list fetched.
            let fresh = rng.below(100) == 0;
            if fresh && kind != Kind::MetaDl {
                inst.files.insert(t.hash.clone(), files(&t));
            }
            if kind != Kind::Unmanaged {
                if let Some(q) = queued(&mut rng, kind, &t, ARRS[arr].1, &mut next_record_id) {
                    arrs[arr].queue.insert(q.download_id.clone(), q);
                }
                if !fresh {
                    let rec = record(&inst.name, &t, kind);
                    state.push(Record::Torrent(Box::new(rec)));
                }
            }
            inst.torrents.push(t);
        }
        // Records of torrents that left: most gone earlier, some gone this pass.
        for _ in 0..per_instance / 100 {
            let hash = rng.hash();
            let mut rec = TorrentRecord::new(
                &sweeparr::model::TorrentKey::new(&inst.name, &hash),
                NOW - 40 * DAY,
            );
            if rng.below(4) != 0 {
                rec.gone_since = Some(NOW - 3 * DAY);
                rec.expires_at = Some(NOW + 27 * DAY);
            }
            state.push(Record::Torrent(Box::new(rec)));
        }
        snapshot_instances.push(inst);
    }
    // Downloads the Arrs hold in other clients (or not yet in this one).
    for arr in &mut arrs {
        for _ in 0..arr.queue.len() / 10 {
            let id = rng.hash().to_ascii_uppercase();
            let q = QueueDownload {
                download_id: id.clone(),
                record_ids: vec![next_record_id],
                title: "elsewhere".into(),
                status: "downloading".into(),
                tracked_state: "downloading".into(),
                tracked_status: "ok".into(),
                messages: vec![],
            };
            next_record_id += 1;
            arr.queue.insert(id, q);
        }
    }
    let snapshot = Snapshot {
        instances: snapshot_instances,
        arrs,
    };
    (snapshot, state)
}

fn torrent(rng: &mut Rng, kind: Kind, category: &str, n: usize) -> Torrent {
    let hash = rng.hash();
    let size = 200_000_000 + rng.below(40_000_000_000);
    let name = format!("Synthetic.Release.{n:05}.1080p.WEB-DL-GRP");
    let complete = matches!(
        kind,
        Kind::Seeding
            | Kind::GoalMet
            | Kind::AwaitingImport
            | Kind::JustCompleted
            | Kind::Unmanaged
            | Kind::Protected
            | Kind::Unregistered
    );
    let completed = if complete {
        size
    } else if kind == Kind::MetaDl {
        0
    } else {
        size / (2 + rng.below(8))
    };
    let (state, status) = match kind {
        Kind::Downloading => ("downloading", Status::Downloading),
        Kind::Stalled => ("stalledDL", Status::StalledDl),
        Kind::MetaDl => ("metaDL", Status::MetaDl),
        Kind::Waiting if rng.below(2) == 0 => ("pausedDL", Status::PausedDl),
        Kind::Waiting => ("queuedDL", Status::QueuedDl),
        Kind::Errored => ("error", Status::Error),
        _ if rng.below(3) == 0 => ("uploading", Status::Uploading),
        _ => ("stalledUP", Status::StalledUp),
    };
    let seeding_time = if complete {
        rng.below(13 * DAY as u64)
    } else {
        0
    };
    let ratio = match kind {
        Kind::GoalMet => 2.0 + rng.below(100) as f64 / 100.0,
        _ if complete => rng.below(190) as f64 / 100.0,
        _ => 0.0,
    };
    let mut tags = vec![];
    if matches!(kind, Kind::Seeding | Kind::GoalMet | Kind::Unregistered) && rng.below(100) != 0 {
        tags.push("sweeparr-imported".to_string());
    }
    if kind == Kind::Protected {
        tags.push("sweeparr-keep".to_string());
    }
    let added_on = NOW - 2 * HOUR - rng.below(300 * DAY as u64) as i64;
    let tracker = match kind {
        Kind::Unregistered => String::new(),
        _ => format!("https://tracker{}.example.org:443/announce", rng.below(4)),
    };
    Torrent {
        category: if kind == Kind::Unmanaged {
            "linux"
        } else {
            category
        }
        .to_string(),
        content_path: format!("/data/torrents/{category}/{name}"),
        save_path: format!("/data/torrents/{category}"),
        name,
        hash,
        status,
        state: state.to_string(),
        tags,
        size,
        completed,
        amount_left: size - completed,
        progress: completed as f64 / size as f64,
        ratio,
        seeding_time,
        eta: match kind {
            Kind::Downloading => Some(600 + rng.below(20 * HOUR as u64)),
            _ => None,
        },
        availability: match kind {
            Kind::Downloading => Some(1.0 + rng.below(400) as f64 / 100.0),
            Kind::Stalled => Some(0.0),
            _ => None,
        },
        added_on,
        completion_on: complete.then_some(added_on + HOUR),
        last_activity: NOW - rng.below(20 * 60) as i64,
        trackers_count: 2,
        tracker,
        time_active: seeding_time + HOUR as u64,
        private: None,
        ratio_limit: -2.0,
        seeding_time_limit: -2,
        inactive_seeding_time_limit: None,
        tracker_error: None,
        up_limit: -1,
        dl_limit: -1,
        dlspeed: if kind == Kind::Downloading {
            4_000_000
        } else {
            0
        },
        upspeed: if complete { rng.below(200_000) } else { 0 },
        num_seeds: 5,
        num_leechs: 1,
    }
}

fn unregistered_trackers() -> Vec<Tracker> {
    vec![Tracker {
        url: "https://private.example.net/announce".into(),
        tier: 0,
        status: 4,
        msg: "Unregistered torrent".into(),
    }]
}

fn files(t: &Torrent) -> Vec<TorrentFile> {
    vec![
        TorrentFile {
            name: format!("{}/{}.mkv", t.name, t.name),
            size: t.size - 1000,
            priority: 1,
        },
        TorrentFile {
            name: format!("{}/{}.nfo", t.name, t.name),
            size: 1000,
            priority: 1,
        },
    ]
}

/// The Arr's queue entry for a torrent still in its queue.
fn queued(
    rng: &mut Rng,
    kind: Kind,
    t: &Torrent,
    arr: ArrKind,
    next_id: &mut i64,
) -> Option<QueueDownload> {
    let (status, tracked_state, tracked_status) = match kind {
        Kind::AwaitingImport | Kind::JustCompleted => ("completed", "importpending", "ok"),
        Kind::Downloading | Kind::MetaDl => ("downloading", "downloading", "ok"),
        Kind::Stalled | Kind::Errored => ("warning", "downloading", "warning"),
        Kind::Waiting => ("queued", "downloading", "ok"),
        _ => return None,
    };
    let records = match arr {
        ArrKind::Radarr => 1,
        ArrKind::Sonarr => 1 + rng.below(10) as i64,
        ArrKind::Lidarr => 1 + rng.below(2) as i64,
    };
    let record_ids = (*next_id..*next_id + records).collect();
    *next_id += records;
    Some(QueueDownload {
        download_id: t.download_id(),
        record_ids,
        title: t.name.clone(),
        status: status.into(),
        tracked_state: tracked_state.into(),
        tracked_status: tracked_status.into(),
        messages: match kind {
            Kind::Stalled => vec!["The download is stalled with no connections".into()],
            _ => vec![],
        },
    })
}

/// The record earlier passes left: what `observe` would produce again from this snapshot.
fn record(instance: &str, t: &Torrent, kind: Kind) -> TorrentRecord {
    let key = sweeparr::model::TorrentKey::new(instance, &t.hash);
    let mut rec = TorrentRecord::new(&key, t.added_on);
    rec.name = t.name.clone();
    rec.last_seen = NOW - 900;
    rec.completed = t.completed;
    rec.progress_at = match kind {
        // One stalled torrent in eight is past the 30m threshold.
        Kind::Stalled if t.hash.ends_with(['0', '1']) => NOW - 2 * HOUR,
        Kind::Stalled => NOW - 10 * 60,
        _ => t.completion_on.unwrap_or(NOW - 900),
    };
    rec.files_checked = kind != Kind::MetaDl;
    rec.tracker_host = match kind {
        Kind::Unregistered => Some("private.example.net".into()),
        _ => sweeparr::model::tracker_host(&t.tracker),
    };
    if kind == Kind::Stalled {
        rec.unavailable_since = Some(NOW - 20 * 60);
    }
    match kind {
        Kind::Seeding | Kind::GoalMet | Kind::Protected | Kind::Unregistered => {
            rec.imported_at = Some(t.added_on + 2 * HOUR);
            rec.history_checked_at = Some(t.added_on + 2 * HOUR);
        }
        Kind::AwaitingImport => rec.import_sent_at = Some(NOW - 15 * 60),
        Kind::Errored if t.hash.ends_with(['0', '1', '2', '3', '4', '5', '6', '7']) => {
            rec.rechecked_at = Some(NOW - HOUR);
        }
        _ => {}
    }
    rec
}
