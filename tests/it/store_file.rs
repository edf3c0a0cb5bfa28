//! The file backend: the shared store suite, plus crash, lock and corruption behaviour.

use crate::helpers;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use helpers::store_suite::{self, MakeStore, NOW, lease_req, search, tagged};
use sweeparr::model::RunStatus;
use sweeparr::state::file::{DB_FILE, FileStore};
use sweeparr::state::record::lease_pk;
use sweeparr::state::{Record, RunRecord, Store, StoreError};
use tempfile::TempDir;

/// Env var that turns the test binary into a child process (see [`child_process`]).
const CHILD_ENV: &str = "SWEEPARR_STORE_TEST_CHILD";
/// Records per save of the writer child.
const BATCH: usize = 400;

fn maker(dir: &Path) -> impl Fn() -> Box<dyn Store> + Send + Sync + use<> {
    let dir = dir.to_path_buf();
    move || Box::new(FileStore::open(&dir).unwrap()) as Box<dyn Store>
}

macro_rules! suite_tests {
    ($($check:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $check() {
            let dir = TempDir::new().unwrap();
            let make = maker(dir.path());
            store_suite::$check(&make as MakeStore).await;
        }
    )*};
}

suite_tests!(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_suite_passes_on_one_folder() {
    let dir = TempDir::new().unwrap();
    let make = maker(dir.path());
    let took = store_suite::run_all(&make as MakeStore).await;
    eprintln!("file store suite took {took:?}");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A child process, SIGKILLed when dropped (so a failing test leaves no process behind).
struct KillOnDrop(Child);

impl KillOnDrop {
    fn kill(&mut self) {
        self.0.kill().unwrap(); // SIGKILL
        self.0.wait().unwrap();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts this test binary again as a child in `mode` on `dir`, running only
/// [`child_process`] (named by its path in the test crate, e.g. `store_file::child_process`).
fn spawn_child(mode: &str, dir: &Path) -> KillOnDrop {
    let module = module_path!()
        .split_once("::")
        .map_or(module_path!(), |(_, m)| m);
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            &format!("{module}::child_process"),
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, format!("{mode}:{}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

/// Entry point of the child processes of the tests below; does nothing unless started by
/// them (it is ignored, so a plain `cargo test` never runs it).
#[tokio::test]
#[ignore = "child process of other tests"]
async fn child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (mode, dir) = spec.split_once(':').unwrap();
    let store = FileStore::open(Path::new(dir)).unwrap();
    match mode {
        "writer" => loop {
            let generation = generation_of(&store.load(0).await.unwrap()) + 1;
            let (put, delete) = writer_batch(generation);
            store.save(put.to_vec(), &delete).await.unwrap();
        },
        "lease" => {
            let run_id = format!("child-{}", std::process::id());
            store
                .acquire_lease(&lease_req("main", &run_id, now(), 600))
                .await
                .unwrap();
            store
                .save(vec![search("child", 1, now())], &[])
                .await
                .unwrap();
            println!("LEASED {run_id}");
            std::io::stdout().flush().unwrap();
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        other => panic!("unknown child mode {other}"),
    }
}

/// Save number `generation` of the writer: `BATCH` records under arr `gen<parity>` plus the run
/// record, and deletion of all `BATCH` records of the other parity.
fn writer_batch(generation: u64) -> (Vec<Record>, Vec<String>) {
    let arr = format!("gen{}", generation % 2);
    let other = format!("gen{}", (generation + 1) % 2);
    let mut put: Vec<Record> = (0..BATCH as i64)
        .map(|i| search(&arr, i, generation as i64))
        .collect();
    put.push(Record::Run(RunRecord {
        run_id: generation.to_string(),
        status: RunStatus::Ok,
        started_at: String::new(),
        actions: 0,
    }));
    let delete = (0..BATCH).map(|i| format!("search#{other}#{i}")).collect();
    (put, delete)
}

fn generation_of(records: &sweeparr::state::Records) -> u64 {
    match records.get("run#last") {
        Some(Record::Run(r)) => r.run_id.parse().unwrap(),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_writer_leaves_exactly_one_complete_save() {
    let dir = TempDir::new().unwrap();
    let mut generations = Vec::new();
    for _ in 0..8 {
        let mut child = spawn_child("writer", dir.path());
        std::thread::sleep(Duration::from_millis(80 + random_u64() % 400));
        child.kill();

        let records = FileStore::open(dir.path()).unwrap().load(0).await.unwrap();
        let generation = generation_of(&records);
        let searches: Vec<&Record> = records
            .values()
            .filter(|r| matches!(r, Record::Search(_)))
            .collect();
        if generation == 0 {
            assert!(
                searches.is_empty(),
                "no run record but {} searches",
                searches.len()
            );
            continue;
        }
        assert_eq!(searches.len(), BATCH, "generation {generation} is complete");
        let arr = format!("gen{}", generation % 2);
        for r in searches {
            let Record::Search(s) = r else { unreachable!() };
            assert_eq!(
                (s.arr.as_str(), s.searched_at),
                (arr.as_str(), generation as i64)
            );
        }
        generations.push(generation);
    }
    eprintln!("generations seen after each kill: {generations:?}");
    assert!(
        generations.last().is_some_and(|g| *g > 8),
        "the writer made progress across kills: {generations:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_dies_with_a_killed_process_and_readers_load_meanwhile() {
    let dir = TempDir::new().unwrap();
    let mut child = spawn_child("lease", dir.path());
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let child_run = loop {
        let line = lines.next().expect("child exited before leasing").unwrap();
        if let Some(run) = line.strip_prefix("LEASED ") {
            break run.to_string();
        }
    };

    let store = FileStore::open(dir.path()).unwrap();
    let records = store.load(now()).await.unwrap();
    assert_eq!(
        tagged(&records, "search#child#").len(),
        1,
        "reader sees the child's save"
    );
    match store
        .acquire_lease(&lease_req("main", "parent", now(), 600))
        .await
    {
        Err(StoreError::LeaseHeld { holder, .. }) => assert_eq!(holder, child_run),
        other => panic!("expected LeaseHeld by the child, got {other:?}"),
    }

    child.kill();
    let t = Instant::now();
    store
        .acquire_lease(&lease_req("main", "parent", now(), 600))
        .await
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "taken at once");
    match store.get(&lease_pk("main")).await.unwrap() {
        Some(Record::Lease(l)) => assert_eq!(l.holder, "parent"),
        other => panic!("expected the parent's lease record, got {other:?}"),
    }
    store.release_lease("main", "parent").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_file_store_in_one_process_is_refused_the_lease() {
    let dir = TempDir::new().unwrap();
    let a = FileStore::open(dir.path()).unwrap();
    let b = FileStore::open(dir.path()).unwrap();
    a.acquire_lease(&lease_req("x", "run-a", NOW, 60))
        .await
        .unwrap();
    // Another scope in the same folder is refused too: the OS lock is per folder.
    match b.acquire_lease(&lease_req("y", "run-b", NOW, 60)).await {
        Err(StoreError::LeaseHeld { holder, until }) => {
            assert_eq!((holder.as_str(), until), ("run-a", NOW + 60));
        }
        other => panic!("expected LeaseHeld, got {other:?}"),
    }
    drop(a);
    b.acquire_lease(&lease_req("y", "run-b", NOW, 60))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_waits_while_another_handle_has_the_database_open() {
    let dir = TempDir::new().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    store.save(vec![search("a", 1, NOW)], &[]).await.unwrap();

    let db = redb::Database::create(dir.path().join(DB_FILE)).unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(db);
    });
    let t = Instant::now();
    let records = store.load(NOW).await.unwrap();
    assert_eq!(records.len(), 1);
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "it waited for the other handle"
    );
    holder.join().unwrap();
}

/// Captures every log line of this test binary (the store logs from blocking threads, so a
/// thread-local subscriber would miss them).
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buf.clone());
    tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_record_is_skipped_with_a_warning_naming_its_key() {
    let logs = capture_logs();
    let dir = TempDir::new().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let good = search("ok", 1, NOW);
    store.save(vec![good.clone()], &[]).await.unwrap();
    {
        let db = redb::Database::create(dir.path().join(DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def = redb::TableDefinition::<&str, &[u8]>::new("records");
            let mut table = txn.open_table(def).unwrap();
            table
                .insert("torrent#main#bad", b"{not json".as_slice())
                .unwrap();
            table
                .insert("search#x#1", br#"{"kind":"spaceship"}"#.as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }

    let records = store.load(NOW).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records.get(&good.key()), Some(&good));
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("torrent#main#bad"),
        "warning names the key: {logs}"
    );
    assert!(logs.contains("search#x#1"), "warning names the key: {logs}");
    match store.get("torrent#main#bad").await {
        Err(StoreError::Corrupt { key, .. }) => assert_eq!(key, "torrent#main#bad"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_database_file_is_unavailable_naming_the_path() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::write(&path, vec![0x5a; 64 * 1024]).unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    for result in [
        store.load(NOW).await.map(|_| ()),
        store.save(vec![search("a", 1, NOW)], &[]).await.map(|_| ()),
    ] {
        match result {
            Err(StoreError::Unavailable(msg)) => {
                assert!(
                    msg.contains(&path.display().to_string()),
                    "names the path: {msg}"
                );
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
}

#[test]
fn state_path_that_is_a_file_is_unavailable() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("not-a-folder");
    std::fs::write(&path, b"x").unwrap();
    match FileStore::open(&path) {
        Err(StoreError::Unavailable(msg)) => assert!(msg.contains("not-a-folder"), "{msg}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_of_a_new_folder_is_empty_and_creates_no_database() {
    let dir = TempDir::new().unwrap();
    let store = FileStore::open(&dir.path().join("fresh")).unwrap();
    assert!(store.load(NOW).await.unwrap().is_empty());
    assert!(store.get("run#last").await.unwrap().is_none());
    assert!(
        !dir.path().join("fresh").join(DB_FILE).exists(),
        "a read writes nothing"
    );
}

#[tokio::test]
async fn expired_records_are_deleted_by_the_next_save_not_by_a_load() {
    let dir = TempDir::new().unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    let mut gone = store_suite::full_torrent("main", 1);
    gone.expires_at = Some(NOW - 1);
    let kept = store_suite::torrent("main", 2);
    store
        .save(
            vec![Record::Torrent(Box::new(gone.clone())), kept.clone()],
            &[],
        )
        .await
        .unwrap();
    let gone_key = Record::Torrent(Box::new(gone)).key();

    // A load (what a dry run does) hides it but deletes nothing.
    let loaded = store.load(NOW).await.unwrap();
    assert!(!loaded.contains_key(&gone_key));
    assert!(
        store.get(&gone_key).await.unwrap().is_some(),
        "still on disk"
    );

    // The next save drops it with the rest of its transaction.
    store.save(vec![], &[]).await.unwrap();
    assert!(store.get(&gone_key).await.unwrap().is_none(), "deleted");
    assert!(store.get(&kept.key()).await.unwrap().is_some());
}
