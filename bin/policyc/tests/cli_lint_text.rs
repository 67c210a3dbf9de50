//! `L010 bare-cr` and `L011 bidi-control` end to end: text a terminal or a
//! review shows differently from what the parser reads is an error, at its
//! exact span, and the report itself prints it visibly.

mod cli_support;

use cli_support::{tests_for, Fixture};

/// A rule hidden behind a carriage return in a comment: `cat` shows only
/// `# harmless comment…`, overprinted on the `set`.
const HIDDEN_RULE: &str =
    "set redirect_uri = \"https://evil.example/cb\" # \r# harmless comment, nothing to see   \n";

/// A deny reason whose display is reversed by U+202E (each kind of bidi
/// control is covered by the unit tests in src/check/lint/text.rs).
const TROJAN: &str = "deny \"access \u{202E}ylno nimda\" if scope\n";

#[test]
fn bare_cr_and_bidi_controls_are_errors() {
    let f = Fixture::new("lint-text")
        .file("a.policy", HIDDEN_RULE)
        .file("b.policy", TROJAN)
        .file("c.policy", "drop a\r\ndrop b\r\n")
        .file("tests/cases.json", &tests_for(&[]));
    let human = f.run(&["lint", "."]);
    // The report shows neither character raw.
    assert!(!human.stderr.contains('\r'), "{}", human.stderr);
    assert!(!human.stderr.contains('\u{202E}'), "{}", human.stderr);
    let json = f.run(&["lint", "--format", "json", "."]);
    insta::assert_snapshot!(format!("{}\n{}", human.all(), json.all()));
}

/// An inline ignore comment does not silence them (a bare CR could hide the
/// comment itself; it is then reported as useless); the config can.
#[test]
fn only_the_config_changes_their_level() {
    let f = Fixture::new("lint-text-ignore")
        .file(
            "a.policy",
            "drop a # policyc: ignore[L010]\r# ok\ndeny \"\u{202E}x\" # policyc: ignore[bidi-control]\n",
        )
        .file("tests/cases.json", &tests_for(&[]));
    let ignored = f.run(&["lint", "--format", "json", "."]);
    let f = f.file(
        ".policyc.json",
        r#"{"lints": {"L010": "warn", "bidi-control": "allow", "L008": "allow"}}"#,
    );
    let configured = f.run(&["lint", "--format", "json", "."]);
    insta::assert_snapshot!(format!("{}\n{}", ignored.all(), configured.all()));
}
