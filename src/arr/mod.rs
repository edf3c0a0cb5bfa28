//! Radarr / Sonarr / Lidarr API client.
//!
//! [`ArrClient`] reads one Arr's queue and history and sends the few writes sweeparr needs
//! (queue removal with blocklisting, import-scan commands). [`wire`] holds the reply shapes
//! and folds per-episode / per-album queue records into one [`crate::model::QueueDownload`]
//! per `downloadId`. [`search`] reads what scheduled searches need (wanted lists, running
//! search commands).

pub mod client;
pub mod error;
pub mod search;
pub mod wire;

pub use client::{ArrClient, ArrStatus, RemoveOutcome};
pub use error::ArrError;
