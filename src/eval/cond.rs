//! Evaluating compiled conditions and templates against a request.

use std::borrow::Cow;

use super::params::{list_items, Params};
use super::request::Target;
use crate::compile::ir::{Check, Cond, Piece, Subject, Template};
use crate::vocab::{Attr, Kind};

/// What conditions can see: the target URL, the kind and the parameters.
pub struct Ctx<'r, 'p> {
    /// The URL's parts.
    pub target: &'r Target,
    /// The request kind.
    pub kind: Kind,
    /// The parameters as rewritten so far.
    pub params: &'r Params<'p>,
}

impl Ctx<'_, '_> {
    /// The value of an attribute or the first value of a parameter.
    pub fn value(&self, subject: &Subject) -> Option<Cow<'_, str>> {
        match subject {
            Subject::Attr(Attr::Host) => Some(Cow::Borrowed(self.target.host())),
            Subject::Attr(Attr::Path) => Some(Cow::Borrowed(self.target.path())),
            Subject::Attr(Attr::Scheme) => Some(Cow::Borrowed(self.target.scheme())),
            Subject::Attr(Attr::Port) => self.target.port().map(|p| Cow::Owned(p.to_string())),
            Subject::Attr(Attr::Kind) => Some(Cow::Borrowed(self.kind.name())),
            Subject::Param(name) => self.params.get(name).map(Cow::Borrowed),
        }
    }

    /// Whether `cond` holds.
    pub fn holds(&self, cond: &Cond) -> bool {
        match cond {
            Cond::And(parts) => parts.iter().all(|c| self.holds(c)),
            Cond::Or(parts) => parts.iter().any(|c| self.holds(c)),
            Cond::Not(inner) => !self.holds(inner),
            Cond::Present(Subject::Param(name)) => self.params.present(name),
            Cond::Present(subject) => self.value(subject).is_some_and(|v| !v.is_empty()),
            Cond::Repeated(name) => self.params.count(name) > 1,
            Cond::Empty(name) => self
                .params
                .iter()
                .any(|e| e.name() == name && e.value_is_empty()),
            Cond::Test(Subject::Param(name), Check::Contains(item)) => {
                self.params.first_list_contains(name, item).unwrap_or(false)
            }
            Cond::Test(subject, check) => {
                self.value(subject).is_some_and(|v| check_value(check, &v))
            }
        }
    }

    /// Fills a template; `None` when it cannot be (see [`Ctx::try_render`]).
    pub fn render(&self, template: &Template) -> Option<String> {
        self.try_render(template, usize::MAX)
            .ok()
            .map(Cow::into_owned)
    }

    /// Fills a template, each `${…}` with exactly one value, refusing a
    /// result longer than `max_bytes` (checked as it grows, so a template
    /// that doubles a value cannot allocate past the limit). A template
    /// that is only text is borrowed, not copied.
    pub fn try_render<'t>(
        &self,
        template: &'t Template,
        max_bytes: usize,
    ) -> Result<Cow<'t, str>, RenderError> {
        if let [Piece::Text(t)] = template.parts.as_slice() {
            if t.len() > max_bytes {
                return Err(RenderError::TooLong);
            }
            return Ok(Cow::Borrowed(t.as_str()));
        }
        let mut out = String::new();
        for piece in &template.parts {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(subject) => {
                    if let Subject::Param(name) = subject {
                        // Taking the first of several values would let the
                        // request pick which one the rule uses.
                        let count = self.params.count(name);
                        if count > 1 {
                            return Err(RenderError::Repeated {
                                name: name.clone(),
                                count,
                            });
                        }
                    }
                    let value = self.value(subject).ok_or(RenderError::Absent)?;
                    if out.len().saturating_add(value.len()) > max_bytes {
                        return Err(RenderError::TooLong);
                    }
                    out.push_str(&value);
                }
            }
            if out.len() > max_bytes {
                return Err(RenderError::TooLong);
            }
        }
        Ok(Cow::Owned(out))
    }
}

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// A parameter it interpolates is absent.
    Absent,
    /// A parameter it interpolates occurs more than once: ambiguous.
    Repeated {
        /// The parameter.
        name: String,
        /// How many times it occurs.
        count: usize,
    },
    /// The result would be longer than allowed.
    TooLong,
}

/// Whether a present value passes a check: the one definition, which the
/// lint rules reason with too.
pub(crate) fn check_value(check: &Check, value: &str) -> bool {
    match check {
        Check::Eq(expected) => value == expected,
        Check::Matches(re) => re.is_match(value),
        Check::In(options) => options.iter().any(|o| o == value),
        Check::Within(options) => list_items(value).all(|i| options.iter().any(|o| o == i)),
        Check::Contains(item) => list_items(value).any(|i| i == item),
        Check::ContainsMatch(re) => list_items(value).any(|i| re.is_match(i)),
    }
}
