//! `policyc`: the operator's and CI's tool for oauth-policy files.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod apply;
mod classify;
mod common;
mod errors;
mod explain;
mod fmt;
mod lint;
mod test;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// Shape OAuth/OIDC requests per provider, from `.policy` files.
#[derive(Debug, Parser)]
#[command(name = "policyc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rewrite an authorize URL (or, with --token, a token request body).
    Apply(apply::Args),
    /// Classify a callback: success, provider error or invalid.
    Classify(classify::Args),
    /// Report load errors and likely mistakes in policy files.
    Lint(lint::Args),
    /// Rewrite policy files in the canonical layout, comments kept.
    Fmt(fmt::Args),
    /// Run the test cases beside a policy (`DIR/tests/*.json`).
    Test(test::Args),
    /// Show how the policy treats one request or callback, rule by rule.
    Explain(explain::Args),
}

/// Colour only for a person at a terminal: never with `NO_COLOR` set or
/// when output is redirected (snapshots, CI logs).
fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
}

/// The diagnostic renderer every subcommand uses.
pub(crate) fn report_handler() -> GraphicalReportHandler {
    let theme = if color() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
}

fn main() -> ExitCode {
    // Ignored if a hook is already set (there is none at this point).
    let _ = miette::set_hook(Box::new(|_| Box::new(report_handler())));
    let cli = Cli::parse();
    match cli.command {
        Command::Apply(args) => apply::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Test(args) => test::run(args),
        Command::Explain(args) => explain::run(args),
    }
}
