//! `save` on DynamoDB: BatchWriteItem in chunks of 25, sending again what was left
//! unprocessed.
//!
//! A throttled BatchWriteItem is an error the SDK retries itself (its standard retry, given
//! more attempts and shorter pauses for batch writes here, as a save must finish within the
//! pass deadline); items DynamoDB accepted the request for but left unprocessed are a
//! successful reply the SDK does not look into, so the store sends them again.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::WriteRequest;
use futures::{StreamExt, TryStreamExt};

use super::{DynamoStore, unavailable};
use crate::state::StoreError;

/// Most write requests DynamoDB takes in one BatchWriteItem.
pub(super) const CHUNK: usize = 25;
/// Sends per chunk (first send included) before giving up on unprocessed items; also the
/// SDK's attempts for one throttled BatchWriteItem.
const MAX_TRIES: u32 = 8;
/// Pause before the second try; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// Longest pause between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Chunks in flight at once.
const PARALLEL_CHUNKS: usize = 4;

/// The SDK's retry for BatchWriteItem: standard (throttling and transient errors), with
/// [`MAX_TRIES`] attempts and the pauses of the unprocessed-items loop.
fn batch_retry() -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::default().retry_config(
        RetryConfig::standard()
            .with_max_attempts(MAX_TRIES)
            .with_initial_backoff(FIRST_BACKOFF)
            .with_max_backoff(MAX_BACKOFF),
    )
}

impl DynamoStore {
    /// Sends every request, in chunks of [`CHUNK`].
    pub(super) async fn write_batches(
        &self,
        requests: Vec<WriteRequest>,
    ) -> Result<(), StoreError> {
        if crate::crash::split_final_save() {
            // Test builds only: write one record per request, in order, and die after half
            // of them, as a save of many chunks cut short would leave it.
            let half = requests.len().div_ceil(2);
            for (i, request) in requests.into_iter().enumerate() {
                self.write_chunk(vec![request]).await?;
                if i + 1 == half {
                    crate::crash::at(crate::crash::Point::WhileSaving);
                }
            }
            return Ok(());
        }
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(CHUNK)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        futures::stream::iter(chunks.into_iter().map(|chunk| self.write_chunk(chunk)))
            .buffer_unordered(PARALLEL_CHUNKS)
            .try_collect::<()>()
            .await
    }

    async fn write_chunk(&self, mut pending: Vec<WriteRequest>) -> Result<(), StoreError> {
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=MAX_TRIES {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending.clone())
                .customize()
                .config_override(batch_retry())
                .send()
                .await
                .map_err(|e| unavailable(&self.table, "BatchWriteItem", e))?;
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            tracing::debug!(table = %self.table, attempt, left = pending.len(),
                "BatchWriteItem left items unprocessed");
            if attempt < MAX_TRIES {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        Err(StoreError::Unavailable(format!(
            "dynamodb table {}: {} writes still unprocessed after {MAX_TRIES} tries",
            self.table,
            pending.len()
        )))
    }
}
