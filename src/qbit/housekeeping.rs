//! The calls user rules need: untag, set category, share limits, reannounce, and the
//! private flag 4.x only gives in `torrents/properties`.

use reqwest::StatusCode;
use tracing::debug;

use super::client::{QbitClient, Verb};
use super::error::QbitError;
use super::wire;

impl QbitClient {
    /// Whether a torrent is private, from `torrents/properties` (the only place 4.x says
    /// so); `None` while unknown (no metadata yet).
    pub async fn is_private(&self, hash: &str) -> Result<Option<bool>, QbitError> {
        self.get_for_hash("torrents/properties", hash, wire::parse_private)
            .await
    }

    /// Removes tags from torrents (the tags themselves stay defined). An empty list sends
    /// nothing: qBittorrent would remove every tag.
    pub async fn remove_tags(&self, hashes: &[String], tags: &[String]) -> Result<(), QbitError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tags.join(",");
        self.act("torrents/removeTags", hashes, &[("tags", &tags)])
            .await
    }

    /// Puts torrents in `category` ("" = none), creating the category first when
    /// qBittorrent does not know it (it answers 409 then).
    pub async fn set_category(&self, hashes: &[String], category: &str) -> Result<(), QbitError> {
        const ENDPOINT: &str = "torrents/setCategory";
        if hashes.is_empty() {
            return Ok(());
        }
        let joined = hashes
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("|");
        let params = [("hashes", joined.as_str()), ("category", category)];
        let (status, body) = self.request(Verb::Post, ENDPOINT, &params).await?;
        if status == StatusCode::CONFLICT {
            debug!(instance = %self.instance, category, "category missing; creating it");
            self.create_category(category).await?;
            let (status, body) = self.request(Verb::Post, ENDPOINT, &params).await?;
            return self.expect_success(ENDPOINT, status, &body);
        }
        self.expect_success(ENDPOINT, status, &body)
    }

    /// Sets the share limits of torrents: `ratio` (-2 global, -1 none), seeding and
    /// inactive seeding time in minutes (-2 global, -1 none). Every parameter any release
    /// requires is sent (`inactiveSeedingTimeLimit` from 4.6, `shareLimitAction` from 5.2,
    /// `shareLimitsMode` from 5.3, as `Default`); older releases ignore the ones they do not
    /// know.
    pub async fn set_share_limits(
        &self,
        hashes: &[String],
        ratio: f64,
        seeding_minutes: i64,
        inactive_minutes: i64,
    ) -> Result<(), QbitError> {
        let (ratio, seeding, inactive) = (
            ratio.to_string(),
            seeding_minutes.to_string(),
            inactive_minutes.to_string(),
        );
        self.act(
            "torrents/setShareLimits",
            hashes,
            &[
                ("ratioLimit", &ratio),
                ("seedingTimeLimit", &seeding),
                ("inactiveSeedingTimeLimit", &inactive),
                ("shareLimitAction", "Default"),
                // Required from WebAPI 2.16 (qBittorrent 5.3): how the limits combine;
                // `Default` keeps the global setting.
                ("shareLimitsMode", "Default"),
            ],
        )
        .await
    }

    /// Asks qBittorrent to announce torrents to their trackers now.
    pub async fn reannounce(&self, hashes: &[String]) -> Result<(), QbitError> {
        self.act("torrents/reannounce", hashes, &[]).await
    }
}
