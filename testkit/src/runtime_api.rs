//! A minimal Lambda Runtime API on loopback that sets the deadline of each invocation,
//! which `cargo lambda watch` cannot (it always sends a deadline in 1970).
//!
//! It speaks the documented protocol: `GET /2018-06-01/runtime/invocation/next` answers with
//! the event and the `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//! `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id` headers; the function
//! posts `.../invocation/{id}/response` or `.../invocation/{id}/error`. Its address is given
//! as real Lambda gives it: `127.0.0.1:PORT`, no scheme.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// What the function answered.
pub type Answer = Result<Value, Value>;

struct Pending {
    id: String,
    deadline_ms: u64,
    payload: Value,
}

#[derive(Clone)]
struct Shared {
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>>,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Answer>>>>,
}

/// The running Runtime API; stops when dropped.
pub struct RuntimeApi {
    addr: String,
    send: mpsc::UnboundedSender<Pending>,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Answer>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    /// Starts on a free loopback port.
    pub async fn start() -> RuntimeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime api");
        let addr = listener.local_addr().unwrap().to_string();
        let (send, recv) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(HashMap::new()));
        let shared = Shared {
            queue: Arc::new(tokio::sync::Mutex::new(recv)),
            waiting: Arc::clone(&waiting),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RuntimeApi {
            addr,
            send,
            waiting,
            task,
        }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function.
    pub fn address(&self) -> &str {
        &self.addr
    }

    /// Queues one invocation with a deadline (epoch ms) and waits for the function's answer.
    pub async fn invoke(&self, payload: Value, deadline_ms: u64) -> Answer {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(id.clone(), tx);
        self.send
            .send(Pending {
                id,
                deadline_ms,
                payload,
            })
            .expect("queue invocation");
        rx.await.expect("the function answered")
    }
}

async fn next(State(st): State<Shared>) -> impl IntoResponse {
    let Some(p) = st.queue.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let mut headers = HeaderMap::new();
    let set = |h: &mut HeaderMap, k: &'static str, v: String| {
        h.insert(k, v.parse().expect("header value"));
    };
    set(&mut headers, "lambda-runtime-aws-request-id", p.id);
    set(
        &mut headers,
        "lambda-runtime-deadline-ms",
        p.deadline_ms.to_string(),
    );
    set(
        &mut headers,
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:sweeparr".into(),
    );
    set(
        &mut headers,
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    set(&mut headers, "content-type", "application/json".into());
    (StatusCode::OK, headers, p.payload.to_string())
}

fn answer(st: &Shared, id: &str, a: Answer) -> StatusCode {
    match st.waiting.lock().unwrap().remove(id) {
        Some(tx) => {
            let _ = tx.send(a);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(st): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&st, &id, Ok(json(&body)))
}

async fn error(State(st): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&st, &id, Err(json(&body)))
}
