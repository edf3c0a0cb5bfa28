//! Checks every state store backend must pass, written once and run against each backend.
//!
//! Every check takes a [`MakeStore`] that opens a fresh store on one shared location (a
//! folder, a table): two stores from it behave like two processes. Each check keeps to its
//! own keys (tagged with the check's name) and deletes them at the end, so the checks can share
//! one location and run in any order.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use sweeparr::model::{ActionKind, RunStatus};
use sweeparr::state::record::{lease_pk, torrent_pk};
use sweeparr::state::{
    Epoch, Intent, LeaseRecord, LeaseRequest, OutageRecord, Record, Records, RunRecord,
    SearchRecord, Store, StoreError, TorrentRecord,
};

/// Opens a new store on the shared location.
pub type MakeStore<'a> = &'a (dyn Fn() -> Box<dyn Store> + Send + Sync);

/// The "current time" of every check.
pub const NOW: Epoch = 1_750_000_000;

/// Runs every check in turn, printing how long each took; returns the total.
pub async fn run_all(make: MakeStore<'_>) -> Duration {
    let started = Instant::now();
    macro_rules! timed {
        ($($check:ident),* $(,)?) => {$(
            let t = Instant::now();
            $check(make).await;
            eprintln!("store suite: {} ok in {:?}", stringify!($check), t.elapsed());
        )*};
    }
    timed!(
        every_record_kind_round_trips,
        save_applies_puts_and_deletes_together,
        save_returns_the_count,
        load_skips_expired_records,
        get_of_a_missing_key_is_none,
        second_run_is_refused_while_the_lease_is_held,
        released_lease_can_be_taken_again,
        holder_can_renew_its_lease,
        expired_lease_can_be_taken_over,
        many_records_round_trip,
    );
    started.elapsed()
}

/// A torrent record with every optional field set.
pub fn full_torrent(instance: &str, i: usize) -> TorrentRecord {
    TorrentRecord {
        instance: instance.to_string(),
        hash: format!("{i:040x}"),
        name: format!("Some.Movie.{i}.1080p"),
        first_seen: NOW - 1000,
        last_seen: NOW,
        completed: 123_456_789,
        progress_at: NOW - 500,
        stalled_since: Some(NOW - 480),
        eta_over_since: Some(NOW - 470),
        downloading_since: Some(NOW - 450),
        downloading_from: 23_456_789,
        unavailable_since: Some(NOW - 400),
        import_problem_since: Some(NOW - 300),
        absent_from_queue_since: Some(NOW - 250),
        import_sent_at: Some(NOW - 200),
        imported_at: Some(NOW - 100),
        history_checked_at: Some(NOW - 90),
        files_checked: true,
        blocked_file: Some("sample.exe".to_string()),
        no_wanted_file: true,
        owner: Some("movies".to_string()),
        tracker_upkeep: Some(0xfeed),
        dead_trackers: vec![("udp://dead.example.org:80/announce".to_string(), NOW - 86)],
        space_paused_at: Some(NOW - 87),
        attention_since: Some(NOW - 85),
        rechecked_at: Some(NOW - 80),
        trackers_checked_at: Some(NOW - 60),
        trackers_failing: true,
        unregistered: Some("Unregistered torrent".to_string()),
        tracker_host: Some("tracker.example.org".to_string()),
        private: Some(true),
        failed_kept_at: Some(NOW - 55),
        intent: Some(Intent {
            action: ActionKind::Remove,
            at: NOW - 70,
            run_id: "run-intent".to_string(),
        }),
        removed_at: Some(NOW - 60),
        gone_since: Some(NOW - 50),
        expires_at: Some(NOW + 30 * 86_400),
    }
}

/// A minimal torrent record.
pub fn torrent(instance: &str, i: usize) -> Record {
    Record::Torrent(Box::new(TorrentRecord {
        instance: instance.to_string(),
        hash: format!("{i:040x}"),
        first_seen: NOW - 10,
        last_seen: NOW,
        progress_at: NOW - 5,
        ..Default::default()
    }))
}

/// A search record.
pub fn search(arr: &str, media_id: i64, searched_at: Epoch) -> Record {
    Record::Search(SearchRecord {
        arr: arr.to_string(),
        media_id,
        searched_at,
        reason: Some(sweeparr::model::WantedReason::Missing),
        ..Default::default()
    })
}

/// A lease request of `run_id` on `scope` at `now`, valid for `secs`.
pub fn lease_req(scope: &str, run_id: &str, now: Epoch, secs: i64) -> LeaseRequest {
    LeaseRequest {
        scope: scope.to_string(),
        run_id: run_id.to_string(),
        now,
        until: now + secs,
    }
}

/// The records of `load` whose key contains `tag`.
pub fn tagged(records: &Records, tag: &str) -> Records {
    records
        .iter()
        .filter(|(k, _)| k.contains(tag))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

async fn cleanup(store: &dyn Store, tag: &str, extra: &[String]) {
    let mut keys: Vec<String> = tagged(&store.load(0).await.unwrap(), tag)
        .into_keys()
        .collect();
    keys.extend_from_slice(extra);
    store.save(vec![], &keys).await.unwrap();
}

/// Each record kind, saved then loaded and read back by key, is unchanged.
pub async fn every_record_kind_round_trips(make: MakeStore<'_>) {
    let tag = "rt-kinds";
    let store = make();
    let records = vec![
        Record::Torrent(Box::new(full_torrent(tag, 1))),
        torrent(tag, 2),
        search(tag, 42, NOW - 3600),
        Record::Lease(LeaseRecord {
            scope: format!("{tag},other"),
            holder: "run-lease".to_string(),
            until: NOW + 600,
        }),
        Record::Run(RunRecord {
            run_id: format!("{tag}-run"),
            status: RunStatus::Partial,
            started_at: "2025-06-15T12:00:00Z".to_string(),
            actions: 7,
        }),
        Record::Outage(OutageRecord {
            target: format!("arr.{tag}"),
            since: NOW - 600,
            error: "arr x: GET queue answered HTTP 503".to_string(),
            announced: true,
        }),
    ];
    store.save(records.to_vec(), &[]).await.unwrap();

    let loaded = store.load(NOW).await.unwrap();
    for record in &records {
        let key = record.key();
        assert_eq!(
            loaded.get(&key),
            Some(record),
            "load must return {key} unchanged"
        );
        let got = make().get(&key).await.unwrap();
        assert_eq!(
            got.as_ref(),
            Some(record),
            "get must return {key} unchanged"
        );
    }
    cleanup(store.as_ref(), tag, &["run#last".to_string()]).await;
    assert!(store.get("run#last").await.unwrap().is_none());
}

/// Puts and deletes of one save are all visible afterwards; a key both put and deleted is put.
pub async fn save_applies_puts_and_deletes_together(make: MakeStore<'_>) {
    let tag = "pd-together";
    let store = make();
    let first: Vec<Record> = (0..3).map(|i| search(tag, i, NOW - 100)).collect();
    store.save(first.to_vec(), &[]).await.unwrap();

    let changed = search(tag, 1, NOW);
    let fresh = search(tag, 3, NOW);
    let put = vec![changed.clone(), fresh.clone()];
    let delete = vec![
        first[0].key(),
        changed.key(),
        format!("search#{tag}#never-existed"),
    ];
    store.save(put, &delete).await.unwrap();

    let ours = tagged(&make().load(NOW).await.unwrap(), tag);
    let expected: Records = [first[2].clone(), changed, fresh]
        .into_iter()
        .map(|r| (r.key(), r))
        .collect();
    assert_eq!(ours, expected, "after one save of puts and deletes");
    cleanup(store.as_ref(), tag, &[]).await;
}

/// `save` returns how many records it wrote or deleted.
pub async fn save_returns_the_count(make: MakeStore<'_>) {
    let tag = "save-count";
    let store = make();
    let put: Vec<Record> = (0..5).map(|i| torrent(tag, i)).collect();
    assert_eq!(store.save(put.to_vec(), &[]).await.unwrap(), 5);
    let delete: Vec<String> = put[..2].iter().map(Record::key).collect();
    assert_eq!(store.save(put[2..3].to_vec(), &delete).await.unwrap(), 3);
    assert_eq!(store.save(vec![], &[]).await.unwrap(), 0);
    assert_eq!(tagged(&store.load(NOW).await.unwrap(), tag).len(), 3);
    cleanup(store.as_ref(), tag, &[]).await;
}

/// Records whose `expires_at` is at or before `now` are not loaded.
pub async fn load_skips_expired_records(make: MakeStore<'_>) {
    let tag = "expiry";
    let store = make();
    let expiring = |i: usize, at: Epoch| {
        let mut t = full_torrent(tag, i);
        t.expires_at = Some(at);
        Record::Torrent(Box::new(t))
    };
    let past = expiring(1, NOW - 1);
    let exactly_now = expiring(2, NOW);
    let future = expiring(3, NOW + 1);
    let never = torrent(tag, 4);
    let old_lease = Record::Lease(LeaseRecord {
        scope: format!("{tag}-scope"),
        holder: "run-old".to_string(),
        until: NOW - 86_400,
    });
    // A search record of an item no longer wanted expires the same way.
    let gone_search = Record::Search(SearchRecord {
        arr: format!("{tag}-arr"),
        media_id: 7,
        searched_at: NOW - 40 * 86_400,
        gone_since: Some(NOW - 30 * 86_400),
        expires_at: Some(NOW - 5),
        ..Default::default()
    });
    let all = [
        past,
        exactly_now,
        future.clone(),
        never.clone(),
        old_lease,
        gone_search,
    ];
    store.save(all.to_vec(), &[]).await.unwrap();

    let ours = tagged(&store.load(NOW).await.unwrap(), tag);
    let keys: BTreeSet<String> = ours.into_keys().collect();
    let expected = BTreeSet::from([future.key(), never.key()]);
    assert_eq!(keys, expected, "only unexpired records are loaded");
    let earlier = tagged(&store.load(NOW - 86_400 * 2).await.unwrap(), tag);
    assert_eq!(
        earlier.len(),
        all.len(),
        "all are loaded at an earlier time"
    );
    cleanup(
        store.as_ref(),
        tag,
        &all.iter().map(Record::key).collect::<Vec<_>>(),
    )
    .await;
}

/// `get` of a key never saved (or deleted) is `None`.
pub async fn get_of_a_missing_key_is_none(make: MakeStore<'_>) {
    let store = make();
    let key = torrent_pk("missing-instance", "ABCDEF");
    assert!(store.get(&key).await.unwrap().is_none());
    let r = torrent("missing-get", 9);
    store.save(vec![r.clone()], &[]).await.unwrap();
    assert!(store.get(&r.key()).await.unwrap().is_some());
    store.save(vec![], &[r.key()]).await.unwrap();
    assert!(store.get(&r.key()).await.unwrap().is_none());
}

fn expect_held(result: Result<(), StoreError>, holder: &str, until: Epoch) {
    match result {
        Err(StoreError::LeaseHeld {
            holder: h,
            until: u,
        }) => {
            assert_eq!(h, holder, "LeaseHeld names the holder");
            assert_eq!(u, until, "LeaseHeld says until when");
        }
        other => panic!("expected LeaseHeld by {holder}, got {other:?}"),
    }
}

fn expect_lease(record: Option<Record>, holder: &str, until: Epoch) {
    match record {
        Some(Record::Lease(l)) => {
            assert_eq!(
                (l.holder.as_str(), l.until),
                (holder, until),
                "lease record"
            );
        }
        other => panic!("expected a lease record of {holder}, got {other:?}"),
    }
}

/// While one run holds the lease, a second run is refused at once with the holder's id.
pub async fn second_run_is_refused_while_the_lease_is_held(make: MakeStore<'_>) {
    let scope = "lease-overlap-a,lease-overlap-b";
    let (a, b) = (make(), make());
    a.acquire_lease(&lease_req(scope, "run-a", NOW, 600))
        .await
        .unwrap();
    expect_lease(a.get(&lease_pk(scope)).await.unwrap(), "run-a", NOW + 600);

    let t = Instant::now();
    expect_held(
        b.acquire_lease(&lease_req(scope, "run-b", NOW + 5, 600))
            .await,
        "run-a",
        NOW + 600,
    );
    assert!(t.elapsed() < Duration::from_secs(3), "refusal never waits");
    // A run that does not hold it cannot release it.
    b.release_lease(scope, "run-b").await.unwrap();
    expect_lease(b.get(&lease_pk(scope)).await.unwrap(), "run-a", NOW + 600);
    // Reading still works while it is held.
    b.load(NOW).await.unwrap();

    a.release_lease(scope, "run-a").await.unwrap();
}

/// After release, the record is gone and another run takes the lease.
pub async fn released_lease_can_be_taken_again(make: MakeStore<'_>) {
    let scope = "lease-release";
    let (a, b) = (make(), make());
    a.acquire_lease(&lease_req(scope, "run-a", NOW, 600))
        .await
        .unwrap();
    a.release_lease(scope, "run-a").await.unwrap();
    assert!(
        a.get(&lease_pk(scope)).await.unwrap().is_none(),
        "release deletes the record"
    );

    b.acquire_lease(&lease_req(scope, "run-b", NOW + 1, 600))
        .await
        .unwrap();
    expect_lease(a.get(&lease_pk(scope)).await.unwrap(), "run-b", NOW + 601);
    b.release_lease(scope, "run-b").await.unwrap();
    // Releasing twice is harmless.
    b.release_lease(scope, "run-b").await.unwrap();
    assert!(b.get(&lease_pk(scope)).await.unwrap().is_none());
}

/// The holder asking again extends its own lease.
pub async fn holder_can_renew_its_lease(make: MakeStore<'_>) {
    let scope = "lease-renew";
    let a = make();
    a.acquire_lease(&lease_req(scope, "run-a", NOW, 60))
        .await
        .unwrap();
    a.acquire_lease(&lease_req(scope, "run-a", NOW + 30, 600))
        .await
        .unwrap();
    expect_lease(a.get(&lease_pk(scope)).await.unwrap(), "run-a", NOW + 630);
    a.release_lease(scope, "run-a").await.unwrap();
}

/// A lease whose holder vanished (crashed, never released) is taken by the next run once it
/// expired; the vanished holder's late release does not remove the new lease.
pub async fn expired_lease_can_be_taken_over(make: MakeStore<'_>) {
    let scope = "lease-expired";
    let a = make();
    a.acquire_lease(&lease_req(scope, "run-a", NOW, 10))
        .await
        .unwrap();
    drop(a); // the holder "crashes": no release

    let b = make();
    b.acquire_lease(&lease_req(scope, "run-b", NOW + 11, 600))
        .await
        .unwrap();
    expect_lease(b.get(&lease_pk(scope)).await.unwrap(), "run-b", NOW + 611);

    make().release_lease(scope, "run-a").await.unwrap();
    expect_lease(b.get(&lease_pk(scope)).await.unwrap(), "run-b", NOW + 611);
    b.release_lease(scope, "run-b").await.unwrap();
    assert!(b.get(&lease_pk(scope)).await.unwrap().is_none());
}

/// Thousands of records written by one save all come back, and one save deletes them all.
pub async fn many_records_round_trip(make: MakeStore<'_>) {
    let tag = "many-records";
    let store = make();
    let n = 3_000;
    let records: Vec<Record> = (0..n).map(|i| search(tag, i as i64, NOW)).collect();
    assert_eq!(store.save(records.to_vec(), &[]).await.unwrap(), n);

    let ours = tagged(&make().load(NOW).await.unwrap(), tag);
    assert_eq!(ours.len(), n, "every record is loaded");
    for r in &records {
        assert_eq!(ours.get(&r.key()), Some(r));
    }
    let keys: Vec<String> = records.iter().map(Record::key).collect();
    assert_eq!(store.save(vec![], &keys).await.unwrap(), n);
    assert!(tagged(&store.load(NOW).await.unwrap(), tag).is_empty());
}
