//! Scheduled searches: which wanted items of each Arr one pass searches.
//!
//! Per Arr with `[arr.NAME.search]`, reachable, with its wanted lists read this pass:
//! the monitored wanted items not searched within `cooldown` (by sweeparr, as its search
//! records say, or by the Arr itself, as its `lastSearchTime` says), never-searched first,
//! then the longest ago, at most `per_run`. They go out as one command per Arr
//! (`MoviesSearch`, `EpisodeSearch`, `AlbumSearch` with the ids), and none while the Arr
//! already runs or queues `max_running` search commands (of anyone's). A search record per
//! item is written once that command was sent.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::fmt;
use super::plan::{Action, ActionKind, Op, Plan};
use crate::config::{Config, SearchConfig};
use crate::model::Epoch;
use crate::model::{ArrKind, ArrSnapshot, WantedItem, WantedReason};
use crate::state::{SearchRecord, State};

/// Adds the search action of every Arr that has something to search, and the records to
/// write once each is sent.
pub fn plan_searches(
    snapshot: &crate::model::Snapshot,
    state: &State,
    config: &Config,
    now: Epoch,
    plan: &mut Plan,
) {
    for arr in snapshot.arrs.iter().filter(|a| a.reachable) {
        let Some(cfg) = config.arr.get(&arr.name).and_then(|c| c.search.as_ref()) else {
            continue;
        };
        for (action, records) in search_arr(arr, cfg, state, now) {
            let index = plan.actions.len();
            plan.actions.push(action);
            plan.searched
                .extend(records.into_iter().map(|r| (index, r)));
        }
        expire_records(arr, state, now, plan);
    }
}

/// Once the Arr's wanted lists were read whole: the search records of items it no longer
/// wants start their 30 days (then the store drops them), and those of items wanted again
/// stop them.
fn expire_records(arr: &ArrSnapshot, state: &State, now: Epoch, plan: &mut Plan) {
    let Some(scan) = arr.search.as_ref().filter(|s| s.complete) else {
        return;
    };
    let wanted: BTreeSet<i64> = scan.wanted.iter().map(|i| i.media_id).collect();
    let mut changed: Vec<SearchRecord> = state
        .searches_of(&arr.name)
        .filter_map(|r| match (wanted.contains(&r.media_id), r.gone_since) {
            (false, None) => Some(SearchRecord {
                gone_since: Some(now),
                expires_at: Some(now + crate::state::record::GONE_RETENTION_SECS),
                ..r.clone()
            }),
            (true, Some(_)) => Some(SearchRecord {
                gone_since: None,
                expires_at: None,
                ..r.clone()
            }),
            _ => None,
        })
        .collect();
    changed.sort_unstable_by_key(|r| r.media_id);
    plan.records
        .extend(changed.into_iter().map(crate::state::Record::Search));
}

/// When an item was last searched: the later of sweeparr's record and the Arr's own time.
fn last_searched(arr: &str, item: &WantedItem, state: &State) -> Option<Epoch> {
    let ours = state.search(arr, item.media_id).map(|s| s.searched_at);
    ours.max(item.last_search)
}

/// Search commands sweeparr sent to `arr` in the hour before `now`, from its search records:
/// the items of one command share its time (and, for a season search, its season).
pub fn sent_last_hour(arr: &str, state: &State, now: Epoch) -> usize {
    // A pass sends one command for its single items and one per season searched whole.
    let commands: BTreeSet<(Epoch, Option<(i64, i64)>)> = state
        .searches_of(arr)
        .filter(|s| s.searched_at <= now && now - s.searched_at < 3600)
        .map(|s| (s.searched_at, s.season))
        .collect();
    commands.len()
}

/// One thing a pass searches: a wanted item, or (Sonarr) a season of `season_after` or more
/// wanted episodes, searched as the season.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit<'a> {
    /// (series id, season number) of a season searched whole.
    pub season: Option<(i64, i64)>,
    /// Its items, each with when it was last searched.
    pub items: Vec<(&'a WantedItem, Option<Epoch>)>,
}

impl Unit<'_> {
    /// Sorting key: never searched first (a season counts as never searched when one of its
    /// episodes was), then the longest ago.
    fn overdue(&self) -> (bool, Epoch) {
        let mut oldest = Epoch::MAX;
        for (_, last) in &self.items {
            match last {
                None => return (false, 0),
                Some(t) => oldest = oldest.min(*t),
            }
        }
        (true, oldest)
    }
}

/// What to search now, in sending order, at most `per_run` units.
pub fn candidates<'a>(
    arr: &'a ArrSnapshot,
    cfg: &SearchConfig,
    state: &State,
    now: Epoch,
) -> Vec<Unit<'a>> {
    let Some(scan) = arr.search.as_ref() else {
        return Vec::new();
    };
    // One command carries the whole batch: `max_running` counts commands, not items.
    if scan.running >= cfg.max_running || !cfg.enabled() {
        return Vec::new();
    }
    if cfg
        .max_per_hour
        .is_some_and(|most| sent_last_hour(&arr.name, state, now) >= most)
    {
        return Vec::new();
    }
    let cooldown = fmt::as_secs(cfg.cooldown);
    let mut seen = BTreeSet::new();
    let due: Vec<(&WantedItem, Option<Epoch>)> = scan
        .wanted
        .iter()
        .filter(|i| match i.reason {
            WantedReason::Missing => cfg.missing,
            WantedReason::CutoffUnmet => cfg.cutoff_unmet,
        })
        .filter(|i| seen.insert(i.media_id))
        .map(|i| (i, last_searched(&arr.name, i, state)))
        .filter(|(_, last)| last.is_none_or(|t| now - t >= cooldown))
        .collect();
    // Seasons with `season_after` or more due episodes go as one unit each.
    let mut seasons: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    if arr.kind == ArrKind::Sonarr && cfg.season_after > 0 {
        for (i, _) in &due {
            if let Some(key) = i.season {
                *seasons.entry(key).or_default() += 1;
            }
        }
        seasons.retain(|_, n| *n >= cfg.season_after);
    }
    let mut units: Vec<Unit<'a>> = Vec::new();
    let mut pack_at: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for (item, last) in due {
        match item.season.filter(|k| seasons.contains_key(k)) {
            Some(key) => {
                let at = *pack_at.entry(key).or_insert_with(|| {
                    units.push(Unit {
                        season: Some(key),
                        items: Vec::new(),
                    });
                    units.len() - 1
                });
                units[at].items.push((item, last));
            }
            None => units.push(Unit {
                season: None,
                items: vec![(item, last)],
            }),
        }
    }
    // Stable: ties keep the Arr's order.
    units.sort_by_key(Unit::overdue);
    units.truncate(cfg.per_run);
    units
}

/// The search actions of one Arr, each with the records of the items it searches: one
/// command for the single items, one `SeasonSearch` per season searched whole.
fn search_arr(
    arr: &ArrSnapshot,
    cfg: &SearchConfig,
    state: &State,
    now: Epoch,
) -> Vec<(Action, Vec<SearchRecord>)> {
    let units = candidates(arr, cfg, state, now);
    let singles: Vec<(&WantedItem, Option<Epoch>)> = units
        .iter()
        .filter(|u| u.season.is_none())
        .flat_map(|u| u.items.iter().copied())
        .collect();
    let mut out = Vec::new();
    if !singles.is_empty() {
        let ids: Vec<i64> = singles.iter().map(|(i, _)| i.media_id).collect();
        out.push(search_action(
            arr,
            &singles,
            None,
            reason(&singles, cfg, now),
            command_body(arr.kind, &ids),
            now,
        ));
    }
    for unit in units.iter().filter(|u| u.season.is_some()) {
        let Some((series, season)) = unit.season else {
            continue;
        };
        let why = format!(
            "season {season} of series {series}, {} episodes wanted (season_after {}): one \
             season search; {}",
            unit.items.len(),
            cfg.season_after,
            reason(&unit.items, cfg, now)
        );
        let body = json!({"name": "SeasonSearch", "seriesId": series, "seasonNumber": season});
        out.push(search_action(arr, &unit.items, unit.season, why, body, now));
    }
    out
}

/// A search action sending `body`, and the records of `items` to write once it is sent.
fn search_action(
    arr: &ArrSnapshot,
    items: &[(&WantedItem, Option<Epoch>)],
    season: Option<(i64, i64)>,
    reason: String,
    body: serde_json::Value,
    now: Epoch,
) -> (Action, Vec<SearchRecord>) {
    let records = items
        .iter()
        .map(|(i, _)| SearchRecord {
            arr: arr.name.clone(),
            media_id: i.media_id,
            searched_at: now,
            reason: Some(i.reason),
            season,
            ..Default::default()
        })
        .collect();
    let action = Action {
        kind: ActionKind::Search,
        instance: String::new(),
        hash: None,
        name: items
            .iter()
            .map(|(i, _)| i.title.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        arr: Some(arr.name.clone()),
        reason,
        op: Op::ArrCommand {
            arr: arr.name.clone(),
            body,
        },
        skip: None,
    };
    (action, records)
}

/// The search command of `kind` for these media ids.
pub fn command_body(kind: ArrKind, ids: &[i64]) -> serde_json::Value {
    match kind {
        ArrKind::Radarr => json!({"name": "MoviesSearch", "movieIds": ids}),
        ArrKind::Sonarr => json!({"name": "EpisodeSearch", "episodeIds": ids}),
        ArrKind::Lidarr => json!({"name": "AlbumSearch", "albumIds": ids}),
    }
}

/// "3 missing, 1 cutoff unmet; 2 never searched, 2 last searched 9d-12d ago; cooldown 7d"
fn reason(chosen: &[(&WantedItem, Option<Epoch>)], cfg: &SearchConfig, now: Epoch) -> String {
    let count = |r: WantedReason| chosen.iter().filter(|(i, _)| i.reason == r).count();
    let mut lists = Vec::new();
    for (r, label) in [
        (WantedReason::Missing, "missing"),
        (WantedReason::CutoffUnmet, "cutoff unmet"),
    ] {
        match count(r) {
            0 => {}
            n => lists.push(format!("{n} {label}")),
        }
    }
    let ages: Vec<i64> = chosen
        .iter()
        .filter_map(|(_, last)| last.map(|t| now - t))
        .collect();
    let never = chosen.len() - ages.len();
    let mut history = Vec::new();
    if never > 0 {
        history.push(if ages.is_empty() {
            "never searched".to_string()
        } else {
            format!("{never} never searched")
        });
    }
    if let (Some(min), Some(max)) = (ages.iter().min(), ages.iter().max()) {
        let when = if min == max {
            fmt::secs(*min)
        } else {
            format!("{}-{}", fmt::secs(*min), fmt::secs(*max))
        };
        history.push(if never == 0 {
            format!("last searched {when} ago")
        } else {
            format!("{} last searched {when} ago", ages.len())
        });
    }
    let cooldown = if cfg.cooldown.is_zero() {
        "no cooldown".to_string()
    } else {
        format!("cooldown {}", fmt::dur(cfg.cooldown))
    };
    format!("{}; {}; {cooldown}", lists.join(", "), history.join(", "))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::model::{SearchScan, Snapshot};
    use crate::state::Record;

    const NOW: Epoch = 1_800_000_000;
    const DAY: Epoch = 86_400;

    fn cfg() -> SearchConfig {
        SearchConfig {
            missing: true,
            cutoff_unmet: true,
            per_run: 5,
            cooldown: Duration::from_secs(7 * DAY as u64),
            max_running: 3,
            max_per_hour: None,
            season_after: 3,
        }
    }

    fn item(id: i64, reason: WantedReason) -> WantedItem {
        WantedItem {
            media_id: id,
            title: format!("Movie {id}"),
            reason,
            last_search: None,
            season: None,
        }
    }

    fn missing(ids: impl IntoIterator<Item = i64>) -> Vec<WantedItem> {
        ids.into_iter()
            .map(|i| item(i, WantedReason::Missing))
            .collect()
    }

    fn arr(kind: ArrKind, wanted: Vec<WantedItem>, running: usize) -> ArrSnapshot {
        ArrSnapshot {
            name: "movies".into(),
            kind,
            reachable: true,
            error: None,
            queue: BTreeMap::new(),
            history: BTreeMap::new(),
            grabs: Default::default(),
            search: Some(SearchScan {
                wanted,
                running,
                complete: true,
            }),
            health: Default::default(),
        }
    }

    fn searched(id: i64, at: Epoch) -> Record {
        Record::Search(SearchRecord {
            arr: "movies".into(),
            media_id: id,
            searched_at: at,
            reason: Some(WantedReason::Missing),
            ..Default::default()
        })
    }

    fn ids(arr: &ArrSnapshot, cfg: &SearchConfig, state: &State) -> Vec<i64> {
        candidates(arr, cfg, state, NOW)
            .iter()
            .flat_map(|u| u.items.iter().map(|(i, _)| i.media_id))
            .collect()
    }

    #[test]
    fn at_most_per_run_items_in_the_arrs_order() {
        let a = arr(ArrKind::Radarr, missing(1..=10), 0);
        let c = SearchConfig {
            per_run: 3,
            ..cfg()
        };
        assert_eq!(ids(&a, &c, &State::new()), [1, 2, 3]);
    }

    #[test]
    fn items_searched_within_the_cooldown_wait_by_our_record_or_the_arrs_own_time() {
        let mut wanted = missing(1..=4);
        wanted[3].last_search = Some(NOW - DAY);
        let state = State::from_iter([searched(1, NOW - DAY), searched(2, NOW - 8 * DAY)]);
        let a = arr(ArrKind::Radarr, wanted, 0);
        assert_eq!(ids(&a, &cfg(), &state), [3, 2]);
        let no_cooldown = SearchConfig {
            cooldown: Duration::ZERO,
            ..cfg()
        };
        assert_eq!(ids(&a, &no_cooldown, &state), [3, 2, 1, 4]);
    }

    #[test]
    fn never_searched_first_then_the_longest_ago() {
        let mut wanted = missing(1..=4);
        wanted[0].last_search = Some(NOW - 9 * DAY);
        let state = State::from_iter([searched(2, NOW - 30 * DAY), searched(1, NOW - 10 * DAY)]);
        let a = arr(ArrKind::Radarr, wanted, 0);
        // 1: ours 10d ago, the Arr's 9d ago -> 9d; 2: 30d; 3 and 4: never.
        assert_eq!(ids(&a, &cfg(), &state), [3, 4, 2, 1]);
    }

    #[test]
    fn records_of_items_no_longer_wanted_expire_once_the_lists_were_read_whole() {
        let state = State::from_iter([
            searched(1, NOW - DAY),
            searched(9, NOW - DAY),
            Record::Search(SearchRecord {
                arr: "movies".into(),
                media_id: 2,
                searched_at: NOW - 40 * DAY,
                gone_since: Some(NOW - 5 * DAY),
                expires_at: Some(NOW + 25 * DAY),
                ..Default::default()
            }),
        ]);
        let snapshot = |complete: bool| {
            let mut a = arr(ArrKind::Radarr, missing([1, 2]), 0);
            a.search.as_mut().unwrap().complete = complete;
            crate::model::Snapshot {
                instances: vec![],
                arrs: vec![a],
            }
        };
        let mut config = crate::decide::tests::config();
        config.arr.get_mut("movies").unwrap().search = Some(SearchConfig {
            per_run: 1,
            ..cfg()
        });
        let records = |complete| {
            let mut plan = Plan::default();
            plan_searches(&snapshot(complete), &state, &config, NOW, &mut plan);
            plan.records
                .into_iter()
                .map(|r| match r {
                    Record::Search(s) => (s.media_id, s.gone_since, s.expires_at),
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        // 9 is no longer wanted: its 30 days start; 2 is wanted again: they stop.
        assert_eq!(
            records(true),
            vec![(2, None, None), (9, Some(NOW), Some(NOW + 30 * DAY))]
        );
        // A list cut short says nothing about what is not in it.
        assert_eq!(records(false), vec![]);
        assert_eq!(
            Record::Search(SearchRecord {
                expires_at: Some(NOW),
                ..Default::default()
            })
            .expires_at(),
            Some(NOW)
        );
    }

    #[test]
    fn a_season_with_season_after_wanted_episodes_is_searched_as_the_season() {
        let episode = |id: i64, season: i64| WantedItem {
            season: Some((5, season)),
            title: format!("S{season:02}E{id:02}"),
            ..item(id, WantedReason::Missing)
        };
        // Season 1: three wanted (one searched 9 days ago); season 2: two.
        let wanted = vec![
            episode(1, 1),
            episode(2, 1),
            episode(10, 2),
            episode(3, 1),
            episode(11, 2),
        ];
        let state = State::from_iter([searched(2, NOW - 9 * DAY)]);
        let a = arr(ArrKind::Sonarr, wanted.clone(), 0);
        let sent = search_arr(&a, &cfg(), &state, NOW);
        let bodies: Vec<&serde_json::Value> = sent
            .iter()
            .map(|(a, _)| match &a.op {
                Op::ArrCommand { body, .. } => body,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            bodies,
            [
                &json!({"name": "EpisodeSearch", "episodeIds": [10, 11]}),
                &json!({"name": "SeasonSearch", "seriesId": 5, "seasonNumber": 1}),
            ]
        );
        // Every episode of the season is recorded with the season's action, and the two
        // commands count as two toward max_per_hour.
        let season_records: Vec<i64> = sent[1].1.iter().map(|r| r.media_id).collect();
        assert_eq!(season_records, [1, 2, 3]);
        let after: State = sent
            .iter()
            .flat_map(|(_, records)| records.iter().cloned().map(Record::Search))
            .collect();
        assert_eq!(sent_last_hour("movies", &after, NOW), 2);
        assert!(sent[1].0.reason.starts_with(
            "season 1 of series 5, 3 episodes wanted (season_after 3): one season search"
        ));
        // A season counts once toward per_run; off, each episode goes alone.
        let two = SearchConfig {
            per_run: 2,
            ..cfg()
        };
        assert_eq!(
            candidates(&a, &two, &state, NOW)
                .iter()
                .map(|u| (u.season, u.items.len()))
                .collect::<Vec<_>>(),
            [(Some((5, 1)), 3), (None, 1)]
        );
        let off = SearchConfig {
            season_after: 0,
            ..cfg()
        };
        assert_eq!(search_arr(&a, &off, &state, NOW).len(), 1);
        // Radarr never packs.
        let radarr = arr(ArrKind::Radarr, wanted, 0);
        assert_eq!(search_arr(&radarr, &cfg(), &state, NOW).len(), 1);
    }

    #[test]
    fn max_per_hour_counts_the_commands_sent_in_the_last_hour() {
        let c = SearchConfig {
            max_per_hour: Some(2),
            cooldown: Duration::ZERO,
            ..cfg()
        };
        let a = arr(ArrKind::Radarr, missing(1..=10), 0);
        // Two items of one command 10 minutes ago, one of another 50 minutes ago, one of a
        // third 2 hours ago: two commands in the hour.
        let state = State::from_iter([
            searched(1, NOW - 600),
            searched(2, NOW - 600),
            searched(3, NOW - 3000),
            searched(4, NOW - 7200),
        ]);
        assert_eq!(sent_last_hour("movies", &state, NOW), 2);
        assert!(ids(&a, &c, &state).is_empty());
        let three = SearchConfig {
            max_per_hour: Some(3),
            ..c
        };
        assert_eq!(ids(&a, &three, &state).len(), 5);
        // Later, the hour has passed for the older command.
        assert_eq!(sent_last_hour("movies", &state, NOW + 2700), 1);
    }

    #[test]
    fn no_search_while_the_arr_runs_max_running_search_commands() {
        for (running, want) in [(0, 5), (2, 5), (3, 0), (7, 0)] {
            let a = arr(ArrKind::Radarr, missing(1..=10), running);
            assert_eq!(ids(&a, &cfg(), &State::new()).len(), want, "{running}");
        }
    }

    #[test]
    fn only_the_configured_lists_are_searched_and_an_item_only_once() {
        let mut wanted = missing([1, 2]);
        wanted.push(item(3, WantedReason::CutoffUnmet));
        wanted.push(item(1, WantedReason::CutoffUnmet));
        let a = arr(ArrKind::Radarr, wanted, 0);
        assert_eq!(ids(&a, &cfg(), &State::new()), [1, 2, 3]);
        let only_cutoff = SearchConfig {
            missing: false,
            ..cfg()
        };
        assert_eq!(ids(&a, &only_cutoff, &State::new()), [3, 1]);
    }

    #[test]
    fn one_command_per_arr_with_every_id_and_a_reason() {
        let mut wanted = missing([11, 12]);
        wanted.push(item(13, WantedReason::CutoffUnmet));
        let state = State::from_iter([searched(12, NOW - 9 * DAY)]);
        let a = arr(ArrKind::Radarr, wanted, 0);
        let mut sent = search_arr(&a, &cfg(), &state, NOW);
        assert_eq!(sent.len(), 1, "one command");
        let (action, records) = sent.remove(0);
        assert_eq!(action.kind, ActionKind::Search);
        assert_eq!(action.instance, "");
        assert_eq!(action.hash, None);
        assert_eq!(action.arr.as_deref(), Some("movies"));
        assert_eq!(action.name, "Movie 11, Movie 13, Movie 12");
        assert_eq!(
            action.reason,
            "2 missing, 1 cutoff unmet; 2 never searched, 1 last searched 9d ago; cooldown 7d"
        );
        assert_eq!(
            action.op,
            Op::ArrCommand {
                arr: "movies".into(),
                body: json!({"name": "MoviesSearch", "movieIds": [11, 13, 12]}),
            }
        );
        let got: Vec<(i64, &str, Epoch)> = records
            .iter()
            .map(|r| {
                (
                    r.media_id,
                    r.reason.map_or("", WantedReason::as_str),
                    r.searched_at,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (11, "missing", NOW),
                (13, "cutoff_unmet", NOW),
                (12, "missing", NOW)
            ]
        );
    }

    #[test]
    fn each_kind_sends_its_own_search_command_with_ids_only() {
        assert_eq!(
            command_body(ArrKind::Sonarr, &[1, 2]),
            json!({"name": "EpisodeSearch", "episodeIds": [1, 2]})
        );
        assert_eq!(
            command_body(ArrKind::Lidarr, &[3]),
            json!({"name": "AlbumSearch", "albumIds": [3]})
        );
    }

    fn config_with_search(search: Option<SearchConfig>) -> Config {
        let text = "[arr.movies]\nkind = \"radarr\"\nurl = \"http://127.0.0.1:7878\"\napi_key = \"k\"\ncategory = \"radarr\"\n";
        let mut c = crate::config::load_str(text, "t", std::path::Path::new("/"), &|_| None)
            .expect("config");
        c.arr.get_mut("movies").unwrap().search = search;
        c
    }

    #[test]
    fn no_search_without_the_section_for_an_unreachable_arr_or_in_a_hash_pass() {
        let snapshot = |reachable: bool| Snapshot {
            instances: vec![],
            arrs: vec![ArrSnapshot {
                reachable,
                ..arr(ArrKind::Radarr, missing([1]), 0)
            }],
        };
        let plan = |config: &Config, s: &Snapshot, scope: &crate::decide::Scope| {
            crate::decide::decide(s, &State::new(), config, scope, NOW)
        };
        let all = crate::decide::Scope::default();
        let on = config_with_search(Some(cfg()));
        let p = plan(&on, &snapshot(true), &all);
        assert_eq!(p.actions.len(), 1);
        assert_eq!(p.searched.len(), 1);
        assert!(plan(&on, &snapshot(false), &all).actions.is_empty());
        let hook = crate::decide::Scope::new(["ab".repeat(20)], Vec::<String>::new());
        assert!(plan(&on, &snapshot(true), &hook).actions.is_empty());
        let off = config_with_search(None);
        assert!(plan(&off, &snapshot(true), &all).actions.is_empty());
    }
}
