//! Scanning: read every instance and every Arr once, concurrently, then the few per-torrent
//! details the decision needs.

use std::time::Instant;

use futures::stream::{self, StreamExt};
use tracing::{Instrument, info_span, warn};

use crate::clients::Clients;
use crate::decide::DetailRequests;
use crate::model::{ArrSnapshot, InstanceSnapshot, Snapshot};

/// Detail requests in flight at once per instance or Arr.
const DETAIL_CONCURRENCY: usize = 8;

/// Lists torrents and categories of every instance and the queue of every Arr.
/// `only` limits which instances are read (`--instance`); empty = all. An instance or Arr
/// that has not answered by `deadline` counts as unreachable.
pub async fn scan_lists(
    clients: &Clients,
    only: &std::collections::BTreeSet<String>,
    deadline: Instant,
) -> Snapshot {
    let instances = clients
        .qbit
        .iter()
        .filter(|(name, _)| only.is_empty() || only.contains(*name))
        .map(|(name, client)| {
            let span = info_span!("scan", instance = %name);
            let name = name.clone();
            async move {
                let mut snap = InstanceSnapshot {
                    name: name.clone(),
                    ..Default::default()
                };
                let read = async {
                    let info = client.connect().await?;
                    snap.version = Some(info.version);
                    snap.api_version = Some(info.api_version);
                    snap.torrents = client.torrents().await?;
                    snap.categories = client.categories().await?;
                    Ok::<_, crate::qbit::QbitError>(())
                };
                match within(deadline, read).await {
                    Ok(()) => snap.reachable = true,
                    Err(e) => {
                        warn!(instance = %name, error = %e, "instance unreachable");
                        snap.reachable = false;
                        snap.error = Some(e.to_string());
                        snap.torrents.clear();
                    }
                }
                snap
            }
            .instrument(span)
        });
    let arrs = clients.arr.iter().map(|(name, client)| {
        let span = info_span!("scan", arr = %name);
        let name = name.clone();
        async move {
            let mut snap = ArrSnapshot {
                name: name.clone(),
                kind: client.kind(),
                reachable: false,
                version: None,
                error: None,
                queue: Default::default(),
                history: Default::default(),
                search: None,
            };
            let read = async {
                let status = client.status().await?;
                snap.version = Some(status.version);
                snap.queue = client.queue().await?;
                Ok::<_, crate::arr::ArrError>(())
            };
            match within(deadline, read).await {
                Ok(()) => snap.reachable = true,
                Err(e) => {
                    warn!(arr = %name, error = %e, "arr unreachable");
                    snap.error = Some(e.to_string());
                    snap.queue.clear();
                }
            }
            snap
        }
        .instrument(span)
    });
    let (instances, arrs) = futures::join!(
        futures::future::join_all(instances),
        futures::future::join_all(arrs)
    );
    Snapshot { instances, arrs }
}

/// Fetches the details `req` asks for into `snapshot`. A detail that fails, or is not
/// answered by `deadline`, is left out: no verdict is then based on it.
pub async fn scan_details(
    clients: &Clients,
    snapshot: &mut Snapshot,
    req: &DetailRequests,
    deadline: Instant,
) {
    let trackers = stream::iter(req.trackers.iter().filter_map(|(inst, hash)| {
        let client = clients.qbit.get(inst)?;
        Some(async move { (inst, hash, within(deadline, client.trackers(hash)).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let files = stream::iter(req.files.iter().filter_map(|(inst, hash)| {
        let client = clients.qbit.get(inst)?;
        Some(async move { (inst, hash, within(deadline, client.files(hash)).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let history = stream::iter(req.history.iter().filter_map(|(arr, id)| {
        let client = clients.arr.get(arr)?;
        Some(async move { (arr, id, within(deadline, client.imported(id)).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let private = stream::iter(req.private.iter().filter_map(|(inst, hash)| {
        let client = clients.qbit.get(inst)?;
        Some(async move { (inst, hash, within(deadline, client.is_private(hash)).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let (trackers, files, history, private) = futures::join!(trackers, files, history, private);

    for (inst, hash, res) in trackers {
        if let Some(list) = kept(res, "trackers", inst, hash)
            && let Some(s) = snapshot.instances.iter_mut().find(|i| &i.name == inst)
        {
            s.trackers.insert(hash.clone(), list);
        }
    }
    for (inst, hash, res) in files {
        if let Some(list) = kept(res, "files", inst, hash)
            && let Some(s) = snapshot.instances.iter_mut().find(|i| &i.name == inst)
        {
            s.files.insert(hash.clone(), list);
        }
    }
    for (inst, hash, res) in private {
        if let Some(flag) = kept(res, "properties", inst, hash)
            && let Some(t) = snapshot
                .instances
                .iter_mut()
                .find(|i| &i.name == inst)
                .and_then(|s| s.torrents.iter_mut().find(|t| &t.hash == hash))
        {
            t.private = flag;
        }
    }
    for (arr, id, res) in history {
        if let Some(imported) = kept(res, "history", arr, id)
            && let Some(s) = snapshot.arrs.iter_mut().find(|a| &a.name == arr)
        {
            s.history.insert(id.clone(), imported);
        }
    }
}

/// The reachable Arrs whose `[arr.NAME.search]` searches at least one wanted list.
pub fn search_targets(config: &crate::config::Config, snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .arrs
        .iter()
        .filter(|a| a.reachable)
        .filter(|a| {
            config
                .arr
                .get(&a.name)
                .and_then(|c| c.search.as_ref())
                .is_some_and(|s| s.enabled())
        })
        .map(|a| a.name.clone())
        .collect()
}

/// Reads what the scheduled searches of `arrs` need (see [`crate::arr::search`]). An Arr
/// whose reads fail, or do not end by `deadline`, gets `None`: no search this pass.
pub async fn scan_searches(
    clients: &Clients,
    config: &crate::config::Config,
    arrs: &[String],
    deadline: Instant,
) -> Vec<(String, Option<crate::model::SearchScan>)> {
    let reads = arrs.iter().filter_map(|name| {
        let client = clients.arr.get(name)?;
        let cfg = config.arr.get(name)?.search.as_ref()?;
        let span = info_span!("scan_search", arr = %name);
        Some(
            async move {
                let res = within(deadline, client.search_scan(cfg)).await;
                (name.clone(), kept(res, "wanted lists", name, "search"))
            }
            .instrument(span),
        )
    });
    futures::future::join_all(reads).await
}

/// Runs `fut` until `deadline`; past it, the error says the deadline was reached.
async fn within<T, E: std::fmt::Display>(
    deadline: Instant,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout_at(deadline.into(), fut).await {
        Ok(res) => res.map_err(|e| e.to_string()),
        Err(_) => Err("no answer before the pass deadline".to_string()),
    }
}

/// The value of a detail request, or `None` (logged) when it failed.
fn kept<T, E: std::fmt::Display>(
    res: Result<T, E>,
    what: &str,
    source: &str,
    id: &str,
) -> Option<T> {
    res.map_err(|e| warn!(source, id, error = %e, "{what} unreadable"))
        .ok()
}
