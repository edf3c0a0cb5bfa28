//! The OS lock behind the file store's run lease.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use super::LOCK_FILE;
use crate::state::{Epoch, StoreError};

/// A lease held by this process: the locked file (unlocked when dropped) and what it is for.
#[derive(Debug)]
pub(super) struct HeldLease {
    /// Kept open for its lock.
    pub(super) _file: File,
    pub(super) scope: String,
    pub(super) run_id: String,
    pub(super) until: Epoch,
}

/// Takes the exclusive lock on `<dir>/lease.lock` without waiting; `None` when another open
/// file (in any process) holds it.
pub(super) fn try_lock(dir: &Path) -> Result<Option<File>, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(StoreError::Unavailable(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}
