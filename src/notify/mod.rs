//! Notifications: once per pass, tell each `[[notify]]` target what happened that it
//! listens to (removals, failures, outages), in its own format.
//!
//! [`events`] decides what to announce (pure, from the summary and the outage records);
//! [`message`] writes it; [`webhook`], [`discord`], [`ntfy`] and [`apprise`] shape the
//! request of each kind. Sending never fails the pass: a target that refuses or does not
//! answer is logged (never with its URL, which is a secret) and the pass goes on.

pub mod apprise;
pub mod discord;
pub mod events;
pub mod message;
pub mod ntfy;
pub mod webhook;

#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use tracing::{info, warn};

pub use events::{Announcement, Event, EventKind, announce};
pub use message::{Message, Severity, message};

use crate::config::{NotifyConfig, NotifyEvent, NotifyKind};
use crate::model::Epoch;
use crate::state::{Record, State};
use crate::summary::Summary;

/// Longest one notification may take (less when the pass deadline is nearer).
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a notification was not delivered. Never carries the target's URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// No HTTP answer: connection refused, DNS, TLS, timeout.
    #[error("{target}: no answer: {reason}")]
    Unreachable {
        /// `notify[INDEX] (KIND)`.
        target: String,
        /// Why (scrubbed of the URL).
        reason: String,
    },
    /// The target answered with a non-2xx status.
    #[error("{target}: answered HTTP {status}")]
    Http {
        /// `notify[INDEX] (KIND)`.
        target: String,
        /// HTTP status.
        status: u16,
    },
    /// The pass deadline left no time to send.
    #[error("{target}: not sent, the pass deadline is reached")]
    NoTime {
        /// `notify[INDEX] (KIND)`.
        target: String,
    },
    /// The URL does not parse (an `ssm` value, checked only when sent).
    #[error("{target}: the URL is not a valid http(s) URL (the value is a secret and not shown)")]
    BadUrl {
        /// `notify[INDEX] (KIND)`.
        target: String,
    },
}

/// What notifying a pass changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotifyOutcome {
    /// Outage records to write.
    pub put: Vec<Record>,
    /// Outage records to delete.
    pub forget: Vec<String>,
    /// Targets that accepted their message.
    pub sent: usize,
    /// Targets that did not.
    pub failed: usize,
}

/// Tells every target of `targets` what it listens to of this pass, all at once, each
/// within [`NOTIFY_TIMEOUT`] and `deadline`. Returns the outage records to save.
pub async fn notify(
    targets: &[NotifyConfig],
    summary: &Summary,
    state: &State,
    now: Epoch,
    deadline: Instant,
) -> NotifyOutcome {
    if targets.is_empty() {
        return NotifyOutcome::default();
    }
    let track = targets
        .iter()
        .any(|t| t.on.contains(&NotifyEvent::Unreachable));
    let ann = announce(summary, state, now, track);
    let mut outcome = NotifyOutcome {
        forget: ann.ended.clone(),
        ..Default::default()
    };
    let mut outage_told = false;
    if !ann.events.is_empty() {
        let http = match client() {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "notifications not sent: no HTTP client");
                return with_outages(outcome, &ann, false);
            }
        };
        let sends = targets.iter().enumerate().filter_map(|(i, t)| {
            let events = ann.for_target(&t.on);
            (!events.is_empty()).then(|| {
                let http = &http;
                async move {
                    let told_outage = events
                        .iter()
                        .any(|e| e.kind.category() == NotifyEvent::Unreachable);
                    let res = send(http, i, t, summary, &events, deadline).await;
                    match &res {
                        Ok(()) => {
                            info!(notify = %t.label(i), events = events.len(), "notification sent")
                        }
                        Err(e) => warn!(error = %e, "notification not sent"),
                    }
                    (res.is_ok(), told_outage)
                }
            })
        });
        for (ok, told_outage) in futures::future::join_all(sends).await {
            if ok {
                outcome.sent += 1;
                outage_told |= told_outage;
            } else {
                outcome.failed += 1;
            }
        }
    }
    with_outages(outcome, &ann, outage_told)
}

/// Adds the outage records of `ann`, marked announced when a target accepted them.
fn with_outages(mut outcome: NotifyOutcome, ann: &Announcement, told: bool) -> NotifyOutcome {
    outcome.put = ann
        .outages
        .iter()
        .map(|o| {
            let mut o = o.clone();
            o.announced |= told;
            Record::Outage(o)
        })
        .collect();
    outcome
}

fn client() -> Result<reqwest::Client, reqwest::Error> {
    crate::net::http_client_builder()
        .connect_timeout(NOTIFY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("sweeparr/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends one target's message.
async fn send(
    http: &reqwest::Client,
    index: usize,
    cfg: &NotifyConfig,
    summary: &Summary,
    events: &[&Event],
    deadline: Instant,
) -> Result<(), NotifyError> {
    let target = cfg.label(index);
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(NotifyError::NoTime { target });
    }
    let url = reqwest::Url::parse(cfg.url.expose().trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| NotifyError::BadUrl {
            target: target.clone(),
        })?;
    let msg = message(events);
    let req = http.post(url);
    let req = match cfg.kind {
        NotifyKind::Webhook => req.json(&webhook::body(summary, events, &msg)),
        NotifyKind::Discord => req.json(&discord::body(&msg)),
        NotifyKind::Apprise => req.json(&apprise::body(cfg, &msg)),
        NotifyKind::Ntfy => ntfy::headers(cfg, &msg)
            .into_iter()
            .fold(req, |r, (k, v)| r.header(k, v))
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(ntfy::body(&msg)),
    };
    let resp = req
        .timeout(left.min(NOTIFY_TIMEOUT))
        .send()
        .await
        .map_err(|e| NotifyError::Unreachable {
            target: target.clone(),
            reason: describe(e, cfg.url.expose()),
        })?;
    let status = resp.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(NotifyError::Http {
            target,
            status: status.as_u16(),
        })
    }
}

/// A transport error as text: its cause chain, without the URL or any part of its path.
fn describe(e: reqwest::Error, url: &str) -> String {
    scrub(&crate::net::transport_error(e), url)
}

/// `text` without `url`, or its path or query (where tokens live).
pub(crate) fn scrub(text: &str, url: &str) -> String {
    let mut out = text.replace(url.trim(), "<redacted>");
    if let Ok(u) = reqwest::Url::parse(url.trim()) {
        for part in [u.path(), u.query().unwrap_or("")] {
            if part.len() > 1 {
                out = out.replace(part, "<redacted>");
            }
        }
    }
    out
}
