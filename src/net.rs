//! The HTTP clients' common ground: one TLS provider for all of them (rustls with *ring*,
//! for reqwest and the AWS SDK alike), and the text of transport errors and reply bodies for
//! the clients that must keep a secret out of it.

/// Makes rustls' *ring* provider the process default (once). reqwest is built without a
/// provider of its own, so every client is built after this.
fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when a provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A reqwest client builder, the TLS provider installed.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
}

/// The AWS SDK's HTTP client: HTTPS (or plain HTTP, for an emulator) on rustls with *ring*.
/// The SDK's default client would bring a second crypto library, aws-lc.
pub fn aws_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The AWS SDK's config loader, with [`aws_http_client`].
pub fn aws_config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(aws_http_client())
}

/// Characters of a reply body kept by [`snippet`].
const SNIPPET_CHARS: usize = 200;

/// The first [`SNIPPET_CHARS`] characters of a reply body, on one line.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .take(SNIPPET_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out.trim().to_string()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_cut_and_flattened() {
        let long = "x".repeat(500);
        let s = snippet(long.as_bytes());
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 1);
        assert_eq!(
            snippet(b"Unable to create\ncategory"),
            "Unable to create category"
        );
    }

    #[test]
    fn https_clients_build_on_the_ring_provider() {
        // reqwest has no provider of its own: building panics unless one is installed.
        let client = http_client_builder()
            .https_only(true)
            .build()
            .expect("an HTTPS client");
        drop(client);
        let provider = rustls::crypto::CryptoProvider::get_default().expect("installed");
        assert!(!provider.cipher_suites.is_empty());
        // The SDK's client is built lazily by the SDK; constructing it must not panic.
        drop(aws_http_client());
    }
}
