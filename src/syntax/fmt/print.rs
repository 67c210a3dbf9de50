//! AST → canonical text, with the original comments put back by position.
//!
//! Every token printed is looked up in the original token stream, so the
//! comments that preceded it there can be printed before it. Tokens the
//! canonical form leaves out (redundant parentheses, `not not`, trailing
//! commas) are skipped. The only tokens it may add are the parentheses
//! around an `and` inside an `or`.

use super::doc::{Doc, Renderer};
use super::lex::{blank_before, Comment, Lexed, Token};
use crate::syntax::ast::{
    Action, Classify, Cond, CondKind, Extension, File, Item, Literal, Name, Operand, Provider,
    Rule, Section, Separator, Switch, Test,
};
use crate::syntax::Span;

/// Lines longer than this are broken where the syntax allows.
pub const WIDTH: usize = 100;
/// One level of indentation.
const INDENT: usize = 2;

/// Which construct a condition sits in, to decide where parentheses are needed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    Top,
    Or,
    And,
    Not,
}

pub(super) struct Printer<'a> {
    src: &'a str,
    tokens: &'a [Token],
    comments: &'a [Comment],
    next_comment: usize,
    cursor: usize,
    out: String,
    /// Whether an `and` inside an `or` gets clarifying parentheses: not when
    /// they would nest the file deeper than the parser accepts.
    clarify: bool,
}

impl<'a> Printer<'a> {
    pub(super) fn new(src: &'a str, lexed: &'a Lexed) -> Self {
        Self {
            src,
            tokens: &lexed.tokens,
            comments: &lexed.comments,
            next_comment: 0,
            cursor: 0,
            out: String::with_capacity(src.len() + src.len() / 8),
            clarify: true,
        }
    }

    /// Prints a whole file; returns the text (ending in one newline unless empty).
    pub(super) fn file(mut self, file: &File) -> String {
        self.clarify = file_depth(file) <= crate::syntax::parse::MAX_NESTING;
        let mut at_start = true;
        let mut prev_block = false;
        for item in &file.items {
            let (start, block) = match item {
                Item::Provider(p) => (p.span.start, true),
                Item::Section(s) => (s.span.start, true),
                Item::Rule(r) => (r.span.start, false),
                Item::Extend(e) => (e.span.start, true),
            };
            self.leading(Some(start), 0, block || prev_block, &mut at_start, true);
            match item {
                Item::Provider(p) => self.provider(p, 0),
                Item::Section(s) => self.section(s, 0),
                Item::Rule(r) => self.rule(r, 0),
                Item::Extend(e) => self.extension(e, 0),
            }
            prev_block = block;
        }
        self.leading(None, 0, false, &mut at_start, false);
        self.out
    }

    // ---- positions and comments -------------------------------------------

    fn text_of(&self, span: Span) -> &'a str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn token_text(&self, i: usize) -> &'a str {
        self.tokens.get(i).map_or("", |t| self.text_of(t.span))
    }

    /// Moves the cursor to the first token at or after `pos`.
    fn seek(&mut self, pos: usize) {
        self.cursor = self.tokens.partition_point(|t| t.span.start < pos);
    }

    /// End of the last token that starts before `pos`.
    fn last_end_before(&self, pos: usize) -> usize {
        let i = self.tokens.partition_point(|t| t.span.start < pos);
        i.checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.span.end)
    }

    /// Adds every not yet printed comment that starts before `pos`.
    fn flush(&mut self, pos: usize, d: &mut Vec<Doc>) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= pos {
                break;
            }
            d.push(Doc::Comment {
                text: c.text.clone(),
                trailing: c.trailing,
            });
            self.next_comment += 1;
        }
    }

    /// Whether an unprinted comment starts before `pos`.
    fn comment_before(&self, pos: usize) -> bool {
        self.comments
            .get(self.next_comment)
            .is_some_and(|c| c.span.start < pos)
    }

    /// Finds a keyword or punctuation mark in the source from the cursor on
    /// (skipping tokens the canonical form drops) and returns its position;
    /// when it is not there, the position of the token at the cursor.
    fn locate(&mut self, text: &str) -> usize {
        let mut i = self.cursor;
        while i < self.tokens.len() {
            let t = self.token_text(i);
            if t == text {
                self.cursor = i + 1;
                return self.tokens.get(i).map_or(self.src.len(), |t| t.span.start);
            }
            if !matches!(t, "(" | ")" | "," | "not") {
                break;
            }
            i += 1;
        }
        self.tokens
            .get(self.cursor)
            .map_or(self.src.len(), |t| t.span.start)
    }

    /// Prints a keyword or punctuation mark, after the comments before it.
    fn fixed(&mut self, d: &mut Vec<Doc>, text: &'static str) {
        let pos = self.locate(text);
        self.flush(pos, d);
        d.push(Doc::Text(text.to_string()));
    }

    /// A line break, then a keyword: the comments before the keyword go
    /// before the break, so one that ended a line still does.
    fn break_then(&mut self, d: &mut Vec<Doc>, text: &'static str) {
        let pos = self.locate(text);
        self.flush(pos, d);
        d.push(Doc::Line);
        d.push(Doc::Text(text.to_string()));
    }

    /// Prints a word or literal exactly as written.
    fn leaf(&mut self, d: &mut Vec<Doc>, span: Span) {
        self.flush(span.start, d);
        d.push(Doc::Text(self.text_of(span).to_string()));
        self.cursor = self.tokens.partition_point(|t| t.span.start < span.end);
    }

    /// A parameter name: bare, or `param("…")` when written so.
    fn name(&mut self, d: &mut Vec<Doc>, n: &Name) {
        if self.text_of(n.span).starts_with('"') {
            self.fixed(d, "param");
            self.fixed(d, "(");
            self.leaf(d, n.span);
            self.fixed(d, ")");
        } else {
            self.leaf(d, n.span);
        }
    }

    // ---- block level ---------------------------------------------------------

    /// Prints the comments before `pos` on their own lines at `indent`, and
    /// the blank line wanted before the item at `pos` (one at most; none at
    /// the start of a block).
    fn leading(
        &mut self,
        pos: Option<usize>,
        indent: usize,
        force_blank: bool,
        at_start: &mut bool,
        item: bool,
    ) {
        let limit = pos.unwrap_or(usize::MAX);
        let mut blank = force_blank;
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= limit {
                break;
            }
            if !*at_start && (blank || c.blank_before) {
                self.out.push('\n');
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.next_comment += 1;
            *at_start = false;
            blank = false;
        }
        if let (Some(p), true) = (pos, item) {
            if !*at_start && (blank || blank_before(self.src, p)) {
                self.out.push('\n');
            }
            *at_start = false;
        }
    }

    /// Renders one statement at `indent`, then the comment that ends its
    /// last source line, if any. `end` is where its source ends (default:
    /// after the last token printed and any dropped closing parentheses).
    fn stmt(&mut self, docs: Vec<Doc>, indent: usize, end: Option<usize>) {
        let last_end = match end {
            Some(e) => e,
            None => {
                while self.token_text(self.cursor) == ")" {
                    self.cursor += 1;
                }
                self.cursor
                    .checked_sub(1)
                    .and_then(|i| self.tokens.get(i))
                    .map_or(0, |t| t.span.end)
            }
        };
        let doc = Doc::Group(docs);
        let mut r = Renderer::new(&mut self.out, WIDTH);
        r.render(&doc, indent);
        let mut pending = r.pending_newline();
        // Comments that end a line of this statement's source and were not
        // printed before a token (they followed its last token, or tokens the
        // canonical form drops) end its last line. Comments on their own
        // lines are left to the block, which prints them before the next item.
        let next_token = self
            .tokens
            .get(self.tokens.partition_point(|t| t.span.start < last_end))
            .map_or(usize::MAX, |t| t.span.start);
        while let Some(c) = self.comments.get(self.next_comment) {
            let same_line = c.span.start < next_token
                && self
                    .src
                    .get(last_end.min(c.span.start)..c.span.start)
                    .is_some_and(|gap| !gap.contains('\n'));
            // A second one could only go on a line of its own: the block
            // prints it so, as it will when reading this output again.
            if pending || !c.trailing || !(c.span.start < last_end || same_line) {
                break;
            }
            self.out.push(' ');
            self.out.push_str(&c.text);
            self.next_comment += 1;
            pending = true;
        }
        self.out.push('\n');
    }

    /// Comments before a closing brace, then the brace.
    fn close(&mut self, brace: usize, inner: usize, indent: usize, at_start: &mut bool) {
        self.leading(Some(brace), inner, false, at_start, false);
        self.seek(brace);
        let mut d = Vec::new();
        self.fixed(&mut d, "}");
        self.stmt(d, indent, None);
    }

    fn provider(&mut self, p: &Provider, indent: usize) {
        let inner = indent + INDENT;
        self.seek(p.span.start);
        let mut d = Vec::new();
        self.fixed(&mut d, "provider");
        d.push(Doc::Text(" ".into()));
        self.leaf(&mut d, p.name.span);
        d.push(Doc::Text(" ".into()));
        self.fixed(&mut d, "{");
        self.stmt(d, indent, None);

        let mut at_start = true;
        let match_pos = self.tokens.get(self.cursor).map_or(0, |t| t.span.start);
        self.leading(Some(match_pos), inner, false, &mut at_start, true);
        let mut d = Vec::new();
        self.fixed(&mut d, "match");
        d.push(Doc::Text(" ".into()));
        let c = self.cond(&p.matcher, Parent::Top);
        d.push(Doc::Nest(INDENT, vec![c]));
        self.stmt(d, inner, None);

        for s in &p.sections {
            self.leading(Some(s.span.start), inner, true, &mut at_start, true);
            self.section(s, inner);
        }
        self.close(p.span.end.saturating_sub(1), inner, indent, &mut at_start);
    }

    /// `extend provider "name" {`, then `also match` lines, switches and
    /// sections in the order written.
    fn extension(&mut self, e: &Extension, indent: usize) {
        let inner = indent + INDENT;
        self.seek(e.span.start);
        let mut d = Vec::new();
        self.fixed(&mut d, "extend");
        d.push(Doc::Text(" ".into()));
        if e.global {
            self.fixed(&mut d, "global");
        } else {
            self.fixed(&mut d, "provider");
            d.push(Doc::Text(" ".into()));
            self.leaf(&mut d, e.provider.span);
        }
        d.push(Doc::Text(" ".into()));
        self.fixed(&mut d, "{");
        self.stmt(d, indent, None);

        enum Part<'e> {
            Also(&'e Cond),
            Switch(&'e Switch),
            Section(&'e Section),
        }
        let mut parts: Vec<(usize, Part<'_>)> = e
            .also
            .iter()
            .map(|c| (c.span.start, Part::Also(c)))
            .chain(e.switches.iter().map(|s| (s.span.start, Part::Switch(s))))
            .chain(e.sections.iter().map(|s| (s.span.start, Part::Section(s))))
            .collect();
        parts.sort_by_key(|(start, _)| *start);
        let mut at_start = true;
        let mut prev_section = false;
        for (start, part) in parts {
            // `also match` starts two tokens before its condition.
            let pos = match part {
                Part::Also(_) => self.last_keyword_before(start, "also"),
                _ => start,
            };
            let is_section = matches!(part, Part::Section(_));
            self.leading(
                Some(pos),
                inner,
                is_section || prev_section,
                &mut at_start,
                true,
            );
            match part {
                Part::Also(c) => {
                    self.seek(pos);
                    let mut d = Vec::new();
                    self.fixed(&mut d, "also");
                    d.push(Doc::Text(" ".into()));
                    self.fixed(&mut d, "match");
                    d.push(Doc::Text(" ".into()));
                    let c = self.cond(c, Parent::Top);
                    d.push(Doc::Nest(INDENT, vec![c]));
                    self.stmt(d, inner, None);
                }
                Part::Switch(s) => {
                    self.seek(s.span.start);
                    let mut d = Vec::new();
                    self.fixed(&mut d, if s.on { "enable" } else { "disable" });
                    d.push(Doc::Text(" ".into()));
                    self.leaf(&mut d, s.name.span);
                    self.stmt(d, inner, None);
                }
                Part::Section(s) => self.section(s, inner),
            }
            prev_section = is_section;
        }
        self.close(e.span.end.saturating_sub(1), inner, indent, &mut at_start);
    }

    /// The start of the last `word` token before `pos` (or `pos`).
    fn last_keyword_before(&self, pos: usize, word: &str) -> usize {
        let i = self.tokens.partition_point(|t| t.span.start < pos);
        self.tokens
            .get(..i)
            .unwrap_or(&[])
            .iter()
            .rev()
            .find(|t| self.text_of(t.span) == word)
            .map_or(pos, |t| t.span.start)
    }

    fn section(&mut self, s: &Section, indent: usize) {
        let close = s.span.end.saturating_sub(1);
        self.seek(s.span.start);
        let mut d = Vec::new();
        self.leaf(&mut d, s.name.span);
        d.push(Doc::Text(" ".into()));
        self.fixed(&mut d, "{");
        let empty = s.rules.is_empty() && !self.comment_before(close);
        if empty {
            self.fixed(&mut d, "}");
        }
        self.stmt(d, indent, None);
        if empty {
            return;
        }
        let inner = indent + INDENT;
        let mut at_start = true;
        for r in &s.rules {
            self.leading(Some(r.span.start), inner, false, &mut at_start, true);
            self.rule(r, inner);
        }
        self.close(close, inner, indent, &mut at_start);
    }

    // ---- rules -----------------------------------------------------------------

    fn rule(&mut self, r: &Rule, indent: usize) {
        self.seek(r.span.start);
        let label = r.name.as_ref().map(|n| {
            let mut d = Vec::new();
            if r.optional {
                self.fixed(&mut d, "optional");
                d.push(Doc::Text(" ".into()));
            }
            self.leaf(&mut d, n.span);
            self.fixed(&mut d, ":");
            d
        });
        let when = r.when.as_ref().map(|w| {
            let mut d = Vec::new();
            self.fixed(&mut d, "when");
            d.push(Doc::Text(" ".into()));
            let c = self.cond(w, Parent::Top);
            d.push(Doc::Nest(2 * INDENT, vec![c]));
            self.flush(r.action.span.start, &mut d);
            d
        });
        let action = self.action(&r.action.node, r.action.span);
        let guard = r.guard.as_ref().map(|g| {
            let mut d = Vec::new();
            self.break_then(&mut d, "if");
            d.push(Doc::Text(" ".into()));
            let c = self.cond(g, Parent::Top);
            d.push(Doc::Nest(INDENT, vec![c]));
            d
        });
        let docs = match when {
            Some(mut w) => {
                let mut rest = vec![Doc::Line];
                rest.extend(action);
                rest.extend(guard.unwrap_or_default());
                w.push(Doc::Nest(INDENT, rest));
                w
            }
            None => {
                let mut d = action;
                if let Some(g) = guard {
                    d.push(Doc::Nest(INDENT, g));
                }
                d
            }
        };
        let docs = match label {
            // A named rule whose body does not fit goes on the next line.
            Some(mut l) => {
                let mut body = vec![Doc::Line];
                body.extend(docs);
                l.push(Doc::Nest(INDENT, vec![Doc::Group(body)]));
                l
            }
            None => docs,
        };
        let end = self.last_end_before(r.span.end);
        self.stmt(docs, indent, Some(end));
    }

    fn action(&mut self, a: &Action, span: Span) -> Vec<Doc> {
        self.seek(span.start);
        let mut d = Vec::new();
        let sp = || Doc::Text(" ".into());
        match a {
            Action::Drop(p) => {
                self.fixed(&mut d, "drop");
                d.push(sp());
                self.name(&mut d, p);
            }
            Action::DropEmpty(except) => {
                self.fixed(&mut d, "drop");
                d.push(sp());
                self.fixed(&mut d, "empty");
                self.except(&mut d, except);
            }
            Action::Set(p, v) | Action::Default(p, v) => {
                let word = if matches!(a, Action::Set(..)) {
                    "set"
                } else {
                    "default"
                };
                self.fixed(&mut d, word);
                d.push(sp());
                self.name(&mut d, p);
                d.push(sp());
                self.fixed(&mut d, "=");
                d.push(sp());
                self.leaf(&mut d, v.span);
            }
            Action::Rename(p, q) => {
                self.fixed(&mut d, "rename");
                d.push(sp());
                self.name(&mut d, p);
                d.push(sp());
                self.fixed(&mut d, "to");
                d.push(sp());
                self.name(&mut d, q);
            }
            Action::Add(v, p) | Action::Remove(v, p) => {
                let (word, link) = if matches!(a, Action::Add(..)) {
                    ("add", "to")
                } else {
                    ("remove", "from")
                };
                self.fixed(&mut d, word);
                d.push(sp());
                self.leaf(&mut d, v.span);
                d.push(sp());
                self.fixed(&mut d, link);
                d.push(sp());
                self.name(&mut d, p);
            }
            Action::Convert(p, sep) => {
                self.fixed(&mut d, "convert");
                d.push(sp());
                self.name(&mut d, p);
                d.push(sp());
                self.fixed(&mut d, "to");
                d.push(sp());
                let word = match sep {
                    Separator::Comma => "comma",
                    Separator::Space => "space",
                };
                self.fixed(&mut d, word);
            }
            Action::Dedupe(p) => {
                self.fixed(&mut d, "dedupe");
                d.push(sp());
                self.name(&mut d, p);
            }
            Action::Deny(v) => {
                self.fixed(&mut d, "deny");
                d.push(sp());
                self.leaf(&mut d, v.span);
            }
            Action::DenyRepeated(except) => {
                self.fixed(&mut d, "deny");
                d.push(sp());
                self.fixed(&mut d, "repeated");
                self.except(&mut d, except);
            }
            Action::Stop => self.fixed(&mut d, "stop"),
            Action::Classify(c) => self.classify(&mut d, c),
        }
        d
    }

    /// `classify CATEGORY [not] retryable hint "…"`, flag before hint
    /// whatever order they were written in.
    fn classify(&mut self, d: &mut Vec<Doc>, c: &Classify) {
        self.fixed(d, "classify");
        d.push(Doc::Text(" ".into()));
        self.leaf(d, c.category.span);
        if let Some(flag) = &c.retryable {
            self.seek(flag.span.start);
            d.push(Doc::Text(" ".into()));
            if !flag.node {
                self.fixed(d, "not");
                d.push(Doc::Text(" ".into()));
            }
            self.fixed(d, "retryable");
        }
        if let Some(hint) = &c.hint {
            // The `hint` keyword is the token right before its value.
            let i = self
                .tokens
                .partition_point(|t| t.span.start < hint.span.start);
            let pos = i
                .checked_sub(1)
                .and_then(|i| self.tokens.get(i))
                .map_or(hint.span.start, |t| t.span.start);
            d.push(Doc::Text(" ".into()));
            self.flush(pos, d);
            d.push(Doc::Text("hint".into()));
            d.push(Doc::Text(" ".into()));
            self.leaf(d, hint.span);
        }
    }

    fn except(&mut self, d: &mut Vec<Doc>, names: &[Name]) {
        if names.is_empty() {
            return;
        }
        d.push(Doc::Text(" ".into()));
        self.fixed(d, "except");
        d.push(Doc::Text(" ".into()));
        let list = self.list(names, |n| n.span.start, |p, d, n| p.name(d, n));
        d.push(list);
    }

    /// `[a, b, …]`, one item per line when it does not fit. `start` gives
    /// where an item begins, so comments before it go before the line break.
    fn list<T>(
        &mut self,
        items: &[T],
        start: impl Fn(&T) -> usize,
        mut item: impl FnMut(&mut Self, &mut Vec<Doc>, &T),
    ) -> Doc {
        let mut d = Vec::new();
        self.fixed(&mut d, "[");
        let mut inner = Vec::new();
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.fixed(&mut inner, ",");
            }
            self.flush(start(it), &mut inner);
            inner.push(if i > 0 { Doc::Line } else { Doc::SoftLine });
            item(self, &mut inner, it);
        }
        if !items.is_empty() {
            inner.push(Doc::IfBreak(","));
        }
        let close = self.locate("]");
        self.flush(close, &mut inner);
        d.push(Doc::Nest(INDENT, inner));
        d.push(Doc::SoftLine);
        d.push(Doc::Text("]".into()));
        Doc::Group(d)
    }

    // ---- conditions ------------------------------------------------------------

    fn cond(&mut self, c: &Cond, parent: Parent) -> Doc {
        // Needed parentheses, plus an `and` inside an `or`: not needed, but
        // mixed `and`/`or` read ambiguously without them.
        if !parens(c, parent, self.clarify) {
            return self.cond_inner(c);
        }
        let mut d = Vec::new();
        self.fixed(&mut d, "(");
        let inner = self.cond_inner(c);
        d.push(Doc::Nest(INDENT, vec![inner]));
        self.fixed(&mut d, ")");
        Doc::Group(d)
    }

    fn cond_inner(&mut self, c: &Cond) -> Doc {
        let mut d = Vec::new();
        match &c.node {
            CondKind::Or(parts) | CondKind::And(parts) => {
                let (word, parent) = if matches!(c.node, CondKind::Or(_)) {
                    ("or", Parent::Or)
                } else {
                    ("and", Parent::And)
                };
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.break_then(&mut d, word);
                        d.push(Doc::Text(" ".into()));
                    }
                    let doc = self.cond(part, parent);
                    d.push(doc);
                }
            }
            CondKind::Not(inner) => {
                self.fixed(&mut d, "not");
                d.push(Doc::Text(" ".into()));
                let doc = self.cond(inner, Parent::Not);
                d.push(doc);
            }
            CondKind::Test(operand, test) => {
                self.operand(&mut d, operand);
                if let Some(t) = test {
                    d.push(Doc::Text(" ".into()));
                    self.test(&mut d, t);
                }
            }
        }
        Doc::Group(d)
    }

    fn operand(&mut self, d: &mut Vec<Doc>, operand: &Operand) {
        match operand {
            Operand::Name(n) => self.leaf(d, n.span),
            Operand::Param(n) => {
                self.fixed(d, "param");
                self.fixed(d, "(");
                self.leaf(d, n.span);
                self.fixed(d, ")");
            }
            Operand::Repeated(n) | Operand::Empty(n) => {
                let word = if matches!(operand, Operand::Repeated(_)) {
                    "repeated"
                } else {
                    "empty"
                };
                self.fixed(d, word);
                self.fixed(d, "(");
                self.name(d, n);
                self.fixed(d, ")");
            }
        }
    }

    fn test(&mut self, d: &mut Vec<Doc>, t: &Test) {
        let value = |p: &mut Self, d: &mut Vec<Doc>, v: &Literal| p.leaf(d, v.span);
        match t {
            Test::Eq(v) | Test::Ne(v) | Test::Matches(v) | Test::NotMatches(v) => {
                let op = match t {
                    Test::Eq(_) => "==",
                    Test::Ne(_) => "!=",
                    Test::Matches(_) => "~",
                    _ => "!~",
                };
                self.fixed(d, op);
                d.push(Doc::Text(" ".into()));
                value(self, d, v);
            }
            Test::In(values) | Test::Within(values) => {
                let word = if matches!(t, Test::In(_)) {
                    "in"
                } else {
                    "within"
                };
                self.fixed(d, word);
                d.push(Doc::Text(" ".into()));
                let list = self.list(values, |v| v.span.start, value);
                d.push(list);
            }
            Test::Contains(v) => {
                self.fixed(d, "contains");
                d.push(Doc::Text(" ".into()));
                value(self, d, v);
            }
            Test::ContainsMatch(v) => {
                self.fixed(d, "contains");
                d.push(Doc::Text(" ".into()));
                self.fixed(d, "~");
                d.push(Doc::Text(" ".into()));
                value(self, d, v);
            }
        }
    }
}

/// Whether a condition is printed in parentheses under `parent`: when
/// needed, and (if `clarify`) for an `and` inside an `or`, which is not
/// needed but reads ambiguously without them.
fn parens(c: &Cond, parent: Parent, clarify: bool) -> bool {
    matches!(
        (&c.node, parent),
        (CondKind::Or(_), Parent::Or | Parent::And | Parent::Not)
            | (CondKind::And(_), Parent::And | Parent::Not)
            | (CondKind::Not(_), Parent::Not)
    ) || (clarify && matches!((&c.node, parent), (CondKind::And(_), Parent::Or)))
}

/// The deepest `(`/`[` nesting of the file's conditions as printed with
/// clarifying parentheses. Parentheses that are needed were in the source,
/// so only the clarifying ones can take it over the parser's limit. The
/// recursion is bounded by that limit, which the file passed.
fn file_depth(file: &File) -> usize {
    fn depth(c: &Cond, parent: Parent) -> usize {
        let own = usize::from(parens(c, parent, true));
        own + match &c.node {
            CondKind::Or(parts) => parts
                .iter()
                .map(|p| depth(p, Parent::Or))
                .max()
                .unwrap_or(0),
            CondKind::And(parts) => parts
                .iter()
                .map(|p| depth(p, Parent::And))
                .max()
                .unwrap_or(0),
            CondKind::Not(inner) => depth(inner, Parent::Not),
            CondKind::Test(_, Some(Test::In(_) | Test::Within(_))) => 1,
            CondKind::Test(..) => 0,
        }
    }
    let rule = |r: &Rule| {
        let w = r.when.as_ref().map_or(0, |c| depth(c, Parent::Top));
        let g = r.guard.as_ref().map_or(0, |c| depth(c, Parent::Top));
        w.max(g)
    };
    let section = |s: &Section| s.rules.iter().map(rule).max().unwrap_or(0);
    file.items
        .iter()
        .map(|item| match item {
            Item::Provider(p) => depth(&p.matcher, Parent::Top)
                .max(p.sections.iter().map(section).max().unwrap_or(0)),
            Item::Section(s) => section(s),
            Item::Rule(r) => rule(r),
            Item::Extend(e) => e
                .also
                .iter()
                .map(|c| depth(c, Parent::Top))
                .chain(e.sections.iter().map(section))
                .max()
                .unwrap_or(0),
        })
        .max()
        .unwrap_or(0)
}
