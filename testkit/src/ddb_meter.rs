//! A metering proxy in front of a DynamoDB endpoint: forwards every request unchanged and
//! records its operation, request and response, so a test can count the requests a pass
//! sends and the capacity units they would consume on AWS (on-demand pricing rules: a write
//! request unit per started KB written, a read request unit per started 4 KB read strongly
//! consistently, half that eventually consistently).
//!
//! Emulators accept any signature, so the changed `Host` does not matter.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

/// One DynamoDB request seen by the meter.
#[derive(Debug, Clone)]
pub struct DdbCall {
    /// Operation (`PutItem`, `Scan`, ...), from `X-Amz-Target`.
    pub op: String,
    /// Request body.
    pub request: Value,
    /// Response status.
    pub status: u16,
    /// Response body.
    pub response: Value,
    /// Time the upstream took to answer.
    pub elapsed: std::time::Duration,
}

impl DdbCall {
    /// Write request units this call consumes (a failed conditional write still consumes 1).
    pub fn write_units(&self) -> f64 {
        let per_item = |item: &Value| item.as_object().map_or(1.0, |m| kb_units(item_size(m)));
        match self.op.as_str() {
            "PutItem" => per_item(&self.request["Item"]),
            // The deleted item's size is not in the request; sweeparr deletes only its small
            // lease item this way (well under 1 KB).
            "DeleteItem" | "UpdateItem" => 1.0,
            "BatchWriteItem" => self.request["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .filter_map(Value::as_array)
                .flatten()
                .map(|w| match w.get("PutRequest") {
                    Some(put) => per_item(&put["Item"]),
                    None => 1.0,
                })
                .sum(),
            _ => 0.0,
        }
    }

    /// Read request units this call consumes.
    pub fn read_units(&self) -> f64 {
        let factor = if self.request["ConsistentRead"] == Value::Bool(true) {
            1.0
        } else {
            0.5
        };
        let bytes: usize = match self.op.as_str() {
            "GetItem" => self.response["Item"].as_object().map_or(0, item_size),
            "Scan" | "Query" => self.response["Items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .map(item_size)
                .sum(),
            _ => return 0.0,
        };
        (bytes.max(1).div_ceil(4096)) as f64 * factor
    }

    /// Items a Scan page returned.
    pub fn items(&self) -> usize {
        self.response["Items"].as_array().map_or(0, Vec::len)
    }
}

fn kb_units(bytes: usize) -> f64 {
    bytes.max(1).div_ceil(1024) as f64
}

/// DynamoDB's item size: attribute name lengths plus value sizes.
pub fn item_size(item: &Map<String, Value>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Size of one attribute value (`{"S": ..}`, `{"N": ..}`, `{"M": ..}`, ...).
pub fn value_size(v: &Value) -> usize {
    let Some((kind, inner)) = v.as_object().and_then(|m| m.iter().next()) else {
        return 0;
    };
    match (kind.as_str(), inner) {
        ("S", Value::String(s)) | ("B", Value::String(s)) => s.len(),
        ("N", Value::String(n)) => number_size(n),
        ("BOOL", _) | ("NULL", _) => 1,
        ("M", Value::Object(m)) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        ("L", Value::Array(l)) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        ("SS", Value::Array(l)) | ("BS", Value::Array(l)) => {
            l.iter().filter_map(Value::as_str).map(str::len).sum()
        }
        ("NS", Value::Array(l)) => l.iter().filter_map(Value::as_str).map(number_size).sum(),
        _ => 0,
    }
}

/// A number takes about one byte per two significant digits, plus one.
fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    calls: Arc<Mutex<Vec<DdbCall>>>,
}

/// The running proxy; stops when dropped.
pub struct DdbMeter {
    /// Base URL to give clients instead of the upstream's.
    pub url: String,
    calls: Arc<Mutex<Vec<DdbCall>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DdbMeter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DdbMeter {
    /// Starts a proxy on a free loopback port in front of `upstream`.
    pub async fn start(upstream: &str) -> DdbMeter {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind meter");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            http: crate::http(),
            calls: Arc::clone(&calls),
        };
        let app = Router::new().fallback(forward).with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        DdbMeter { url, calls, task }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<DdbCall> {
        self.calls.lock().unwrap().clone()
    }

    /// Forgets the calls so far.
    pub fn clear(&self) {
        self.calls.lock().unwrap().clear();
    }

    /// The operations so far, in order.
    pub fn ops(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.op).collect()
    }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let op = header(&parts.headers, "x-amz-target")
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut upstream = shared
        .http
        .post(format!("{}{}", shared.upstream, parts.uri.path()))
        .body(body.clone());
    for (name, value) in &parts.headers {
        if !matches!(name.as_str(), "host" | "content-length") {
            upstream = upstream.header(name, value);
        }
    }
    let started = std::time::Instant::now();
    let (status, headers, reply) = match upstream.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            (status, headers, r.bytes().await.unwrap_or_default())
        }
        Err(e) => (
            502,
            reqwest::header::HeaderMap::new(),
            e.to_string().into_bytes().into(),
        ),
    };
    shared.calls.lock().unwrap().push(DdbCall {
        op,
        request: serde_json::from_slice(&body).unwrap_or(Value::Null),
        status,
        response: serde_json::from_slice(&reply).unwrap_or(Value::Null),
        elapsed: started.elapsed(),
    });
    let mut response =
        Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY));
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    response.body(Body::from(reply)).unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
