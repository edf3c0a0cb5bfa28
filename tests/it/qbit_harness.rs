//! The test harness can put a real qBittorrent into every state later tests rely on:
//! complete and seeding, stalled with data absent, multi-file, and unregistered at its tracker.

use crate::helpers;

use std::time::Duration;

use helpers::qbit::{QbitServer, make_torrent};
use helpers::tracker::{FakeTracker, UNREGISTERED};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn harness_produces_complete_stalled_multi_file_and_unregistered_torrents() {
    let qbit = QbitServer::start().await;
    let tracker = FakeTracker::start().await;
    let save = qbit.save_dir();
    let url = tracker.announce_url();

    // Complete: data present in the save dir -> checked -> seeding.
    let (complete, complete_hash) =
        make_torrent(&save, "complete.mkv", &[("x", 100_000)], &url, false);
    assert_eq!(
        qbit.add_torrent_file(&complete, "radarr", &["t1"], false)
            .await,
        complete_hash
    );
    let info = qbit
        .wait_for_state(&complete_hash, &["stalledUP", "uploading"], WAIT)
        .await;
    assert_eq!(info["amount_left"], 0);
    assert_eq!(info["progress"], 1);
    assert_eq!(info["category"], "radarr");
    assert_eq!(qbit.tags_of(&complete_hash).await, vec!["t1"]);

    // Stalled: data deleted before adding -> nothing to download from -> stalledDL.
    let scratch = qbit.scratch_dir();
    let (stalled, stalled_hash) =
        make_torrent(&scratch, "stalled.mkv", &[("x", 70_000)], &url, true);
    std::fs::remove_file(scratch.join("stalled.mkv")).unwrap();
    qbit.add_torrent_file(&stalled, "sonarr", &[], false).await;
    let info = qbit
        .wait_for_state(&stalled_hash, &["stalledDL"], WAIT)
        .await;
    assert_eq!(info["amount_left"], 70_000);

    // Multi-file, complete.
    let (multi, multi_hash) = make_torrent(
        &save,
        "Show.S01",
        &[
            ("e01.mkv", 40_000),
            ("sub/e01.srt", 1_000),
            ("e02.mkv", 50_000),
        ],
        &url,
        false,
    );
    qbit.add_torrent_file(&multi, "sonarr", &[], false).await;
    let info = qbit
        .wait_for_state(&multi_hash, &["stalledUP", "uploading"], WAIT)
        .await;
    assert_eq!(info["size"], 91_000);
    let files = qbit
        .get_json("torrents/files", &[("hash", &multi_hash)])
        .await;
    assert_eq!(files.as_array().unwrap().len(), 3);

    // Unregistered: the tracker answers with a failure reason -> status 4 with that message.
    let (unreg, unreg_hash) = make_torrent(&save, "gone.mkv", &[("x", 10_000)], &url, true);
    tracker.set_unregistered(&unreg_hash);
    qbit.add_torrent_file(&unreg, "radarr", &[], false).await;
    qbit.wait_tracker_failed(&unreg_hash, Some(UNREGISTERED), WAIT)
        .await;
    assert!(tracker.announced_hashes().contains(&unreg_hash));

    // A working tracker: the complete torrent announced and shows status 2.
    // (Its first announce may still be in flight: status 1, "updating".)
    qbit.wait_tracker_working(&complete_hash, Some(url.as_str()), WAIT)
        .await;
}
