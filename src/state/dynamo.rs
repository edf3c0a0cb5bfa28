//! The DynamoDB state store, for the cloud (and for a local emulator).
//!
//! One table, partition key `pk` (string), no sort key, TTL on `expires_at` (epoch seconds).
//! Records are kept many to an item in deflated packs (see [`pack`]); the lease is a
//! conditional write on the item `lease#<scope>`, which also keeps the manifest of the packs
//! the last run left. TTL deletion is lazy, so `load` also skips expired records itself.
//! Items of one record each (`pk` = the record key, its fields, `kind`), as earlier versions
//! wrote them, are still read, and moved into packs by the next save.

mod batch;
mod item;
mod pack;
mod packed;
mod table;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::record::lease_pk;
use super::{Epoch, LeaseRecord, LeaseRequest, Record, Records, Store, StoreError};
use item::{Item, PK, from_dynamo, key_item, to_dynamo};
use pack::Manifest;
use packed::{Cache, MANIFEST, Session};

/// Lease condition: free (no item, or released: `until` 0), expired, or already ours.
const LEASE_FREE: &str = "attribute_not_exists(#pk) OR #f_until < :now OR #f_holder = :me";

/// The DynamoDB state store: one table, records in packs.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    scan_page_limit: Option<i32>,
    /// The lease held and the packs last read or written (shared by clones).
    cache: Arc<Mutex<Cache>>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// `Unavailable` naming the table and the operation, with the SDK's explanation (the chain of
/// error messages, e.g. "service error: ResourceNotFoundException: Requested resource not found").
pub(super) fn unavailable(table: &str, op: &str, err: impl std::error::Error) -> StoreError {
    let mut chain: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = next {
        let text = e.to_string();
        if chain.last() != Some(&text) {
            chain.push(text);
        }
        next = e.source();
    }
    let chain = chain.join(": ");
    let hint = if chain.contains("ResourceNotFoundException") {
        " (does the table exist? `sweeparr state init` creates it)"
    } else {
        ""
    };
    StoreError::Unavailable(format!(
        "dynamodb table {table}: {op} failed: {chain}{hint}"
    ))
}

impl DynamoStore {
    /// A store on `table` using `client`.
    pub fn new(client: Client, table: String) -> Self {
        DynamoStore {
            client,
            table,
            scan_page_limit: None,
            cache: Arc::default(),
        }
    }

    /// A store on `table` with a client from the AWS default chain (env, profile, role);
    /// `endpoint_url` points it at an emulator (the SDK also reads `AWS_ENDPOINT_URL_DYNAMODB`);
    /// with it, the region defaults to `us-east-1` when none is configured.
    pub async fn from_config(
        table: String,
        endpoint_url: Option<String>,
    ) -> Result<Self, StoreError> {
        if table.trim().is_empty() {
            return Err(StoreError::Unavailable(
                "dynamodb table name is empty".to_string(),
            ));
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(20))
            .build();
        let mut loader = crate::net::aws_config_loader().timeout_config(timeouts);
        let emulator = endpoint_url.is_some();
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // The loader's region chain (environment, profile, instance metadata) runs on the
        // loader's HTTP client; a chain built apart would have none.
        let sdk = loader.load().await;
        let mut config = aws_sdk_dynamodb::config::Builder::from(&sdk);
        if emulator && sdk.region().is_none() {
            // An emulator does not care about the region, but the SDK needs one.
            config = config.region(aws_sdk_dynamodb::config::Region::new("us-east-1"));
        }
        Ok(DynamoStore::new(Client::from_conf(config.build()), table))
    }

    /// Caps the items of one Scan page (DynamoDB also ends each page at 1 MB).
    pub fn with_scan_page_limit(mut self, limit: i32) -> Self {
        self.scan_page_limit = Some(limit);
        self
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Who holds the lease of `scope` now, as stored.
    async fn lease_holder(&self, scope: &str) -> Result<(String, Epoch), StoreError> {
        match self.get(&lease_pk(scope)).await? {
            Some(Record::Lease(l)) => Ok((l.holder, l.until)),
            // Released between our write and this read.
            _ => Ok(("another run".to_string(), 0)),
        }
    }
}

/// The holder and end of the lease in a lease item.
fn holder_of(item: &Item) -> Option<(String, Epoch)> {
    let holder = item.get("holder")?.as_s().ok()?.clone();
    let until = item.get("until")?.as_n().ok()?.parse().ok()?;
    Some((holder, until))
}

/// The manifest a lease item vouches for: only one a run left when it released the lease
/// (`until` 0). A lease that was never released (its run crashed or lost it) says nothing of
/// what that run wrote.
fn manifest_of(old: Option<&Item>) -> Option<Manifest> {
    let old = old?;
    let (_, until) = holder_of(old)?;
    match old.get(MANIFEST) {
        Some(AttributeValue::B(bytes)) if until == 0 => Manifest::from_bytes(bytes.as_ref()),
        _ => None,
    }
}

#[async_trait]
impl Store for DynamoStore {
    fn describe(&self) -> String {
        format!("dynamodb table {}", self.table)
    }

    async fn acquire_lease(&self, req: &LeaseRequest) -> Result<(), StoreError> {
        let mut item = to_dynamo(&Record::Lease(LeaseRecord {
            scope: req.scope.clone(),
            holder: req.run_id.clone(),
            until: req.until,
        }))?;
        item.remove(PK);
        // One UpdateItem sets the lease and returns the item as it was: the manifest the
        // previous holder left, or, when the lease is held, who holds it.
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&lease_pk(&req.scope))))
            .condition_expression(LEASE_FREE)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":now", AttributeValue::N(req.now.to_string()))
            .expression_attribute_values(":me", AttributeValue::S(req.run_id.clone()))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let mut sets = Vec::new();
        for (name, value) in item {
            sets.push(format!("#f_{name} = :f_{name}"));
            update = update
                .expression_attribute_names(format!("#f_{name}"), name.clone())
                .expression_attribute_values(format!(":f_{name}"), value);
        }
        sets.sort();
        let sent = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await;
        match sent {
            Ok(out) => {
                let manifest = manifest_of(out.attributes.as_ref());
                let mut cache = self.cache.lock().expect("state cache");
                cache.reset();
                cache.session = Some(Session {
                    scope: req.scope.clone(),
                    run_id: req.run_id.clone(),
                    manifest,
                });
                Ok(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let held = e
                    .as_service_error()
                    .and_then(|s| match s {
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item.as_ref(),
                        _ => None,
                    })
                    .and_then(holder_of);
                let (holder, until) = match held {
                    Some(h) => h,
                    None => self.lease_holder(&req.scope).await?,
                };
                Err(StoreError::LeaseHeld { holder, until })
            }
            Err(e) => Err(unavailable(&self.table, "UpdateItem (lease)", e)),
        }
    }

    async fn release_lease(&self, scope: &str, run_id: &str) -> Result<(), StoreError> {
        let manifest = {
            let mut cache = self.cache.lock().expect("state cache");
            let ours = cache
                .session
                .as_ref()
                .is_some_and(|s| s.scope == scope && s.run_id == run_id);
            let manifest = if ours { cache.manifest() } else { None };
            if ours {
                cache.session = None;
            }
            manifest
        };
        let key = Some(key_item(&lease_pk(scope)));
        let me = AttributeValue::S(run_id.to_string());
        // With a manifest, the lease ends (`until` 0) and the item stays for the next run to
        // read it; without one, the item goes.
        let (op, sent) = match manifest {
            Some(m) => (
                "UpdateItem (lease)",
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(key)
                    .update_expression("SET #until = :zero, #m = :m")
                    .condition_expression("#holder = :me")
                    .expression_attribute_names("#until", "until")
                    .expression_attribute_names("#m", MANIFEST)
                    .expression_attribute_names("#holder", "holder")
                    .expression_attribute_values(":zero", AttributeValue::N("0".into()))
                    .expression_attribute_values(":m", AttributeValue::B(m.to_bytes().into()))
                    .expression_attribute_values(":me", me)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws_sdk_dynamodb::Error::from),
            ),
            None => (
                "DeleteItem (lease)",
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(key)
                    .condition_expression("#holder = :me")
                    .expression_attribute_names("#holder", "holder")
                    .expression_attribute_values(":me", me)
                    .send()
                    .await
                    .map(drop)
                    .map_err(aws_sdk_dynamodb::Error::from),
            ),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_)) => {
                tracing::info!(table = %self.table, scope, run_id,
                    "lease not released: this run no longer holds it (expired and taken, or gone)");
                Ok(())
            }
            Err(e) => Err(unavailable(&self.table, op, e)),
        }
    }

    async fn load(&self, now: Epoch) -> Result<Records, StoreError> {
        self.load_records(now).await
    }

    async fn save(&self, put: Vec<Record>, delete: &[String]) -> Result<usize, StoreError> {
        self.save_records(put, delete).await
    }

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        if !key.starts_with("lease#") {
            return self.get_record(key).await;
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&self.table, "GetItem", e))?;
        match out.item.map(from_dynamo) {
            None => Ok(None),
            // Released: kept for its manifest, held by nobody.
            Some(Ok(Record::Lease(l))) if l.until == 0 => Ok(None),
            Some(Ok(record)) => Ok(Some(record)),
            Some(Err(reason)) => Err(StoreError::Corrupt {
                key: key.to_string(),
                reason,
            }),
        }
    }
}
