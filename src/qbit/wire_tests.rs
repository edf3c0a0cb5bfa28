//! Wire parsing against real qBittorrent 4.5.2 replies
//! (`tests/fixtures/bookworm/samples-4.5.2.json`) and a synthetic 5.x torrent object.

use super::*;

/// The real 4.5.2 replies, kept in the repository beside the other qBittorrent fixtures.
const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/bookworm/samples-4.5.2.json"
);

/// The samples file as JSON.
fn samples() -> serde_json::Value {
    let text = std::fs::read_to_string(SAMPLES).expect("read samples");
    serde_json::from_str(&text).expect("samples are JSON")
}

/// One sample reply re-serialised to bytes, as the server would send it.
fn reply(samples: &serde_json::Value, pointer: &str) -> Vec<u8> {
    let value = samples
        .pointer(pointer)
        .unwrap_or_else(|| panic!("sample {pointer} missing"));
    serde_json::to_vec(value).unwrap()
}

const SEEDING: &str = "e79338ba4d6d5c90b9ee081d5cdb35d8524ab5a6";
const STALLED: &str = "079bda3a28b0fcd4e225c658f1fe22e532068396";

#[test]
fn real_torrents_info_is_normalised() {
    let s = samples();
    let torrents = parse_torrents(&reply(&s, "/torrents~1info")).unwrap();
    assert_eq!(torrents.len(), 2);

    let seeding = torrents.iter().find(|t| t.hash == SEEDING).unwrap();
    assert_eq!(seeding.name, "sample-single.bin");
    assert_eq!(seeding.status, Status::StalledUp);
    assert_eq!(seeding.state, "stalledUP");
    assert_eq!(seeding.category, "radarr");
    assert_eq!(seeding.tags, vec!["newtag", "qbitrr-test", "t1"]);
    assert_eq!(
        (seeding.size, seeding.completed, seeding.amount_left),
        (300_000, 300_000, 0)
    );
    assert_eq!(seeding.progress, 1.0);
    assert_eq!(seeding.ratio, 0.0);
    assert_eq!(seeding.seeding_time, 17);
    assert_eq!(seeding.eta, Some(7183));
    assert_eq!(seeding.availability, None, "-1 means unknown");
    assert_eq!(seeding.added_on, 1_795_234_600);
    assert_eq!(seeding.completion_on, Some(1_795_234_600));
    assert_eq!(seeding.last_activity, 1_795_234_600);
    assert_eq!(
        seeding.content_path,
        "/tmp/research-api/dl/sample-single.bin"
    );
    assert_eq!(seeding.save_path, "/tmp/research-api/dl");
    assert_eq!(seeding.tracker, "");
    assert_eq!(seeding.trackers_count, 2);
    assert_eq!((seeding.dlspeed, seeding.upspeed), (0, 0));
    assert_eq!((seeding.num_seeds, seeding.num_leechs), (0, 0));
    assert!(seeding.is_complete());

    let stalled = torrents.iter().find(|t| t.hash == STALLED).unwrap();
    assert_eq!(stalled.status, Status::StalledDl);
    assert_eq!(stalled.category, "sonarr");
    assert!(stalled.tags.is_empty());
    assert_eq!(stalled.amount_left, 300_000);
    assert_eq!(stalled.eta, None, "8640000 means infinite");
    assert_eq!(stalled.availability, Some(0.0));
    assert_eq!(stalled.completion_on, None, "0 on 4.x means never");
    assert!(!stalled.is_complete());
}

#[test]
fn paused_states_of_4x_map_to_paused() {
    let s = samples();
    let pairs = s["torrents/info_states_after_pause"].as_array().unwrap();
    let states: Vec<Status> = pairs
        .iter()
        .map(|p| Status::from_qbit(p[1].as_str().unwrap()))
        .collect();
    assert_eq!(states, vec![Status::PausedUp, Status::PausedDl]);
}

#[test]
fn real_trackers_drop_pseudo_entries() {
    let s = samples();
    let public = parse_trackers(&reply(
        &s,
        &format!("/torrents~1trackers/{SEEDING} (public, 2 tiers)"),
    ))
    .unwrap();
    assert_eq!(
        public,
        vec![
            Tracker {
                url: "http://127.0.0.1:1/announce".into(),
                tier: 0,
                status: 4,
                msg: "Connection refused".into(),
            },
            Tracker {
                url: "http://127.0.0.1:2/announce".into(),
                tier: 1,
                status: 4,
                msg: "Connection refused".into(),
            },
        ]
    );
    assert!(public.iter().all(Tracker::is_failing));

    let private = parse_trackers(&reply(
        &s,
        &format!("/torrents~1trackers/{STALLED} (private)"),
    ))
    .unwrap();
    assert_eq!(private.len(), 1);
    assert_eq!(private[0].url, "http://127.0.0.1:1/announce");
}

#[test]
fn real_files_are_listed_with_size_and_priority() {
    let s = samples();
    let files = parse_files(&reply(&s, &format!("/torrents~1files/{STALLED}"))).unwrap();
    assert_eq!(
        files,
        vec![
            TorrentFile {
                name: "sample-multi/a.bin".into(),
                size: 200_000,
                priority: 1
            },
            TorrentFile {
                name: "sample-multi/b.txt".into(),
                size: 100_000,
                priority: 1
            },
        ]
    );
}

#[test]
fn real_categories_give_names() {
    let s = samples();
    let names = parse_categories(&reply(&s, "/torrents~1categories")).unwrap();
    assert_eq!(names, vec!["lidarr", "radarr", "sonarr"]);
    assert!(parse_categories(b"{}").unwrap().is_empty());
}

#[test]
fn real_versions_give_v4() {
    let s = samples();
    let api = s["_about"]["app/webapiVersion"].as_str().unwrap();
    assert_eq!(api_generation(api), Some(ApiGeneration::V4));
    assert_eq!(
        parse_text(s["_about"]["app/version"].as_str().unwrap().as_bytes()).unwrap(),
        "v4.5.2"
    );
}

#[test]
fn generation_is_compared_numerically() {
    assert_eq!(api_generation("2.9.3"), Some(ApiGeneration::V4));
    assert_eq!(api_generation("2.10.4"), Some(ApiGeneration::V4));
    assert_eq!(api_generation("2.11.2"), Some(ApiGeneration::V5));
    assert_eq!(api_generation("2.15.1\n"), Some(ApiGeneration::V5));
    assert_eq!(api_generation("3.0"), Some(ApiGeneration::V5));
    assert_eq!(api_generation("Forbidden"), None);
    assert_eq!(api_generation(""), None);
}

/// A torrent object as qBittorrent 5.x sends it: `stoppedDL`, `completion_on` -1,
/// `private`, `root_path`, `has_metadata`, ratio over 9999, negative eta.
const TORRENT_5X: &str = r#"[{
    "added_on": 1795234600, "amount_left": 1048576, "auto_tmm": false, "availability": 0.5,
    "category": "sonarr", "comment": "", "completed": 0, "completion_on": -1,
    "content_path": "/data/Show.S01", "dl_limit": -1, "dlspeed": 0, "download_path": "",
    "downloaded": 0, "downloaded_session": 0, "eta": -1, "f_l_piece_prio": false,
    "force_start": false, "has_metadata": true, "hash": "ABCDEF0123456789ABCDEF0123456789ABCDEF01",
    "inactive_seeding_time_limit": -2, "infohash_v1": "abcdef0123456789abcdef0123456789abcdef01",
    "infohash_v2": "", "last_activity": 1795234700, "magnet_uri": "magnet:?xt=urn:btih:abc",
    "max_inactive_seeding_time": -1, "max_ratio": -1, "max_seeding_time": -1,
    "name": "Show.S01", "num_complete": -1, "num_incomplete": -1, "num_leechs": 0,
    "num_seeds": 0, "popularity": 0, "priority": 0, "private": true, "progress": 0,
    "ratio": -1, "ratio_limit": -2, "reannounce": 1700, "root_path": "/data/Show.S01",
    "save_path": "/data", "seeding_time": 0, "seeding_time_limit": -2, "seen_complete": -1,
    "seq_dl": false, "size": 1048576, "state": "stoppedDL", "super_seeding": false,
    "tags": " a ,,b, ", "time_active": 0, "total_size": 1048576,
    "tracker": "", "trackers_count": 1, "up_limit": -1, "uploaded": 0,
    "uploaded_session": 0, "upspeed": 0
}]"#;

#[test]
fn synthetic_5x_torrent_is_normalised() {
    let t = &parse_torrents(TORRENT_5X.as_bytes()).unwrap()[0];
    assert_eq!(t.hash, "abcdef0123456789abcdef0123456789abcdef01");
    assert_eq!(t.status, Status::PausedDl);
    assert_eq!(t.state, "stoppedDL");
    assert_eq!(t.completion_on, None, "-1 on 5.x means never");
    assert_eq!(t.eta, None, "negative eta means unknown");
    assert_eq!(t.ratio, f64::INFINITY, "-1 means over 9999");
    assert_eq!(t.availability, Some(0.5));
    assert_eq!(t.tags, vec!["a", "b"]);
    assert_eq!(t.download_id(), "ABCDEF0123456789ABCDEF0123456789ABCDEF01");
    assert_eq!(t.private, Some(true));
    assert_eq!((t.ratio_limit, t.seeding_time_limit), (-2.0, -2));
    assert_eq!(t.inactive_seeding_time_limit, Some(-2));
}

#[test]
fn properties_give_the_private_flag() {
    assert_eq!(
        parse_private(br#"{"is_private":true,"name":"x"}"#),
        Ok(Some(true))
    );
    assert_eq!(parse_private(br#"{"private":false}"#), Ok(Some(false)));
    assert_eq!(parse_private(br#"{"name":"x"}"#), Ok(None));
    assert!(parse_private(b"[]").is_err());
}

#[test]
fn missing_optional_fields_take_defaults() {
    let t = &parse_torrents(br#"[{"hash":"AB","state":"uploading","private":null}]"#).unwrap()[0];
    assert_eq!(t.hash, "ab");
    assert_eq!(t.status, Status::Uploading);
    assert_eq!((t.size, t.amount_left), (0, 0));
    assert_eq!((t.eta, t.availability, t.completion_on), (None, None, None));
    assert!(t.tags.is_empty());
    assert_eq!(
        t.private, None,
        "null while metadata is missing, absent on 4.x"
    );
    assert_eq!(t.inactive_seeding_time_limit, None, "absent before 4.6");
}

#[test]
fn malformed_replies_are_errors() {
    assert!(parse_torrents(b"[{\"hash\":\"ab\"").is_err(), "truncated");
    assert!(parse_torrents(b"Forbidden").is_err());
    assert!(parse_torrents(br#"[{"name":"no hash"}]"#).is_err());
    assert!(
        parse_torrents(br#"{"hash":"ab"}"#).is_err(),
        "object, not array"
    );
    assert!(parse_trackers(b"").is_err());
    assert!(parse_text(b"  \n").is_err());
}

#[test]
fn old_string_tiers_are_tolerated() {
    let t = parse_trackers(
        br#"[{"url":"** [DHT] **","tier":"","status":0,"msg":""},
             {"url":"http://t/announce","tier":"0","status":2,"msg":""}]"#,
    )
    .unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].tier, 0);
}

/// What the list means when read in one piece by serde_json directly, without the framing
/// of [`TorrentListReader`]: the reference the reader must agree with.
fn reference(body: &[u8]) -> Option<Vec<Torrent>> {
    let wire: Vec<WireTorrent> = serde_json::from_slice(body).ok()?;
    wire.into_iter().map(|w| w.into_torrent().ok()).collect()
}

/// Feeds `body` cut at `cuts` (positions, any order, clamped to the body).
fn read_in_pieces(body: &[u8], cuts: &[usize]) -> Result<Vec<Torrent>, String> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    at.push(body.len());
    at.sort_unstable();
    let mut reader = TorrentListReader::default();
    let mut from = 0;
    for to in at {
        reader.feed(&body[from..to])?;
        from = to;
    }
    reader.finish()
}

#[test]
fn the_list_reader_takes_any_cut_of_the_real_reply() {
    let body = reply(&samples(), "/torrents~1info");
    let whole = parse_torrents(&body).unwrap();
    for size in [1, 2, 3, 7, 64, 1000] {
        let cuts: Vec<usize> = (size..body.len()).step_by(size).collect();
        assert_eq!(
            read_in_pieces(&body, &cuts).unwrap(),
            whole,
            "pieces of {size}"
        );
    }
}

#[test]
fn the_list_reader_names_what_is_wrong() {
    let err = |body: &str| parse_torrents(body.as_bytes()).unwrap_err();
    assert!(err("").contains("empty reply"), "{}", err(""));
    assert!(err("Forbidden").contains("expected a list"));
    assert!(err(r#"[{"hash":"ab"},]"#).contains("',' before the end"));
    assert!(err(r#"[{"hash":"ab"}] x"#).contains("trailing characters"));
    assert!(err(r#"[{"hash":"ab"},{"hash":"#).contains("after 1 torrents (truncated)"));
    assert!(err(r#"[{"hash":"ab"},{"name":"x"}]"#).starts_with("torrent 1 of the list"));
    assert_eq!(parse_torrents(b" [ ] \n").unwrap(), vec![]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Whatever the bytes and wherever the reply is cut into pieces, the reader accepts
    /// exactly what serde_json accepts whole, with the same torrents.
    #[test]
    fn the_list_reader_agrees_with_reading_whole(
        names in proptest::collection::vec(
            proptest::string::string_regex(r#"[a-z\\"{}\[\],: é✓\n]{0,12}"#).unwrap(), 0..5),
        nested in proptest::bool::ANY,
        spaces in proptest::string::string_regex("[ \t\r\n]{0,3}").unwrap(),
        edits in proptest::collection::vec(
            (proptest::num::usize::ANY, proptest::sample::select(
                &[None, Some(b'['), Some(b']'), Some(b'{'), Some(b'}'), Some(b','),
                  Some(b'"'), Some(b'\\'), Some(b' '), Some(b':')][..])), 0..3),
        cuts in proptest::collection::vec(proptest::num::usize::ANY, 0..6),
    ) {
        let items: Vec<serde_json::Value> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut item = serde_json::json!({
                    "hash": format!("{i:040x}"), "name": name, "tags": name,
                    "state": "uploading", "size": i,
                });
                if nested {
                    item["trackers"] = serde_json::json!([[name], {"x": [name]}]);
                }
                item
            })
            .collect();
        let text = serde_json::to_string_pretty(&items).unwrap().replace('\n', &format!("\n{spaces}"));
        let mut body = format!("{spaces}{text}{spaces}").into_bytes();
        // Damage: each edit deletes the byte at a position (None) or inserts one there.
        for (at, byte) in edits {
            let at = at % (body.len() + 1);
            match byte {
                Some(b) => body.insert(at, b),
                None if at < body.len() => { body.remove(at); }
                None => {}
            }
        }
        let expected = reference(&body);
        let got = read_in_pieces(&body, &cuts);
        proptest::prop_assert_eq!(got.as_ref().ok(), expected.as_ref(),
            "body {:?}: {:?}", String::from_utf8_lossy(&body), got);
    }
}
