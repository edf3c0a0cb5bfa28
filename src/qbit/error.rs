//! Errors of the qBittorrent client. Callers branch on the variant (an instance is
//! unreachable, its password is wrong, it banned us, an endpoint failed); every message names
//! the instance and, where there is one, the endpoint. None carries a password or a cookie.

/// What went wrong talking to one qBittorrent instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QbitError {
    /// The configuration of the client is unusable (bad URL, TLS setup failed).
    #[error("qBittorrent instance '{instance}': cannot build a client: {reason}")]
    Config {
        /// `[qbit.NAME]`
        instance: String,
        /// What is wrong.
        reason: String,
    },
    /// No connection could be made, or a request timed out.
    #[error("qBittorrent instance '{instance}' is unreachable: {reason}")]
    Unreachable {
        /// `[qbit.NAME]`
        instance: String,
        /// Cause, without URL or credentials.
        reason: String,
    },
    /// The username or password was refused (200 `Fails.` before 5.2, 401 from 5.2 on).
    /// Not retried for the life of the client.
    #[error(
        "qBittorrent instance '{instance}' rejected the username or password on auth/login \
         (not retried: qBittorrent bans an address after repeated failures)"
    )]
    AuthRejected {
        /// `[qbit.NAME]`
        instance: String,
    },
    /// A request was refused with 401 by qBittorrent's Host-header or CSRF check, not for
    /// its credentials (before 5.2 a wrong password is a 200 `Fails.`; from 5.2 on, a 401 on
    /// login is told apart by a second request without credentials, which the check refuses
    /// with 401 too and qBittorrent otherwise with 403). Not retried for the life of the
    /// client.
    #[error(
        "qBittorrent instance '{instance}' refused the request with HTTP 401 before looking \
         at the password: its Host-header or CSRF check did not accept it (typically a \
         remapped Docker port or a reverse proxy forwarding another Host or Origin). Point \
         qbit.{instance}.url at the address and port qBittorrent itself listens on, make the \
         proxy forward the original Host, or turn off WebUI > 'Enable Host header validation' \
         (not retried)"
    )]
    LoginUnauthorized {
        /// `[qbit.NAME]`
        instance: String,
    },
    /// The API key was refused (401/403 on a request carrying it).
    #[error(
        "qBittorrent instance '{instance}' refused the API key (qbit.{instance}.api_key): check \
         the key in Options > WebUI; API keys need qBittorrent 5.2 or later, older releases \
         need username and password (not retried)"
    )]
    ApiKeyRejected {
        /// `[qbit.NAME]`
        instance: String,
    },
    /// auth/login answered 403: this address is banned after too many failed logins.
    #[error(
        "qBittorrent instance '{instance}' has banned this address after too many failed \
         logins (403 on auth/login); wait for the ban to expire or restart qBittorrent"
    )]
    Banned {
        /// `[qbit.NAME]`
        instance: String,
    },
    /// An endpoint answered with an unexpected HTTP status.
    #[error("qBittorrent instance '{instance}': {endpoint} answered HTTP {status}: {body_snippet}")]
    Http {
        /// `[qbit.NAME]`
        instance: String,
        /// API method, e.g. `torrents/info`.
        endpoint: String,
        /// HTTP status code.
        status: u16,
        /// Start of the reply body.
        body_snippet: String,
    },
    /// A reply could not be read or parsed (bad JSON, truncated body, unexpected text).
    #[error("qBittorrent instance '{instance}': unreadable reply from {endpoint}: {reason}")]
    Malformed {
        /// `[qbit.NAME]`
        instance: String,
        /// API method, e.g. `torrents/info`.
        endpoint: String,
        /// What could not be read.
        reason: String,
    },
}

impl QbitError {
    /// The instance the error is about.
    pub fn instance(&self) -> &str {
        match self {
            QbitError::Config { instance, .. }
            | QbitError::Unreachable { instance, .. }
            | QbitError::AuthRejected { instance }
            | QbitError::LoginUnauthorized { instance, .. }
            | QbitError::ApiKeyRejected { instance }
            | QbitError::Banned { instance }
            | QbitError::Http { instance, .. }
            | QbitError::Malformed { instance, .. } => instance,
        }
    }

    /// True for a refused password or a ban: logging in again would only make it worse.
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            QbitError::AuthRejected { .. }
                | QbitError::LoginUnauthorized { .. }
                | QbitError::ApiKeyRejected { .. }
                | QbitError::Banned { .. }
        )
    }
}

pub(crate) use crate::net::snippet;

/// Describes a transport error without its URL, following the chain of causes.
pub(crate) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_instance_and_endpoint() {
        let e = QbitError::Http {
            instance: "main".into(),
            endpoint: "torrents/info".into(),
            status: 500,
            body_snippet: "boom".into(),
        };
        let text = e.to_string();
        assert!(text.contains("'main'") && text.contains("torrents/info") && text.contains("500"));
        assert!(
            QbitError::Banned {
                instance: "x".into()
            }
            .is_auth_failure()
        );
    }
}
