//! TOML text to [`RawConfig`], with the dotted key path and line/column in every error and
//! no secret value in any of them.

use std::ops::Range;

use super::error::{ConfigError, line_column};
use super::raw::RawConfig;

/// TOML to [`RawConfig`]; every error carries the dotted key path and line/column.
pub(crate) fn parse(text: &str, origin: &str) -> Result<RawConfig, ConfigError> {
    let parse_error = |key: String, message: &str, span: Option<Range<usize>>| {
        let message = match span {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("{message} (line {line}, column {column})")
            }
            None => message.to_owned(),
        };
        ConfigError::Parse {
            origin: origin.to_owned(),
            key,
            message,
        }
    };
    // toml's own Display quotes the offending source line, which may hold a secret: only
    // its message and span are used.
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|e| parse_error(key_near(text, e.span()), e.message(), e.span()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = match e.path().to_string() {
            path if path == "." => "(top level)".to_owned(),
            path => path,
        };
        let inner = e.inner();
        let message = if is_secret_key(&key) && echoes_value(inner.message()) {
            "expected a string, or a table with exactly one of env, file or ssm"
        } else {
            inner.message()
        };
        parse_error(key, message, inner.span())
    })
}

/// Byte offset of each line start in `text` (and just past its end) -> whether that line starts
/// outside any string, i.e. is TOML code rather than the inside of a multi-line string.
fn code_lines(text: &str) -> std::collections::HashMap<usize, bool> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Comment,
        Basic,
        Literal,
        MultiBasic,
        MultiLiteral,
    }
    let bytes = text.as_bytes();
    let mut starts = std::collections::HashMap::from([(0, true)]);
    let mut state = In::Code;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        match (&state, bytes[i]) {
            (In::Code, b'#') => state = In::Comment,
            (In::Code, b'"') if rest.starts_with(b"\"\"\"") => {
                state = In::MultiBasic;
                i += 2;
            }
            (In::Code, b'\'') if rest.starts_with(b"'''") => {
                state = In::MultiLiteral;
                i += 2;
            }
            (In::Code, b'"') => state = In::Basic,
            (In::Code, b'\'') => state = In::Literal,
            (In::Basic | In::MultiBasic, b'\\') => i += 1,
            (In::Basic, b'"') | (In::Literal, b'\'') => state = In::Code,
            (In::MultiBasic, b'"') if rest.starts_with(b"\"\"\"") => {
                state = In::Code;
                i += 2;
            }
            (In::MultiLiteral, b'\'') if rest.starts_with(b"'''") => {
                state = In::Code;
                i += 2;
            }
            _ => {}
        }
        if bytes.get(i) == Some(&b'\n') {
            // A comment or a one-line string (closed or not) ends with its line.
            if matches!(state, In::Comment | In::Basic | In::Literal) {
                state = In::Code;
            }
            starts.insert(i + 1, state == In::Code);
        }
        i += 1;
    }
    starts
}

fn is_secret_key(key: &str) -> bool {
    key.split('.')
        .any(|part| part == "password" || part == "api_key")
        || (key.starts_with("notify") && key.ends_with(".url"))
}

/// serde's own wording for a value of the wrong type or range, which quotes the value.
fn echoes_value(message: &str) -> bool {
    message.contains("invalid type") || message.contains("invalid value")
}

/// Best-effort dotted key for a TOML syntax error (which has no key path): the table
/// header above the error and the key on its line. Lines that start inside a multi-line
/// string are never read as a header or a key: they are a value, maybe a secret.
fn key_near(text: &str, span: Option<Range<usize>>) -> String {
    let mut offset = span.map_or(0, |s| s.start).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let code = code_lines(&text[..offset]);
    let is_code = |start: usize| code.get(&start).copied().unwrap_or(false);
    let line = if is_code(line_start) {
        text[line_start..].lines().next().unwrap_or("")
    } else {
        ""
    };
    let mut starts = Vec::new();
    let mut at = 0;
    for l in text[..line_start].split_inclusive('\n') {
        starts.push((at, l));
        at += l.len();
    }
    let header = starts.into_iter().rev().find_map(|(start, l)| {
        if !is_code(start) {
            return None;
        }
        let inner = l.trim().strip_prefix('[')?;
        let inner = inner.trim_start_matches('[');
        Some(inner.split(']').next().unwrap_or("").trim().to_owned())
    });
    let bare = |k: &&str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
    };
    let own = line.split_once('=').map(|(k, _)| k.trim()).filter(bare);
    match (header, own) {
        (Some(h), Some(k)) => format!("{h}.{k}"),
        (Some(h), None) => h,
        (None, Some(k)) => k.to_owned(),
        (None, None) => "(top level)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::ConfigSource;

    use crate::config::test_support::{QBIT, load_in};

    #[test]
    fn a_secret_value_never_appears_in_an_error() {
        let cases = [
            format!("{QBIT}password = hunter2\n"),
            format!("{QBIT}password = \"hunter2\n"),
            format!("{QBIT}password = 'hunter2\n"),
            format!("{QBIT}password = \"a\"\npassword = \"hunter2\"\n"),
            format!("{QBIT}password = [\"hunter2\"]\n"),
            format!("{QBIT}password = {{ literal = \"hunter2\" }}\n"),
            format!("{QBIT}password = {{ env = \"X\", value = \"hunter2\" }}\n"),
            format!("{QBIT}pasword = \"hunter2\"\n"),
            format!("{QBIT}password = \"hunter2\" extra\n"),
            "[qbit.main]\nurl = \"http://admin:hunter2@127.0.0.1:8080\"\n".to_owned(),
            "[qbit.main]\nurl = \"hunter2\"\n".to_owned(),
            "[arr.m]\nkind = \"radarr\"\nurl = \"http://x\"\ncategory = \"m\"\napi_key = { file = \"x\", ssm = \"hunter2\" }\n".to_owned(),
            "[arr.m]\napi_key = \"hunter2\"\nkind = \"radar\"\n".to_owned(),
            "[arr.m]\napi_key = \"hunter2\"\n".to_owned(),
            format!("{QBIT}password = \"hunter2\"\n[qbit.main]\n"),
            format!("{QBIT}password = '''\n[hunter2]\n"),
            format!("{QBIT}password = \"\"\"\nhunter2 = 1\n"),
            format!("{QBIT}password = \"\"\"\\\"\"\"\n[hunter2]\nx = \n"),
        ];
        for text in &cases {
            let err = load_in(Path::new("/cfg"), text, &|_| None).expect_err(text);
            let shown = format!("{err} {err:?}");
            assert!(shown.contains("/cfg/sweeparr.toml"), "{shown}");
            assert!(!shown.contains("hunter2"), "{text}\n=> {shown}");
        }
    }

    #[test]
    fn loaded_config_and_inline_source_do_not_print_secrets() {
        let text = format!("{QBIT}password = \"hunter2\"\n");
        let config = load_in(Path::new("/cfg"), &text, &|_| None).unwrap();
        assert_eq!(config.qbit["main"].password.expose(), "hunter2");
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!format!("{:?}", ConfigSource::Inline(text)).contains("hunter2"));
    }
}
