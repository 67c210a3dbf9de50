//! Keeps secrets out of the decision log. Nothing from a request is logged
//! except through `Scrubber`, which blanks every value of a secret parameter
//! wherever it appears (a `deny "… ${state}"` reason would otherwise copy it).

use std::borrow::Cow;

/// Parameters whose values are never logged.
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
    // Same kind of value under other names.
    "id_token_hint",
    "password",
    "assertion",
    "subject_token",
    "actor_token",
    "device_code",
];

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// The secret values of one request.
#[derive(Debug, Default)]
pub struct Scrubber {
    values: Vec<String>,
}

impl Scrubber {
    /// Collects secret values from form-encoded text (a query or a body), in
    /// both their raw and decoded spellings.
    pub fn add_form(&mut self, form: &str) {
        for piece in form.split('&') {
            let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            if raw_value.is_empty() {
                continue;
            }
            let name = decode(raw_name);
            if SECRET_PARAMS.iter().any(|s| *s == name) {
                let value = decode(raw_value).into_owned();
                if value != raw_value {
                    self.values.push(raw_value.to_string());
                }
                self.values.push(value);
            }
        }
    }

    /// Collects secret values from a URL's query and fragment (implicit-flow
    /// callbacks carry tokens after `#`).
    pub fn add_url(&mut self, url: &str) {
        let (head, fragment) = url.split_once('#').unwrap_or((url, ""));
        if let Some((_, query)) = head.split_once('?') {
            self.add_form(query);
        }
        self.add_form(fragment);
    }

    /// Adds a value known to be secret (e.g. the expected state).
    pub fn add_value(&mut self, value: &str) {
        if !value.is_empty() {
            self.values.push(value.to_string());
        }
    }

    /// `text` with every secret value replaced, longest first so a value
    /// containing another is blanked whole.
    pub fn scrub(&self, text: &str) -> String {
        let mut values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut out = text.to_string();
        for v in values {
            if out.contains(v) {
                out = out.replace(v, REDACTED);
            }
        }
        out
    }
}

fn decode(s: &str) -> Cow<'_, str> {
    oauth_policy::eval::request::decode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_raw_and_decoded_values() {
        let mut s = Scrubber::default();
        s.add_url("https://h/cb?code=a%2Fb&state=s1&x=keep#access_token=tok");
        assert_eq!(
            s.scrub("got a/b and a%2Fb, s1, tok, keep"),
            "got [redacted] and [redacted], [redacted], [redacted], keep"
        );
    }

    #[test]
    fn ignores_other_parameters_and_empty_values() {
        let mut s = Scrubber::default();
        s.add_form("client_id=abc&state=&scope=openid");
        assert_eq!(s.scrub("abc openid"), "abc openid");
    }
}
