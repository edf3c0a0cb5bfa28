//! Radarr / Sonarr / Lidarr API client.
