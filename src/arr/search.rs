//! Reads for scheduled searches: the wanted lists (with the movie-list fallback of Radarr
//! before 5.6) and the search commands an Arr is already running.
//!
//! Reads are bounded: each wanted list is read [`WANTED_PAGE_SIZE`] records at a time, at
//! most [`WANTED_MAX_PAGES`] pages, in the Arr's own order (Sonarr: least recently searched
//! first). Only monitored items are kept, whatever the server sent.

use serde::Deserialize;
use tracing::{info, warn};

use super::client::{ArrClient, last_page};
use super::error::ArrError;
use super::wire::Paged;
use crate::config::SearchConfig;
use crate::model::{ArrKind, SearchScan, WantedItem, WantedReason};

/// Records asked for per wanted page.
pub const WANTED_PAGE_SIZE: usize = 250;
/// Pages read per wanted list at most (so at most 1000 items of each list are considered).
pub const WANTED_MAX_PAGES: usize = 4;

/// A record of `wanted/missing`, `wanted/cutoff` or `movie` (Movie-, Episode- or
/// AlbumResource), the fields searches read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WantedRecord {
    /// Movie, episode or album id.
    pub id: Option<i64>,
    /// Movie, episode or album title.
    pub title: Option<String>,
    /// Monitored (for Sonarr: the episode's own flag).
    pub monitored: Option<bool>,
    /// Radarr: a file exists.
    pub has_file: Option<bool>,
    /// Radarr: released per the movie's minimum availability.
    pub is_available: Option<bool>,
    /// Radarr: release year.
    pub year: Option<i64>,
    /// Sonarr: series of the episode.
    pub series_id: Option<i64>,
    /// Sonarr: season.
    pub season_number: Option<i64>,
    /// Sonarr: episode.
    pub episode_number: Option<i64>,
    /// When the Arr last searched it (ISO-8601 UTC).
    pub last_search_time: Option<String>,
}

impl WantedRecord {
    /// The wanted item, if the record is a monitored item with an id (and, in Radarr,
    /// available).
    pub fn item(self, kind: ArrKind, reason: WantedReason) -> Option<WantedItem> {
        let id = self.id?;
        if self.monitored != Some(true) || self.is_available == Some(false) {
            return None;
        }
        let name = self.title.unwrap_or_default();
        let title = match kind {
            ArrKind::Radarr => match self.year {
                Some(y) if y > 0 => format!("{name} ({y})"),
                _ => name,
            },
            ArrKind::Sonarr => match (self.season_number, self.episode_number) {
                (Some(s), Some(e)) => format!("S{s:02}E{e:02} {name}").trim_end().to_string(),
                _ => name,
            },
            ArrKind::Lidarr => name,
        };
        let title = if title.is_empty() {
            format!("#{id}")
        } else {
            title
        };
        Some(WantedItem {
            media_id: id,
            title,
            reason,
            last_search: self.last_search_time.as_deref().and_then(epoch_of),
            season: match (kind, self.series_id, self.season_number) {
                (ArrKind::Sonarr, Some(series), Some(season)) => Some((series, season)),
                _ => None,
            },
        })
    }
}

/// One entry of `GET command`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommandEntry {
    /// Command name, e.g. `MoviesSearch`.
    pub name: Option<String>,
    /// `queued`, `started`, `completed`, ...
    pub status: Option<String>,
}

impl CommandEntry {
    /// A search command (`MoviesSearch`, `MissingEpisodeSearch`, ...) queued or running.
    pub fn is_running_search(&self) -> bool {
        let name = self.name.as_deref().unwrap_or("").to_ascii_lowercase();
        let status = self.status.as_deref().unwrap_or("").to_ascii_lowercase();
        name.ends_with("search") && matches!(status.as_str(), "queued" | "started")
    }
}

/// Epoch seconds of an ISO-8601 UTC time as the Arrs send it.
fn epoch_of(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(text.trim().trim_end_matches('Z')).ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

impl ArrClient {
    /// What the searches of `cfg` need: the running search commands, and (unless those
    /// already reach `max_running`) the monitored items of the wanted lists `cfg` names.
    /// A Radarr without `wanted/*` (before 5.6) has its missing movies taken from the movie
    /// list; its cutoff-unmet search is skipped.
    pub async fn search_scan(&self, cfg: &SearchConfig) -> Result<SearchScan, ArrError> {
        let running = self.running_searches().await?;
        let mut scan = SearchScan {
            wanted: Vec::new(),
            running,
            complete: false,
        };
        if running >= cfg.max_running || !cfg.enabled() {
            return Ok(scan);
        }
        let old_radarr = |e: &ArrError| {
            self.kind() == ArrKind::Radarr && matches!(e, ArrError::Http { status: 404, .. })
        };
        let mut has_wanted = true;
        let mut complete = true;
        if cfg.missing {
            match self.wanted(WantedReason::Missing).await {
                Ok((items, whole)) => {
                    scan.wanted.extend(items);
                    complete &= whole;
                }
                Err(e) if old_radarr(&e) => {
                    has_wanted = false;
                    info!(
                        arr = self.name(),
                        "no wanted/missing (Radarr before 5.6): missing movies taken from the movie list"
                    );
                    scan.wanted.extend(self.missing_movies().await?);
                }
                Err(e) => return Err(e),
            }
        }
        if cfg.cutoff_unmet {
            let cutoff = if has_wanted {
                self.wanted(WantedReason::CutoffUnmet).await
            } else {
                Ok((Vec::new(), false))
            };
            match cutoff {
                Ok((items, whole)) if has_wanted => {
                    scan.wanted.extend(items);
                    complete &= whole;
                }
                Err(e) if !old_radarr(&e) => return Err(e),
                _ => {
                    complete = false;
                    warn!(
                        arr = self.name(),
                        "cutoff_unmet searches skipped: this Radarr has no wanted/cutoff (before 5.6)"
                    );
                }
            }
        }
        scan.complete = complete;
        Ok(scan)
    }

    /// Search commands queued or started (`GET command`).
    pub async fn running_searches(&self) -> Result<usize, ArrError> {
        let list: Vec<CommandEntry> = self.get_json("command", &[]).await?;
        Ok(list.iter().filter(|c| c.is_running_search()).count())
    }

    /// The monitored items of `wanted/missing` or `wanted/cutoff`, bounded (see the module
    /// docs), and whether the list was read to its end.
    pub async fn wanted(&self, reason: WantedReason) -> Result<(Vec<WantedItem>, bool), ArrError> {
        let path = match reason {
            WantedReason::Missing => "wanted/missing",
            WantedReason::CutoffUnmet => "wanted/cutoff",
        };
        let mut items = Vec::new();
        let mut seen = 0;
        for page in 1..=WANTED_MAX_PAGES {
            let mut query = vec![
                ("page", page.to_string()),
                ("pageSize", WANTED_PAGE_SIZE.to_string()),
                ("monitored", "true".to_string()),
            ];
            // The least recently searched first, where the Arr can sort on it: without a
            // sort key Radarr answers in title order, so the same first pages every pass.
            let by_last_search = match self.kind() {
                ArrKind::Radarr => Some("movies.lastSearchTime"),
                ArrKind::Sonarr => Some("episodes.lastSearchTime"),
                ArrKind::Lidarr => None,
            };
            if let Some(key) = by_last_search {
                query.push(("sortKey", key.to_string()));
                query.push(("sortDirection", "ascending".to_string()));
            }
            let reply: Paged<WantedRecord> = self.get_json(path, &query).await?;
            let got = reply.records.len();
            seen += got;
            items.extend(
                reply
                    .records
                    .into_iter()
                    .filter_map(|r| r.item(self.kind(), reason)),
            );
            if last_page(got, seen, reply.total_records, WANTED_PAGE_SIZE) {
                return Ok((items, true));
            }
        }
        Ok((items, false))
    }

    /// Radarr before 5.6: monitored, available movies without a file, from `GET movie`.
    pub async fn missing_movies(&self) -> Result<Vec<WantedItem>, ArrError> {
        let movies: Vec<WantedRecord> = self.get_json("movie", &[]).await?;
        Ok(movies
            .into_iter()
            .filter(|m| m.has_file == Some(false) && m.is_available == Some(true))
            .filter_map(|m| m.item(ArrKind::Radarr, WantedReason::Missing))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> WantedRecord {
        serde_json::from_str(json).expect("record parses")
    }

    #[test]
    fn only_monitored_available_items_with_an_id_are_wanted() {
        let radarr = r#"{"id": 7, "title": "Some Movie", "year": 2020, "monitored": true,
            "hasFile": false, "isAvailable": true, "lastSearchTime": "2024-05-01T10:00:00.1234567Z"}"#;
        let item = record(radarr)
            .item(ArrKind::Radarr, WantedReason::Missing)
            .unwrap();
        assert_eq!(item.media_id, 7);
        assert_eq!(item.title, "Some Movie (2020)");
        assert_eq!(item.last_search, Some(1_714_557_600));
        for json in [
            r#"{"id": 7, "title": "x", "monitored": false}"#,
            r#"{"id": 7, "title": "x"}"#,
            r#"{"title": "x", "monitored": true}"#,
            r#"{"id": 7, "title": "x", "monitored": true, "isAvailable": false}"#,
        ] {
            assert!(
                record(json)
                    .item(ArrKind::Radarr, WantedReason::Missing)
                    .is_none(),
                "{json}"
            );
        }
    }

    #[test]
    fn titles_per_kind() {
        let ep = record(
            r#"{"id": 100, "seriesId": 5, "seasonNumber": 2, "episodeNumber": 3,
                "title": "Pilot", "monitored": true, "hasFile": false}"#,
        )
        .item(ArrKind::Sonarr, WantedReason::CutoffUnmet)
        .unwrap();
        assert_eq!(ep.title, "S02E03 Pilot");
        assert_eq!(ep.reason, WantedReason::CutoffUnmet);
        assert_eq!(ep.last_search, None);
        let album = record(r#"{"id": 30, "title": "Album", "monitored": true}"#)
            .item(ArrKind::Lidarr, WantedReason::Missing)
            .unwrap();
        assert_eq!(album.title, "Album");
        let untitled = record(r#"{"id": 31, "monitored": true}"#)
            .item(ArrKind::Lidarr, WantedReason::Missing)
            .unwrap();
        assert_eq!(untitled.title, "#31");
    }

    #[test]
    fn running_searches_are_queued_or_started_search_commands() {
        let list: Vec<CommandEntry> = serde_json::from_str(
            r#"[{"name": "MoviesSearch", "status": "started"},
                {"name": "MissingEpisodeSearch", "status": "queued"},
                {"name": "MoviesSearch", "status": "completed"},
                {"name": "RssSync", "status": "started"},
                {"name": "DownloadedMoviesScan", "status": "queued"},
                {"status": "started"}]"#,
        )
        .unwrap();
        let running: Vec<bool> = list.iter().map(CommandEntry::is_running_search).collect();
        assert_eq!(running, [true, true, false, false, false, false]);
    }
}
