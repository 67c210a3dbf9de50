//! The parameter list being rewritten. Entries remember their raw text, so
//! anything no rule touched is written back byte for byte.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::redact;
use super::request::RawParam;
use crate::vocab::is_secret_param;

/// Everything but RFC 3986 unreserved characters is encoded in values we write.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One parameter in the working list.
#[derive(Clone)]
pub struct Entry<'a> {
    /// The raw piece as received; empty for added entries.
    raw: &'a str,
    /// Where `=` is in `raw`, if anywhere.
    raw_eq: Option<usize>,
    /// Current decoded name.
    pub name: Cow<'a, str>,
    /// Current decoded value.
    pub value: Cow<'a, str>,
    name_changed: bool,
    value_changed: bool,
    /// Removed entries stay in place (cheap) and are skipped everywhere.
    removed: bool,
}

/// Debug shows the value only when the name is not a secret one.
impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = is_secret_param(&self.name);
        let mut d = f.debug_struct("Entry");
        d.field("raw", &redact::Form(self.raw))
            .field("name", &self.name);
        if secret {
            d.field("value", &redact::Secret(Some(&self.value)));
        } else {
            d.field("value", &self.value);
        }
        d.field("name_changed", &self.name_changed)
            .field("value_changed", &self.value_changed)
            .field("removed", &self.removed)
            .finish()
    }
}

/// The working parameter list of one evaluation.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    entries: Vec<Entry<'a>>,
    /// Write spaces as `+` (the request already does) rather than `%20`.
    plus_spaces: bool,
    changed: bool,
}

impl<'a> Params<'a> {
    /// A working list over `raw` params read from `source`. `form` says the
    /// source is a form body (where `+` is the usual space).
    pub fn new(source: &'a str, raw: &'a [RawParam], form: bool) -> Self {
        let entries = raw
            .iter()
            .map(|p| {
                let seg = source.get(p.segment.clone()).unwrap_or("");
                Entry {
                    raw: seg,
                    raw_eq: p.eq.map(|e| e - p.segment.start),
                    name: Cow::Borrowed(p.name(source)),
                    value: Cow::Borrowed(p.value(source)),
                    name_changed: false,
                    value_changed: false,
                    removed: false,
                }
            })
            .collect();
        let plus_spaces = if source.contains("%20") {
            false
        } else {
            source.contains('+') || form
        };
        Self {
            entries,
            plus_spaces,
            changed: false,
        }
    }

    /// Whether any rule changed the list.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Live entries.
    pub fn iter(&self) -> impl Iterator<Item = &Entry<'a>> {
        self.entries.iter().filter(|e| !e.removed)
    }

    /// The first live value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|e| e.name == name)
            .map(|e| e.value.as_ref())
    }

    /// How many live occurrences of `name` there are.
    pub fn count(&self, name: &str) -> usize {
        self.iter().filter(|e| e.name == name).count()
    }

    /// Present with a non-empty value (RFC 6749 §3.1: empty means omitted).
    pub fn present(&self, name: &str) -> bool {
        self.iter().any(|e| e.name == name && !e.value.is_empty())
    }

    /// Removes every occurrence; returns whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        self.remove_where(|e| e.name == name) > 0
    }

    /// Removes every live entry matching `pred`; returns how many.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Entry<'a>) -> bool) -> usize {
        let mut n = 0;
        for e in self.entries.iter_mut().filter(|e| !e.removed) {
            if pred(e) {
                e.removed = true;
                n += 1;
            }
        }
        self.changed |= n > 0;
        n
    }

    /// Sets the first occurrence to `value` and removes the others, or
    /// appends when absent. Returns whether anything changed.
    pub fn set(&mut self, name: &str, value: String) -> bool {
        let mut first = true;
        let mut changed = false;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| !e.removed && e.name == name)
        {
            if first {
                first = false;
                if e.value != value {
                    e.value = Cow::Owned(value.clone());
                    e.value_changed = true;
                    changed = true;
                }
            } else {
                e.removed = true;
                changed = true;
            }
        }
        if first {
            self.push(name, value);
            changed = true;
        }
        self.changed |= changed;
        changed
    }

    /// Appends a new entry.
    pub fn push(&mut self, name: &str, value: String) {
        self.entries.push(Entry {
            raw: "",
            raw_eq: None,
            name: Cow::Owned(name.to_string()),
            value: Cow::Owned(value),
            name_changed: true,
            value_changed: true,
            removed: false,
        });
        self.changed = true;
    }

    /// Renames every occurrence of `from` to `to`; values stay byte-identical.
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        let mut n = 0;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| !e.removed && e.name == from)
        {
            e.name = Cow::Owned(to.to_string());
            e.name_changed = true;
            n += 1;
        }
        self.changed |= n > 0;
        n > 0
    }

    /// Replaces the value of every occurrence of `name` with `f(value)` where
    /// that differs; `None` from `f` removes the occurrence.
    pub fn map_values(&mut self, name: &str, mut f: impl FnMut(&str) -> Option<String>) -> bool {
        let mut changed = false;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| !e.removed && e.name == name)
        {
            match f(&e.value) {
                Some(v) if v == e.value => {}
                Some(v) => {
                    e.value = Cow::Owned(v);
                    e.value_changed = true;
                    changed = true;
                }
                None => {
                    e.removed = true;
                    changed = true;
                }
            }
        }
        self.changed |= changed;
        changed
    }

    /// Writes the list back: untouched entries as received, changed ones
    /// encoded, removed ones gone.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut first = true;
        for e in self.iter() {
            if !first {
                out.push('&');
            }
            first = false;
            if !e.name_changed && !e.value_changed {
                out.push_str(e.raw);
                continue;
            }
            let (raw_name, raw_value) = match e.raw_eq {
                Some(i) => (e.raw.get(..i), e.raw.get(i + 1..)),
                None => (Some(e.raw), None),
            };
            match (e.name_changed, raw_name) {
                (false, Some(raw)) => out.push_str(raw),
                _ => self.encode_into(&e.name, &mut out),
            }
            match (e.value_changed, raw_value) {
                (false, Some(raw)) => {
                    out.push('=');
                    out.push_str(raw);
                }
                (false, None) => {}
                (true, _) => {
                    out.push('=');
                    self.encode_into(&e.value, &mut out);
                }
            }
        }
        out
    }

    fn encode_into(&self, s: &str, out: &mut String) {
        for chunk in utf8_percent_encode(s, ENCODE) {
            if self.plus_spaces && chunk == "%20" {
                out.push('+');
            } else {
                out.push_str(chunk);
            }
        }
    }
}

/// The items of a space- or comma-separated list value.
pub fn list_items(value: &str) -> impl Iterator<Item = &str> {
    value.split([' ', ',']).filter(|s| !s.is_empty())
}

/// The separator a list value already uses (space when it has none).
pub fn list_separator(value: &str) -> &'static str {
    if value.contains(',') && !value.contains(' ') {
        ","
    } else {
        " "
    }
}
