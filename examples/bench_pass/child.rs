//! Runs the real release binary as a child process and measures it.
//!
//! Peak RSS comes from `wait4(2)`: it reaps exactly one child and returns that child's own
//! `rusage`, whose `ru_maxrss` is its high-water mark, kept by the kernel until exit.
//! `getrusage(RUSAGE_CHILDREN)` would give the maximum over every child reaped so far (a
//! smaller later pass would report an earlier peak), and polling `/proc/<pid>/status` for
//! `VmHWM` misses the last moments before exit. std does not expose `wait4`, hence `libc`.
//!
//! One trap: Linux folds the high-water mark of the memory a process had before `exec` into
//! `ru_maxrss`, and std spawns with `posix_spawn` (vfork: the child shares the parent's
//! memory until exec). Spawned from this process, which holds fakes serving thousands of
//! torrents, sweeparr would be charged this process's size. So each pass is started by a
//! fresh, small launcher (this same example run with [`LAUNCHER_FLAG`]) that spawns sweeparr,
//! reaps it with `wait4` and reports. The floor this leaves (what `sweeparr --version` is
//! charged this way) is measured once and printed.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Flag that makes this example act as the measuring launcher (see the module docs).
pub const LAUNCHER_FLAG: &str = "--launch-and-measure";

/// What one pass of the binary cost and said.
#[derive(Debug)]
pub struct PassRun {
    /// From spawn to reaped: what a cron job waits for.
    pub wall: Duration,
    /// Peak resident set size of the child, in KiB.
    pub max_rss_kib: u64,
    /// User + system CPU time of the child (wall time also counts waiting for the fakes and
    /// for the shared cores).
    pub cpu: Duration,
    /// Exit code.
    pub code: i32,
    /// The JSON summary printed on stdout.
    pub summary: serde_json::Value,
}

/// `sweeparr run --config <config> --output json` through a fresh launcher process, with a
/// clean environment for sweeparr's own variables so that nothing outside the config changes
/// the pass.
pub fn run_pass(binary: &Path, config: &Path, scratch: &Path) -> PassRun {
    let config = config.display().to_string();
    let (out, m) = launch(
        binary,
        &["run", "--config", &config, "--output", "json"],
        scratch,
    );
    let code = m.code;
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "sweeparr exited {code} without a JSON summary ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    if code != 0 {
        eprintln!(
            "warning: sweeparr exited {code}; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    PassRun {
        wall: m.wall,
        max_rss_kib: m.max_rss_kib,
        cpu: m.cpu,
        code,
        summary,
    }
}

/// Peak RSS (KiB) charged to `sweeparr --version` through the launcher: the measuring floor.
pub fn floor_kib(binary: &Path, scratch: &Path) -> u64 {
    launch(binary, &["--version"], scratch).1.max_rss_kib
}

/// What the launcher measured of one child.
struct Measurement {
    max_rss_kib: u64,
    wall: Duration,
    cpu: Duration,
    code: i32,
}

/// Runs `binary args` through the launcher; returns its output and measurement.
fn launch(binary: &Path, args: &[&str], scratch: &Path) -> (Output, Measurement) {
    let report = scratch.join("rusage.txt");
    let _ = std::fs::remove_file(&report);
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.arg(LAUNCHER_FLAG)
        .arg(&report)
        .arg(binary)
        .args(args)
        .env("SWEEPARR_LOG", "warn")
        .stdin(Stdio::null());
    for var in [
        "SWEEPARR_CONFIG",
        "SWEEPARR_CONFIG_TOML",
        "SWEEPARR_DRY_RUN",
        "SWEEPARR_STATE_BACKEND",
        "SWEEPARR_STATE_PATH",
        "SWEEPARR_STATE_TABLE",
        "SWEEPARR_LOG_FORMAT",
        "AWS_LAMBDA_RUNTIME_API",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("start the launcher");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| {
        panic!(
            "the launcher left no measurement ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let fields: Vec<u64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("launcher measurement"))
        .collect();
    let [max_rss_kib, wall_ns, cpu_us, code] = fields[..] else {
        panic!("malformed launcher measurement {text:?}");
    };
    let m = Measurement {
        max_rss_kib,
        wall: Duration::from_nanos(wall_ns),
        cpu: Duration::from_micros(cpu_us),
        code: code as i32,
    };
    (out, m)
}

/// The launcher: `<report file> <binary> <args>...`. Runs the binary with this process's
/// stdio and environment, reaps it with `wait4`, writes "<max RSS KiB> <wall ns> <CPU µs>
/// <exit code>" to the report file and exits with the binary's code.
pub fn launcher(args: &[String]) -> i32 {
    let [report, binary, rest @ ..] = args else {
        eprintln!("usage: bench_pass {LAUNCHER_FLAG} REPORT BINARY [ARGS]...");
        return 2;
    };
    let start = Instant::now();
    // Reaped by `reap` (wait4), not by `Child::wait`, which would not return the rusage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(binary)
        .args(rest)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let (status, usage) = reap(child.id() as libc::pid_t);
    let wall = start.elapsed();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        255
    };
    let micros = |t: libc::timeval| t.tv_sec * 1_000_000 + t.tv_usec;
    let cpu = micros(usage.ru_utime) + micros(usage.ru_stime);
    // Linux reports ru_maxrss in KiB.
    let line = format!("{} {} {cpu} {code}\n", usage.ru_maxrss, wall.as_nanos());
    std::fs::write(report, line).expect("write the measurement");
    code
}

/// Waits for `pid` and returns its wait status and resource usage.
#[allow(unsafe_code)]
fn reap(pid: libc::pid_t) -> (libc::c_int, libc::rusage) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not reaped elsewhere (the std `Child` is never
        // waited on); both out-pointers are valid for the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (status, usage);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            panic!("wait4({pid}) failed: {e}");
        }
    }
}
