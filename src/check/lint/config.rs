//! Lint levels from a config file: `.policyc.json` beside the policies.
//!
//! ```json
//! { "lints": { "L007": "allow", "conflicting-set": "error" } }
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{rule, Level, LintRule};

/// The config file `policyc lint` looks for in each policy directory.
pub const CONFIG_FILE: &str = ".policyc.json";

/// Lint levels chosen by the operator; rules not listed keep their default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    levels: HashMap<&'static str, Level>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    lints: BTreeMap<String, Level>,
}

/// A config file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
#[diagnostic(
    code(config::E001),
    help("the config is {{\"lints\": {{\"L001\": \"allow\" | \"warn\" | \"error\", …}}}}; codes and names are listed in docs/lints.md")
)]
#[non_exhaustive]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A config file that could not be read at all (reported at 1:1).
    pub fn unreadable(path: &str, error: &std::io::Error) -> Self {
        ConfigError {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: format!("cannot read: {error}"),
        }
    }
}

impl Config {
    /// Parses a config file's text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| ConfigError {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let mut config = Config::default();
        for (key, level) in raw.lints {
            let Some(r) = rule(&key) else {
                let (line, column) = position(text, &format!("\"{key}\""));
                let hint = super::closest_rule(&key)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(ConfigError {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!("unknown lint `{key}`{hint}"),
                });
            };
            config.levels.insert(r.code, level);
        }
        Ok(config)
    }

    /// Sets one rule's level (later settings win).
    pub fn set(&mut self, rule: &LintRule, level: Level) {
        self.levels.insert(rule.code, level);
    }

    /// Takes every level `other` sets.
    pub fn merge(&mut self, other: &Config) {
        self.levels
            .extend(other.levels.iter().map(|(k, v)| (*k, *v)));
    }

    /// The level of `rule`.
    pub fn level(&self, rule: &LintRule) -> Level {
        self.levels
            .get(rule.code)
            .copied()
            .unwrap_or(rule.default_level)
    }
}

/// 1-based line and column of the first `needle` in `text` (1:1 if absent).
fn position(text: &str, needle: &str) -> (usize, usize) {
    let Some(at) = text.find(needle) else {
        return (1, 1);
    };
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::lint::{L001, L007};

    #[test]
    fn codes_and_names() {
        let c = Config::parse(
            "c",
            r#"{"lints": {"L007": "allow", "unanchored-host-regex": "warn"}}"#,
        )
        .unwrap();
        assert_eq!(c.level(&L007), Level::Allow);
        assert_eq!(c.level(&L001), Level::Warn);
    }

    #[test]
    fn errors_have_positions() {
        let e = Config::parse("c", "{\n  \"lints\": {\"L0077\": \"allow\"}}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 13));
        assert!(e.message.contains("did you mean `L007`"), "{}", e.message);
        let e = Config::parse("c", "{\"lints\": {\"L007\": \"off\"}}").unwrap_err();
        assert!(e.message.contains("unknown variant"), "{}", e.message);
        assert!(Config::parse("c", "{\"lint\": {}}").is_err());
    }
}
