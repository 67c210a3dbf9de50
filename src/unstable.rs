//! Internals the workspace's own tools, tests and fuzz targets reach into.
//!
//! **Not part of the public API.** Nothing here is covered by semver: it may
//! change or vanish in any release, patch releases included. Embedders use
//! the items at the crate root.

use crate::compile::Program;
use crate::Policy;

/// The compiled program behind a policy (rules, matchers, regexes), for
/// `policyc test --coverage` and the library's own hygiene tests.
pub fn program(policy: &Policy) -> &Program {
    policy.program()
}
