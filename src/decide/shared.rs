//! Files that more than one torrent of an instance uses (cross-seeds): deleting one of those
//! torrents with its files would take data the other still seeds or downloads.
//!
//! Two torrents share files when their content paths are the same, or one lies inside the
//! other (a single file inside another torrent's folder, a folder holding another torrent's
//! data, or a multi-file torrent without a root folder whose content path is the save folder).

use std::cell::OnceCell;

use rustc_hash::FxHashMap;

use crate::model::Torrent;

/// The content paths of one instance's torrents, to ask which other torrent uses files of a
/// given one. Indexed on the first question: a pass that deletes nothing never builds it.
#[derive(Debug, Default)]
pub struct SharedFiles<'a> {
    torrents: &'a [Torrent],
    index: OnceCell<Index<'a>>,
}

/// (hash, content path without trailing separator, name); ordered as tuples, the first of
/// the torrents matching a question in that order answers it. The hash comes first: two
/// hashes nearly always differ in their first bytes, while the paths under one folder share
/// a long prefix.
type Entry<'a> = (&'a str, &'a str, &'a str);

/// The first entry of a group, and the first whose hash differs from that one's: whatever
/// the hash asked about, the first entry of the group with another hash is one of the two.
#[derive(Debug, Clone, Copy)]
struct FirstTwo<'a> {
    first: Entry<'a>,
    other: Option<Entry<'a>>,
}

impl<'a> FirstTwo<'a> {
    fn new(e: Entry<'a>) -> Self {
        FirstTwo {
            first: e,
            other: None,
        }
    }

    fn offer(&mut self, e: Entry<'a>) {
        if e < self.first {
            if e.0 != self.first.0 {
                self.other = Some(self.first);
            }
            self.first = e;
        } else if e.0 != self.first.0 && self.other.is_none_or(|o| e < o) {
            self.other = Some(e);
        }
    }

    /// The name of the first entry whose hash is not `hash`.
    fn not(&self, hash: &str) -> Option<&'a str> {
        if self.first.0 != hash {
            Some(self.first.2)
        } else {
            self.other.map(|o| o.2)
        }
    }
}

/// The torrents by content path, and by each folder holding their content with the
/// separator after it: a hash look-up per question, and building it reads each path once
/// (sorting the paths cost more than the rest of a pass's work on them).
/// A folder and the separator after it.
type Folder<'a> = (&'a str, u8);

#[derive(Debug, Default)]
struct Index<'a> {
    by_path: FxHashMap<&'a str, FirstTwo<'a>>,
    /// Positions in `folders`.
    by_folder: FxHashMap<Folder<'a>, usize>,
    folders: Vec<FirstTwo<'a>>,
}

/// A path without trailing separators.
fn trimmed(path: &str) -> &str {
    path.trim_end_matches(['/', '\\'])
}

fn is_separator(c: u8) -> bool {
    c == b'/' || c == b'\\'
}

impl<'a> Index<'a> {
    fn new(torrents: &'a [Torrent]) -> Self {
        // Most torrents have a path of their own and sit in a few folders.
        let mut by_path = FxHashMap::with_capacity_and_hasher(torrents.len(), Default::default());
        let mut by_folder = FxHashMap::default();
        let mut folders = Vec::new();
        // The folders holding a path are those of its parent (the path up to its last
        // separator, and that separator): the torrents of one save folder share them, so
        // they are looked up once per parent. `slots` holds them, by parent.
        let mut chains: FxHashMap<Folder<'a>, (usize, usize)> = FxHashMap::default();
        let mut slots: Vec<usize> = Vec::new();
        let mut last: Option<(Folder<'a>, (usize, usize))> = None;
        for t in torrents {
            let path = trimmed(&t.content_path);
            if path.is_empty() {
                continue;
            }
            let e = (t.hash.as_str(), path, t.name.as_str());
            by_path
                .entry(path)
                .and_modify(|f: &mut FirstTwo<'a>| f.offer(e))
                .or_insert_with(|| FirstTwo::new(e));
            let Some(cut) = path
                .as_bytes()
                .iter()
                .rposition(|&c| is_separator(c))
                .filter(|&i| i > 0)
            else {
                continue;
            };
            let parent = (&path[..cut], path.as_bytes()[cut]);
            let range = match last {
                Some((key, range)) if key == parent => range,
                _ => {
                    let range = *chains.entry(parent).or_insert_with(|| {
                        let start = slots.len();
                        for (i, &c) in path.as_bytes()[..=cut].iter().enumerate().skip(1) {
                            if is_separator(c) {
                                let slot = *by_folder.entry((&path[..i], c)).or_insert_with(|| {
                                    folders.push(FirstTwo::new(e));
                                    folders.len() - 1
                                });
                                slots.push(slot);
                            }
                        }
                        (start, slots.len())
                    });
                    last = Some((parent, range));
                    range
                }
            };
            for &slot in &slots[range.0..range.1] {
                folders[slot].offer(e);
            }
        }
        Index {
            by_path,
            by_folder,
            folders,
        }
    }

    /// The torrents inside `folder` (whose content path starts with it and `sep`).
    fn inside(&self, folder: &str, sep: u8) -> Option<&FirstTwo<'a>> {
        self.by_folder
            .get(&(folder, sep))
            .map(|&i| &self.folders[i])
    }
}

impl<'a> SharedFiles<'a> {
    /// Indexes the torrents of one instance.
    pub fn new(torrents: &'a [Torrent]) -> Self {
        SharedFiles {
            torrents,
            index: OnceCell::new(),
        }
    }

    /// The name of another torrent (not `hash`) whose files overlap `content_path`, if any.
    pub fn with(&self, hash: &str, content_path: &str) -> Option<&'a str> {
        let path = trimmed(content_path);
        if path.is_empty() {
            return None;
        }
        let index = self.index.get_or_init(|| Index::new(self.torrents));
        // The same path.
        if let Some(name) = index.by_path.get(path).and_then(|f| f.not(hash)) {
            return Some(name);
        }
        // A torrent whose folder holds this one.
        for (i, &c) in path.as_bytes().iter().enumerate().skip(1) {
            if is_separator(c)
                && let Some(name) = index.by_path.get(&path[..i]).and_then(|f| f.not(hash))
            {
                return Some(name);
            }
        }
        // A torrent inside this one's folder.
        for sep in [b'/', b'\\'] {
            if let Some(name) = index.inside(path, sep).and_then(|f| f.not(hash)) {
                return Some(name);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hash: &str, name: &str, path: &str) -> Torrent {
        let mut t = crate::rules::fields::sample_torrent();
        t.hash = hash.into();
        t.name = name.into();
        t.content_path = path.into();
        t
    }

    #[test]
    fn overlapping_content_paths_are_found_in_every_direction() {
        let torrents = vec![
            t("a", "Movie", "/dl/Movie (2020)"),
            t("b", "Movie cross-seed", "/dl/Movie (2020)/"),
            t("c", "Season", "/dl/Show S01"),
            t("d", "Episode", "/dl/Show S01/Show S01E01.mkv"),
            t("e", "Alone", "/dl/Alone.mkv"),
            t("f", "Alone2", "/dl/Alone.mkv.part"),
            t("g", "No metadata", ""),
        ];
        let shared = SharedFiles::new(&torrents);
        assert_eq!(
            shared.with("a", "/dl/Movie (2020)"),
            Some("Movie cross-seed")
        );
        assert_eq!(shared.with("b", "/dl/Movie (2020)/"), Some("Movie"));
        assert_eq!(shared.with("c", "/dl/Show S01"), Some("Episode"));
        assert_eq!(
            shared.with("d", "/dl/Show S01/Show S01E01.mkv"),
            Some("Season")
        );
        assert_eq!(
            shared.with("e", "/dl/Alone.mkv"),
            None,
            "a name prefix is not a folder"
        );
        assert_eq!(shared.with("f", "/dl/Alone.mkv.part"), None);
        assert_eq!(shared.with("g", ""), None);
        // A torrent without a root folder: its content path is the save folder.
        let mut all = torrents;
        all.push(t("h", "Loose files", "/dl"));
        let shared = SharedFiles::new(&all);
        // Of the torrents inside it, the first by hash.
        assert_eq!(shared.with("h", "/dl"), Some("Movie"));
        assert_eq!(shared.with("e", "/dl/Alone.mkv"), Some("Loose files"));
    }

    /// The index before it was one: the paths sorted, each question a binary search, the
    /// first match in (hash, path, name) order answering it.
    fn sorted_answer(torrents: &[Torrent], hash: &str, content_path: &str) -> Option<String> {
        let mut paths: Vec<(&str, &str, &str)> = torrents
            .iter()
            .map(|t| (trimmed(&t.content_path), t.hash.as_str(), t.name.as_str()))
            .filter(|(p, _, _)| !p.is_empty())
            .collect();
        paths.sort_unstable();
        let path = trimmed(content_path);
        if path.is_empty() {
            return None;
        }
        let first = |matching: &mut dyn Iterator<Item = &(&str, &str, &str)>| {
            matching
                .filter(|(_, h, _)| *h != hash)
                .min_by_key(|(p, h, name)| (*h, *p, *name))
                .map(|(_, _, name)| name.to_string())
        };
        let other = |p: &str| {
            let start = paths.partition_point(|(q, _, _)| *q < p);
            first(&mut paths[start..].iter().take_while(|(q, _, _)| *q == p))
        };
        if let Some(name) = other(path) {
            return Some(name);
        }
        for (i, c) in path.char_indices() {
            if (c == '/' || c == '\\')
                && i > 0
                && let Some(name) = other(&path[..i])
            {
                return Some(name);
            }
        }
        for sep in ['/', '\\'] {
            let prefix = format!("{path}{sep}");
            let start = paths.partition_point(|(q, _, _)| *q < prefix.as_str());
            let inside = &mut paths[start..]
                .iter()
                .take_while(|(q, _, _)| q.starts_with(&prefix));
            if let Some(name) = first(inside) {
                return Some(name);
            }
        }
        None
    }

    #[test]
    fn answers_as_the_sorted_paths_did() {
        // Few names and hashes, so that paths nest, repeat and share hashes in every way.
        let parts = ["a", "b", "a b", "\\", "/", "é"];
        let mut torrents = vec![];
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for i in 0..400 {
            let mut path = String::new();
            for _ in 0..next(6) {
                path.push_str(parts[next(parts.len())]);
            }
            let hash = format!("{:02}", next(12));
            torrents.push(t(&hash, &format!("t{i}"), &path));
        }
        let shared = SharedFiles::new(&torrents);
        for q in &torrents {
            for hash in [q.hash.as_str(), "zz"] {
                assert_eq!(
                    shared.with(hash, &q.content_path).map(str::to_string),
                    sorted_answer(&torrents, hash, &q.content_path),
                    "{hash} {:?}",
                    q.content_path
                );
            }
        }
    }
}
