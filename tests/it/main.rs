//! The integration tests, one crate (one link of the library and its SDKs, instead of one
//! per file). Each module is one area; `cargo test --test it -- <module>::` runs one area.
//! The crash-consistency tests stay in their own crate (`tests/crash_e2e.rs`): they need the
//! `crash-points` feature.

use testkit as helpers;

mod arr_client;
mod cli_commands;
mod deadline_e2e;
mod docs;
mod faults_arr_e2e;
mod faults_qbit_e2e;
mod guards_e2e;
mod hostile_config;
mod hostile_input;
mod lambda_e2e;
mod lambda_figures;
mod notify_e2e;
mod pass_e2e;
mod pass_guards;
mod qbit_client;
mod qbit_harness;
mod qbit_protocol;
mod qbit_versions_e2e;
mod rules_e2e;
mod search_e2e;
mod store_dynamo;
mod store_dynamo_retry;
mod store_file;
mod torrent_side_e2e;
