//! Lint robustness: mutated copies of the shipped policies never make the
//! linter (or the formatter) panic, and every finding points inside its file.

use proptest::prelude::*;

use crate::source::SourceFile;
use crate::{AnalyzeOptions, Policy};

fn shipped() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    texts.sort();
    texts
}

const SNIPPETS: &[&str] = &[
    " and ",
    " or not ",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "r#\"",
    "#",
    "\n",
    "host ~ \"a.b\"",
    " stop ",
    " deny \"x\" ",
    "kind == \"token\"",
    "# policyc: ignore[L004]",
    "${",
    "}",
    "{",
];

fn mutate(text: &str, at: usize, cut: usize, insert: &str) -> String {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + cut).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{}{}", &text[..at], insert, &text[end..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mutated_policies_lint_without_panicking(
        file in 0usize..64,
        at in any::<usize>(),
        cut in 0usize..40,
        insert in proptest::sample::select(SNIPPETS),
    ) {
        let texts = shipped();
        let text = &texts[file % texts.len()];
        let mutated = mutate(text, at, cut, insert);
        let files = vec![SourceFile::new("m.policy", mutated.clone()), SourceFile::new("n.policy", text.clone())];
        let opts = AnalyzeOptions::default().with_tested([]);
        for d in Policy::analyze(files.clone(), &opts).diagnostics {
            let src = &files[d.file_index()].text;
            let (span, _) = d.primary();
            prop_assert!(span.start <= span.end && span.end <= src.len(), "{d:?}");
            prop_assert!(src.is_char_boundary(span.start) && src.is_char_boundary(span.end));
        }
        let _ = crate::syntax::fmt::format(&mutated);
    }
}
