//! Opening `state.redb` for one operation at a time, with patience for other processes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redb::{
    Database, DatabaseError, Durability, ReadOnlyDatabase, ReadableDatabase, ReadableTable,
    StorageError, Table, TableDefinition, TableError,
};

use crate::state::StoreError;

/// The one table: record key to JSON bytes.
const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
/// How long an operation waits for another process to close the database.
const OPEN_PATIENCE: Duration = Duration::from_secs(5);
/// Pause between two attempts to open it.
const OPEN_RETRY: Duration = Duration::from_millis(15);

/// Why a change inside a write transaction failed; either way nothing is committed.
#[derive(Debug)]
pub(super) enum ChangeError {
    /// The database refused.
    Storage(StorageError),
    /// The change itself failed (a record that cannot be encoded).
    Store(StoreError),
}

impl From<StorageError> for ChangeError {
    fn from(e: StorageError) -> Self {
        ChangeError::Storage(e)
    }
}

/// The database file, opened and closed around each operation.
#[derive(Debug, Clone)]
pub(super) struct DbFile {
    path: PathBuf,
}

impl DbFile {
    pub(super) fn new(path: PathBuf) -> Self {
        DbFile { path }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn unavailable(&self, what: &str, err: impl std::fmt::Display) -> StoreError {
        StoreError::Unavailable(format!("state file {}: {what}: {err}", self.path.display()))
    }

    /// Calls `open` until the database is not held open by someone else, for a while.
    fn patiently<T>(
        &self,
        mut open: impl FnMut() -> Result<T, DatabaseError>,
    ) -> Result<T, DatabaseError> {
        let started = Instant::now();
        loop {
            match open() {
                Err(DatabaseError::DatabaseAlreadyOpen) if started.elapsed() < OPEN_PATIENCE => {
                    std::thread::sleep(OPEN_RETRY);
                }
                other => return other,
            }
        }
    }

    fn open_writable(&self) -> Result<Database, StoreError> {
        self.patiently(|| Database::create(&self.path))
            .map_err(|e| self.unavailable("cannot open", e))
    }

    /// Opens for reading; `None` when nothing was ever saved.
    ///
    /// Read-only first (several readers may share it, and it writes nothing); a database whose
    /// last writer was killed needs a repair that only a writable open performs.
    fn open_readable(&self) -> Result<Option<Box<dyn ReadableDatabase>>, StoreError> {
        match std::fs::metadata(&self.path) {
            Ok(meta) if meta.len() == 0 => return Ok(None),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.unavailable("cannot stat", e)),
        }
        match self.patiently(|| ReadOnlyDatabase::open(&self.path)) {
            Ok(db) => Ok(Some(Box::new(db))),
            Err(DatabaseError::RepairAborted) => {
                tracing::info!(path = %self.path.display(),
                    "state file was not closed cleanly; repairing");
                Ok(Some(Box::new(self.open_writable()?)))
            }
            Err(e) => Err(self.unavailable("cannot open", e)),
        }
    }

    /// Every stored (key, value), handed to `row` in key order.
    pub(super) fn read_all(&self, mut row: impl FnMut(&str, &[u8])) -> Result<(), StoreError> {
        let Some(db) = self.open_readable()? else {
            return Ok(());
        };
        let txn = db
            .begin_read()
            .map_err(|e| self.unavailable("cannot read", e))?;
        let table = match txn.open_table(RECORDS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(self.unavailable("cannot open table records", e)),
        };
        let read = |e: StorageError| self.unavailable("cannot read table records", e);
        // Each row handed over as it is read: the stored bytes of a large state are never
        // all held at once.
        for r in table.iter().map_err(read)? {
            let (k, v) = r.map_err(read)?;
            row(k.value(), v.value());
        }
        Ok(())
    }

    /// The stored value of one key.
    pub(super) fn read_one(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(db) = self.open_readable()? else {
            return Ok(None);
        };
        let txn = db
            .begin_read()
            .map_err(|e| self.unavailable("cannot read", e))?;
        let table = match txn.open_table(RECORDS) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.unavailable("cannot open table records", e)),
        };
        let value = table
            .get(key)
            .map_err(|e| self.unavailable("cannot read table records", e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    /// Runs `change` in one durable write transaction: all of it is committed, or none.
    pub(super) fn write<F>(&self, change: F) -> Result<(), StoreError>
    where
        F: FnOnce(&mut Table<&str, &[u8]>) -> Result<(), ChangeError>,
    {
        let db = self.open_writable()?;
        let mut txn = db
            .begin_write()
            .map_err(|e| self.unavailable("cannot write", e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.unavailable("cannot write", e))?;
        {
            let mut table = txn
                .open_table(RECORDS)
                .map_err(|e| self.unavailable("cannot open table records", e))?;
            change(&mut table).map_err(|e| match e {
                ChangeError::Storage(e) => self.unavailable("cannot write table records", e),
                ChangeError::Store(e) => e,
            })?;
        }
        txn.commit()
            .map_err(|e| self.unavailable("cannot commit", e))
    }
}
