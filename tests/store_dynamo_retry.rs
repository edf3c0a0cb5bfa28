//! DynamoDB `save` under pressure: a fake endpoint on loopback that throttles and leaves items
//! unprocessed, as DynamoDB does under load (the emulator never does).

mod helpers;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use sweeparr::state::dynamo::DynamoStore;
use sweeparr::state::{Store, StoreError};

use helpers::moto::client_for;
use helpers::store_suite::{NOW, search};

/// How the fake answers the n-th BatchWriteItem (0-based), given the request body.
type Script = fn(usize, &Value) -> (StatusCode, Value);

/// The write-request counts of every BatchWriteItem the fake received.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<usize>>>);

async fn fake_dynamodb(script: Script) -> (String, Seen) {
    let seen = Seen::default();
    let state = seen.clone();
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: String| async move {
            let target = headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert_eq!(target, "DynamoDB_20120810.BatchWriteItem");
            let body: Value = serde_json::from_str(&body).unwrap();
            let n = body["RequestItems"]["t"].as_array().map_or(0, Vec::len);
            let call = {
                let mut seen = state.0.lock().unwrap();
                seen.push(n);
                seen.len() - 1
            };
            let (status, reply) = script(call, &body);
            (
                status,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                reply.to_string(),
            )
                .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn throttled() -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "slow down"
        }),
    )
}

/// All but the first two requests of the batch come back unprocessed.
fn leave_unprocessed(body: &Value) -> (StatusCode, Value) {
    let requests = body["RequestItems"]["t"].as_array().unwrap();
    let rest: Vec<Value> = requests.iter().skip(2).cloned().collect();
    (StatusCode::OK, json!({ "UnprocessedItems": { "t": rest } }))
}

fn done() -> (StatusCode, Value) {
    (StatusCode::OK, json!({ "UnprocessedItems": {} }))
}

#[tokio::test]
async fn throttled_and_unprocessed_writes_are_sent_again_until_done() {
    let (url, seen) = fake_dynamodb(|call, body| match call {
        0 => throttled(),
        1 | 2 => leave_unprocessed(body),
        _ => done(),
    })
    .await;
    let store = DynamoStore::new(client_for(&url), "t".to_string());
    let records: Vec<_> = (0..7).map(|i| search("movies", i, NOW)).collect();

    assert_eq!(store.save(&records, &[]).await.unwrap(), 7);
    // Throttled (7), 5 of 7 left over, 3 of 5 left over, the last 3 written.
    assert_eq!(*seen.0.lock().unwrap(), [7, 7, 5, 3]);
}

#[tokio::test]
async fn writes_still_unprocessed_after_eight_tries_make_the_store_unavailable() {
    let (url, seen) = fake_dynamodb(|_, body| {
        let all = body["RequestItems"]["t"].clone();
        (StatusCode::OK, json!({ "UnprocessedItems": { "t": all } }))
    })
    .await;
    let store = DynamoStore::new(client_for(&url), "t".to_string());
    let t = Instant::now();
    match store.save(&[search("movies", 1, NOW)], &[]).await {
        Err(StoreError::Unavailable(msg)) => {
            assert!(
                msg.contains("dynamodb table t") && msg.contains("8 tries"),
                "{msg}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(seen.0.lock().unwrap().len(), 8, "eight tries");
    eprintln!("gave up after {:?}", t.elapsed());
}
