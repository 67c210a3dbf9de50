//! The abstract syntax tree of one `.policy` file. Every node carries the byte
//! span it was parsed from, so later passes can point at the exact text.
//!
//! Equality (`==`) compares what nodes mean, never where they were written:
//! spans are left out (and whether a string was raw), so the same rule at
//! two places, or a file and its formatted copy, compare equal. The lint
//! rules compare conditions this way, and the formatter's tests compare a
//! file with its formatted copy; a pass that needs positions reads `span`.

use super::span::Span;

/// Implements `PartialEq`/`Eq` on the fields listed first, leaving out
/// those after `;` (spans: see the module documentation). Every field must
/// be named on one side or the other, so a new field cannot be forgotten.
macro_rules! eq_without_spans {
    ($ty:ident { $($field:ident),* ; $($ignored:ident),* }) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                let $ty { $($field: _,)* $($ignored: _,)* } = self;
                true $(&& self.$field == other.$field)*
            }
        }
        impl Eq for $ty {}
    };
}

/// A node with the span it came from. Equal when the nodes are, wherever
/// they were written.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    /// The node itself.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T> Spanned<T> {
    /// Pairs a node with its span.
    pub fn new(node: T, span: Span) -> Self {
        Self { node, span }
    }
}

/// One parsed file: its items in source order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    /// Provider blocks, top-level sections and top-level rules, in order.
    pub items: Vec<Item>,
}

/// A top-level item.
// A file has a few dozen items: boxing the larger ones would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `provider "name" { match …  sections… }`
    Provider(Provider),
    /// A section outside any provider: global rules for that request kind.
    Section(Section),
    /// A bare rule outside any provider: a global rule for authorize and token requests.
    Rule(Rule),
    /// `extend provider "name" { … }`: additions to a provider defined elsewhere.
    Extend(Extension),
}

/// `extend provider "name" { also match COND | enable NAME | disable NAME | section }*`,
/// or `extend global { … }` for the global rules.
#[derive(Debug, Clone)]
pub struct Extension {
    /// The provider extended (defined in this or another loaded file); for
    /// `extend global`, `global` with the keyword's span.
    pub provider: Spanned<String>,
    /// `extend global`: the global rules, not a provider.
    pub global: bool,
    /// `also match COND`: alternatives to the provider's own `match`.
    pub also: Vec<Cond>,
    /// `enable NAME` / `disable NAME`, in order.
    pub switches: Vec<Switch>,
    /// Rules appended to the provider's sections.
    pub sections: Vec<Section>,
    /// The whole block.
    pub span: Span,
}

eq_without_spans!(Extension { provider, global, also, switches, sections; span });

/// `enable NAME` or `disable NAME`: turns a named rule of the provider on or off.
#[derive(Debug, Clone)]
pub struct Switch {
    /// `true` for `enable`.
    pub on: bool,
    /// The rule name.
    pub name: Spanned<String>,
    /// The whole switch.
    pub span: Span,
}

eq_without_spans!(Switch { on, name; span });

/// `provider "name" { match COND  section* }`
#[derive(Debug, Clone)]
pub struct Provider {
    /// The provider's name, unique across all loaded files.
    pub name: Spanned<String>,
    /// Which requests belong to this provider.
    pub matcher: Cond,
    /// The sections in source order.
    pub sections: Vec<Section>,
    /// The whole block.
    pub span: Span,
}

eq_without_spans!(Provider { name, matcher, sections; span });

/// `NAME { rule* }`; the name is checked against the known section kinds.
#[derive(Debug, Clone)]
pub struct Section {
    /// The section's name as written (`authorize`, `token`, `callback`).
    pub name: Spanned<String>,
    /// The rules in source order.
    pub rules: Vec<Rule>,
    /// The whole section.
    pub span: Span,
}

eq_without_spans!(Section { name, rules; span });

/// `[[optional] NAME:] [when COND] ACTION [if COND]`
#[derive(Debug, Clone)]
pub struct Rule {
    /// `NAME:`: the rule's stable name, if written.
    pub name: Option<Spanned<String>>,
    /// `optional NAME:`: an opt-in rule, off until enabled.
    pub optional: bool,
    /// The `when` condition, if written.
    pub when: Option<Cond>,
    /// What the rule does.
    pub action: Spanned<Action>,
    /// The `if` guard, if written.
    pub guard: Option<Cond>,
    /// The whole rule.
    pub span: Span,
}

eq_without_spans!(Rule { name, optional, when, action, guard; span });

/// A parameter name as written (bare or `param("…")`).
pub type Name = Spanned<String>;

/// An action; see docs/language.md for each one's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `drop P`
    Drop(Name),
    /// `drop empty [except [..]]`
    DropEmpty(Vec<Name>),
    /// `set P = VALUE`
    Set(Name, Value),
    /// `default P = VALUE`
    Default(Name, Value),
    /// `rename P to Q`
    Rename(Name, Name),
    /// `add VALUE to P`
    Add(Value, Name),
    /// `remove VALUE from P`
    Remove(Value, Name),
    /// `convert P to comma|space`
    Convert(Name, Separator),
    /// `dedupe P`
    Dedupe(Name),
    /// `deny VALUE`
    Deny(Value),
    /// `deny repeated [except [..]]`
    DenyRepeated(Vec<Name>),
    /// `stop`
    Stop,
    /// `classify CATEGORY [retryable|not retryable] [hint VALUE]`
    Classify(Classify),
}

/// The list separator named in `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `,`
    Comma,
    /// ` `
    Space,
}

/// The arguments of a `classify` action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classify {
    /// The category name as written; checked against the fixed list.
    pub category: Spanned<String>,
    /// `Some(true)` for `retryable`, `Some(false)` for `not retryable`.
    pub retryable: Option<Spanned<bool>>,
    /// The operator-facing hint.
    pub hint: Option<Value>,
}

/// A template: a string (with `${…}` interpolation), a raw string, or a
/// number, as written in an action (`set`, `add`, `deny`, `hint`…).
#[derive(Debug, Clone)]
pub struct Value {
    /// The pieces of the value in order.
    pub parts: Vec<Part>,
    /// Whether it was written as a raw string (no escapes, no interpolation).
    pub raw: bool,
    /// The literal including its quotes.
    pub span: Span,
}

// `raw` is how the text was written, not what it is: `"x"` == `r"x"`.
eq_without_spans!(Value { parts; raw, span });

impl Value {
    /// The value's text if it has no interpolation.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(_) => return None,
            }
        }
        Some(out)
    }

    /// The `${…}` names it interpolates, in order.
    pub fn vars(&self) -> impl Iterator<Item = &Name> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(n) => Some(n),
            Part::Text(_) => None,
        })
    }
}

/// Fixed text: the value of a comparison, a regex, an `in` list item. A
/// different type from [`Value`] so a test can never hold a template: the
/// parser refuses `${…}` here (`E016`).
#[derive(Debug, Clone)]
pub struct Literal {
    /// The text, escapes resolved.
    pub text: String,
    /// The literal including its quotes.
    pub span: Span,
}

eq_without_spans!(Literal { text; span });

/// A piece of a string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text, escapes already resolved.
    Text(String),
    /// `${name}`: the value of a parameter or attribute.
    Var(Name),
}

/// A condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondKind {
    /// `a or b or …`
    Or(Vec<Cond>),
    /// `a and b and …`
    And(Vec<Cond>),
    /// `not a`
    Not(Box<Cond>),
    /// `NAME [test]`
    Test(Operand, Option<Test>),
}

/// A condition with its span.
pub type Cond = Spanned<CondKind>;

/// The left side of a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A bare name: an attribute (`host`, `path`…) or a parameter.
    Name(Name),
    /// `param("…")`: always a parameter, even if the name is a keyword or attribute.
    Param(Name),
    /// `repeated(P)`
    Repeated(Name),
    /// `empty(P)`
    Empty(Name),
}

/// The right side of a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// `== VALUE`
    Eq(Literal),
    /// `!= VALUE`
    Ne(Literal),
    /// `~ REGEX`
    Matches(Literal),
    /// `!~ REGEX`
    NotMatches(Literal),
    /// `in [VALUE, …]`
    In(Vec<Literal>),
    /// `within [VALUE, …]`: every item of the space/comma separated list is one of these.
    Within(Vec<Literal>),
    /// `contains VALUE`: one item of a space/comma separated list equals VALUE.
    Contains(Literal),
    /// `contains ~ REGEX`: one item of the list matches REGEX.
    ContainsMatch(Literal),
}

#[cfg(test)]
mod tests {
    use super::{File, Item};
    use crate::syntax::parse;

    #[test]
    fn the_same_rule_at_two_places_compares_equal() {
        let File { items } =
            parse("drop x if a == \"1\"\n\n  # moved\n  drop   x if  a == r\"1\"\ndrop y\n")
                .unwrap();
        let [Item::Rule(a), Item::Rule(b), Item::Rule(c)] = &items[..] else {
            panic!("{items:?}")
        };
        assert_ne!(a.span, b.span);
        assert_eq!(a, b, "spans and raw-ness are left out");
        assert_ne!(a, c, "what the rule does is not");
    }
}
