//! A loopback HTTP proxy that injects faults between sweeparr and a real server.
//!
//! [`FaultProxy::start`] listens on a free 127.0.0.1 port and forwards every request to one
//! upstream (a real qbittorrent-nox, a fake Arr, a DynamoDB emulator), headers and body as
//! sent, answers included (`Set-Cookie` too, so sessions work through it). While a [`Rule`]
//! matches a request (path substring, method, header), the proxy does what its [`Fault`] says
//! instead: answer an error status, wait, never answer, close the connection, cut the body
//! short, or replace it with garbage. Rules can be changed at any time from the test.
//!
//! It speaks plain HTTP/1.1, one request per connection (answers carry `Connection: close`),
//! which is what every client under test copes with. It runs on its own thread and runtime,
//! stops when dropped, and never stores request bodies (they may hold passwords).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use http::{Answer, Request, UPSTREAM_TIMEOUT, client_gone, forward, read_request, write_answer};

#[path = "fault_proxy/http.rs"]
mod http;

/// A hanging connection is dropped after this even if the client never gives up.
const HANG_LIMIT: Duration = Duration::from_secs(600);
/// What [`Fault::Malformed`] sends instead of the real body.
pub const GARBAGE: &str = "<html><body>{\"hash\": [oops, not json";

/// What the proxy does to a request a rule matched.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answers with this status, content type and body; the request is not forwarded.
    Reply {
        /// HTTP status.
        status: u16,
        /// `Content-Type` of the answer.
        content_type: String,
        /// Answer body.
        body: String,
    },
    /// Waits, then forwards. A client that gives up while waiting never reaches the server.
    Delay(Duration),
    /// Never answers and forwards nothing; the connection stays open until the client closes it.
    Hang,
    /// Forwards (the server acts), then never answers: the client times out.
    Swallow,
    /// Closes the connection without an answer; nothing is forwarded.
    Close,
    /// Forwards; sends the real status line and headers (with the full `Content-Length`) and
    /// half of the real body, then closes the connection.
    Truncate,
    /// Forwards; answers with the real status but [`GARBAGE`] as the body.
    Malformed,
}

impl Fault {
    /// A plain-text answer with `status`.
    pub fn status(status: u16, body: &str) -> Fault {
        Fault::Reply {
            status,
            content_type: "text/plain; charset=UTF-8".into(),
            body: body.into(),
        }
    }

    /// A DynamoDB error answer (`__type` = `code`) with `status`.
    pub fn dynamodb_error(status: u16, code: &str, message: &str) -> Fault {
        Fault::Reply {
            status,
            content_type: "application/x-amz-json-1.0".into(),
            body: serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
                "message": message,
            })
            .to_string(),
        }
    }

    /// Short name for logs and assertions.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Reply { .. } => "reply",
            Fault::Delay(_) => "delay",
            Fault::Hang => "hang",
            Fault::Swallow => "swallow",
            Fault::Close => "close",
            Fault::Truncate => "truncate",
            Fault::Malformed => "malformed",
        }
    }
}

/// When a fault applies: requests whose target (path and query) contains `path`, optionally
/// only with a method or a header value, and only inside a window of the matching requests.
#[derive(Debug, Clone)]
pub struct Rule {
    path: String,
    method: Option<String>,
    header: Option<(String, String)>,
    skip: usize,
    times: Option<usize>,
    fault: Fault,
    matched: usize,
}

impl Rule {
    /// Every request whose target contains `path` gets `fault` ("" matches every request).
    pub fn new(path: &str, fault: Fault) -> Rule {
        Rule {
            path: path.to_string(),
            method: None,
            header: None,
            skip: 0,
            times: None,
            fault,
            matched: 0,
        }
    }

    /// Only requests with this method (any case).
    pub fn method(mut self, method: &str) -> Rule {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose header `name` contains `value` (e.g. `x-amz-target`, `PutItem`).
    pub fn header(mut self, name: &str, value: &str) -> Rule {
        self.header = Some((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    /// The first `n` matching requests pass untouched.
    pub fn skip(mut self, n: usize) -> Rule {
        self.skip = n;
        self
    }

    /// At most `n` matching requests (after the skipped ones) get the fault.
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    /// Only the `n`-th matching request (1-based) gets the fault.
    pub fn nth(self, n: usize) -> Rule {
        assert!(n >= 1, "nth is 1-based");
        self.skip(n - 1).times(1)
    }

    fn matches(&self, req: &Request) -> bool {
        req.target.contains(&self.path)
            && self.method.as_ref().is_none_or(|m| *m == req.method)
            && self
                .header
                .as_ref()
                .is_none_or(|(n, v)| req.header(n).is_some_and(|h| h.contains(v.as_str())))
    }

    /// Counts a matching request; true when it falls inside the fault window.
    fn take(&mut self) -> bool {
        self.matched += 1;
        let nth = self.matched - self.skip.min(self.matched);
        self.matched > self.skip && self.times.is_none_or(|t| nth <= t)
    }
}

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// "GET", "POST", ...
    pub method: String,
    /// Path and query, e.g. "/api/v2/torrents/info".
    pub target: String,
    /// Request headers, names lower-case (bodies are never kept).
    pub headers: Vec<(String, String)>,
    /// The fault applied (its [`Fault::name`]), `None` when forwarded untouched.
    pub fault: Option<&'static str>,
    /// When it arrived.
    pub at: Instant,
}

impl Seen {
    /// First value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Inner {
    upstream: String,
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(state: &Shared) -> MutexGuard<'_, Inner> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running proxy in front of one upstream; stops on drop.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Shared,
    _server: super::background::Background,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        assert!(
            upstream.starts_with("http://127.0.0.1:"),
            "the proxy only forwards to loopback: {upstream}"
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state: Shared = Arc::new(Mutex::new(Inner {
            upstream: upstream.trim_end_matches('/').to_string(),
            rules: Vec::new(),
            seen: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        // Stopping it closes every open (hanging) connection.
        let server = super::background::Background::spawn("fault proxy", move || async move {
            let listener = TcpListener::from_std(listener).expect("listener");
            let http = sweeparr::net::http_client_builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(UPSTREAM_TIMEOUT)
                .build()
                .expect("proxy http client");
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(sock, Arc::clone(&shared), http.clone()));
            }
        });
        FaultProxy {
            addr,
            state,
            _server: server,
        }
    }

    /// Base URL to give the client, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces every rule (their counters start at zero).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        lock(&self.state).rules = rules;
    }

    /// Adds a rule after the existing ones.
    pub fn add_rule(&self, rule: Rule) {
        lock(&self.state).rules.push(rule);
    }

    /// Removes every rule: everything is forwarded untouched.
    pub fn clear_rules(&self) {
        lock(&self.state).rules.clear();
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state).seen.clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_log(&self) {
        lock(&self.state).seen.clear();
    }

    /// Requests received whose target contains `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.target.contains(path))
            .count()
    }

    /// Requests whose target contains `path` that got a fault.
    pub fn faulted(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.target.contains(path) && s.fault.is_some())
            .count()
    }
}

async fn serve(mut sock: TcpStream, state: Shared, http: reqwest::Client) {
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    let (upstream, fault) = {
        let mut inner = lock(&state);
        let fault = inner
            .rules
            .iter_mut()
            .filter(|r| r.matches(&req))
            .fold(None, |found, r| {
                let active = r.take();
                found.or(active.then(|| r.fault.clone()))
            });
        inner.seen.push(Seen {
            method: req.method.clone(),
            target: req.target.clone(),
            headers: req.headers.clone(),
            fault: fault.as_ref().map(Fault::name),
            at: Instant::now(),
        });
        (inner.upstream.clone(), fault)
    };
    match fault {
        None => {
            let answer = forward(&http, &upstream, &req).await;
            write_answer(&mut sock, &answer, answer.body.len()).await;
        }
        Some(Fault::Reply {
            status,
            content_type,
            body,
        }) => {
            let answer = Answer {
                status,
                headers: vec![("content-type".into(), content_type)],
                body: body.into_bytes(),
            };
            write_answer(&mut sock, &answer, answer.body.len()).await;
        }
        Some(Fault::Delay(d)) => {
            tokio::select! {
                _ = tokio::time::sleep(d) => {
                    let answer = forward(&http, &upstream, &req).await;
                    write_answer(&mut sock, &answer, answer.body.len()).await;
                }
                _ = client_gone(&mut sock) => {}
            }
        }
        Some(Fault::Hang) => {
            let _ = tokio::time::timeout(HANG_LIMIT, client_gone(&mut sock)).await;
        }
        Some(Fault::Swallow) => {
            let _ = forward(&http, &upstream, &req).await;
            let _ = tokio::time::timeout(HANG_LIMIT, client_gone(&mut sock)).await;
        }
        Some(Fault::Close) => {
            let _ = sock.shutdown().await;
        }
        Some(Fault::Truncate) => {
            let mut answer = forward(&http, &upstream, &req).await;
            let full = answer.body.len();
            answer.body.truncate(full / 2);
            write_answer(&mut sock, &answer, full).await;
        }
        Some(Fault::Malformed) => {
            let mut answer = forward(&http, &upstream, &req).await;
            answer.body = GARBAGE.as_bytes().to_vec();
            write_answer(&mut sock, &answer, answer.body.len()).await;
        }
    }
    let _ = sock.shutdown().await;
}
