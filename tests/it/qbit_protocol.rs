//! Protocol details of the qBittorrent client that real builds cannot be made to show:
//! reverse-proxy path prefixes, request encoding, broken, hanging and garbled replies. A fake
//! WebUI on a loopback port records every request; where it plays a 5.2+ server it answers as
//! the real 5.3.0 does (login 204 with an empty body and a `QBT_SID_<port>` cookie, 204 for
//! actions; recorded in tests/fixtures/).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use sweeparr::config::{QbitConfig, Secret, SecretSource};
use sweeparr::model::ApiGeneration;
use sweeparr::qbit::{QbitClient, QbitError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    body: String,
    headers: HeaderMap,
}

type Answer = Arc<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

/// A fake WebUI answering with `answer`; returns its base URL and the request log.
async fn fake(
    prefix: &str,
    answer: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answer: Answer = Arc::new(answer);
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            let answer = answer.clone();
            async move {
                let s = Seen {
                    method,
                    path: uri.path().to_string(),
                    query: uri.query().map(str::to_string),
                    body: String::from_utf8_lossy(&body).into_owned(),
                    headers,
                };
                let (status, text) = answer(&s);
                let login_ok = s.path.ends_with("auth/login")
                    && (status == 204 || (status == 200 && text == "Ok."));
                log.lock().unwrap().push(s);
                let mut headers = HeaderMap::new();
                if login_ok {
                    // 5.2+ names its cookie after the port; earlier releases call it SID.
                    let cookie = if status == 204 {
                        "QBT_SID_8080=session5; HttpOnly; SameSite=Lax; path=/"
                    } else {
                        "SID=session4; HttpOnly; SameSite=Strict; path=/"
                    };
                    headers.insert("set-cookie", cookie.parse().unwrap());
                }
                (StatusCode::from_u16(status).unwrap(), headers, text)
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}{prefix}"), seen)
}

fn config(url: &str) -> QbitConfig {
    QbitConfig {
        name: "box".into(),
        url: url.parse().expect("test URL"),
        username: "me".into(),
        password_source: SecretSource::Literal("s3cret pw&=".into()),
        password: Secret::new("s3cret pw&="),
        api_key_source: None,
        api_key: Secret::default(),
        disabled: false,
        path_map: Vec::new(),
        tls_insecure: false,
        space: None,
    }
}

fn client(url: &str) -> QbitClient {
    QbitClient::new(&config(url), Duration::from_secs(5)).unwrap()
}

/// A client with an API key: no login, so the first request is the one under test.
fn api_client(url: &str, timeout: Duration) -> QbitClient {
    let cfg = QbitConfig {
        api_key_source: Some(SecretSource::Literal("k3y".into())),
        api_key: Secret::new("k3y"),
        ..config(url)
    };
    QbitClient::new(&cfg, timeout).unwrap()
}

/// A qBittorrent 5.3-like server: login 204 with an empty body, 204 for actions, its
/// versions, a maindata with one category and no torrents (5.x omits empty maps).
fn server_53(s: &Seen) -> (u16, String) {
    match s.path.rsplit("/api/v2/").next().unwrap() {
        "auth/login" => (204, String::new()),
        "app/version" => (200, "v5.3.0".into()),
        "app/webapiVersion" => (200, "2.16.2".into()),
        "sync/maindata" => (
            200,
            r#"{"categories":{"radarr":{"name":"radarr","savePath":""}},"full_update":true,"rid":1,"server_state":{"connection_status":"connected","free_space_on_disk":5}}"#.into(),
        ),
        _ => (204, String::new()),
    }
}

#[tokio::test]
async fn path_prefix_form_bodies_and_no_origin_or_referer() {
    let (url, seen) = fake("/qbittorrent", server_53).await;
    let c = client(&format!("{url}/"));
    let info = c.connect().await.unwrap();
    assert_eq!(info.generation, ApiGeneration::V5);
    let data = c.list().await.unwrap();
    assert_eq!(data.categories, ["radarr"]);
    c.delete(&["AB".into(), "cd".into()], true).await.unwrap();
    c.trackers("EF").await.ok();

    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .all(|s| s.path.starts_with("/qbittorrent/api/v2/")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| !s.headers.contains_key("origin") && !s.headers.contains_key("referer"))
    );
    let login = &seen[0];
    assert_eq!(
        (login.method.clone(), login.query.clone()),
        (Method::POST, None)
    );
    assert_eq!(login.body, "username=me&password=s3cret+pw%26%3D");
    // The 5.2+ session cookie (named after the port) is sent with every later request.
    assert!(
        seen[1..]
            .iter()
            .all(|s| s.headers["cookie"] == "QBT_SID_8080=session5"),
        "{seen:?}"
    );
    let list = seen
        .iter()
        .find(|s| s.path.ends_with("sync/maindata"))
        .unwrap();
    assert_eq!(
        (list.method.clone(), list.query.as_deref()),
        (Method::GET, Some("rid=0"))
    );
    let delete = seen
        .iter()
        .find(|s| s.path.ends_with("torrents/delete"))
        .unwrap();
    assert_eq!(delete.query, None, "POST parameters go in the body only");
    assert_eq!(delete.body, "hashes=ab%7Ccd&deleteFiles=true");
    assert_eq!(
        delete.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let trackers = seen
        .iter()
        .find(|s| s.path.ends_with("torrents/trackers"))
        .unwrap();
    assert_eq!(
        (trackers.method.clone(), trackers.query.as_deref()),
        (Method::GET, Some("hash=ef"))
    );
}

#[tokio::test]
async fn v5_uses_stop_and_start_and_accepts_204() {
    let (url, seen) = fake("", server_53).await;
    let c = client(&url);
    c.connect().await.unwrap();
    let h = vec!["ab".to_string()];
    c.stop(&h).await.unwrap();
    c.start(&h).await.unwrap();
    c.recheck(&h).await.unwrap();
    c.add_tags(&h, &["x".into(), "y".into()]).await.unwrap();
    c.create_category("radarr").await.unwrap();
    let paths: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    for p in [
        "torrents/stop",
        "torrents/start",
        "torrents/recheck",
        "torrents/addTags",
    ] {
        assert!(
            paths.contains(&format!("/api/v2/{p}")),
            "{p} missing in {paths:?}"
        );
    }
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with("pause") || p.ends_with("resume"))
    );
}

#[tokio::test]
async fn empty_hash_lists_send_nothing() {
    let (url, seen) = fake("", server_53).await;
    let c = client(&url);
    c.delete(&[], true).await.unwrap();
    c.add_tags(&[], &["x".into()]).await.unwrap();
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(c.requests(), 0);
}

#[tokio::test]
async fn status_401_on_login_is_a_rejected_password_when_other_requests_get_403() {
    // 5.2+ with a wrong password: login 401, a request without a session 403.
    let (url, seen) = fake("", |s| {
        if s.path.ends_with("auth/login") {
            (401, String::new())
        } else {
            (403, "Forbidden".into())
        }
    })
    .await;
    let c = client(&url);
    let err = c.connect().await.unwrap_err();
    assert_eq!(
        err,
        QbitError::AuthRejected {
            instance: "box".into()
        }
    );
    assert!(c.list().await.unwrap_err().is_auth_failure());
    let paths: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(paths, ["/api/v2/auth/login", "/api/v2/app/version"]);
    assert!(
        !seen.lock().unwrap()[1].headers.contains_key("cookie"),
        "the probe carries no credentials"
    );
}

#[tokio::test]
async fn status_401_on_every_request_is_the_host_check_and_not_retried() {
    let (url, seen) = fake("", |_| (401, "Unauthorized".into())).await;
    let c = client(&url);
    let err = c.connect().await.unwrap_err();
    assert_eq!(
        err,
        QbitError::LoginUnauthorized {
            instance: "box".into()
        }
    );
    assert!(err.to_string().contains("Host-header"), "{err}");
    assert!(!err.to_string().contains("s3cret"));
    assert!(c.list().await.unwrap_err().is_auth_failure());
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "login and one probe, then nothing"
    );
}

#[tokio::test]
async fn an_api_key_is_a_bearer_header_on_every_request_and_no_login() {
    let (url, seen) = fake("", server_53).await;
    let c = api_client(&url, Duration::from_secs(5));
    let data = c.list().await.unwrap();
    assert_eq!(data.categories, ["radarr"]);
    c.stop(&["ab".into()]).await.unwrap();
    let seen = seen.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/v2/sync/maindata",
            "/api/v2/app/version",
            "/api/v2/app/webapiVersion",
            "/api/v2/torrents/stop"
        ],
        "no login; the version read once for the stop endpoint"
    );
    assert!(
        seen.iter()
            .all(|s| s.headers["authorization"] == "Bearer k3y")
    );
    assert!(seen.iter().all(|s| !s.headers.contains_key("cookie")));
    // The key never shows in the client's Debug form.
    assert!(!format!("{c:?}").contains("k3y"));
}

#[tokio::test]
async fn status_403_on_login_is_a_ban_and_not_retried() {
    let (url, seen) = fake("", |_| (403, "Your IP address has been banned".into())).await;
    let c = client(&url);
    // The list logs in first and is told it is banned.
    let err = c.list().await.unwrap_err();
    assert_eq!(
        err,
        QbitError::Banned {
            instance: "box".into()
        }
    );
    assert_eq!(c.connect().await.unwrap_err(), err);
    assert_eq!(seen.lock().unwrap().len(), 1, "auth/login, then nothing");
    assert!(!err.to_string().contains("s3cret"));
}

#[tokio::test]
async fn a_second_403_after_login_is_an_http_error() {
    let (url, seen) = fake("", |s| {
        if s.path.ends_with("auth/login") {
            (200, "Ok.".into())
        } else {
            (403, "Forbidden".into())
        }
    })
    .await;
    let err = client(&url).list().await.unwrap_err();
    assert!(
        matches!(&err, QbitError::Http { status: 403, endpoint, .. } if endpoint == "sync/maindata"),
        "{err}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "login, request, one login again, one retry"
    );
}

#[tokio::test]
async fn invalid_json_is_malformed() {
    let (url, _) = fake("", |s| {
        if s.path.ends_with("auth/login") {
            (200, "Ok.".into())
        } else {
            (200, r#"{"torrents":{"ab":{"size": 12"#.into())
        }
    })
    .await;
    let err = client(&url).list().await.unwrap_err();
    assert!(
        matches!(&err, QbitError::Malformed { endpoint, .. } if endpoint == "sync/maindata"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unexpected_login_page_is_malformed_not_a_rejection() {
    let (url, _) = fake("", |_| (200, "<html>proxy login</html>".into())).await;
    let c = client(&url);
    assert!(matches!(
        c.connect().await,
        Err(QbitError::Malformed { .. })
    ));
    assert!(
        matches!(c.connect().await, Err(QbitError::Malformed { .. })),
        "not remembered"
    );
}

#[tokio::test]
async fn a_truncated_body_is_malformed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let reply = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"torrents\":{\"ab\":{";
            let _ = sock.write_all(reply.as_bytes()).await;
            // Dropping the socket closes the connection mid-body.
        }
    });
    let err = api_client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5))
        .list()
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("sync/maindata"), "{err}");
    server.abort();
}

/// A server that reads each request and closes the connection without answering for the
/// first `closes` connections, then answers an empty `sync/maindata`; counts connections.
async fn closing_server(closes: usize) -> (u16, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&seen);
    let server = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            if count.fetch_add(1, Ordering::SeqCst) < closes {
                let _ = sock.shutdown().await;
                continue;
            }
            let body = r#"{"rid":1,"full_update":true,"torrents":{},"categories":{},"server_state":{"connection_status":"connected"}}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (port, seen, server)
}

#[tokio::test]
async fn a_read_whose_connection_closes_before_the_answer_is_sent_once_more() {
    let (port, seen, server) = closing_server(1).await;
    let c = api_client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5));
    let listed = c.list().await;
    assert!(listed.is_ok(), "{:?}", listed.err());
    assert_eq!(seen.load(Ordering::SeqCst), 2, "sent again once");
    server.abort();

    // Closed every time: sent twice in all, then unreachable.
    let (port, seen, server) = closing_server(usize::MAX).await;
    let c = api_client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5));
    let err = c.list().await.unwrap_err();
    assert!(matches!(err, QbitError::Unreachable { .. }), "{err}");
    assert_eq!(seen.load(Ordering::SeqCst), 2, "no second retry");
    server.abort();
}

/// A bad URL never reaches a client: the config refuses it, naming the instance's key (a
/// client takes only a checked `BaseUrl`).
#[test]
fn a_bad_url_is_a_config_error() {
    for url in ["127.0.0.1:8080", "ftp://host"] {
        assert!(url.parse::<sweeparr::config::BaseUrl>().is_err(), "{url}");
        let toml = format!("[qbit.box]\nurl = \"{url}\"\npassword = \"x\"\n");
        let err = sweeparr::config::load_str(&toml, "<test>", std::path::Path::new("."), &|_| None)
            .unwrap_err();
        assert!(err.to_string().contains("qbit.box.url"), "{err}");
    }
}

#[tokio::test]
async fn login_redirect_is_not_followed_so_the_password_stays_home() {
    // Where a followed 308 would re-send the login form.
    let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = elsewhere.local_addr().unwrap();
    let hits = Arc::new(Mutex::new(0usize));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = elsewhere.accept().await {
            *counter.lock().unwrap() += 1;
            let _ = s.shutdown().await;
        }
    });
    // The configured URL answers every request with a 308 to `elsewhere`.
    let redirecting = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", redirecting.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = redirecting.accept().await {
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 308 Permanent Redirect\r\nLocation: http://{target}/api/v2/auth/login\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = s.write_all(reply.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    let err = client(&url).connect().await.unwrap_err();
    assert!(
        matches!(
            err,
            QbitError::Http { status: 308, .. } | QbitError::Malformed { .. }
        ),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(*hits.lock().unwrap(), 0, "the redirect was not followed");
}

/// Serves one reply head and then `body` in `piece`-byte HTTP chunks, flushed one by one,
/// to every connection; with `stall`, stops sending after half the body and holds the
/// connection open. Returns the base URL.
async fn chunked_server(body: String, piece: usize, stall: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                sock.write_all(head.as_bytes()).await.unwrap();
                let bytes = body.as_bytes();
                let end = if stall { bytes.len() / 2 } else { bytes.len() };
                for part in bytes[..end].chunks(piece) {
                    let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
                    chunk.extend_from_slice(part);
                    chunk.extend_from_slice(b"\r\n");
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sock.flush().await.unwrap();
                }
                if stall {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                } else {
                    let _ = sock.write_all(b"0\r\n\r\n").await;
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// A `sync/maindata` reply of `n` torrents with distinct hashes and names.
fn torrent_list(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#""{i:040x}":{{"name":"Torrent \"{i}\" ✓ {{,}}","state":"uploading","category":"radarr","tags":"a, b","size":{i},"progress":1,"ratio":0.5}}"#
            )
        })
        .collect();
    format!(
        r#"{{"full_update":true,"rid":1,"server_state":{{"connection_status":"connected"}},"torrents":{{{}}},"trackers":{{}}}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn a_large_list_arriving_in_small_pieces_is_parsed_whole_and_in_order() {
    const N: usize = 5_000;
    // 997-byte pieces split objects, strings and multi-byte characters anywhere.
    let base = chunked_server(torrent_list(N), 997, false).await;
    let torrents = api_client(&base, Duration::from_secs(5))
        .list()
        .await
        .unwrap()
        .torrents;
    assert_eq!(torrents.len(), N);
    for (i, t) in torrents.iter().enumerate() {
        assert_eq!(t.hash, format!("{i:040x}"));
        assert_eq!(t.name, format!("Torrent \"{i}\" ✓ {{,}}"));
        assert_eq!(t.size, i as u64);
        assert_eq!(t.tags, ["a", "b"]);
    }
}

#[tokio::test]
async fn a_list_that_stops_arriving_midway_is_unreachable_after_the_timeout() {
    let base = chunked_server(torrent_list(2_000), 4096, true).await;
    let client = api_client(&base, Duration::from_secs(2));
    let started = std::time::Instant::now();
    let err = client.list().await.unwrap_err();
    assert!(matches!(err, QbitError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("sync/maindata"), "{err}");
    // Bounded by the request timeout, not by the server's 60 s stall.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_list_that_turns_to_garbage_midway_is_malformed() {
    let mut body = torrent_list(3_000);
    body.truncate(body.len() / 2);
    body.push_str("<html>Gateway Timeout</html>");
    body.push_str(&" ".repeat(1 << 20));
    let base = chunked_server(body, 8192, false).await;
    let err = api_client(&base, Duration::from_secs(5))
        .list()
        .await
        .unwrap_err();
    assert!(matches!(err, QbitError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("sync/maindata"), "{err}");
}
