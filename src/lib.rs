//! sweeparr: a one-shot qBittorrent janitor for Radarr, Sonarr and Lidarr.
//!
//! One pass, mapped to modules:
//! 1. [`config`] loads and validates the TOML and resolves secrets.
//! 2. [`state`] takes the run lease and loads the records of earlier passes into a
//!    [`state::State`] (records by what they are about; storage keys stay in [`state`]).
//! 3. [`qbit`] and [`arr`] scan every instance and every Arr queue once ([`model`] holds
//!    what they saw).
//! 4. [`decide`] turns (snapshot, state, config, now) into a [`decide::Plan`], touching nothing;
//!    user rules ([`rules`], CEL conditions compiled with the config) are part of it.
//! 5. The pass writes its intents ([`ledger`]), acts on the plan, tells the [`notify`]
//!    targets what happened, writes back the outcomes, releases the lease and returns a
//!    [`summary::Summary`].
//!
//! Around the library: the binary, `src/main.rs` with its own modules `cli`, `cloud`,
//! `output`, `logging` and `exit` (the command line, or the Lambda runtime when
//! `AWS_LAMBDA_RUNTIME_API` is set; all that prints, logs or picks an exit code; the
//! library returns values and errors); unit tests beside the code; the integration tests
//! as one crate, `tests/it/` (one module per area); the crash-consistency tests as their own
//! crate (`tests/crash_e2e.rs`, feature `crash-points`); benchmarks in `benches/` and
//! `examples/bench_pass/`; the loopback demo in `examples/demo.rs`. All of them use the test
//! kit, the workspace member `testkit/` (servers on loopback ports, worlds that run the real
//! binary, the synthetic bench library).

pub mod act;
pub mod arr;
pub mod clients;
pub mod config;
pub mod crash;
pub mod decide;
mod json_stream;
pub mod ledger;
pub mod model;
pub mod net;
pub mod notify;
pub mod orphans;
pub mod pass;
pub mod qbit;
pub mod rules;
pub mod scan;
pub mod state;
pub mod summary;
