//! Short human forms of durations and numbers, used in action reasons ("stalled 45m > 30m").

use std::time::Duration;

/// Formats seconds compactly: `45s`, `12m`, `3h 5m`, `7d 2h`.
pub fn secs(s: i64) -> String {
    let s = s.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    match () {
        _ if d > 0 && h > 0 => format!("{d}d {h}h"),
        _ if d > 0 => format!("{d}d"),
        _ if h > 0 && m > 0 => format!("{h}h {m}m"),
        _ if h > 0 => format!("{h}h"),
        _ if m > 0 => format!("{m}m"),
        _ => format!("{s}s"),
    }
}

/// Formats a [`Duration`] like [`secs`].
pub fn dur(d: Duration) -> String {
    secs(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// "`value` > `limit`" in short forms, falling back to seconds when the short forms would
/// read the same ("eta 604801s > 604800s" rather than "eta 7d > 7d").
pub fn over(value: i64, limit: Duration) -> String {
    let (v, l) = (secs(value), dur(limit));
    if v == l {
        format!("{}s > {}s", value.max(0), limit.as_secs())
    } else {
        format!("{v} > {l}")
    }
}

/// Seconds in a [`Duration`], saturating.
pub fn as_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_each_scale() {
        for (input, want) in [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (2_700, "45m"),
            (3_600, "1h"),
            (11_100, "3h 5m"),
            (86_400 * 7, "7d"),
            (86_400 * 7 + 7_200, "7d 2h"),
            (-5, "0s"),
        ] {
            assert_eq!(secs(input), want, "{input}");
        }
    }

    #[test]
    fn over_never_reads_as_equal() {
        assert_eq!(over(2_700, Duration::from_secs(1_800)), "45m > 30m");
        assert_eq!(
            over(604_801, Duration::from_secs(604_800)),
            "604801s > 604800s"
        );
    }
}
