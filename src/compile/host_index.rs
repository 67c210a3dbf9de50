//! Finds the candidate providers for a host without scanning every block.
//!
//! Each provider's `match` is inspected for a host constraint that the whole
//! condition implies: `host == "…"` / `host in [..]` (exact tier, a hash
//! lookup), `host ~ "…"` (pattern tier, one `RegexSet` pass), or none (any
//! tier). Candidates are tried tier by tier, in load order within a tier, and
//! the full `match` condition always decides, so the index only prunes.

use std::collections::HashMap;

use regex::RegexSet;

use super::ir::{Check, Cond, Subject};
use crate::vocab::Attr;

/// The host constraint a `match` implies.
#[derive(Debug, Clone)]
pub enum HostKey {
    /// One of these exact (lower-case) hosts.
    Exact(Vec<String>),
    /// A host matching this pattern (case-insensitive).
    Pattern(String),
    /// No usable constraint.
    Any,
}

/// Host → candidate provider indexes.
#[derive(Debug, Clone, Default)]
pub struct HostIndex {
    exact: HashMap<String, Vec<usize>>,
    patterns: Option<RegexSet>,
    pattern_owners: Vec<usize>,
    any: Vec<usize>,
}

impl HostIndex {
    /// Builds the index from each provider's key, in load order.
    pub fn build(keys: &[HostKey]) -> Result<Self, regex::Error> {
        let mut index = HostIndex::default();
        let mut patterns = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            match key {
                HostKey::Exact(hosts) => {
                    for h in hosts {
                        let owners = index.exact.entry(h.clone()).or_default();
                        if owners.last() != Some(&i) {
                            owners.push(i);
                        }
                    }
                }
                HostKey::Pattern(p) => {
                    patterns.push(format!("(?i:{p})"));
                    index.pattern_owners.push(i);
                }
                HostKey::Any => index.any.push(i),
            }
        }
        if !patterns.is_empty() {
            index.patterns = Some(RegexSet::new(&patterns)?);
        }
        Ok(index)
    }

    /// Candidate providers for `host` (lower-case), best tier first, load
    /// order within a tier.
    pub fn candidates<'a>(&'a self, host: &'a str) -> impl Iterator<Item = usize> + 'a {
        let exact = self.exact.get(host).map(Vec::as_slice).unwrap_or(&[]);
        // The pattern pass runs only if no exact-host candidate matched.
        let patterns = std::iter::once(()).flat_map(move |()| {
            self.patterns
                .iter()
                .flat_map(move |set| set.matches(host).into_iter())
                .filter_map(move |m| self.pattern_owners.get(m).copied())
        });
        exact
            .iter()
            .copied()
            .chain(patterns)
            .chain(self.any.iter().copied())
    }
}

/// The host constraint of a provider with several `match`es (its own and
/// overlays' `also match`): any of them may admit a request.
pub fn host_key_any<'a>(matchers: impl Iterator<Item = &'a Cond>) -> HostKey {
    let keys: Vec<HostKey> = matchers.map(host_key).collect();
    match keys.as_slice() {
        [one] => one.clone(),
        _ => union(keys),
    }
}

/// A host both constraints admit, found by testing each side's exact hosts
/// against the other side (two patterns are not compared: no host to show).
pub fn shared_host(a: &HostKey, b: &HostKey) -> Option<String> {
    let admits = |key: &HostKey, host: &str| match key {
        HostKey::Exact(hosts) => hosts.iter().any(|h| h == host),
        HostKey::Pattern(p) => {
            regex::Regex::new(&format!("(?i:{p})")).is_ok_and(|re| re.is_match(host))
        }
        HostKey::Any => false,
    };
    let exact = |key: &HostKey| match key {
        HostKey::Exact(hosts) => hosts.clone(),
        _ => Vec::new(),
    };
    exact(a)
        .into_iter()
        .find(|h| admits(b, h))
        .or_else(|| exact(b).into_iter().find(|h| admits(a, h)))
}

/// The key of a disjunction: exact hosts stay exact; with any pattern the
/// whole is one pattern (the exact hosts anchored); any `Any` is `Any`.
fn union(keys: Vec<HostKey>) -> HostKey {
    let mut hosts = Vec::new();
    let mut patterns = Vec::new();
    for key in keys {
        match key {
            HostKey::Exact(hs) => hosts.extend(hs),
            HostKey::Pattern(re) => patterns.push(format!("(?:{re})")),
            HostKey::Any => return HostKey::Any,
        }
    }
    if patterns.is_empty() {
        return HostKey::Exact(hosts);
    }
    patterns.extend(hosts.iter().map(|h| format!("^{}$", regex::escape(h))));
    HostKey::Pattern(patterns.join("|"))
}

/// Which part of a conjunction (given each part's key) gives the whole its
/// host constraint: the first exact one, else the first pattern.
pub(crate) fn conjunct_key(keys: &[HostKey]) -> Option<usize> {
    keys.iter()
        .position(|k| matches!(k, HostKey::Exact(_)))
        .or_else(|| keys.iter().position(|k| matches!(k, HostKey::Pattern(_))))
}

/// The host constraint implied by a `match` condition.
pub fn host_key(matcher: &Cond) -> HostKey {
    match matcher {
        Cond::Test(Subject::Attr(Attr::Host), check) => match check {
            Check::Eq(h) => HostKey::Exact(vec![h.clone()]),
            Check::In(hs) => HostKey::Exact(hs.clone()),
            Check::Matches(re) => HostKey::Pattern(re.as_str().to_string()),
            _ => HostKey::Any,
        },
        // In a conjunction every part must hold, so the first host part
        // found is implied by the whole; prefer an exact one.
        Cond::And(parts) => {
            let keys: Vec<HostKey> = parts.iter().map(host_key).collect();
            conjunct_key(&keys)
                .and_then(|i| keys.get(i))
                .cloned()
                .unwrap_or(HostKey::Any)
        }
        // A disjunction of exact hosts is still an exact set; one that mixes
        // exact hosts and patterns is one pattern (the exact hosts anchored).
        Cond::Or(parts) => union(parts.iter().map(host_key).collect()),
        _ => HostKey::Any,
    }
}
