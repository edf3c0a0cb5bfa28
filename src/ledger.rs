//! From intent to outcome: what a pass writes before it acts and after (README, "Crash
//! safety").
//!
//! Before sending a destructive or once-only action (fail, remove, delete, import, recheck)
//! the pass writes an [`Intent`] into the torrent's record, together with every observation
//! the decision made; a pass killed while acting leaves both, and the next one reads them.
//! After acting, the intent is cleared and the time of each action done is kept
//! (`removed_at`, `failed_kept_at`, `import_sent_at`, `rechecked_at`); a search sent writes
//! the record of each item searched. Pure: the pass hands the writes to the store.

use std::collections::{BTreeMap, BTreeSet};

use crate::act::Acted;
use crate::decide::{Action, ActionKind, Plan};
use crate::model::Epoch;
use crate::state::{Intent, Record, SearchRecord, State, TorrentRecord};
use crate::summary::Outcome;

/// A torrent: instance name and hash.
type Key = (String, String);

/// The records of the torrents a pass acts on, between its two writes.
#[derive(Debug)]
pub struct Ledger {
    /// As last written (with their intents), by instance and hash.
    torrents: BTreeMap<Key, TorrentRecord>,
}

/// Kinds whose intent is recorded before sending and whose outcome changes the record.
fn records_outcome(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Fail
            | ActionKind::Remove
            | ActionKind::Delete
            | ActionKind::Import
            | ActionKind::Recheck
    )
}

/// The torrent an action recording its outcome is about.
fn acted_torrent(a: &Action) -> Option<Key> {
    let hash = a.hash.as_ref().filter(|_| records_outcome(a.kind))?;
    Some((a.instance.clone(), hash.clone()))
}

impl Ledger {
    /// Takes the records the decision changed (`changed`, moved, not copied) and returns the
    /// ledger and the records to write before acting: every changed record, and the record
    /// of each torrent an action that is not skipped is about to fail, remove, delete,
    /// import or recheck with its intent (as changed, else as stored). A record that is
    /// neither is not written: tagging every torrent copies no record.
    pub fn open(
        state: &State,
        changed: Vec<Record>,
        plan: &Plan,
        run_id: &str,
        now: Epoch,
    ) -> (Ledger, Vec<Record>) {
        // Borrowed from the plan: a cold pass changes ~10,000 records, each looked up here.
        let acted: BTreeSet<(&str, &str)> = plan
            .actions
            .iter()
            .filter(|a| records_outcome(a.kind))
            .filter_map(|a| Some((a.instance.as_str(), a.hash.as_deref()?)))
            .collect();
        let mut torrents = BTreeMap::new();
        let mut write: BTreeSet<Key> = BTreeSet::new();
        let mut first = Vec::with_capacity(changed.len());
        for record in changed {
            match record {
                Record::Torrent(t) if acted.contains(&(t.instance.as_str(), t.hash.as_str())) => {
                    let key = (t.instance.clone(), t.hash.clone());
                    write.insert(key.clone());
                    torrents.insert(key, *t);
                }
                other => first.push(other),
            }
        }
        for (instance, hash) in acted {
            let key = (instance.to_string(), hash.to_string());
            if !torrents.contains_key(&key)
                && let Some(stored) = state.torrent(instance, hash)
            {
                torrents.insert(key, stored.clone());
            }
        }
        for a in plan.actions.iter().filter(|a| a.skip.is_none()) {
            if let Some(key) = acted_torrent(a)
                && let Some(t) = torrents.get_mut(&key)
            {
                t.intent = Some(Intent {
                    action: a.kind,
                    at: now,
                    run_id: run_id.to_string(),
                });
                write.insert(key);
            }
        }
        first.extend(
            torrents
                .iter()
                .filter(|(key, _)| write.contains(*key))
                .map(|(_, t)| Record::Torrent(Box::new(t.clone()))),
        );
        (Ledger { torrents }, first)
    }

    /// The records to write after acting (`acted[i]` is the result of `plan.actions[i]`):
    /// each torrent record whose intent is cleared or whose action is done (with its time),
    /// and the search records of each search sent.
    pub fn close(mut self, plan: &Plan, acted: &[Acted], now: Epoch) -> Vec<Record> {
        let mut searched: BTreeMap<(&str, i64), &SearchRecord> = BTreeMap::new();
        let mut write: BTreeSet<Key> = BTreeSet::new();
        for (a, r) in plan.actions.iter().zip(acted) {
            if a.kind == ActionKind::Search {
                if r.outcome == Outcome::Done {
                    for (_, s) in plan.searched.iter().filter(|(by, _)| *by == r.index) {
                        searched.insert((s.arr.as_str(), s.media_id), s);
                    }
                }
                continue;
            }
            let Some(key) = acted_torrent(a) else {
                continue;
            };
            let Some(t) = self.torrents.get_mut(&key) else {
                continue;
            };
            let before = t.clone();
            t.intent = None;
            if r.outcome == Outcome::Done {
                match a.kind {
                    ActionKind::Fail if !a.removes_from_client() => t.failed_kept_at = Some(now),
                    ActionKind::Fail | ActionKind::Remove | ActionKind::Delete => {
                        t.removed_at = Some(now)
                    }
                    ActionKind::Import => t.import_sent_at = Some(now),
                    ActionKind::Recheck => t.rechecked_at = Some(now),
                    _ => {}
                }
            }
            if *t != before {
                write.insert(key);
            }
        }
        let mut last: Vec<Record> = searched
            .into_values()
            .map(|s| Record::Search(s.clone()))
            .collect();
        last.extend(
            self.torrents
                .into_iter()
                .filter(|(key, _)| write.contains(key))
                .map(|(_, t)| Record::Torrent(Box::new(t))),
        );
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{ClientSide, Op, SkipReason};
    use crate::summary::ActionProblem;

    const NOW: Epoch = 1_000_000;
    const RUN: &str = "run-1";

    fn record(hash: &str) -> TorrentRecord {
        TorrentRecord {
            instance: "main".into(),
            hash: hash.into(),
            first_seen: NOW - 100,
            last_seen: NOW - 100,
            progress_at: NOW - 100,
            ..Default::default()
        }
    }

    fn action(kind: ActionKind, hash: &str, op: Op) -> Action {
        Action {
            kind,
            instance: "main".into(),
            hash: Some(hash.into()),
            name: format!("t-{hash}"),
            arr: Some("movies".into()),
            reason: "test".into(),
            op,
            skip: None,
        }
    }

    fn fail(hash: &str, client: ClientSide) -> Action {
        let op = Op::ArrRemove {
            arr: "movies".into(),
            queue_id: 1,
            skip_redownload: false,
            client,
        };
        action(ActionKind::Fail, hash, op)
    }

    fn tag(hash: &str) -> Action {
        let op = Op::AddTags {
            tags: vec!["x".into()],
        };
        action(ActionKind::Tag, hash, op)
    }

    fn done(index: usize) -> Acted {
        Acted {
            index,
            outcome: Outcome::Done,
            error: None,
        }
    }

    fn failed(index: usize) -> Acted {
        Acted {
            index,
            outcome: Outcome::Failed,
            error: Some(ActionProblem::Skipped(SkipReason::DeadlineReached)),
        }
    }

    fn torrents(records: &[Record]) -> Vec<&TorrentRecord> {
        records
            .iter()
            .filter_map(|r| match r {
                Record::Torrent(t) => Some(&**t),
                _ => None,
            })
            .collect()
    }

    fn state(records: impl IntoIterator<Item = TorrentRecord>) -> State {
        records
            .into_iter()
            .map(|t| Record::Torrent(Box::new(t)))
            .collect()
    }

    #[test]
    fn an_intent_is_written_before_acting_for_each_action_that_records_its_outcome() {
        let plan = Plan {
            actions: vec![
                fail("aa", ClientSide::ArrRemoves),
                action(ActionKind::Import, "bb", Op::Recheck),
                action(ActionKind::Recheck, "cc", Op::Recheck),
                tag("dd"),
            ],
            ..Default::default()
        };
        let stored = state(["aa", "bb", "cc", "dd"].map(record));
        let (_, first) = Ledger::open(&stored, vec![], &plan, RUN, NOW);
        let written = torrents(&first);
        let intents: Vec<(&str, ActionKind)> = written
            .iter()
            .map(|t| {
                let intent = t.intent.as_ref().expect("an intent");
                assert_eq!((intent.at, intent.run_id.as_str()), (NOW, RUN));
                (t.hash.as_str(), intent.action)
            })
            .collect();
        assert_eq!(
            intents,
            [
                ("aa", ActionKind::Fail),
                ("bb", ActionKind::Import),
                ("cc", ActionKind::Recheck)
            ]
        );
        // The tag changes no record, so none is copied or written.
        assert_eq!(first.len(), 3);
    }

    #[test]
    fn the_changed_records_are_all_written_first_those_acted_on_with_their_intent() {
        let mut seen = record("aa");
        seen.stalled_since = Some(NOW - 50);
        let mut other = record("bb");
        other.last_seen = NOW;
        let plan = Plan {
            actions: vec![fail("aa", ClientSide::ArrRemoves)],
            ..Default::default()
        };
        let changed = vec![
            Record::Torrent(Box::new(seen)),
            Record::Torrent(Box::new(other.clone())),
        ];
        let (_, first) = Ledger::open(&state([record("aa")]), changed, &plan, RUN, NOW);
        let written = torrents(&first);
        assert_eq!(written.len(), 2);
        assert_eq!(
            *written[0], other,
            "the changed record not acted on, as changed"
        );
        assert_eq!(written[1].hash, "aa");
        assert_eq!(
            written[1].stalled_since,
            Some(NOW - 50),
            "the record acted on as the decision changed it, not as stored"
        );
        assert!(written[1].intent.is_some());
    }

    #[test]
    fn a_skipped_action_gets_no_intent_and_an_unknown_torrent_no_record() {
        let mut skipped = fail("aa", ClientSide::ArrRemoves);
        skipped.skip = Some(SkipReason::CircuitOpen { planned: 9, max: 2 });
        let plan = Plan {
            actions: vec![skipped, fail("zz", ClientSide::ArrRemoves)],
            ..Default::default()
        };
        let (ledger, first) = Ledger::open(&state([record("aa")]), vec![], &plan, RUN, NOW);
        assert!(first.is_empty(), "{first:?}");
        let skipped_result = Acted {
            index: 0,
            outcome: Outcome::Skipped,
            error: None,
        };
        let last = ledger.close(&plan, &[skipped_result, done(1)], NOW);
        assert!(last.is_empty(), "nothing changed: {last:?}");
    }

    #[test]
    fn after_acting_each_done_action_keeps_its_time_and_every_intent_is_cleared() {
        let plan = Plan {
            actions: vec![
                fail("aa", ClientSide::ArrRemoves),
                fail("bb", ClientSide::KeepTagged),
                action(
                    ActionKind::Delete,
                    "cc",
                    Op::ClientDelete { delete_files: true },
                ),
                action(ActionKind::Import, "dd", Op::Recheck),
                action(ActionKind::Recheck, "ee", Op::Recheck),
                action(
                    ActionKind::Remove,
                    "ff",
                    Op::ClientDelete {
                        delete_files: false,
                    },
                ),
            ],
            ..Default::default()
        };
        let stored = state(["aa", "bb", "cc", "dd", "ee", "ff"].map(record));
        let (ledger, first) = Ledger::open(&stored, vec![], &plan, RUN, NOW);
        assert_eq!(first.len(), 6);
        let acted = [done(0), done(1), done(2), done(3), done(4), failed(5)];
        let last = ledger.close(&plan, &acted, NOW + 7);
        let written = torrents(&last);
        assert_eq!(written.len(), 6, "every intent cleared is written");
        assert!(written.iter().all(|t| t.intent.is_none()));
        let by = |hash: &str| *written.iter().find(|t| t.hash == hash).unwrap();
        assert_eq!(by("aa").removed_at, Some(NOW + 7));
        assert_eq!(by("aa").failed_kept_at, None);
        assert_eq!(by("bb").failed_kept_at, Some(NOW + 7), "kept in the client");
        assert_eq!(by("bb").removed_at, None);
        assert_eq!(by("cc").removed_at, Some(NOW + 7));
        assert_eq!(by("dd").import_sent_at, Some(NOW + 7));
        assert_eq!(by("ee").rechecked_at, Some(NOW + 7));
        let not_done = by("ff");
        assert_eq!(
            (not_done.removed_at, not_done.intent.as_ref()),
            (None, None),
            "a failed action clears its intent and records nothing else"
        );
    }

    #[test]
    fn a_search_sent_writes_the_records_of_its_arr_and_one_not_sent_none() {
        let searched = |arr: &str, id: i64| SearchRecord {
            arr: arr.into(),
            media_id: id,
            searched_at: NOW,
            reason: Some(crate::model::WantedReason::Missing),
            ..Default::default()
        };
        let search = |arr: &str| Action {
            kind: ActionKind::Search,
            instance: String::new(),
            hash: None,
            name: String::new(),
            arr: Some(arr.into()),
            reason: "test".into(),
            op: Op::ArrCommand {
                arr: arr.into(),
                body: serde_json::Value::Null,
            },
            skip: None,
        };
        let plan = Plan {
            actions: vec![search("movies"), search("shows")],
            searched: vec![
                (0, searched("movies", 1)),
                (1, searched("shows", 2)),
                (0, searched("movies", 3)),
            ],
            ..Default::default()
        };
        let (ledger, first) = Ledger::open(&State::new(), vec![], &plan, RUN, NOW);
        assert!(first.is_empty());
        let last = ledger.close(&plan, &[done(0), failed(1)], NOW);
        assert_eq!(
            last,
            [
                Record::Search(searched("movies", 1)),
                Record::Search(searched("movies", 3))
            ]
        );
    }

    #[test]
    fn a_tag_changes_no_record_and_a_second_action_on_one_torrent_is_one_write() {
        let plan = Plan {
            actions: vec![
                tag("aa"),
                action(ActionKind::Recheck, "aa", Op::Recheck),
                fail("aa", ClientSide::ArrRemoves),
            ],
            ..Default::default()
        };
        let (ledger, first) = Ledger::open(&state([record("aa")]), vec![], &plan, RUN, NOW);
        assert_eq!(first.len(), 1);
        let last = ledger.close(&plan, &[done(0), done(1), done(2)], NOW);
        let written = torrents(&last);
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].rechecked_at, Some(NOW));
        assert_eq!(written[0].removed_at, Some(NOW));
    }
}
