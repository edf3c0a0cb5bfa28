//! Speeds and sizes as written in config: `"50KiB/s"`, `"1.5 MB/s"`, `"50GiB"`, `"off"`.

/// What a speed looks like, for error messages.
pub const EXPECTED: &str = "a speed such as \"50KiB/s\", \"1MiB/s\" or \"200kB/s\"";

/// What a size looks like, for error messages.
pub const EXPECTED_SIZE: &str = "a size such as \"50GiB\", \"500MB\" or \"1TiB\"";

/// Parses a speed into bytes per second; `Ok(None)` for `"off"`.
///
/// Units: `B`, `kB`/`KB` (1000), `KiB` (1024), `MB`, `MiB`, `GB`, `GiB`, any case for the
/// letter after the prefix; `/s` may be left out.
pub fn parse_speed(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    parse_bytes(t.strip_suffix("/s").unwrap_or(t), text, EXPECTED, "B/s")
}

/// Parses a size into bytes; `Ok(None)` for `"off"`. Units as for speeds, plus `TB` and
/// `TiB`.
pub fn parse_size(text: &str) -> Result<Option<u64>, String> {
    parse_bytes(text, text, EXPECTED_SIZE, "B")
}

/// A number of bytes with a unit; `whole` (the text as written) and `expected` for errors.
fn parse_bytes(
    text: &str,
    whole: &str,
    expected: &str,
    least: &str,
) -> Result<Option<u64>, String> {
    let t = text.trim();
    let whole = whole.trim();
    if whole.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || format!("expected {expected} or \"off\", found {whole:?}");
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let factor: f64 = match unit.trim() {
        "B" | "b" => 1.0,
        "kB" | "KB" | "kb" => 1e3,
        "KiB" | "kiB" | "Kib" => 1024.0,
        "MB" | "mb" => 1e6,
        "MiB" | "mib" => 1024.0 * 1024.0,
        "GB" | "gb" => 1e9,
        "GiB" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "TB" | "tb" => 1e12,
        "TiB" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = number * factor;
    if !bytes.is_finite() || !(1.0..=u64::MAX as f64).contains(&bytes) {
        return Err(format!("{} (at least 1 {least})", bad()));
    }
    Ok(Some(bytes.round() as u64))
}

/// A speed for people: `51.2 KiB/s`.
pub fn show_speed(bytes_per_sec: f64) -> String {
    show_units(bytes_per_sec, &["B/s", "KiB/s", "MiB/s", "GiB/s"])
}

/// A size for people: `50.0 GiB`.
pub fn show_size(bytes: u64) -> String {
    show_units(bytes as f64, &["B", "KiB", "MiB", "GiB", "TiB"])
}

fn show_units(value: f64, units: &[&str]) -> String {
    let mut v = value.max(0.0);
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.1} {}", units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_parse_with_binary_and_decimal_units() {
        for (text, want) in [
            ("50KiB/s", Some(51_200)),
            ("1MiB/s", Some(1_048_576)),
            ("200kB/s", Some(200_000)),
            (" 1.5 MB/s ", Some(1_500_000)),
            ("10 B", Some(10)),
            ("off", None),
            ("OFF", None),
        ] {
            assert_eq!(parse_speed(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "fast",
            "50",
            "50 KiB/h",
            "0KiB/s",
            "-1MB/s",
            "1e400MB/s",
        ] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
        assert_eq!(show_speed(51_200.0), "50.0 KiB/s");
        assert_eq!(show_speed(10.0), "10 B/s");
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        for (text, want) in [
            ("50GiB", Some(50 << 30)),
            ("1 TiB", Some(1 << 40)),
            ("500MB", Some(500_000_000)),
            ("2TB", Some(2_000_000_000_000)),
            ("off", None),
        ] {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
        for bad in ["", "big", "50", "50GiB/s", "0GiB", "-1GB", "1e30TiB"] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.contains("a size such as"), "{bad}: {err}");
        }
        assert_eq!(show_size(50 << 30), "50.0 GiB");
        assert_eq!(show_size(3 << 40), "3.0 TiB");
    }
}
