//! The written text of a policy's rules and `match` conditions, found by
//! where they were written (the locations a [`crate::Trace`] reports). The
//! compiled rules keep their file and span, so nothing is parsed again.

use crate::compile::ir::{Rule, TextRef};
use crate::source::Location;
use crate::syntax::fmt::lex_parsed;
use crate::Policy;

impl Policy {
    /// The text of the rule written at `at` (a trace step's location), its
    /// comments left out and its white space collapsed to single spaces;
    /// `None` when no rule starts there.
    ///
    /// ```
    /// use oauth_policy::{Policy, Request};
    /// let policy = Policy::parse("a.policy", "drop   x   # old\n  if y\n")?;
    /// let req = Request::authorize("https://h.example/?x=1&y=2")?;
    /// let (_, trace) = policy.explain(&req);
    /// assert_eq!(policy.rule_text(&trace.steps[0].location).as_deref(), Some("drop x if y"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rule_text(&self, at: &Location) -> Option<String> {
        let program = self.program();
        let sections =
            std::iter::once(&program.global).chain(program.providers.iter().map(|p| &p.sections));
        let rule = sections
            .flat_map(|s| [&s.authorize, &s.token, &s.callback])
            .flat_map(|rules: &Vec<Rule>| rules.iter())
            .find(|r| r.location == *at)?;
        self.text_of(rule.text)
    }

    /// Every compiled rule's id and where it is written: the global rules,
    /// then each provider's, each in authorize, token, callback order.
    pub fn rule_ids(&self) -> impl Iterator<Item = (&str, &Location)> {
        self.rules().map(|r| (r.id.as_str(), &r.location))
    }

    /// The text of a provider's `match` (at the provider's location, its
    /// own; at a condition's location, that `match` or `also match`), tidied
    /// like [`Policy::rule_text`].
    pub fn match_text(&self, at: &Location) -> Option<String> {
        let program = self.program();
        let matcher = program.providers.iter().find_map(|p| {
            if p.location == *at {
                return p.matchers.first();
            }
            p.matchers.iter().find(|m| m.location == *at)
        })?;
        self.text_of(matcher.text)
    }

    /// Every compiled rule, global ones first.
    fn rules(&self) -> impl Iterator<Item = &Rule> {
        let program = self.program();
        std::iter::once(&program.global)
            .chain(program.providers.iter().map(|p| &p.sections))
            .flat_map(|s| [&s.authorize, &s.token, &s.callback])
            .flat_map(|rules: &Vec<Rule>| rules.iter())
    }

    /// The text a reference points at, without comments, white space
    /// collapsed.
    fn text_of(&self, at: TextRef) -> Option<String> {
        let file = self.files().get(at.file)?;
        let text = file.text.get(at.span.start..at.span.end)?;
        // The snippet starts at a token, so splitting it alone finds the
        // same comments as splitting the whole file.
        let mut out = String::new();
        let mut from = 0;
        for c in lex_parsed(text).comments {
            out.push_str(text.get(from..c.span.start).unwrap_or(""));
            from = c.span.end;
        }
        out.push_str(text.get(from..).unwrap_or(""));
        Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}
