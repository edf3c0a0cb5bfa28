//! A loopback HTTP receiver for notifications: records every request (method, path,
//! headers, body) and answers with a settable status. Stops on drop.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// "POST", ...
    pub method: String,
    /// Path, e.g. "/discord/123/token".
    pub path: String,
    /// Headers, names lower-case.
    pub headers: BTreeMap<String, String>,
    /// Body as text.
    pub body: String,
}

impl Received {
    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body of {} is not JSON ({e}): {}", self.path, self.body))
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    status: u16,
}

type Shared = Arc<Mutex<Inner>>;

/// A running receiver.
pub struct Receiver {
    addr: SocketAddr,
    state: Shared,
    _server: super::background::Background,
}

impl Receiver {
    /// Starts on a free loopback port, answering 200.
    pub fn start() -> Receiver {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let state: Shared = Arc::new(Mutex::new(Inner {
            received: Vec::new(),
            status: 200,
        }));
        let app = Router::new().fallback(record).with_state(state.clone());
        Receiver {
            addr,
            state,
            _server: super::background::Background::serve("receiver", listener, app),
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers every request with `status` from now on.
    pub fn set_status(&self, status: u16) {
        self.state.lock().unwrap().status = status;
    }

    /// Every request so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn at(&self, prefix: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        self.state.lock().unwrap().received.clear();
    }
}

async fn record(State(st): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut inner = st.lock().unwrap();
    inner.received.push(Received {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    let status = StatusCode::from_u16(inner.status).unwrap_or(StatusCode::OK);
    (status, "{}").into_response()
}
