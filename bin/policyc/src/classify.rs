//! `policyc classify`: the verdict for one callback.

use std::process::ExitCode;

use miette::Diagnostic as _;
use oauth_policy::{Callback, ExpectationError, Expectations, RequestError, Verdict};

use crate::common::{self, Format};

/// Arguments of `policyc classify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the policy comes from.
    #[command(flatten)]
    source: common::PolicyArgs,
    /// The provider block the flow used.
    #[arg(long, value_name = "NAME", conflicts_with = "authorize_url")]
    provider: Option<String>,
    /// The authorize URL the flow started with (picks the provider).
    #[arg(long, value_name = "URL")]
    authorize_url: Option<String>,
    /// The `state` the gateway sent.
    #[arg(long, value_name = "S")]
    expected_state: Option<String>,
    /// The issuer expected in `iss` (RFC 9207).
    #[arg(long, value_name = "I")]
    expected_issuer: Option<String>,
    /// The provider advertises `iss` in authorization responses.
    #[arg(long)]
    require_iss: bool,
    /// The flow sent no `state` and relies on PKCE (RFC 9700 §2.1): a
    /// callback without `state` is then not `missing_state`.
    #[arg(long, conflicts_with = "expected_state")]
    no_state: bool,
    /// The `response_mode` the flow asked for (`fragment` reads the URL's
    /// fragment; default: from --authorize-url, else `query`).
    #[arg(long, value_name = "MODE")]
    response_mode: Option<String>,
    /// Read CALLBACK as a form_post body instead of a URL.
    #[arg(long)]
    form: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// The callback URL (or form body with --form).
    callback: String,
}

/// Runs the subcommand: exit 0 for any verdict, 1 for bad usage or input.
pub fn run(args: Args) -> ExitCode {
    let policy = match args.source.load() {
        Ok(p) => p,
        Err(e) => return common::report_load_error(args.format, e),
    };
    let callback = match read_callback(&args.callback, args.form) {
        Ok(c) => c,
        Err(e) => return common::report_input_error(args.format, e),
    };
    let verdict = match policy.classify(&callback, &expectations(&args)) {
        Ok(v) => v,
        Err(e) => return report_expectation_error(args.format, &e),
    };
    match args.format {
        Format::Json => common::print_json(&verdict),
        Format::Human => print_human(&verdict),
    }
    ExitCode::SUCCESS
}

/// The expectations the flags describe.
fn expectations(args: &Args) -> Expectations {
    expectations_from(
        args.provider.as_deref(),
        args.authorize_url.as_deref(),
        args.expected_state.as_deref(),
        args.expected_issuer.as_deref(),
        args.require_iss,
        args.no_state,
        args.response_mode.as_deref(),
    )
}

/// Reads a callback: a redirect URL, or with `--form` a `form_post` body.
pub fn read_callback(text: &str, form: bool) -> Result<Callback, RequestError> {
    if form {
        Callback::from_form(text)
    } else {
        Callback::from_url(text)
    }
}

/// The expectations from the flags `classify` and `explain --callback` share.
pub fn expectations_from(
    provider: Option<&str>,
    authorize_url: Option<&str>,
    expected_state: Option<&str>,
    expected_issuer: Option<&str>,
    require_iss: bool,
    no_state: bool,
    response_mode: Option<&str>,
) -> Expectations {
    let mut e = Expectations::new()
        .with_require_iss(require_iss)
        .with_no_state(no_state);
    if let Some(p) = provider {
        e = e.with_provider(p);
    }
    if let Some(u) = authorize_url {
        e = e.with_authorize_url(u);
    }
    if let Some(s) = expected_state {
        e = e.with_expected_state(s);
    }
    if let Some(i) = expected_issuer {
        e = e.with_expected_issuer(i);
    }
    if let Some(m) = response_mode {
        e = e.with_response_mode(m);
    }
    e
}

/// Prints the library's refusal of the expectations (an unknown
/// `--provider`: `policy::E022` with its "did you mean") and returns the
/// error exit code.
pub fn report_expectation_error(format: common::Format, e: &ExpectationError) -> ExitCode {
    let code = e.code().map(|c| c.to_string()).unwrap_or_default();
    let help = e.help().map(|h| format!("{h} (`policyc classify --help`)"));
    common::report_error(format, &code, &e.to_string(), help)
}

fn print_human(v: &Verdict) {
    println!("outcome:   {}", serde_name(&v.outcome));
    println!("category:  {}", v.category.name());
    println!("retryable: {}", v.retryable);
    let opt = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            println!("{label:<10} {value}");
        }
    };
    opt("provider:", &v.provider);
    opt("code:", &v.provider_code);
    opt("error:", &v.error);
    opt("detail:", &v.error_description);
    opt("hint:", &v.hint);
    println!("rule:      {}", v.rule);
}

/// The serde name of a unit enum value.
fn serde_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
