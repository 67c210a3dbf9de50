//! Keeps secrets out of the decision log. Nothing from a request is logged
//! except through `Scrubber`, which blanks every value of a secret parameter
//! wherever it appears (a `deny "… ${state}"` reason would otherwise copy it).
//! The values come from the engine's own parse of the request, so they are
//! exactly what a rule could have interpolated: a second parser here would
//! disagree with it on some input (surrounding whitespace, `+`, bad `%`
//! escapes) and leak that input.

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// The secret values of one request.
#[derive(Debug, Default)]
pub struct Scrubber {
    values: Vec<String>,
}

impl Scrubber {
    /// Collects the secret values among `(name, value)` parameters as the
    /// engine parsed them (`Request::params`, `Callback::params`).
    pub fn add_params<'a>(&mut self, params: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (name, value) in params {
            if is_secret(name) {
                self.add_value(value);
            }
        }
    }

    /// Adds a value known to be secret (e.g. the expected state).
    pub fn add_value(&mut self, value: &str) {
        if !value.is_empty() && !self.values.iter().any(|v| v == value) {
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

/// Whether a parameter's values are never logged.
pub fn is_secret(name: &str) -> bool {
    // One list for the library's Debug output and the log: oauth_policy::vocab.
    oauth_policy::vocab::is_secret_param(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use oauth_policy::{Callback, Request};

    #[test]
    fn scrubs_the_values_the_engine_parsed() {
        let req = Request::authorize("https://h/a?state=a%2Fb&code=c+d&x=keep").unwrap();
        let mut s = Scrubber::default();
        s.add_params(req.params());
        assert_eq!(
            s.scrub("got a/b, c d, keep"),
            "got [redacted], [redacted], keep"
        );
    }

    #[test]
    fn a_url_trimmed_by_the_engine_is_scrubbed_as_the_engine_read_it() {
        // The engine trims the URL, so the value is `MARKER`, not `MARKER `.
        let req = Request::authorize(" https://h/a?state=MARKER ").unwrap();
        let mut s = Scrubber::default();
        s.add_params(req.params());
        assert_eq!(s.scrub("bad state MARKER"), "bad state [redacted]");
    }

    #[test]
    fn callbacks_fragments_and_other_parameters() {
        let cb = Callback::from_url("https://h/cb#access_token=tok&state=s1&x=keep").unwrap();
        let mut s = Scrubber::default();
        s.add_params(cb.params());
        assert_eq!(s.scrub("tok s1 keep"), "[redacted] [redacted] keep");
        let mut s = Scrubber::default();
        s.add_params([("client_id", "abc"), ("state", ""), ("scope", "openid")]);
        assert_eq!(s.scrub("abc openid"), "abc openid");
    }
}
