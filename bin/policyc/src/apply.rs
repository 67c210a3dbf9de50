//! `policyc apply`: rewrite one authorize URL or token body.

use std::process::ExitCode;

use oauth_policy::Request;

use crate::common::{self, Format};

/// Exit code when a policy denies the request.
const EXIT_DENIED: u8 = 2;

/// Arguments of `policyc apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the policy comes from.
    #[command(flatten)]
    source: common::PolicyArgs,
    /// Treat URL as a token endpoint and rewrite --body.
    #[arg(long, requires = "body")]
    token: bool,
    /// The form-encoded token request body (with --token).
    #[arg(long, value_name = "BODY")]
    body: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// The authorize URL (or token endpoint with --token).
    url: String,
}

/// Runs the subcommand: exit 0 when the request passes, 2 when denied, 1 on error.
pub fn run(args: Args) -> ExitCode {
    let policy = match args.source.load() {
        Ok(p) => p,
        Err(e) => return common::report_load_error(args.format, e),
    };
    let request = match (&args.token, &args.body) {
        (true, Some(body)) => Request::token(&args.url, body),
        _ => Request::authorize(&args.url),
    };
    let request = match request {
        Ok(r) => r,
        Err(e) => return common::report_input_error(args.format, e),
    };
    let out = policy.apply(&request);
    match args.format {
        Format::Json => common::print_json(&out),
        Format::Human => {
            if let Some(d) = out.denied() {
                eprintln!("denied: {} ({} at {})", d.reason, d.rule, d.location);
            } else if args.token {
                println!("{}", out.body().unwrap_or_default());
            } else {
                println!("{}", out.url());
            }
        }
    }
    if out.denied().is_some() {
        ExitCode::from(EXIT_DENIED)
    } else {
        ExitCode::SUCCESS
    }
}
