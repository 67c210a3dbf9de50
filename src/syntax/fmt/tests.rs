//! Formatter tests: fixed examples, the shipped policies, and generated
//! inputs (proptest): the output parses to the same AST (spans aside),
//! formatting it again changes nothing, and every comment survives in order.

use proptest::prelude::*;

use super::{format, lex};
use crate::syntax::parse;

/// Checks the three properties on one input and returns the output.
fn check(src: &str) -> String {
    let out = format(src).unwrap_or_else(|e| panic!("format failed: {e:?}\n{src}"));
    // AST equality leaves spans out: layout is all formatting may change.
    let before = parse(src).unwrap();
    let after = parse(&out).unwrap_or_else(|e| panic!("output does not parse: {e:?}\n{out}"));
    assert_eq!(
        before, after,
        "AST changed\n--- input\n{src}\n--- output\n{out}"
    );
    let again = format(&out).unwrap();
    assert_eq!(
        out, again,
        "not idempotent\n--- input\n{src}\n--- once\n{out}"
    );
    let texts = |s: &str| -> Vec<String> {
        lex(s)
            .unwrap()
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect()
    };
    assert_eq!(
        texts(src),
        texts(&out),
        "comments changed\n--- output\n{out}"
    );
    out
}

#[test]
fn canonical_layout() {
    let src = r#"# header

provider   "a" {   # open
match host=="a.example"
  authorize{
  drop   resource   if ( scope )   # why
     # own line
  add "x" to scope if resource and not ((scope contains "x"))

  set prompt="consent"
  }
  callback {}
  token { }
}
drop empty except [a , b ,]
"#;
    let want = r#"# header

provider "a" { # open
  match host == "a.example"

  authorize {
    drop resource if scope # why
    # own line
    add "x" to scope if resource and not scope contains "x"

    set prompt = "consent"
  }

  callback {}

  token {}
}

drop empty except [a, b]
"#;
    assert_eq!(check(src), want);
}

#[test]
fn keeps_needed_parentheses() {
    let src = "drop x if (a or b) and not (c and d) and not (not e) and (f or (g or h))\n";
    assert_eq!(
        check(src),
        "drop x if (a or b) and not (c and d) and not (not e) and (f or (g or h))\n"
    );
    assert_eq!(
        check("drop x if a or b and c or ((d and e))\n"),
        "drop x if a or (b and c) or (d and e)\n"
    );
    assert_eq!(check("drop x if not not not a\n"), "drop x if not a\n");
}

#[test]
fn breaks_long_lines() {
    let src = r#"provider "p" {
  match host in ["login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn"] and path ~ r"^/[^/]+/oauth2/v2\.0/"
  callback {
    when error == "access_denied" and error_description ~ r"^User is not assigned to the client application" classify access_denied not retryable hint "assign the user (or one of their groups) to the application"
  }
}
"#;
    let want = r#"provider "p" {
  match host in [
      "login.microsoftonline.com",
      "login.microsoftonline.us",
      "login.partner.microsoftonline.cn",
    ]
    and path ~ r"^/[^/]+/oauth2/v2\.0/"

  callback {
    when error == "access_denied"
        and error_description ~ r"^User is not assigned to the client application"
      classify access_denied not retryable hint "assign the user (or one of their groups) to the application"
  }
}
"#;
    assert_eq!(check(src), want);
}

#[test]
fn comments_inside_statements() {
    let src = "provider \"p\" {\n  match host == \"a\" # first\n    and path == \"/x\"\n}\n\
               drop x if a and # mid\n  b\n\
               drop y if [\"a\", # in list\n  \"b\"] == c\n";
    // (the last rule does not parse: lists are only on the right of `in`)
    assert!(format(src).is_err());
    let src = "provider \"p\" {\n  match host == \"a\" # first\n    and path == \"/x\"\n}\n\
               drop x if a and # mid\n  b\n\
               drop y if c in [\"a\", # in list\n  \"b\"]\n\
               drop z if (a # before paren\n)\n";
    let out = check(src);
    assert_eq!(
        out,
        "provider \"p\" {\n  match host == \"a\" # first\n    and path == \"/x\"\n}\n\n\
         drop x\n  if a\n    and # mid\n    b\n\
         drop y\n  if c in [\n      \"a\", # in list\n      \"b\",\n    ]\n\
         drop z if a # before paren\n"
    );
}

#[test]
fn classify_flag_before_hint_and_escaped_names() {
    let src = "callback { classify access_denied hint \"h\" not retryable if param(\"a b\") and repeated(param(\"x\")) }\n";
    assert_eq!(
        check(src),
        "callback {\n  classify access_denied not retryable hint \"h\" if param(\"a b\") and repeated(param(\"x\"))\n}\n"
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(check(""), "");
    assert_eq!(check("\n\n  \n"), "");
    assert_eq!(check("\n# only\n\n\n# two  \n"), "# only\n\n# two\n");
    assert_eq!(check("\u{FEFF}stop\r\n# c\r\n"), "stop\n# c\n");
}

#[test]
fn shipped_policies() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "policy") {
            check(&std::fs::read_to_string(&path).unwrap());
            seen += 1;
        }
    }
    assert!(seen > 0);
}

// ---- generated inputs ---------------------------------------------------------

/// A generated condition.
#[derive(Debug, Clone)]
enum G {
    Leaf(String),
    And(Vec<G>),
    Or(Vec<G>),
    Not(Box<G>),
}

const NAMES: &[&str] = &[
    "scope",
    "resource",
    "host",
    "path",
    "kind",
    "a_b",
    "x.y",
    "client-id",
    "param",
];
const VALUES: &[&str] = &[
    "\"a\"",
    "\"v2\\.0\"",
    "\"${resource}/.default\"",
    "r\"^a\\.b$\"",
    "r#\"x\"y\"#",
    "42",
    "\"with # hash\"",
    "\"\"",
    "\"q\\\"uote\"",
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(NAMES).prop_map(str::to_string),
        1 => Just("param(\"a b\")".to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    proptest::sample::select(VALUES).prop_map(str::to_string)
}

/// A value a comparison may hold: no `${…}` (that is E016).
fn literal() -> impl Strategy<Value = String> {
    proptest::sample::select(VALUES)
        .prop_filter("templates are refused in tests", |v| !v.contains("${"))
        .prop_map(str::to_string)
}

fn leaf() -> impl Strategy<Value = G> {
    prop_oneof![
        name(),
        (
            name(),
            proptest::sample::select(&["==", "!=", "~", "!~", "contains", "contains ~"][..]),
            literal()
        )
            .prop_map(|(n, op, v)| format!("{n} {op} {v}")),
        (name(), proptest::collection::vec(literal(), 0..4))
            .prop_map(|(n, vs)| format!("{n} in [{}]", vs.join(", "))),
        name().prop_map(|n| format!("repeated({n})")),
        name().prop_map(|n| format!("empty({n})")),
    ]
    .prop_map(G::Leaf)
}

fn cond() -> impl Strategy<Value = G> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(G::And),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(G::Or),
            inner.prop_map(|g| G::Not(Box::new(g))),
        ]
    })
}

fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        name().prop_map(|n| format!("drop {n}")),
        proptest::collection::vec(name(), 0..3)
            .prop_map(|ns| format!("drop empty except [{}]", ns.join(", "))),
        Just("drop empty".to_string()),
        (name(), value()).prop_map(|(n, v)| format!("set {n} = {v}")),
        (name(), value()).prop_map(|(n, v)| format!("default {n} = {v}")),
        (name(), name()).prop_map(|(a, b)| format!("rename {a} to {b}")),
        (value(), name()).prop_map(|(v, n)| format!("add {v} to {n}")),
        (value(), name()).prop_map(|(v, n)| format!("remove {v} from {n}")),
        name().prop_map(|n| format!("convert {n} to comma")),
        name().prop_map(|n| format!("dedupe {n}")),
        value().prop_map(|v| format!("deny {v}")),
        Just("deny repeated except [resource]".to_string()),
        Just("stop".to_string()),
        Just("classify access_denied not retryable hint \"h\"".to_string()),
        Just("classify server_error hint \"h\" retryable".to_string()),
    ]
}

/// A generated rule: `when`, action, `if`.
type GRule = (Option<G>, String, Option<G>);
/// A generated section: name and rules.
type GSection = (String, Vec<GRule>);

/// A rule, its words joined later with random trivia.
fn rule() -> impl Strategy<Value = GRule> {
    (
        proptest::option::of(cond()),
        action(),
        proptest::option::of(cond()),
    )
}

#[derive(Debug, Clone)]
enum GItem {
    Provider(String, G, Vec<GSection>),
    Section(String, Vec<GRule>),
    Rule((Option<G>, String, Option<G>)),
}

fn section() -> impl Strategy<Value = GSection> {
    (
        proptest::sample::select(&["authorize", "token", "callback"][..]).prop_map(str::to_string),
        proptest::collection::vec(rule(), 0..4),
    )
}

fn item() -> impl Strategy<Value = GItem> {
    prop_oneof![
        (
            "[a-z]{1,8}",
            cond(),
            proptest::collection::vec(section(), 0..3)
        )
            .prop_map(|(n, c, s)| GItem::Provider(format!("\"{n}\""), c, s)),
        section().prop_map(|(n, r)| GItem::Section(n, r)),
        rule().prop_map(GItem::Rule),
    ]
}

/// Writes generated items as text, drawing the whitespace, comments and
/// redundant parentheses between tokens from `trivia`.
struct Writer<'t> {
    out: String,
    trivia: &'t [u8],
    at: usize,
    comments: usize,
}

impl Writer<'_> {
    fn draw(&mut self) -> u8 {
        let b = self
            .trivia
            .get(self.at % self.trivia.len().max(1))
            .copied()
            .unwrap_or(0);
        self.at += 1;
        b
    }

    fn gap(&mut self) {
        match self.draw() % 10 {
            0..=4 => self.out.push(' '),
            5 => self.out.push('\n'),
            6 => self.out.push_str("\n\n   "),
            7 => {
                self.comments += 1;
                self.out.push_str(&format!("  # c{}\n", self.comments));
            }
            8 => {
                self.comments += 1;
                self.out.push_str(&format!("\n# own {}\n\n", self.comments));
            }
            _ => self.out.push_str("\t "),
        }
    }

    fn word(&mut self, w: &str) {
        self.out.push_str(w);
        self.gap();
    }

    /// `parent`: the compound this condition is a part of (`'a'`nd, `'o'`r,
    /// `'n'`ot), or `' '` at the top.
    fn cond(&mut self, g: &G, parent: char) {
        let extra = self.draw().is_multiple_of(6);
        // Parentheses the meaning needs; an `and` inside an `or` needs none.
        let needed = match g {
            G::Leaf(_) => false,
            G::And(_) => parent == 'a' || parent == 'n',
            G::Or(_) => parent != ' ',
            G::Not(_) => parent == 'n',
        };
        let parens = extra || needed;
        if parens {
            self.word("(");
        }
        match g {
            G::Leaf(s) => self.word(s),
            G::And(parts) | G::Or(parts) => {
                let (op, kind) = if matches!(g, G::And(_)) {
                    ("and", 'a')
                } else {
                    ("or", 'o')
                };
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        self.word(op);
                    }
                    self.cond(p, kind);
                }
            }
            G::Not(inner) => {
                self.word("not");
                self.cond(inner, 'n');
            }
        }
        if parens {
            self.word(")");
        }
    }

    fn rule(&mut self, (when, action, guard): &GRule) {
        if let Some(w) = when {
            self.word("when");
            self.cond(w, ' ');
        }
        self.word(action);
        if let Some(g) = guard {
            self.word("if");
            self.cond(g, ' ');
        }
    }

    fn section(&mut self, (name, rules): &GSection) {
        self.word(name);
        self.word("{");
        for r in rules {
            self.rule(r);
        }
        self.word("}");
    }

    fn item(&mut self, item: &GItem) {
        match item {
            GItem::Provider(name, m, sections) => {
                self.word("provider");
                self.word(name);
                self.word("{");
                self.word("match");
                self.cond(m, ' ');
                for s in sections {
                    self.section(s);
                }
                self.word("}");
            }
            GItem::Section(n, r) => self.section(&(n.clone(), r.clone())),
            GItem::Rule(r) => self.rule(r),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_files_keep_meaning_and_comments(
        items in proptest::collection::vec(item(), 0..5),
        trivia in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        let mut w = Writer { out: String::new(), trivia: &trivia, at: 0, comments: 0 };
        for it in &items {
            w.item(it);
        }
        check(&w.out);
    }
}
