//! sweeparr's test kit: real servers and emulators on loopback ports (each stopped when
//! dropped), worlds that run the real binary against them, and the synthetic library of the
//! benchmarks. Used by the integration-test crate (`tests/it`), the crash tests
//! (`tests/crash_e2e.rs`), the examples (`make demo`, the pass benchmark, the sample Arr) and
//! the `decide` bench. Everything binds 127.0.0.1.

pub mod background;
pub mod bench;
pub mod ddb_meter;
pub mod dynamodb_local;
pub mod fake_arr;
pub mod fault_proxy;
pub mod lambda;
pub mod moto;
pub mod qbit;
pub mod receiver;
pub mod results;
pub mod runtime_api;
pub mod store_suite;
pub mod torrent;
pub mod tracker;
pub mod world;

use std::path::{Path, PathBuf};

/// A plain HTTP client for the tests' own requests (the TLS provider installed, as the
/// library's clients have it).
pub fn http() -> reqwest::Client {
    sweeparr::net::http_client_builder()
        .build()
        .expect("an HTTP client")
}

/// The repository's root (the `sweeparr` package), where `events/` and `infra/` are.
pub fn repo_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The `sweeparr` binary cargo built beside the running test, example or bench
/// (`target/<profile>/sweeparr`; those run from `target/<profile>/deps` or `.../examples`),
/// or the one `SWEEPARR_BIN` names. Panics saying how to build it when it is missing.
pub fn sweeparr_binary() -> PathBuf {
    find_sweeparr_binary().unwrap_or_else(|e| panic!("{e}"))
}

/// [`sweeparr_binary`], with a missing binary as an error naming where it was looked for.
pub fn find_sweeparr_binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("SWEEPARR_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| format!("the running executable's path: {e}"))?;
    let mut dir = exe.parent().unwrap_or(Path::new(".")).to_path_buf();
    if dir.ends_with("deps") || dir.ends_with("examples") {
        dir.pop();
    }
    let binary = dir.join("sweeparr");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "no sweeparr binary at {} (build it first with `cargo build --bin sweeparr`, \
             `--release` for the benchmarks; or name one in SWEEPARR_BIN)",
            binary.display()
        ))
    }
}
