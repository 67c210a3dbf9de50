//! pest parse tree → AST.

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;

use super::ast::*;
use super::error::SyntaxError;
use super::span::{IntoSpan as _, Span};
use super::strings;

/// The pest parser generated from `grammar/policy.pest`.
#[allow(missing_docs)]
pub mod grammar {
    /// The parser; `Rule` is its generated rule enum.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/policy.pest"]
    pub struct PolicyParser;
}

use grammar::{PolicyParser, Rule as R};

/// The deepest nesting of `(` and `[` accepted; deeper input is refused
/// before pest sees it, so no input can overflow the stack.
pub const MAX_NESTING: usize = 64;

/// Parses one file's text into its AST.
pub fn parse(text: &str) -> Result<File, SyntaxError> {
    check_nesting(text, &super::lexer::tokenize(text))?;
    let mut pairs = PolicyParser::parse(R::file, text).map_err(|e| from_pest(text, e))?;
    let Some(file) = pairs.next() else {
        return Ok(File::default());
    };
    let mut items = Vec::new();
    for pair in file.into_inner() {
        match pair.as_rule() {
            R::provider => items.push(Item::Provider(provider(pair)?)),
            R::section => items.push(Item::Section(section(pair)?)),
            R::rule => items.push(Item::Rule(rule(pair)?)),
            R::extension => items.push(Item::Extend(extension(pair)?)),
            _ => {}
        }
    }
    Ok(File { items })
}

/// Refuses input whose brackets nest deeper than [`MAX_NESTING`]. Depth is
/// counted on the shared token stream (`super::lexer`), which reads strings
/// and comments exactly as the grammar does; pest's recursion cannot be
/// bounded from inside, so this must run first. The AST mirrors the
/// brackets (`not` runs fold, `and`/`or` chains are flat), so every
/// recursive walk after parsing is bounded by the same limit.
pub fn check_nesting(text: &str, tokens: &super::lexer::Tokens) -> Result<(), SyntaxError> {
    match super::lexer::too_deep(text, &tokens.tokens, MAX_NESTING) {
        Some(span) => Err(SyntaxError::TooDeep {
            limit: MAX_NESTING,
            span: span.into(),
        }),
        None => Ok(()),
    }
}

/// The parse tree did not have the shape the grammar promises. Unreachable
/// unless the grammar and this file disagree; reported, never panicked on.
fn malformed(span: Span) -> SyntaxError {
    SyntaxError::Unexpected {
        expected: "well-formed input".into(),
        found: "an internal parser inconsistency".into(),
        span: span.into(),
        help: Some("please report this policy file as a bug".into()),
    }
}

/// The next child, or a `malformed` error at `span`.
fn next<'a>(pairs: &mut Pairs<'a, R>, span: Span) -> Result<Pair<'a, R>, SyntaxError> {
    pairs.next().ok_or_else(|| malformed(span))
}

/// Children that are not keywords.
fn children(pair: Pair<'_, R>) -> Pairs<'_, R> {
    pair.into_inner()
}

/// Keyword tokens carry no data; the AST builder skips them.
fn is_keyword(r: R) -> bool {
    matches!(
        r,
        R::kw_provider
            | R::kw_match
            | R::kw_when
            | R::kw_if
            | R::kw_and
            | R::kw_or
            | R::kw_not
            | R::kw_in
            | R::kw_contains
            | R::kw_to
            | R::kw_from
            | R::kw_drop
            | R::kw_empty
            | R::kw_set
            | R::kw_default
            | R::kw_rename
            | R::kw_add
            | R::kw_remove
            | R::kw_convert
            | R::kw_comma
            | R::kw_space
            | R::kw_dedupe
            | R::kw_deny
            | R::kw_repeated
            | R::kw_except
            | R::kw_stop
            | R::kw_classify
            | R::kw_retryable
            | R::kw_hint
            | R::kw_param
            | R::kw_within
            | R::kw_extend
            | R::kw_global
            | R::kw_also
            | R::kw_enable
            | R::kw_disable
            | R::kw_optional
    )
}

fn provider(pair: Pair<'_, R>) -> Result<Provider, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let mut inner = children(pair).filter(|p| !is_keyword(p.as_rule()));
    let name_pair = inner.next().ok_or_else(|| malformed(span))?;
    let name_value = literal(name_pair, "a provider name")?;
    let name = Spanned::new(name_value.text, name_value.span);
    let match_pair = inner.next().ok_or_else(|| malformed(span))?;
    let matcher = cond(
        match_pair
            .into_inner()
            .find(|p| p.as_rule() == R::cond)
            .ok_or_else(|| malformed(span))?,
    )?;
    let sections = inner.map(section).collect::<Result<_, _>>()?;
    Ok(Provider {
        name,
        matcher,
        sections,
        span,
    })
}

fn extension(pair: Pair<'_, R>) -> Result<Extension, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let global = pair
        .clone()
        .into_inner()
        .find(|p| p.as_rule() == R::kw_global)
        .map(|p| Spanned::new("global".to_string(), p.as_span().into_span()));
    let mut inner = children(pair).filter(|p| !is_keyword(p.as_rule()));
    let provider = match &global {
        Some(g) => g.clone(),
        None => {
            let name_value = literal(
                inner.next().ok_or_else(|| malformed(span))?,
                "an extended provider's name",
            )?;
            Spanned::new(name_value.text, name_value.span)
        }
    };
    let mut ext = Extension {
        global: global.is_some(),
        provider,
        also: Vec::new(),
        switches: Vec::new(),
        sections: Vec::new(),
        span,
    };
    for item in inner {
        let item_span: Span = item.as_span().into_span();
        match item.as_rule() {
            R::also_match => ext.also.push(clause_cond(item)?),
            R::switch => {
                let mut parts = item.into_inner();
                let on = next(&mut parts, item_span)?.as_rule() == R::kw_enable;
                let name = ident(next(&mut parts, item_span)?);
                ext.switches.push(Switch {
                    on,
                    name,
                    span: item_span,
                });
            }
            R::section => ext.sections.push(section(item)?),
            _ => return Err(malformed(item_span)),
        }
    }
    Ok(ext)
}

fn section(pair: Pair<'_, R>) -> Result<Section, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let mut inner = children(pair);
    let name = ident(next(&mut inner, span)?);
    let rules = inner.map(rule).collect::<Result<_, _>>()?;
    Ok(Section { name, rules, span })
}

fn rule(pair: Pair<'_, R>) -> Result<Rule, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let mut when = None;
    let mut guard = None;
    let mut action_ = None;
    let mut name = None;
    let mut optional = false;
    for child in children(pair) {
        match child.as_rule() {
            R::label => {
                for part in child.into_inner() {
                    match part.as_rule() {
                        R::kw_optional => optional = true,
                        _ => name = Some(ident(part)),
                    }
                }
            }
            R::when_clause => when = Some(clause_cond(child)?),
            R::guard => guard = Some(clause_cond(child)?),
            _ => action_ = Some(action(child)?),
        }
    }
    Ok(Rule {
        name,
        optional,
        when,
        action: action_.ok_or_else(|| malformed(span))?,
        guard,
        span,
    })
}

fn clause_cond(pair: Pair<'_, R>) -> Result<Cond, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let inner = pair
        .into_inner()
        .find(|p| p.as_rule() == R::cond)
        .ok_or_else(|| malformed(span))?;
    cond(inner)
}

fn action(pair: Pair<'_, R>) -> Result<Spanned<Action>, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let kind = pair.as_rule();
    let mut args = children(pair).filter(|p| !is_keyword(p.as_rule()));
    let mut arg = || args.next().ok_or_else(|| malformed(span));
    let node = match kind {
        R::drop => Action::Drop(name(arg()?)?),
        R::drop_empty => Action::DropEmpty(except(args.next())?),
        R::set => Action::Set(name(arg()?)?, value(arg()?)?),
        R::default => Action::Default(name(arg()?)?, value(arg()?)?),
        R::rename => Action::Rename(name(arg()?)?, name(arg()?)?),
        R::add => Action::Add(value(arg()?)?, name(arg()?)?),
        R::remove => Action::Remove(value(arg()?)?, name(arg()?)?),
        R::convert => {
            let target = name(arg()?)?;
            let sep = arg()?;
            let is_comma = sep.into_inner().any(|p| p.as_rule() == R::kw_comma);
            let sep = if is_comma {
                Separator::Comma
            } else {
                Separator::Space
            };
            Action::Convert(target, sep)
        }
        R::dedupe => Action::Dedupe(name(arg()?)?),
        R::deny_repeated => Action::DenyRepeated(except(args.next())?),
        R::deny => Action::Deny(value(arg()?)?),
        R::stop => Action::Stop,
        R::classify => {
            let category = ident(arg()?);
            let mut retryable = None;
            let mut hint = None;
            for extra in args {
                let extra_span: Span = extra.as_span().into_span();
                match extra.as_rule() {
                    R::retry_flag => {
                        let negated = extra.into_inner().any(|p| p.as_rule() == R::kw_not);
                        retryable = Some(Spanned::new(!negated, extra_span));
                    }
                    R::hint => {
                        let v = extra
                            .into_inner()
                            .find(|p| !is_keyword(p.as_rule()))
                            .ok_or_else(|| malformed(extra_span))?;
                        hint = Some(value(v)?);
                    }
                    _ => return Err(malformed(extra_span)),
                }
            }
            Action::Classify(Classify {
                category,
                retryable,
                hint,
            })
        }
        _ => return Err(malformed(span)),
    };
    Ok(Spanned::new(node, span))
}

fn except(pair: Option<Pair<'_, R>>) -> Result<Vec<Name>, SyntaxError> {
    let Some(pair) = pair else {
        return Ok(Vec::new());
    };
    pair.into_inner()
        .filter(|p| !is_keyword(p.as_rule()))
        .map(name)
        .collect()
}

fn ident(pair: Pair<'_, R>) -> Spanned<String> {
    Spanned::new(pair.as_str().to_string(), pair.as_span().into_span())
}

/// A parameter name: a bare identifier or `param("…")`.
fn name(pair: Pair<'_, R>) -> Result<Name, SyntaxError> {
    match pair.as_rule() {
        R::escaped_param => escaped(pair),
        _ => Ok(ident(pair)),
    }
}

fn escaped(pair: Pair<'_, R>) -> Result<Name, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let inner = pair
        .into_inner()
        .find(|p| p.as_rule() == R::string)
        .ok_or_else(|| malformed(span))?;
    let v = literal(inner, "`param(\"…\")`")?;
    Ok(Spanned::new(v.text, v.span))
}

/// A value that must be fixed text: `${…}` in it is refused (E016) rather
/// than silently read as an empty string.
fn literal(pair: Pair<'_, R>, place: &'static str) -> Result<Literal, SyntaxError> {
    let v = value(pair)?;
    let mut text = String::new();
    for part in v.parts {
        match part {
            Part::Text(t) => text.push_str(&t),
            Part::Var(n) => {
                return Err(SyntaxError::InterpolationNotAllowed {
                    place,
                    span: n.span.into(),
                })
            }
        }
    }
    Ok(Literal { text, span: v.span })
}

fn value(pair: Pair<'_, R>) -> Result<Value, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    match pair.as_rule() {
        R::number => Ok(Value {
            parts: vec![Part::Text(pair.as_str().to_string())],
            raw: true,
            span,
        }),
        R::raw_string => {
            let inner = pair
                .into_inner()
                .find(|p| p.as_rule() == R::raw_inner)
                .map_or("", |p| p.as_str());
            Ok(Value {
                parts: vec![Part::Text(inner.to_string())],
                raw: true,
                span,
            })
        }
        R::string => {
            let inner = pair.into_inner().next().ok_or_else(|| malformed(span))?;
            let parts = strings::decode(inner.as_str(), inner.as_span().start())?;
            Ok(Value {
                parts,
                raw: false,
                span,
            })
        }
        _ => Err(malformed(span)),
    }
}

fn cond(pair: Pair<'_, R>) -> Result<Cond, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    match pair.as_rule() {
        R::cond | R::conj => {
            let is_or = pair.as_rule() == R::cond;
            let mut parts: Vec<Cond> = pair
                .into_inner()
                .filter(|p| !is_keyword(p.as_rule()))
                .map(cond)
                .collect::<Result<_, _>>()?;
            if parts.len() == 1 {
                return parts.pop().ok_or_else(|| malformed(span));
            }
            let node = if is_or {
                CondKind::Or(parts)
            } else {
                CondKind::And(parts)
            };
            Ok(Spanned::new(node, span))
        }
        R::negation => {
            let mut nots = 0usize;
            let mut inner = None;
            for child in pair.into_inner() {
                if child.as_rule() == R::kw_not {
                    nots += 1;
                } else {
                    inner = Some(cond(child)?);
                }
            }
            let inner = inner.ok_or_else(|| malformed(span))?;
            // `not not x` is `x`: fold pairs so the tree stays shallow.
            Ok(if nots % 2 == 1 {
                Spanned::new(CondKind::Not(Box::new(inner)), span)
            } else {
                inner
            })
        }
        R::comparison => comparison(pair),
        _ => Err(malformed(span)),
    }
}

fn comparison(pair: Pair<'_, R>) -> Result<Cond, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let mut inner = pair.into_inner();
    let left = next(&mut inner, span)?;
    let operand = match left.as_rule() {
        R::call => {
            let call_span: Span = left.as_span().into_span();
            let mut parts = left.into_inner();
            let fname = next(&mut parts, call_span)?;
            let is_repeated = fname.into_inner().any(|p| p.as_rule() == R::kw_repeated);
            let target = name(next(&mut parts, call_span)?)?;
            if is_repeated {
                Operand::Repeated(target)
            } else {
                Operand::Empty(target)
            }
        }
        R::escaped_param => Operand::Param(escaped(left)?),
        _ => Operand::Name(ident(left)),
    };
    let test = inner.next().map(test).transpose()?;
    Ok(Spanned::new(CondKind::Test(operand, test), span))
}

fn test(pair: Pair<'_, R>) -> Result<Test, SyntaxError> {
    let span: Span = pair.as_span().into_span();
    let kind = pair.as_rule();
    let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
    match kind {
        R::compare => {
            let op = inner.next().ok_or_else(|| malformed(span))?;
            let place = if op.as_str().contains('~') {
                "a regex"
            } else {
                "a comparison"
            };
            let v = literal(inner.next().ok_or_else(|| malformed(span))?, place)?;
            Ok(match op.as_str() {
                "==" => Test::Eq(v),
                "!=" => Test::Ne(v),
                "~" => Test::Matches(v),
                _ => Test::NotMatches(v),
            })
        }
        R::membership => {
            let list = inner.next().ok_or_else(|| malformed(span))?;
            Ok(Test::In(
                list.into_inner()
                    .map(|v| literal(v, "an `in` list"))
                    .collect::<Result<_, _>>()?,
            ))
        }
        R::within => {
            let list = inner.next().ok_or_else(|| malformed(span))?;
            Ok(Test::Within(
                list.into_inner()
                    .map(|v| literal(v, "a `within` list"))
                    .collect::<Result<_, _>>()?,
            ))
        }
        R::contains => Ok(Test::Contains(literal(
            inner.next().ok_or_else(|| malformed(span))?,
            "a comparison",
        )?)),
        R::contains_match => Ok(Test::ContainsMatch(literal(
            inner.next().ok_or_else(|| malformed(span))?,
            "a regex",
        )?)),
        _ => Err(malformed(span)),
    }
}

// ---- parse errors in words --------------------------------------------------

/// Human words for a grammar rule, used in "expected …" messages.
pub fn rule_words(r: R) -> String {
    let name = format!("{r:?}");
    if let Some(word) = name.strip_prefix("kw_") {
        return format!("`{word}`");
    }
    match r {
        R::EOI => "end of file",
        R::provider => "`provider`",
        R::section => "a section (`authorize`, `token`, `callback`)",
        R::rule => "a rule",
        R::match_clause => "`match`",
        R::when_clause => "`when`",
        R::guard => "`if`",
        R::cond | R::conj | R::negation | R::comparison => "a condition",
        R::test | R::compare => "a comparison (`==`, `!=`, `~`, `!~`)",
        R::cmp_op => "`==`, `!=`, `~` or `!~`",
        R::membership => "`in [..]`",
        R::within => "`within [..]`",
        R::extension => "`extend provider` or `extend global`",
        R::also_match => "`also match`",
        R::switch => "`enable` or `disable`",
        R::label => "a rule name (`NAME:`)",
        R::contains | R::contains_match => "`contains`",
        R::list => "a list `[..]`",
        R::ident | R::escaped_param => "a name",
        R::string | R::raw_string | R::number => "a string",
        R::str_inner | R::raw_inner => "string text",
        R::separator => "`comma` or `space`",
        R::except => "`except [..]`",
        R::retry_flag => "`retryable`",
        R::hint => "`hint`",
        R::call | R::call_name => "`repeated(..)` or `empty(..)`",
        R::drop
        | R::drop_empty
        | R::set
        | R::default
        | R::rename
        | R::add
        | R::remove
        | R::convert
        | R::dedupe
        | R::deny
        | R::deny_repeated
        | R::stop
        | R::classify => "an action",
        _ => return name.replace('_', " "),
    }
    .to_string()
}

/// Keywords a misspelt word may have meant.
const SUGGESTABLE: &[&str] = &[
    "provider",
    "match",
    "when",
    "if",
    "and",
    "or",
    "not",
    "in",
    "contains",
    "to",
    "from",
    "drop",
    "empty",
    "set",
    "default",
    "rename",
    "add",
    "remove",
    "convert",
    "comma",
    "space",
    "dedupe",
    "deny",
    "repeated",
    "except",
    "stop",
    "classify",
    "retryable",
    "hint",
    "param",
    "within",
    "extend",
    "also",
    "enable",
    "disable",
    "optional",
    "global",
];

fn from_pest(text: &str, err: pest::error::Error<R>) -> SyntaxError {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let rest = text.get(pos..).unwrap_or("");
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    let (found, len) = if !word.is_empty() {
        (format!("`{word}`"), word.len())
    } else if let Some(c) = rest.chars().next() {
        (format!("`{c}`"), c.len_utf8())
    } else {
        ("end of file".to_string(), 0)
    };
    let positives = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut words: Vec<String> = positives.iter().map(|r| rule_words(*r)).collect();
    words.sort();
    words.dedup();
    let expected = match words.as_slice() {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    };
    let help = suggest_keyword(&word, &positives).or_else(|| {
        rest.starts_with('"')
            .then(|| "this string is never closed: add the missing `\"`".to_string())
    });
    SyntaxError::Unexpected {
        expected,
        found,
        span: Span::new(pos, pos + len).into(),
        help,
    }
}

/// "did you mean `drop`?" for a word close to a keyword the grammar expected
/// (or, when the grammar only wanted a generic action, to any keyword).
fn suggest_keyword(word: &str, positives: &[R]) -> Option<String> {
    if word.is_empty() {
        return None;
    }
    let expected: Vec<String> = positives
        .iter()
        .filter_map(|r| format!("{r:?}").strip_prefix("kw_").map(str::to_string))
        .collect();
    let pool: Vec<&str> = if expected.is_empty() {
        SUGGESTABLE.to_vec()
    } else {
        expected.iter().map(String::as_str).collect()
    };
    crate::suggest::closest(word, pool.iter().copied()).map(|k| format!("did you mean `{k}`?"))
}
