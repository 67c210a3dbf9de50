//! Hostile policy files and requests (issue 10): no crash, no miscompile,
//! bounded output, a regex budget. Each test is one repro from the issue.

mod cli_support;

use cli_support::{tests_for, Fixture};
use oauth_policy::lint;
use oauth_policy::unstable::compile::{self, RegexLimits};
use oauth_policy::unstable::syntax;
use oauth_policy::AnalyzeOptions;
use oauth_policy::SyntaxError;
use oauth_policy::{LoadError, Policy, PolicyDiagnostic, Request, SourceFile};

// ---- nesting: no input overflows the stack -----------------------------------

/// Hostile nestings, `levels` deep.
fn deep_inputs(levels: usize) -> Vec<(&'static str, String)> {
    let open = |s: &str| s.repeat(levels);
    vec![
        (
            "parentheses",
            format!("deny \"x\" if {}a{}\n", open("("), open(")")),
        ),
        (
            "raw string with hashes first",
            format!("deny r#\"x\"# if {}a{}\n", open("("), open(")")),
        ),
        (
            "raw string ending in a backslash first",
            format!(
                "set a = r\"\\\"\ndeny \"x\" if {}a{}\n",
                open("("),
                open(")")
            ),
        ),
        (
            "`not` before each parenthesis",
            format!("deny \"x\" if {}a{}\n", open("not ("), open(")")),
        ),
        ("brackets", format!("deny \"x\" if a in {}\n", open("["))),
        (
            "raw strings inside the brackets",
            format!("drop a if {}b == r\"(\"{}\n", open("("), open(")")),
        ),
        (
            "a comment that looks like a raw string",
            format!("drop r#\"\ndrop x if {}a{}\n", open("("), open(")")),
        ),
    ]
}

/// Runs `f` on a thread with a 2 MiB stack (a tokio worker's size).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_nesting_is_a_syntax_error_on_a_small_stack() {
    on_small_stack(|| {
        for (what, text) in deep_inputs(10_000) {
            let err = syntax::parse(&text).expect_err(what);
            assert!(
                matches!(err, SyntaxError::TooDeep { limit: 64, .. }),
                "{what}: {err:?}"
            );
            assert!(oauth_policy::fmt::format(&text).is_err(), "{what}");
            assert!(syntax::lex(&text).is_err(), "{what}");
            let findings = analyze(&text);
            assert_eq!(findings.len(), 1, "{what}: {findings:?}");
            assert_eq!(findings[0].code_str(), "policy::E002", "{what}");
            let err = Policy::parse("a.policy", &text).expect_err(what);
            assert_eq!(err.diagnostics().len(), 1, "{what}");
        }
        // A run of `not` is not nesting: the grammar reads it as a list and
        // the parser folds pairs, so 10 000 of them load (as `a`).
        let text = format!("deny \"x\" if {}a\n", "not ".repeat(10_000));
        let policy = Policy::parse("a.policy", &text).unwrap();
        let out = policy.apply(&Request::authorize("https://h.example/?a=1").unwrap());
        assert!(out.denied().is_some());
        assert!(oauth_policy::fmt::format(&text).is_ok());
        let findings = analyze(&text);
        assert!(findings.iter().all(|f| !f.is_load_error()), "{findings:?}");
    });
}

#[test]
fn nesting_at_the_limit_still_loads() {
    on_small_stack(|| {
        // Every level adds a `not`, an `or` and an `and` to the tree: the
        // deepest AST the limit admits, walked by every pass.
        let text = format!(
            "deny \"x\" if {}a{}\ndeny \"y\" if {}a{}\n",
            "not (b or c and ".repeat(64),
            ")".repeat(64),
            "not (b or c and ".repeat(64),
            ")".repeat(64)
        );
        let findings = analyze(&text);
        assert!(findings.iter().all(|f| !f.is_load_error()), "{findings:?}");
        let policy = Policy::parse("a.policy", &text).unwrap();
        let out = policy.apply(&Request::authorize("https://h.example/?a=1").unwrap());
        // Without `b` and `c`, 64 negations of `a`: an even count, so `a`.
        assert!(out.denied().is_some());
        // The formatter adds no clarifying parentheses past the limit.
        let formatted = oauth_policy::fmt::format(&text).unwrap();
        assert_eq!(oauth_policy::fmt::format(&formatted).unwrap(), formatted);
        let meaning = |t: &str| syntax::parse(t).unwrap();
        assert_eq!(meaning(&formatted), meaning(&text));
    });
}

#[test]
fn cli_lint_and_fmt_refuse_deep_nesting() {
    let text = format!(
        "deny r#\"x\"# if {}a{}\n",
        "(".repeat(2000),
        ")".repeat(2000)
    );
    let f = Fixture::new("deep").file("a.policy", &text);
    for args in [&["lint", "a.policy"][..], &["fmt", "a.policy"][..]] {
        let run = f.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert!(run.stderr.contains("E002"), "{args:?}: {}", run.all());
        assert!(
            run.stderr.contains("nesting is deeper than 64"),
            "{}",
            run.all()
        );
    }
}

// ---- `${…}` where fixed text is required ---------------------------------------

#[test]
fn interpolation_in_fixed_text_is_e016() {
    for (text, place) in [
        (
            "deny \"hit\" if client_id == \"${redirect_uri}\"",
            "a comparison",
        ),
        (
            "deny \"hit\" if client_id != \"${redirect_uri}\"",
            "a comparison",
        ),
        (
            "deny \"hit\" if client_id in [\"a\", \"${x}\"]",
            "an `in` list",
        ),
        ("deny \"hit\" if scope contains \"${x}\"", "a comparison"),
        ("deny \"hit\" if kind == \"${x}\"", "a comparison"),
        ("deny \"hit\" if a ~ \"^${x}$\"", "a regex"),
        ("deny \"hit\" if scope contains ~ \"${x}\"", "a regex"),
        (
            "provider \"${x}\" {\n  match host == \"a\"\n}",
            "a provider name",
        ),
        ("drop param(\"${x}\")", "`param(\"…\")`"),
        ("deny \"hit\" if param(\"${x}\") == \"a\"", "`param(\"…\")`"),
    ] {
        let err = syntax::parse(text).expect_err(text);
        let SyntaxError::InterpolationNotAllowed { place: got, span } = &err else {
            panic!("{text}: {err:?}");
        };
        assert_eq!(*got, place, "{text}");
        let marked = &text[span.offset()..span.offset() + span.len()];
        assert_eq!(
            marked,
            "${x}".replace('x', marked.trim_start_matches("${").trim_end_matches('}')),
            "{text}"
        );
        assert!(
            marked.starts_with("${") && marked.ends_with('}'),
            "{text}: {marked}"
        );
        let diag = Policy::parse("a.policy", text).expect_err(text);
        let code = diag.diagnostics()[0].code_str();
        assert_eq!(code, "policy::E016", "{text}");
    }
    // Escaped, and in a raw string, `${` is plain text.
    let p = Policy::parse(
        "a.policy",
        "deny \"hit\" if a == \"\\${x}\" or b == r\"${x}\"",
    )
    .unwrap();
    let hit = p.apply(&Request::authorize("https://h.example/?a=%24%7Bx%7D").unwrap());
    assert!(hit.denied().is_some());
}

#[test]
fn the_issue_repro_no_longer_compiles_to_empty_text() {
    let err = Policy::parse(
        "a.policy",
        "deny \"hit\" if client_id == \"${redirect_uri}\"",
    )
    .expect_err("must not load");
    assert!(matches!(err, LoadError::Invalid { .. }));
}

// ---- an interpolated value is one value ----------------------------------------

fn apply(policy: &str, url: &str) -> oauth_policy::Outcome {
    Policy::parse("a.policy", policy)
        .unwrap()
        .apply(&Request::authorize(url).unwrap())
}

const ADD: &str = "add \"${resource}/.default\" to scope if resource\n";

#[test]
fn an_interpolated_item_is_one_list_item() {
    let out = apply(
        ADD,
        "https://h.example/a?scope=openid&resource=https%3A%2F%2Fapi.example",
    );
    assert!(out.denied().is_none());
    assert_eq!(
        out.url(),
        "https://h.example/a?scope=openid%20https%3A%2F%2Fapi.example%2F.default&resource=https%3A%2F%2Fapi.example"
    );
    // Adding it again finds the same single item.
    let again = apply(
        &format!("{ADD}{ADD}"),
        "https://h.example/a?scope=openid&resource=x",
    );
    assert_eq!(again.changes().len(), 1);
}

#[test]
fn an_interpolated_item_that_would_split_is_denied() {
    for (resource, what) in [
        ("a%20b", "contains a space or comma"),
        ("a,b", "contains a space or comma"),
        ("a+b", "contains a space or comma"),
    ] {
        let out = apply(
            ADD,
            &format!("https://h.example/a?scope=openid&resource={resource}"),
        );
        let denial = out
            .denied()
            .unwrap_or_else(|| panic!("{resource}: {}", out.url()));
        assert!(denial.reason.contains(what), "{}", denial.reason);
        assert!(denial.reason.contains("`${resource}`"), "{}", denial.reason);
        assert!(
            denial.reason.contains("global/authorize#1"),
            "{}",
            denial.reason
        );
        assert!(!denial.reason.contains("a b") && !denial.reason.contains("a,b"));
        assert_eq!(
            out.url(),
            format!("https://h.example/a?scope=openid&resource={resource}")
        );
    }
    let empty = apply(
        "add \"${resource}\" to scope if param(\"x\")\n",
        "https://h.example/a?scope=openid&resource=&x=1",
    );
    assert!(empty.denied().unwrap().reason.contains("is empty"));
}

#[test]
fn a_repeated_interpolated_parameter_is_ambiguous() {
    let out = apply(
        ADD,
        "https://h.example/a?scope=openid&resource=a&resource=b",
    );
    let reason = &out.denied().expect("denied").reason;
    assert!(reason.contains("`resource` has 2 values"), "{reason}");
    let set = apply(
        "set x = \"${state}\" if state\n",
        "https://h.example/?state=s1&state=s2",
    );
    let reason = &set.denied().expect("denied").reason;
    assert!(reason.contains("`state` has 2 values"), "{reason}");
    assert!(!reason.contains("s1") && !reason.contains("s2"), "{reason}");
}

#[test]
fn a_fixed_item_with_a_separator_is_e018() {
    for text in [
        "add \"a b\" to scope",
        "remove \"a,b\" from scope",
        "add \"\" to scope",
    ] {
        let err = Policy::parse("a.policy", text).expect_err(text);
        assert_eq!(err.diagnostics()[0].code_str(), "policy::E018", "{text}");
    }
}

// ---- output caps ---------------------------------------------------------------

#[test]
fn doubling_a_value_is_denied_at_the_limit() {
    let policy = "set a = \"${a}${a}\"\n".repeat(32);
    let out = apply(&policy, "https://h.example/?a=0123456789");
    let denial = out.denied().expect("over the limit");
    assert!(denial.reason.contains("65536 byte"), "{}", denial.reason);
    assert_eq!(out.url(), "https://h.example/?a=0123456789");
    assert!(out.changes().is_empty());
}

#[test]
fn the_whole_output_is_held_to_the_limits() {
    // Each value fits; encoded, the URL does not.
    let policy = "set b = \"${a}\"\nset c = \"${a}\"\n";
    let big = "%25".repeat(12_000);
    let out = apply(policy, &format!("https://h.example/?a={big}"));
    let denial = out.denied().expect("over the limit");
    assert!(denial.reason.contains("rewritten URL"), "{}", denial.reason);
    // Token bodies are held to the body limit.
    let p = Policy::parse("a.policy", "token {\n  set b = \"${a}${a}${a}${a}\"\n}\n").unwrap();
    let body = format!("a={}", "x".repeat(100_000));
    let out = p.apply(&Request::token("https://h.example/token", &body).unwrap());
    assert!(out.denied().unwrap().reason.contains("262144"));
}

#[test]
fn many_added_parameters_are_held_to_the_parameter_limit() {
    let policy: String = (0..1100).map(|i| format!("set p{i} = \"x\"\n")).collect();
    let out = apply(&policy, "https://h.example/?a=1");
    assert!(out.denied().unwrap().reason.contains("parameters"));
}

// ---- regex budget --------------------------------------------------------------

#[test]
fn a_huge_regex_is_e030() {
    let err = Policy::parse("a.policy", "drop a if b ~ r\"\\w{1,200}\"").expect_err("too large");
    assert_eq!(err.diagnostics()[0].code_str(), "policy::E030");
}

/// Compiles one file with small regex limits (debug builds compile regexes
/// slowly; the limits scale, the logic is the same).
fn compile_small(text: &str) -> Result<(), Vec<PolicyDiagnostic>> {
    let file = SourceFile::new("a.policy", text);
    let ast = syntax::parse(text).unwrap();
    let limits = RegexLimits {
        pattern_bytes: 64 * 1024,
        policy_bytes: 256 * 1024,
        max_patterns: 50,
    };
    compile::compile_with(&[(file, ast)], limits).map(|_| ())
}

#[test]
fn the_regex_budget_is_e031_naming_the_worst_pattern() {
    let mut text: String = (0..1000)
        .map(|n| format!("drop a{n} if b ~ r\"^[a-z]{{1,3}}{n}$\"\n"))
        .collect();
    text.insert_str(0, "drop w if b ~ r\"^[a-z]{1,40}x$\"\n");
    let errors = compile_small(&text).expect_err("over budget");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code_str(), "policy::E031");
    assert_eq!(
        errors[0].location().line,
        1,
        "the largest pattern is on line 1"
    );
    assert!(errors[0].help_str().unwrap().contains("a.policy:"));
}

#[test]
fn oversized_patterns_use_up_the_budget_too() {
    // Measuring each one costs work: the loader stops after a few.
    let text: String = (0..1000)
        .map(|n| format!("drop a{n} if b ~ r\"\\w{{1,100}}{n}\"\n"))
        .collect();
    let errors = compile_small(&text).expect_err("too large");
    assert!(errors.len() < 10, "{}", errors.len());
    assert!(errors.iter().any(|e| e.code_str() == "policy::E031"));
    assert!(errors.iter().any(|e| e.code_str() == "policy::E030"));
}

#[test]
fn identical_patterns_are_compiled_once() {
    // 2000 uses of one pattern are charged once; 100 different ones are not
    // (over the 50 distinct patterns allowed here).
    let same: String = (0..2000)
        .map(|n| format!("drop a{n} if b ~ r\"^[a-z]{{1,40}}x$\"\n"))
        .collect();
    assert!(compile_small(&same).is_ok());
    let different: String = (0..100)
        .map(|n| format!("drop a{n} if b ~ r\"^[a-z]{{1,40}}{n}$\"\n"))
        .collect();
    assert!(compile_small(&different).is_err());
}

// ---- L009 ----------------------------------------------------------------------

#[test]
fn l009_secret_in_reason() {
    let f = Fixture::new("l009")
        .file(
            "a.policy",
            "deny \"bad state ${state}\" if state and not state ~ r\"^[A-Za-z0-9]{16,}$\"\n\
             deny \"bad prompt ${prompt}\" if prompt == \"x\"\n\
             provider \"p\" {\n  match host == \"p.example\"\n  callback {\n    when error classify unknown_error hint \"code was ${code}\"\n  }\n}\n",
        )
        .file("tests/cases.json", &tests_for(&["p"]));
    insta::assert_snapshot!(f.run(&["lint", "."]).all());
}

// ---- lint stays near-linear, and says when it cut an analysis short ------------

/// Every diagnostic `Policy::analyze` finds in one file `a.policy`.
fn analyze(text: &str) -> Vec<PolicyDiagnostic> {
    Policy::analyze(
        vec![SourceFile::new("a.policy", text)],
        &AnalyzeOptions::default(),
    )
    .diagnostics
}

fn budget_notes(text: &str) -> Vec<PolicyDiagnostic> {
    analyze(text)
        .into_iter()
        .filter(|f| f.code_str() == format!("policy::{}", lint::BUDGET_NOTE))
        .collect()
}

#[test]
fn many_providers_on_one_host_are_compared_a_bounded_number_of_times() {
    let text: String = (0..300)
        .map(|n| {
            format!(
                "provider \"p{n}\" {{\n  match host == \"a.example\" and path == \"/p{n}\"\n}}\n"
            )
        })
        .collect();
    let notes = budget_notes(&text);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].level(), lint::Level::Note);
    assert!(
        notes[0]
            .to_string()
            .starts_with("43 rules or providers were"),
        "{}",
        notes[0]
    );
    // A small policy is checked completely: no note.
    assert!(budget_notes(&text[..text.len() / 10]).is_empty());
}

#[test]
fn a_rule_with_costly_comparisons_runs_out_of_budget_and_says_so() {
    // Each rule's `or` shares 59 names with the others: proving (or failing
    // to prove) one implies another takes thousands of steps per pair.
    let wide: Vec<String> = (0..59).map(|i| format!("b{i}")).collect();
    let text: String = (0..40)
        .map(|k| {
            format!(
                "deny \"x\" if ({} or z{k}) and a == \"{k}\"\n",
                wide.join(" or ")
            )
        })
        .collect();
    let notes = budget_notes(&text);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].level(), lint::Level::Note);
}
