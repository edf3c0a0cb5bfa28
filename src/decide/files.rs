//! File filters: which files of a download are not wanted (`exclude_files`, `keep_only`).
//!
//! Decided from the file list read once per torrent. Unwanted files get priority 0 while the
//! torrent downloads; a torrent with no wanted file left is failed (health). Blocked
//! extensions are not a filter: they fail the whole torrent (a fake release).

use crate::config::Health;
use crate::model::TorrentFile;

/// How many file names a `deselect` reason names before "and N more".
const NAMED: usize = 5;

/// Why a file is not wanted, if it is not.
pub fn unwanted<'h>(name: &str, health: &'h Health) -> Option<Unwanted<'h>> {
    if let Some(pattern) = health.exclude_files.first_match(name) {
        return Some(Unwanted::Excluded(pattern));
    }
    if !health.keep_only.is_empty() && !super::observe::has_extension(name, &health.keep_only) {
        return Some(Unwanted::NotKept);
    }
    None
}

/// Why a file is not wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwanted<'h> {
    /// It matches this `exclude_files` pattern.
    Excluded(&'h str),
    /// Its extension is not in `keep_only`.
    NotKept,
}

/// True when a filter is set: the file list is worth reading for it.
pub fn filters_on(health: &Health) -> bool {
    !health.exclude_files.is_empty() || !health.keep_only.is_empty()
}

/// What the filters make of one file list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileVerdict {
    /// Indexes of the selected files not wanted (to set to priority 0).
    pub deselect: Vec<usize>,
    /// True when files are selected and none of them is wanted.
    pub none_wanted: bool,
    /// For a reason: the files deselected, with why.
    pub reason: String,
}

/// Judges `files` (in `torrents/files` order) under the filters of `health`.
pub fn judge(files: &[TorrentFile], health: &Health) -> FileVerdict {
    if !filters_on(health) {
        return FileVerdict::default();
    }
    let mut out = FileVerdict::default();
    let mut wanted = 0usize;
    let mut named: Vec<String> = Vec::new();
    for (i, f) in files.iter().enumerate().filter(|(_, f)| f.priority > 0) {
        match unwanted(&f.name, health) {
            None => wanted += 1,
            Some(why) => {
                out.deselect.push(i);
                if named.len() < NAMED {
                    named.push(match why {
                        Unwanted::Excluded(p) => format!("{} (exclude_files {p:?})", f.name),
                        Unwanted::NotKept => format!("{} (not in keep_only)", f.name),
                    });
                }
            }
        }
    }
    out.none_wanted = wanted == 0 && !out.deselect.is_empty();
    if out.deselect.len() > named.len() {
        named.push(format!("and {} more", out.deselect.len() - named.len()));
    }
    out.reason = named.join(", ");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileGlobs;

    fn file(name: &str, priority: i64) -> TorrentFile {
        TorrentFile {
            name: name.into(),
            size: 1000,
            priority,
        }
    }

    fn health(globs: &[&str], keep: &[&str]) -> Health {
        Health {
            exclude_files: FileGlobs::new(globs.iter().map(|g| g.to_string()).collect()).unwrap(),
            keep_only: keep.iter().map(|e| e.to_string()).collect(),
            ..Health::default()
        }
    }

    #[test]
    fn excluded_and_not_kept_files_are_deselected_and_named() {
        let h = health(&["*sample*", "*.nfo"], &[".mkv", ".srt"]);
        let files = [
            file("Movie/Movie.mkv", 1),
            file("Movie/Sample/movie-sample.mkv", 1),
            file("Movie/movie.NFO", 1),
            file("Movie/cover.jpg", 1),
            file("Movie/Movie.en.srt", 1),
            file("Movie/already-off.txt", 0),
        ];
        let v = judge(&files, &h);
        assert_eq!(v.deselect, vec![1, 2, 3]);
        assert!(!v.none_wanted);
        assert_eq!(
            v.reason,
            "Movie/Sample/movie-sample.mkv (exclude_files \"*sample*\"), Movie/movie.NFO \
             (exclude_files \"*.nfo\"), Movie/cover.jpg (not in keep_only)"
        );
    }

    #[test]
    fn a_list_with_nothing_wanted_is_none_wanted_and_a_clean_one_is_nothing() {
        let h = health(&["*.txt"], &[".flac"]);
        let v = judge(&[file("a/readme.txt", 1), file("a/cover.jpg", 4)], &h);
        assert!(v.none_wanted);
        assert_eq!(v.deselect, vec![0, 1]);
        let v = judge(&[file("a/01.flac", 1), file("a/x.txt", 0)], &h);
        assert_eq!(v, FileVerdict::default());
        // Every file deselected by hand: nothing is judged unwanted.
        let v = judge(&[file("a/x.txt", 0)], &h);
        assert!(!v.none_wanted && v.deselect.is_empty());
    }

    #[test]
    fn no_filter_judges_nothing_and_long_lists_are_cut() {
        let files: Vec<_> = (0..9).map(|i| file(&format!("x/{i}.nfo"), 1)).collect();
        assert_eq!(judge(&files, &Health::default()), FileVerdict::default());
        let mut files = files;
        files.push(file("x/movie.mkv", 1));
        let v = judge(&files, &health(&["*.NFO"], &[]));
        assert_eq!(v.deselect.len(), 9);
        assert!(v.reason.ends_with(", and 4 more"), "{}", v.reason);
    }
}
