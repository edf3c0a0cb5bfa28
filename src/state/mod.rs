//! The state store: records that outlive one pass, and the run lease.
//!
//! [`Store`] is the one interface; [`file::FileStore`] (embedded, the default) and the
//! DynamoDB backend implement it and pass the same test suite.

pub mod dynamo;
pub mod file;
pub mod memory;
pub mod record;

use std::collections::BTreeMap;

use async_trait::async_trait;

pub use memory::{InstanceTorrents, State};
pub use record::{
    Epoch, InstanceRecord, Intent, LeaseRecord, OutageRecord, Record, RunRecord, SearchRecord,
    TorrentRecord,
};

/// Errors callers branch on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another run holds the lease and it has not expired.
    #[error("another run ({holder}) holds the lease until {until}")]
    LeaseHeld {
        /// `run_id` of the holder (or "another process" for an OS lock).
        holder: String,
        /// Epoch seconds when it expires (0 when unknown).
        until: Epoch,
    },
    /// The lease was lost (taken by someone else after expiring) before this run released it.
    #[error("lease lost: {0}")]
    LeaseLost(String),
    /// The store cannot be used (I/O, corrupt, permissions, unreachable).
    #[error("state store unusable: {0}")]
    Unavailable(String),
    /// A stored record could not be read.
    #[error("state record {key} is unreadable: {reason}")]
    Corrupt {
        /// Record key.
        key: String,
        /// Why.
        reason: String,
    },
}

/// All records of a store, by key.
pub type Records = BTreeMap<String, Record>;

/// A run lease request.
#[derive(Debug, Clone)]
pub struct LeaseRequest {
    /// Scope (see [`lease_scope`]).
    pub scope: String,
    /// The requesting run.
    pub run_id: String,
    /// Current time, epoch seconds.
    pub now: Epoch,
    /// Epoch seconds after which the lease counts as abandoned.
    pub until: Epoch,
}

/// The state store interface shared by every backend.
#[async_trait]
pub trait Store: Send + Sync {
    /// A short description for logs and `check` ("file sweeparr-state", "dynamodb table x").
    fn describe(&self) -> String;

    /// Takes the run lease, or fails with [`StoreError::LeaseHeld`] at once (never waits).
    async fn acquire_lease(&self, req: &LeaseRequest) -> Result<(), StoreError>;

    /// Releases the lease if this run still holds it.
    async fn release_lease(&self, scope: &str, run_id: &str) -> Result<(), StoreError>;

    /// Loads every record, skipping expired ones (`expires_at` <= now).
    async fn load(&self, now: Epoch) -> Result<Records, StoreError>;

    /// Writes (inserts or replaces) `put` and deletes the keys in `delete`, atomically where
    /// the backend can. Returns the number of records written or deleted. The records are
    /// taken, so a backend can encode and drop them one at a time.
    async fn save(&self, put: Vec<Record>, delete: &[String]) -> Result<usize, StoreError>;

    /// Reads one record.
    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError>;
}

/// Lease scope of a set of instances: their sorted names joined by ",".
pub fn lease_scope<'a>(instances: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = instances.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// Opens the store the config names. Creates nothing remote: a missing DynamoDB table is an
/// error (`sweeparr state init` creates it).
pub async fn open(config: &crate::config::Config) -> Result<Box<dyn Store>, StoreError> {
    match config.state.backend {
        crate::config::Backend::File => Ok(Box::new(file::FileStore::open(&config.state.path)?)),
        crate::config::Backend::Dynamodb => Ok(Box::new(
            dynamo::DynamoStore::from_config(
                config.state.table.clone(),
                config.state.endpoint_url.clone(),
            )
            .await?,
        )),
    }
}

/// `sweeparr state init` for DynamoDB: creates the table if missing (idempotent) and
/// enables TTL. True when the table was created, false when it existed.
pub async fn init_dynamo(config: &crate::config::Config) -> Result<bool, StoreError> {
    let store = dynamo::DynamoStore::from_config(
        config.state.table.clone(),
        config.state.endpoint_url.clone(),
    )
    .await?;
    store.init_table().await
}
