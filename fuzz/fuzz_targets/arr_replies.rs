//! Every Arr reply shape sweeparr reads, on arbitrary bytes: never panics; a queue folds into
//! downloads keyed by their upper-case, non-empty `downloadId`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sweeparr::arr::search::{CommandEntry, WantedRecord};
use sweeparr::arr::wire::{
    CommandReply, HistoryRecord, Paged, QueueRecord, SystemStatus, group_queue, parse_queue,
};
use sweeparr::model::{ArrKind, WantedReason};

const KINDS: [ArrKind; 3] = [ArrKind::Radarr, ArrKind::Sonarr, ArrKind::Lidarr];

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = serde_json::from_slice::<Paged<QueueRecord>>(data) {
        for (id, d) in group_queue(page.records) {
            assert!(!id.is_empty() && id == id.to_ascii_uppercase() && id == d.download_id);
            let _ = (d.import_problem(), d.imported_or_importing());
        }
    }
    if let Ok(queue) = parse_queue(data) {
        for (id, d) in queue {
            assert!(!id.is_empty() && id == id.to_ascii_uppercase() && id == d.download_id);
        }
    }
    if let Ok(page) = serde_json::from_slice::<Paged<HistoryRecord>>(data) {
        for r in &page.records {
            for kind in KINDS {
                let _ = r.is_import(kind);
            }
        }
    }
    if let Ok(page) = serde_json::from_slice::<Paged<WantedRecord>>(data) {
        for r in page.records {
            for kind in KINDS {
                let _ = r.clone().item(kind, WantedReason::Missing);
            }
        }
    }
    if let Ok(list) = serde_json::from_slice::<Vec<CommandEntry>>(data) {
        let _ = list.iter().filter(|c| c.is_running_search()).count();
    }
    let _ = serde_json::from_slice::<SystemStatus>(data);
    let _ = serde_json::from_slice::<CommandReply>(data);
});
