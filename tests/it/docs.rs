//! The README stays true: it shows the sample config exactly as `sweeparr config example`
//! prints it, and opens with the two fresh-machine commands.

use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

#[test]
fn readme_shows_the_sample_config_verbatim() {
    assert!(
        readme().contains(sweeparr::config::example()),
        "README's configuration reference differs from `sweeparr config example`"
    );
}

#[test]
fn readme_opens_with_the_demo_and_test_commands() {
    let text = readme();
    let first_block = text.split("```").nth(1).expect("a code block");
    assert!(first_block.contains("make demo"), "{first_block}");
    assert!(first_block.contains("make test"), "{first_block}");
}

#[test]
fn binary_prints_the_sample_config() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sweeparr"))
        .args(["config", "example"])
        .output()
        .expect("run sweeparr");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        sweeparr::config::example()
    );
}

#[test]
fn every_rule_example_in_the_readme_loads() {
    let text = readme();
    let section = text
        .split("\n## Rules\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Rules section");
    let examples: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    assert!(examples.len() >= 4, "{}", examples.len());
    for example in examples {
        let config = sweeparr::config::load_str(example, "README.md", Path::new("/"), &|_| None)
            .unwrap_or_else(|e| panic!("{e}\n{example}"));
        assert!(!config.rules.is_empty(), "{example}");
    }
}

#[test]
fn the_private_cleanup_rule_of_the_readme_loads_and_matches_only_kept_failed_torrents() {
    let text = readme();
    let section = text
        .split("\n## Never destroy a good download\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Never destroy a good download section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("a rule example");
    // Indented inside a list item in the README.
    let example: String = example
        .lines()
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let config = sweeparr::config::load_str(&example, "README.md", Path::new("/"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}\n{example}"));
    assert_eq!(config.rules.len(), 1);
}
