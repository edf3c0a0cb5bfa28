//! Packs: many records to one DynamoDB item, deflated.
//!
//! Read units follow bytes (a Scan is billed on the sum of its items' sizes), and an item of
//! one JSON record costs its attribute names as much as its values. So the records of one
//! *group* (the torrents of one instance; every other record in the group [`SHARED`]) are
//! spread over `of` packs by a hash of their key, and each pack holds its records as one
//! deflated JSON array: about 80 bytes a torrent record instead of 340.
//!
//! A pack item is `pk = pack#<group>#<of>#<index>`, `kind = pack`, `d` (the deflated
//! array), `c` (its CRC-32), `g` (when it was written, epoch milliseconds), `n` (records)
//! and `expires_at` when every record in it expires (the latest of them).
//!
//! The lease item keeps a [`Manifest`]: the checksum of every pack as the last run that held
//! the lease left them. A load that can trust it reads the table with an eventually
//! consistent Scan (half the read units) and reads again, consistently, only the packs the
//! Scan did not show as the manifest says.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

use crate::state::{Epoch, Record};

/// The group of every record that is not a torrent's.
pub(super) const SHARED: &str = "";
/// Records a pack is sized for.
pub(super) const PER_PACK: usize = 32;
/// Most packs one group is spread over (at 32 records each, 4 million records).
const MAX_PACKS: u32 = 1 << 17;
/// `pk` prefix of pack items.
pub(super) const PACK_PREFIX: &str = "pack#";

/// Where a pack lives: its group, the number of packs of the group, its index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct PackId {
    pub group: String,
    pub of: u32,
    pub index: u32,
}

impl PackId {
    /// The item key `pack#<group>#<of>#<index>`.
    pub fn pk(&self) -> String {
        format!("{PACK_PREFIX}{}#{}#{}", self.group, self.of, self.index)
    }

    /// The pack an item key names, if it is a pack key. The group may hold `#`: the two
    /// numbers are read from the end.
    pub fn parse(pk: &str) -> Option<PackId> {
        let rest = pk.strip_prefix(PACK_PREFIX)?;
        let (rest, index) = rest.rsplit_once('#')?;
        let (group, of) = rest.rsplit_once('#')?;
        let (of, index): (u32, u32) = (of.parse().ok()?, index.parse().ok()?);
        (of > 0 && index < of && of.is_power_of_two()).then(|| PackId {
            group: group.to_string(),
            of,
            index,
        })
    }
}

/// The group of a record key: the instance of a torrent record, [`SHARED`] for the rest.
pub(super) fn group_of(key: &str) -> &str {
    key.strip_prefix("torrent#")
        .and_then(|rest| rest.rsplit_once('#'))
        .map_or(SHARED, |(instance, _)| instance)
}

/// The index of the pack that holds `key` among `of` packs (a power of two).
pub(super) fn index_of(key: &str, of: u32) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(key.as_bytes());
    crc.sum() & (of - 1)
}

/// How many packs `records` records should be spread over, given the current number
/// (`0`: none yet). The number changes only when the packs hold more than twice or less
/// than a quarter of [`PER_PACK`] on average, so a group near a boundary does not resize
/// back and forth.
pub(super) fn pack_count(records: usize, current: u32) -> u32 {
    let fits = |of: u32| {
        let of = of as usize;
        records <= of * PER_PACK * 2 && (of == 1 || records * 4 >= of * PER_PACK)
    };
    if current > 0 && fits(current) {
        return current;
    }
    (records.div_ceil(PER_PACK).max(1) as u32)
        .next_power_of_two()
        .min(MAX_PACKS)
}

/// The checksum of a pack's bytes as stored and in the manifest: CRC-32, never 0 (the
/// manifest's 0 means "no pack").
pub(super) fn checksum(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum().max(1)
}

/// A pack's item content: the deflated JSON array of `records` and its checksum.
pub(super) fn encode(records: &[&Record]) -> Result<(Vec<u8>, u32), String> {
    let json = serde_json::to_vec(records).map_err(|e| e.to_string())?;
    let mut enc = DeflateEncoder::new(Vec::with_capacity(json.len() / 3), Compression::best());
    enc.write_all(&json).map_err(|e| e.to_string())?;
    let data = enc.finish().map_err(|e| e.to_string())?;
    let crc = checksum(&data);
    Ok((data, crc))
}

/// The records of a pack's bytes.
pub(super) fn decode(data: &[u8]) -> Result<Vec<Record>, String> {
    let mut json = Vec::with_capacity(data.len() * 4);
    DeflateDecoder::new(data)
        .read_to_end(&mut json)
        .map_err(|e| format!("not deflate data: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("not a list of records: {e}"))
}

/// The TTL of a pack: the latest `expires_at` of its records when every one has one.
pub(super) fn pack_expiry<'a>(records: impl IntoIterator<Item = &'a Record>) -> Option<Epoch> {
    let mut latest: Option<Epoch> = None;
    for r in records {
        let at = r.expires_at()?;
        latest = Some(latest.map_or(at, |l| l.max(at)));
    }
    latest
}

/// The checksums of every group's packs (index `i` holds pack `i`'s; 0 = no pack), as
/// the last run that held the lease left them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Manifest(pub BTreeMap<String, Vec<u32>>);

impl Manifest {
    /// As stored in the lease item: per group, its name's length (u16), the name, the pack
    /// count (u32) and each checksum (u32), all big-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (group, sums) in &self.0 {
            out.extend_from_slice(&(group.len() as u16).to_be_bytes());
            out.extend_from_slice(group.as_bytes());
            out.extend_from_slice(&(sums.len() as u32).to_be_bytes());
            for sum in sums {
                out.extend_from_slice(&sum.to_be_bytes());
            }
        }
        out
    }

    /// Reads [`Manifest::to_bytes`]; `None` when the bytes are not one.
    pub fn from_bytes(mut bytes: &[u8]) -> Option<Manifest> {
        fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
            *bytes = rest;
            Some(head)
        }
        let mut groups = BTreeMap::new();
        while !bytes.is_empty() {
            let len = u16::from_be_bytes(take(&mut bytes, 2)?.try_into().ok()?) as usize;
            let group = std::str::from_utf8(take(&mut bytes, len)?)
                .ok()?
                .to_string();
            let count = u32::from_be_bytes(take(&mut bytes, 4)?.try_into().ok()?);
            if !count.is_power_of_two() || count > MAX_PACKS {
                return None;
            }
            let sums = take(&mut bytes, count as usize * 4)?
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            groups.insert(group, sums);
        }
        Some(Manifest(groups))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{SearchRecord, TorrentRecord};

    fn torrent(instance: &str, i: u32) -> Record {
        Record::Torrent(Box::new(TorrentRecord {
            instance: instance.into(),
            hash: format!("{i:040x}"),
            name: format!("Some.Movie.{i}.2019.1080p.BluRay.x264-GROUP"),
            first_seen: 1_700_000_000,
            last_seen: 1_700_000_000 + i as i64,
            ..Default::default()
        }))
    }

    #[test]
    fn pack_keys_round_trip_and_foreign_keys_are_not_packs() {
        for group in ["main", "", "a#b", "seed box"] {
            let id = PackId {
                group: group.into(),
                of: 8,
                index: 5,
            };
            assert_eq!(PackId::parse(&id.pk()), Some(id));
        }
        for pk in [
            "torrent#main#ab",
            "pack#main#3#1",
            "pack#main#4#4",
            "pack#main#x#1",
            "pack#main#0#0",
            "pack#",
        ] {
            assert_eq!(PackId::parse(pk), None, "{pk}");
        }
    }

    #[test]
    fn torrents_group_by_instance_and_the_rest_share_one_group() {
        assert_eq!(group_of("torrent#main#abc"), "main");
        assert_eq!(group_of("torrent#a#b#abc"), "a#b");
        assert_eq!(group_of("search#movies#7"), SHARED);
        assert_eq!(group_of("run#last"), SHARED);
        assert_eq!(group_of("instance#main"), SHARED);
    }

    #[test]
    fn keys_spread_evenly_over_packs() {
        let mut counts = [0usize; 32];
        for i in 0..32_000u32 {
            counts[index_of(&format!("torrent#main#{i:040x}"), 32) as usize] += 1;
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*min > 800 && *max < 1200, "{counts:?}");
        assert_eq!(index_of("anything", 1), 0);
    }

    #[test]
    fn pack_count_has_hysteresis() {
        assert_eq!(pack_count(0, 0), 1);
        assert_eq!(pack_count(1, 0), 1);
        assert_eq!(pack_count(32, 0), 1);
        assert_eq!(pack_count(33, 0), 2);
        assert_eq!(pack_count(1000, 0), 32);
        // Stays while between a quarter and twice of 32 per pack.
        assert_eq!(pack_count(64, 1), 1);
        assert_eq!(pack_count(65, 1), 4);
        assert_eq!(pack_count(2048, 32), 32);
        assert_eq!(pack_count(256, 32), 32);
        assert_eq!(pack_count(255, 32), 8);
        assert_eq!(pack_count(0, 32), 1);
        assert_eq!(pack_count(0, 1), 1);
        assert!(pack_count(usize::MAX / 64, 0) <= MAX_PACKS);
    }

    #[test]
    fn packs_round_trip_and_are_far_smaller_than_the_json() {
        let records: Vec<Record> = (0..32).map(|i| torrent("main", i)).collect();
        let refs: Vec<&Record> = records.iter().collect();
        let (data, crc) = encode(&refs).unwrap();
        assert_eq!(crc, checksum(&data));
        assert_eq!(decode(&data).unwrap(), records);
        let json = serde_json::to_vec(&records).unwrap().len();
        assert!(data.len() * 3 < json, "{} of {json}", data.len());
        assert!(decode(b"not deflate").is_err());
        assert!(decode(&encode(&[]).unwrap().0).unwrap().is_empty());
    }

    #[test]
    fn a_pack_expires_only_when_every_record_does() {
        let mut gone = TorrentRecord {
            expires_at: Some(50),
            ..Default::default()
        };
        let a = Record::Torrent(Box::new(gone.clone()));
        gone.expires_at = Some(70);
        let b = Record::Torrent(Box::new(gone));
        let search = Record::Search(SearchRecord {
            arr: "movies".into(),
            media_id: 1,
            searched_at: 1,
            reason: None,
            ..Default::default()
        });
        assert_eq!(pack_expiry([&a, &b]), Some(70));
        assert_eq!(pack_expiry([&a, &search]), None);
        assert_eq!(pack_expiry([]), None);
    }

    #[test]
    fn manifest_round_trips_and_refuses_garbage() {
        let m = Manifest(BTreeMap::from([
            ("main".to_string(), vec![1, 0, 7, u32::MAX]),
            (SHARED.to_string(), vec![9]),
        ]));
        assert_eq!(Manifest::from_bytes(&m.to_bytes()), Some(m.clone()));
        let bytes = m.to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Manifest::from_bytes(&[0, 1, b'x', 0, 0, 0, 3]), None);
        assert_eq!(Manifest::from_bytes(&[]), Some(Manifest::default()));
    }
}
