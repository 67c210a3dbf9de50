//! The third layer: checked AST → IR with prebuilt regexes and a host index.

pub mod host_index;
pub mod ir;
mod regexes;

use regex::Regex;

use crate::check::{invalid_regex, CheckError, OverlayError};
use crate::source::{PolicyDiagnostic, SourceFile};
use crate::syntax::ast::{self, CondKind, Operand, Part, Test};
use crate::syntax::Span;
use crate::vocab::{Attr, Category, Kind};
use host_index::{host_key, host_key_any, shared_host, HostIndex};
use ir::{
    Action, Check, Cond, Matcher, Piece, Provider, Rule, Sections, Sep, Subject, Template, TextRef,
};
pub(crate) use regexes::Regexes;
pub use regexes::{
    RegexLimits, MAX_PATTERNS as REGEX_MAX_PATTERNS, PATTERN_LIMIT as REGEX_PATTERN_LIMIT,
    POLICY_LIMIT as REGEX_POLICY_LIMIT,
};

/// A compiled policy: what `Policy` evaluates.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// Provider blocks in load order.
    pub providers: Vec<Provider>,
    /// Rules outside any provider, run before the provider's own.
    pub global: Sections,
    /// Host → candidate providers.
    pub index: HostIndex,
}

/// Compiles checked files into a program: provider blocks and global rules
/// first, in load order, then every `extend` block applied to its provider.
pub fn compile(files: &[(SourceFile, ast::File)]) -> Result<Program, Vec<PolicyDiagnostic>> {
    compile_with(files, RegexLimits::default())
}

/// [`compile`] with other regex limits (tests use small ones).
pub fn compile_with(
    files: &[(SourceFile, ast::File)],
    limits: RegexLimits,
) -> Result<Program, Vec<PolicyDiagnostic>> {
    compile_in(files, &mut Regexes::new(limits))
}

/// [`compile`], building regexes into `regexes`, which keeps them for
/// whoever needs the same patterns next (the lint rules of an analysis).
pub(crate) fn compile_in(
    files: &[(SourceFile, ast::File)],
    regexes: &mut Regexes,
) -> Result<Program, Vec<PolicyDiagnostic>> {
    let mut program = Program::default();
    let mut errors = Vec::new();
    for (source, file) in files {
        let mut c = Compiler::new(source, regexes);
        for item in &file.items {
            match item {
                ast::Item::Provider(p) => {
                    let matcher = Matcher {
                        cond: c.cond(&p.matcher),
                        location: source.location(p.matcher.span),
                        text: c.text(p.matcher.span),
                    };
                    let mut sections = Sections::default();
                    for s in &p.sections {
                        c.section(&p.name.node, s, &mut sections);
                    }
                    if source.layer > 0 {
                        c.shadowing(&program, None, &matcher.cond, p.matcher.span);
                    }
                    program.providers.push(Provider {
                        name: p.name.node.clone(),
                        shared_name: p.name.node.as_str().into(),
                        matchers: vec![matcher],
                        sections,
                        location: source.location(p.span),
                    });
                }
                ast::Item::Section(s) => c.section("global", s, &mut program.global),
                ast::Item::Rule(r) => {
                    for kind in [Kind::Authorize, Kind::Token] {
                        let rules = program.global.get_mut(kind);
                        let id = rule_id("global", kind, r, rules.len());
                        let rule = c.rule(id, r);
                        program.global.get_mut(kind).push(rule);
                    }
                }
                ast::Item::Extend(_) => {}
            }
        }
        errors.extend(c.finish());
    }
    for (source, file) in files {
        let mut c = Compiler::new(source, regexes);
        for item in &file.items {
            if let ast::Item::Extend(e) = item {
                c.extend(&mut program, e);
            }
        }
        errors.extend(c.finish());
    }
    errors.extend(regexes.budget_error.take());
    if !errors.is_empty() {
        return Err(errors);
    }
    let keys: Vec<_> = program
        .providers
        .iter()
        .map(|p| host_key_any(p.matchers.iter().map(|m| &m.cond)))
        .collect();
    program.index = match HostIndex::build(&keys) {
        Ok(index) => index,
        Err(e) => {
            // Each pattern compiled alone, so only the set's size can fail.
            let source = files.first().map(|(s, _)| s.clone());
            let diag = source
                .map(|s| PolicyDiagnostic::new(invalid_regex(&e.to_string(), Span::default()), &s));
            return Err(diag.into_iter().collect());
        }
    };
    Ok(program)
}

/// `OWNER/SECTION/NAME` for a named rule, else `OWNER/SECTION#N`.
fn rule_id(owner: &str, kind: Kind, r: &ast::Rule, before: usize) -> String {
    match &r.name {
        Some(n) => format!("{owner}/{}/{}", kind.name(), n.node),
        None => format!("{owner}/{}#{}", kind.name(), before + 1),
    }
}

struct Compiler<'a> {
    source: &'a SourceFile,
    errors: Vec<CheckError>,
    overlay_errors: Vec<OverlayError>,
    regexes: &'a mut Regexes,
}

impl<'a> Compiler<'a> {
    fn new(source: &'a SourceFile, regexes: &'a mut Regexes) -> Self {
        Self {
            source,
            errors: Vec::new(),
            overlay_errors: Vec::new(),
            regexes,
        }
    }

    /// The errors found, located in this compiler's file.
    fn finish(self) -> Vec<PolicyDiagnostic> {
        let source = self.source;
        self.errors
            .into_iter()
            .map(|e| PolicyDiagnostic::new(e, source))
            .chain(
                self.overlay_errors
                    .into_iter()
                    .map(|e| PolicyDiagnostic::new(e, source)),
            )
            .collect()
    }

    fn section(&mut self, owner: &str, s: &ast::Section, into: &mut Sections) {
        let Some(kind) = Kind::from_name(&s.name.node) else {
            return;
        };
        for r in &s.rules {
            let id = rule_id(owner, kind, r, into.get(kind).len());
            let rule = self.rule(id, r);
            into.get_mut(kind).push(rule);
        }
    }

    /// Applies an `extend` block: alternative matches, switches, then rules
    /// appended to the provider's (or, for `extend global`, the global)
    /// sections. `check` made sure the provider and every switched name exist.
    fn extend(&mut self, program: &mut Program, e: &ast::Extension) {
        if e.global {
            let mut sections = std::mem::take(&mut program.global);
            self.extend_sections(e, &mut sections);
            program.global = sections;
            return;
        }
        let Some(index) = program
            .providers
            .iter()
            .position(|p| p.name == e.provider.node)
        else {
            return;
        };
        for also in &e.also {
            let cond = self.cond(also);
            self.shadowing(program, Some(index), &cond, also.span);
            if let Some(p) = program.providers.get_mut(index) {
                p.matchers.push(Matcher {
                    cond,
                    location: self.source.location(also.span),
                    text: self.text(also.span),
                });
            }
        }
        if let Some(p) = program.providers.get_mut(index) {
            let mut sections = std::mem::take(&mut p.sections);
            self.extend_sections(e, &mut sections);
            p.sections = sections;
        }
    }

    /// An extension's switches, then its rules, on one set of sections.
    fn extend_sections(&mut self, e: &ast::Extension, sections: &mut Sections) {
        for switch in &e.switches {
            let at = self.source.location(switch.span);
            for kind in Kind::ALL {
                for rule in sections.get_mut(kind) {
                    if rule.name.as_deref() == Some(switch.name.node.as_str()) {
                        rule.enabled = switch.on;
                        rule.switched_at = Some(at.clone());
                    }
                }
            }
        }
        for s in &e.sections {
            self.section(&e.provider.node, s, sections);
        }
    }

    /// Refuses an overlay `match` that would take a host another provider
    /// (not `owner`) already matches: an overlay adds hosts, it never
    /// captures someone else's.
    fn shadowing(&mut self, program: &Program, owner: Option<usize>, cond: &Cond, span: Span) {
        let mine = host_key(cond);
        for (i, other) in program.providers.iter().enumerate() {
            if Some(i) == owner {
                continue;
            }
            let theirs = host_key_any(other.matchers.iter().map(|m| &m.cond));
            if let Some(host) = shared_host(&mine, &theirs) {
                let help = format!(
                    "`{host}` belongs to `{}` ({}); to change how that provider treats it, write `extend provider \"{}\" {{ … }}`; to add a new provider, give it hosts no other provider matches",
                    other.name, other.location, other.name
                );
                self.overlay_errors.push(OverlayError::ShadowedHost {
                    host,
                    owner: other.name.clone(),
                    span: span.into(),
                    help,
                });
                return;
            }
        }
    }

    fn rule(&mut self, id: String, r: &ast::Rule) -> Rule {
        let when = r.when.as_ref().map(|c| self.cond(c));
        let guard = r.guard.as_ref().map(|c| self.cond(c));
        let cond = match (when, guard) {
            (Some(a), Some(b)) => Some(Cond::And(vec![a, b])),
            (a, b) => a.or(b),
        };
        Rule {
            id: id.into(),
            name: r.name.as_ref().map(|n| n.node.clone()),
            enabled: !r.optional,
            switched_at: None,
            cond,
            action: self.action(&r.action.node),
            location: self.source.location(r.span),
            text: self.text(r.span),
        }
    }

    /// Where the text at `span` of this compiler's file is.
    fn text(&self, span: Span) -> TextRef {
        TextRef {
            file: self.source.index(),
            span,
        }
    }

    fn action(&mut self, a: &ast::Action) -> Action {
        use ast::Action as A;
        let name = |n: &ast::Name| n.node.clone();
        let names = |ns: &[ast::Name]| ns.iter().map(|n| n.node.clone()).collect();
        match a {
            A::Drop(p) => Action::Drop(name(p)),
            A::DropEmpty(except) => Action::DropEmpty(names(except)),
            A::Set(p, v) => Action::Set(name(p), self.template(v)),
            A::Default(p, v) => Action::Default(name(p), self.template(v)),
            A::Rename(p, q) => Action::Rename(name(p), name(q)),
            A::Add(v, p) => Action::Add(self.template(v), name(p)),
            A::Remove(v, p) => Action::Remove(self.template(v), name(p)),
            A::Convert(p, sep) => Action::Convert(
                name(p),
                match sep {
                    ast::Separator::Comma => Sep::Comma,
                    ast::Separator::Space => Sep::Space,
                },
            ),
            A::Dedupe(p) => Action::Dedupe(name(p)),
            A::Deny(v) => Action::Deny(self.template(v)),
            A::DenyRepeated(except) => Action::DenyRepeated(names(except)),
            A::Stop => Action::Stop,
            A::Classify(c) => Action::Classify {
                category: Category::from_name(&c.category.node).unwrap_or(Category::UnknownError),
                retryable: c.retryable.as_ref().map(|r| r.node),
                hint: c.hint.as_ref().map(|h| self.template(h)),
            },
        }
    }

    fn template(&mut self, v: &ast::Value) -> Template {
        Template {
            parts: v
                .parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => Piece::Text(t.clone()),
                    Part::Var(n) => Piece::Var(subject(&n.node)),
                })
                .collect(),
        }
    }

    fn cond(&mut self, c: &ast::Cond) -> Cond {
        lower_cond(c, &mut |v, ci| self.regex(v, ci))
    }

    fn regex(&mut self, v: &ast::Literal, case_insensitive: bool) -> Option<Regex> {
        match self
            .regexes
            .get(&v.text, case_insensitive, v.span, self.source)
        {
            Ok(re) => Some(re),
            Err(e) => {
                self.errors.extend(e);
                None
            }
        }
    }
}

/// A condition as the evaluator runs it, its regexes from `regex` (pattern,
/// case-insensitive). The one lowering: the loader compiles with it, and the
/// lint rules reason with the checks it makes.
pub(crate) fn lower_cond(
    c: &ast::Cond,
    regex: &mut impl FnMut(&ast::Literal, bool) -> Option<Regex>,
) -> Cond {
    match &c.node {
        CondKind::Or(list) => Cond::Or(list.iter().map(|c| lower_cond(c, regex)).collect()),
        CondKind::And(list) => Cond::And(list.iter().map(|c| lower_cond(c, regex)).collect()),
        CondKind::Not(inner) => Cond::Not(Box::new(lower_cond(inner, regex))),
        CondKind::Test(operand, test) => {
            let subject = match operand {
                Operand::Name(n) => subject(&n.node),
                Operand::Param(n) => Subject::Param(n.node.clone()),
                Operand::Repeated(n) => return Cond::Repeated(n.node.clone()),
                Operand::Empty(n) => return Cond::Empty(n.node.clone()),
            };
            let Some(test) = test else {
                return Cond::Present(subject);
            };
            let is_host = matches!(subject, Subject::Attr(Attr::Host));
            let Some((check, negated)) = lower_test(is_host, test, regex) else {
                return never();
            };
            let cond = Cond::Test(subject, check);
            if negated {
                Cond::Not(Box::new(cond))
            } else {
                cond
            }
        }
    }
}

/// A test as the check the evaluator runs, and whether its result is
/// negated (`!=`, `!~`); `None` when a regex does not build.
pub(crate) fn lower_test(
    is_host: bool,
    test: &Test,
    regex: &mut impl FnMut(&ast::Literal, bool) -> Option<Regex>,
) -> Option<(Check, bool)> {
    let text = |v: &ast::Literal| literal_text(is_host, v);
    let check = match test {
        Test::Eq(v) | Test::Ne(v) => Check::Eq(text(v)),
        // Hosts are matched case-insensitively, like they compare.
        Test::Matches(v) | Test::NotMatches(v) => Check::Matches(regex(v, is_host)?),
        Test::In(vs) => Check::In(vs.iter().map(text).collect()),
        Test::Within(vs) => Check::Within(vs.iter().map(text).collect()),
        Test::Contains(v) => Check::Contains(text(v)),
        Test::ContainsMatch(v) => Check::ContainsMatch(regex(v, false)?),
    };
    Some((check, matches!(test, Test::Ne(_) | Test::NotMatches(_))))
}

/// A literal's text as the evaluator compares it (a host normalised).
pub(crate) fn literal_text(is_host: bool, v: &ast::Literal) -> String {
    if is_host {
        normalize_host(&v.text)
    } else {
        v.text.clone()
    }
}

/// A condition that never holds: stands in for one whose regex failed to
/// build (the program is discarded anyway because an error was recorded).
fn never() -> Cond {
    Cond::Or(Vec::new())
}

/// An attribute if `name` is one, else a parameter.
fn subject(name: &str) -> Subject {
    Attr::from_name(name).map_or_else(|| Subject::Param(name.to_string()), Subject::Attr)
}

/// Lower-case, without one trailing dot: how hosts are compared.
pub fn normalize_host(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}
