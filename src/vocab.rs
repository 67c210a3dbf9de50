//! The language's fixed vocabulary: section kinds, request attributes and
//! callback categories. Shared by every layer, so it depends on none.

use serde::{Deserialize, Serialize};

/// The kinds of request a section can hold rules for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// A front-channel authorization request (a URL).
    Authorize,
    /// A token request: code exchange or refresh (a form body).
    Token,
    /// A redirect back to the client.
    Callback,
}

impl Kind {
    /// Every kind, in section order.
    pub const ALL: [Kind; 3] = [Kind::Authorize, Kind::Token, Kind::Callback];

    /// The section / `kind` attribute name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Authorize => "authorize",
            Kind::Token => "token",
            Kind::Callback => "callback",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Request attributes a condition can test; every other name is a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Attr {
    /// The host, lower-case, without port or trailing dot.
    Host,
    /// The path, as the URL parser normalised it.
    Path,
    /// `https`, `http`, …
    Scheme,
    /// The port, explicit or the scheme's default.
    Port,
    /// `authorize`, `token` or `callback`.
    Kind,
}

impl Attr {
    /// Every attribute.
    pub const ALL: [Attr; 5] = [Attr::Host, Attr::Path, Attr::Scheme, Attr::Port, Attr::Kind];

    /// The attribute's name in the language.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Host => "host",
            Attr::Path => "path",
            Attr::Scheme => "scheme",
            Attr::Port => "port",
            Attr::Kind => "kind",
        }
    }

    /// The attribute called `name`.
    pub fn from_name(name: &str) -> Option<Attr> {
        Attr::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// The normalized category of a callback verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// Success: a code and a matching state.
    Ok,
    /// The user or an admin refused.
    AccessDenied,
    /// Consent is needed.
    ConsentRequired,
    /// No session (silent flow).
    LoginRequired,
    /// User interaction needed (MFA, account selection…).
    InteractionRequired,
    /// A scope was refused.
    InvalidScope,
    /// The RFC 8707 resource was refused.
    InvalidTarget,
    /// The request was malformed.
    InvalidRequest,
    /// The client may not use this flow.
    UnauthorizedClient,
    /// The provider failed.
    ServerError,
    /// The provider is overloaded or the login expired.
    TemporarilyUnavailable,
    /// The client or provider is set up wrong (redirect URI, suspended app…).
    Misconfiguration,
    /// The callback has no `state`.
    MissingState,
    /// The callback's `state` is not the pending one.
    StateMismatch,
    /// No error and no code.
    MissingCode,
    /// A parameter repeated, or both `error` and `code`.
    Ambiguous,
    /// `iss` missing or not the expected issuer.
    IssuerMismatch,
    /// An error value nobody recognised.
    UnknownError,
}

impl Category {
    /// Every category, in documentation order.
    pub const ALL: [Category; 18] = [
        Category::Ok,
        Category::AccessDenied,
        Category::ConsentRequired,
        Category::LoginRequired,
        Category::InteractionRequired,
        Category::InvalidScope,
        Category::InvalidTarget,
        Category::InvalidRequest,
        Category::UnauthorizedClient,
        Category::ServerError,
        Category::TemporarilyUnavailable,
        Category::Misconfiguration,
        Category::MissingState,
        Category::StateMismatch,
        Category::MissingCode,
        Category::Ambiguous,
        Category::IssuerMismatch,
        Category::UnknownError,
    ];

    /// The category's name in the language and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Category::Ok => "ok",
            Category::AccessDenied => "access_denied",
            Category::ConsentRequired => "consent_required",
            Category::LoginRequired => "login_required",
            Category::InteractionRequired => "interaction_required",
            Category::InvalidScope => "invalid_scope",
            Category::InvalidTarget => "invalid_target",
            Category::InvalidRequest => "invalid_request",
            Category::UnauthorizedClient => "unauthorized_client",
            Category::ServerError => "server_error",
            Category::TemporarilyUnavailable => "temporarily_unavailable",
            Category::Misconfiguration => "misconfiguration",
            Category::MissingState => "missing_state",
            Category::StateMismatch => "state_mismatch",
            Category::MissingCode => "missing_code",
            Category::Ambiguous => "ambiguous",
            Category::IssuerMismatch => "issuer_mismatch",
            Category::UnknownError => "unknown_error",
        }
    }

    /// The category called `name`.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether a gateway may retry by itself by default (see docs/language.md).
    pub fn default_retryable(self) -> bool {
        matches!(
            self,
            Category::LoginRequired
                | Category::InteractionRequired
                | Category::ConsentRequired
                | Category::ServerError
                | Category::TemporarilyUnavailable
        )
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Parameters whose values are secrets or personal data: never logged, never
/// shown by `Debug`. The one list the library, the daemon's decision log and
/// the lints share.
pub const SECRET_PARAMS: &[&str] = &[
    "code",
    "state",
    "code_verifier",
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "client_assertion",
    "login_hint",
    // The same kind of value under other names.
    "id_token_hint",
    "password",
    "assertion",
    "subject_token",
    "actor_token",
    "device_code",
];

/// Whether a (decoded) parameter name is in [`SECRET_PARAMS`]. ASCII case is
/// ignored: a server that reads `State` as `state` would leak it just the same.
pub fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// An action keyword: what a rule does. A [`Change`](crate::Change) names
/// the action that made it; it prints and serializes as the keyword
/// (`drop`, `drop_empty`, `set`, …).
///
/// ```
/// use oauth_policy::Action;
/// assert_eq!(Action::DropEmpty.as_str(), "drop_empty");
/// assert_eq!(Action::from_name("rename"), Some(Action::Rename));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// `drop NAME`: remove every occurrence.
    Drop,
    /// `drop empty`: remove parameters with empty values.
    DropEmpty,
    /// `set NAME = …`: replace (or append) the value.
    Set,
    /// `default NAME = …`: append only when absent.
    Default,
    /// `rename OLD -> NEW`.
    Rename,
    /// `add ITEM to LIST`: append one list item when missing.
    Add,
    /// `remove ITEM from LIST`: remove one list item.
    Remove,
    /// `convert LIST to …`: rewrite the list separator.
    Convert,
    /// `dedupe LIST`: remove repeated items and repeated occurrences.
    Dedupe,
    /// `deny "…"`: refuse the request.
    Deny,
    /// `deny repeated`: refuse a request in which a parameter repeats.
    DenyRepeated,
    /// `stop`: end rewriting.
    Stop,
    /// `classify …`: decide a callback's category.
    Classify,
}

impl Action {
    /// Every action, in the language reference's order.
    pub const ALL: [Action; 13] = [
        Action::Drop,
        Action::DropEmpty,
        Action::Set,
        Action::Default,
        Action::Rename,
        Action::Add,
        Action::Remove,
        Action::Convert,
        Action::Dedupe,
        Action::Deny,
        Action::DenyRepeated,
        Action::Stop,
        Action::Classify,
    ];

    /// The keyword as reported in changes and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Drop => "drop",
            Action::DropEmpty => "drop_empty",
            Action::Set => "set",
            Action::Default => "default",
            Action::Rename => "rename",
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Convert => "convert",
            Action::Dedupe => "dedupe",
            Action::Deny => "deny",
            Action::DenyRepeated => "deny_repeated",
            Action::Stop => "stop",
            Action::Classify => "classify",
        }
    }

    /// The action reported as `name`.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}
