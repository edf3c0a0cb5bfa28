//! Acting: send each planned action to the instance (or Arr) that holds the torrent.
//!
//! Instances are served concurrently; the actions of one instance run one after the other,
//! and none starts after the deadline.

use std::collections::BTreeMap;
use std::time::Instant;

use tracing::{Instrument, info, info_span, warn};

use crate::arr::{ArrError, RemoveOutcome};
use crate::clients::Clients;
use crate::decide::{Action, ClientSide, Op, SkipReason};
use crate::qbit::QbitError;
use crate::summary::{ActionProblem, Outcome};

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Acted {
    /// Index of the action in the plan.
    pub index: usize,
    /// Outcome.
    pub outcome: Outcome,
    /// Why it was skipped or what failed.
    pub error: Option<ActionProblem>,
}

/// Why an action that was sent (or was about to be) is not done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// The plan names an instance the pass has no client for.
    #[error("no client for instance {0}")]
    NoInstance(String),
    /// The plan names an Arr the pass has no client for.
    #[error("no client for arr {0}")]
    NoArr(String),
    /// qBittorrent refused or did not answer.
    #[error(transparent)]
    Qbit(#[from] QbitError),
    /// The Arr refused or did not answer.
    #[error(transparent)]
    Arr(#[from] ArrError),
    /// The Arr removed and blocklisted the download; tagging the kept torrent failed.
    #[error("failed through the Arr, but not tagged: {0}")]
    NotTagged(QbitError),
    /// The Arr removed and blocklisted the download; removing the torrent (its files kept)
    /// failed.
    #[error("failed through the Arr, but not removed: {0}")]
    NotRemoved(QbitError),
    /// A file could not be moved or deleted.
    #[error("{0}")]
    Disk(String),
    /// The deadline came while the request was on its way.
    #[error("deadline reached while sending")]
    DeadlineWhileSending,
}

/// Sends every action of `actions` not marked skipped; returns one [`Acted`] per action,
/// in plan order.
pub async fn act(clients: &Clients, actions: &[Action], deadline: Instant) -> Vec<Acted> {
    let mut by_instance: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, a) in actions.iter().enumerate() {
        by_instance.entry(a.instance.as_str()).or_default().push(i);
    }
    let tasks = by_instance.into_iter().map(|(instance, indexes)| {
        async move {
            let mut out = Vec::with_capacity(indexes.len());
            // Outcomes of tag actions already sent in one request with an earlier one.
            let mut batched: BTreeMap<usize, (Outcome, Option<ActionProblem>)> = BTreeMap::new();
            for &index in &indexes {
                let action = &actions[index];
                let (outcome, error) = if let Some(result) = batched.remove(&index) {
                    result
                } else if let Some(why) = &action.skip {
                    (Outcome::Skipped, Some(ActionProblem::Skipped(why.clone())))
                } else if Instant::now() >= deadline {
                    (
                        Outcome::Skipped,
                        Some(ActionProblem::Skipped(SkipReason::DeadlineReached)),
                    )
                } else {
                    let batch = tag_batch(actions, &indexes, index);
                    let hashes: Vec<String> = batch
                        .iter()
                        .filter_map(|&i| actions[i].hash.clone())
                        .collect();
                    let sent = send(clients, action, hashes);
                    let result = match tokio::time::timeout_at(deadline.into(), sent).await {
                        Ok(Ok(())) => {
                            crate::crash::at(crate::crash::Point::MidAct);
                            (Outcome::Done, None)
                        }
                        Ok(Err(e)) => (Outcome::Failed, Some(ActionProblem::Failed(e))),
                        Err(_) => (
                            Outcome::Failed,
                            Some(ActionProblem::Failed(ActionError::DeadlineWhileSending)),
                        ),
                    };
                    for &other in batch.iter().skip(1) {
                        batched.insert(other, result.clone());
                    }
                    result
                };
                match outcome {
                    Outcome::Done => info!(
                        action = action.kind.as_str(),
                        hash = action.hash.as_deref().unwrap_or(""),
                        reason = %action.reason,
                        "done"
                    ),
                    _ => warn!(
                        action = action.kind.as_str(),
                        hash = action.hash.as_deref().unwrap_or(""),
                        outcome = ?outcome,
                        error = error.as_ref().map(ToString::to_string).unwrap_or_default(),
                        "not done"
                    ),
                }
                out.push(Acted {
                    index,
                    outcome,
                    error,
                });
            }
            out
        }
        .instrument(info_span!("act", instance = %instance))
    });
    let mut all: Vec<Acted> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .flatten()
        .collect();
    all.sort_by_key(|a| a.index);
    all
}

/// The actions sent with the one at `start`: itself, plus, for a tag addition, every later
/// unskipped action of the instance adding the same tags (qBittorrent takes many hashes
/// in one `torrents/addTags`).
fn tag_batch(actions: &[Action], indexes: &[usize], start: usize) -> Vec<usize> {
    let Op::AddTags { tags } = &actions[start].op else {
        return vec![start];
    };
    indexes
        .iter()
        .copied()
        .filter(|&i| {
            i == start
                || (i > start
                    && actions[i].skip.is_none()
                    && actions[i].hash.is_some()
                    && matches!(&actions[i].op, Op::AddTags { tags: t } if t == tags))
        })
        .collect()
}

/// Sends one action; `hashes` are the torrents it applies to (several for a batch).
async fn send(clients: &Clients, action: &Action, hashes: Vec<String>) -> Result<(), ActionError> {
    let qbit = || {
        clients
            .qbit
            .get(&action.instance)
            .ok_or_else(|| ActionError::NoInstance(action.instance.clone()))
    };
    let arr = |name: &str| {
        clients
            .arr
            .get(name)
            .cloned()
            .ok_or_else(|| ActionError::NoArr(name.to_string()))
    };
    let hashes = || hashes.clone();
    match &action.op {
        Op::ArrRemove {
            arr: name,
            queue_id,
            skip_redownload,
            client,
        } => {
            let from_client = *client == ClientSide::ArrRemoves;
            match arr(name)?
                .remove_from_queue(*queue_id, *skip_redownload, from_client)
                .await?
            {
                RemoveOutcome::Removed | RemoveOutcome::AlreadyGone => {}
            }
            match client {
                ClientSide::ArrRemoves => Ok(()),
                _ => client_part(qbit()?, &hashes(), *client).await,
            }
        }
        Op::MarkFailed {
            arr: name,
            history_id,
            client,
        } => {
            match arr(name)?.mark_failed(*history_id).await? {
                RemoveOutcome::Removed | RemoveOutcome::AlreadyGone => {}
            }
            // A marked grab leaves the client alone: its part is sweeparr's.
            client_part(qbit()?, &hashes(), *client).await
        }
        Op::EditTrackers { add, remove } => {
            let qbit = qbit()?;
            for hash in hashes() {
                qbit.add_trackers(&hash, add).await?;
                qbit.remove_trackers(&hash, remove).await?;
            }
            Ok(())
        }
        Op::SetLimits { up, down } => {
            let qbit = qbit()?;
            if let Some(limit) = up {
                qbit.set_limit(&hashes(), "torrents/setUploadLimit", *limit)
                    .await?;
            }
            if let Some(limit) = down {
                qbit.set_limit(&hashes(), "torrents/setDownloadLimit", *limit)
                    .await?;
            }
            Ok(())
        }
        Op::Recycle { from, to } => {
            let (from, to) = (from.clone(), to.clone());
            on_disk(format!("moving {}", from.display()), move || {
                crate::orphans::recycle(&from, &to)
            })
            .await
        }
        Op::Purge { path } => {
            let path = path.clone();
            on_disk(format!("deleting {}", path.display()), move || {
                std::fs::remove_dir_all(&path)
            })
            .await
        }
        Op::RecheckInto { category } => {
            let qbit = qbit()?;
            qbit.recheck(&hashes()).await?;
            Ok(qbit.set_category(&hashes(), category).await?)
        }
        Op::ClientDelete { delete_files } => Ok(qbit()?.delete(&hashes(), *delete_files).await?),
        Op::ImportScan {
            arr: name,
            path,
            download_id,
            import_mode,
        } => {
            arr(name)?
                .import_scan(path, download_id, *import_mode)
                .await?;
            Ok(())
        }
        Op::Recheck => Ok(qbit()?.recheck(&hashes()).await?),
        // Always planned skipped: nothing to send.
        Op::Report => Ok(()),
        Op::AddTags { tags } => Ok(qbit()?.add_tags(&hashes(), tags).await?),
        Op::CreateCategory { category } => Ok(qbit()?.create_category(category).await?),
        Op::RemoveTags { tags } => Ok(qbit()?.remove_tags(&hashes(), tags).await?),
        Op::SetCategory { category } => Ok(qbit()?.set_category(&hashes(), category).await?),
        Op::Stop => Ok(qbit()?.stop(&hashes()).await?),
        Op::Start => Ok(qbit()?.start(&hashes()).await?),
        Op::SetShareLimits {
            ratio,
            seeding_minutes,
            inactive_minutes,
        } => Ok(qbit()?
            .set_share_limits(&hashes(), *ratio, *seeding_minutes, *inactive_minutes)
            .await?),
        Op::Reannounce => Ok(qbit()?.reannounce(&hashes()).await?),
        Op::FilePriority { ids, priority } => {
            let qbit = qbit()?;
            for hash in hashes() {
                qbit.file_priority(&hash, ids, *priority).await?;
            }
            Ok(())
        }
        Op::StopTagged { tag } => {
            let qbit = qbit()?;
            qbit.stop(&hashes()).await?;
            Ok(qbit.add_tags(&hashes(), std::slice::from_ref(tag)).await?)
        }
        Op::StartUntagged { tag } => {
            let qbit = qbit()?;
            qbit.start(&hashes()).await?;
            Ok(qbit
                .remove_tags(&hashes(), std::slice::from_ref(tag))
                .await?)
        }
        Op::ArrCommand { arr: name, body } => {
            arr(name)?.command(body).await?;
            Ok(())
        }
    }
}

/// The client's part of a fail the Arr blocklisted: the torrent deleted with its files
/// (`ArrRemoves`, when the Arr did not delete it), without them, or kept and tagged.
async fn client_part(
    qbit: &crate::qbit::QbitClient,
    hashes: &[String],
    client: ClientSide,
) -> Result<(), ActionError> {
    match client {
        ClientSide::ArrRemoves => qbit
            .delete(hashes, true)
            .await
            .map_err(ActionError::NotRemoved),
        ClientSide::KeepTagged => qbit
            .add_tags(hashes, &[crate::decide::TAG_FAILED.to_string()])
            .await
            .map_err(ActionError::NotTagged),
        ClientSide::RemoveKeepFiles => qbit
            .delete(hashes, false)
            .await
            .map_err(ActionError::NotRemoved),
    }
}

/// Runs the file-system work `work` off the async threads; its error is told as `what`.
async fn on_disk(
    what: String,
    work: impl FnOnce() -> std::io::Result<()> + Send + 'static,
) -> Result<(), ActionError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ActionError::Disk(format!("{what}: {e}"))),
        Err(e) => Err(ActionError::Disk(format!("{what}: {e}"))),
    }
}
