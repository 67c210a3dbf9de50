//! Reasoning about conditions for the lint rules: evaluation under known
//! facts, implication and disjointness. Sound but incomplete: `true` means
//! proven, `false` means "not proven" (the rules then stay quiet).

use std::cell::{Cell, RefCell};

use regex::Regex;

use crate::compile::{literal_text, lower_cond, lower_test, Regexes};
use crate::eval::cond::check_value;
use crate::syntax::ast::{Cond, CondKind, Literal, Operand, Test};
use crate::syntax::visit::Visit;
use crate::vocab::{Attr, Kind};

/// A three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// The reasoning of one lint run. It holds the analysis's regexes (the
/// table the load compiled into), so a pattern is built once per analysis
/// and the rules reason with exactly the regexes the evaluator runs.
pub(super) struct Logic<'r> {
    regexes: RefCell<&'r mut Regexes>,
}

impl<'r> Logic<'r> {
    /// Reasoning with (and adding to) `regexes`.
    pub(super) fn new(regexes: &'r mut Regexes) -> Self {
        Self {
            regexes: RefCell::new(regexes),
        }
    }
}

/// What is known about the attributes of every request a rule sees.
#[derive(Debug, Clone, Default)]
pub(super) struct Facts {
    /// The attribute is one of these values.
    one_of: Vec<(Attr, Vec<String>)>,
    /// The attribute matches this regex.
    matches: Vec<(Attr, String)>,
}

impl Facts {
    /// The request kinds a rule can see.
    pub(super) fn kinds(kinds: &[Kind]) -> Facts {
        Facts {
            one_of: vec![(
                Attr::Kind,
                kinds.iter().map(|k| k.name().to_string()).collect(),
            )],
            matches: Vec::new(),
        }
    }

    /// Adds what a provider's `match` guarantees: its top-level `and` parts
    /// that test an attribute (`match` sees the request as received, and no
    /// rule changes attributes).
    pub(super) fn with_match(mut self, matcher: &Cond) -> Facts {
        let parts = match &matcher.node {
            CondKind::And(parts) => parts.iter().collect(),
            _ => vec![matcher],
        };
        for part in parts {
            if let Some((attr, values)) = one_of(part) {
                self.one_of.push((attr, values));
            } else if let CondKind::Test(Operand::Name(n), Some(Test::Matches(v))) = &part.node {
                if let Some(attr) = Attr::from_name(&n.node) {
                    self.matches.push((attr, v.text.clone()));
                }
            }
        }
        self
    }

    /// The values `attr` can have, when known.
    pub(super) fn values(&self, attr: Attr) -> Option<&[String]> {
        self.one_of
            .iter()
            .find(|(a, _)| *a == attr)
            .map(|(_, v)| v.as_slice())
    }
}

/// `attr == v`, `attr in [..]`, or an `or` of those on one attribute.
fn one_of(c: &Cond) -> Option<(Attr, Vec<String>)> {
    match &c.node {
        CondKind::Test(Operand::Name(n), Some(t)) => {
            let attr = Attr::from_name(&n.node)?;
            let values = match t {
                Test::Eq(v) => vec![text(attr, v)?],
                Test::In(vs) => vs.iter().map(|v| text(attr, v)).collect::<Option<_>>()?,
                _ => return None,
            };
            Some((attr, values))
        }
        CondKind::Or(parts) => {
            let mut attr = None;
            let mut all = Vec::new();
            for p in parts {
                let (a, vs) = one_of(p)?;
                if attr.is_some_and(|x| x != a) {
                    return None;
                }
                attr = Some(a);
                all.extend(vs);
            }
            Some((attr?, all))
        }
        _ => None,
    }
}

/// A value's text as the evaluator compares it (hosts normalised).
fn text(attr: Attr, v: &Literal) -> Option<String> {
    Some(literal_text(attr == Attr::Host, v))
}

/// What a test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject<'a> {
    Attr(Attr),
    Param(&'a str),
}

pub(super) fn subject(op: &Operand) -> Option<Subject<'_>> {
    match op {
        Operand::Name(n) => {
            Some(Attr::from_name(&n.node).map_or(Subject::Param(n.node.as_str()), Subject::Attr))
        }
        Operand::Param(n) => Some(Subject::Param(n.node.as_str())),
        Operand::Repeated(_) | Operand::Empty(_) => None,
    }
}

/// The positive test behind `!=` and `!~`.
fn positive(t: &Test) -> Option<Test> {
    match t {
        Test::Ne(v) => Some(Test::Eq(v.clone())),
        Test::NotMatches(v) => Some(Test::Matches(v.clone())),
        _ => None,
    }
}

/// How many steps one `implies` or `disjoint` question may take: deeply
/// nested `and`/`or` trees could otherwise take exponential time. Running out
/// answers "not proven", which keeps every rule quiet.
const BUDGET: usize = 4096;

fn spend(budget: &Cell<usize>) -> bool {
    let left = budget.get();
    budget.set(left.saturating_sub(1));
    left > 0
}

/// When both operands read the same subject: `Some(attribute)` for an
/// attribute, `Some(None)` for a parameter; `None` when they differ.
fn common_subject(oa: &Operand, ob: &Operand) -> Option<Option<Attr>> {
    let (sa, sb) = (subject(oa)?, subject(ob)?);
    if sa != sb {
        return None;
    }
    Some(match sa {
        Subject::Attr(a) => Some(a),
        Subject::Param(_) => None,
    })
}

/// The values a test admits, when there are finitely many.
fn finite(attr: Option<Attr>, t: Option<&Test>) -> Option<Vec<String>> {
    let lit = |v: &Literal| match attr {
        Some(a) => text(a, v),
        None => Some(v.text.clone()),
    };
    match t {
        Some(Test::Eq(v)) => Some(vec![lit(v)?]),
        Some(Test::In(vs)) => vs.iter().map(lit).collect(),
        _ => None,
    }
}

impl Logic<'_> {
    /// A pattern as the loader builds it, from the analysis's table; `None`
    /// when it does not build or does not fit the budget, which makes the
    /// rules that need it stay quiet.
    fn regex(&self, pattern: &str, case_insensitive: bool) -> Option<Regex> {
        self.regexes.borrow_mut().lookup(pattern, case_insensitive)
    }

    /// A condition lowered as the loader lowers it, with the analysis's regexes.
    pub(super) fn lower(&self, c: &Cond) -> crate::compile::ir::Cond {
        lower_cond(c, &mut |v: &Literal, ci: bool| self.regex(&v.text, ci))
    }

    /// Whether `test` holds on a present value, by the check the evaluator
    /// runs for it; `None` when a regex does not build.
    fn check_holds(&self, attr: Option<Attr>, test: &Test, val: &str) -> Option<bool> {
        let mut re = |v: &Literal, ci: bool| self.regex(&v.text, ci);
        let (check, negated) = lower_test(attr == Some(Attr::Host), test, &mut re)?;
        Some(check_value(&check, val) != negated)
    }

    /// Whether `test` holds for a present subject with value `val`; `None` when
    /// it cannot be told (a regex that does not build).
    fn holds_on(&self, attr: Option<Attr>, test: Option<&Test>, val: &str) -> Option<bool> {
        match test {
            None => Some(!val.is_empty()),
            Some(t) => self.check_holds(attr, t, val),
        }
    }

    /// A condition's truth on every request the facts describe.
    pub(super) fn eval(&self, c: &Cond, facts: &Facts) -> Tri {
        match &c.node {
            CondKind::And(parts) => {
                let mut all = Tri::True;
                for p in parts {
                    match self.eval(p, facts) {
                        Tri::False => return Tri::False,
                        Tri::Unknown => all = Tri::Unknown,
                        Tri::True => {}
                    }
                }
                all
            }
            CondKind::Or(parts) => {
                let mut any = Tri::False;
                for p in parts {
                    match self.eval(p, facts) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => any = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                any
            }
            CondKind::Not(inner) => self.eval(inner, facts).not(),
            CondKind::Test(op, test) => match subject(op) {
                Some(Subject::Attr(attr)) => self.eval_attr(attr, test.as_ref(), facts),
                _ => Tri::Unknown,
            },
        }
    }

    fn eval_attr(&self, attr: Attr, test: Option<&Test>, facts: &Facts) -> Tri {
        if let Some(values) = facts.values(attr) {
            let mut seen_true = false;
            let mut seen_false = false;
            for v in values {
                match self.holds_on(Some(attr), test, v) {
                    Some(true) => seen_true = true,
                    Some(false) => seen_false = true,
                    None => return Tri::Unknown,
                }
            }
            return match (seen_true, seen_false) {
                (true, false) => Tri::True,
                (false, true) => Tri::False,
                _ => Tri::Unknown,
            };
        }
        // A value the attribute's known pattern refuses can never be equal to it.
        let candidates: Vec<String> = match test {
            Some(Test::Eq(v)) => text(attr, v).into_iter().collect(),
            Some(Test::In(vs)) => vs.iter().filter_map(|v| text(attr, v)).collect(),
            _ => return Tri::Unknown,
        };
        let refused = |value: &str| {
            facts.matches.iter().any(|(a, pattern)| {
                *a == attr
                    && self
                        .regex(pattern, attr == Attr::Host)
                        .is_some_and(|re| !re.is_match(value))
            })
        };
        if !candidates.is_empty() && candidates.iter().all(|v| refused(v)) {
            Tri::False
        } else {
            Tri::Unknown
        }
    }

    /// Whether every request satisfying `a` satisfies `b`.
    pub(super) fn implies(&self, a: &Cond, b: &Cond) -> bool {
        self.imp(a, b, &Cell::new(BUDGET))
    }

    /// [`implies`], spending from a caller's budget (one per rule, so a rule
    /// compared with hundreds of others stays bounded as a whole).
    pub(super) fn implies_in(&self, a: &Cond, b: &Cond, budget: &Cell<usize>) -> bool {
        let own = Cell::new(BUDGET.min(budget.get()));
        let r = self.imp(a, b, &own);
        budget.set(
            budget
                .get()
                .saturating_sub(BUDGET.min(budget.get()) - own.get()),
        );
        r
    }

    /// [`disjoint`], spending from a caller's budget.
    pub(super) fn disjoint_in(&self, a: &Cond, b: &Cond, budget: &Cell<usize>) -> bool {
        let own = Cell::new(BUDGET.min(budget.get()));
        let r = self.dis(a, b, &own);
        budget.set(
            budget
                .get()
                .saturating_sub(BUDGET.min(budget.get()) - own.get()),
        );
        r
    }

    /// Whether no request satisfies both `a` and `b` (read at the same moment).
    #[cfg(test)]
    pub(super) fn disjoint(&self, a: &Cond, b: &Cond) -> bool {
        self.dis(a, b, &Cell::new(BUDGET))
    }

    fn imp(&self, a: &Cond, b: &Cond, budget: &Cell<usize>) -> bool {
        if !spend(budget) {
            return false;
        }
        // Equality ignores spans: the same condition written twice.
        if a == b {
            return true;
        }
        if let CondKind::And(bs) = &b.node {
            return bs.iter().all(|bi| self.imp(a, bi, budget));
        }
        if let CondKind::Or(as_) = &a.node {
            return as_.iter().all(|ai| self.imp(ai, b, budget));
        }
        if let CondKind::And(as_) = &a.node {
            if as_.iter().any(|ai| self.imp(ai, b, budget)) {
                return true;
            }
        }
        if let CondKind::Or(bs) = &b.node {
            if bs.iter().any(|bi| self.imp(a, bi, budget)) {
                return true;
            }
        }
        match (&a.node, &b.node) {
            (CondKind::Not(x), CondKind::Not(y)) => self.imp(y, x, budget),
            (CondKind::Test(oa, ta), CondKind::Not(y)) => match &y.node {
                CondKind::Test(ob, tb) => self.test_excludes(oa, ta.as_ref(), ob, tb.as_ref()),
                _ => false,
            },
            (CondKind::Test(oa, ta), CondKind::Test(ob, tb)) => {
                self.test_implies(oa, ta.as_ref(), ob, tb.as_ref())
            }
            _ => false,
        }
    }

    fn dis(&self, a: &Cond, b: &Cond, budget: &Cell<usize>) -> bool {
        if !spend(budget) {
            return false;
        }
        if let CondKind::Or(as_) = &a.node {
            return as_.iter().all(|ai| self.dis(ai, b, budget));
        }
        if let CondKind::Or(bs) = &b.node {
            return bs.iter().all(|bi| self.dis(a, bi, budget));
        }
        if let CondKind::And(as_) = &a.node {
            if as_.iter().any(|ai| self.dis(ai, b, budget)) {
                return true;
            }
        }
        if let CondKind::And(bs) = &b.node {
            if bs.iter().any(|bi| self.dis(a, bi, budget)) {
                return true;
            }
        }
        match (&a.node, &b.node) {
            (CondKind::Not(x), _) => self.imp(b, x, budget),
            (_, CondKind::Not(y)) => self.imp(a, y, budget),
            (CondKind::Test(oa, ta), CondKind::Test(ob, tb)) => {
                self.test_excludes(oa, ta.as_ref(), ob, tb.as_ref())
                    || self.test_excludes(ob, tb.as_ref(), oa, ta.as_ref())
            }
            _ => false,
        }
    }

    /// `a` holds ⇒ `b` holds, for two comparisons.
    fn test_implies(
        &self,
        oa: &Operand,
        ta: Option<&Test>,
        ob: &Operand,
        tb: Option<&Test>,
    ) -> bool {
        let Some(attr) = common_subject(oa, ob) else {
            return false;
        };
        // One test on one subject (`x` and `param("x")` are one parameter).
        if ta == tb {
            return true;
        }
        // `!=` / `!~` on both sides: the positives imply the other way round.
        if let (Some(pa), Some(pb)) = (ta.and_then(positive), tb.and_then(positive)) {
            return self.test_implies(ob, Some(&pb), oa, Some(&pa));
        }
        if ta.and_then(positive).is_some() {
            return false;
        }
        if let Some(values) = finite(attr, ta) {
            return !values.is_empty()
                && values
                    .iter()
                    .all(|v| self.holds_on(attr, tb, v) == Some(true));
        }
        match (ta, tb) {
            (_, None) if attr.is_none() => {
                matches!(ta, Some(Test::Contains(v)) if !v.text.is_empty())
            }
            _ => false,
        }
    }

    /// `a` holds ⇒ `b` does not hold, for two comparisons.
    fn test_excludes(
        &self,
        oa: &Operand,
        ta: Option<&Test>,
        ob: &Operand,
        tb: Option<&Test>,
    ) -> bool {
        let Some(attr) = common_subject(oa, ob) else {
            return false;
        };
        if let Some(pb) = tb.and_then(positive) {
            // ¬(s != v) is s == v (or s absent): implied by a test that needs
            // the value v.
            return self.test_implies(oa, ta, ob, Some(&pb));
        }
        if let Some(pa) = ta.and_then(positive) {
            // s != v excludes s == v.
            return tb.is_some_and(|tb| pa == *tb);
        }
        match finite(attr, ta) {
            Some(values) => values
                .iter()
                .all(|v| self.holds_on(attr, tb, v) == Some(false)),
            None => false,
        }
    }
}

/// The parameters a condition reads.
pub(super) fn reads<'a>(c: &'a Cond, out: &mut Vec<&'a str>) {
    struct Reads<'a, 'o>(&'o mut Vec<&'a str>);
    impl<'a> Visit<'a> for Reads<'a, '_> {
        fn visit_test(&mut self, op: &'a Operand, _: Option<&'a Test>) {
            match op {
                Operand::Repeated(n) | Operand::Empty(n) | Operand::Param(n) => {
                    self.0.push(&n.node)
                }
                Operand::Name(n) => {
                    if Attr::from_name(&n.node).is_none() {
                        self.0.push(&n.node)
                    }
                }
            }
        }
    }
    Reads(out).visit_cond(c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{File, Item};
    use crate::syntax::parse;

    /// A regex table as an analysis starts with.
    fn table() -> Regexes {
        Regexes::new(crate::compile::RegexLimits::default())
    }

    /// The guard of the one rule in `drop x if COND`.
    fn c(src: &str) -> Cond {
        let File { items } = parse(&format!("drop x if {src}")).unwrap();
        let Some(Item::Rule(r)) = items.into_iter().next() else {
            panic!()
        };
        r.guard.unwrap()
    }

    #[test]
    fn implication() {
        let mut table = table();
        let l = Logic::new(&mut table);
        assert!(l.implies(&c("a == \"x\""), &c("a")));
        assert!(l.implies(&c("a == \"x\""), &c("a in [\"x\", \"y\"]")));
        assert!(l.implies(&c("a in [\"x\"]"), &c("a ~ \"^x$\"")));
        assert!(l.implies(&c("a and b"), &c("b")));
        assert!(l.implies(&c("a"), &c("a or b")));
        assert!(l.implies(&c("not a"), &c("not (a and b)")));
        assert!(l.implies(&c("a == \"x\""), &c("a != \"y\"")));
        assert!(l.implies(&c("a != \"x\""), &c("not a == \"x\"")));
        assert!(!l.implies(&c("a"), &c("a and b")));
        assert!(!l.implies(&c("a == \"\""), &c("a")));
        assert!(!l.implies(&c("a ~ \"x\""), &c("a")));
        assert!(l.implies(&c("a contains \"x\""), &c("a")));
        assert!(l.implies(&c("host == \"A.example.\""), &c("host == \"a.example\"")));
    }

    #[test]
    fn disjointness() {
        let mut table = table();
        let l = Logic::new(&mut table);
        assert!(l.disjoint(&c("a == \"x\""), &c("a == \"y\"")));
        assert!(l.disjoint(&c("a"), &c("not a")));
        assert!(!l.disjoint(&c("a == \"x\" and b"), &c("c or a in [\"y\"]")));
        assert!(l.disjoint(&c("a == \"x\" and b"), &c("a in [\"y\", \"z\"]")));
        assert!(l.disjoint(&c("path == \"/a\""), &c("path ~ \"^/b\"")));
        assert!(!l.disjoint(&c("path ~ \"^/a\""), &c("path ~ \"^/b\"")));
        assert!(!l.disjoint(&c("a"), &c("b")));
    }

    #[test]
    fn deep_conditions_stay_cheap() {
        let mut table = table();
        let l = Logic::new(&mut table);
        // 2^30 paths through the trees if explored naively.
        let mut deep = "a".to_string();
        for i in 0..30 {
            deep = format!("(b{i} or ({deep} and c{i}))");
        }
        let d = c(&deep);
        let start = std::time::Instant::now();
        assert!(!l.implies(&d, &c("z")));
        assert!(!l.disjoint(&d, &d));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn evaluation_under_facts() {
        let mut table = table();
        let l = Logic::new(&mut table);
        let m = c("host in [\"a.example\", \"b.example\"] and path ~ \"^/v2/\"");
        let facts = Facts::kinds(&[Kind::Authorize]).with_match(&m);
        assert_eq!(l.eval(&c("host == \"c.example\""), &facts), Tri::False);
        assert_eq!(l.eval(&c("host ~ \"example$\""), &facts), Tri::True);
        assert_eq!(l.eval(&c("host == \"a.example\""), &facts), Tri::Unknown);
        assert_eq!(l.eval(&c("path == \"/v1/x\""), &facts), Tri::False);
        assert_eq!(
            l.eval(&c("kind == \"token\" and scope"), &facts),
            Tri::False
        );
        assert_eq!(
            l.eval(&c("kind == \"token\" or scope"), &facts),
            Tri::Unknown
        );
        assert_eq!(l.eval(&c("not kind == \"token\""), &facts), Tri::True);
    }
}
