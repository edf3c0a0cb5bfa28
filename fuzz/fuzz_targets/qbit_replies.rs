//! Every qBittorrent reply parser on arbitrary bytes: never panics, and what parses is sane
//! (lower-case non-empty hashes, progress within 0..=1, no negative time stamps).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sweeparr::qbit::wire;

fuzz_target!(|data: &[u8]| {
    if let Ok(torrents) = wire::parse_torrents(data) {
        for t in torrents {
            assert!(!t.hash.is_empty());
            assert_eq!(t.hash, t.hash.to_ascii_lowercase());
            assert!((0.0..=1.0).contains(&t.progress), "progress {}", t.progress);
            assert!(t.added_on >= 0 && t.last_activity >= 0);
            let _ = (t.is_complete(), t.download_id(), t.has_tag(""));
        }
    }
    if let Ok(trackers) = wire::parse_trackers(data) {
        for t in trackers {
            assert!(t.tier >= 0 && !t.url.is_empty());
            let _ = t.is_failing();
            let _ = sweeparr::decide::observe::tracker_host(&t.url);
        }
    }
    let _ = wire::parse_files(data);
    let _ = wire::parse_private(data);
    let _ = wire::parse_categories(data);
    if let Ok(text) = wire::parse_text(data) {
        let _ = wire::api_generation(&text);
    }
});
