//! Duration strings of the config: `"90s"`, `"30m"`, `"12h"`, `"7d"`, any humantime form
//! (`"1h 30m"`, `"2days"`), and `"off"` for a threshold that is disabled.

use std::time::Duration;

/// What a duration value must look like, for error messages.
pub const EXPECTED: &str = "a duration such as \"90s\", \"30m\", \"12h\", \"7d\" or \"1h 30m\"";

/// Parses a threshold: a duration, or `"off"` (any case) for `None`.
pub fn parse_threshold(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    parse(text, ", or \"off\"").map(Some)
}

/// Parses a duration; `"off"` is not accepted here.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse(text.trim(), "")
}

fn parse(text: &str, or_off: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err(format!(
            "expected {EXPECTED}{or_off}, found an empty string"
        ));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("expected {EXPECTED}{or_off}, found {text:?} ({e})"))
}

/// Formats a duration the way the config writes it (`"30m"`, `"7d"`, `"1h 30m"`).
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;

    #[test]
    fn contract_forms_parse_to_their_length() {
        let cases = [
            ("90s", 90),
            ("30m", 30 * MIN),
            ("12h", 12 * HOUR),
            ("7d", 7 * DAY),
            ("0s", 0),
            ("72h", 72 * HOUR),
            ("1h 30m", HOUR + 30 * MIN),
            ("1h30m", HOUR + 30 * MIN),
            ("2days", 2 * DAY),
            ("1w", 7 * DAY),
            (" 10m ", 10 * MIN),
        ];
        for (text, secs) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text:?}"
            );
            assert_eq!(
                parse_threshold(text),
                Ok(Some(Duration::from_secs(secs))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn off_disables_a_threshold_in_any_case() {
        for text in ["off", "OFF", " Off "] {
            assert_eq!(parse_threshold(text), Ok(None), "{text:?}");
        }
    }

    #[test]
    fn off_is_not_a_plain_duration() {
        let err = parse_duration("off").unwrap_err();
        assert!(err.contains("expected a duration"), "{err}");
        assert!(!err.contains("or \"off\""), "{err}");
    }

    #[test]
    fn malformed_durations_are_rejected_with_the_expected_form() {
        for text in ["", "ten minutes", "10", "10 parsecs", "-5m", "m"] {
            let err = parse_threshold(text).unwrap_err();
            assert!(err.contains("\"30m\""), "{text:?}: {err}");
        }
    }

    #[test]
    fn formatting_round_trips() {
        for secs in [90, 30 * MIN, 7 * DAY, HOUR + 30 * MIN] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
