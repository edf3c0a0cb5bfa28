//! Scheduled searches end to end: the real binary against fake Arrs (no qBittorrent is
//! needed: searches are per Arr). Each test checks what the Arr received, the summary and
//! the search records in the state store.

use crate::helpers;

use helpers::fake_arr::{FakeArr, Wanted};
use helpers::world::{World, actions};
use serde_json::{Value, json};
use sweeparr::model::ArrKind;

async fn world(kind: ArrKind, search: &str) -> World {
    let mut w = World::start(&[], &[("media", kind, "media")]).await;
    w.extra = format!("[arr.media.search]\n{search}\n");
    w
}

fn movie(id: i64, monitored: bool) -> Value {
    json!({"id": id, "title": format!("Movie {id}"), "year": 2020, "monitored": monitored,
           "hasFile": false, "isAvailable": true, "qualityProfileId": 1, "tmdbId": 1000 + id})
}

/// Episode `id`, alone in its season (so never searched as a season pack).
fn episode(id: i64, monitored: bool) -> Value {
    in_season(id, id, monitored)
}

fn in_season(id: i64, season: i64, monitored: bool) -> Value {
    json!({"id": id, "seriesId": 5, "tvdbId": 2000 + id, "seasonNumber": season,
           "episodeNumber": id, "title": format!("Episode {id}"), "hasFile": false,
           "monitored": monitored})
}

/// The id lists of the search commands the Arr received, in order.
fn searched(arr: &FakeArr, field: &str) -> Vec<Vec<i64>> {
    arr.search_commands()
        .iter()
        .map(|c| {
            c.body[field]
                .as_array()
                .unwrap_or_else(|| panic!("{field} in {}", c.body))
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect()
        })
        .collect()
}

/// Search records in the state store as (media id, reason).
async fn search_records(w: &World) -> Vec<(i64, String)> {
    let out = w.sweeparr(&["state", "export"]).await;
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "search")
        .map(|r| {
            assert_eq!(r["arr"], "media");
            (
                r["media_id"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn wanted_reads(arr: &FakeArr) -> usize {
    arr.requests()
        .iter()
        .filter(|r| r.path.contains("/wanted/"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_searches_at_most_per_run_items_in_one_command() {
    let w = world(ArrKind::Radarr, "missing = true\nper_run = 2").await;
    let arr = w.arr("media");
    arr.set_wanted(Wanted::Missing, (1..=5).map(|i| movie(i, true)).collect());

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(searched(arr, "movieIds"), [vec![1, 2]]);
    assert_eq!(arr.search_commands()[0].name, "MoviesSearch");
    assert_eq!(arr.search_commands()[0].status, "completed");
    let action = &summary["actions"][0];
    assert_eq!(
        actions(&summary),
        [("search".into(), "".into(), "done".into())]
    );
    assert_eq!(action["instance"], "");
    assert_eq!(action["hash"], Value::Null);
    assert_eq!(action["arr"], "media");
    assert_eq!(action["name"], "Movie 1 (2020), Movie 2 (2020)");
    assert_eq!(action["reason"], "2 missing; never searched; cooldown 7d");
    assert_eq!(
        search_records(&w).await,
        [(1, "missing".to_string()), (2, "missing".to_string())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_holds_across_passes_while_other_items_are_searched() {
    let w = world(
        ArrKind::Radarr,
        "missing = true\nper_run = 2\ncooldown = \"7d\"",
    )
    .await;
    let arr = w.arr("media");
    arr.set_wanted(Wanted::Missing, (1..=3).map(|i| movie(i, true)).collect());

    for _ in 0..3 {
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{summary:#}");
    }
    // Pass 1: 1 and 2; pass 2: only 3 (1 and 2 cool down); pass 3: nothing left.
    assert_eq!(searched(arr, "movieIds"), [vec![1, 2], vec![3]]);
    assert_eq!(search_records(&w).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmonitored_episodes_are_never_searched_and_sonarr_gets_episode_ids_only() {
    let w = world(ArrKind::Sonarr, "missing = true\ncutoff_unmet = true").await;
    let arr = w.arr("media");
    arr.set_wanted(
        Wanted::Missing,
        vec![episode(1, true), episode(2, false), episode(3, true)],
    );
    arr.set_wanted(Wanted::Cutoff, vec![episode(4, false), episode(5, true)]);

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let commands = arr.search_commands();
    assert_eq!(commands.len(), 1, "{commands:#?}");
    assert_eq!(
        commands[0].body,
        json!({"name": "EpisodeSearch", "episodeIds": [1, 3, 5]}),
        "one EpisodeSearch with ids only: never a bulk missing search"
    );
    for r in arr
        .requests()
        .iter()
        .filter(|r| r.path.contains("/wanted/"))
    {
        assert_eq!(r.param("monitored"), Some("true"), "{r:?}");
        assert_eq!(r.param("pageSize"), Some("250"), "{r:?}");
    }
    assert_eq!(
        summary["actions"][0]["reason"],
        "2 missing, 1 cutoff unmet; never searched; cooldown 7d"
    );
    assert_eq!(
        search_records(&w).await,
        [
            (1, "missing".to_string()),
            (3, "missing".to_string()),
            (5, "cutoff_unmet".to_string())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_search_while_the_arr_runs_max_running_search_commands() {
    let w = world(ArrKind::Lidarr, "missing = true\nmax_running = 3").await;
    let arr = w.arr("media");
    arr.set_wanted(
        Wanted::Missing,
        vec![json!({"id": 30, "title": "Album", "artistId": 3, "monitored": true})],
    );
    let running: Vec<i64> = ["MissingAlbumSearch", "AlbumSearch", "ArtistSearch"]
        .iter()
        .map(|n| arr.add_running_command(n))
        .collect();

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).is_empty(), "{summary:#}");
    assert!(arr.search_commands().is_empty());
    assert_eq!(wanted_reads(arr), 0, "the wanted list is not even read");
    assert!(search_records(&w).await.is_empty());

    // One of them finishes; a running non-search command does not count: the album is
    // searched.
    arr.finish_command(running[0]);
    arr.add_running_command("RssSync");
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(searched(arr, "albumIds"), [vec![30]]);
    assert_eq!(arr.search_commands()[0].name, "AlbumSearch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radarr_without_wanted_endpoints_falls_back_to_the_movie_list() {
    let w = world(ArrKind::Radarr, "missing = true\ncutoff_unmet = true").await;
    let arr = w.arr("media");
    arr.set_wanted_endpoints(false);
    let mut with_file = movie(2, true);
    with_file["hasFile"] = json!(true);
    let mut unreleased = movie(4, true);
    unreleased["isAvailable"] = json!(false);
    arr.set_movies(vec![movie(1, true), with_file, movie(3, false), unreleased]);

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(summary["status"], "ok");
    assert_eq!(searched(arr, "movieIds"), [vec![1]]);
    let paths: Vec<String> = arr.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.contains(&"/api/v3/movie".to_string()), "{paths:?}");
    assert!(
        !paths.contains(&"/api/v3/wanted/cutoff".to_string()),
        "cutoff is not asked again once wanted/missing is known missing: {paths:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_plans_searches_but_sends_none_and_writes_no_record() {
    let w = world(ArrKind::Radarr, "missing = true").await;
    let arr = w.arr("media");
    arr.set_wanted(Wanted::Missing, vec![movie(1, true), movie(2, true)]);

    for args in [
        vec!["plan", "--output", "json"],
        vec!["run", "--dry-run", "--output", "json"],
    ] {
        let out = w.sweeparr(&args).await;
        let (code, summary) = helpers::world::parse_summary(&out);
        assert_eq!(code, 0, "{summary:#}");
        assert_eq!(
            actions(&summary),
            [("search".into(), "".into(), "planned".into())]
        );
    }
    let writes: Vec<_> = arr
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    assert!(search_records(&w).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torrent_finished_hook_pass_does_not_search() {
    let w = world(ArrKind::Radarr, "missing = true").await;
    let arr = w.arr("media");
    arr.set_wanted(Wanted::Missing, vec![movie(1, true)]);
    let (code, summary) = w.run_json(&["--hash", &"ab".repeat(20)]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(actions(&summary).is_empty(), "{summary:#}");
    assert_eq!(wanted_reads(arr), 0);
    assert!(arr.search_commands().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_larger_than_one_read_is_searched_round_in_the_arrs_last_search_order() {
    // 1,500 missing items, read at most 1,000 a pass: only the Arr's order by last search
    // time brings the last 500 in. Each pass searches 250; six passes reach every one, once.
    for (kind, make, field) in [
        (ArrKind::Radarr, movie as fn(i64, bool) -> Value, "movieIds"),
        (ArrKind::Sonarr, episode, "episodeIds"),
    ] {
        let w = world(kind, "missing = true\nper_run = 250\nmax_running = 100").await;
        let arr = w.arr("media");
        arr.set_wanted(Wanted::Missing, (1..=1500).map(|i| make(i, true)).collect());
        for _ in 0..6 {
            let (code, summary) = w.run_json(&[]).await;
            assert_eq!(code, 0, "{summary:#}");
        }
        let mut all: Vec<i64> = searched(arr, field).into_iter().flatten().collect();
        assert_eq!(all.len(), 1500, "{kind:?}: one search per item");
        all.sort_unstable();
        all.dedup();
        assert_eq!(all, (1..=1500).collect::<Vec<_>>(), "{kind:?}: every item");
        // Every wanted read asked for that order.
        let key = match kind {
            ArrKind::Radarr => "movies.lastSearchTime",
            _ => "episodes.lastSearchTime",
        };
        assert!(
            arr.requests()
                .iter()
                .filter(|r| r.path.contains("/wanted/"))
                .all(|r| r.param("sortKey") == Some(key)
                    && r.param("sortDirection") == Some("ascending"))
        );
        // Round again: all searched within the cooldown, nothing is sent.
        let (_, summary) = w.run_json(&[]).await;
        assert!(
            actions(&summary).iter().all(|a| a.0 != "search"),
            "{summary:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_per_hour_stops_searches_once_the_hours_budget_is_spent() {
    let w = world(
        ArrKind::Radarr,
        "missing = true\nper_run = 1\ncooldown = \"off\"\nmax_per_hour = 2",
    )
    .await;
    let arr = w.arr("media");
    arr.set_wanted(Wanted::Missing, (1..=5).map(|i| movie(i, true)).collect());
    for _ in 0..2 {
        let (code, summary) = w.run_json(&[]).await;
        assert_eq!(code, 0, "{summary:#}");
        // One command a second at most: the budget counts commands by their time.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(searched(arr, "movieIds").len(), 2);
    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert_eq!(searched(arr, "movieIds").len(), 2, "{summary:#}");
    assert!(actions(&summary).iter().all(|a| a.0 != "search"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_season_with_enough_wanted_episodes_is_searched_as_the_season_once() {
    let w = world(
        ArrKind::Sonarr,
        "missing = true\nper_run = 5\nseason_after = 3",
    )
    .await;
    let arr = w.arr("media");
    // Season 1: four wanted episodes; season 2: two; one more unmonitored in season 1.
    let mut wanted: Vec<Value> = (1..=4).map(|i| in_season(i, 1, true)).collect();
    wanted.extend((5..=6).map(|i| in_season(i, 2, true)));
    wanted.push(in_season(7, 1, false));
    arr.set_wanted(Wanted::Missing, wanted);

    let (code, summary) = w.run_json(&["--dry-run"]).await;
    assert_eq!(code, 0, "{summary:#}");
    assert!(arr.search_commands().is_empty(), "a dry run sends nothing");

    let (code, summary) = w.run_json(&[]).await;
    assert_eq!(code, 0, "{summary:#}");
    let bodies: Vec<Value> = arr
        .search_commands()
        .iter()
        .map(|c| c.body.clone())
        .collect();
    assert_eq!(
        bodies,
        [
            json!({"name": "EpisodeSearch", "episodeIds": [5, 6]}),
            json!({"name": "SeasonSearch", "seriesId": 5, "seasonNumber": 1}),
        ],
        "{summary:#}"
    );
    let mut records: Vec<i64> = search_records(&w).await.into_iter().map(|r| r.0).collect();
    records.sort_unstable();
    assert_eq!(
        records,
        [1, 2, 3, 4, 5, 6],
        "every episode searched is recorded"
    );
    // All cooling down: the next pass sends nothing.
    let (_, summary) = w.run_json(&[]).await;
    assert_eq!(arr.search_commands().len(), 2, "{summary:#}");
}
