//! `policyc classify`: the verdict for one callback.

use std::path::PathBuf;
use std::process::ExitCode;

use oauth_policy::{Callback, Expectations, Verdict};

use crate::common::{self, Format};
use crate::errors;

/// Arguments of `policyc classify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A .policy file or a directory of them (default: the embedded library).
    #[arg(long, value_name = "PATH")]
    policies: Option<PathBuf>,
    /// An overlay directory (or file) layered on top, e.g. local
    /// `extend provider` blocks; repeatable, applied in order.
    #[arg(long = "overlay", value_name = "DIR")]
    overlays: Vec<PathBuf>,
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
    let policy = match common::load(args.policies.as_ref(), &args.overlays) {
        Ok(p) => p,
        Err(e) => return common::report_load_error(args.format, e),
    };
    if let Some(name) = &args.provider {
        if !policy.providers().any(|p| p == name) {
            let known: Vec<&str> = policy.providers().collect();
            let close = known
                .iter()
                .copied()
                .min_by_key(|k| strsim::damerau_levenshtein(k, name));
            return common::report_error(
                args.format,
                errors::UNKNOWN_PROVIDER,
                &format!("no provider named `{name}` in the policy"),
                close.map(|close| format!("did you mean `{close}`? (`policyc classify --help`)")),
            );
        }
    }
    let callback = if args.form {
        Callback::from_form(&args.callback)
    } else {
        Callback::from_url(&args.callback)
    };
    let callback = match callback {
        Ok(c) => c,
        Err(e) => return common::report_input_error(args.format, e),
    };
    let expect = Expectations {
        provider: args.provider,
        authorize_url: args.authorize_url,
        expected_state: args.expected_state,
        expected_issuer: args.expected_issuer,
        iss_required: args.require_iss,
        no_state: args.no_state,
        response_mode: args.response_mode,
    };
    let verdict = policy.classify(&callback, &expect);
    match args.format {
        Format::Json => common::print_json(&verdict),
        Format::Human => print_human(&verdict),
    }
    ExitCode::SUCCESS
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
