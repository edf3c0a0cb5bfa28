//! A DynamoDB endpoint for tests: a DynamoDB Local container (testcontainers) when a Docker
//! engine answers, else a `moto_server` on a free loopback port. `SWEEPARR_DYNAMO=moto` or
//! `=docker` forces one. [`moto_server`] always starts moto (which also serves SSM).
//!
//! Nothing global is set: clients are built with an explicit endpoint, region `us-east-1` and
//! static test credentials. Without `moto_server` on the PATH (and no Docker) the tests fail,
//! unless `SWEEPARR_SKIP_DYNAMO=1` says to skip them.

use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

pub use super::qbit::free_port;

/// Env var that skips the DynamoDB tests.
pub const SKIP_ENV: &str = "SWEEPARR_SKIP_DYNAMO";
/// Env var that picks the DynamoDB emulator: `moto` or `docker` (DynamoDB Local).
pub const BACKEND_ENV: &str = "SWEEPARR_DYNAMO";
/// The DynamoDB Local image used when Docker answers.
pub const DYNAMODB_LOCAL_IMAGE: (&str, &str) = ("amazon/dynamodb-local", "latest");
/// How long the emulator may take to answer after start.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// A running DynamoDB endpoint, stopped when dropped.
pub struct DynamoEndpoint {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// What serves it (for messages).
    pub kind: &'static str,
    server: Option<Child>,
    container: Option<super::dynamodb_local::ContainerGuard>,
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
        drop(self.container.take());
    }
}

/// A DynamoDB client on `url`, region `us-east-1`, static test credentials.
pub fn client_for(url: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(sweeparr::net::aws_http_client())
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
    let forced = std::env::var(BACKEND_ENV).unwrap_or_default();
    if forced == "moto" || (forced != "docker" && !docker_answers()) {
        return Some(start_moto());
    }
    match super::dynamodb_local::start(DYNAMODB_LOCAL_IMAGE) {
        Ok((url, guard)) => Some(DynamoEndpoint {
            url,
            kind: "dynamodb-local",
            server: None,
            container: Some(guard),
        }),
        Err(e) if forced == "docker" => panic!("{BACKEND_ENV}=docker: {e}"),
        Err(e) => {
            eprintln!("DynamoDB Local did not start ({e}); using moto_server");
            Some(start_moto())
        }
    }
}

/// A `moto_server` for one test (DynamoDB and SSM on one port), whatever Docker says.
pub fn moto_server() -> DynamoEndpoint {
    start_moto()
}

/// Whether a Docker engine answers, asked once per test binary and quickly: `docker info`
/// within 5 s, or (without the CLI) a connection to `$DOCKER_HOST` or the default socket.
pub fn docker_answers() -> bool {
    static ANSWER: OnceLock<bool> = OnceLock::new();
    *ANSWER.get_or_init(|| {
        let answer = match docker_info(Duration::from_secs(5)) {
            Some(ok) => ok,
            None => docker_socket_answers(),
        };
        if !answer {
            eprintln!("no Docker engine answers: DynamoDB tests use moto_server");
        }
        answer
    })
}

/// `Some(success)` of `docker info`, `None` when there is no `docker` command.
fn docker_info(patience: Duration) -> Option<bool> {
    let mut child = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.success()),
            Ok(None) if started.elapsed() < patience => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Some(false);
            }
        }
    }
}

fn docker_socket_answers() -> bool {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string());
    if let Some(path) = host.strip_prefix("unix://") {
        return std::os::unix::net::UnixStream::connect(path).is_ok();
    }
    let Some(addr) = host.strip_prefix("tcp://") else {
        return false;
    };
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

fn start_moto() -> DynamoEndpoint {
    // A free port can be taken by another test's server between the probe and moto's bind:
    // moto then exits while the port answers for the other server. Try another port then.
    const ATTEMPTS: usize = 3;
    for _ in 1..ATTEMPTS {
        if let Some(endpoint) = try_start_moto() {
            return endpoint;
        }
    }
    try_start_moto().expect("moto_server lost its port to another server three times")
}

/// Starts moto on a free port: `None` when it exited because the port was taken.
fn try_start_moto() -> Option<DynamoEndpoint> {
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
        container: None,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    let exited =
        |e: &mut DynamoEndpoint| e.server.as_mut().and_then(|c| c.try_wait().ok().flatten());
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            // Answering, and still running a moment later: the port is moto's.
            std::thread::sleep(Duration::from_millis(300));
            return match exited(&mut endpoint) {
                None => Some(endpoint),
                Some(_) => None,
            };
        }
        if let Some(status) = exited(&mut endpoint) {
            eprintln!("moto_server exited at start ({status}) on port {port}");
            return None;
        }
        assert!(
            started.elapsed() < START_PATIENCE,
            "moto_server did not answer on port {port} within {START_PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Puts a SecureString parameter into moto's SSM (moto_server serves SSM too).
pub async fn put_secret(moto_url: &str, name: &str, value: &str) {
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .http_client(sweeparr::net::aws_http_client())
        .region(aws_sdk_ssm::config::Region::new("us-east-1"))
        .endpoint_url(moto_url)
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .build();
    aws_sdk_ssm::Client::from_conf(config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .expect("put parameter");
}
