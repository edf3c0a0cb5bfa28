//! The proxy's HTTP/1.1 plumbing: reading one request, forwarding it with reqwest, writing
//! an answer (possibly cut short), noticing a client that gave up.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest request head the proxy reads.
const MAX_HEAD: usize = 64 * 1024;
/// Timeout of a forwarded request.
pub(super) const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// A parsed request.
pub(super) struct Request {
    pub(super) method: String,
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The real answer of the upstream.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

/// Resolves when the client closes its side (or the socket fails).
pub(super) async fn client_gone(sock: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    loop {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Reads one request (head and `Content-Length` body); `None` when the client sent none.
pub(super) async fn read_request(sock: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_ascii_uppercase();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")),
        "the fault proxy does not read chunked request bodies ({method} {target})"
    );
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// Headers that belong to one connection, not to the message.
fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "upgrade"
            | "content-length"
    )
}

/// Sends the request upstream; a transport failure becomes a 502 answer.
pub(super) async fn forward(http: &reqwest::Client, upstream: &str, req: &Request) -> Answer {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).expect("method");
    let mut builder = http.request(method, format!("{upstream}{}", req.target));
    for (name, value) in req.headers.iter().filter(|(n, _)| !hop_by_hop(n)) {
        builder = builder.header(name, value);
    }
    let sent = builder.body(req.body.clone()).send().await;
    let reply = match sent {
        Ok(r) => r,
        Err(e) => return bad_gateway(&e),
    };
    let status = reply.status().as_u16();
    let headers = reply
        .headers()
        .iter()
        .filter(|(n, _)| !hop_by_hop(n.as_str()))
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    match reply.bytes().await {
        Ok(body) => Answer {
            status,
            headers,
            body: body.to_vec(),
        },
        Err(e) => bad_gateway(&e),
    }
}

fn bad_gateway(e: &reqwest::Error) -> Answer {
    Answer {
        status: 502,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: format!("fault proxy: upstream failed: {e}").into_bytes(),
    }
}

/// Writes status line, headers (`Content-Length: length`, `Connection: close`) and body.
pub(super) async fn write_answer(sock: &mut TcpStream, answer: &Answer, length: usize) {
    let reason = reqwest::StatusCode::from_u16(answer.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {length}\r\nconnection: close\r\n\r\n"
    ));
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(&answer.body).await;
    let _ = sock.flush().await;
}
