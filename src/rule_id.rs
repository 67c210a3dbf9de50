//! `RuleId`: the stable name of a rule in changes, denials, traces and
//! verdicts.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rule's id: `PROVIDER/SECTION/NAME` for a named rule,
/// `PROVIDER/SECTION#N` for an unnamed one (`global` outside providers), or
/// `builtin/…` for a built-in callback check.
///
/// Cloning is a reference-count increment: every change, step and verdict
/// names its rule without copying the text. It compares, hashes, prints and
/// serializes as the plain string.
///
/// ```
/// use oauth_policy::RuleId;
/// let id = RuleId::from("auth0/authorize/drop-prompt");
/// assert_eq!(id, "auth0/authorize/drop-prompt");
/// assert_eq!(id.as_str(), "auth0/authorize/drop-prompt");
/// assert_eq!(serde_json::to_string(&id)?, "\"auth0/authorize/drop-prompt\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleId(Arc<str>);

impl RuleId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the id names one of the library's built-in callback checks
    /// (`builtin/…`) rather than a rule in a policy file.
    pub fn is_builtin(&self) -> bool {
        self.0.starts_with("builtin/")
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// Reads as the `str` it is (`id.starts_with("builtin/")`, `id.len()`).
impl Deref for RuleId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for RuleId {
    fn from(id: &str) -> Self {
        Self(Arc::from(id))
    }
}

impl From<String> for RuleId {
    fn from(id: String) -> Self {
        Self(Arc::from(id))
    }
}

impl From<RuleId> for String {
    fn from(id: RuleId) -> Self {
        id.0.to_string()
    }
}

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// So a `HashSet<RuleId>` or `BTreeSet<RuleId>` can be asked about a `&str`.
impl Borrow<str> for RuleId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for RuleId {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}
