//! Errors of the Arr client. None of them ever carries the API key.

/// What went wrong talking to one Arr. Every variant names the Arr (`[arr.NAME]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrError {
    /// The client could not be built from the config (bad URL, unusable key characters).
    #[error("arr {arr}: invalid configuration: {reason}")]
    InvalidConfig {
        /// Arr name.
        arr: String,
        /// What is wrong.
        reason: String,
    },
    /// No HTTP answer: connection refused, DNS failure, TLS failure, timeout.
    #[error("arr {arr}: unreachable: {reason}")]
    Unreachable {
        /// Arr name.
        arr: String,
        /// Why (never contains the key).
        reason: String,
    },
    /// The Arr answered 401: the API key is wrong.
    #[error("arr {arr}: API key rejected (401); check api_key")]
    Unauthorized {
        /// Arr name.
        arr: String,
    },
    /// The Arr answered with an unexpected HTTP status.
    #[error("arr {arr}: {endpoint} answered HTTP {status}: {snippet}")]
    Http {
        /// Arr name.
        arr: String,
        /// Method and path relative to the API base, e.g. `GET queue`.
        endpoint: String,
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        snippet: String,
    },
    /// The Arr answered 2xx with a body that is not what the API documents.
    #[error("arr {arr}: {endpoint} sent an unexpected body: {reason}")]
    Malformed {
        /// Arr name.
        arr: String,
        /// Method and path relative to the API base.
        endpoint: String,
        /// What did not parse.
        reason: String,
    },
}

impl ArrError {
    /// Name of the Arr the error is about.
    pub fn arr(&self) -> &str {
        match self {
            ArrError::InvalidConfig { arr, .. }
            | ArrError::Unreachable { arr, .. }
            | ArrError::Unauthorized { arr }
            | ArrError::Http { arr, .. }
            | ArrError::Malformed { arr, .. } => arr,
        }
    }

    /// True when retrying later may help (no answer, or a 5xx / 429 answer).
    pub fn is_transient(&self) -> bool {
        match self {
            ArrError::Unreachable { .. } => true,
            ArrError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// Replaces every occurrence of `secret` in `text` (a response body, an error chain).
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, "<redacted>")
    }
}

/// At most `max` characters of `text`, trimmed, with an ellipsis when cut.
pub(crate) fn snippet(text: &str, max: usize) -> String {
    let text = text.trim();
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_every_copy_of_the_key() {
        assert_eq!(scrub("k=abc and abc", "abc"), "k=<redacted> and <redacted>");
        assert_eq!(scrub("nothing", ""), "nothing");
    }

    #[test]
    fn snippet_cuts_long_bodies() {
        assert_eq!(snippet("  short ", 10), "short");
        assert_eq!(snippet("abcdefghijkl", 5), "abcde…");
    }

    #[test]
    fn only_no_answer_and_server_errors_are_transient() {
        let http = |status| ArrError::Http {
            arr: "m".into(),
            endpoint: "GET queue".into(),
            status,
            snippet: String::new(),
        };
        assert!(http(503).is_transient());
        assert!(!http(404).is_transient());
        assert!(!ArrError::Unauthorized { arr: "m".into() }.is_transient());
        assert_eq!(http(500).arr(), "m");
    }
}
