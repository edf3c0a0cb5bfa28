//! The config loader on arbitrary text: never panics, and an error never carries the value of
//! a secret read from the environment.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

/// What every `{ env = ... }` secret resolves to.
const SECRET: &str = "fuzz-S3CR3T-value-7d1e";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = |var: &str| (!var.starts_with("SWEEPARR_")).then(|| SECRET.to_string());
    match sweeparr::config::load_str(text, "fuzz.toml", Path::new("/etc/sweeparr"), &env) {
        Ok(config) => {
            // Debug output of a loaded config hides every secret.
            let shown = format!("{config:?}");
            assert!(!shown.contains(SECRET), "secret in Debug output");
        }
        Err(e) => {
            if !text.contains(SECRET) {
                assert!(!e.to_string().contains(SECRET), "secret in error: {e}");
                assert!(!format!("{e:?}").contains(SECRET), "secret in error Debug");
            }
        }
    }
});
