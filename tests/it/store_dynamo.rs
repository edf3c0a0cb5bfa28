//! The DynamoDB backend against an emulator: the shared store suite, plus table layout,
//! batching and lease behaviour seen on the items themselves.

use crate::helpers;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Credentials, Intercept, Region};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use helpers::moto::{DynamoEndpoint, dynamo_endpoint, free_port};
use helpers::store_suite::{self, MakeStore, NOW, lease_req, search, torrent};
use sweeparr::state::dynamo::DynamoStore;
use sweeparr::state::record::lease_pk;
use sweeparr::state::{Store, StoreError};

/// What a client sent: the number of write requests of every BatchWriteItem, and whether
/// each Scan asked for a strongly consistent read.
#[derive(Debug, Default, Clone)]
struct Sent {
    batch_sizes: Arc<Mutex<Vec<usize>>>,
    consistent_scans: Arc<Mutex<Vec<bool>>>,
}

impl Intercept for Sent {
    fn name(&self) -> &'static str {
        "sent"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let input = context.input();
        if let Some(input) = input.downcast_ref::<BatchWriteItemInput>() {
            let n = input
                .request_items()
                .map_or(0, |m| m.values().map(Vec::len).sum());
            self.batch_sizes.lock().unwrap().push(n);
        }
        if let Some(input) = input.downcast_ref::<ScanInput>() {
            let consistent = input.consistent_read().unwrap_or(false);
            self.consistent_scans.lock().unwrap().push(consistent);
        }
        Ok(())
    }
}

/// A client like `client` that `sent` watches.
fn watched(client: &Client, sent: &Sent) -> Client {
    Client::from_conf(
        client
            .config()
            .to_builder()
            .interceptor(sent.clone())
            .build(),
    )
}

/// A store on a new, initialised `table`.
async fn new_table(endpoint: &DynamoEndpoint, table: &str) -> DynamoStore {
    let store = DynamoStore::new(endpoint.client(), table.to_string());
    assert!(
        store.init_table().await.unwrap(),
        "table {table} is created"
    );
    store
}

async fn raw_item(
    client: &Client,
    table: &str,
    key: &str,
) -> Option<HashMap<String, AttributeValue>> {
    client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(key.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

#[tokio::test]
async fn init_table_is_idempotent_and_the_whole_suite_passes() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let client = endpoint.client();
    let store = DynamoStore::new(client.clone(), "suite".to_string());
    assert!(
        store.init_table().await.unwrap(),
        "first init creates the table"
    );
    assert!(!store.init_table().await.unwrap(), "second init finds it");
    let ttl = client
        .describe_time_to_live()
        .table_name("suite")
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));

    // Small Scan pages, so that 3,000 records need several pages.
    let make = move || {
        Box::new(DynamoStore::new(client.clone(), "suite".to_string()).with_scan_page_limit(500))
            as Box<dyn Store>
    };
    let took = store_suite::run_all(&make as MakeStore).await;
    eprintln!("dynamodb store suite on {} took {took:?}", endpoint.kind);
}

#[tokio::test]
async fn a_thousand_records_are_saved_as_packs_in_chunks_of_25() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let client = endpoint.client();
    new_table(&endpoint, "chunks").await;
    let sent = Sent::default();
    let store = DynamoStore::new(watched(&client, &sent), "chunks".to_string());

    // 1,000 torrents of one instance and 60 searches: 32 + 2 packs, one save.
    let mut records: Vec<_> = (0..1000).map(|i| torrent("main", i)).collect();
    records.extend((0..60).map(|i| search("movies", i, NOW)));
    assert_eq!(store.save(records.to_vec(), &[]).await.unwrap(), 1060);
    let mut sizes = sent.batch_sizes.lock().unwrap().clone();
    sizes.sort_unstable();
    assert_eq!(sizes, [9, 25], "BatchWriteItem calls and their sizes");
    let items = client
        .scan()
        .table_name("chunks")
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let mut keys: Vec<&str> = items
        .iter()
        .map(|i| i["pk"].as_s().unwrap().as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys.len(), 34);
    assert!(
        keys[..2].iter().all(|k| k.starts_with("pack##2#")),
        "{keys:?}"
    );
    assert!(
        keys[2..].iter().all(|k| k.starts_with("pack#main#32#")),
        "{keys:?}"
    );
    let bytes: usize = items
        .iter()
        .map(|i| i["d"].as_b().unwrap().as_ref().len())
        .sum();
    assert!(bytes < 1060 * 100, "{bytes} bytes of packs");
    let loaded = store.load(NOW).await.unwrap();
    assert_eq!(loaded.len(), 1060);
    for r in &records {
        assert_eq!(loaded.get(&r.key()), Some(r));
    }

    // A change rewrites the one pack that holds it.
    sent.batch_sizes.lock().unwrap().clear();
    let mut changed = records[7].clone();
    if let sweeparr::state::Record::Torrent(t) = &mut changed {
        t.last_seen += 60;
    }
    store.save(vec![changed.clone()], &[]).await.unwrap();
    assert_eq!(*sent.batch_sizes.lock().unwrap(), [1]);
    assert_eq!(store.get(&changed.key()).await.unwrap(), Some(changed));
}

#[tokio::test]
async fn lease_is_a_conditional_write_refused_to_a_second_run() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let client = endpoint.client();
    let first = new_table(&endpoint, "lease").await;
    let second = DynamoStore::new(endpoint.client(), "lease".to_string());

    first
        .acquire_lease(&lease_req("main,seedbox", "run-1", NOW, 600))
        .await
        .unwrap();
    let item = raw_item(&client, "lease", "lease#main,seedbox")
        .await
        .unwrap();
    assert_eq!(item.get("holder"), Some(&s("run-1")));
    assert_eq!(item.get("until"), Some(&n(NOW + 600)));
    assert_eq!(
        item.get("expires_at"),
        Some(&n(NOW + 600 + 86_400)),
        "TTL attribute"
    );
    assert_eq!(item.get("kind"), Some(&s("lease")));

    match second
        .acquire_lease(&lease_req("main,seedbox", "run-2", NOW + 599, 600))
        .await
    {
        Err(StoreError::LeaseHeld { holder, until }) => {
            assert_eq!((holder.as_str(), until), ("run-1", NOW + 600));
        }
        other => panic!("expected LeaseHeld, got {other:?}"),
    }
    // A run that does not hold the lease cannot delete it.
    second.release_lease("main,seedbox", "run-2").await.unwrap();
    let item = raw_item(&client, "lease", "lease#main,seedbox")
        .await
        .unwrap();
    assert_eq!(item.get("holder"), Some(&s("run-1")));

    first.release_lease("main,seedbox", "run-1").await.unwrap();
    assert!(
        raw_item(&client, "lease", "lease#main,seedbox")
            .await
            .is_none()
    );
}

#[tokio::test]
async fn expired_lease_of_a_crashed_run_is_taken_over() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let client = endpoint.client();
    let store = new_table(&endpoint, "takeover").await;
    // Left by a run that crashed: never released.
    client
        .put_item()
        .table_name("takeover")
        .item("pk", s(&lease_pk("main")))
        .item("kind", s("lease"))
        .item("scope", s("main"))
        .item("holder", s("crashed-run"))
        .item("until", n(NOW - 1))
        .send()
        .await
        .unwrap();

    store
        .acquire_lease(&lease_req("main", "next-run", NOW, 600))
        .await
        .unwrap();
    let item = raw_item(&client, "takeover", &lease_pk("main"))
        .await
        .unwrap();
    assert_eq!(item.get("holder"), Some(&s("next-run")));
    // The crashed run's late release leaves the new lease alone.
    store.release_lease("main", "crashed-run").await.unwrap();
    let item = raw_item(&client, "takeover", &lease_pk("main"))
        .await
        .unwrap();
    assert_eq!(item.get("holder"), Some(&s("next-run")));
}

#[tokio::test]
async fn items_follow_the_table_layout_and_unreadable_ones_are_skipped() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let client = endpoint.client();
    let store = new_table(&endpoint, "layout").await;
    let table = client
        .describe_table()
        .table_name("layout")
        .send()
        .await
        .unwrap();
    let schema = table.table().unwrap().key_schema();
    assert_eq!(schema.len(), 1, "partition key only");
    assert_eq!(schema[0].attribute_name(), "pk");

    let mut gone = store_suite::full_torrent("main", 1);
    gone.expires_at = Some(NOW + 100);
    let mut going = store_suite::full_torrent("box", 2);
    going.expires_at = Some(NOW + 200);
    let kept = torrent("main", 2);
    let records = [
        sweeparr::state::Record::Torrent(Box::new(gone.clone())),
        sweeparr::state::Record::Torrent(Box::new(going.clone())),
        kept.clone(),
    ];
    store.save(records.to_vec(), &[]).await.unwrap();

    // One pack per instance: kind, data, checksum; a TTL only when every record expires.
    let item = raw_item(&client, "layout", "pack#main#1#0").await.unwrap();
    assert_eq!(item.get("kind"), Some(&s("pack")));
    assert!(item.get("d").is_some_and(|d| d.is_b()), "{item:?}");
    assert!(item.get("c").is_some_and(|c| c.is_n()), "{item:?}");
    assert!(
        !item.contains_key("expires_at"),
        "no TTL while one record does not expire"
    );
    let item = raw_item(&client, "layout", "pack#box#1#0").await.unwrap();
    assert_eq!(item.get("expires_at"), Some(&n(NOW + 200)));
    assert!(
        raw_item(&client, "layout", &records[0].key())
            .await
            .is_none()
    );

    // A one-record item of an earlier version is read; an unreadable one is skipped.
    let legacy = torrent("main", 3);
    client
        .put_item()
        .table_name("layout")
        .item("pk", s(&legacy.key()))
        .item("kind", s("torrent"))
        .item("instance", s("main"))
        .item("hash", s(&format!("{:040x}", 3)))
        .item("first_seen", n(NOW - 10))
        .item("last_seen", n(NOW))
        .item("progress_at", n(NOW - 5))
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name("layout")
        .item("pk", s("torrent#main#bad"))
        .item("kind", s("spaceship"))
        .send()
        .await
        .unwrap();
    let loaded = store.load(NOW).await.unwrap();
    assert_eq!(loaded.len(), 4, "the unreadable item is skipped");
    assert_eq!(loaded.get(&legacy.key()), Some(&legacy));
    assert!(matches!(
        store.get("torrent#main#bad").await,
        Err(StoreError::Corrupt { key, .. }) if key == "torrent#main#bad"
    ));
    // TTL deletion is lazy: an expired record still in the table is not loaded.
    assert_eq!(store.load(NOW + 100).await.unwrap().len(), 3);
    assert_eq!(store.load(NOW + 200).await.unwrap().len(), 2);

    // The next save moves the one-record item into its instance's pack.
    store.save(vec![], &[]).await.unwrap();
    assert!(raw_item(&client, "layout", &legacy.key()).await.is_none());
    assert_eq!(store.get(&legacy.key()).await.unwrap(), Some(legacy));
}

#[tokio::test]
async fn a_released_lease_keeps_the_manifest_and_the_next_run_reads_half_price() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let client = endpoint.client();
    let store = new_table(&endpoint, "manifest").await;
    let records: Vec<_> = (0..100).map(|i| torrent("main", i)).collect();
    store
        .acquire_lease(&lease_req("main", "run-1", NOW, 600))
        .await
        .unwrap();
    store.load(NOW).await.unwrap();
    store.save(records.clone(), &[]).await.unwrap();
    store.release_lease("main", "run-1").await.unwrap();
    let item = raw_item(&client, "manifest", "lease#main").await.unwrap();
    assert_eq!(item.get("until"), Some(&n(0)), "released, kept");
    assert!(item.get("packs").is_some_and(|m| m.is_b()), "{item:?}");
    assert!(
        store.get("lease#main").await.unwrap().is_none(),
        "held by nobody"
    );

    // A second run (another process) trusts it: one eventually consistent Scan (half the
    // read units), the same records, and it can save.
    let sent = Sent::default();
    let next = DynamoStore::new(watched(&client, &sent), "manifest".to_string());
    next.acquire_lease(&lease_req("main", "run-2", NOW + 60, 600))
        .await
        .unwrap();
    let torrents = |records: &sweeparr::state::Records| {
        records
            .values()
            .filter(|r| matches!(r, sweeparr::state::Record::Torrent(_)))
            .count()
    };
    let loaded = next.load(NOW).await.unwrap();
    assert_eq!(torrents(&loaded), 100);
    assert_eq!(*sent.consistent_scans.lock().unwrap(), [false]);
    let mut changed = records[5].clone();
    if let sweeparr::state::Record::Torrent(t) = &mut changed {
        t.last_seen += 60;
    }
    next.save(vec![changed.clone()], &[records[6].key()])
        .await
        .unwrap();
    next.release_lease("main", "run-2").await.unwrap();

    // A run that changes the table without the lease leaves no manifest to trust.
    let forget = DynamoStore::new(endpoint.client(), "manifest".to_string());
    forget.save(vec![], &[records[8].key()]).await.unwrap();
    let item = raw_item(&client, "manifest", "lease#main").await.unwrap();
    assert!(!item.contains_key("packs"), "{item:?}");

    let third = DynamoStore::new(watched(&client, &sent), "manifest".to_string());
    third
        .acquire_lease(&lease_req("main", "run-3", NOW + 120, 600))
        .await
        .unwrap();
    let loaded = third.load(NOW).await.unwrap();
    assert_eq!(torrents(&loaded), 98);
    assert_eq!(loaded.get(&changed.key()), Some(&changed));
    assert!(!loaded.contains_key(&records[6].key()));
    assert!(!loaded.contains_key(&records[8].key()));
    assert_eq!(
        *sent.consistent_scans.lock().unwrap(),
        [false, true],
        "no manifest: consistent"
    );
    third.release_lease("main", "run-3").await.unwrap();
}

#[tokio::test]
async fn missing_table_is_unavailable_and_never_created_by_a_run() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    let store = DynamoStore::new(endpoint.client(), "absent".to_string());
    for result in [
        store.load(NOW).await.map(|_| ()),
        store.save(vec![search("a", 1, NOW)], &[]).await.map(|_| ()),
        store.acquire_lease(&lease_req("main", "r", NOW, 60)).await,
    ] {
        match result {
            Err(StoreError::Unavailable(msg)) => {
                eprintln!("{msg}");
                assert!(msg.contains("dynamodb table absent"), "{msg}");
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
    let tables = endpoint.client().list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty(), "no table was created");
}

#[tokio::test]
async fn unreachable_endpoint_is_unavailable_naming_the_table() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(sweeparr::net::aws_http_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(&url)
        .credentials_provider(Credentials::new(
            "AKIDPROBE",
            "probe-secret",
            None,
            None,
            "t",
        ))
        .build();
    let store = DynamoStore::new(Client::from_conf(config), "sweeparr".to_string());
    let t = Instant::now();
    match store.load(NOW).await {
        Err(StoreError::Unavailable(msg)) => {
            eprintln!("{msg}");
            assert!(msg.contains("dynamodb table sweeparr"), "{msg}");
            assert!(
                msg.contains("127.0.0.1") || msg.contains("dispatch"),
                "{msg}"
            );
            assert!(
                !msg.contains("AKIDPROBE") && !msg.contains("probe-secret"),
                "{msg}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    eprintln!("unreachable endpoint reported after {:?}", t.elapsed());
}
