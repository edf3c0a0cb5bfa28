//! Files that more than one torrent of an instance uses (cross-seeds): deleting one of those
//! torrents with its files would take data the other still seeds or downloads.
//!
//! Two torrents share files when their content paths are the same, or one lies inside the
//! other (a single file inside another torrent's folder, a folder holding another torrent's
//! data, or a multi-file torrent without a root folder whose content path is the save folder).

use rustc_hash::FxHashMap;

use crate::model::Torrent;

/// The content paths of one instance's torrents, to ask which other torrent uses files of a
/// given one.
#[derive(Debug, Default)]
pub struct SharedFiles<'a> {
    index: Index<'a>,
}

/// (content path without trailing separator, hash, name); ordered as tuples, the first of
/// the torrents matching a question in that order answers it.
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
            if e.1 != self.first.1 {
                self.other = Some(self.first);
            }
            self.first = e;
        } else if e.1 != self.first.1 && self.other.is_none_or(|o| e < o) {
            self.other = Some(e);
        }
    }

    /// The name of the first entry whose hash is not `hash`.
    fn not(&self, hash: &str) -> Option<&'a str> {
        if self.first.1 != hash {
            Some(self.first.2)
        } else {
            self.other.map(|o| o.2)
        }
    }
}

/// The torrents by content path, and by each folder holding their content with the
/// separator after it: a hash look-up per question, and building it reads each path once
/// (sorting the paths cost more than the rest of a pass's work on them).
#[derive(Debug, Default)]
struct Index<'a> {
    by_path: FxHashMap<&'a str, FirstTwo<'a>>,
    by_folder: FxHashMap<(&'a str, u8), FirstTwo<'a>>,
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
        let mut index = Index::default();
        for t in torrents {
            let path = trimmed(&t.content_path);
            if path.is_empty() {
                continue;
            }
            let e = (path, t.hash.as_str(), t.name.as_str());
            index
                .by_path
                .entry(path)
                .and_modify(|f| f.offer(e))
                .or_insert_with(|| FirstTwo::new(e));
            for (i, &c) in path.as_bytes().iter().enumerate().skip(1) {
                if is_separator(c) {
                    index
                        .by_folder
                        .entry((&path[..i], c))
                        .and_modify(|f| f.offer(e))
                        .or_insert_with(|| FirstTwo::new(e));
                }
            }
        }
        index
    }
}

impl<'a> SharedFiles<'a> {
    /// Indexes the torrents of one instance.
    pub fn new(torrents: &'a [Torrent]) -> Self {
        SharedFiles {
            index: Index::new(torrents),
        }
    }

    /// The name of another torrent (not `hash`) whose files overlap `content_path`, if any.
    pub fn with(&self, hash: &str, content_path: &str) -> Option<&'a str> {
        let path = trimmed(content_path);
        if path.is_empty() {
            return None;
        }
        let index = &self.index;
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
            if let Some(name) = index.by_folder.get(&(path, sep)).and_then(|f| f.not(hash)) {
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
        assert_eq!(shared.with("h", "/dl"), Some("Alone"));
        assert_eq!(shared.with("e", "/dl/Alone.mkv"), Some("Loose files"));
    }

    /// The index before it was one: the paths sorted, each question a binary search.
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
        let other = |p: &str| {
            let start = paths.partition_point(|(q, _, _)| *q < p);
            paths[start..]
                .iter()
                .take_while(|(q, _, _)| *q == p)
                .find(|(_, h, _)| *h != hash)
                .map(|(_, _, name)| name.to_string())
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
            if let Some((_, _, name)) = paths[start..]
                .iter()
                .take_while(|(q, _, _)| q.starts_with(&prefix))
                .find(|(_, h, _)| *h != hash)
            {
                return Some(name.to_string());
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
