//! Scanning: read every instance and every Arr once, concurrently, then the few per-torrent
//! details the decision needs.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::stream::{self, StreamExt};
use tracing::{Instrument, info_span, warn};

use crate::clients::Clients;
use crate::decide::DetailRequests;
use crate::model::{ArrHealth, ArrSnapshot, InstanceSnapshot, Snapshot};
use crate::qbit::QbitError;

/// Detail requests in flight at once per instance or Arr.
const DETAIL_CONCURRENCY: usize = 8;

/// Lists torrents, categories and server state of every instance (one `sync/maindata`
/// request each, after a login unless an API key is used) and the queue of every Arr.
/// The version of an instance is read only when not remembered from an earlier pass
/// ([`crate::qbit::QbitClient::remember`]) or when the list shows it changed.
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
                    let data = client.list().await?;
                    let info = match client.server_info() {
                        Some(known) if !data.shape.contradicts(&known.api_version) => known,
                        _ => client.read_version().await?,
                    };
                    snap.version = Some(info.version);
                    snap.api_version = Some(info.api_version);
                    snap.version_read = client.version_read();
                    snap.torrents = data.torrents;
                    snap.categories = data.categories;
                    snap.connection = data.connection;
                    snap.free_space = data.free_space;
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
                error: None,
                queue: Default::default(),
                history: Default::default(),
                grabs: Default::default(),
                search: None,
                health: Default::default(),
            };
            // One request: the queue answers for reachability and the API key as well as
            // `system/status` would (`sweeparr check` reads that one).
            let read = async {
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
/// answered by `deadline`, is left out: no verdict is then based on it, and the `error` of
/// its instance or Arr says what could not be read (the instance stays reachable). A torrent
/// that left its instance since the list was read (404) is not an error.
pub async fn scan_details(
    clients: &Clients,
    snapshot: &mut Snapshot,
    req: &DetailRequests,
    deadline: Instant,
) {
    let trackers = stream::iter(req.trackers.iter().filter_map(|(inst, hash)| {
        let client = clients.qbit.get(inst)?;
        let read = async move { unless_gone(client.trackers(hash).await) };
        Some(async move { (inst, hash, within(deadline, read).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let files = stream::iter(req.files.iter().filter_map(|(inst, hash)| {
        let client = clients.qbit.get(inst)?;
        let read = async move { unless_gone(client.files(hash).await) };
        Some(async move { (inst, hash, within(deadline, read).await) })
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
        let read = async move { unless_gone(client.is_private(hash).await) };
        Some(async move { (inst, hash, within(deadline, read).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let grabs = stream::iter(req.grabs.iter().filter_map(|(arr, id)| {
        let client = clients.arr.get(arr)?;
        Some(async move { (arr, id, within(deadline, client.grab_record(id)).await) })
    }))
    .buffer_unordered(DETAIL_CONCURRENCY)
    .collect::<Vec<_>>();
    let (trackers, files, history, private, grabs) =
        futures::join!(trackers, files, history, private, grabs);

    let mut unread = Unread::default();
    for (inst, hash, res) in trackers {
        if let Some(list) = unread.keep(res, "torrents/trackers", inst, hash).flatten()
            && let Some(s) = snapshot.instances.iter_mut().find(|i| &i.name == inst)
        {
            s.trackers.insert(hash.clone(), list);
        }
    }
    for (inst, hash, res) in files {
        if let Some(list) = unread.keep(res, "torrents/files", inst, hash).flatten()
            && let Some(s) = snapshot.instances.iter_mut().find(|i| &i.name == inst)
        {
            s.files.insert(hash.clone(), list);
        }
    }
    for (inst, hash, res) in private {
        if let Some(flag) = unread
            .keep(res, "torrents/properties", inst, hash)
            .flatten()
            && let Some(t) = snapshot
                .instances
                .iter_mut()
                .find(|i| &i.name == inst)
                .and_then(|s| s.torrents.iter_mut().find(|t| &t.hash == hash))
        {
            t.private = flag;
        }
    }
    let mut arr_unread = Unread::default();
    for (arr, id, res) in history {
        if let Some(imported) = arr_unread.keep(res, "GET history", arr, id)
            && let Some(s) = snapshot.arrs.iter_mut().find(|a| &a.name == arr)
        {
            s.history.insert(id.clone(), imported);
        }
    }
    for (arr, id, res) in grabs {
        if let Some(grab) = arr_unread.keep(res, "GET history (grab)", arr, id)
            && let Some(s) = snapshot.arrs.iter_mut().find(|a| &a.name == arr)
        {
            s.grabs.insert(id.clone(), grab);
        }
    }
    for s in &mut snapshot.instances {
        note(&mut s.error, unread.describe(&s.name));
    }
    for s in &mut snapshot.arrs {
        note(&mut s.error, arr_unread.describe(&s.name));
    }
}

/// Detail reads that failed, by source (instance or Arr) and endpoint: how many, and the
/// first error.
#[derive(Default)]
struct Unread(BTreeMap<(String, &'static str), (usize, String)>);

impl Unread {
    /// The value of a detail read, or `None` (logged and counted) when it failed.
    fn keep<T>(
        &mut self,
        res: Result<T, String>,
        what: &'static str,
        source: &str,
        id: &str,
    ) -> Option<T> {
        match res {
            Ok(v) => Some(v),
            Err(e) => {
                warn!(source, id, error = %e, "{what} unreadable; no verdict based on it");
                self.0.entry((source.to_string(), what)).or_insert((0, e)).0 += 1;
                None
            }
        }
    }

    /// One line for the summary of `source`, `None` when all its reads succeeded.
    fn describe(&self, source: &str) -> Option<String> {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|((s, _), _)| s == source)
            .map(|((_, what), (n, first))| {
                let items = if *n == 1 { "item" } else { "items" };
                format!("{what} unreadable for {n} {items} ({first})")
            })
            .collect();
        (!parts.is_empty())
            .then(|| format!("{}; no verdict based on them this pass", parts.join("; ")))
    }
}

/// Appends `more` to an item's `error`.
pub fn note(error: &mut Option<String>, more: Option<String>) {
    if let Some(more) = more {
        *error = Some(match error.take() {
            Some(e) => format!("{e}; {more}"),
            None => more,
        });
    }
}

/// A detail of a torrent that left its instance since the list was read (404) is `None`.
fn unless_gone<T>(res: Result<T, QbitError>) -> Result<Option<T>, QbitError> {
    match res {
        Ok(v) => Ok(Some(v)),
        Err(QbitError::Http { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the health checks of `arrs` into `snapshot` (one `GET health` each). A read that
/// fails, or does not end by `deadline`, is [`ArrHealth::Unreadable`]: nothing is deleted
/// directly for that Arr then.
pub async fn scan_health(
    clients: &Clients,
    snapshot: &mut Snapshot,
    arrs: &std::collections::BTreeSet<String>,
    deadline: Instant,
) {
    let reads = arrs.iter().filter_map(|name| {
        let client = clients.arr.get(name)?;
        Some(async move {
            let res = within(deadline, client.download_client_problems()).await;
            (name, res)
        })
    });
    for (name, res) in futures::future::join_all(reads).await {
        let Some(arr) = snapshot.arrs.iter_mut().find(|a| &a.name == name) else {
            continue;
        };
        arr.health = match res {
            Ok(problems) => {
                if !problems.is_empty() {
                    warn!(arr = %name, problem = %problems[0], "download-client problem: nothing deleted directly");
                }
                ArrHealth::Read(problems)
            }
            Err(e) => {
                warn!(arr = %name, error = %e, "health check unreadable: nothing deleted directly");
                ArrHealth::Unreadable(e)
            }
        };
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
/// whose reads fail, or do not end by `deadline`, gets the error: no search this pass.
pub async fn scan_searches(
    clients: &Clients,
    config: &crate::config::Config,
    arrs: &[String],
    deadline: Instant,
) -> Vec<(String, Result<crate::model::SearchScan, String>)> {
    let reads = arrs.iter().filter_map(|name| {
        let client = clients.arr.get(name)?;
        let cfg = config.arr.get(name)?.search.as_ref()?;
        let span = info_span!("scan_search", arr = %name);
        Some(
            async move {
                let res = within(deadline, client.search_scan(cfg)).await;
                if let Err(e) = &res {
                    warn!(arr = %name, error = %e, "wanted lists unreadable; no search this pass");
                }
                (
                    name.clone(),
                    res.map_err(|e| format!("wanted lists unreadable, no search this pass ({e})")),
                )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_details_are_counted_per_source_and_endpoint() {
        let mut unread = Unread::default();
        let failed: Result<u8, String> = Err("HTTP 500".into());
        assert_eq!(unread.keep(Ok(1), "torrents/files", "main", "a"), Some(1));
        assert_eq!(
            unread.keep(failed.clone(), "torrents/files", "main", "b"),
            None
        );
        assert_eq!(
            unread.keep(Err("later".into()), "torrents/files", "main", "c"),
            None::<u8>
        );
        assert_eq!(unread.keep(failed, "torrents/trackers", "main", "b"), None);
        assert_eq!(unread.describe("box"), None);
        assert_eq!(
            unread.describe("main").unwrap(),
            "torrents/files unreadable for 2 items (HTTP 500); \
             torrents/trackers unreadable for 1 item (HTTP 500); \
             no verdict based on them this pass"
        );
    }

    #[test]
    fn notes_are_appended_to_an_existing_error() {
        let mut error = None;
        note(&mut error, None);
        assert_eq!(error, None);
        note(&mut error, Some("one".into()));
        note(&mut error, Some("two".into()));
        assert_eq!(error.as_deref(), Some("one; two"));
    }

    #[test]
    fn a_torrent_gone_since_the_list_is_not_an_error() {
        let gone = QbitError::Http {
            instance: "main".into(),
            endpoint: "torrents/files".into(),
            status: 404,
            body_snippet: "Not Found".into(),
        };
        assert_eq!(unless_gone::<u8>(Err(gone)), Ok(None));
        let failed = QbitError::Http {
            instance: "main".into(),
            endpoint: "torrents/files".into(),
            status: 500,
            body_snippet: String::new(),
        };
        assert_eq!(unless_gone::<u8>(Err(failed.clone())), Err(failed));
        assert_eq!(unless_gone(Ok(3u8)), Ok(Some(3)));
    }
}
