//! `path_map`: rewrite a content path as qBittorrent sees it into the path the Arr sees.

/// Applies the longest prefix of `map` that matches whole path components of `path`.
/// `map` pairs are (from, to) with no trailing slash; a path that matches none is returned as is.
pub fn apply(map: &[(String, String)], path: &str) -> String {
    let best = map
        .iter()
        .filter(|(from, _)| component_prefix(path, from))
        .max_by_key(|(from, _)| from.len());
    match best {
        Some((from, to)) => format!("{}{}", to.trim_end_matches('/'), &path[from.len()..]),
        None => path.to_string(),
    }
}

fn component_prefix(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return path.starts_with('/');
    }
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::apply;

    fn map(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn longest_whole_component_prefix_wins() {
        let m = map(&[
            ("/home/me/downloads", "/mnt/seedbox"),
            ("/home/me/downloads/tv", "/mnt/tv"),
            ("/data", "/srv/data"),
        ]);
        for (input, want) in [
            ("/home/me/downloads/movie.mkv", "/mnt/seedbox/movie.mkv"),
            ("/home/me/downloads/tv/show/e1.mkv", "/mnt/tv/show/e1.mkv"),
            ("/home/me/downloads", "/mnt/seedbox"),
            // not a whole component: left alone
            ("/home/me/downloads2/x", "/home/me/downloads2/x"),
            ("/database/x", "/database/x"),
            ("/data/x", "/srv/data/x"),
            ("/elsewhere/x", "/elsewhere/x"),
        ] {
            assert_eq!(apply(&m, input), want, "{input}");
        }
    }

    #[test]
    fn empty_map_changes_nothing() {
        assert_eq!(apply(&[], "/a/b"), "/a/b");
    }
}
