//! The inputs every performance measurement uses, and the hand-written Rust
//! each engine path is compared with. Shared by `benches/apply.rs` (criterion)
//! and `examples/profile.rs` (callgrind, allocation counts), so both measure
//! the same work.

#![allow(dead_code)]

use regex::Regex;
use url::Url;

/// The seed bug's authorize URL (Entra v2 with an RFC 8707 `resource`).
pub const SEED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com&state=xyz123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

/// The token endpoint of the same tenant.
pub const TOKEN_URL: &str =
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

/// A refresh with `resource` and `scope` (the engine drops `resource`).
pub const TOKEN_BODY: &str = "grant_type=refresh_token&refresh_token=0.AXYAb3x9QmVyZ2VyX3JlZnJlc2hfdG9rZW5fZm9yX3Rlc3RpbmcuZXhhbXBsZQ&client_id=00001111-aaaa-2222-bbbb-3333cccc4444&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com";

/// Entra's answer to the seed bug (the public corpus's
/// `entra-v2-seed-invalid-target`).
pub const ENTRA_ERROR: &str = "https://gateway.example.com/oauth/callback?error=invalid_target&error_description=AADSTS9010010%3A%20The%20resource%20parameter%20provided%20in%20the%20request%20doesn%27t%20match%20with%20the%20requested%20scopes.%20Trace%20ID%3A%203508e4e7-1eb8-48ae-8c43-db90fd9de200%20Correlation%20ID%3A%2086dc51f3-104c-4a4b-b001-0a61f1c89a6e%20Timestamp%3A%202026-08-18%2016%3A06%3A37Z&state=xyz123";

/// The state the gateway sent with the flow above.
pub const STATE: &str = "xyz123";

/// The host and path test a gateway would write for Entra v2.
pub struct Baseline {
    path: Regex,
    aadsts: Regex,
}

impl Default for Baseline {
    fn default() -> Self {
        Self::new()
    }
}

impl Baseline {
    pub fn new() -> Self {
        Self {
            path: Regex::new(r"^/[^/]+/oauth2/v2\.0/").unwrap(),
            aadsts: Regex::new(r"^AADSTS9010010\b").unwrap(),
        }
    }

    fn is_entra_v2(&self, url: &Url) -> bool {
        matches!(
            url.host_str(),
            Some(
                "login.microsoftonline.com"
                    | "login.microsoftonline.us"
                    | "login.partner.microsoftonline.cn"
            )
        ) && self.path.is_match(url.path())
    }

    /// The seed rule by hand: drop `resource` when there is a `scope`,
    /// keeping untouched parameters byte-identical as the engine does.
    pub fn authorize(&self, url: &str) -> String {
        let Ok(parsed) = Url::parse(url) else {
            return url.to_string();
        };
        if !self.is_entra_v2(&parsed) {
            return url.to_string();
        }
        let Some(query) = parsed.query() else {
            return url.to_string();
        };
        let has_scope = parsed
            .query_pairs()
            .any(|(k, v)| k == "scope" && !v.is_empty());
        if !has_scope {
            return url.to_string();
        }
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| p.split('=').next() != Some("resource"))
            .collect();
        let head = url.split('?').next().unwrap_or(url);
        format!("{head}?{}", kept.join("&"))
    }

    /// The token rule by hand: drop `resource` from the body.
    pub fn token(&self, url: &str, body: &str) -> String {
        let Ok(parsed) = Url::parse(url) else {
            return body.to_string();
        };
        if !self.is_entra_v2(&parsed) {
            return body.to_string();
        }
        let kept: Vec<&str> = body
            .split('&')
            .filter(|p| p.split('=').next() != Some("resource"))
            .collect();
        kept.join("&")
    }

    /// The callback by hand: state check, `error`, the AADSTS code and the
    /// one Entra rule this error needs.
    pub fn callback(&self, url: &str, state: &str) -> HandVerdict {
        let Ok(parsed) = Url::parse(url) else {
            return HandVerdict::default();
        };
        let (mut error, mut description, mut got_state) = (None, None, None);
        for (k, v) in parsed.query_pairs() {
            match &*k {
                "error" => error = Some(v.into_owned()),
                "error_description" => description = Some(v.into_owned()),
                "state" => got_state = Some(v.into_owned()),
                _ => {}
            }
        }
        if got_state.as_deref() != Some(state) {
            return HandVerdict {
                category: "state_mismatch",
                ..HandVerdict::default()
            };
        }
        let code = description.as_deref().and_then(|d| {
            let digits: String = d
                .strip_prefix("AADSTS")?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            Some(format!("AADSTS{digits}"))
        });
        let category = match error.as_deref() {
            Some(_)
                if description
                    .as_deref()
                    .is_some_and(|d| self.aadsts.is_match(d)) =>
            {
                "invalid_target"
            }
            Some("invalid_target") => "invalid_target",
            Some(_) => "unknown_error",
            None => "ok",
        };
        HandVerdict {
            category,
            provider_code: code,
            error,
            error_description: description,
        }
    }
}

/// What the hand-written callback code returns.
#[derive(Debug, Default)]
pub struct HandVerdict {
    pub category: &'static str,
    pub provider_code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A policy of `n` generated providers plus the seed's: every 20th has
/// its own host and path regexes, the others an exact host, one shared
/// path regex and a rule with its own regex. `generated_policy(1050)` has
/// 1051 providers and 2101 regexes, 1000 of them identical.
pub fn generated_policy(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        if i % 21 == 20 {
            text.push_str(&format!(
                "provider \"t{i}\" {{ match host ~ r\"^t{i}\\.example$\" and path ~ r\"^/t{i}/\" authorize {{ drop resource if scope }} }}\n"
            ));
        } else {
            text.push_str(&format!(
                "provider \"p{i}\" {{ match host == \"h{i}.example\" and path ~ r\"^/[^/]+/oauth2/v2\\.0/\" authorize {{ drop resource if client_id ~ r\"^c{i}-\" }} }}\n"
            ));
        }
    }
    text.push_str(
        "provider \"seed\" { match host == \"login.microsoftonline.com\" and path ~ r\"^/[^/]+/oauth2/v2\\.0/authorize\" authorize { drop resource if scope } }\n",
    );
    text
}
