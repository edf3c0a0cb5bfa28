//! qBittorrent WebUI API client.
