//! The DynamoDB state store, for the cloud (and for a local emulator).
//!
//! One table, partition key `pk` (string), no sort key; an item is `pk`, the TTL attribute
//! `expires_at` (epoch seconds, only for records that expire) and the record's fields
//! including `kind`. TTL deletion is lazy, so `load` also skips expired items itself.
//! The lease is a conditional write on `lease#<scope>`.

mod batch;
mod item;
mod table;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};

use super::record::lease_pk;
use super::{Epoch, LeaseRecord, LeaseRequest, Record, Records, Store, StoreError};
use item::{expires_at_of, from_dynamo, key_item, pk_of, to_dynamo};

/// Lease condition: free, expired, or already ours.
const LEASE_FREE: &str = "attribute_not_exists(#pk) OR #until < :now OR #holder = :me";

/// The DynamoDB state store: one table, one item per record.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    scan_page_limit: Option<i32>,
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

#[async_trait]
impl Store for DynamoStore {
    fn describe(&self) -> String {
        format!("dynamodb table {}", self.table)
    }

    async fn acquire_lease(&self, req: &LeaseRequest) -> Result<(), StoreError> {
        let item = to_dynamo(&Record::Lease(LeaseRecord {
            scope: req.scope.clone(),
            holder: req.run_id.clone(),
            until: req.until,
        }))?;
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(LEASE_FREE)
            .expression_attribute_names("#pk", "pk")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":now", AttributeValue::N(req.now.to_string()))
            .expression_attribute_values(":me", AttributeValue::S(req.run_id.clone()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let (holder, until) = self.lease_holder(&req.scope).await?;
                Err(StoreError::LeaseHeld { holder, until })
            }
            Err(e) => Err(unavailable(&self.table, "PutItem (lease)", e)),
        }
    }

    async fn release_lease(&self, scope: &str, run_id: &str) -> Result<(), StoreError> {
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&lease_pk(scope))))
            .condition_expression("#holder = :me")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":me", AttributeValue::S(run_id.to_string()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                tracing::info!(table = %self.table, scope, run_id,
                    "lease not released: this run no longer holds it (expired and taken, or gone)");
                Ok(())
            }
            Err(e) => Err(unavailable(&self.table, "DeleteItem (lease)", e)),
        }
    }

    async fn load(&self, now: Epoch) -> Result<Records, StoreError> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .set_limit(self.scan_page_limit)
            .into_paginator()
            .send();
        let mut records = Records::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| unavailable(&self.table, "Scan", e))?;
            for item in page.items.unwrap_or_default() {
                if expires_at_of(&item).is_some_and(|at| at <= now) {
                    continue;
                }
                let Some(key) = pk_of(&item).map(str::to_string) else {
                    tracing::warn!(table = %self.table, "skipping an item without a string pk");
                    continue;
                };
                match from_dynamo(item) {
                    Ok(record) => {
                        records.insert(key, record);
                    }
                    Err(reason) => {
                        tracing::warn!(table = %self.table, key = %key, error = %reason,
                            "skipping unreadable state record");
                    }
                }
            }
        }
        Ok(records)
    }

    async fn save(&self, put: Vec<Record>, delete: &[String]) -> Result<usize, StoreError> {
        let build =
            |e: aws_sdk_dynamodb::error::BuildError| unavailable(&self.table, "BatchWriteItem", e);
        // One request per key (DynamoDB refuses a batch naming a key twice): a key both put
        // and deleted ends up put, the last put of a key wins.
        let mut requests: BTreeMap<String, WriteRequest> = BTreeMap::new();
        for key in delete {
            let request = DeleteRequest::builder()
                .set_key(Some(key_item(key)))
                .build()
                .map_err(build)?;
            requests.insert(
                key.clone(),
                WriteRequest::builder().delete_request(request).build(),
            );
        }
        for record in &put {
            let request = PutRequest::builder()
                .set_item(Some(to_dynamo(record)?))
                .build()
                .map_err(build)?;
            requests.insert(
                record.key(),
                WriteRequest::builder().put_request(request).build(),
            );
        }
        self.write_batches(requests.into_values().collect()).await?;
        Ok(put.len() + delete.len())
    }

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(&self.table, "GetItem", e))?;
        match out.item {
            None => Ok(None),
            Some(item) => from_dynamo(item)
                .map(Some)
                .map_err(|reason| StoreError::Corrupt {
                    key: key.to_string(),
                    reason,
                }),
        }
    }
}
