//! Download speeds as written in config: `"50KiB/s"`, `"1.5 MB/s"`, `"off"`.

/// What a speed looks like, for error messages.
pub const EXPECTED: &str = "a speed such as \"50KiB/s\", \"1MiB/s\" or \"200kB/s\"";

/// Parses a speed into bytes per second; `Ok(None)` for `"off"`.
///
/// Units: `B`, `kB`/`KB` (1000), `KiB` (1024), `MB`, `MiB`, `GB`, `GiB`, any case for the
/// letter after the prefix; `/s` may be left out.
pub fn parse_speed(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || format!("expected {EXPECTED} or \"off\", found {t:?}");
    let t = t.strip_suffix("/s").unwrap_or(t).trim_end();
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
        _ => return Err(bad()),
    };
    let bytes = number * factor;
    if !bytes.is_finite() || bytes < 1.0 {
        return Err(format!("{} (at least 1 B/s)", bad()));
    }
    Ok(Some(bytes.round() as u64))
}

/// A speed for people: `51.2 KiB/s`.
pub fn show_speed(bytes_per_sec: f64) -> String {
    let units = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
    let mut v = bytes_per_sec.max(0.0);
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
}
