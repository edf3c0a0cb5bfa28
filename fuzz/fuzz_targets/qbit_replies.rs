//! Every qBittorrent reply parser on arbitrary bytes: never panics, and what parses is sane
//! (lower-case non-empty hashes, progress within 0..=1, no negative time stamps).
//!
//! `sync/maindata` is also read in pieces, as it arrives from the network: the same bytes
//! cut at places taken from the bytes themselves must give exactly what the whole body
//! gives (the same state, or an error both ways).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sweeparr::model::Torrent;
use sweeparr::qbit::maindata::{MainData, MainDataReader, parse_maindata};
use sweeparr::qbit::wire;

/// Invariants of every parsed torrent.
fn check_torrent(t: &Torrent) {
    assert!(!t.hash.is_empty());
    assert_eq!(t.hash, t.hash.to_ascii_lowercase());
    assert!((0.0..=1.0).contains(&t.progress), "progress {}", t.progress);
    assert!(t.added_on >= 0 && t.last_activity >= 0);
    let _ = (t.is_complete(), t.download_id(), t.has_tag(""));
}

/// Feeds `data` to a [`MainDataReader`] in pieces of 1 to 97 bytes, each size taken from a
/// byte of `data`; the first error ends the reading.
fn maindata_in_pieces(data: &[u8]) -> Result<MainData, String> {
    let mut reader = MainDataReader::default();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let size = (1 + usize::from(data[i % data.len()]) % 97).min(rest.len());
        let (piece, tail) = rest.split_at(size);
        reader.feed(piece)?;
        rest = tail;
        i += 1;
    }
    reader.finish()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(torrents) = wire::parse_torrents(data) {
        torrents.iter().for_each(check_torrent);
    }
    if let Ok(trackers) = wire::parse_trackers(data) {
        for t in trackers {
            assert!(t.tier >= 0 && !t.url.is_empty());
            let _ = t.is_failing();
            let _ = sweeparr::model::tracker_host(&t.url);
        }
    }
    let _ = wire::parse_files(data);
    let _ = wire::parse_private(data);
    let _ = wire::parse_categories(data);
    if let Ok(text) = wire::parse_text(data) {
        let _ = wire::api_generation(&text);
    }

    let whole = parse_maindata(data);
    let pieces = maindata_in_pieces(data);
    assert_eq!(
        whole.as_ref().ok(),
        pieces.as_ref().ok(),
        "{whole:?} / {pieces:?}"
    );
    if let Ok(m) = whole {
        m.torrents.iter().for_each(check_torrent);
        assert!(
            m.categories.windows(2).all(|w| w[0] < w[1]),
            "sorted, unique"
        );
        assert_eq!(m.shape.torrents, m.torrents.len());
        assert!(m.shape.with_private <= m.shape.torrents);
        assert!(m.shape.with_tracker_flags <= m.shape.torrents);
        let _ = m.shape.contradicts("2.8.19");
    }
});
