//! Orphaned files (`[orphans]`, home shape only): files under the roots that no torrent on
//! any instance uses, older than `min_age`, moved into a dated folder of `recycle`. Nothing
//! is ever deleted but dated recycle folders older than `purge_after`.
//!
//! A file is in use when it is a torrent's content path or lies under one (after the
//! instance's `path_map`), so a file a torrent might still write is never moved. The paths in
//! use are only known when every configured instance was scanned whole: otherwise nothing is
//! looked for, and the summary says why.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::{Config, Orphans};
use crate::decide::{Action, ActionKind, Op, fmt, path_map};
use crate::model::Snapshot;

/// Every path a torrent uses, as sweeparr sees it; `Err(why)` when not every instance's
/// torrents are known.
pub fn in_use(snapshot: &Snapshot, config: &Config) -> Result<BTreeSet<PathBuf>, String> {
    let mut used = BTreeSet::new();
    for (name, q) in &config.qbit {
        if q.disabled {
            return Err(format!(
                "instance {name} is disabled: its torrents are unknown"
            ));
        }
        let Some(inst) = snapshot.instances.iter().find(|i| &i.name == name) else {
            return Err(format!("instance {name} was not scanned"));
        };
        if !inst.reachable {
            return Err(format!("instance {name} is unreachable"));
        }
        for t in &inst.torrents {
            let path = if t.content_path.is_empty() {
                // No content path yet (a magnet without metadata): its whole save folder.
                t.save_path.as_str()
            } else {
                t.content_path.as_str()
            };
            if !path.is_empty() {
                used.insert(PathBuf::from(path_map::apply(&q.path_map, path)));
            }
        }
    }
    Ok(used)
}

/// A file found to be an orphan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its root.
    pub root: PathBuf,
    /// Its path.
    pub path: PathBuf,
    /// Seconds since it was last modified.
    pub age: u64,
}

/// What the search of one root found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RootSearch {
    /// The root.
    pub root: String,
    /// Orphans found (more than are moved when over `max_per_pass`).
    pub found: usize,
    /// Why the root, or part of it, could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// True when `path` is a path in use or lies under one.
fn used_by_a_torrent(path: &Path, used: &BTreeSet<PathBuf>) -> bool {
    path.ancestors().any(|a| used.contains(a))
}

/// Searches every root (blocking file-system reads): the orphans, oldest first, at most
/// `max_per_pass` of them, and what each root gave.
pub fn search(
    cfg: &Orphans,
    used: &BTreeSet<PathBuf>,
    now: SystemTime,
) -> (Vec<Found>, Vec<RootSearch>) {
    let mut all = Vec::new();
    let mut roots = Vec::new();
    for root in &cfg.roots {
        let mut report = RootSearch {
            root: root.display().to_string(),
            found: 0,
            error: None,
        };
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            if folder.starts_with(&cfg.recycle) {
                continue;
            }
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) => {
                    report
                        .error
                        .get_or_insert_with(|| format!("{}: {e}", folder.display()));
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                // Symbolic links are never followed nor moved.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    if !used_by_a_torrent(&path, used) {
                        folders.push(path);
                    }
                    continue;
                }
                if !kind.is_file() || used_by_a_torrent(&path, used) {
                    continue;
                }
                let age = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| now.duration_since(m).ok())
                    .unwrap_or(Duration::ZERO);
                if age >= cfg.min_age {
                    report.found += 1;
                    all.push(Found {
                        root: root.clone(),
                        path,
                        age: age.as_secs(),
                    });
                }
            }
        }
        roots.push(report);
    }
    all.sort_by(|a, b| b.age.cmp(&a.age).then_with(|| a.path.cmp(&b.path)));
    all.truncate(cfg.max_per_pass);
    (all, roots)
}

/// `YYYY-MM-DD` (UTC) of `at`: the name of the recycle folder of that day.
pub fn day(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()[..10].to_string()
}

/// Where `found` goes in the recycle folder of `day`: its path below the folder of the day,
/// root included (so that two roots never collide).
pub fn destination(cfg: &Orphans, found: &Found, day: &str) -> PathBuf {
    let below: PathBuf = found
        .path
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect();
    cfg.recycle.join(day).join(below)
}

/// The dated recycle folders older than `purge_after` (none when it is off).
pub fn purgeable(cfg: &Orphans, now: SystemTime) -> Vec<PathBuf> {
    let Some(after) = cfg.purge_after else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&cfg.recycle) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|k| k.is_dir()))
        .filter(|e| {
            let name = e.file_name();
            let Some(name) = name.to_str().filter(|n| n.len() == 10) else {
                return false;
            };
            humantime::parse_rfc3339(&format!("{name}T00:00:00Z"))
                .ok()
                .and_then(|d| now.duration_since(d).ok())
                // A day's folder holds files moved until its end.
                .is_some_and(|age| age > after + Duration::from_secs(86_400))
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// The actions of what [`search`] and [`purgeable`] found.
pub fn actions(cfg: &Orphans, found: &[Found], purge: &[PathBuf], now: SystemTime) -> Vec<Action> {
    let today = day(now);
    let mut out: Vec<Action> = found
        .iter()
        .map(|f| Action {
            kind: ActionKind::Recycle,
            instance: f.root.display().to_string(),
            hash: None,
            name: f
                .path
                .strip_prefix(&f.root)
                .unwrap_or(&f.path)
                .display()
                .to_string(),
            arr: None,
            reason: format!(
                "no torrent uses it; modified {} ago (min_age {})",
                fmt::secs(i64::try_from(f.age).unwrap_or(i64::MAX)),
                fmt::dur(cfg.min_age),
            ),
            op: Op::Recycle {
                from: f.path.clone(),
                to: destination(cfg, f, &today),
            },
            skip: None,
        })
        .collect();
    out.extend(purge.iter().map(|p| {
        Action {
            kind: ActionKind::Purge,
            instance: cfg.recycle.display().to_string(),
            hash: None,
            name: p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            arr: None,
            reason: format!(
                "recycled more than purge_after {} ago",
                fmt::dur(cfg.purge_after.unwrap_or_default())
            ),
            op: Op::Purge { path: p.clone() },
            skip: None,
        }
    }));
    out
}

/// What `sweeparr check` says of each root and the recycle folder: (line, fine). A root
/// must be a readable folder on the file system of the recycle folder (or of its nearest
/// existing parent: sweeparr creates it), since orphans are renamed, never copied.
pub fn check(cfg: &Orphans) -> Vec<(String, bool)> {
    #[cfg(unix)]
    fn device(path: &Path) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        path.ancestors()
            .find_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.dev())
    }
    #[cfg(not(unix))]
    fn device(_: &Path) -> Option<u64> {
        None
    }
    let recycle = device(&cfg.recycle);
    cfg.roots
        .iter()
        .map(|root| {
            let name = root.display();
            match std::fs::read_dir(root) {
                Err(e) => (format!("orphans root {name}: UNREADABLE: {e}"), false),
                Ok(_) if device(root) != recycle => (
                    format!(
                        "orphans root {name}: NOT on the file system of recycle {} (files are \
                         moved, never copied)",
                        cfg.recycle.display()
                    ),
                    false,
                ),
                Ok(_) => (format!("orphans root {name}: readable"), true),
            }
        })
        .collect()
}

/// Moves `from` to `to` (a free name beside `to` when it is taken), creating its folders.
/// Never copies: a recycle folder on another file system is an error.
pub fn recycle(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut target = to.to_path_buf();
    let mut n = 1;
    while target.symlink_metadata().is_ok() {
        let mut name = to.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{n}"));
        target = to.with_file_name(name);
        n += 1;
    }
    std::fs::rename(from, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn cfg(root: &Path, recycle: &Path) -> Orphans {
        Orphans {
            roots: vec![root.to_path_buf()],
            recycle: recycle.to_path_buf(),
            min_age: DAY,
            purge_after: Some(30 * DAY),
            max_per_pass: 50,
        }
    }

    fn write(path: &Path, age: Duration) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn only_old_files_no_torrent_path_covers_are_found_oldest_first_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dl");
        let recycle = root.join(".recycle");
        write(&root.join("a.mkv"), 2 * DAY);
        write(&root.join("deep/b.nfo"), 5 * DAY);
        write(&root.join("young.mkv"), Duration::from_secs(5));
        write(&root.join("Torrent/inside.txt"), 9 * DAY);
        write(&root.join("single.iso"), 9 * DAY);
        write(&recycle.join("2020-01-01/old.bin"), 900 * DAY);
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a.mkv"), root.join("link.mkv")).unwrap();
        let used: BTreeSet<PathBuf> = [root.join("Torrent"), root.join("single.iso")]
            .into_iter()
            .collect();
        let c = cfg(&root, &recycle);
        let (found, roots) = search(&c, &used, SystemTime::now());
        let names: Vec<&Path> = found
            .iter()
            .map(|f| f.path.strip_prefix(&root).unwrap())
            .collect();
        assert_eq!(names, [Path::new("deep/b.nfo"), Path::new("a.mkv")]);
        assert_eq!(roots[0].found, 2);
        assert_eq!(roots[0].error, None);
        let capped = Orphans {
            max_per_pass: 1,
            ..c.clone()
        };
        let (found, roots) = search(&capped, &used, SystemTime::now());
        assert_eq!(found.len(), 1);
        assert_eq!(roots[0].found, 2, "found counts them all");
        // An unreadable root is an error of that root only.
        let two = Orphans {
            roots: vec![dir.path().join("missing"), root.clone()],
            ..c
        };
        let (found, roots) = search(&two, &used, SystemTime::now());
        assert_eq!(found.len(), 2);
        assert!(
            roots[0]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("missing"))
        );
        assert_eq!(roots[1].error, None);
    }

    #[test]
    fn recycled_files_keep_their_path_and_never_overwrite_one_another() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dl");
        let recycle = dir.path().join("bin");
        let c = cfg(&root, &recycle);
        let found = Found {
            root: root.clone(),
            path: root.join("x/a.mkv"),
            age: 0,
        };
        let to = destination(&c, &found, "2026-12-03");
        assert!(to.starts_with(recycle.join("2026-12-03")));
        assert!(to.ends_with("dl/x/a.mkv"), "{}", to.display());
        for n in 0..2 {
            write(&found.path, DAY);
            std::fs::write(&found.path, format!("copy {n}")).unwrap();
            recycle_file_into(&found.path, &to);
        }
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "copy 0");
        let second = to.with_file_name("a.mkv.1");
        assert_eq!(std::fs::read_to_string(second).unwrap(), "copy 1");
    }

    fn recycle_file_into(from: &Path, to: &Path) {
        recycle(from, to).unwrap();
        assert!(!from.exists());
    }

    #[test]
    fn only_dated_folders_past_purge_after_are_purged() {
        let dir = tempfile::tempdir().unwrap();
        let recycle = dir.path().to_path_buf();
        let c = cfg(Path::new("/nowhere"), &recycle);
        let now = humantime::parse_rfc3339("2026-12-03T12:00:00Z").unwrap();
        for name in [
            "2026-10-01",
            "2026-11-03",
            "2026-11-20",
            "notes",
            "2026-13-45",
        ] {
            std::fs::create_dir_all(recycle.join(name)).unwrap();
        }
        assert_eq!(purgeable(&c, now), vec![recycle.join("2026-10-01")]);
        let off = Orphans {
            purge_after: None,
            ..c
        };
        assert!(purgeable(&off, now).is_empty());
        assert_eq!(day(now), "2026-12-03");
    }
}
