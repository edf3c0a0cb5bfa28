//! [`BaseUrl`]: an http(s) address of a server, checked once when the config is loaded.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

/// The base URL of a qBittorrent WebUI or an Arr (with any URL base, e.g.
/// `http://nas:7878/radarr`): http or https, a host, no `user:password@`, no query or
/// fragment. Kept parsed, and as text without a trailing slash for joining API paths.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
    base: String,
}

/// Why a text is not a [`BaseUrl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not a URL at all (the parser's reason).
    Invalid(String),
    /// Another scheme than http or https.
    Scheme(String),
    /// Carries `user:password@`.
    Credentials,
    /// Carries `?query` or `#fragment`.
    QueryOrFragment,
}

impl BaseUrl {
    /// Checks `text` (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<BaseUrl, UrlProblem> {
        let url = Url::parse(text.trim()).map_err(|e| UrlProblem::Invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(UrlProblem::Scheme(url.scheme().to_string()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlProblem::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(UrlProblem::QueryOrFragment);
        }
        let base = url.as_str().trim_end_matches('/').to_string();
        Ok(BaseUrl { url, base })
    }

    /// Without a trailing slash: `format!("{}/api/v2/...", base.as_str())`.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The parsed URL (scheme, host, port).
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// Compares the text form (without trailing slash).
impl PartialEq<&str> for BaseUrl {
    fn eq(&self, other: &&str) -> bool {
        self.base == *other
    }
}

impl FromStr for BaseUrl {
    type Err = UrlProblem;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        BaseUrl::parse(text)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.base)
    }
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::Invalid(why) => write!(f, "not a URL ({why})"),
            UrlProblem::Scheme(scheme) => write!(f, "scheme {scheme:?}, expected http or https"),
            UrlProblem::Credentials => f.write_str("carries user:password@"),
            UrlProblem::QueryOrFragment => f.write_str("carries a ?query or #fragment"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_checked_once_and_kept_without_its_trailing_slash() {
        let u = BaseUrl::parse(" http://nas:7878/radarr/ ").unwrap();
        assert_eq!(u.as_str(), "http://nas:7878/radarr");
        assert_eq!(u.url().port(), Some(7878));
        assert_eq!(BaseUrl::parse("https://h").unwrap().as_str(), "https://h");
        for (text, problem) in [
            ("127.0.0.1:8080", "not a URL"),
            ("ftp://host", "scheme"),
            ("nonsense", "not a URL"),
            ("http://u:p@host", "user:password"),
            ("http://host/?a=1", "query"),
            ("http://host/#x", "fragment"),
        ] {
            let err = BaseUrl::parse(text).unwrap_err().to_string();
            assert!(err.contains(problem), "{text}: {err}");
        }
    }
}
