//! Files that more than one torrent of an instance uses (cross-seeds): deleting one of those
//! torrents with its files would take data the other still seeds or downloads.
//!
//! Two torrents share files when their content paths are the same, or one lies inside the
//! other (a single file inside another torrent's folder, a folder holding another torrent's
//! data, or a multi-file torrent without a root folder whose content path is the save folder).

use crate::model::Torrent;

/// The content paths of one instance's torrents, sorted, to ask which other torrent uses
/// files of a given one.
#[derive(Debug, Default)]
pub struct SharedFiles<'a> {
    /// (content path without trailing separator, hash, name), sorted by path.
    paths: Vec<(&'a str, &'a str, &'a str)>,
}

/// A path without trailing separators.
fn trimmed(path: &str) -> &str {
    path.trim_end_matches(['/', '\\'])
}

impl<'a> SharedFiles<'a> {
    /// Indexes the torrents of one instance.
    pub fn new(torrents: &'a [Torrent]) -> Self {
        let mut paths: Vec<(&str, &str, &str)> = torrents
            .iter()
            .map(|t| (trimmed(&t.content_path), t.hash.as_str(), t.name.as_str()))
            .filter(|(p, _, _)| !p.is_empty())
            .collect();
        paths.sort_unstable();
        SharedFiles { paths }
    }

    /// The name of another torrent (not `hash`) whose files overlap `content_path`, if any.
    pub fn with(&self, hash: &str, content_path: &str) -> Option<&'a str> {
        let path = trimmed(content_path);
        if path.is_empty() {
            return None;
        }
        let other = |p: &str| {
            let start = self.paths.partition_point(|(q, _, _)| *q < p);
            self.paths[start..]
                .iter()
                .take_while(|(q, _, _)| *q == p)
                .find(|(_, h, _)| *h != hash)
                .map(|(_, _, name)| *name)
        };
        // The same path.
        if let Some(name) = other(path) {
            return Some(name);
        }
        // A torrent whose folder holds this one.
        for (i, c) in path.char_indices() {
            if (c == '/' || c == '\\')
                && i > 0
                && let Some(name) = other(&path[..i])
            {
                return Some(name);
            }
        }
        // A torrent inside this one's folder.
        for sep in ['/', '\\'] {
            let prefix = format!("{path}{sep}");
            let start = self.paths.partition_point(|(q, _, _)| *q < prefix.as_str());
            if let Some((_, _, name)) = self.paths[start..]
                .iter()
                .take_while(|(q, _, _)| q.starts_with(&prefix))
                .find(|(_, h, _)| *h != hash)
            {
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
}
