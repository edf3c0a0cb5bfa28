//! qBittorrent WebUI API client.
//!
//! [`QbitClient`] talks to one instance for one pass: cookie-session login, the read calls a
//! scan needs (`torrents/info`, categories, trackers, files) and the actions a plan needs
//! (delete, recheck, tags, categories, stop/start); `housekeeping` adds the calls of user
//! rules (untag, set category, share limits, reannounce, private flag). [`wire`] holds the JSON
//! shapes and turns them into [`crate::model`] types (public for the fuzz targets and the
//! hostile-input tests); [`QbitError`] says what failed and where.

mod client;
mod error;
mod housekeeping;
pub mod maindata;
pub mod wire;

pub use client::{Auth, QbitClient, ServerInfo};
pub use error::QbitError;
pub use maindata::MainData;
