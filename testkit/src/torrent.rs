//! `.torrent` files for tests: data written to disk, the torrent made with `mktorrent`, and
//! the info-hash computed from the file so tests know it before qBittorrent does.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes test data and a `.torrent` for it with `mktorrent`; returns the `.torrent` path
/// (`dir/<name>.torrent`) and the lower-case info-hash.
///
/// One entry in `files` makes a single-file torrent whose file is `dir/<name>` (the entry's
/// size is used, its name is not). More entries make a multi-file torrent: folder
/// `dir/<name>/` holding each entry's relative path (which may contain `/`). File contents are
/// derived from `name` and the path, so different names give different hashes. Keep the data
/// for a complete torrent (add it with `dir` = the save dir); delete it for one that stays
/// `stalledDL`.
pub fn make_torrent(
    dir: &Path,
    name: &str,
    files: &[(&str, usize)],
    tracker_url: &str,
    private: bool,
) -> (PathBuf, String) {
    assert!(!files.is_empty(), "a torrent needs at least one file");
    let target = dir.join(name);
    if files.len() == 1 {
        std::fs::write(&target, content(name, files[0].1)).expect("write data");
    } else {
        for (rel, size) in files {
            let path = target.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).expect("data dir");
            std::fs::write(&path, content(&format!("{name}/{rel}"), *size)).expect("write data");
        }
    }
    let out = dir.join(format!("{name}.torrent"));
    let _ = std::fs::remove_file(&out);
    let mut cmd = Command::new("mktorrent");
    cmd.args(["-l", "15", "-t", "1", "-a", tracker_url, "-o"])
        .arg(&out);
    if private {
        cmd.arg("-p");
    }
    let result = cmd
        .arg(&target)
        .output()
        .expect("run mktorrent (apt-get install mktorrent)");
    assert!(
        result.status.success(),
        "mktorrent failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let bytes = std::fs::read(&out).expect("read .torrent");
    (out, info_hash(&bytes))
}

/// Deterministic bytes for a file, from a seed string.
fn content(seed: &str, size: usize) -> Vec<u8> {
    let mut x: u64 = seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// SHA-1 of the bencoded `info` dictionary of a `.torrent`, lower-case hex.
pub fn info_hash(torrent: &[u8]) -> String {
    assert_eq!(torrent.first(), Some(&b'd'), "not a bencoded dictionary");
    let mut i = 1;
    while torrent[i] != b'e' {
        let (key, value_start) = bencode_string(torrent, i);
        let value_end = bencode_skip(torrent, value_start);
        if key == b"info" {
            return sha1_smol::Sha1::from(&torrent[value_start..value_end])
                .digest()
                .to_string();
        }
        i = value_end;
    }
    panic!("no info dictionary in .torrent")
}

/// Reads `<len>:<bytes>` at `i`; returns the bytes and the index after them.
fn bencode_string(b: &[u8], i: usize) -> (&[u8], usize) {
    let colon = i + b[i..].iter().position(|&c| c == b':').expect("bencode ':'");
    let len: usize = std::str::from_utf8(&b[i..colon])
        .unwrap()
        .parse()
        .expect("bencode length");
    (&b[colon + 1..colon + 1 + len], colon + 1 + len)
}

/// Index just after the bencoded value starting at `i`.
fn bencode_skip(b: &[u8], i: usize) -> usize {
    match b[i] {
        b'i' => i + b[i..].iter().position(|&c| c == b'e').expect("bencode int") + 1,
        b'l' | b'd' => {
            let mut j = i + 1;
            while b[j] != b'e' {
                j = bencode_skip(b, j);
            }
            j + 1
        }
        _ => bencode_string(b, i).1,
    }
}
