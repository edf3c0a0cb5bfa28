//! Acting: send each planned action to the instance (or Arr) that holds the torrent.
//!
//! Instances are served concurrently; the actions of one instance run one after the other,
//! and none starts after the deadline.

use std::collections::BTreeMap;
use std::time::Instant;

use tracing::{Instrument, info, info_span, warn};

use crate::arr::RemoveOutcome;
use crate::clients::Clients;
use crate::decide::{Action, ClientSide, Op};
use crate::summary::Outcome;

/// What happened to one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Acted {
    /// Index of the action in the plan.
    pub index: usize,
    /// Outcome.
    pub outcome: Outcome,
    /// Error or skip reason.
    pub error: Option<String>,
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
            let mut batched: BTreeMap<usize, (Outcome, Option<String>)> = BTreeMap::new();
            for &index in &indexes {
                let action = &actions[index];
                let (outcome, error) = if let Some(result) = batched.remove(&index) {
                    result
                } else if let Some(why) = &action.skip {
                    (Outcome::Skipped, Some(why.clone()))
                } else if Instant::now() >= deadline {
                    (Outcome::Skipped, Some("deadline reached".to_string()))
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
                        Ok(Err(e)) => (Outcome::Failed, Some(e)),
                        Err(_) => (
                            Outcome::Failed,
                            Some("deadline reached while sending".to_string()),
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
                        error = error.as_deref().unwrap_or(""),
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
async fn send(clients: &Clients, action: &Action, hashes: Vec<String>) -> Result<(), String> {
    let qbit = || {
        clients
            .qbit
            .get(&action.instance)
            .ok_or_else(|| format!("no client for instance {}", action.instance))
    };
    let arr = |name: &str| {
        clients
            .arr
            .get(name)
            .cloned()
            .ok_or_else(|| format!("no client for arr {name}"))
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
                .await
                .map_err(|e| e.to_string())?
            {
                RemoveOutcome::Removed | RemoveOutcome::AlreadyGone => {}
            }
            match client {
                ClientSide::ArrRemoves => Ok(()),
                ClientSide::KeepTagged => qbit()?
                    .add_tags(&hashes(), &[crate::decide::TAG_FAILED.to_string()])
                    .await
                    .map_err(|e| format!("failed through the Arr, but not tagged: {e}")),
                ClientSide::RemoveKeepFiles => qbit()?
                    .delete(&hashes(), false)
                    .await
                    .map_err(|e| format!("failed through the Arr, but not removed: {e}")),
            }
        }
        Op::ClientDelete { delete_files } => qbit()?
            .delete(&hashes(), *delete_files)
            .await
            .map_err(|e| e.to_string()),
        Op::ImportScan {
            arr: name,
            path,
            download_id,
            import_mode,
        } => arr(name)?
            .import_scan(path, download_id, *import_mode)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Op::Recheck => qbit()?.recheck(&hashes()).await.map_err(|e| e.to_string()),
        // Always planned skipped: nothing to send.
        Op::Report => Ok(()),
        Op::AddTags { tags } => qbit()?
            .add_tags(&hashes(), tags)
            .await
            .map_err(|e| e.to_string()),
        Op::CreateCategory { category } => qbit()?
            .create_category(category)
            .await
            .map_err(|e| e.to_string()),
        Op::RemoveTags { tags } => qbit()?
            .remove_tags(&hashes(), tags)
            .await
            .map_err(|e| e.to_string()),
        Op::SetCategory { category } => qbit()?
            .set_category(&hashes(), category)
            .await
            .map_err(|e| e.to_string()),
        Op::Stop => qbit()?.stop(&hashes()).await.map_err(|e| e.to_string()),
        Op::Start => qbit()?.start(&hashes()).await.map_err(|e| e.to_string()),
        Op::SetShareLimits {
            ratio,
            seeding_minutes,
            inactive_minutes,
        } => qbit()?
            .set_share_limits(&hashes(), *ratio, *seeding_minutes, *inactive_minutes)
            .await
            .map_err(|e| e.to_string()),
        Op::Reannounce => qbit()?
            .reannounce(&hashes())
            .await
            .map_err(|e| e.to_string()),
        Op::ArrCommand { arr: name, body } => arr(name)?
            .command(body)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}
