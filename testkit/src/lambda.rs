//! The real `sweeparr` binary as a Lambda function, on the Lambda emulator of
//! `cargo lambda watch` (PyPI `cargo-lambda`), on loopback.
//!
//! `cargo lambda watch --only-lambda-apis` serves the Lambda Invoke API and the Runtime API
//! without building anything; the test starts the binary itself with the environment Lambda
//! sets (`AWS_LAMBDA_RUNTIME_API` pointing at the emulator, function name, memory, log
//! group...), so the binary under test is the one `cargo test` built. Invocations go through
//! the emulator's Invoke API, as `cargo lambda invoke` sends them. The emulator hands out a
//! deadline in 1970 (`Lambda-Runtime-Deadline-Ms: 600000`), as local emulators do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::moto::free_port;

/// The function name `cargo lambda watch --only-lambda-apis` routes to.
pub const FUNCTION_NAME: &str = "_";
/// Env var naming the `cargo-lambda` executable (default: from the PATH).
pub const CARGO_LAMBDA_ENV: &str = "SWEEPARR_CARGO_LAMBDA";
/// How long an invocation may take.
pub const INVOKE_PATIENCE: Duration = Duration::from_secs(120);

/// A running `cargo lambda watch --only-lambda-apis`, stopped when dropped.
pub struct LambdaEmulator {
    /// Loopback port of both APIs.
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Drop for LambdaEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl LambdaEmulator {
    /// Starts the emulator on a free loopback port and waits until it answers. An emulator
    /// that exits at once (its port taken between choosing and binding it) is started again
    /// on another port, up to three times.
    pub fn start() -> LambdaEmulator {
        for attempt in 1.. {
            match LambdaEmulator::try_start() {
                Ok(emulator) => return emulator,
                Err(output) if attempt < 3 => {
                    eprintln!("cargo lambda watch exited; starting again on another port\n{output}")
                }
                Err(output) => panic!("{output}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    fn try_start() -> Result<LambdaEmulator, String> {
        let program = std::env::var(CARGO_LAMBDA_ENV).unwrap_or_else(|_| "cargo-lambda".into());
        let port = free_port();
        let log = std::env::temp_dir().join(format!("sweeparr-cargo-lambda-{port}.log"));
        let out = std::fs::File::create(&log).expect("emulator log");
        let child = Command::new(&program)
            .args(["lambda", "watch", "--only-lambda-apis", "--invoke-address"])
            .arg("127.0.0.1")
            .arg("--invoke-port")
            .arg(port.to_string())
            .current_dir(crate::repo_dir())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `{program} lambda watch` ({e}): the Lambda tests need \
                     cargo-lambda (pip install cargo-lambda, or scripts/setup.sh)"
                )
            });
        let mut emulator = LambdaEmulator { port, child, log };
        let started = Instant::now();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = emulator.child.try_wait() {
                return Err(format!(
                    "cargo lambda watch exited ({status}):\n{}",
                    emulator.output()
                ));
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "cargo lambda watch did not listen on {port}:\n{}",
                emulator.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(emulator)
    }

    /// What the emulator printed.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `AWS_LAMBDA_RUNTIME_API` for a function served by this emulator.
    pub fn runtime_api(&self) -> String {
        format!("http://127.0.0.1:{}/.rt", self.port)
    }

    /// Invokes the function with `payload` through the Lambda Invoke API.
    pub async fn invoke(&self, payload: &Value) -> Invoked {
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{FUNCTION_NAME}/invocations",
            self.port
        );
        let reply = crate::http()
            .post(url)
            .json(payload)
            .timeout(INVOKE_PATIENCE)
            .send()
            .await
            .expect("invoke");
        let status = reply.status().as_u16();
        let text = reply.text().await.expect("invoke body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Invoked { status, body }
    }

    /// Invokes the function with a sample event from `events/` (e.g. `"scheduled.json"`).
    pub async fn invoke_file(&self, name: &str) -> Invoked {
        self.invoke(&event(name)).await
    }
}

/// A sample event from the `events/` folder.
pub fn event(name: &str) -> Value {
    let path = crate::repo_dir().join("events").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("event JSON")
}

/// What an invocation returned.
#[derive(Debug, Clone)]
pub struct Invoked {
    /// HTTP status of the Invoke API.
    pub status: u16,
    /// The function's response (the summary), or the error document.
    pub body: Value,
}

/// A function process: the real binary polling an emulator's Runtime API. Killed when dropped.
pub struct LambdaFunction {
    child: tokio::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// When the process was spawned.
    pub spawned: Instant,
    ready_at: Arc<Mutex<Option<Instant>>>,
}

impl LambdaFunction {
    /// Starts `binary` polling `runtime_api` (e.g. [`LambdaEmulator::runtime_api`]) with the
    /// environment AWS Lambda sets, static test credentials, region `us-east-1`, no instance
    /// metadata lookups, and `env` on top. Nothing of the caller's AWS or sweeparr
    /// environment leaks in.
    pub fn start(binary: &Path, runtime_api: &str, env: &[(&str, &str)]) -> Self {
        let mut vars: BTreeMap<String, String> = [
            ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/sweeparr/test".into()),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/21/[$LATEST]test".into(),
            ),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
            ("LAMBDA_TASK_ROOT", "/var/task".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("SWEEPARR_LOG", "debug".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in env {
            vars.insert(k.to_string(), v.to_string());
        }
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env_clear()
            .envs(&vars)
            .current_dir(std::env::temp_dir())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = cmd.spawn().expect("start the function");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let ready_at = Arc::new(Mutex::new(None));
        let stderr = child.stderr.take().expect("stderr");
        let (sink, ready) = (Arc::clone(&lines), Arc::clone(&ready_at));
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if line.contains("\"message\":\"ready\"") {
                    ready.lock().unwrap().get_or_insert_with(Instant::now);
                }
                sink.lock().unwrap().push(line);
            }
        });
        LambdaFunction {
            child,
            lines,
            spawned,
            ready_at,
        }
    }

    /// The test binary, as Lambda would run `bootstrap`.
    pub fn binary() -> PathBuf {
        crate::sweeparr_binary()
    }

    /// Waits for the `ready` log line (config, secrets, clients and store built); returns the
    /// time from spawn to it. Panics with the logs if the process exits first.
    pub async fn wait_ready(&mut self, patience: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if let Some(at) = *self.ready_at.lock().unwrap() {
                return at - self.spawned;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                panic!(
                    "the function exited ({status}):\n{}",
                    self.logs().join("\n")
                );
            }
            assert!(
                started.elapsed() < patience,
                "the function was not ready within {patience:?}:\n{}",
                self.logs().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for the process to exit (a failed cold start); its exit code.
    pub async fn wait_exit(&mut self, patience: Duration) -> Option<i32> {
        let status = tokio::time::timeout(patience, self.child.wait())
            .await
            .expect("the function exited in time")
            .expect("wait");
        tokio::time::sleep(Duration::from_millis(100)).await;
        status.code()
    }

    /// Peak resident memory of the process so far (`VmHWM`), in KiB; Linux only.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    /// Every stderr line so far.
    pub fn logs(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Every stderr line so far, each parsed as JSON; panics on a line that is not.
    pub fn json_logs(&self) -> Vec<Value> {
        self.logs()
            .iter()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The JSON log lines whose `message` is `message`.
    pub fn logged(&self, message: &str) -> Vec<Value> {
        self.json_logs()
            .into_iter()
            .filter(|l| l["message"] == message)
            .collect()
    }
}
