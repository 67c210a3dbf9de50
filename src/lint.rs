//! The lint rules' public face: their table, levels and configuration.
//! Findings themselves come from [`crate::Policy::analyze`] as
//! [`crate::PolicyDiagnostic`]s, like load errors.

pub use crate::check::lint::{
    display_safe, rule, Config, ConfigError, Level, LintFinding, LintRule, Related, RelatedNote,
    BUDGET_NOTE, CONFIG_FILE, RULES,
};
