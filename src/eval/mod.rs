//! The fourth layer: runs a compiled program on requests and callbacks.

//!
//! Its submodules are private: what an embedder needs is re-exported at the
//! crate root, everything else is free to change.

mod actions;
pub(crate) mod apply;
pub(crate) mod callback;
pub(crate) mod cond;
mod effect;
mod expect;
pub(crate) mod params;
pub(crate) mod redact;
pub(crate) mod request;

pub use apply::{Candidate, Change, Denial, Outcome, Step, Trace};
pub use callback::{Callback, CallbackOutcome, Verdict};
pub use effect::Effect;
pub use expect::{ExpectationError, Expectations};
pub use request::{Limits, Part, Request, RequestError};
