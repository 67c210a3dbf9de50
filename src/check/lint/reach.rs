//! `L004` rules that can never fire and `L005` rules that set one parameter
//! to different values under overlapping conditions.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use super::logic::{self, Facts, Logic, Tri};
use super::walk::{self, RuleList, RuleRef};
use super::{Raw, L004, L005};
use crate::check::action_keyword;
use crate::source::SourceFile;
use crate::syntax::ast::{Action, Cond, CondKind, File, Name, Operand, Test, Value};
use crate::syntax::visit::Visit;
use crate::vocab::Kind;

/// How many earlier rules a rule is compared with.
const LOOK_BACK: usize = 256;

/// Reasoning steps one rule may take (comparisons with earlier rules, and
/// within its own condition), so lint stays linear in the number of rules.
/// A rule that runs out is checked only partly; [`Budget`] says so.
const RULE_BUDGET: usize = 20_000;

/// Rules whose checks ran out of [`RULE_BUDGET`]: (file, span) of each.
pub(super) type Budget = Vec<(usize, crate::syntax::Span)>;

/// A rule's `when` and `if` conditions (both must hold).
type Conj<'a> = Vec<&'a Cond>;

pub(super) fn lint(
    files: &[SourceFile],
    trees: &[(usize, &File)],
    logic: &Logic<'_>,
    out: &mut Vec<Raw>,
    over_budget: &mut Budget,
) {
    // A top-level bare rule runs in both the authorize and the token list:
    // it is dead only when it is dead in both.
    let mut bare_dead: HashMap<(usize, usize), (usize, Raw)> = HashMap::new();
    let bare: HashSet<(usize, usize)> = trees
        .iter()
        .flat_map(|&(file, tree)| {
            tree.items.iter().filter_map(move |i| match i {
                crate::syntax::ast::Item::Rule(r) => Some((file, r.span.start)),
                _ => None,
            })
        })
        .collect();
    let mut conflicts = Vec::new();
    for list in walk::rule_lists(trees) {
        let mut found = Vec::new();
        let mut l = List::new(files, logic, &list, &bare);
        l.run(&mut found, &mut conflicts);
        for i in l.over_budget {
            if let Some(r) = list.rules.get(i) {
                over_budget.push((r.file, r.rule.action.span));
            }
        }
        for (key, raw) in found {
            if bare.contains(&key) {
                let entry = bare_dead.entry(key).or_insert((0, raw));
                entry.0 += 1;
            } else {
                out.push(raw);
            }
        }
    }
    out.extend(
        bare_dead
            .into_values()
            .filter(|(n, _)| *n >= 2)
            .map(|(_, raw)| raw),
    );
    // The same pair of bare rules conflicts in both lists: report it once.
    let mut seen = HashSet::new();
    for c in conflicts {
        if seen.insert((c.file, c.span.start)) {
            out.push(c);
        }
    }
    over_budget.sort_unstable_by_key(|(f, s)| (*f, s.start));
    over_budget.dedup();
}

struct List<'a, 'l, 'g> {
    files: &'a [SourceFile],
    logic: &'l Logic<'g>,
    list: &'l RuleList<'a>,
    /// Facts for each rule (bare rules see both rewrite kinds).
    facts: Vec<Facts>,
    conds: Vec<Conj<'a>>,
    dead: Vec<bool>,
    /// The budget of the rule being checked.
    budget: Cell<usize>,
    /// Rules that ran out of it.
    over_budget: Vec<usize>,
}

impl<'a, 'l, 'g> List<'a, 'l, 'g> {
    fn new(
        files: &'a [SourceFile],
        logic: &'l Logic<'g>,
        list: &'l RuleList<'a>,
        bare: &HashSet<(usize, usize)>,
    ) -> Self {
        let facts = list
            .rules
            .iter()
            .map(|r| {
                let kinds: &[Kind] = if bare.contains(&(r.file, r.rule.span.start)) {
                    &[Kind::Authorize, Kind::Token]
                } else {
                    std::slice::from_ref(&list.kind)
                };
                let facts = Facts::kinds(kinds);
                // Callback rules see the callback URL, not the request the
                // provider's `match` admitted.
                match list.provider {
                    Some((_, p)) if list.kind != Kind::Callback => facts.with_match(&p.matcher),
                    _ => facts,
                }
            })
            .collect();
        Self {
            files,
            logic,
            list,
            facts,
            conds: list
                .rules
                .iter()
                .map(|r| walk::rule_conds(r.rule))
                .collect(),
            dead: vec![false; list.rules.len()],
            budget: Cell::new(RULE_BUDGET),
            over_budget: Vec::new(),
        }
    }

    /// Takes `n` steps from the current rule's budget; false when it is spent.
    fn spend(&self, n: usize) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(n));
        left >= n
    }

    /// Records that rule `i` ran out of budget (once).
    fn note_budget(&mut self, i: usize) {
        if self.budget.get() == 0 && self.over_budget.last() != Some(&i) {
            self.over_budget.push(i);
        }
    }

    /// Every condition of `b` follows from `a` (or from the facts).
    fn implies_all(&self, a: &Conj<'_>, b: &Conj<'_>, facts: &Facts) -> bool {
        b.iter().all(|bc| {
            self.logic.eval(bc, facts) == Tri::True
                || a.iter()
                    .any(|ac| self.logic.implies_in(ac, bc, &self.budget))
        })
    }

    /// Whether two rules' conditions can never hold on the same request.
    fn exclusive(&self, a: &Conj<'_>, b: &Conj<'_>, facts: &Facts) -> bool {
        a.iter()
            .chain(b.iter())
            .any(|c| self.logic.eval(c, facts) == Tri::False)
            || a.iter()
                .any(|x| b.iter().any(|y| self.logic.disjoint_in(x, y, &self.budget)))
    }

    fn line(&self, r: &RuleRef<'_>) -> usize {
        self.files
            .get(r.file)
            .map_or(0, |f| f.line_col(r.rule.span.start).line)
    }

    fn run(&mut self, found: &mut Vec<((usize, usize), Raw)>, conflicts: &mut Vec<Raw>) {
        for i in 0..self.list.rules.len() {
            self.budget.set(RULE_BUDGET);
            let hit = self.never_true(i).or_else(|| self.shadowed(i));
            self.note_budget(i);
            if let Some(raw) = hit {
                if let Some(r) = self.list.rules.get(i) {
                    found.push(((r.file, r.rule.span.start), raw));
                }
                if let Some(d) = self.dead.get_mut(i) {
                    *d = true;
                }
            }
        }
        if self.list.kind != Kind::Callback {
            self.conflicts(conflicts);
        }
    }

    fn rule(&self, i: usize) -> Option<(&RuleRef<'a>, &Conj<'a>, &Facts)> {
        Some((
            self.list.rules.get(i)?,
            self.conds.get(i)?,
            self.facts.get(i)?,
        ))
    }

    /// A condition that is false on every request the rule can see.
    fn never_true(&self, i: usize) -> Option<Raw> {
        let (r, conds, facts) = self.rule(i)?;
        for c in conds {
            if self.logic.eval(c, facts) == Tri::False {
                let culprit = false_part(self.logic, c, facts);
                let mut raw = Raw::new(&L004, r.file, culprit.span, "this rule can never fire")
                    .label("never true here");
                raw = match self.list.provider {
                    Some((pf, p)) if mentions_only_kind(culprit) => raw.help(format!(
                        "rules in `{}` sections only see {} requests; move the rule or drop the condition",
                        self.list.kind.name(),
                        self.list.kind.name()
                    ))
                    .related(pf, p.name.span, "in this provider"),
                    Some((pf, p)) => raw
                        .help("the provider's `match` already rules this out; fix the condition or move the rule to the provider it is meant for")
                        .related(pf, p.matcher.span, "every request here satisfies this `match`"),
                    None => raw.help(format!(
                        "this rule only sees {} requests; fix the condition",
                        kinds_words(facts)
                    )),
                };
                return Some(raw);
            }
        }
        let atoms: Vec<&Cond> = conds.iter().flat_map(|c| conjuncts(c)).collect();
        for (x, a) in atoms.iter().enumerate() {
            for b in atoms.iter().skip(x + 1) {
                if !self.spend(1) {
                    return None;
                }
                if self.logic.disjoint_in(a, b, &self.budget) {
                    return Some(
                        Raw::new(&L004, r.file, b.span, "this rule can never fire")
                            .label("contradicts the condition before it")
                            .related(r.file, a.span, "this cannot hold at the same time")
                            .help("the two conditions exclude each other; one of them is wrong"),
                    );
                }
            }
        }
        None
    }

    /// An earlier rule that always ends evaluation (or decides the callback)
    /// before this one.
    fn shadowed(&self, i: usize) -> Option<Raw> {
        let (r, conds, facts) = self.rule(i)?;
        // Looking back a bounded way keeps a huge section linear.
        for j in (i.saturating_sub(LOOK_BACK)..i).rev() {
            if self.dead.get(j).copied().unwrap_or(true) {
                continue;
            }
            if !self.spend(1) {
                return None;
            }
            let (earlier, econds, _) = self.rule(j)?;
            let keyword = action_keyword(&earlier.rule.action.node);
            let ends = if self.list.kind == Kind::Callback {
                matches!(earlier.rule.action.node, Action::Classify(_))
            } else {
                matches!(earlier.rule.action.node, Action::Deny(_) | Action::Stop)
            };
            if !ends {
                continue;
            }
            let always = econds
                .iter()
                .all(|c| self.logic.eval(c, facts) == Tri::True);
            let covered = always
                || (self.implies_all(conds, econds, facts)
                    && self.spend(i - j)
                    && self.untouched(j, i, conds, econds));
            if !covered {
                continue;
            }
            let line = self.line(earlier);
            let what = if self.list.kind == Kind::Callback {
                format!(
                    "the `classify` rule at line {line} decides every callback this one matches"
                )
            } else if always {
                format!("the `{keyword}` rule at line {line} always ends evaluation first")
            } else {
                format!("the `{keyword}` rule at line {line} ends evaluation whenever this rule's condition holds")
            };
            return Some(
                Raw::new(
                    &L004,
                    r.file,
                    r.rule.action.span,
                    "this rule can never fire",
                )
                .label("never reached")
                .related(
                    earlier.file,
                    earlier.rule.action.span,
                    if self.list.kind == Kind::Callback {
                        "decides first"
                    } else {
                        "evaluation ends here first"
                    },
                )
                .help(format!(
                    "{what}; move this rule above it or narrow the earlier condition"
                )),
            );
        }
        None
    }

    /// Whether no rule strictly between `j` and `i` writes a parameter the
    /// conditions of `i` or `j` read (so both are read on the same values).
    fn untouched(&self, j: usize, i: usize, a: &Conj<'_>, b: &Conj<'_>) -> bool {
        let mut read = Vec::new();
        for c in a.iter().chain(b.iter()) {
            logic::reads(c, &mut read);
        }
        (j + 1..i).all(|k| {
            self.list
                .rules
                .get(k)
                .is_none_or(|r| match writes(&r.rule.action.node) {
                    Some(w) => !w.iter().any(|p| read.contains(p)),
                    None => read.is_empty(),
                })
        })
    }

    /// Pairs of `set` (or of `default`) rules on one parameter with
    /// different values whose conditions can hold together.
    fn conflicts(&mut self, out: &mut Vec<Raw>) {
        for i in 0..self.list.rules.len() {
            self.budget.set(RULE_BUDGET);
            self.conflict(i, out);
            self.note_budget(i);
        }
    }

    /// The first earlier rule that conflicts with rule `i`, reported.
    fn conflict(&self, i: usize, out: &mut Vec<Raw>) {
        {
            let Some((ri, ci, fi)) = self.rule(i) else {
                return;
            };
            let Some((pi, vi, set_i)) = assignment(&ri.rule.action.node) else {
                return;
            };
            if self.dead.get(i).copied().unwrap_or(true) {
                return;
            }
            for j in i.saturating_sub(LOOK_BACK)..i {
                if !self.spend(1) {
                    return;
                }
                let Some((rj, cj, _)) = self.rule(j) else {
                    continue;
                };
                let Some((pj, vj, set_j)) = assignment(&rj.rule.action.node) else {
                    continue;
                };
                if self.dead.get(j).copied().unwrap_or(true)
                    || pi.node != pj.node
                    || set_i != set_j
                    || vi == vj
                    || self.exclusive(ci, cj, fi)
                {
                    continue;
                }
                let word = if set_i { "set" } else { "default" };
                let line = self.line(rj);
                let (effect, fix) = if set_i {
                    (
                        "the later value wins",
                        "make the conditions exclusive or drop one rule",
                    )
                } else {
                    (
                        "the later one never applies where both hold",
                        "make the conditions exclusive or drop one rule",
                    )
                };
                out.push(
                    Raw::new(
                        &L005,
                        ri.file,
                        ri.rule.action.span,
                        format!("`{}` is given two different values", pi.node),
                    )
                    .label(format!("`{word}` here"))
                    .related(rj.file, rj.rule.action.span, format!("and at line {line}"))
                    .help(format!(
                        "both rules can apply to one request and {effect}; {fix}"
                    )),
                );
                break;
            }
        }
    }
}

/// `set P = V` / `default P = V`: (P, V, is_set).
fn assignment(a: &Action) -> Option<(&Name, &Value, bool)> {
    match a {
        Action::Set(p, v) => Some((p, v, true)),
        Action::Default(p, v) => Some((p, v, false)),
        _ => None,
    }
}

/// The parameters an action may change (`None`: possibly any).
fn writes(a: &Action) -> Option<Vec<&str>> {
    Some(match a {
        Action::Drop(p)
        | Action::Set(p, _)
        | Action::Default(p, _)
        | Action::Add(_, p)
        | Action::Remove(_, p)
        | Action::Convert(p, _)
        | Action::Dedupe(p) => vec![p.node.as_str()],
        Action::Rename(p, q) => vec![p.node.as_str(), q.node.as_str()],
        Action::DropEmpty(_) => return None,
        Action::Deny(_) | Action::DenyRepeated(_) | Action::Stop | Action::Classify(_) => {
            Vec::new()
        }
    })
}

/// The top-level `and` parts of a condition.
fn conjuncts(c: &Cond) -> Vec<&Cond> {
    match &c.node {
        CondKind::And(parts) => parts.iter().flat_map(conjuncts).collect(),
        _ => vec![c],
    }
}

/// The smallest part of a false condition that is itself false.
fn false_part<'c>(logic: &Logic<'_>, c: &'c Cond, facts: &Facts) -> &'c Cond {
    match &c.node {
        CondKind::And(parts) => parts
            .iter()
            .find(|p| logic.eval(p, facts) == Tri::False)
            .map_or(c, |p| false_part(logic, p, facts)),
        _ => c,
    }
}

/// Whether a condition tests only `kind`.
fn mentions_only_kind(c: &Cond) -> bool {
    struct OnlyKind(bool);
    impl<'a> Visit<'a> for OnlyKind {
        fn visit_test(&mut self, op: &'a Operand, _: Option<&'a Test>) {
            self.0 &= matches!(op, Operand::Name(n) if n.node == "kind");
        }
    }
    let mut only = OnlyKind(true);
    only.visit_cond(c);
    only.0
}

fn kinds_words(facts: &Facts) -> String {
    facts
        .values(crate::vocab::Attr::Kind)
        .map(|v| v.join(" and "))
        .unwrap_or_default()
}
