//! Internals exposed for the project's own tests, fuzz targets and
//! tools. **Not part of the public API**: nothing here follows semver,
//! and any of it may change or go in any release. Embedders use the crate
//! root ([`crate::Policy`], [`crate::Request`], [`crate::Callback`]).
//!
//! Sections are kept apart (one per area) so that changes to one do not
//! touch another.

// ---- compile: the compiled program the evaluator runs ----------------------

/// The compiler's IR (which holds `regex` types) and a policy's program.
pub mod compile {
    pub use crate::compile::{host_index, ir, Program};

    /// The compiled program of a policy.
    pub fn program(policy: &crate::Policy) -> &Program {
        policy.program()
    }
}
