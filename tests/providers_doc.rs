//! `docs/providers.md` is generated from the provider library, so it cannot
//! drift from `policies/`: this test regenerates it and fails when the file
//! differs. Rewrite it with
//!
//! ```text
//! UPDATE_DOCS=1 cargo test --test providers_doc
//! ```
//!
//! Sources of the text: the compiled builtin policy (providers, match tiers,
//! rules and their ids), the source line of each rule and the `#` comment
//! block above it (its source and evidence marker), and the `## why:` /
//! `## evidence:` lines above each provider block or top-level section.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use oauth_policy::unstable::compile::host_index::{host_key_any, HostKey};
use oauth_policy::unstable::compile::ir::{Action, Piece, Rule, Sections, Sep, Template};
use oauth_policy::unstable::compile::program;
use oauth_policy::{Kind, Policy, SourceFile};

const DOC: &str = "docs/providers.md";

/// The `## key: value` lines above each provider (by name) or top-level
/// section (`global/KIND`), per file.
#[derive(Debug, Default)]
struct Doc {
    why: String,
    evidence: String,
}

fn doc_blocks(file: &SourceFile) -> BTreeMap<String, Doc> {
    let lines: Vec<&str> = file.text.lines().collect();
    let mut out = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let key = if let Some(rest) = line.strip_prefix("provider \"") {
            rest.split('"').next().unwrap_or("").to_string()
        } else if let Some(kind) = Kind::ALL
            .into_iter()
            .find(|k| line.trim_end() == format!("{} {{", k.name()))
        {
            format!("global/{}", kind.name())
        } else {
            continue;
        };
        let mut doc = Doc::default();
        for above in lines[..i].iter().rev() {
            let Some(text) = above.trim().strip_prefix("##") else {
                break;
            };
            let text = text.trim();
            if let Some(v) = text.strip_prefix("why:") {
                doc.why = v.trim().to_string();
            } else if let Some(v) = text.strip_prefix("evidence:") {
                doc.evidence = v.trim().to_string();
            }
        }
        out.insert(key, doc);
    }
    out
}

/// A rule's source text (its lines up to the next blank, comment, closing
/// brace or other rule) and the comment block right above it.
fn rule_source(file: &SourceFile, rule: &Rule, starts: &[usize]) -> (String, String) {
    let lines: Vec<&str> = file.text.lines().collect();
    let first = rule.location.line - 1;
    let mut text = Vec::new();
    for (n, line) in lines.iter().enumerate().skip(first) {
        let t = line.trim();
        let other_rule = n != first && starts.contains(&(n + 1));
        if n != first && (t.is_empty() || t.starts_with('#') || t == "}" || other_rule) {
            break;
        }
        text.push(t);
    }
    let mut comment = Vec::new();
    for line in lines[..first].iter().rev() {
        match line.trim().strip_prefix('#') {
            Some(c) if !c.starts_with('#') => comment.push(c.trim()),
            _ => break,
        }
    }
    comment.reverse();
    (text.join(" "), comment.join(" "))
}

/// The text of a provider's `match` condition, on one line.
fn match_source(file: &SourceFile, line: usize) -> String {
    let mut text = Vec::new();
    let mut inside = false;
    for l in file.text.lines().skip(line) {
        let t = l.trim();
        if !inside {
            if let Some(rest) = t.strip_prefix("match ") {
                inside = true;
                text.push(rest.trim());
            }
            continue;
        }
        if t.is_empty() || t.starts_with('#') || t.ends_with('{') || t == "}" {
            break;
        }
        text.push(t);
    }
    // Lists broken over lines read back as `[ a, b, ]`: tidy them.
    text.join(" ").replace("[ ", "[").replace(", ]", "]")
}

fn template(t: &Template) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            Piece::Text(s) => s.clone(),
            Piece::Var(_) => "${…}".to_string(),
        })
        .collect()
}

/// A few words for what an action does.
fn action_words(a: &Action) -> String {
    match a {
        Action::Drop(p) => format!("drop `{p}`"),
        Action::DropEmpty(except) if except.is_empty() => "drop empty".into(),
        Action::DropEmpty(except) => format!("drop empty except {}", except.join(", ")),
        Action::Set(p, v) => format!("set `{p}={}`", template(v)),
        Action::Default(p, v) => format!("default `{p}={}`", template(v)),
        Action::Rename(p, q) => format!("rename `{p}` → `{q}`"),
        Action::Add(v, p) => format!("add `{}` to `{p}`", template(v)),
        Action::Remove(v, p) => format!("remove `{}` from `{p}`", template(v)),
        Action::Convert(p, Sep::Comma) => format!("`{p}` → comma list"),
        Action::Convert(p, Sep::Space) => format!("`{p}` → space list"),
        Action::Dedupe(p) => format!("dedupe `{p}`"),
        Action::Deny(_) => "deny".into(),
        Action::DenyRepeated(except) if except.is_empty() => "deny repeated".into(),
        Action::DenyRepeated(except) => format!("deny repeated except `{}`", except.join("`, `")),
        Action::Stop => "stop".into(),
        Action::Classify {
            category,
            retryable,
            ..
        } => match retryable {
            Some(true) => format!("{} (retryable)", category.name()),
            Some(false) => category.name().to_string(),
            None => format!("{} (default retry)", category.name()),
        },
    }
}

fn summary(rules: &[Rule]) -> String {
    if rules.is_empty() {
        return "—".into();
    }
    let mut words: Vec<String> = Vec::new();
    for r in rules {
        let mut w = action_words(&r.action);
        if !r.enabled {
            w = format!("*opt-in:* {w}");
        }
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words.join("; ")
}

/// Escapes `|` so table cells keep their shape.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn tier(key: &HostKey) -> String {
    match key {
        HostKey::Exact(hosts) => format!(
            "exact host: {}",
            hosts
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        HostKey::Pattern(p) => format!("host pattern `{p}`"),
        HostKey::Any => "any host (path shape or mixed hosts)".into(),
    }
}

fn rule_table(out: &mut String, file: &SourceFile, rules: &[(Kind, &Rule)], starts: &[usize]) {
    if rules.is_empty() {
        out.push_str("No rules: the block only names the provider (see why above).\n\n");
        return;
    }
    out.push_str("| rule | source | comment (source, evidence) |\n|---|---|---|\n");
    for (_, r) in rules {
        let (text, comment) = rule_source(file, r, starts);
        let off = if r.enabled {
            ""
        } else {
            " (opt-in: off until enabled)"
        };
        let _ = writeln!(
            out,
            "| `{}`{off} | `{}` | {} |",
            r.id,
            cell(&text),
            cell(&comment)
        );
    }
    out.push('\n');
}

fn section_rules(s: &Sections) -> Vec<(Kind, &Rule)> {
    Kind::ALL
        .into_iter()
        .flat_map(|k| s.get(k).iter().map(move |r| (k, r)))
        .collect()
}

fn generate(policy: &Policy) -> Result<String, String> {
    let program = program(policy);
    let files: BTreeMap<&str, &SourceFile> = policy
        .files()
        .iter()
        .map(|f| (f.name.as_ref(), f))
        .collect();
    let docs: BTreeMap<&str, BTreeMap<String, Doc>> = policy
        .files()
        .iter()
        .map(|f| (f.name.as_ref(), doc_blocks(f)))
        .collect();
    // Rule start lines per file, to find where each rule's text ends.
    let mut starts: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let every = std::iter::once(&program.global)
        .chain(program.providers.iter().map(|p| &p.sections))
        .flat_map(section_rules);
    for (_, r) in every {
        starts
            .entry(r.location.file.as_ref())
            .or_default()
            .push(r.location.line);
    }
    let mut problems: Vec<String> = Vec::new();
    let doc_for = |problems: &mut Vec<String>, file: &str, key: &str| -> (String, String) {
        match docs.get(file).and_then(|d| d.get(key)) {
            Some(d) if !d.why.is_empty() && !d.evidence.is_empty() => {
                (d.why.clone(), d.evidence.clone())
            }
            _ => {
                problems.push(format!(
                    "{file}: `{key}` needs `## why:` and `## evidence:` lines above it"
                ));
                (String::new(), String::new())
            }
        }
    };

    let mut out = String::new();
    out.push_str(
        "# The provider library\n\n\
         <!-- Generated by tests/providers_doc.rs from policies/*.policy: do not edit.\n     \
         Regenerate with `UPDATE_DOCS=1 cargo test --test providers_doc`. -->\n\n\
         What each file in `policies/` does and why. The files are compiled into the\n\
         binaries as the default library (`Policy::builtin()`), so `policyc` and the\n\
         daemon apply them with no configuration. Each rule's comment names its source\n\
         and an evidence marker: **D** documented by the provider or the spec, **C** seen\n\
         in maintained library code, **I** reported in a public issue or third-party page,\n\
         **INF** inference (a recommended policy, not documented provider behaviour).\n\n\
         Provider selection: exact hosts first, then host patterns (anchored regexes),\n\
         then blocks that match any host by path shape; load order (file name) within a\n\
         tier; the first block whose `match` holds wins. Global rules (the generic\n\
         baseline) run before the provider's own. Callback rules only refine provider\n\
         errors, after the built-in checks (duplicates, `iss`, `state`, error with code);\n\
         the first matching rule wins.\n\n\
         Every rule is exercised by a case in `policies/tests/*.json` or\n\
         `tests/corpus/public.json` (checked by `bin/policyc/tests/corpus.rs`).\n\n\
         Every rule has a name, so its id (`PROVIDER/SECTION/NAME`) survives edits and\n\
         an overlay can switch it: keep local changes in an overlay directory\n\
         (`--overlay DIR`, docs/language.md#overlays) rather than in a copy of this\n\
         library. The library changes only what a provider requires; a rule that does\n\
         more is an **opt-in**, off until an overlay enables it (listed below).\n\n\
         ## Summary\n\n\
         | provider | file | match | authorize | token | callback refinements | evidence |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let global_file = program
        .global
        .authorize
        .first()
        .or(program.global.token.first())
        .map(|r| r.location.file.to_string())
        .unwrap_or_default();
    if !global_file.is_empty() {
        let (_, global_evidence) = doc_for(&mut problems, &global_file, "global/authorize");
        let _ = writeln!(
            out,
            "| *(global)* generic | `{global_file}` | every request | {} | {} | {} | {} |",
            cell(&summary(&program.global.authorize)),
            cell(&summary(&program.global.token)),
            cell(&summary(&program.global.callback)),
            cell(&global_evidence)
        );
    }
    for p in &program.providers {
        let (_, evidence) = doc_for(&mut problems, &p.location.file, &p.name);
        let _ = writeln!(
            out,
            "| [{name}](#{name}) | `{}` | {} | {} | {} | {} | {} |",
            p.location.file,
            cell(&tier(&host_key_any(p.matchers.iter().map(|m| &m.cond)))),
            cell(&summary(&p.sections.authorize)),
            cell(&summary(&p.sections.token)),
            cell(&summary(&p.sections.callback)),
            cell(&evidence),
            name = p.name
        );
    }

    out.push_str("\n## Opt-ins\n\n");
    let mut any = false;
    for p in &program.providers {
        for (kind, r) in section_rules(&p.sections) {
            if r.enabled {
                continue;
            }
            let (Some(name), Some(file)) = (&r.name, files.get(r.location.file.as_ref())) else {
                continue;
            };
            let (text, comment) = rule_source(
                file,
                r,
                &starts
                    .get(r.location.file.as_ref())
                    .cloned()
                    .unwrap_or_default(),
            );
            if !any {
                out.push_str("| provider | section | rule | enable with | what | comment |\n|---|---|---|---|---|---|\n");
                any = true;
            }
            let _ = writeln!(
                out,
                "| {} | {} | `{name}` | `extend provider \"{}\" {{ enable {name} }}` | `{}` | {} |",
                p.name,
                kind.name(),
                p.name,
                cell(&text),
                cell(&comment)
            );
        }
    }
    if !any {
        out.push_str("None.\n");
    }
    out.push_str("\n## Details\n\n");
    if let Some(file) = files.get(global_file.as_str()) {
        let file_starts = starts
            .get(global_file.as_str())
            .cloned()
            .unwrap_or_default();
        out.push_str("### generic (global rules)\n\n");
        for kind in [Kind::Authorize, Kind::Token, Kind::Callback] {
            let rules: Vec<(Kind, &Rule)> =
                program.global.get(kind).iter().map(|r| (kind, r)).collect();
            if rules.is_empty() {
                continue;
            }
            let (why, evidence) = doc_for(
                &mut problems,
                &global_file,
                &format!("global/{}", kind.name()),
            );
            let _ = writeln!(
                out,
                "**`{}` section** (`{global_file}`): {why}\n\nEvidence: {evidence}\n",
                kind.name()
            );
            rule_table(&mut out, file, &rules, &file_starts);
        }
    }
    for p in &program.providers {
        let file_name: &str = &p.location.file;
        let Some(file) = files.get(file_name) else {
            problems.push(format!("{}: file not loaded", p.name));
            continue;
        };
        let (why, evidence) = doc_for(&mut problems, file_name, &p.name);
        let file_starts = starts.get(file_name).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "### {}\n\nFile `{file_name}`. {why}\n\nEvidence: {evidence}\n\n\
             Match ({}): `{}`\n",
            p.name,
            tier(&host_key_any(p.matchers.iter().map(|m| &m.cond))),
            match_source(file, p.location.line - 1)
        );
        rule_table(&mut out, file, &section_rules(&p.sections), &file_starts);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("\n"))
    }
}

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DOC)
}

#[test]
fn docs_providers_md_is_up_to_date() {
    let policy = Policy::try_builtin().unwrap();
    let want = generate(&policy).unwrap_or_else(|e| panic!("{e}"));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(doc_path(), &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(doc_path()).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
        panic!(
            "{DOC} is out of date with policies/ (first difference at line {}).\n\
             Regenerate it: UPDATE_DOCS=1 cargo test --test providers_doc",
            line + 1
        );
    }
}

/// Independent of the generator: every policy file and provider is named in
/// the committed document.
#[test]
fn docs_name_every_file_and_provider() {
    let policy = Policy::try_builtin().unwrap();
    let have = std::fs::read_to_string(doc_path()).unwrap();
    for f in policy.files() {
        assert!(
            have.contains(f.name.as_ref()),
            "{DOC} does not mention {}",
            f.name
        );
    }
    for p in policy.providers() {
        assert!(
            have.contains(&format!("### {p}\n")),
            "{DOC} has no section for {p}"
        );
    }
}

#[test]
fn every_block_documents_why_and_evidence() {
    let policy = Policy::try_builtin().unwrap();
    generate(&policy).unwrap_or_else(|e| panic!("{e}"));
    // The convention is also enforced for an undocumented block.
    let bare = Policy::parse(
        "bare.policy",
        "provider \"x\" {\n  match host == \"x.example\"\n}\n",
    )
    .unwrap();
    let err = generate(&bare).unwrap_err();
    assert!(err.contains("`x` needs `## why:`"), "{err}");
}
