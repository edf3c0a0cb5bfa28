//! The plan: what one pass intends to do, each action with its reason.

use crate::config::ImportMode;
pub use crate::model::ActionKind;

/// Exactly what to send, and where.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `DELETE <arr>/queue/{queue_id}?removeFromClient=..&blocklist=true&skipRedownload=..`
    ArrRemove {
        /// Arr name.
        arr: String,
        /// First queue record id of the download.
        queue_id: i64,
        /// `skipRedownload` (= not `research`).
        skip_redownload: bool,
        /// What becomes of the torrent in qBittorrent.
        client: ClientSide,
    },
    /// `torrents/delete` on the instance.
    ClientDelete {
        /// `deleteFiles`
        delete_files: bool,
    },
    /// `POST <arr>/command` with the import-scan command.
    ImportScan {
        /// Arr name.
        arr: String,
        /// Content path as the Arr sees it (after `path_map`).
        path: String,
        /// Upper-case hash.
        download_id: String,
        /// `importMode`
        import_mode: ImportMode,
    },
    /// `torrents/recheck`
    Recheck,
    /// Nothing is sent: the action only reports (always skipped).
    Report,
    /// `torrents/addTags`
    AddTags {
        /// Tags to add.
        tags: Vec<String>,
    },
    /// `torrents/createCategory`
    CreateCategory {
        /// Category name.
        category: String,
    },
    /// `torrents/removeTags`
    RemoveTags {
        /// Tags to remove (never empty: an empty list would remove every tag).
        tags: Vec<String>,
    },
    /// `torrents/setCategory`, creating the category first when missing.
    SetCategory {
        /// Category name.
        category: String,
    },
    /// `torrents/stop` (5.x) / `torrents/pause` (4.x)
    Stop,
    /// `torrents/start` (5.x) / `torrents/resume` (4.x)
    Start,
    /// `torrents/setShareLimits`
    SetShareLimits {
        /// `ratioLimit`: -2 global, -1 none.
        ratio: f64,
        /// `seedingTimeLimit` in minutes: -2 global, -1 none.
        seeding_minutes: i64,
        /// `inactiveSeedingTimeLimit` in minutes: -2 global, -1 none.
        inactive_minutes: i64,
    },
    /// `torrents/reannounce`
    Reannounce,
    /// `POST <arr>/history/failed/{history_id}` (blocklist, search per the Arr's settings),
    /// then the torrent is deleted from qBittorrent or kept, as `client` says.
    MarkFailed {
        /// Arr name.
        arr: String,
        /// Id of the download's `grabbed` history record.
        history_id: i64,
        /// What becomes of the torrent in qBittorrent (`ArrRemoves`: sweeparr deletes it
        /// with its files, since a marked grab leaves the client alone).
        client: ClientSide,
    },
    /// `torrents/recheck`, then `torrents/setCategory` (a torrent moved into
    /// `recheck_category` goes back to its Arr's).
    RecheckInto {
        /// The category it goes back to.
        category: String,
    },
    /// `torrents/addTrackers`, then `torrents/removeTrackers`, of one torrent.
    EditTrackers {
        /// URLs to add.
        add: Vec<String>,
        /// URLs to remove.
        remove: Vec<String>,
    },
    /// `torrents/setUploadLimit` and / or `torrents/setDownloadLimit`.
    SetLimits {
        /// Upload limit in bytes/s (0 = none); `None` = unchanged.
        up: Option<u64>,
        /// Download limit in bytes/s (0 = none); `None` = unchanged.
        down: Option<u64>,
    },
    /// A file moved (renamed) into the recycle folder.
    Recycle {
        /// Where it is.
        from: std::path::PathBuf,
        /// Where it goes.
        to: std::path::PathBuf,
    },
    /// A dated recycle folder deleted with everything in it.
    Purge {
        /// The folder.
        path: std::path::PathBuf,
    },
    /// `torrents/filePrio` of one torrent.
    FilePriority {
        /// Indexes of the files in `torrents/files`.
        ids: Vec<usize>,
        /// 0 = do not download.
        priority: u8,
    },
    /// Stop, then `torrents/addTags` with `tag`.
    StopTagged {
        /// The tag marking who stopped it.
        tag: String,
    },
    /// Start, then `torrents/removeTags` with `tag`.
    StartUntagged {
        /// The tag to remove.
        tag: String,
    },
    /// `POST <arr>/command` with a search command (scheduled searches).
    ArrCommand {
        /// Arr name.
        arr: String,
        /// Command body, including `name`.
        body: serde_json::Value,
    },
}

/// What a fail through the Arr leaves in qBittorrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSide {
    /// `removeFromClient=true`: the Arr removes the torrent and its data.
    ArrRemoves,
    /// `removeFromClient=false`, then the torrent is tagged `sweeparr-failed` and kept with
    /// its data (a private torrent under `private = "keep"`).
    KeepTagged,
    /// `removeFromClient=false`, then the torrent is removed without its files (another
    /// torrent on the instance uses them).
    RemoveKeepFiles,
}

/// One planned action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Kind.
    pub kind: ActionKind,
    /// Instance holding the torrent (or being changed).
    pub instance: String,
    /// Lower-case hash; `None` for instance-wide actions.
    pub hash: Option<String>,
    /// Torrent name (or category name).
    pub name: String,
    /// Arr concerned, if any.
    pub arr: Option<String>,
    /// Why, with measured value and limit ("stalled 45m > 30m").
    pub reason: String,
    /// What to send.
    pub op: Op,
    /// Set when the plan keeps the action but will not send it (circuit open, Arr down...).
    pub skip: Option<SkipReason>,
}

/// Why an action is kept in the plan (and the summary) but not sent. Its text is the
/// summary's `error` for a `skipped` action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The deletion circuit breaker opened: more deletions planned than `max_deletions`.
    CircuitOpen {
        /// Deletions the plan would have sent.
        planned: usize,
        /// `max_deletions`.
        max: usize,
    },
    /// The pass's deadline came before the action was sent.
    DeadlineReached,
    /// A direct deletion waits for the Arr's health check, read once the plan asks for it.
    HealthNotRead,
    /// Held back by a guard or reported for a person; the text says why.
    Held(String),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::CircuitOpen { planned, max } => write!(
                f,
                "circuit open: {planned} deletions planned > max_deletions {max}"
            ),
            SkipReason::DeadlineReached => f.write_str("deadline reached"),
            SkipReason::HealthNotRead => {
                f.write_str("the Arr's health check is read before a direct deletion")
            }
            SkipReason::Held(why) => f.write_str(why),
        }
    }
}

impl Action {
    /// Why it is not sent, as the summary says it.
    pub fn skip_reason(&self) -> Option<String> {
        self.skip.as_ref().map(ToString::to_string)
    }

    /// True when sending it takes the torrent out of its client (what `max_deletions`
    /// counts): a kept private fail does not.
    pub fn removes_from_client(&self) -> bool {
        self.kind.is_deletion()
            && !matches!(
                self.op,
                Op::ArrRemove {
                    client: ClientSide::KeepTagged,
                    ..
                } | Op::MarkFailed {
                    client: ClientSide::KeepTagged,
                    ..
                }
            )
    }

    /// True when sending it deletes files from disk.
    pub fn deletes_files(&self) -> bool {
        matches!(
            self.op,
            Op::ClientDelete { delete_files: true }
                | Op::ArrRemove {
                    client: ClientSide::ArrRemoves,
                    ..
                }
                | Op::MarkFailed {
                    client: ClientSide::ArrRemoves,
                    ..
                }
        )
    }
}

/// The whole plan of a pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Actions in the order they should be sent.
    pub actions: Vec<Action>,
    /// True when the plan wanted more deletions than `max_deletions`: none are sent.
    pub circuit_open: bool,
    /// Records changed by the decision (observations: stall clocks, first sightings...).
    pub records: Vec<crate::state::Record>,
    /// Search records to write once their search action (by index in `actions`) is done.
    pub searched: Vec<(usize, crate::state::SearchRecord)>,
    /// Arrs whose health check must be read before a direct deletion of one of their
    /// torrents can be decided (the pass reads them and decides again).
    pub needs_health: std::collections::BTreeSet<String>,
}

impl Plan {
    /// Number of torrents the plan would remove from a client.
    pub fn deletions(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.removes_from_client())
            .count()
    }
}
