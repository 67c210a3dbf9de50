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

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Apply(args) => apply::run(args),
        Command::Classify(args) => classify::run(args),
    }
}
