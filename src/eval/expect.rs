//! `Expectations`: what the gateway knows about the pending authorization,
//! and how they can fail to fit a policy.

use std::fmt;

use miette::Diagnostic;
use serde::{Deserialize, Serialize};

use super::params::Params;
use super::redact;
use super::request::Request;
use crate::compile::Program;
use crate::suggest;

/// What the gateway knows about the pending authorization.
///
/// Built with [`Expectations::new`] and the `with_…` methods (the struct is
/// `#[non_exhaustive]`: fields may be added), or deserialized. The policy
/// checks it when classifying: a `provider` it does not have is an
/// [`ExpectationError`], never silently ignored.
///
/// ```
/// use oauth_policy::{Callback, Category, ExpectationError, Expectations, Policy};
/// let policy = Policy::builtin();
/// let cb = Callback::from_url("https://gw.example/cb?code=abc&state=s1")?;
/// let expect = Expectations::new().with_provider("auth0").with_expected_state("s1");
/// assert_eq!(policy.classify(&cb, &expect)?.category, Category::Ok);
///
/// let typo = Expectations::new().with_provider("auth00");
/// let err = policy.classify(&cb, &typo).unwrap_err();
/// assert!(matches!(&err, ExpectationError::UnknownProvider { suggestion: Some(s), .. } if s == "auth0"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A struct literal does not compile outside the crate:
///
/// ```compile_fail
/// let e = oauth_policy::Expectations { provider: None, ..Default::default() };
/// ```
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Expectations {
    /// The provider block's name, if known.
    pub provider: Option<String>,
    /// The authorize URL the flow started with (picks the provider when
    /// `provider` is not given).
    pub authorize_url: Option<String>,
    /// The `state` the gateway sent.
    pub expected_state: Option<String>,
    /// The issuer the gateway expects in `iss` (RFC 9207).
    pub expected_issuer: Option<String>,
    /// The AS advertises `authorization_response_iss_parameter_supported`
    /// (RFC 9207 §3): a callback without `iss` is then refused. Also read
    /// from JSON as `iss_required`, its earlier name.
    #[serde(alias = "iss_required")]
    pub require_iss: bool,
    /// The flow sent no `state` and relies on PKCE against CSRF (RFC 9700
    /// §2.1): a callback without `state` is then not `missing_state`, and
    /// one with a `state` is `state_mismatch` (it answers another request).
    /// Ignored when `expected_state` is given: a sent state is always checked.
    pub no_state: bool,
    /// The `response_mode` the flow asked for. When absent, the
    /// `authorize_url`'s `response_mode` (or its `response_type`'s default,
    /// OAuth 2.0 Multiple Response Type Encoding Practices §5: `fragment`
    /// when it asks for a token or ID token) decides; without either, `query`.
    /// A callback URL's fragment is read only in `fragment` mode.
    pub response_mode: Option<String>,
}

impl Expectations {
    /// No expectations: no provider, no state, no issuer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The provider block the flow used (checked against the policy when
    /// classifying).
    pub fn with_provider(mut self, name: impl Into<String>) -> Self {
        self.provider = Some(name.into());
        self
    }

    /// The authorize URL the flow started with (picks the provider when no
    /// provider is given).
    pub fn with_authorize_url(mut self, url: impl Into<String>) -> Self {
        self.authorize_url = Some(url.into());
        self
    }

    /// The `state` the gateway sent.
    pub fn with_expected_state(mut self, state: impl Into<String>) -> Self {
        self.expected_state = Some(state.into());
        self
    }

    /// The issuer expected in `iss` (RFC 9207).
    pub fn with_expected_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.expected_issuer = Some(issuer.into());
        self
    }

    /// Whether a callback must carry `iss` (see [`Expectations::require_iss`]).
    pub fn with_require_iss(mut self, require: bool) -> Self {
        self.require_iss = require;
        self
    }

    /// Whether the flow sent no `state` (see [`Expectations::no_state`]).
    pub fn with_no_state(mut self, no_state: bool) -> Self {
        self.no_state = no_state;
        self
    }

    /// The `response_mode` the flow asked for (`query`, `fragment`, `form_post`).
    pub fn with_response_mode(mut self, mode: impl Into<String>) -> Self {
        self.response_mode = Some(mode.into());
        self
    }

    /// The named provider's index in `program` (`None` when none is named);
    /// `Err` when the expectations name something `program` does not have.
    pub(crate) fn validate(&self, program: &Program) -> Result<Option<usize>, ExpectationError> {
        let Some(name) = &self.provider else {
            return Ok(None);
        };
        if let Some(i) = program.providers.iter().position(|p| p.name == *name) {
            return Ok(Some(i));
        }
        let names = program.providers.iter().map(|p| p.name.as_str());
        Err(ExpectationError::UnknownProvider {
            name: name.clone(),
            suggestion: suggest::closest(name, names).map(str::to_string),
        })
    }

    /// The authorize request the flow started with, when given and readable
    /// (read once per classification, for the provider and the response mode).
    pub(crate) fn authorize_request(&self) -> Option<Request> {
        Request::authorize(self.authorize_url.as_deref()?).ok()
    }

    /// Whether the response travels in the URL fragment; `authorize` is
    /// [`Expectations::authorize_request`].
    pub(crate) fn fragment_mode(&self, authorize: Option<&Request>) -> bool {
        if let Some(mode) = &self.response_mode {
            return mode == "fragment";
        }
        let Some(req) = authorize else {
            return false;
        };
        let params = Params::new(req.param_source(), &req.params, false);
        if let Some(mode) = params.get("response_mode").filter(|m| !m.is_empty()) {
            return mode == "fragment";
        }
        params.get("response_type").is_some_and(|t| {
            t.split(' ')
                .any(|item| item == "token" || item == "id_token")
        })
    }
}

/// Debug hides the expected state, and the secrets an authorize URL carries.
impl fmt::Debug for Expectations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expectations")
            .field("provider", &self.provider)
            .field(
                "authorize_url",
                &self.authorize_url.as_deref().map(redact::Url),
            )
            .field(
                "expected_state",
                &redact::Secret(self.expected_state.as_deref()),
            )
            .field("expected_issuer", &self.expected_issuer)
            .field("require_iss", &self.require_iss)
            .field("no_state", &self.no_state)
            .field("response_mode", &self.response_mode)
            .finish()
    }
}

/// Expectations that do not fit the policy they are classified with.
///
/// Its code and message are what `policyc classify` and `policyd` report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectationError {
    /// [`Expectations::provider`] names no provider block of the policy: a
    /// typo would otherwise skip every provider rule without a word.
    #[error("no provider named `{name}` in the policy")]
    UnknownProvider {
        /// The name given.
        name: String,
        /// The policy's closest provider name, when it is close enough to
        /// be a likely typo.
        suggestion: Option<String>,
    },
}

impl Diagnostic for ExpectationError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            ExpectationError::UnknownProvider { .. } => Some(Box::new("policy::E022")),
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            ExpectationError::UnknownProvider { suggestion, .. } => suggestion
                .as_ref()
                .map(|s| Box::new(format!("did you mean `{s}`?")) as Box<dyn fmt::Display>),
        }
    }
}
