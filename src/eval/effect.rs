//! `Effect`: what one rule did, as a trace reports it.

use std::fmt;

use serde::{Serialize, Serializer};

use super::actions;
use crate::compile::ir;
use crate::source::Location;
use crate::vocab::{Action, Category};

/// What one rule did in an evaluation, for [`Step`](crate::Step).
///
/// It prints and serializes as the words `policyc explain` and the daemon
/// have always shown: `changed`, `no effect`, `condition false`,
/// `skipped: …`, `denied: …`, `stopped`, `off: …`, `classified …`,
/// `decided …`.
///
/// ```
/// use oauth_policy::{Category, Effect};
/// assert_eq!(Effect::NoEffect.to_string(), "no effect");
/// assert_eq!(Effect::Classified { category: Category::LoginRequired }.to_string(),
///            "classified login_required");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// Its condition was false.
    ConditionFalse,
    /// It changed the request.
    Changed,
    /// It ran and changed nothing (e.g. dropping an absent parameter).
    NoEffect,
    /// It could not run.
    Skipped {
        /// Why.
        reason: String,
    },
    /// It refused the request.
    Denied {
        /// The deny reason.
        reason: String,
    },
    /// It ended rewriting.
    Stopped,
    /// An `optional` rule that nothing enabled.
    NotEnabled,
    /// A rule an overlay's `disable` switched off.
    Disabled {
        /// Where the `disable` is written.
        at: Location,
    },
    /// A callback rule whose condition held: it set the category.
    Classified {
        /// The category it gave.
        category: Category,
    },
    /// A built-in callback check decided the verdict.
    Decided {
        /// The verdict's category.
        category: Category,
    },
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::ConditionFalse => f.write_str("condition false"),
            Effect::Changed => f.write_str("changed"),
            Effect::NoEffect => f.write_str("no effect"),
            Effect::Skipped { reason } => write!(f, "skipped: {reason}"),
            Effect::Denied { reason } => write!(f, "denied: {reason}"),
            Effect::Stopped => f.write_str("stopped"),
            Effect::NotEnabled => f.write_str("off: optional rule, not enabled"),
            Effect::Disabled { at } => write!(f, "off: disabled at {at}"),
            Effect::Classified { category } => write!(f, "classified {}", category.name()),
            Effect::Decided { category } => write!(f, "decided {}", category.name()),
        }
    }
}

/// As its words, so JSON traces keep their shape.
impl Serialize for Effect {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl From<&actions::Effect> for Effect {
    fn from(effect: &actions::Effect) -> Self {
        match effect {
            actions::Effect::NotHeld => Effect::ConditionFalse,
            actions::Effect::Changed => Effect::Changed,
            actions::Effect::Unchanged => Effect::NoEffect,
            actions::Effect::Skipped(why) => Effect::Skipped {
                reason: (*why).to_string(),
            },
            actions::Effect::Denied(reason) => Effect::Denied {
                reason: reason.clone(),
            },
            actions::Effect::Stopped => Effect::Stopped,
        }
    }
}

impl Effect {
    /// Whether the rule was switched off ([`Effect::NotEnabled`],
    /// [`Effect::Disabled`]) rather than tried.
    pub fn is_off(&self) -> bool {
        matches!(self, Effect::NotEnabled | Effect::Disabled { .. })
    }

    /// Why `rule` does not run, if it does not.
    pub(crate) fn off(rule: &ir::Rule) -> Option<Effect> {
        if rule.enabled {
            return None;
        }
        Some(match &rule.switched_at {
            Some(at) => Effect::Disabled { at: at.clone() },
            None => Effect::NotEnabled,
        })
    }
}

impl From<&ir::Action> for Action {
    fn from(action: &ir::Action) -> Self {
        match action {
            ir::Action::Drop(_) => Action::Drop,
            ir::Action::DropEmpty(_) => Action::DropEmpty,
            ir::Action::Set(..) => Action::Set,
            ir::Action::Default(..) => Action::Default,
            ir::Action::Rename(..) => Action::Rename,
            ir::Action::Add(..) => Action::Add,
            ir::Action::Remove(..) => Action::Remove,
            ir::Action::Convert(..) => Action::Convert,
            ir::Action::Dedupe(_) => Action::Dedupe,
            ir::Action::Deny(_) => Action::Deny,
            ir::Action::DenyRepeated(_) => Action::DenyRepeated,
            ir::Action::Stop => Action::Stop,
            ir::Action::Classify { .. } => Action::Classify,
        }
    }
}
