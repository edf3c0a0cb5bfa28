//! The JSON replies of the WebUI API as qBittorrent sends them, and their conversion into the
//! normalised [`crate::model`] types.
//!
//! Every field is optional on the wire (a missing or `null` field takes a neutral default), so
//! one release adding or dropping a field never makes a whole instance unreadable. Sentinels
//! become `Option`s here: `eta` 8640000 (infinite), `availability` -1 (unknown),
//! `completion_on` 0 (4.x) or -1 (5.x) (never), `ratio` -1 (over 9999). Negative byte counts,
//! durations and time stamps (`added_on`, `last_activity`) become 0, so no later arithmetic
//! on them can overflow.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{ApiGeneration, Status, Torrent, TorrentFile, Tracker};

/// qBittorrent's "infinite" ETA: 100 days in seconds.
const ETA_INFINITE: i64 = 8_640_000;

/// One object of `torrents/info`. Fields only 5.x sends are ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireTorrent {
    hash: Option<String>,
    name: Option<String>,
    state: Option<String>,
    category: Option<String>,
    tags: Option<String>,
    size: Option<i64>,
    completed: Option<i64>,
    amount_left: Option<i64>,
    progress: Option<f64>,
    ratio: Option<f64>,
    seeding_time: Option<i64>,
    eta: Option<i64>,
    availability: Option<f64>,
    added_on: Option<i64>,
    completion_on: Option<i64>,
    last_activity: Option<i64>,
    content_path: Option<String>,
    save_path: Option<String>,
    tracker: Option<String>,
    trackers_count: Option<i64>,
    dlspeed: Option<i64>,
    upspeed: Option<i64>,
    num_seeds: Option<i64>,
    num_leechs: Option<i64>,
    time_active: Option<i64>,
    /// `Some(None)` for a `null` (5.x, metadata missing), `None` when absent (4.x).
    #[serde(default, deserialize_with = "present")]
    private: Option<Option<bool>>,
    has_tracker_error: Option<bool>,
    has_other_announce_error: Option<bool>,
    ratio_limit: Option<f64>,
    seeding_time_limit: Option<i64>,
    inactive_seeding_time_limit: Option<i64>,
    up_limit: Option<i64>,
    dl_limit: Option<i64>,
}

/// One entry of `torrents/trackers`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireTracker {
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    tier: Option<i64>,
    status: Option<i64>,
    msg: Option<String>,
}

/// One entry of `torrents/files`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireFile {
    name: Option<String>,
    size: Option<i64>,
    priority: Option<i64>,
}

/// Accepts an integer, or a string holding one (old releases sent `tier: ""` for the
/// pseudo-trackers); anything else is `None`.
fn lenient_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Tells a `null` member (`Some(None)`) from an absent one (`None`, through `default`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<bool>>, D::Error> {
    Option::<bool>::deserialize(d).map(Some)
}

/// Clamps a byte count or a duration that should never be negative.
fn non_negative(v: Option<i64>) -> u64 {
    u64::try_from(v.unwrap_or(0)).unwrap_or(0)
}

/// Splits qBittorrent's `"a, b,c"` tag string.
pub(crate) fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

impl WireTorrent {
    /// Sets the hash (`sync/maindata` keys its torrents by hash instead).
    pub(crate) fn set_hash(&mut self, hash: String) {
        self.hash = Some(hash);
    }

    /// True when the object carries `private` (qBittorrent 5.0+).
    pub(crate) fn has_private(&self) -> bool {
        self.private.is_some()
    }

    /// True when the object carries the tracker flags of qBittorrent 5.2+.
    pub(crate) fn has_tracker_flags(&self) -> bool {
        self.has_tracker_error.is_some()
    }

    /// Normalises into a [`Torrent`]; fails only when the hash is missing.
    pub(crate) fn into_torrent(self) -> Result<Torrent, String> {
        let hash = self
            .hash
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| "a torrent without a hash".to_string())?
            .trim()
            .to_ascii_lowercase();
        let state = self.state.unwrap_or_default();
        let ratio = match self.ratio {
            Some(r) if r < 0.0 => f64::INFINITY,
            Some(r) => r,
            None => 0.0,
        };
        Ok(Torrent {
            hash,
            name: self.name.unwrap_or_default(),
            status: Status::from_qbit(&state),
            state,
            category: self.category.unwrap_or_default(),
            tags: split_tags(self.tags.as_deref().unwrap_or("")),
            size: non_negative(self.size),
            completed: non_negative(self.completed),
            amount_left: non_negative(self.amount_left),
            progress: self.progress.unwrap_or(0.0).clamp(0.0, 1.0),
            ratio,
            seeding_time: non_negative(self.seeding_time),
            eta: self
                .eta
                .filter(|&e| e >= 0 && e != ETA_INFINITE)
                .map(|e| e as u64),
            availability: self.availability.filter(|&a| a >= 0.0),
            added_on: self.added_on.unwrap_or(0).max(0),
            completion_on: self.completion_on.filter(|&c| c > 0),
            last_activity: self.last_activity.unwrap_or(0).max(0),
            content_path: self.content_path.unwrap_or_default(),
            save_path: self.save_path.unwrap_or_default(),
            tracker: self.tracker.unwrap_or_default(),
            trackers_count: u32::try_from(non_negative(self.trackers_count)).unwrap_or(u32::MAX),
            dlspeed: non_negative(self.dlspeed),
            upspeed: non_negative(self.upspeed),
            num_seeds: self.num_seeds.unwrap_or(0),
            num_leechs: self.num_leechs.unwrap_or(0),
            time_active: non_negative(self.time_active),
            private: self.private.flatten(),
            tracker_error: match (self.has_tracker_error, self.has_other_announce_error) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(false) || b.unwrap_or(false)),
            },
            ratio_limit: self.ratio_limit.unwrap_or(-2.0),
            seeding_time_limit: self.seeding_time_limit.unwrap_or(-2),
            inactive_seeding_time_limit: self.inactive_seeding_time_limit,
            up_limit: self.up_limit.unwrap_or(-1),
            dl_limit: self.dl_limit.unwrap_or(-1),
        })
    }
}

impl WireTracker {
    /// The tracker, or `None` for a pseudo-tracker (`** [DHT] **`, tier -1, ...).
    pub(crate) fn into_tracker(self) -> Option<Tracker> {
        let url = self.url.unwrap_or_default();
        let tier = self.tier.unwrap_or(-1);
        if tier < 0 || url.starts_with("** [") || url.is_empty() {
            return None;
        }
        Some(Tracker {
            url,
            tier,
            status: self.status.unwrap_or(0),
            msg: self.msg.unwrap_or_default(),
        })
    }
}

impl WireFile {
    /// Normalises into a [`TorrentFile`].
    pub(crate) fn into_file(self) -> TorrentFile {
        TorrentFile {
            name: self.name.unwrap_or_default(),
            size: non_negative(self.size),
            priority: self.priority.unwrap_or(1),
        }
    }
}

/// Parses a `torrents/info` reply held whole (through [`TorrentListReader`]).
pub fn parse_torrents(body: &[u8]) -> Result<Vec<Torrent>, String> {
    let mut reader = TorrentListReader::default();
    reader.feed(body)?;
    reader.finish()
}

/// Reads a `torrents/info` reply piece by piece as it arrives: each torrent object is parsed
/// and converted as soon as its last byte is in, then its bytes are dropped. At any moment
/// only the object being received is buffered, never the reply (10,000 torrents are ~14 MB)
/// nor the wire form of the list.
///
/// Only the list's framing is read here (`[`, the commas between objects, `]`, whitespace),
/// following strings and nesting so that a `,` or `]` inside an object is not taken for the
/// end; each object is then parsed by serde_json, which checks everything else.
#[derive(Debug, Default)]
pub struct TorrentListReader {
    /// The object being received (bytes of completed ones are dropped).
    pending: Vec<u8>,
    /// Where the framing is.
    at: Framing,
    /// Nesting depth inside the current object.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Torrents read so far.
    torrents: Vec<Torrent>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Nothing but whitespace yet.
    #[default]
    BeforeList,
    /// After `[`: an object or `]`.
    First,
    /// After `,`: an object.
    Next,
    /// Inside an object (from its first byte to the `,` or `]` that ends it).
    Item,
    /// After the closing `]`: only whitespace.
    After,
}

fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl TorrentListReader {
    /// Takes the next piece of the reply. An error is final: the reply is not a list of
    /// torrent objects.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), String> {
        // The bytes to frame: the unfinished object so far, then this piece.
        let from = self.pending.len();
        self.pending.extend_from_slice(piece);
        let mut start = 0;
        let mut i = from;
        while i < self.pending.len() {
            let b = self.pending[i];
            match self.at {
                Framing::Item if self.in_string => {
                    if self.escaped {
                        self.escaped = false;
                    } else if b == b'\\' {
                        self.escaped = true;
                    } else if b == b'"' {
                        self.in_string = false;
                    }
                }
                Framing::Item => match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' if self.depth > 0 => self.depth -= 1,
                    b',' | b']' if self.depth == 0 => {
                        self.item(start, i)?;
                        self.at = if b == b',' {
                            Framing::Next
                        } else {
                            Framing::After
                        };
                        start = i + 1;
                    }
                    _ => {}
                },
                _ if is_json_space(b) => start = i + 1,
                Framing::BeforeList if b == b'[' => {
                    self.at = Framing::First;
                    start = i + 1;
                }
                Framing::BeforeList => {
                    return Err(format!(
                        "expected a list of torrent objects, found {}",
                        super::error::snippet(&self.pending[i..])
                    ));
                }
                Framing::First if b == b']' => {
                    self.at = Framing::After;
                    start = i + 1;
                }
                Framing::Next if b == b']' => {
                    return Err(format!(
                        "a ',' before the end of the list after torrent {}",
                        self.torrents.len()
                    ));
                }
                Framing::First | Framing::Next => {
                    // The first byte of an object: framed again as part of it.
                    self.at = Framing::Item;
                    start = i;
                    continue;
                }
                Framing::After => {
                    return Err(format!(
                        "trailing characters after the list: {}",
                        super::error::snippet(&self.pending[i..])
                    ));
                }
            }
            i += 1;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// The torrents, once the whole reply has been fed.
    pub fn finish(self) -> Result<Vec<Torrent>, String> {
        match self.at {
            Framing::After => {
                // Grown by doubling: up to half of it empty, for the whole pass.
                let mut torrents = self.torrents;
                torrents.shrink_to_fit();
                Ok(torrents)
            }
            Framing::BeforeList => Err("an empty reply".to_string()),
            _ => Err(format!(
                "the reply ended inside the list, after {} torrents (truncated)",
                self.torrents.len()
            )),
        }
    }

    /// Parses and converts the object in `pending[start..end]`.
    fn item(&mut self, start: usize, end: usize) -> Result<(), String> {
        let n = self.torrents.len();
        let wire: WireTorrent = serde_json::from_slice(&self.pending[start..end])
            .map_err(|e| format!("torrent {n} of the list: {e}"))?;
        let torrent = wire
            .into_torrent()
            .map_err(|e| format!("torrent {n} of the list: {e}"))?;
        self.torrents.push(torrent);
        Ok(())
    }
}

/// Parses a `torrents/trackers` reply, dropping the pseudo-trackers.
pub fn parse_trackers(body: &[u8]) -> Result<Vec<Tracker>, String> {
    let wire: Vec<WireTracker> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(wire
        .into_iter()
        .filter_map(WireTracker::into_tracker)
        .collect())
}

/// Parses a `torrents/files` reply.
pub fn parse_files(body: &[u8]) -> Result<Vec<TorrentFile>, String> {
    let wire: Vec<WireFile> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(wire.into_iter().map(WireFile::into_file).collect())
}

/// The private flag of a `torrents/properties` reply: `is_private` (4.x) or `private`
/// (5.x); `None` when neither is there (or `null`, while metadata is missing).
pub fn parse_private(body: &[u8]) -> Result<Option<bool>, String> {
    #[derive(Deserialize)]
    struct Properties {
        is_private: Option<bool>,
        private: Option<bool>,
    }
    let p: Properties = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(p.is_private.or(p.private))
}

/// Parses a `torrents/categories` reply (`{name: {...}}`) into the sorted names.
pub fn parse_categories(body: &[u8]) -> Result<Vec<String>, String> {
    let wire: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(wire.into_keys().collect())
}

/// Reads a plain-text reply (`app/version`, `app/webapiVersion`), trimmed.
pub fn parse_text(body: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|_| "not UTF-8 text".to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Err("empty reply".to_string());
    }
    Ok(text.to_string())
}

/// The client generation from `app/webapiVersion`, compared numerically: 2.11 and later is
/// qBittorrent 5 (stop/start), earlier is 4 (pause/resume). `None` when not a version.
pub fn api_generation(api_version: &str) -> Option<ApiGeneration> {
    Some(if api_version_parts(api_version)? >= (2, 11) {
        ApiGeneration::V5
    } else {
        ApiGeneration::V4
    })
}

/// (major, minor) of a WebAPI version such as `2.8.19`; `None` when not a version.
pub fn api_version_parts(api_version: &str) -> Option<(u64, u64)> {
    let parts: Vec<u64> = api_version
        .trim()
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    let major = *parts.first()?;
    Some((major, parts.get(1).copied().unwrap_or(0)))
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
