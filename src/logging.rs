//! Structured logs on stderr: readable text on a terminal, JSON in the cloud.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (CloudWatch).
    Json,
}

/// Initialises logging from `SWEEPARR_LOG` (level filter, default `info`) and
/// `SWEEPARR_LOG_FORMAT` (`text` | `json`; empty = text). A format it does not know is an
/// error naming the variable, and nothing is initialised.
pub fn init_from_env() -> Result<(), String> {
    let format = std::env::var("SWEEPARR_LOG_FORMAT").unwrap_or_default();
    let format = match format.trim().to_ascii_lowercase().as_str() {
        "" | "text" => Format::Text,
        "json" => Format::Json,
        _ => {
            return Err(format!(
                "environment variable SWEEPARR_LOG_FORMAT (the log format): expected text or \
                 json, found {format:?}"
            ));
        }
    };
    init(format, "info");
    Ok(())
}

/// Initialises logging in `format`; the filter is `SWEEPARR_LOG`, else `default_filter`.
/// Colours only when stderr is a terminal.
pub fn init(format: Format, default_filter: &str) {
    let filter =
        EnvFilter::try_from_env("SWEEPARR_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        // The spans a line is in, once: the current one is the list's last, and in Lambda
        // every line is in the runtime's span (request and trace ids, ~230 bytes).
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        Format::Text => builder.with_target(false).try_init(),
    };
}
