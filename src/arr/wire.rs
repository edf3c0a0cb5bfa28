//! Reply bodies of the Arr API as they arrive on the wire, and their folding into
//! [`QueueDownload`]s.
//!
//! Every field is optional: the Arrs omit null properties, and field sets differ between
//! Radarr, Sonarr, Lidarr and their versions. Enum strings are kept as sent and lower-cased
//! when folded (Lidarr and older builds send PascalCase `status`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{ArrKind, QueueDownload, TrackedState};

/// `GET system/status` (SystemResource), the fields sweeparr reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemStatus {
    /// "Radarr", "Sonarr", "Lidarr".
    pub app_name: Option<String>,
    /// Instance name set by the user.
    pub instance_name: Option<String>,
    /// e.g. "5.14.0.9383".
    pub version: Option<String>,
    /// URL base configured in the Arr ("" or "/radarr").
    pub url_base: Option<String>,
}

/// One record of `GET health` (HealthResource): a problem the Arr reports about itself.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthRecord {
    /// The check that reported it, e.g. `DownloadClientCheck`.
    pub source: Option<String>,
    /// `ok`, `notice`, `warning`, `error` (or their integer values).
    #[serde(rename = "type")]
    pub kind: Option<Value>,
    /// What the Arr says, for people.
    pub message: Option<String>,
}

/// Health checks whose problem means the Arr may not see its downloads: its queue can then
/// lack torrents it owns (it drops every download of a client it cannot reach).
pub const DOWNLOAD_CLIENT_CHECKS: &[&str] = &[
    "DownloadClientCheck",
    "DownloadClientStatusCheck",
    "DownloadClientRootFolderCheck",
    "DownloadClientRemovesCompletedDownloadsCheck",
    "DownloadClientSortingCheck",
    "ImportMechanismCheck",
    "RemotePathMappingCheck",
];

impl HealthRecord {
    /// True for a warning or error of a download-client check (see
    /// [`DOWNLOAD_CLIENT_CHECKS`]); notices and other checks do not count.
    pub fn is_download_client_problem(&self) -> bool {
        let serious = match &self.kind {
            Some(Value::String(k)) => {
                matches!(k.to_ascii_lowercase().as_str(), "warning" | "error")
            }
            // HealthCheckResult: ok 0, notice 1, warning 2, error 3.
            Some(Value::Number(n)) => matches!(n.as_i64(), Some(2 | 3)),
            _ => false,
        };
        serious
            && self.source.as_deref().is_some_and(|s| {
                DOWNLOAD_CLIENT_CHECKS
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(s))
            })
    }
}

/// A paged reply: `{page, pageSize, sortKey, sortDirection, totalRecords, records}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// 1-based page number.
    pub page: Option<i64>,
    /// Records per page as the server applied it.
    pub page_size: Option<i64>,
    /// Records over all pages.
    pub total_records: Option<i64>,
    /// This page's records.
    #[serde(default = "Vec::new")]
    pub records: Vec<T>,
}

/// One `statusMessages[]` entry (TrackedDownloadStatusMessage).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusMessage {
    /// Usually the release or file name.
    pub title: Option<String>,
    /// Reasons.
    #[serde(default)]
    pub messages: Option<Vec<String>>,
}

/// One queue record (QueueResource). Sonarr sends one per episode, Lidarr one per album.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRecord {
    /// Synthetic record id, used to delete the item.
    pub id: Option<i64>,
    /// Download client id; upper-case info-hash for qBittorrent. Absent for pending items.
    pub download_id: Option<String>,
    /// Release title.
    pub title: Option<String>,
    /// Client-side status, camelCase enum or PascalCase string.
    pub status: Option<String>,
    /// `ok` | `warning` | `error`.
    pub tracked_download_status: Option<String>,
    /// `downloading`, `importBlocked`, `importPending`, `imported`, ...
    pub tracked_download_state: Option<String>,
    /// Reasons for warnings / blocked imports.
    pub status_messages: Option<Vec<StatusMessage>>,
    /// Client error text.
    pub error_message: Option<String>,
    /// `torrent` | `usenet` | `unknown`.
    pub protocol: Option<String>,
    /// Name of the download client as configured in the Arr.
    pub download_client: Option<String>,
    /// Content path after remote path mapping.
    pub output_path: Option<String>,
    /// Bytes (sent as a JSON number that may carry a fraction).
    pub size: Option<f64>,
    /// Bytes left; current builds spell it `sizeleft`.
    pub sizeleft: Option<f64>,
    /// Bytes left; the announced future spelling.
    #[serde(rename = "sizeLeft")]
    pub size_left: Option<f64>,
    /// .NET TimeSpan text; current builds spell it `timeleft`.
    pub timeleft: Option<String>,
    /// The announced future spelling of `timeleft`.
    #[serde(rename = "timeLeft")]
    pub time_left: Option<String>,
    /// Radarr.
    pub movie_id: Option<i64>,
    /// Sonarr.
    pub series_id: Option<i64>,
    /// Sonarr.
    pub episode_id: Option<i64>,
    /// Sonarr.
    pub season_number: Option<i64>,
    /// Lidarr.
    pub artist_id: Option<i64>,
    /// Lidarr.
    pub album_id: Option<i64>,
}

impl QueueRecord {
    /// Bytes left, whichever spelling was sent.
    pub fn bytes_left(&self) -> Option<f64> {
        self.sizeleft.or(self.size_left)
    }

    /// Time left, whichever spelling was sent.
    pub fn time_remaining(&self) -> Option<&str> {
        self.timeleft.as_deref().or(self.time_left.as_deref())
    }
}

/// One history record (HistoryResource), the fields sweeparr reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRecord {
    /// History record id.
    pub id: Option<i64>,
    /// Download client id.
    pub download_id: Option<String>,
    /// camelCase event name (older builds may send the integer value).
    pub event_type: Option<Value>,
    /// Release or file title.
    pub source_title: Option<String>,
    /// ISO-8601 UTC.
    pub date: Option<String>,
}

impl HistoryRecord {
    /// True when this record is an import of a whole download for an Arr of `kind`. Lidarr's
    /// `trackFileImported` is written per track, also for an album imported only in part:
    /// only its `downloadImported` counts.
    pub fn is_import(&self, kind: ArrKind) -> bool {
        match &self.event_type {
            Some(Value::String(name)) => {
                let name = name.to_ascii_lowercase();
                match kind {
                    ArrKind::Radarr | ArrKind::Sonarr => name == "downloadfolderimported",
                    ArrKind::Lidarr => name == "downloadimported",
                }
            }
            // Integer values: 3 is downloadFolderImported (Radarr, Sonarr) or
            // trackFileImported (Lidarr); 8 is Lidarr's downloadImported.
            Some(Value::Number(n)) => matches!(
                (kind, n.as_i64()),
                (ArrKind::Radarr | ArrKind::Sonarr, Some(3)) | (ArrKind::Lidarr, Some(8))
            ),
            _ => false,
        }
    }

    /// True when this record is the grab of a release (`grabbed`, 1 in every Arr).
    pub fn is_grab(&self) -> bool {
        self.is_event("grabbed", 1)
    }

    /// True when this record is a failed download (`downloadFailed`, 4 in every Arr).
    pub fn is_failure(&self) -> bool {
        self.is_event("downloadFailed", 4)
    }

    fn is_event(&self, name: &str, value: i64) -> bool {
        match &self.event_type {
            Some(Value::String(n)) => n.eq_ignore_ascii_case(name),
            Some(Value::Number(n)) => n.as_i64() == Some(value),
            _ => false,
        }
    }
}

/// The reply to `POST command` / `GET command/{id}` (CommandResource), the fields read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandReply {
    /// Command id, for polling.
    pub id: Option<i64>,
    /// Command name, e.g. "DownloadedMoviesScan".
    pub name: Option<String>,
    /// `queued`, `started`, `completed`, `failed`, ...
    pub status: Option<String>,
    /// `unknown`, `successful`, `unsuccessful`.
    pub result: Option<String>,
    /// Progress or failure text.
    pub message: Option<String>,
}

/// Folds queue records into downloads keyed by upper-case `downloadId`, one record at a
/// time (records are dropped once folded: only what a decision needs is kept).
///
/// Records without a download id (pending / delayed releases) are skipped. Record ids are
/// kept in arrival order without duplicates; the first record of a download gives its title
/// and states; messages of all records are collected without repeats.
#[derive(Debug, Default)]
pub struct QueueFold {
    out: BTreeMap<String, QueueDownload>,
}

impl QueueFold {
    /// Adds one record.
    pub fn add(&mut self, record: QueueRecord) {
        let Some(download_id) = record.download_id.as_deref().map(str::trim) else {
            return;
        };
        if download_id.is_empty() {
            return;
        }
        let key = download_id.to_ascii_uppercase();
        let entry = self
            .out
            .entry(key.clone())
            .or_insert_with(|| QueueDownload {
                download_id: key,
                ..QueueDownload::default()
            });
        if let Some(id) = record.id
            && !entry.record_ids.contains(&id)
        {
            entry.record_ids.push(id);
        }
        fill_lower(&mut entry.status, record.status.as_deref());
        if entry.tracked_state == TrackedState::Unknown
            && let Some(sent) = record.tracked_download_state.as_deref()
        {
            entry.tracked_state = TrackedState::from_wire(sent);
        }
        fill_lower(
            &mut entry.tracked_status,
            record.tracked_download_status.as_deref(),
        );
        if entry.title.is_empty()
            && let Some(title) = record.title
        {
            entry.title = title;
        }
        let texts = record
            .status_messages
            .into_iter()
            .flatten()
            .flat_map(|m| m.title.into_iter().chain(m.messages.into_iter().flatten()))
            .chain(record.error_message);
        for text in texts {
            if !text.trim().is_empty() && !entry.messages.contains(&text) {
                entry.messages.push(text);
            }
        }
    }

    /// The downloads folded so far.
    pub fn finish(self) -> BTreeMap<String, QueueDownload> {
        self.out
    }
}

/// Reads a `GET queue/details` reply (one JSON array of queue records) as it arrives and
/// folds each record as soon as it is complete ([`QueueReader::feed`], then
/// [`QueueReader::finish`]); the reply is never held whole.
#[derive(Debug, Default)]
pub struct QueueReader {
    array: crate::json_stream::ArrayReader,
    fold: QueueFold,
}

impl QueueReader {
    /// Takes the next piece of the reply. An error is final.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), String> {
        let fold = &mut self.fold;
        self.array
            .feed(piece, |bytes, n| fold_record(fold, bytes, n))
    }

    /// The downloads, once the whole reply has been fed.
    pub fn finish(self) -> Result<BTreeMap<String, QueueDownload>, String> {
        let mut fold = self.fold;
        self.array
            .finish(|bytes, n| fold_record(&mut fold, bytes, n))?;
        Ok(fold.finish())
    }
}

fn fold_record(fold: &mut QueueFold, bytes: &[u8], n: usize) -> Result<(), String> {
    let record: QueueRecord =
        serde_json::from_slice(bytes).map_err(|e| format!("record {n} of the queue: {e}"))?;
    fold.add(record);
    Ok(())
}

/// Parses a `GET queue/details` reply held whole (see [`QueueReader`]).
pub fn parse_queue(body: &[u8]) -> Result<BTreeMap<String, QueueDownload>, String> {
    let mut reader = QueueReader::default();
    reader.feed(body)?;
    reader.finish()
}

/// Folds a list of queue records at once (see [`QueueFold`]).
pub fn group_queue(records: Vec<QueueRecord>) -> BTreeMap<String, QueueDownload> {
    let mut fold = QueueFold::default();
    for record in records {
        fold.add(record);
    }
    fold.finish()
}

/// Sets `slot` to the lower-cased `value` unless it already holds something.
fn fill_lower(slot: &mut String, value: Option<&str>) {
    if slot.is_empty()
        && let Some(v) = value
    {
        *slot = v.trim().to_ascii_lowercase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Paged<QueueRecord> {
        serde_json::from_str(json).expect("queue page parses")
    }

    /// A Radarr 5.x reply: camelCase enums, nulls omitted, `sizeleft`/`timeleft`.
    const RADARR_PAGE: &str = r#"{
      "page": 1, "pageSize": 500, "sortKey": "timeleft", "sortDirection": "ascending",
      "totalRecords": 2,
      "records": [
        {"movieId": 12, "languages": [{"id": 1, "name": "English"}],
         "quality": {"quality": {"id": 7, "name": "Bluray-1080p", "source": "bluray", "resolution": 1080},
                     "revision": {"version": 1, "real": 0, "isRepack": false}},
         "customFormats": [], "customFormatScore": 0, "size": 8589934592.0,
         "title": "Some.Movie.2020.1080p.BluRay.x264-GRP",
         "added": "2024-05-01T10:00:00Z", "status": "completed",
         "trackedDownloadStatus": "warning", "trackedDownloadState": "importBlocked",
         "statusMessages": [{"title": "Some.Movie.2020.1080p.BluRay.x264-GRP.mkv",
                             "messages": ["No files found are eligible for import"]}],
         "downloadId": "ABCDEF0123456789ABCDEF0123456789ABCDEF01",
         "protocol": "torrent", "downloadClient": "qBittorrent",
         "downloadClientHasPostImportCategory": false, "indexer": "Tracker",
         "outputPath": "/downloads/radarr/Some.Movie.2020", "sizeleft": 0, "timeleft": "00:00:00",
         "id": 1730185472},
        {"movieId": 13, "size": 0, "title": "Pending.Movie.2021", "status": "delay",
         "trackedDownloadStatus": "ok", "trackedDownloadState": "downloading",
         "statusMessages": [], "protocol": "torrent", "id": 77}
      ]
    }"#;

    #[test]
    fn radarr_record_parses_and_pending_item_without_download_id_is_skipped() {
        let page = page(RADARR_PAGE);
        assert_eq!(page.total_records, Some(2));
        assert_eq!(page.records[0].bytes_left(), Some(0.0));
        assert_eq!(page.records[0].time_remaining(), Some("00:00:00"));
        assert_eq!(page.records[0].movie_id, Some(12));
        assert!(page.records[1].download_id.is_none());
        let queue = group_queue(page.records);
        assert_eq!(queue.len(), 1);
        let d = &queue["ABCDEF0123456789ABCDEF0123456789ABCDEF01"];
        assert_eq!(d.record_ids, vec![1730185472]);
        assert_eq!(d.status, "completed");
        assert_eq!(d.tracked_state, TrackedState::ImportBlocked);
        assert_eq!(d.tracked_status, "warning");
        assert_eq!(
            d.messages,
            vec![
                "Some.Movie.2020.1080p.BluRay.x264-GRP.mkv".to_string(),
                "No files found are eligible for import".to_string()
            ]
        );
        assert!(d.import_problem());
    }

    #[test]
    fn sonarr_episode_records_sharing_a_download_id_become_one_download() {
        let records: Vec<QueueRecord> = (0..3)
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "seriesId": 5, "episodeId": 100 + i, "seasonNumber": 2,
                    "title": "Show.S02.1080p.WEB.h264-GRP", "status": "downloading",
                    "trackedDownloadStatus": "ok", "trackedDownloadState": "downloading",
                    "statusMessages": [], "episodeHasFile": false,
                    "downloadId": "1111111111111111111111111111111111111111",
                    "protocol": "torrent", "size": 4.0e9, "sizeleft": 1.5e9,
                    "timeleft": "1.02:03:04", "id": 9000 + i
                }))
                .unwrap()
            })
            .collect();
        assert_eq!(records[1].season_number, Some(2));
        let queue = group_queue(records);
        assert_eq!(queue.len(), 1);
        let d = &queue["1111111111111111111111111111111111111111"];
        assert_eq!(d.record_ids, vec![9000, 9001, 9002]);
        assert_eq!(d.title, "Show.S02.1080p.WEB.h264-GRP");
        assert!(d.messages.is_empty());
    }

    #[test]
    fn lidarr_per_album_records_with_pascal_case_status_are_lower_cased() {
        let json = r#"{"page":1,"pageSize":500,"sortKey":"timeleft","sortDirection":"ascending",
          "totalRecords":2,"records":[
          {"artistId":3,"albumId":30,"title":"Artist - Discography (2001-2010) FLAC",
           "status":"Warning","trackedDownloadStatus":"Warning",
           "trackedDownloadState":"importFailed",
           "statusMessages":[{"title":"01 - Track.flac","messages":["Album match is not close enough"]}],
           "errorMessage":"Import failed","downloadId":"abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
           "protocol":"torrent","trackFileCount":0,"trackHasFileCount":0,"downloadForced":false,
           "sizeLeft":0,"id":41},
          {"artistId":3,"albumId":31,"title":"Artist - Discography (2001-2010) FLAC",
           "status":"Warning","trackedDownloadStatus":"Warning",
           "trackedDownloadState":"importFailed",
           "statusMessages":[{"title":"01 - Track.flac","messages":["Album match is not close enough"]}],
           "errorMessage":"Import failed","downloadId":"ABCDABCDABCDABCDABCDABCDABCDABCDABCDABCD",
           "protocol":"torrent","id":42}]}"#;
        let page = page(json);
        assert_eq!(page.records[0].bytes_left(), Some(0.0));
        let queue = group_queue(page.records);
        let d = &queue["ABCDABCDABCDABCDABCDABCDABCDABCDABCDABCD"];
        assert_eq!(d.record_ids, vec![41, 42]);
        assert_eq!(d.status, "warning");
        assert_eq!(d.tracked_state, TrackedState::ImportFailed);
        assert_eq!(d.tracked_status, "warning");
        assert_eq!(
            d.messages,
            vec![
                "01 - Track.flac",
                "Album match is not close enough",
                "Import failed"
            ]
        );
    }

    #[test]
    fn record_with_every_null_omitted_parses() {
        let page = page(r#"{"records":[{"id":5},{}]}"#);
        assert_eq!(page.records.len(), 2);
        assert!(page.total_records.is_none());
        assert!(group_queue(page.records).is_empty());
        let empty = page_of_nothing();
        assert!(empty.records.is_empty());
    }

    fn page_of_nothing() -> Paged<QueueRecord> {
        page(r#"{"page":1,"pageSize":500,"totalRecords":0}"#)
    }

    #[test]
    fn system_status_reads_app_name_and_version() {
        let s: SystemStatus = serde_json::from_str(
            r#"{"appName":"Sonarr","instanceName":"Sonarr","version":"4.0.10.2544",
                "buildTime":"2024-09-01T00:00:00Z","isDebug":false,"isProduction":true,
                "urlBase":"/sonarr","sqliteVersion":"3.44.2","branch":"main"}"#,
        )
        .unwrap();
        assert_eq!(s.app_name.as_deref(), Some("Sonarr"));
        assert_eq!(s.version.as_deref(), Some("4.0.10.2544"));
        assert_eq!(s.url_base.as_deref(), Some("/sonarr"));
    }

    #[test]
    fn only_download_client_warnings_and_errors_count_as_problems() {
        let rec = |source: &str, kind: Value| HealthRecord {
            source: Some(source.into()),
            kind: Some(kind),
            message: Some("m".into()),
        };
        assert!(rec("DownloadClientCheck", Value::from("error")).is_download_client_problem());
        assert!(
            rec("DownloadClientStatusCheck", Value::from("warning")).is_download_client_problem()
        );
        assert!(rec("RemotePathMappingCheck", Value::from(2)).is_download_client_problem());
        assert!(!rec("DownloadClientCheck", Value::from("notice")).is_download_client_problem());
        assert!(!rec("UpdateCheck", Value::from("error")).is_download_client_problem());
        assert!(!rec("IndexerStatusCheck", Value::from("warning")).is_download_client_problem());
        let list: Vec<HealthRecord> = serde_json::from_str(
            r#"[{"id":1,"source":"DownloadClientStatusCheck","type":"error","message":"All download clients are unavailable","wikiUrl":"https://wiki.servarr.com/x"},{"source":"IndexerRssCheck","type":"warning"}]"#,
        )
        .unwrap();
        assert_eq!(
            list.iter()
                .filter(|r| r.is_download_client_problem())
                .count(),
            1
        );
    }

    #[test]
    fn import_events_are_recognised_per_kind() {
        let rec = |event: Value| HistoryRecord {
            event_type: Some(event),
            ..HistoryRecord::default()
        };
        let folder = rec(Value::from("downloadFolderImported"));
        assert!(folder.is_import(ArrKind::Radarr));
        assert!(folder.is_import(ArrKind::Sonarr));
        assert!(!folder.is_import(ArrKind::Lidarr));
        assert!(rec(Value::from("DownloadImported")).is_import(ArrKind::Lidarr));
        // Lidarr writes one per track, also when the album is imported only in part.
        assert!(!rec(Value::from("trackFileImported")).is_import(ArrKind::Lidarr));
        assert!(!rec(Value::from(3)).is_import(ArrKind::Lidarr));
        assert!(!rec(Value::from("grabbed")).is_import(ArrKind::Radarr));
        assert!(!rec(Value::from("downloadFailed")).is_import(ArrKind::Lidarr));
        assert!(rec(Value::from(3)).is_import(ArrKind::Radarr));
        assert!(rec(Value::from(8)).is_import(ArrKind::Lidarr));
        assert!(!rec(Value::from(1)).is_import(ArrKind::Sonarr));
        assert!(!HistoryRecord::default().is_import(ArrKind::Radarr));
    }

    #[test]
    fn history_page_parses_realistic_records() {
        let page: Paged<HistoryRecord> = serde_json::from_str(
            r#"{"page":1,"pageSize":100,"sortKey":"date","sortDirection":"descending",
                "totalRecords":2,"records":[
                {"episodeId":100,"seriesId":5,"sourceTitle":"Show.S02E01.mkv",
                 "quality":{"quality":{"id":3,"name":"WEBDL-1080p"}},"qualityCutoffNotMet":false,
                 "date":"2024-05-02T10:00:00Z","downloadId":"1111111111111111111111111111111111111111",
                 "eventType":"downloadFolderImported",
                 "data":{"droppedPath":"/downloads/x.mkv","importedPath":"/tv/x.mkv"},"id":501},
                {"episodeId":100,"seriesId":5,"sourceTitle":"Show.S02.1080p.WEB.h264-GRP",
                 "date":"2024-05-01T10:00:00Z","downloadId":"1111111111111111111111111111111111111111",
                 "eventType":"grabbed","data":{"indexer":"Tracker","torrentInfoHash":"1111"},"id":400}]}"#,
        )
        .unwrap();
        assert_eq!(page.records.len(), 2);
        assert!(page.records[0].is_import(ArrKind::Sonarr));
        assert!(!page.records[1].is_import(ArrKind::Sonarr));
    }

    #[test]
    fn command_reply_parses() {
        let c: CommandReply = serde_json::from_str(
            r#"{"name":"DownloadedMoviesScan","commandName":"Downloaded Movies Scan",
                "body":{"path":"/downloads/x","downloadClientId":"ABC","importMode":"auto",
                        "sendUpdatesToClient":false,"updateScheduledTask":true},
                "priority":"normal","status":"queued","result":"unknown",
                "queued":"2024-05-01T10:00:00Z","trigger":"manual","id":1234}"#,
        )
        .unwrap();
        assert_eq!(c.id, Some(1234));
        assert_eq!(c.status.as_deref(), Some("queued"));
    }
}
