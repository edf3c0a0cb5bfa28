//! Shared integration-test helpers: real servers and emulators on loopback ports, each
//! stopped when dropped. Every test binary uses a different subset, hence the allow.
#![allow(dead_code)]

pub mod fake_arr;
pub mod fault_proxy;
pub mod moto;
pub mod qbit;
pub mod receiver;
pub mod results;
pub mod store_suite;
pub mod torrent;
pub mod tracker;
pub mod world;
