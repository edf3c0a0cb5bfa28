//! HTTP clients for every configured instance and Arr, built once and injected into passes.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::arr::ArrClient;
use crate::config::Config;
use crate::model::Epoch;
use crate::qbit::{QbitClient, ServerInfo};
use crate::state::{InstanceRecord, Record, State};

/// One client per enabled qBittorrent instance and per Arr.
#[derive(Clone)]
pub struct Clients {
    /// By instance name (disabled instances are absent).
    pub qbit: BTreeMap<String, Arc<QbitClient>>,
    /// By Arr name.
    pub arr: BTreeMap<String, Arc<ArrClient>>,
}

/// A client could not be built (bad TLS setup, invalid URL): a config error.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct ClientBuildError {
    /// Dotted config key (`qbit.main`, `arr.movies`).
    pub key: String,
    /// Why.
    pub reason: String,
}

impl Clients {
    /// Builds every client of `config`. Sends nothing.
    pub fn build(config: &Config) -> Result<Self, ClientBuildError> {
        let timeout = config.run.http_timeout;
        let mut qbit = BTreeMap::new();
        for (name, q) in config.qbit.iter().filter(|(_, q)| !q.disabled) {
            let client = QbitClient::new(q, timeout).map_err(|e| ClientBuildError {
                key: format!("qbit.{name}"),
                reason: e.to_string(),
            })?;
            qbit.insert(name.clone(), Arc::new(client));
        }
        let mut arr = BTreeMap::new();
        for (name, a) in &config.arr {
            let client = ArrClient::new(a, timeout).map_err(|e| ClientBuildError {
                key: format!("arr.{name}"),
                reason: e.to_string(),
            })?;
            arr.insert(name.clone(), Arc::new(client));
        }
        Ok(Clients { qbit, arr })
    }

    /// Prepares every client for a new pass (see [`QbitClient::begin_pass`]) and gives each
    /// qBittorrent client the version remembered in `state`, unless it knows one already
    /// (a client of an earlier pass of the same process).
    pub fn begin_pass(&self, state: &State) {
        for (name, q) in &self.qbit {
            q.begin_pass();
            q.expect_torrents(
                state
                    .torrents_of(name)
                    .filter(|r| r.gone_since.is_none())
                    .count(),
            );
            if q.server_info().is_none()
                && let Some(rec) = state.instance(name)
                && let Some(info) = ServerInfo::new(&rec.version, &rec.api_version)
            {
                q.remember(info);
            }
        }
    }

    /// Instance records for the versions read from the servers during this pass that differ
    /// from what `state` remembers.
    pub fn versions_to_remember(&self, state: &State, now: Epoch) -> Vec<Record> {
        self.qbit
            .iter()
            .filter(|(_, q)| q.version_read())
            .filter_map(|(name, q)| {
                let info = q.server_info()?;
                let known = state.instance(name).is_some_and(|rec| {
                    rec.version == info.version && rec.api_version == info.api_version
                });
                (!known).then(|| {
                    Record::Instance(InstanceRecord {
                        name: name.clone(),
                        version: info.version,
                        api_version: info.api_version,
                        read_at: now,
                    })
                })
            })
            .collect()
    }

    /// HTTP requests sent so far by all clients (benchmarks).
    pub fn requests(&self) -> u64 {
        self.qbit.values().map(|c| c.requests()).sum::<u64>()
            + self.arr.values().map(|c| c.requests()).sum::<u64>()
    }
}
