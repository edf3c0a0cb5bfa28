//! Shared integration-test helpers: real servers and emulators on loopback ports, each
//! stopped when dropped. Every test binary uses a different subset, hence the allow.
#![allow(dead_code)]

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
