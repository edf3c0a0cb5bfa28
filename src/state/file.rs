//! The embedded state store: a redb database in a folder, plus an OS lock file for the lease.
//!
//! Layout of the folder:
//! - `state.redb`: one table `records`, key = record key, value = JSON of the [`Record`].
//!   Every save is one durable write transaction, so a process killed at any moment leaves
//!   either the old or the new state of that save.
//! - `lease.lock`: an OS lock held from [`Store::acquire_lease`] until release or drop. It
//!   dies with the process, so a crashed run never blocks the next one.
//!
//! redb locks the database file while it is open, so the database is opened for each
//! operation and closed again: a read-only `sweeparr plan` in another process can read while
//! a run holds the lease.

mod db;
mod lease;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use redb::ReadableTable;

use super::record::lease_pk;
use super::{Epoch, LeaseRecord, LeaseRequest, Record, Records, Store, StoreError};
use db::{ChangeError, DbFile};
use lease::HeldLease;

/// Name of the database file inside the state folder.
pub const DB_FILE: &str = "state.redb";
/// Name of the lease lock file inside the state folder.
pub const LOCK_FILE: &str = "lease.lock";

/// The embedded, default state store: a folder holding a redb database and a lock file.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    db: DbFile,
    lease: Mutex<Option<HeldLease>>,
    /// Keys of expired records seen by the last load; the next save deletes them, so a
    /// read-only pass (dry run) never writes.
    expired: Mutex<Vec<String>>,
}

impl FileStore {
    /// Opens the store in `dir`, creating the folder if needed (the database file is created
    /// by the first save).
    pub fn open(dir: &Path) -> Result<FileStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create state folder {}: {e}", dir.display()))
        })?;
        if !dir.is_dir() {
            return Err(StoreError::Unavailable(format!(
                "state path {} is not a folder",
                dir.display()
            )));
        }
        Ok(FileStore {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db: DbFile::new(dir.join(DB_FILE)),
                lease: Mutex::new(None),
                expired: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs blocking store work off the async runtime.
    async fn blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| StoreError::Unavailable(format!("state store task failed: {e}")))?
    }
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Store for FileStore {
    fn describe(&self) -> String {
        format!("file {}", self.inner.dir.display())
    }

    async fn acquire_lease(&self, req: &LeaseRequest) -> Result<(), StoreError> {
        let req = req.clone();
        self.blocking(move |inner| inner.acquire_lease(&req)).await
    }

    async fn release_lease(&self, scope: &str, run_id: &str) -> Result<(), StoreError> {
        let (scope, run_id) = (scope.to_string(), run_id.to_string());
        self.blocking(move |inner| inner.release_lease(&scope, &run_id))
            .await
    }

    async fn load(&self, now: Epoch) -> Result<Records, StoreError> {
        self.blocking(move |inner| inner.load(now)).await
    }

    async fn save(&self, put: Vec<Record>, delete: &[String]) -> Result<usize, StoreError> {
        let expired =
            std::mem::take(&mut *self.inner.expired.lock().unwrap_or_else(|p| p.into_inner()));
        let count = put.len() + delete.len();
        if count == 0 && expired.is_empty() {
            return Ok(0);
        }
        let delete: Vec<String> = delete.iter().cloned().chain(expired).collect();
        self.blocking(move |inner| {
            inner.db.write(|table| {
                // Deletes first: a key both put and deleted ends up put.
                for key in &delete {
                    table.remove(key.as_str())?;
                }
                // Encoded one by one as they are written: the encodings of a large save
                // are never all held at once.
                for record in &put {
                    let key = record.key();
                    let json = serde_json::to_vec(record).map_err(|e| {
                        ChangeError::Store(StoreError::Corrupt {
                            key: key.clone(),
                            reason: format!("cannot encode: {e}"),
                        })
                    })?;
                    table.insert(key.as_str(), json.as_slice())?;
                }
                // Test builds only: die with the transaction written but not committed.
                crate::crash::at(crate::crash::Point::WhileSaving);
                Ok(())
            })
        })
        .await?;
        Ok(count)
    }

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let key = key.to_string();
        self.blocking(move |inner| inner.get(&key)).await
    }
}

impl Inner {
    fn load(&self, now: Epoch) -> Result<Records, StoreError> {
        let mut records = Records::new();
        let mut expired = Vec::new();
        self.db
            .read_all(|key, bytes| match serde_json::from_slice::<Record>(bytes) {
                Ok(record) if record.expires_at().is_some_and(|at| at <= now) => {
                    expired.push(key.to_string());
                }
                Ok(record) => {
                    records.insert(key.to_string(), record);
                }
                Err(e) => {
                    tracing::warn!(key = %key, path = %self.db.path().display(), error = %e,
                        "skipping unreadable state record");
                }
            })?;
        *self.expired.lock().unwrap_or_else(|p| p.into_inner()) = expired;
        Ok(records)
    }

    fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let Some(bytes) = self.db.read_one(key)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                key: key.to_string(),
                reason: e.to_string(),
            })
    }

    fn acquire_lease(&self, req: &LeaseRequest) -> Result<(), StoreError> {
        let mut held = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = held.as_mut() {
            if h.run_id != req.run_id || h.scope != req.scope {
                return Err(StoreError::LeaseHeld {
                    holder: h.run_id.clone(),
                    until: h.until,
                });
            }
            // The holder renews its own lease.
            self.put_lease_record(req)?;
            h.until = req.until;
            return Ok(());
        }
        let Some(file) = lease::try_lock(&self.dir)? else {
            let (holder, until) = self.visible_holder(&req.scope, req.now);
            return Err(StoreError::LeaseHeld { holder, until });
        };
        // The OS lock is ours: any lease record left behind is stale (expired or crashed).
        if let Ok(Some(Record::Lease(old))) = self.get(&lease_pk(&req.scope))
            && old.holder != req.run_id
        {
            tracing::info!(scope = %req.scope, stale_holder = %old.holder, until = old.until,
                "replacing a stale lease record");
        }
        // On error the lock file is dropped here, which unlocks it.
        self.put_lease_record(req)?;
        *held = Some(HeldLease {
            _file: file,
            scope: req.scope.clone(),
            run_id: req.run_id.clone(),
            until: req.until,
        });
        Ok(())
    }

    fn put_lease_record(&self, req: &LeaseRequest) -> Result<(), StoreError> {
        let record = Record::Lease(LeaseRecord {
            scope: req.scope.clone(),
            holder: req.run_id.clone(),
            until: req.until,
        });
        let json = serde_json::to_vec(&record)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode the lease record: {e}")))?;
        let key = record.key();
        self.db.write(|table| {
            table.insert(key.as_str(), json.as_slice())?;
            Ok(())
        })
    }

    /// Who holds the OS lock, as far as the lease records tell.
    fn visible_holder(&self, scope: &str, now: Epoch) -> (String, Epoch) {
        if let Ok(Some(Record::Lease(l))) = self.get(&lease_pk(scope)) {
            return (l.holder, l.until);
        }
        // The holder may run with another scope: name the freshest lease of the folder.
        let freshest = self.load(now).ok().and_then(|records| {
            records
                .into_values()
                .filter_map(|r| match r {
                    Record::Lease(l) => Some(l),
                    _ => None,
                })
                .max_by_key(|l| l.until)
        });
        match freshest {
            Some(l) => (l.holder, l.until),
            None => ("another process".to_string(), 0),
        }
    }

    fn release_lease(&self, scope: &str, run_id: &str) -> Result<(), StoreError> {
        let mut held = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        match held.take() {
            Some(h) if h.run_id == run_id && h.scope == scope => {
                let key = lease_pk(scope);
                let result = self.db.write(|table| {
                    let ours = match table.get(key.as_str())? {
                        Some(v) => serde_json::from_slice::<Record>(v.value())
                            .is_ok_and(|r| matches!(r, Record::Lease(l) if l.holder == run_id)),
                        None => false,
                    };
                    if ours {
                        table.remove(key.as_str())?;
                    }
                    Ok(())
                });
                // Dropping `h` unlocks, even when the record could not be deleted: the next
                // run then replaces the stale record.
                drop(h);
                result
            }
            other => {
                tracing::debug!(scope, run_id, "release of a lease this store does not hold");
                *held = other;
                Ok(())
            }
        }
    }
}
