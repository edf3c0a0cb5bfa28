//! sweeparr: a one-shot qBittorrent janitor for Radarr, Sonarr and Lidarr.
//!
//! One pass, mapped to modules:
//! 1. [`config`] loads and validates the TOML and resolves secrets.
//! 2. [`state`] takes the run lease and loads the records of earlier passes.
//! 3. [`qbit`] and [`arr`] scan every instance and every Arr queue once ([`model`] holds
//!    what they saw).
//! 4. [`decide`] turns (snapshot, state, config, now) into a [`decide::Plan`], touching nothing;
//!    user rules ([`rules`], CEL conditions compiled with the config) are part of it.
//! 5. The pass acts on the plan, tells the [`notify`] targets what happened, writes back
//!    changed records, releases the lease and returns a [`summary::Summary`].

pub mod act;
pub mod arr;
pub mod cli;
pub mod clients;
pub mod cloud;
pub mod config;
pub mod crash;
pub mod decide;
pub mod logging;
pub mod model;
mod net;
pub mod notify;
pub mod output;
pub mod pass;
pub mod qbit;
pub mod rules;
pub mod scan;
pub mod state;
pub mod summary;
