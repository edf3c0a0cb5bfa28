//! Records as DynamoDB items: `pk`, the TTL attribute `expires_at`, and the record's fields.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};

use crate::state::{Epoch, Record, StoreError};

/// A DynamoDB item.
pub(super) type Item = HashMap<String, AttributeValue>;

/// Partition key attribute.
pub(super) const PK: &str = "pk";
/// TTL attribute (epoch seconds).
pub(super) const EXPIRES_AT: &str = "expires_at";

/// The item of a record: its fields (with `kind`), `pk`, and `expires_at` when it has one.
pub(super) fn to_dynamo(record: &Record) -> Result<Item, StoreError> {
    let key = record.key();
    let mut item: Item = to_item(record).map_err(|e| StoreError::Corrupt {
        key: key.clone(),
        reason: format!("cannot encode for DynamoDB: {e}"),
    })?;
    item.insert(PK.to_string(), AttributeValue::S(key));
    match record.expires_at() {
        Some(at) => item.insert(EXPIRES_AT.to_string(), AttributeValue::N(at.to_string())),
        None => item.remove(EXPIRES_AT),
    };
    Ok(item)
}

/// The key item `{pk: key}`.
pub(super) fn key_item(key: &str) -> Item {
    HashMap::from([(PK.to_string(), AttributeValue::S(key.to_string()))])
}

/// The `pk` of an item, if it has a string one.
pub(super) fn pk_of(item: &Item) -> Option<&str> {
    match item.get(PK) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// The `expires_at` of an item, if it has a numeric one.
pub(super) fn expires_at_of(item: &Item) -> Option<Epoch> {
    match item.get(EXPIRES_AT) {
        Some(AttributeValue::N(n)) => n.parse::<f64>().ok().map(|f| f as Epoch),
        _ => None,
    }
}

/// The record of an item.
pub(super) fn from_dynamo(mut item: Item) -> Result<Record, String> {
    item.remove(PK);
    from_item(item).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LeaseRecord, SearchRecord, TorrentRecord};

    #[test]
    fn item_carries_pk_kind_and_ttl_and_reads_back() {
        let lease = Record::Lease(LeaseRecord {
            scope: "a,b".into(),
            holder: "run-1".into(),
            until: 100,
        });
        let item = to_dynamo(&lease).unwrap();
        assert_eq!(pk_of(&item), Some("lease#a,b"));
        assert_eq!(item.get("kind"), Some(&AttributeValue::S("lease".into())));
        assert_eq!(expires_at_of(&item), Some(100 + 86_400));
        assert_eq!(from_dynamo(item).unwrap(), lease);
    }

    #[test]
    fn a_search_reason_round_trips_as_its_name() {
        let search = Record::Search(SearchRecord {
            arr: "movies".into(),
            media_id: 7,
            searched_at: 5,
            reason: Some(crate::model::WantedReason::CutoffUnmet),
            ..Default::default()
        });
        let item = to_dynamo(&search).unwrap();
        assert_eq!(
            item.get("reason")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str),
            Some("cutoff_unmet")
        );
        assert_eq!(from_dynamo(item).unwrap(), search);
    }

    #[test]
    fn record_without_expiry_has_no_ttl_attribute() {
        let search = Record::Search(SearchRecord {
            arr: "movies".into(),
            media_id: 7,
            searched_at: 5,
            reason: None,
            ..Default::default()
        });
        let item = to_dynamo(&search).unwrap();
        assert!(!item.contains_key(EXPIRES_AT));
        assert_eq!(from_dynamo(item).unwrap(), search);

        let torrent = Record::Torrent(Box::new(TorrentRecord {
            instance: "main".into(),
            hash: "ab".into(),
            completed: u64::MAX,
            ..Default::default()
        }));
        let item = to_dynamo(&torrent).unwrap();
        assert!(!item.contains_key(EXPIRES_AT));
        assert_eq!(from_dynamo(item).unwrap(), torrent);
    }
}
