//! A policy's regexes, built within one budget: a policy from a pull request
//! must not be able to make the loader (or a restarting daemon) spend
//! seconds and gigabytes compiling regexes.
//!
//! Each distinct pattern (with its case flag) is built once and shared by
//! every test that uses it. Before building, its Thompson NFA is compiled
//! alone with a size limit (cheap, and it stops as soon as the limit is
//! reached); its size is charged to the policy's budget, which also caps the
//! number of distinct patterns. A pattern over its own limit is `E030`; the first
//! pattern that does not fit the policy's budget is `E031`, which names the
//! largest pattern seen, and no further pattern is built.

use std::collections::HashMap;

use regex::{Regex, RegexBuilder};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

use crate::check::{invalid_regex, CheckError};
use crate::source::{PolicyDiagnostic, SourceFile};
use crate::syntax::Span;

/// The largest compiled NFA one pattern may have, in bytes. Real host and
/// path patterns take a few KiB; a Unicode class repeated many times
/// (`\w{1,100}`) does not fit.
pub const PATTERN_LIMIT: usize = 512 * 1024;

/// The budget of the whole policy, in bytes of compiled NFA. Building a
/// regex from its NFA takes about 0.1 µs and 8 bytes per NFA byte, so this
/// keeps large patterns under ~0.7 s and ~50 MB. A pattern refused for its
/// size is charged [`PATTERN_LIMIT`] (measuring it took that much work), so a
/// file of oversized patterns stops early too.
pub const POLICY_LIMIT: usize = 6 * 1024 * 1024;

/// The most distinct patterns a policy may have: even a tiny regex takes
/// ~40 µs and ~15 KB to build, so this keeps many small ones under ~0.4 s
/// and ~150 MB (the 10 000-provider benchmark has about 2 000).
pub const MAX_PATTERNS: usize = 10_000;

/// The limits a policy's regexes are built within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegexLimits {
    /// Largest compiled NFA of one pattern, in bytes (`E030` past it).
    pub pattern_bytes: usize,
    /// Budget of the whole policy, in bytes (`E031` past it).
    pub policy_bytes: usize,
    /// Most distinct patterns (`E031` past it).
    pub max_patterns: usize,
}

impl Default for RegexLimits {
    fn default() -> Self {
        Self {
            pattern_bytes: PATTERN_LIMIT,
            policy_bytes: POLICY_LIMIT,
            max_patterns: MAX_PATTERNS,
        }
    }
}

/// The lazy DFA cache of one regex (allocated when it first matches).
const DFA_LIMIT: usize = 256 * 1024;

/// The largest pattern measured so far.
struct Worst {
    cost: usize,
    file: SourceFile,
    span: Span,
}

/// The regexes of one policy being compiled.
pub(crate) struct Regexes {
    limits: RegexLimits,
    built: HashMap<(String, bool), Regex>,
    spent: usize,
    count: usize,
    worst: Option<Worst>,
    exhausted: bool,
    /// `E031`, located in the worst pattern's file.
    pub(crate) budget_error: Option<PolicyDiagnostic>,
}

impl Regexes {
    /// No regex built yet.
    pub(crate) fn new(limits: RegexLimits) -> Self {
        Self {
            limits,
            built: HashMap::new(),
            spent: 0,
            count: 0,
            worst: None,
            exhausted: false,
            budget_error: None,
        }
    }

    /// The regex for `pattern`, built or shared; `Err(None)` when the
    /// budget ran out earlier (already reported).
    pub(crate) fn get(
        &mut self,
        pattern: &str,
        case_insensitive: bool,
        span: Span,
        file: &SourceFile,
    ) -> Result<Regex, Option<CheckError>> {
        let key = (pattern.to_string(), case_insensitive);
        if let Some(re) = self.built.get(&key) {
            return Ok(re.clone());
        }
        if self.exhausted {
            return Err(None);
        }
        let nfa = thompson::Compiler::new()
            .syntax(syntax::Config::new().case_insensitive(case_insensitive))
            .configure(thompson::Config::new().nfa_size_limit(Some(self.limits.pattern_bytes)))
            .build(pattern);
        let (cost, too_large) = match nfa {
            Ok(nfa) => (nfa.memory_usage(), false),
            Err(e) if e.size_limit().is_some() => (self.limits.pattern_bytes, true),
            Err(e) => return Err(Some(invalid_regex(&e.to_string(), span))),
        };
        if self.worst.as_ref().is_none_or(|w| cost > w.cost) {
            self.worst = Some(Worst {
                cost,
                file: file.clone(),
                span,
            });
        }
        self.count += 1;
        if self.spent + cost > self.limits.policy_bytes || self.count > self.limits.max_patterns {
            self.exhausted = true;
            self.budget_error = self.worst.as_ref().map(|w| {
                let err = CheckError::RegexBudget {
                    span: w.span.into(),
                    size: w.cost.div_ceil(1024),
                    limit: self.limits.policy_bytes.div_ceil(1024 * 1024),
                    patterns: self.limits.max_patterns,
                    help: format!(
                        "the budget ran out at {} (pattern {}); this is the largest pattern: simplify it (e.g. an ASCII class `[a-z0-9_]` for `\\w`), or use fewer distinct patterns (identical ones are shared)",
                        file.location(span),
                        self.count
                    ),
                };
                PolicyDiagnostic::new(err, &w.file)
            });
            return Err(None);
        }
        self.spent += cost;
        if too_large {
            return Err(Some(CheckError::RegexTooLarge {
                span: span.into(),
                limit: self.limits.pattern_bytes.div_ceil(1024),
            }));
        }
        let re = RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .size_limit(2 * self.limits.pattern_bytes)
            .dfa_size_limit(DFA_LIMIT)
            .build()
            .map_err(|e| Some(invalid_regex(&e.to_string(), span)))?;
        self.built.insert(key, re.clone());
        Ok(re)
    }
}

impl Regexes {
    /// The regex for `pattern` if it builds within the budget, built once
    /// and shared with the load (the lint rules reason with the loader's
    /// own regexes; a pattern that does not build keeps them quiet, and the
    /// load reports it).
    pub(crate) fn lookup(&mut self, pattern: &str, case_insensitive: bool) -> Option<Regex> {
        let key = (pattern.to_string(), case_insensitive);
        if let Some(re) = self.built.get(&key) {
            return Some(re.clone());
        }
        let nowhere = SourceFile::new("", "");
        self.get(pattern, case_insensitive, Span::default(), &nowhere)
            .ok()
    }
}
