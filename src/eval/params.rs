//! The parameter list being rewritten. Entries remember their raw text, so
//! anything no rule touched is written back byte for byte.

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use smallvec::SmallVec;

use super::redact;
use super::request::{decoded_byte, RawParam};
use crate::vocab::is_secret_param;

/// Everything but RFC 3986 unreserved characters is encoded in values we write.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One parameter in the working list: the parameter as received (offsets
/// into the request, decoded only when read) and whatever rules changed.
#[derive(Clone)]
pub struct Entry<'a> {
    /// The parameter as received; `None` for added entries.
    param: Option<&'a RawParam>,
    /// The text `param` was read from.
    source: &'a str,
    /// The new decoded name, once renamed (or added).
    new_name: Option<Cow<'a, str>>,
    /// The new decoded value, once changed (or added).
    new_value: Option<Cow<'a, str>>,
    /// Removed entries stay in place (cheap) and are skipped everywhere.
    removed: bool,
}

impl<'a> Entry<'a> {
    /// The current decoded name.
    pub fn name(&self) -> &str {
        match (&self.new_name, self.param) {
            (Some(n), _) => n,
            (None, Some(p)) => p.name(self.source),
            (None, None) => "",
        }
    }

    /// The current decoded value (decoded on first read).
    pub fn value(&self) -> &str {
        match (&self.new_value, self.param) {
            (Some(v), _) => v,
            (None, Some(p)) => p.value(self.source),
            (None, None) => "",
        }
    }

    /// Whether the current value is empty (without decoding it).
    pub fn value_is_empty(&self) -> bool {
        match (&self.new_value, self.param) {
            (Some(v), _) => v.is_empty(),
            (None, Some(p)) => p.value_is_empty(),
            (None, None) => true,
        }
    }

    /// Whether the current value, read as a space- or comma-separated list,
    /// has `item` (as [`list_items`] on [`Entry::value`] would say), without
    /// decoding the value: `remove "groups" from scope` looks at every
    /// request's `scope`, and most do not have the item.
    pub fn list_contains(&self, item: &str) -> bool {
        match (&self.new_value, self.param) {
            (None, Some(p)) if !item.contains(char::REPLACEMENT_CHARACTER) => p
                .raw_value(self.source)
                .is_some_and(|raw| decoded_list_contains(raw.as_bytes(), item.as_bytes())),
            _ => list_items(self.value()).any(|i| i == item),
        }
    }

    /// The piece as received (empty for added entries).
    fn raw(&self) -> &'a str {
        self.param
            .and_then(|p| self.source.get(p.segment()))
            .unwrap_or("")
    }

    /// The raw name and value text as received.
    fn raw_parts(&self) -> (Option<&'a str>, Option<&'a str>) {
        let raw = self.raw();
        match self
            .param
            .and_then(|p| p.eq_offset().map(|e| e - p.segment().start))
        {
            Some(i) => (raw.get(..i), raw.get(i + 1..)),
            None => (self.param.map(|_| raw), None),
        }
    }

    /// An upper bound of how much longer the rendered entry can be than
    /// the raw one (every changed byte percent-encoded, plus `=`).
    fn growth(&self) -> usize {
        let n = self.new_name.as_ref().map_or(0, |n| 3 * n.len());
        let v = self.new_value.as_ref().map_or(0, |v| 3 * v.len());
        n + v + 2
    }
}

/// Debug shows the value only when the name is not a secret one.
impl fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = is_secret_param(self.name());
        let mut d = f.debug_struct("Entry");
        d.field("raw", &redact::Form(self.raw()))
            .field("name", &self.name());
        if secret {
            d.field("value", &redact::Secret(Some(self.value())));
        } else {
            d.field("value", &self.value());
        }
        d.field("name_changed", &self.new_name.is_some())
            .field("value_changed", &self.new_value.is_some())
            .field("removed", &self.removed)
            .finish()
    }
}

/// What [`Params::map_values`] does with one value.
pub enum Edit<'v> {
    /// Leave it as it is.
    Keep,
    /// Replace it.
    Set(Cow<'v, str>),
    /// Remove the occurrence.
    Remove,
}

/// Entries kept inline: most requests have fewer parameters than this.
const INLINE: usize = 16;

/// The working parameter list of one evaluation.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    entries: SmallVec<[Entry<'a>; INLINE]>,
    /// The text the parameters were read from.
    source: &'a str,
    /// The source is a form body (where `+` is the usual space).
    form: bool,
    changed: bool,
}

impl<'a> Params<'a> {
    /// A working list over `raw` params read from `source`. `form` says the
    /// source is a form body (where `+` is the usual space).
    pub fn new(source: &'a str, raw: &'a [RawParam], form: bool) -> Self {
        let entries = raw
            .iter()
            .map(|p| Entry {
                param: Some(p),
                source,
                new_name: None,
                new_value: None,
                removed: false,
            })
            .collect();
        Self {
            entries,
            source,
            form,
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
        self.iter().find(|e| e.name() == name).map(Entry::value)
    }

    /// How many live occurrences of `name` there are.
    pub fn count(&self, name: &str) -> usize {
        self.iter().filter(|e| e.name() == name).count()
    }

    /// Present with a non-empty value (RFC 6749 §3.1: empty means omitted).
    pub fn present(&self, name: &str) -> bool {
        self.iter().any(|e| e.name() == name && !e.value_is_empty())
    }

    /// Whether some live value of `name` has `item` as a list item.
    pub fn any_list_contains(&self, name: &str, item: &str) -> bool {
        self.iter()
            .any(|e| e.name() == name && e.list_contains(item))
    }

    /// Whether the first live value of `name` has `item` as a list item.
    pub fn first_list_contains(&self, name: &str, item: &str) -> Option<bool> {
        self.iter()
            .find(|e| e.name() == name)
            .map(|e| e.list_contains(item))
    }

    /// Removes every occurrence; returns whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        self.remove_where(|e| e.name() == name) > 0
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
    pub fn set(&mut self, name: &str, value: Cow<'a, str>) -> bool {
        let mut value = Some(value);
        let mut changed = false;
        let mut first = true;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| !e.removed && e.name() == name)
        {
            if first {
                first = false;
                if value.as_deref().is_some_and(|v| v != e.value()) {
                    e.new_value = value.take();
                    changed = true;
                }
            } else {
                e.removed = true;
                changed = true;
            }
        }
        if let (true, Some(value)) = (first, value) {
            self.push(Cow::Owned(name.to_string()), value);
            changed = true;
        }
        self.changed |= changed;
        changed
    }

    /// Appends a new entry.
    pub fn push(&mut self, name: Cow<'a, str>, value: Cow<'a, str>) {
        self.entries.push(Entry {
            param: None,
            source: self.source,
            new_name: Some(name),
            new_value: Some(value),
            removed: false,
        });
        self.changed = true;
    }

    /// Renames every occurrence of `from` to `to`; values stay byte-identical.
    pub fn rename(&mut self, from: &str, to: &'a str) -> bool {
        let mut n = 0;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| !e.removed && e.name() == from)
        {
            e.new_name = Some(Cow::Borrowed(to));
            n += 1;
        }
        self.changed |= n > 0;
        n > 0
    }

    /// Applies `f` to the value of every occurrence of `name`: keep it,
    /// replace it, or remove the occurrence. Returns whether anything
    /// changed.
    pub fn map_values(&mut self, name: &str, mut f: impl FnMut(&str) -> Edit<'a>) -> bool {
        let mut changed = false;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| !e.removed && e.name() == name)
        {
            match f(e.value()) {
                Edit::Keep => {}
                Edit::Set(v) if v == e.value() => {}
                Edit::Set(v) => {
                    e.new_value = Some(v);
                    changed = true;
                }
                Edit::Remove => {
                    e.removed = true;
                    changed = true;
                }
            }
        }
        self.changed |= changed;
        changed
    }

    /// An upper bound of the rendered length.
    pub fn render_len(&self) -> usize {
        self.source.len()
            + self
                .entries
                .iter()
                .filter(|e| !e.removed)
                .map(Entry::growth)
                .sum::<usize>()
    }

    /// Writes the list back: untouched entries as received, changed ones
    /// encoded, removed ones gone.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.render_len());
        self.render_into(&mut out);
        out
    }

    /// [`Params::render`] appended to `out`.
    pub fn render_into(&self, out: &mut String) {
        // Spaces are written as `+` when the request already does (or is
        // a form), as `%20` when it uses that; asked only if a space is
        // actually written.
        let mut plus_spaces = None;
        let mut first = true;
        for e in self.iter() {
            if !first {
                out.push('&');
            }
            first = false;
            if e.new_name.is_none() && e.new_value.is_none() {
                out.push_str(e.raw());
                continue;
            }
            let (raw_name, raw_value) = e.raw_parts();
            match (&e.new_name, raw_name) {
                (None, Some(raw)) => out.push_str(raw),
                _ => self.encode_into(e.name(), out, &mut plus_spaces),
            }
            match (&e.new_value, raw_value) {
                (None, Some(raw)) => {
                    out.push('=');
                    out.push_str(raw);
                }
                (None, None) => {}
                (Some(v), _) => {
                    out.push('=');
                    self.encode_into(v, out, &mut plus_spaces);
                }
            }
        }
    }

    fn encode_into(&self, s: &str, out: &mut String, plus_spaces: &mut Option<bool>) {
        for chunk in utf8_percent_encode(s, ENCODE) {
            if chunk == "%20" {
                let plus = *plus_spaces.get_or_insert_with(|| {
                    !self.source.contains("%20") && (self.source.contains('+') || self.form)
                });
                out.push_str(if plus { "+" } else { "%20" });
            } else {
                out.push_str(chunk);
            }
        }
    }
}

/// The items of a space- or comma-separated list value. Split on bytes:
/// both separators are ASCII, so every piece is still whole UTF-8.
pub fn list_items(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .bytes()
            .position(|b| b == b' ' || b == b',')
            .unwrap_or(rest.len());
        let item = rest.get(..end).unwrap_or("");
        rest = rest.get(end + 1..).unwrap_or("");
        if !item.is_empty() {
            return Some(item);
        }
    })
}

/// Whether the form-decoding of `raw` (`+` a space, `%XX` a byte, any other
/// `%` itself), split as [`list_items`] splits, has an item equal to `item`,
/// decoded byte by byte as it is compared. Equal to decoding first when
/// `item` has no U+FFFD: a piece that is not UTF-8 decodes (lossily) to
/// one with U+FFFD, and invalid bytes never take a separator with them
/// (separators are ASCII), so items split the same either way.
fn decoded_list_contains(raw: &[u8], item: &[u8]) -> bool {
    let mut i = 0;
    // Each turn reads one piece: compared byte by byte while it matches,
    // then (the usual case) skipped to the next separator.
    loop {
        let mut n = 0;
        let ended = loop {
            let Some(b) = decoded_byte(raw, &mut i) else {
                return n > 0 && n == item.len();
            };
            if b == b' ' || b == b',' {
                if n > 0 && n == item.len() {
                    return true;
                }
                break false;
            }
            if item.get(n) == Some(&b) {
                n += 1;
                continue;
            }
            // A different piece: skip it without decoding, stopping only
            // at a separator (raw, `+`, or escaped).
            break loop {
                // Most bytes are none of the four: one look each.
                let Some(skip) = raw.get(i..).and_then(|rest| {
                    rest.iter()
                        .position(|&r| matches!(r, b' ' | b',' | b'+' | b'%'))
                }) else {
                    break true;
                };
                i += skip;
                // A separator, raw or encoded (`+`, `%20`, `%2C`), ends the item.
                match decoded_byte(raw, &mut i) {
                    None => break true,
                    Some(b' ' | b',') => break false,
                    Some(_) => {}
                }
            };
        };
        if ended {
            return false;
        }
    }
}

/// The separator a list value already uses (space when it has none).
pub fn list_separator(value: &str) -> &'static str {
    if value.contains(',') && !value.contains(' ') {
        ","
    } else {
        " "
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{decoded_list_contains, list_items};
    use crate::eval::request::decode;

    /// Raw values built from the pieces that matter: separators (raw and
    /// encoded), `+`, valid and broken escapes, bytes that are not UTF-8
    /// once decoded, and the item's own letters.
    fn raw_value() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "a",
            "b",
            "ab",
            "g",
            "groups",
            " ",
            ",",
            "+",
            "%20",
            "%2C",
            "%2c",
            "%61",
            "%",
            "%4",
            "%zz",
            "%FF",
            "%C3",
            "%A9",
            "%C3%A9",
            "é",
            "%EF%BF%BD",
            "\u{FFFD}",
        ]);
        prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
    }

    fn item() -> impl Strategy<Value = String> {
        // No U+FFFD: `list_contains` decodes first for such an item.
        prop::sample::select(vec!["a", "ab", "groups", "é", "a b", "", "%", "+", "%20"])
            .prop_map(str::to_string)
    }

    proptest! {
        #[test]
        fn reading_a_list_while_decoding_equals_decoding_first(raw in raw_value(), item in item()) {
            let expected = list_items(&decode(&raw)).any(|i| i == item);
            prop_assert_eq!(decoded_list_contains(raw.as_bytes(), item.as_bytes()), expected);
        }
    }
}
