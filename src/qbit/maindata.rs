//! `sync/maindata?rid=0`: the whole state of an instance in one reply (torrents, categories,
//! tags, `server_state`), read as it arrives.
//!
//! The reply is one JSON object. Its `torrents` member is a map of hash to torrent object
//! (the objects carry no `hash` of their own); each torrent is parsed and converted as soon as
//! its last byte is in, then its bytes are dropped, so a 10,000-torrent reply (~14 MB) is
//! never held whole. Every other member is small and parsed whole once complete. Members a
//! release omits (5.x leaves out empty maps) take their empty value.
//!
//! Only the object's framing is followed here (keys, `:`, `,`, braces, strings with their
//! escapes, nesting); each value is then parsed by serde_json, which checks the rest.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::wire::WireTorrent;
use crate::json_stream::Cursor;
use crate::model::{Connection, Torrent};

/// What one full `sync/maindata` update said.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MainData {
    /// Every torrent, in the order of the reply.
    pub torrents: Vec<Torrent>,
    /// Category names, sorted.
    pub categories: Vec<String>,
    /// `server_state.connection_status`.
    pub connection: Connection,
    /// `server_state.free_space_on_disk`, bytes.
    pub free_space: Option<u64>,
    /// Which release line the torrent objects look like (see [`ListShape`]).
    pub shape: ListShape,
}

/// Fields of the torrent objects that tell a release line apart, for noticing that an
/// instance was upgraded or downgraded since its version was last read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ListShape {
    /// Torrents seen.
    pub torrents: usize,
    /// Torrents carrying `private` (5.0+; 4.x has it only in `torrents/properties`).
    pub with_private: usize,
    /// Torrents carrying `has_tracker_error` (5.2+).
    pub with_tracker_flags: usize,
}

impl ListShape {
    /// Whether the objects contradict a remembered WebAPI version: 5.x fields on a 4.x
    /// version, their absence on a 5.x one, or 5.2 tracker flags on an older version.
    /// `false` when there is no torrent to tell.
    pub fn contradicts(&self, api_version: &str) -> bool {
        let Some(v) = super::wire::api_version_parts(api_version) else {
            return true;
        };
        if self.torrents == 0 {
            return false;
        }
        let v5 = v >= (2, 11);
        let flags = v >= (2, 13);
        (self.with_private > 0) != v5 || (self.with_tracker_flags > 0) != flags
    }
}

/// Where the framing is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Before the opening `{`.
    #[default]
    Open,
    /// A member name, or `}` when `first`.
    Key { first: bool },
    /// The `:` after a member name.
    Colon,
    /// A member's value.
    Value,
    /// `,` or `}` after a member.
    AfterValue,
    /// Inside `torrents`: a hash, or `}` when `first`.
    HashKey { first: bool },
    /// The `:` after a hash.
    HashColon,
    /// A torrent object.
    Torrent,
    /// `,` or `}` after a torrent.
    AfterTorrent,
    /// After the closing `}`: only whitespace.
    Done,
}

/// Reads a `sync/maindata` reply piece by piece ([`MainDataReader::feed`], then
/// [`MainDataReader::finish`]).
#[derive(Debug, Default)]
pub struct MainDataReader {
    cursor: Cursor,
    step: Step,
    /// The member being read.
    key: String,
    /// The hash of the torrent being read.
    hash: String,
    out: MainData,
}

#[derive(Deserialize)]
struct ServerState {
    connection_status: Option<String>,
    free_space_on_disk: Option<i64>,
}

impl MainDataReader {
    /// A reader whose list has room for `torrents` torrents from the start.
    pub fn with_capacity(torrents: usize) -> Self {
        let mut reader = MainDataReader::default();
        reader.out.torrents.reserve_exact(torrents);
        reader
    }

    /// Takes the next piece of the reply. An error is final: the reply is not a maindata
    /// object.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), String> {
        self.cursor.push(piece);
        let result = self.run();
        self.cursor.compact();
        result
    }

    /// What the reply said, once all of it has been fed.
    pub fn finish(self) -> Result<MainData, String> {
        match self.step {
            Step::Done => {
                let mut out = self.out;
                out.torrents.shrink_to_fit();
                Ok(out)
            }
            Step::Open => Err("an empty reply".to_string()),
            _ => Err(format!(
                "the reply ended inside the object, after {} torrents (truncated)",
                self.out.torrents.len()
            )),
        }
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(b) = self.cursor.peek() {
            match self.step {
                Step::Open => {
                    self.cursor.expect(b, b'{', "a JSON object")?;
                    self.step = Step::Key { first: true };
                }
                Step::Key { first } => {
                    if first && b == b'}' && !self.cursor.framing() {
                        self.cursor.advance();
                        self.step = Step::Done;
                        continue;
                    }
                    if !self.cursor.framing() && b != b'"' {
                        return Err(self.cursor.unexpected("a member name"));
                    }
                    let Some(range) = self.cursor.frame("a value")? else {
                        return Ok(());
                    };
                    self.key = self.string(range, "a member name")?;
                    self.step = Step::Colon;
                }
                Step::Colon => {
                    self.cursor.expect(b, b':', "':'")?;
                    self.step = Step::Value;
                }
                Step::Value if self.key == "torrents" && b == b'{' && !self.cursor.framing() => {
                    self.cursor.advance();
                    self.step = Step::HashKey { first: true };
                }
                Step::Value => {
                    let Some(range) = self.cursor.frame("a value")? else {
                        return Ok(());
                    };
                    self.member(range)?;
                    self.step = Step::AfterValue;
                }
                Step::AfterValue => {
                    self.step = match b {
                        b',' => Step::Key { first: false },
                        b'}' => Step::Done,
                        _ => return Err(self.cursor.unexpected("',' or '}' after a member")),
                    };
                    self.cursor.advance();
                }
                Step::HashKey { first } => {
                    if first && b == b'}' && !self.cursor.framing() {
                        self.cursor.advance();
                        self.step = Step::AfterValue;
                        continue;
                    }
                    if !self.cursor.framing() && b != b'"' {
                        return Err(self.cursor.unexpected("a torrent hash"));
                    }
                    let Some(range) = self.cursor.frame("a value")? else {
                        return Ok(());
                    };
                    self.hash = self.string(range, "a torrent hash")?;
                    self.step = Step::HashColon;
                }
                Step::HashColon => {
                    self.cursor.expect(b, b':', "':' after a torrent hash")?;
                    self.step = Step::Torrent;
                }
                Step::Torrent => {
                    if !self.cursor.framing() && b != b'{' {
                        return Err(self.cursor.unexpected("a torrent object"));
                    }
                    let Some(range) = self.cursor.frame("a value")? else {
                        return Ok(());
                    };
                    self.torrent(range)?;
                    self.step = Step::AfterTorrent;
                }
                Step::AfterTorrent => {
                    self.step = match b {
                        b',' => Step::HashKey { first: false },
                        b'}' => Step::AfterValue,
                        _ => return Err(self.cursor.unexpected("',' or '}' after a torrent")),
                    };
                    self.cursor.advance();
                }
                Step::Done => {
                    return Err(format!(
                        "trailing characters after the object: {}",
                        super::error::snippet(self.cursor.rest())
                    ));
                }
            }
        }
        Ok(())
    }

    fn string(&self, range: (usize, usize), what: &str) -> Result<String, String> {
        serde_json::from_slice(self.cursor.bytes(range)).map_err(|err| format!("{what}: {err}"))
    }

    /// A complete member other than `torrents`.
    fn member(&mut self, range: (usize, usize)) -> Result<(), String> {
        let bytes = self.cursor.bytes(range);
        let key = self.key.as_str();
        let what = |err: serde_json::Error| format!("member '{key}': {err}");
        match key {
            "full_update" => {
                let full: Option<bool> = serde_json::from_slice(bytes).map_err(what)?;
                if full == Some(false) {
                    return Err("a partial update where a full one was asked (rid=0)".into());
                }
            }
            "categories" => {
                let map: Option<BTreeMap<String, IgnoredAny>> =
                    serde_json::from_slice(bytes).map_err(what)?;
                self.out.categories = map.unwrap_or_default().into_keys().collect();
            }
            "server_state" => {
                let st: Option<ServerState> = serde_json::from_slice(bytes).map_err(what)?;
                if let Some(st) = st {
                    self.out.connection = st
                        .connection_status
                        .as_deref()
                        .map_or(Connection::Unknown, Connection::from_qbit);
                    self.out.free_space = st.free_space_on_disk.and_then(|f| u64::try_from(f).ok());
                }
            }
            "torrents" => {
                // Not an object (the object form is framed torrent by torrent).
                let none: Option<IgnoredAny> = serde_json::from_slice(bytes).map_err(what)?;
                if none.is_some() {
                    return Err("member 'torrents' is not an object".into());
                }
            }
            _ => {
                // rid, tags, trackers, ...: checked to be JSON, otherwise unused.
                serde_json::from_slice::<IgnoredAny>(bytes).map_err(what)?;
            }
        }
        Ok(())
    }

    /// A complete torrent object of `torrents`.
    fn torrent(&mut self, range: (usize, usize)) -> Result<(), String> {
        let n = self.out.torrents.len();
        let mut wire: WireTorrent = serde_json::from_slice(self.cursor.bytes(range))
            .map_err(|err| format!("torrent {n} of the list: {err}"))?;
        wire.set_hash(std::mem::take(&mut self.hash));
        let shape = &mut self.out.shape;
        shape.torrents += 1;
        shape.with_private += usize::from(wire.has_private());
        shape.with_tracker_flags += usize::from(wire.has_tracker_flags());
        let torrent = wire
            .into_torrent()
            .map_err(|err| format!("torrent {n} of the list: {err}"))?;
        self.out.torrents.push(torrent);
        Ok(())
    }
}

/// Parses a `sync/maindata` reply held whole.
pub fn parse_maindata(body: &[u8]) -> Result<MainData, String> {
    let mut reader = MainDataReader::default();
    reader.feed(body)?;
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = r#"{"categories":{"radarr":{"name":"radarr","savePath":""}},"full_update":true,"rid":1,
        "server_state":{"connection_status":"connected","free_space_on_disk":1234,"global_ratio":"0.00"},
        "tags":["a"],"torrents":{"ABCDEF0123456789abcdef0123456789abcdef01":{"name":"x, y}","state":"stalledDL",
        "category":"radarr","tags":"t1, t2","size":10,"completed":5,"amount_left":5,"tracker":"http://t/a"},
        "0123456789abcdef0123456789abcdef01234567":{"name":"\"q\"\\","state":"pausedUP","size":3,"amount_left":0}},
        "trackers":{"http://t/a":["abcdef0123456789abcdef0123456789abcdef01"]}}"#;

    #[test]
    fn a_full_update_gives_torrents_categories_and_server_state() {
        let m = parse_maindata(V4.as_bytes()).unwrap();
        assert_eq!(m.torrents.len(), 2);
        assert_eq!(
            m.torrents[0].hash,
            "abcdef0123456789abcdef0123456789abcdef01"
        );
        assert_eq!(m.torrents[0].name, "x, y}");
        assert_eq!(m.torrents[0].tags, ["t1", "t2"]);
        assert_eq!(m.torrents[0].tracker_error, None);
        assert_eq!(m.torrents[1].name, "\"q\"\\");
        assert_eq!(m.categories, ["radarr"]);
        assert_eq!(m.connection, Connection::Connected);
        assert_eq!(m.free_space, Some(1234));
        assert_eq!(
            m.shape,
            ListShape {
                torrents: 2,
                with_private: 0,
                with_tracker_flags: 0
            }
        );
        assert!(!m.shape.contradicts("2.8.19"));
        assert!(m.shape.contradicts("2.11.4"));
    }

    #[test]
    fn any_cut_into_pieces_reads_the_same() {
        let whole = parse_maindata(V4.as_bytes()).unwrap();
        for size in [1, 2, 3, 7, 64] {
            let mut r = MainDataReader::default();
            for piece in V4.as_bytes().chunks(size) {
                r.feed(piece).unwrap();
            }
            assert_eq!(r.finish().unwrap(), whole, "pieces of {size}");
        }
    }

    #[test]
    fn a_list_made_room_for_reads_every_torrent_and_keeps_no_spare_room() {
        let reply = |n: usize| {
            let torrents: Vec<String> = (0..n)
                .map(|i| format!("\"{i:040x}\":{{\"state\":\"uploading\"}}"))
                .collect();
            format!("{{\"torrents\":{{{}}}}}", torrents.join(","))
        };
        for (expected, listed) in [(0, 300), (1_000, 1_000), (1_000, 1_100), (5_000, 1_000)] {
            let mut r = MainDataReader::with_capacity(expected);
            r.feed(reply(listed).as_bytes()).unwrap();
            let m = r.finish().unwrap();
            assert_eq!(m.torrents.len(), listed);
            assert_eq!(m.torrents[listed - 1].hash, format!("{:040x}", listed - 1));
            assert_eq!(m.torrents.capacity(), listed, "{expected} expected");
        }
    }

    #[test]
    fn omitted_empty_maps_are_empty() {
        let m = parse_maindata(
            br#"{"full_update":true,"rid":1,"server_state":{"connection_status":"disconnected"}}"#,
        )
        .unwrap();
        assert!(m.torrents.is_empty() && m.categories.is_empty());
        assert_eq!(m.connection, Connection::Disconnected);
        assert_eq!(m.free_space, None);
        assert!(!m.shape.contradicts("2.16.2"), "no torrent tells nothing");
        let empty = parse_maindata(b"{}").unwrap();
        assert_eq!(empty.connection, Connection::Unknown);
    }

    #[test]
    fn tracker_flags_of_5_2_are_read() {
        let m = parse_maindata(
            br#"{"torrents":{"aa":{"state":"stalledDL","private":false,"has_tracker_error":true,
            "has_other_announce_error":false,"has_tracker_warning":false},
            "bb":{"private":null,"has_tracker_error":false,"has_other_announce_error":true},
            "cc":{"private":true,"has_tracker_error":false,"has_other_announce_error":false}}}"#,
        )
        .unwrap();
        let flags: Vec<_> = m.torrents.iter().map(|t| t.tracker_error).collect();
        assert_eq!(flags, [Some(true), Some(true), Some(false)]);
        assert_eq!(m.torrents[1].private, None);
        assert!(!m.shape.contradicts("2.16.2"));
        assert!(m.shape.contradicts("2.11.4"));
    }

    /// The body of a reply recorded from a real build (tests/fixtures/<build>/<name>.json),
    /// as the wire bytes it was.
    fn recorded(build: &str, name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(build)
            .join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (make fixtures records it)", path.display()));
        let reply: serde_json::Value = serde_json::from_str(&text).unwrap();
        match &reply["body"] {
            serde_json::Value::String(s) => s.clone().into_bytes(),
            body => serde_json::to_vec(body).unwrap(),
        }
    }

    #[test]
    fn the_maindata_of_every_real_build_is_read() {
        for build in ["bookworm", "trixie", "testing"] {
            let api = String::from_utf8(recorded(build, "app_webapiVersion")).unwrap();
            let m = parse_maindata(&recorded(build, "sync_maindata")).unwrap();
            assert_eq!(m.torrents.len(), 4, "{build}");
            assert_eq!(m.categories, ["radarr", "sonarr"], "{build}");
            assert!(m.free_space.is_some_and(|f| f > 0), "{build}");
            assert_ne!(m.connection, Connection::Unknown, "{build}");
            assert!(!m.shape.contradicts(&api), "{build} {api} {:?}", m.shape);
            let gone = m
                .torrents
                .iter()
                .find(|t| t.name.starts_with("Gone"))
                .unwrap();
            // 5.1+ name the first tracker although it refuses the torrent (4.5 the last one
            // that ever worked: none here, it refused from the first announce).
            assert_eq!(gone.tracker.is_empty(), build == "bookworm", "{build}");
            let want = (build == "testing").then_some(true);
            assert_eq!(gone.tracker_error, want, "{build}");
            let empty = parse_maindata(&recorded(build, "sync_maindata_empty")).unwrap();
            assert!(empty.torrents.is_empty() && empty.categories.is_empty());
            let trackers = super::super::wire::parse_trackers(&recorded(
                build,
                "torrents_trackers_unregistered",
            ))
            .unwrap();
            assert_eq!(trackers.len(), 1, "pseudo-trackers dropped ({build})");
            assert!(trackers[0].is_failing(), "{build}: {trackers:?}");
            assert_eq!(trackers[0].msg, "Unregistered torrent");
        }
    }

    #[test]
    fn broken_replies_are_errors() {
        for (body, want) in [
            (&b""[..], "empty"),
            (b"[]", "JSON object"),
            (br#"{"torrents":{"aa":{"name":"x"}"#, "truncated"),
            (br#"{"torrents":{"aa":{"name":"x"}}} x"#, "trailing"),
            (br#"{"torrents":{"aa":[1]}}"#, "torrent object"),
            (br#"{"torrents":{"aa":{"size":"big"}}}"#, "torrent 0"),
            (br#"{"full_update":false}"#, "partial"),
            (br#"{"torrents":[]}"#, "not an object"),
            (br#"{"rid":1,}"#, "member name"),
            (br#"{"rid" 1}"#, "':'"),
            (
                br#"{"server_state":{"free_space_on_disk":"x"}}"#,
                "server_state",
            ),
        ] {
            let err = parse_maindata(body).unwrap_err();
            assert!(
                err.contains(want),
                "{:?}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
