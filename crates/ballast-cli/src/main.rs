//! `ballast` — risk reports, allocation and rebalancing for crypto portfolios.

mod args;
mod commands;
mod input;
mod table;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match &cli.command {
        args::Command::Report(a) => commands::report::run(a),
        args::Command::Optimize(a) => commands::optimize::run(a),
        args::Command::Risk(a) => commands::risk::run(a),
        args::Command::Covariance(a) => commands::covariance::run(a),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
