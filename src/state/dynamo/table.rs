//! `sweeparr state init` on DynamoDB: create the table if missing, wait for it, enable TTL.

use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::item::{EXPIRES_AT, PK};
use super::{DynamoStore, unavailable};
use crate::state::StoreError;

/// How long `init_table` waits for a new table to become active.
const ACTIVE_PATIENCE: Duration = Duration::from_secs(120);

impl DynamoStore {
    /// Creates the table (partition key `pk`, on-demand billing) if it is missing, waits until
    /// it is active and enables TTL on `expires_at` where the endpoint supports it.
    /// Idempotent; returns whether the table was created.
    pub async fn init_table(&self) -> Result<bool, StoreError> {
        let described = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await;
        let created = match described {
            Ok(_) => false,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                self.create_table().await?
            }
            Err(e) => return Err(unavailable(&self.table, "DescribeTable", e)),
        };
        self.wait_until_active().await?;
        self.enable_ttl().await?;
        Ok(created)
    }

    async fn create_table(&self) -> Result<bool, StoreError> {
        let build =
            |e: aws_sdk_dynamodb::error::BuildError| unavailable(&self.table, "CreateTable", e);
        let sent = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(PK)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(PK)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(build)?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match sent {
            Ok(_) => {
                tracing::info!(table = %self.table, "created the state table");
                Ok(true)
            }
            // Created meanwhile by someone else.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable(&self.table, "CreateTable", e)),
        }
    }

    /// The SDK's `table_exists` waiter: DescribeTable until the status is `ACTIVE` (at once
    /// on an emulator; a new DynamoDB table is polled again after 20 s or more).
    async fn wait_until_active(&self) -> Result<(), StoreError> {
        self.client
            .wait_until_table_exists()
            .table_name(&self.table)
            .wait(ACTIVE_PATIENCE)
            .await
            .map(drop)
            .map_err(|e| unavailable(&self.table, "DescribeTable (waiting until active)", e))
    }

    async fn enable_ttl(&self) -> Result<(), StoreError> {
        let current = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await;
        match current {
            Ok(out) => {
                let desc = out.time_to_live_description();
                let status = desc.and_then(|d| d.time_to_live_status());
                let attribute = desc.and_then(|d| d.attribute_name());
                if matches!(
                    status,
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                ) && attribute == Some(EXPIRES_AT)
                {
                    return Ok(());
                }
            }
            Err(e) if ttl_unsupported(e.code(), e.message()) => {
                tracing::warn!(table = %self.table, "endpoint does not support TTL; expired records are still skipped on load");
                return Ok(());
            }
            Err(e) => return Err(unavailable(&self.table, "DescribeTimeToLive", e)),
        }
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()
            .map_err(|e| unavailable(&self.table, "UpdateTimeToLive", e))?;
        let sent = self
            .client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(spec)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // "TimeToLive is already enabled", or the endpoint has no TTL.
            Err(e)
                if ttl_unsupported(e.code(), e.message())
                    || e.code() == Some("ValidationException") =>
            {
                tracing::warn!(table = %self.table, error = %e.message().unwrap_or("?"),
                    "could not enable TTL on expires_at; expired records are still skipped on load");
                Ok(())
            }
            Err(e) => Err(unavailable(&self.table, "UpdateTimeToLive", e)),
        }
    }
}

/// An endpoint (an emulator) that has no TTL operations.
fn ttl_unsupported(code: Option<&str>, message: Option<&str>) -> bool {
    let message = message.unwrap_or("").to_ascii_lowercase();
    matches!(code, Some("UnknownOperationException" | "NotImplemented"))
        || message.contains("not supported")
        || message.contains("not implemented")
}
