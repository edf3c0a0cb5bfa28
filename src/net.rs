//! Text of HTTP transport errors, shared by the clients that must keep a secret out of it.

/// A transport error as text: what failed (timed out, connection failed, request failed)
/// and its cause chain, without the URL. Callers scrub any secret still in it.
pub(crate) fn transport_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut text = kind.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
