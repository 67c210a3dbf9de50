//! Overlays: `extend provider` blocks and rule names. An extension must name
//! a provider that is loaded, and every `enable`/`disable` a rule that
//! provider has; rule names are unique per provider and section, so a name is
//! a stable id that survives edits around it.

use std::collections::HashMap;

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

use crate::source::{PolicyDiagnostic, SourceFile};
use crate::suggest;
use crate::syntax::ast::{self, Item};
use crate::syntax::Span;

/// An error in an overlay or a rule name.
#[derive(Debug, Clone, Error, Diagnostic, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverlayError {
    /// `extend provider "x"` where no loaded file defines `x`.
    #[error("no provider `{name}` to extend")]
    #[diagnostic(code(policy::E040))]
    UnknownProvider {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not a loaded provider")]
        span: SourceSpan,
        /// "did you mean" or what to do.
        #[help]
        help: String,
    },
    /// `enable x` / `disable x` where the provider has no rule named `x`.
    #[error("`{provider}` has no rule named `{name}`")]
    #[diagnostic(code(policy::E041))]
    UnknownRule {
        /// The rule name as written.
        name: String,
        /// The provider extended (`global` for `extend global`).
        provider: String,
        /// Where.
        #[label("no such rule")]
        span: SourceSpan,
        /// "did you mean" or the provider's rule names.
        #[help]
        help: String,
    },
    /// Two rules with one name in one provider section.
    #[error("rule name `{name}` is used twice in `{owner}`")]
    #[diagnostic(code(policy::E042))]
    DuplicateRuleName {
        /// The name.
        name: String,
        /// `PROVIDER/SECTION` or `global/SECTION`.
        owner: String,
        /// The second use.
        #[label("named again here")]
        span: SourceSpan,
        /// Where the first one is.
        #[help]
        help: String,
    },
    /// An overlay's `match` that claims a host another provider owns.
    #[error("this match takes `{host}`, which provider `{owner}` matches")]
    #[diagnostic(code(policy::E043))]
    ShadowedHost {
        /// The host.
        host: String,
        /// The provider that already matches it.
        owner: String,
        /// The overlay's condition.
        #[label("claims `{host}`")]
        span: SourceSpan,
        /// What to do instead.
        #[help]
        help: String,
    },
    /// `also match` in `extend global`: global rules apply to every request.
    #[error("`extend global` cannot have `also match`")]
    #[diagnostic(
        code(policy::E044),
        help("global rules run for every request; to add a host to a provider, write `extend provider \"NAME\" {{ also match … }}`")
    )]
    MatchInGlobal {
        /// The condition.
        #[label("no provider to match for")]
        span: SourceSpan,
    },
    /// A provider named `global`, the name rule ids give the global rules.
    #[error("`global` is reserved for the global rules")]
    #[diagnostic(
        code(policy::E045),
        help("rule ids start with the provider's name and `global/…` are the global rules' ids; pick another name")
    )]
    ReservedName {
        /// The name.
        #[label("reserved")]
        span: SourceSpan,
    },
}

/// The rule names of one provider (or of the global rules): section → names.
type Names<'a> = HashMap<&'a str, Vec<&'a str>>;

/// Checks rule names and `extend` blocks across every loaded file.
pub(crate) fn check(files: &[(SourceFile, ast::File)]) -> Vec<PolicyDiagnostic> {
    let mut out = Vec::new();
    // Owner → first span of each `section/name`, to report duplicates.
    let mut first: HashMap<String, (usize, Span)> = HashMap::new();
    let mut names: HashMap<&str, Names<'_>> = HashMap::new();
    let mut global: Names<'_> = HashMap::new();
    let mut note = |owner: &str, section: &ast::Section, file: usize, out: &mut Vec<_>| {
        for rule in &section.rules {
            let Some(name) = &rule.name else { continue };
            let key = format!("{owner}/{}/{}", section.name.node, name.node);
            match first.get(&key) {
                Some((f, span)) => {
                    let at = files
                        .get(*f)
                        .map(|(s, _)| s.location(*span).to_string())
                        .unwrap_or_default();
                    let err = OverlayError::DuplicateRuleName {
                        name: name.node.clone(),
                        owner: format!("{owner}/{}", section.name.node),
                        span: name.span.into(),
                        help: format!("first named at {at}; names are unique per provider and section so `enable`/`disable` and rule ids stay unambiguous"),
                    };
                    if let Some((src, _)) = files.get(file) {
                        out.push(PolicyDiagnostic::new(err, src));
                    }
                }
                None => {
                    first.insert(key, (file, name.span));
                }
            }
        }
    };
    for (index, (_, file)) in files.iter().enumerate() {
        for item in &file.items {
            match item {
                Item::Provider(p) => {
                    if p.name.node == "global" {
                        if let Some((src, _)) = files.get(index) {
                            let err = OverlayError::ReservedName {
                                span: p.name.span.into(),
                            };
                            out.push(PolicyDiagnostic::new(err, src));
                        }
                    }
                    let entry = names.entry(p.name.node.as_str()).or_default();
                    for s in &p.sections {
                        note(&p.name.node, s, index, &mut out);
                        entry.entry(s.name.node.as_str()).or_default().extend(
                            s.rules
                                .iter()
                                .filter_map(|r| r.name.as_ref())
                                .map(|n| n.node.as_str()),
                        );
                    }
                }
                Item::Section(s) => {
                    note("global", s, index, &mut out);
                    global.entry(s.name.node.as_str()).or_default().extend(
                        s.rules
                            .iter()
                            .filter_map(|r| r.name.as_ref())
                            .map(|n| n.node.as_str()),
                    );
                }
                Item::Rule(_) | Item::Extend(_) => {}
            }
        }
    }
    for (index, (source, file)) in files.iter().enumerate() {
        for item in &file.items {
            let Item::Extend(e) = item else { continue };
            if e.global {
                for c in &e.also {
                    let err = OverlayError::MatchInGlobal {
                        span: c.span.into(),
                    };
                    out.push(PolicyDiagnostic::new(err, source));
                }
            }
            let found = if e.global {
                Some(&global)
            } else {
                names.get(e.provider.node.as_str())
            };
            let Some(rules) = found else {
                let help = match suggest::closest(&e.provider.node, names.keys().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`extend` adds to a provider defined in a loaded file (the shipped library or --policies); to add a new provider write `provider \"name\" { match … }`".into(),
                };
                out.push(PolicyDiagnostic::new(
                    OverlayError::UnknownProvider {
                        name: e.provider.node.clone(),
                        span: e.provider.span.into(),
                        help,
                    },
                    source,
                ));
                continue;
            };
            for s in &e.sections {
                note(&e.provider.node, s, index, &mut out);
            }
            for switch in &e.switches {
                let known = rules.values().flatten().copied();
                if known.clone().any(|n| n == switch.name.node) {
                    continue;
                }
                let mut all: Vec<&str> = known.collect();
                all.sort_unstable();
                all.dedup();
                let help = match suggest::closest(&switch.name.node, all.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if all.is_empty() => {
                        format!("`{}` has no named rules", e.provider.node)
                    }
                    None => format!("its named rules: {}", all.join(", ")),
                };
                out.push(PolicyDiagnostic::new(
                    OverlayError::UnknownRule {
                        name: switch.name.node.clone(),
                        provider: e.provider.node.clone(),
                        span: switch.name.span.into(),
                        help,
                    },
                    source,
                ));
            }
        }
    }
    out
}
