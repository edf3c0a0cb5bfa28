//! `load` and `save` over packs (see [`super::pack`]).
//!
//! The store remembers what its last load or save left in every group (the packs' bytes,
//! checksums and record counts), so a save rewrites only the packs holding a changed
//! record, and the lease release can leave the manifest a later load trusts.
//!
//! Crash safety: a save writes its new packs before it deletes what they replace. A run
//! killed in between never releases its lease, so the next run does not trust the manifest
//! and reads everything consistently; a group with packs of two sizes, or with records
//! still in the one-record items of earlier versions, is then read record by record, the
//! most recently written pack winning, and written whole by the next save.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest,
};

use super::item::{EXPIRES_AT, Item, expires_at_of, from_dynamo, key_item, pk_of, to_dynamo};
use super::pack::{
    Manifest, PackId, checksum, decode, encode, group_of, index_of, pack_count, pack_expiry,
};
use super::{DynamoStore, unavailable};
use crate::state::{Epoch, Record, Records, StoreError};

/// Pack item attributes: the deflated records, their checksum, when written (ms), count.
const DATA: &str = "d";
const CRC: &str = "c";
const GEN: &str = "g";
const COUNT: &str = "n";
/// The lease item's manifest attribute.
pub(super) const MANIFEST: &str = "packs";
/// Most keys DynamoDB takes in one BatchGetItem.
const GET_CHUNK: usize = 100;
/// Sends of one BatchGetItem chunk before giving up on unprocessed keys.
const GET_TRIES: u32 = 8;

/// What one store knows of the table between calls.
#[derive(Debug, Default)]
pub(super) struct Cache {
    /// The lease this store holds, if any.
    pub session: Option<Session>,
    /// Every group as the last load or save left it; `None` before the first load.
    groups: Option<BTreeMap<String, Group>>,
    /// Lease items the last load saw with a manifest (a save made without the lease makes
    /// them untrustworthy).
    manifests_seen: Vec<String>,
    /// A save failed part way: the table may not be what `groups` says.
    poisoned: bool,
    /// The time the last load was asked for: a save drops the records expired by then.
    loaded_now: Option<Epoch>,
}

/// The lease this store holds.
#[derive(Debug)]
pub(super) struct Session {
    pub scope: String,
    pub run_id: String,
    /// The manifest the previous holder left, when it released the lease cleanly.
    pub manifest: Option<Manifest>,
}

/// One group's packs as stored.
#[derive(Debug, Default, Clone)]
struct Group {
    /// Packs the group is spread over (0: none yet).
    of: u32,
    /// The packs that exist, by index.
    packs: BTreeMap<u32, Stored>,
    /// Set when the group must be written whole by the next save (packs of two sizes, or
    /// one-record items of earlier versions): every record, read record by record.
    merged: Option<BTreeMap<String, Record>>,
    /// Items that whole write replaces (other packs, one-record items).
    stale: Vec<String>,
}

#[derive(Debug, Clone)]
struct Stored {
    data: Vec<u8>,
    crc: u32,
    count: usize,
}

/// A pack to write.
struct PackWrite {
    id: PackId,
    stored: Stored,
    expires_at: Option<Epoch>,
}

/// What a save sends, and the groups as they are once it is sent.
#[derive(Default)]
struct WritePlan {
    writes: Vec<PackWrite>,
    /// Records kept one to an item (leases).
    singles: Vec<Item>,
    deletes: BTreeSet<String>,
    groups: BTreeMap<String, Group>,
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn attr_n(item: &Item, name: &str) -> Option<u64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

fn corrupt(key: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        reason: reason.to_string(),
    }
}

impl Cache {
    /// The manifest to leave in the lease item at release: every group's checksums, as
    /// this store last read or wrote them. `None` when nothing can be vouched for.
    pub fn manifest(&self) -> Option<Manifest> {
        if self.poisoned {
            return None;
        }
        let Some(groups) = &self.groups else {
            // Nothing read or written under this lease: what the previous holder left holds.
            return self.session.as_ref().and_then(|s| s.manifest.clone());
        };
        let mut m = Manifest::default();
        for (name, g) in groups {
            if g.merged.is_some() || g.of == 0 {
                continue;
            }
            let sums = (0..g.of)
                .map(|i| g.packs.get(&i).map_or(0, |p| p.crc))
                .collect();
            m.0.insert(name.clone(), sums);
        }
        Some(m)
    }

    /// Forgets what was loaded (a new lease: the table may have changed since).
    pub fn reset(&mut self) {
        self.groups = None;
        self.manifests_seen.clear();
        self.poisoned = false;
    }
}

/// The pack keys the manifest does not vouch for in `items` (an eventually consistent
/// read): packs whose checksum differs, packs missing, packs and one-record items the
/// manifest does not list.
fn to_reread(manifest: &Manifest, items: &BTreeMap<String, Item>) -> Vec<String> {
    let mut vouched: BTreeSet<String> = BTreeSet::new();
    let mut reread = Vec::new();
    for (group, sums) in &manifest.0 {
        for (index, &sum) in sums.iter().enumerate() {
            let pk = PackId {
                group: group.clone(),
                of: sums.len() as u32,
                index: index as u32,
            }
            .pk();
            match items.get(&pk) {
                Some(item) if sum != 0 && attr_n(item, CRC) == Some(u64::from(sum)) => {
                    vouched.insert(pk);
                }
                None if sum == 0 => {}
                _ => reread.push(pk),
            }
        }
    }
    for pk in items.keys() {
        if !pk.starts_with("lease#") && !vouched.contains(pk) && !reread.contains(pk) {
            reread.push(pk.clone());
        }
    }
    reread
}

/// A pack item's stored content, checked.
fn stored_of(pk: &str, item: &Item) -> Result<(Stored, u64, Vec<Record>), StoreError> {
    let Some(AttributeValue::B(data)) = item.get(DATA) else {
        return Err(corrupt(pk, "pack without its data attribute"));
    };
    let data = data.as_ref().to_vec();
    let crc = checksum(&data);
    if attr_n(item, CRC) != Some(u64::from(crc)) {
        return Err(corrupt(pk, "pack checksum does not match its data"));
    }
    let records = decode(&data).map_err(|e| corrupt(pk, e))?;
    let stored = Stored {
        data,
        crc,
        count: records.len(),
    };
    Ok((stored, attr_n(item, GEN).unwrap_or(0), records))
}

/// Records, groups and lease items with a manifest, from every item of the table.
fn assemble(
    table: &str,
    items: BTreeMap<String, Item>,
    now: Epoch,
) -> (Records, BTreeMap<String, Group>, Vec<String>) {
    let live = |r: &Record| r.expires_at().is_none_or(|at| at > now);
    let mut records = Records::new();
    let mut manifests_seen = Vec::new();
    // Per group: packs by size, each (index, stored, written at, records).
    type Sets = BTreeMap<u32, Vec<(u32, Stored, u64, Vec<Record>)>>;
    let mut sets: BTreeMap<String, Sets> = BTreeMap::new();
    let mut singles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (pk, item) in items {
        if let Some(id) = PackId::parse(&pk) {
            match stored_of(&pk, &item) {
                Ok((stored, written, recs)) => sets
                    .entry(id.group)
                    .or_default()
                    .entry(id.of)
                    .or_default()
                    .push((id.index, stored, written, recs)),
                Err(e) => {
                    tracing::warn!(table, key = %pk, error = %e, "skipping unreadable state pack");
                }
            }
            continue;
        }
        let is_lease = pk.starts_with("lease#");
        if is_lease && item.contains_key(MANIFEST) {
            manifests_seen.push(pk.clone());
        }
        if expires_at_of(&item).is_some_and(|at| at <= now) {
            continue;
        }
        match from_dynamo(item) {
            // A released lease is kept for its manifest; it is no lease.
            Ok(Record::Lease(l)) if l.until == 0 => {}
            Ok(record) => {
                if !is_lease {
                    singles
                        .entry(group_of(&pk).to_string())
                        .or_default()
                        .push(pk.clone());
                }
                records.insert(pk, record);
            }
            Err(reason) => {
                tracing::warn!(table, key = %pk, error = %reason, "skipping unreadable state record");
            }
        }
    }

    let mut groups = BTreeMap::new();
    let names: BTreeSet<String> = sets.keys().chain(singles.keys()).cloned().collect();
    for name in names {
        let group_sets = sets.remove(&name).unwrap_or_default();
        let group_singles = singles.remove(&name).unwrap_or_default();
        if group_sets.len() == 1 && group_singles.is_empty() {
            let (of, packs) = group_sets.into_iter().next().expect("one size");
            let mut g = Group {
                of,
                ..Group::default()
            };
            for (index, stored, _, recs) in packs {
                for r in recs.into_iter().filter(|r| live(r)) {
                    records.insert(r.key(), r);
                }
                g.packs.insert(index, stored);
            }
            groups.insert(name, g);
            continue;
        }
        // Mixed: one-record items first, then packs from the oldest written to the newest,
        // each record as the last of them wrote it.
        let mut merged: BTreeMap<String, Record> = BTreeMap::new();
        let mut stale = Vec::new();
        for pk in group_singles {
            if let Some(r) = records.get(&pk) {
                merged.insert(pk.clone(), r.clone());
            }
            stale.push(pk);
        }
        let mut packs: Vec<(u64, PackId, Vec<Record>)> = Vec::new();
        for (of, list) in group_sets {
            for (index, _, written, recs) in list {
                let id = PackId {
                    group: name.clone(),
                    of,
                    index,
                };
                packs.push((written, id, recs));
            }
        }
        packs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        for (_, id, recs) in packs {
            for r in recs {
                merged.insert(r.key(), r);
            }
            stale.push(id.pk());
        }
        merged.retain(|_, r| live(r));
        for (key, r) in &merged {
            records.insert(key.clone(), r.clone());
        }
        tracing::info!(table, group = %name, records = merged.len(),
            "state group read record by record; the next save writes it whole");
        groups.insert(
            name,
            Group {
                of: 0,
                packs: BTreeMap::new(),
                merged: Some(merged),
                stale,
            },
        );
    }
    (records, groups, manifests_seen)
}

/// Encodes `records` into the packs of `name` at `of` packs, as `(index, write)`.
fn pack_all(
    name: &str,
    of: u32,
    records: impl IntoIterator<Item = Record>,
) -> Result<Vec<PackWrite>, StoreError> {
    let mut slots: BTreeMap<u32, Vec<Record>> = BTreeMap::new();
    for r in records {
        slots.entry(index_of(&r.key(), of)).or_default().push(r);
    }
    slots
        .into_iter()
        .map(|(index, recs)| pack_one(name, of, index, &recs))
        .collect()
}

fn pack_one(name: &str, of: u32, index: u32, recs: &[Record]) -> Result<PackWrite, StoreError> {
    let id = PackId {
        group: name.to_string(),
        of,
        index,
    };
    let refs: Vec<&Record> = recs.iter().collect();
    let (data, crc) =
        encode(&refs).map_err(|e| corrupt(&id.pk(), format!("cannot encode: {e}")))?;
    Ok(PackWrite {
        expires_at: pack_expiry(recs.iter()),
        stored: Stored {
            data,
            crc,
            count: recs.len(),
        },
        id,
    })
}

/// The records of a stored pack, by key.
fn unpack(
    name: &str,
    of: u32,
    index: u32,
    stored: &Stored,
) -> Result<BTreeMap<String, Record>, StoreError> {
    let pk = PackId {
        group: name.to_string(),
        of,
        index,
    }
    .pk();
    Ok(decode(&stored.data)
        .map_err(|e| corrupt(&pk, e))?
        .into_iter()
        .map(|r| (r.key(), r))
        .collect())
}

/// The writes of one group for `puts` and `deletes`, and the group once written.
fn plan_group(
    name: &str,
    g: &Group,
    puts: Vec<Record>,
    deletes: &[&str],
    now: Epoch,
    plan: &mut WritePlan,
) -> Result<Group, StoreError> {
    let live = |r: &Record| r.expires_at().is_none_or(|at| at > now);
    let apply = |records: &mut BTreeMap<String, Record>, puts: Vec<Record>| {
        for key in deletes {
            records.remove(*key);
        }
        for r in puts {
            records.insert(r.key(), r);
        }
        records.retain(|_, r| live(r));
    };

    let whole = |records: BTreeMap<String, Record>,
                 of: u32,
                 replaced: Vec<String>,
                 plan: &mut WritePlan|
     -> Result<Group, StoreError> {
        let writes = pack_all(name, of, records.into_values())?;
        let mut next = Group {
            of,
            ..Group::default()
        };
        let written: BTreeSet<String> = writes.iter().map(|w| w.id.pk()).collect();
        for w in writes {
            next.packs.insert(w.id.index, w.stored.clone());
            plan.writes.push(w);
        }
        plan.deletes
            .extend(replaced.into_iter().filter(|pk| !written.contains(pk)));
        Ok(next)
    };

    if let Some(merged) = &g.merged {
        let mut records = merged.clone();
        apply(&mut records, puts);
        let of = pack_count(records.len(), 0);
        return whole(records, of, g.stale.clone(), plan);
    }

    // The packs the changes fall in, decoded and changed.
    let of = g.of.max(1);
    let mut touched: BTreeMap<u32, Vec<Record>> = BTreeMap::new();
    for r in puts {
        touched.entry(index_of(&r.key(), of)).or_default().push(r);
    }
    for key in deletes {
        touched.entry(index_of(key, of)).or_default();
    }
    let mut changed: BTreeMap<u32, BTreeMap<String, Record>> = BTreeMap::new();
    for (index, slot_puts) in touched {
        let mut records = match g.packs.get(&index) {
            Some(stored) => unpack(name, of, index, stored)?,
            None => BTreeMap::new(),
        };
        let slot_deletes: Vec<&str> = deletes
            .iter()
            .copied()
            .filter(|k| index_of(k, of) == index)
            .collect();
        for key in slot_deletes {
            records.remove(key);
        }
        for r in slot_puts {
            records.insert(r.key(), r);
        }
        records.retain(|_, r| live(r));
        changed.insert(index, records);
    }
    let total: usize = g
        .packs
        .iter()
        .filter(|(i, _)| !changed.contains_key(i))
        .map(|(_, p)| p.count)
        .sum::<usize>()
        + changed.values().map(BTreeMap::len).sum::<usize>();
    let next_of = pack_count(total, g.of);

    if next_of != of || g.of == 0 {
        // A new size: every record moves.
        let mut records: BTreeMap<String, Record> = BTreeMap::new();
        for (index, stored) in &g.packs {
            if !changed.contains_key(index) {
                records.extend(unpack(name, of, *index, stored)?);
            }
        }
        for recs in changed.into_values() {
            records.extend(recs);
        }
        records.retain(|_, r| live(r));
        let replaced = g
            .packs
            .keys()
            .map(|&index| {
                PackId {
                    group: name.to_string(),
                    of,
                    index,
                }
                .pk()
            })
            .collect();
        return whole(records, next_of, replaced, plan);
    }

    let mut next = g.clone();
    for (index, records) in changed {
        let id = PackId {
            group: name.to_string(),
            of,
            index,
        };
        if records.is_empty() {
            if next.packs.remove(&index).is_some() {
                plan.deletes.insert(id.pk());
            }
            continue;
        }
        let recs: Vec<Record> = records.into_values().collect();
        let w = pack_one(name, of, index, &recs)?;
        if next
            .packs
            .get(&index)
            .is_some_and(|p| p.crc == w.stored.crc)
        {
            continue;
        }
        next.packs.insert(index, w.stored.clone());
        plan.writes.push(w);
    }
    Ok(next)
}

impl DynamoStore {
    /// Every item of the table, by `pk`, with one Scan (paged).
    async fn scan_items(&self, consistent: bool) -> Result<BTreeMap<String, Item>, StoreError> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(consistent)
            .set_limit(self.scan_page_limit)
            .into_paginator()
            .send();
        let mut items = BTreeMap::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| unavailable(&self.table, "Scan", e))?;
            for item in page.items.unwrap_or_default() {
                match pk_of(&item).map(str::to_string) {
                    Some(pk) => {
                        items.insert(pk, item);
                    }
                    None => {
                        tracing::warn!(table = %self.table, "skipping an item without a string pk");
                    }
                }
            }
        }
        Ok(items)
    }

    /// Reads `keys` with strongly consistent reads; the keys missing from the answer do not
    /// exist.
    async fn get_items(&self, keys: &[String]) -> Result<BTreeMap<String, Item>, StoreError> {
        let mut found = BTreeMap::new();
        for chunk in keys.chunks(GET_CHUNK) {
            let build = |e: aws_sdk_dynamodb::error::BuildError| {
                unavailable(&self.table, "BatchGetItem", e)
            };
            let mut pending = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(|k| key_item(k)).collect()))
                .consistent_read(true)
                .build()
                .map_err(build)?;
            let mut backoff = Duration::from_millis(50);
            for attempt in 1..=GET_TRIES {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending.clone())
                    .send()
                    .await
                    .map_err(|e| unavailable(&self.table, "BatchGetItem", e))?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    if let Some(pk) = pk_of(&item).map(str::to_string) {
                        found.insert(pk, item);
                    }
                }
                match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                    Some(left) if !left.keys().is_empty() => {
                        if attempt == GET_TRIES {
                            return Err(StoreError::Unavailable(format!(
                                "dynamodb table {}: {} reads still unprocessed after {GET_TRIES} tries",
                                self.table,
                                left.keys().len()
                            )));
                        }
                        pending = left;
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    /// Every item of the table: one eventually consistent Scan checked against `manifest`
    /// (what it does not vouch for read again, consistently), or one consistent Scan.
    async fn read_table(
        &self,
        manifest: Option<&Manifest>,
    ) -> Result<BTreeMap<String, Item>, StoreError> {
        let mut items = self.scan_items(manifest.is_none()).await?;
        if let Some(manifest) = manifest {
            let reread = to_reread(manifest, &items);
            if !reread.is_empty() {
                tracing::debug!(table = %self.table, items = reread.len(),
                    "reading again what the manifest does not vouch for");
                let mut fresh = self.get_items(&reread).await?;
                for pk in reread {
                    match fresh.remove(&pk) {
                        Some(item) => items.insert(pk, item),
                        None => items.remove(&pk),
                    };
                }
            }
        }
        Ok(items)
    }

    /// `Store::load`: every record, from packs and one-record items.
    pub(super) async fn load_records(&self, now: Epoch) -> Result<Records, StoreError> {
        let manifest = {
            let cache = self.cache.lock().expect("state cache");
            cache.session.as_ref().and_then(|s| s.manifest.clone())
        };
        let items = self.read_table(manifest.as_ref()).await?;
        let (records, groups, seen) = assemble(&self.table, items, now);
        let mut cache = self.cache.lock().expect("state cache");
        cache.groups = Some(groups);
        cache.manifests_seen = seen;
        cache.poisoned = false;
        cache.loaded_now = Some(now);
        Ok(records)
    }

    /// `Store::get` of a record that is not a lease: a one-record item, else from its pack.
    pub(super) async fn get_record(&self, key: &str) -> Result<Option<Record>, StoreError> {
        if let Some(item) = self.get_items(&[key.to_string()]).await?.remove(key) {
            return from_dynamo(item).map(Some).map_err(|r| corrupt(key, r));
        }
        let items = self.read_table(None).await?;
        let (mut records, _, _) = assemble(&self.table, items, Epoch::MIN);
        Ok(records.remove(key))
    }

    /// `Store::save`: rewrites the packs holding a changed record (and whole the groups that
    /// need it), new packs first, then deletes what they replace.
    pub(super) async fn save_records(
        &self,
        put: Vec<Record>,
        delete: &[String],
    ) -> Result<usize, StoreError> {
        let count = put.len() + delete.len();
        // Under the lease, what this store last read or wrote is what the table holds (no
        // one else writes). Without it, or before any load, read the table first.
        let (trusted, loaded_now) = {
            let cache = self.cache.lock().expect("state cache");
            let trusted = cache.groups.is_some() && cache.session.is_some() && !cache.poisoned;
            (trusted, cache.loaded_now)
        };
        // Records expired when the caller last loaded are dropped; a save with no load
        // before it drops none.
        let now = loaded_now.unwrap_or(Epoch::MIN);
        if !trusted {
            self.load_records(now).await?;
        }
        let plan = {
            let cache = self.cache.lock().expect("state cache");
            let groups = cache.groups.as_ref().expect("loaded above");
            let mut by_group: BTreeMap<&str, (Vec<Record>, Vec<&str>)> = BTreeMap::new();
            for (name, g) in groups {
                if g.merged.is_some() {
                    by_group.entry(name.as_str()).or_default();
                }
            }
            let keys: Vec<String> = put.iter().map(Record::key).collect();
            let mut put_by_group: BTreeMap<String, Vec<Record>> = BTreeMap::new();
            let mut plan = WritePlan::default();
            for (r, key) in put.into_iter().zip(&keys) {
                if matches!(r, Record::Lease(_)) {
                    // A lease is an item of its own, always.
                    plan.singles.push(to_dynamo(&r)?);
                    continue;
                }
                put_by_group
                    .entry(group_of(key).to_string())
                    .or_default()
                    .push(r);
            }
            for key in delete {
                if key.starts_with("lease#") {
                    plan.deletes.insert(key.clone());
                    continue;
                }
                by_group
                    .entry(group_of(key))
                    .or_default()
                    .1
                    .push(key.as_str());
            }
            let empty = Group::default();
            let names: BTreeSet<String> = by_group
                .keys()
                .map(|k| k.to_string())
                .chain(put_by_group.keys().cloned())
                .collect();
            for name in names {
                let puts = put_by_group.remove(&name).unwrap_or_default();
                let deletes = by_group
                    .get(name.as_str())
                    .map(|(_, d)| d.clone())
                    .unwrap_or_default();
                let g = groups.get(&name).unwrap_or(&empty);
                let next = plan_group(&name, g, puts, &deletes, now, &mut plan)?;
                plan.groups.insert(name, next);
            }
            plan
        };
        if plan.writes.is_empty() && plan.singles.is_empty() && plan.deletes.is_empty() {
            return Ok(count);
        }
        let sent = self.send_plan(&plan).await;
        let (unleased, seen) = self.after_save(sent.is_ok(), plan.groups);
        sent?;
        if unleased {
            // Written without the lease: no manifest describes the table any more.
            self.drop_manifests(&seen).await?;
        }
        Ok(count)
    }

    /// Records what a save left: the groups it wrote, or that it failed part way. Returns
    /// whether it was made without the lease, and the lease items seen with a manifest.
    fn after_save(&self, sent: bool, written: BTreeMap<String, Group>) -> (bool, Vec<String>) {
        let mut cache = self.cache.lock().expect("state cache");
        // The table is no longer what the previous holder's manifest says: a later load
        // under this lease reads consistently.
        if let Some(session) = cache.session.as_mut() {
            session.manifest = None;
        }
        if !sent {
            cache.poisoned = true;
            return (false, vec![]);
        }
        let groups = cache.groups.get_or_insert_with(BTreeMap::new);
        groups.extend(written);
        let unleased = cache.session.is_none();
        (unleased, std::mem::take(&mut cache.manifests_seen))
    }

    async fn send_plan(&self, plan: &WritePlan) -> Result<(), StoreError> {
        let build =
            |e: aws_sdk_dynamodb::error::BuildError| unavailable(&self.table, "BatchWriteItem", e);
        let written_ms = epoch_ms();
        let mut puts = Vec::with_capacity(plan.writes.len() + plan.singles.len());
        for item in &plan.singles {
            let request = PutRequest::builder()
                .set_item(Some(item.clone()))
                .build()
                .map_err(build)?;
            puts.push(WriteRequest::builder().put_request(request).build());
        }
        for w in &plan.writes {
            let mut item = key_item(&w.id.pk());
            item.insert("kind".into(), AttributeValue::S("pack".into()));
            item.insert(DATA.into(), AttributeValue::B(w.stored.data.clone().into()));
            item.insert(CRC.into(), AttributeValue::N(w.stored.crc.to_string()));
            item.insert(GEN.into(), AttributeValue::N(written_ms.to_string()));
            item.insert(COUNT.into(), AttributeValue::N(w.stored.count.to_string()));
            if let Some(at) = w.expires_at {
                item.insert(EXPIRES_AT.into(), AttributeValue::N(at.to_string()));
            }
            let request = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(build)?;
            puts.push(WriteRequest::builder().put_request(request).build());
        }
        self.write_batches(puts).await?;
        let mut deletes = Vec::with_capacity(plan.deletes.len());
        for pk in &plan.deletes {
            let request = DeleteRequest::builder()
                .set_key(Some(key_item(pk)))
                .build()
                .map_err(build)?;
            deletes.push(WriteRequest::builder().delete_request(request).build());
        }
        self.write_batches(deletes).await
    }

    /// Removes the manifest from these lease items (each only if it still exists).
    async fn drop_manifests(&self, leases: &[String]) -> Result<(), StoreError> {
        for pk in leases {
            let sent = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_item(pk)))
                .update_expression("REMOVE #m")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#m", MANIFEST)
                .expression_attribute_names("#pk", "pk")
                .send()
                .await;
            match sent {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable(&self.table, "UpdateItem (manifest)", e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{SearchRecord, TorrentRecord};

    fn torrent(instance: &str, i: u32, seen: Epoch) -> Record {
        Record::Torrent(Box::new(TorrentRecord {
            instance: instance.into(),
            hash: format!("{i:040x}"),
            last_seen: seen,
            ..Default::default()
        }))
    }

    fn search(i: i64) -> Record {
        Record::Search(SearchRecord {
            arr: "movies".into(),
            media_id: i,
            searched_at: 1,
            reason: None,
            ..Default::default()
        })
    }

    /// The items a plan would leave, from `items`.
    fn apply(items: &mut BTreeMap<String, Item>, plan: &WritePlan, written_ms: u64) {
        for w in &plan.writes {
            let mut item = key_item(&w.id.pk());
            item.insert(DATA.into(), AttributeValue::B(w.stored.data.clone().into()));
            item.insert(CRC.into(), AttributeValue::N(w.stored.crc.to_string()));
            item.insert(GEN.into(), AttributeValue::N(written_ms.to_string()));
            items.insert(w.id.pk(), item);
        }
        for pk in &plan.deletes {
            items.remove(pk);
        }
    }

    fn save(
        items: &mut BTreeMap<String, Item>,
        put: Vec<Record>,
        delete: &[&str],
        written_ms: u64,
    ) -> WritePlan {
        let (_, groups, _) = assemble("t", items.clone(), 0);
        let mut plan = WritePlan::default();
        let mut by_group: BTreeMap<String, Vec<Record>> = BTreeMap::new();
        for r in put {
            by_group
                .entry(group_of(&r.key()).to_string())
                .or_default()
                .push(r);
        }
        let mut names: BTreeSet<String> = by_group.keys().cloned().collect();
        names.extend(delete.iter().map(|k| group_of(k).to_string()));
        names.extend(
            groups
                .iter()
                .filter(|(_, g)| g.merged.is_some())
                .map(|(n, _)| n.clone()),
        );
        for name in names {
            let dels: Vec<&str> = delete
                .iter()
                .copied()
                .filter(|k| group_of(k) == name)
                .collect();
            let g = groups.get(&name).cloned().unwrap_or_default();
            let next = plan_group(
                &name,
                &g,
                by_group.remove(&name).unwrap_or_default(),
                &dels,
                0,
                &mut plan,
            )
            .unwrap();
            plan.groups.insert(name, next);
        }
        apply(items, &plan, written_ms);
        plan
    }

    fn loaded(items: &BTreeMap<String, Item>) -> Records {
        assemble("t", items.clone(), 0).0
    }

    #[test]
    fn records_land_in_packs_and_a_change_rewrites_only_its_pack() {
        let mut items = BTreeMap::new();
        let first: Vec<Record> = (0..1000).map(|i| torrent("main", i, 1)).collect();
        let plan = save(&mut items, first.clone(), &[], 1);
        assert_eq!(plan.writes.len(), 32, "1,000 records in 32 packs");
        assert_eq!(items.len(), 32);
        assert!(items.keys().all(|k| k.starts_with("pack#main#32#")));
        assert_eq!(loaded(&items).len(), 1000);

        let plan = save(&mut items, vec![torrent("main", 7, 2)], &[], 2);
        assert_eq!(plan.writes.len(), 1, "one pack rewritten");
        assert!(plan.deletes.is_empty());
        assert_eq!(loaded(&items)[&first[7].key()], torrent("main", 7, 2));

        // Putting what is there already writes nothing.
        let plan = save(&mut items, vec![torrent("main", 7, 2)], &[], 3);
        assert!(plan.writes.is_empty() && plan.deletes.is_empty());

        let plan = save(&mut items, vec![search(1)], &[&first[3].key()], 4);
        assert_eq!(
            plan.writes.len(),
            2,
            "the shared group's pack and one torrent pack"
        );
        let records = loaded(&items);
        assert_eq!(records.len(), 1000);
        assert!(!records.contains_key(&first[3].key()));
        assert!(records.contains_key(&search(1).key()));
    }

    #[test]
    fn a_shrinking_group_moves_to_fewer_packs_and_deletes_the_old_ones() {
        let mut items = BTreeMap::new();
        let all: Vec<Record> = (0..1000).map(|i| torrent("main", i, 1)).collect();
        save(&mut items, all.clone(), &[], 1);
        let gone: Vec<String> = all[..900].iter().map(Record::key).collect();
        let refs: Vec<&str> = gone.iter().map(String::as_str).collect();
        let plan = save(&mut items, vec![], &refs, 2);
        assert_eq!(plan.deletes.len(), 32, "every old pack deleted");
        assert!(
            items.keys().all(|k| k.starts_with("pack#main#4#")),
            "{:?}",
            items.keys()
        );
        assert_eq!(loaded(&items).len(), 100);
    }

    #[test]
    fn a_save_cut_between_new_and_old_packs_reads_back_the_newest_records() {
        let mut items = BTreeMap::new();
        let all: Vec<Record> = (0..100).map(|i| torrent("main", i, 1)).collect();
        save(&mut items, all.clone(), &[], 1);
        assert!(items.keys().all(|k| k.starts_with("pack#main#4#")));
        // A save moving to 16 packs writes its packs, then dies before deleting the old.
        let more: Vec<Record> = (0..1000).map(|i| torrent("main", i, 5)).collect();
        let (_, groups, _) = assemble("t", items.clone(), 0);
        let mut plan = WritePlan::default();
        plan_group("main", &groups["main"], more, &[], 0, &mut plan).unwrap();
        assert!(!plan.deletes.is_empty());
        plan.deletes.clear();
        apply(&mut items, &plan, 2);
        let records = loaded(&items);
        assert_eq!(records.len(), 1000);
        assert!(
            records
                .values()
                .all(|r| matches!(r, Record::Torrent(t) if t.last_seen == 5))
        );
        // The next save writes the group whole and deletes the leftovers.
        let plan = save(&mut items, vec![], &[], 3);
        assert!(!plan.deletes.is_empty());
        assert!(
            items.keys().all(|k| k.starts_with("pack#main#32#")),
            "{:?}",
            items.keys()
        );
        assert_eq!(loaded(&items).len(), 1000);
    }

    #[test]
    fn one_record_items_of_earlier_versions_are_read_and_moved_into_packs() {
        let mut items = BTreeMap::new();
        for i in 0..3 {
            let r = torrent("main", i, 1);
            items.insert(r.key(), super::super::item::to_dynamo(&r).unwrap());
        }
        save(&mut items, vec![torrent("main", 10, 1)], &[], 1);
        let plan = save(&mut items, vec![], &[], 2);
        assert!(plan.writes.is_empty(), "migrated by the first save");
        assert_eq!(items.len(), 1, "{:?}", items.keys());
        assert_eq!(loaded(&items).len(), 4);
    }

    #[test]
    fn the_manifest_vouches_only_for_packs_as_it_lists_them() {
        let mut items = BTreeMap::new();
        save(
            &mut items,
            (0..100).map(|i| torrent("main", i, 1)).collect(),
            &[],
            1,
        );
        let (_, groups, _) = assemble("t", items.clone(), 0);
        let cache = Cache {
            groups: Some(groups),
            ..Cache::default()
        };
        let manifest = cache.manifest().unwrap();
        assert_eq!(manifest.0["main"].len(), 4);
        assert!(to_reread(&manifest, &items).is_empty());

        // A stale pack, a missing one, an unlisted one and a one-record item are read again.
        let mut seen = items.clone();
        let stale = "pack#main#4#1".to_string();
        seen.get_mut(&stale)
            .unwrap()
            .insert(CRC.into(), AttributeValue::N("5".into()));
        let missing = "pack#main#4#2".to_string();
        seen.remove(&missing);
        seen.insert("pack#other#1#0".into(), key_item("pack#other#1#0"));
        seen.insert("run#last".into(), key_item("run#last"));
        seen.insert("lease#main".into(), key_item("lease#main"));
        let mut reread = to_reread(&manifest, &seen);
        reread.sort();
        assert_eq!(
            reread,
            [
                "pack#main#4#1",
                "pack#main#4#2",
                "pack#other#1#0",
                "run#last"
            ]
        );
    }
}
