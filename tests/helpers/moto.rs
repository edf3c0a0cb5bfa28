//! A DynamoDB endpoint for tests: today a `moto_server` on a free loopback port.
//!
//! Nothing global is set: clients are built with an explicit endpoint, region `us-east-1` and
//! static test credentials. Without `moto_server` on the PATH the tests fail, unless
//! `SWEEPARR_SKIP_DYNAMO=1` says to skip them.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

/// Env var that skips the DynamoDB tests.
pub const SKIP_ENV: &str = "SWEEPARR_SKIP_DYNAMO";
/// How long the emulator may take to answer after start.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// A running DynamoDB endpoint, stopped when dropped.
pub struct DynamoEndpoint {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// What serves it (for messages).
    pub kind: &'static str,
    server: Option<Child>,
}

impl DynamoEndpoint {
    /// A client for this endpoint with static test credentials.
    pub fn client(&self) -> Client {
        client_for(&self.url)
    }
}

impl Drop for DynamoEndpoint {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A DynamoDB client on `url`, region `us-east-1`, static test credentials.
pub fn client_for(url: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .build();
    Client::from_conf(config)
}

/// Environment for the `sweeparr` binary: state in DynamoDB table `table` at `url`, static
/// test credentials, region `us-east-1`, and nothing read from this machine's AWS setup
/// (`scratch` is a folder; the config and credential files named inside it do not exist).
pub fn binary_env(url: &str, table: &str, scratch: &std::path::Path) -> Vec<(String, String)> {
    let none = scratch.join("no-aws-config").display().to_string();
    [
        ("SWEEPARR_STATE_BACKEND", "dynamodb"),
        ("SWEEPARR_STATE_TABLE", table),
        ("AWS_ENDPOINT_URL_DYNAMODB", url),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", &none),
        ("AWS_SHARED_CREDENTIALS_FILE", &none),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Starts a DynamoDB endpoint for one test; `None` when `SWEEPARR_SKIP_DYNAMO=1`.
///
/// Panics with a clear message when no emulator can be started.
pub fn dynamo_endpoint() -> Option<DynamoEndpoint> {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("{SKIP_ENV}=1: skipping a DynamoDB test");
        return None;
    }
    // A DynamoDB Local container (testcontainers) would go here: when Docker answers, start
    // amazon/dynamodb-local and return its mapped port instead of moto's.
    Some(start_moto())
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_moto() -> DynamoEndpoint {
    let port = free_port();
    let spawned = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(e) => panic!(
            "cannot start `moto_server` ({e}): the DynamoDB tests need it on the PATH \
             (pip install 'moto[server]'), or set {SKIP_ENV}=1 to skip them"
        ),
    };
    let mut endpoint = DynamoEndpoint {
        url: format!("http://127.0.0.1:{port}"),
        kind: "moto_server",
        server: Some(child),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return endpoint;
        }
        if let Some(status) = endpoint
            .server
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            panic!("moto_server exited at start ({status}) on port {port}");
        }
        assert!(
            started.elapsed() < START_PATIENCE,
            "moto_server did not answer on port {port} within {START_PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
