//! The fourth layer: runs a compiled program on requests and callbacks.

mod actions;
pub mod apply;
pub mod callback;
pub mod cond;
pub mod params;
pub(crate) mod redact;
pub mod request;

pub use apply::{Candidate, Change, Denial, Outcome, Step, Trace};
pub use callback::{Callback, CallbackOutcome, Expectations, Verdict};
pub use request::{Limits, Request, RequestError};
