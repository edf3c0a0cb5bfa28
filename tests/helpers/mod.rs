//! Shared integration-test helpers: real servers and emulators on loopback ports, each
//! stopped when dropped. Used by the integration-test crate (`tests/it`), the crash tests
//! (`tests/crash_e2e.rs`) and, file by file, the demo and the pass benchmark; each of the
//! last two uses a subset, hence the allow.
#![allow(dead_code)]

pub mod background;
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
