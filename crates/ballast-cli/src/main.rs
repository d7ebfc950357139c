//! `ballast` — risk reports, allocation and rebalancing for crypto portfolios.
//!
//! Argument doc comments are `--help` text: `[data]` there is a file section, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

mod args;
mod backtest_charts;
mod chart;
mod commands;
mod input;
mod table;
mod tearsheet;
mod var_chart;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    // commands configured by flags name options as flags in their messages; those configured
    // by a file keep the file's keys
    let by_flags = matches!(
        cli.command,
        args::Command::Optimize(_)
            | args::Command::Risk(_)
            | args::Command::Covariance(_)
            | args::Command::Frontier(_)
            | args::Command::Garch(_)
            | args::Command::VarBacktest(_)
    );
    let result = match &cli.command {
        args::Command::Report(a) => commands::report::run(a),
        args::Command::Optimize(a) => commands::optimize::run(a),
        args::Command::Risk(a) => commands::risk::run(a),
        args::Command::Covariance(a) => commands::covariance::run(a),
        args::Command::Frontier(a) => commands::optimize::frontier(a),
        args::Command::Garch(a) => commands::garch::run(a),
        args::Command::Greeks(a) => commands::greeks::run(a),
        args::Command::Surface(a) => commands::surface::run(a),
        args::Command::Hedge(a) => commands::book::hedge(a),
        args::Command::Factors(a) => commands::factors::run(a),
        args::Command::Margin(a) => commands::margin::run(a),
        args::Command::Accounts(a) => commands::accounts::run(a),
        args::Command::Backtest(a) => commands::backtest::run(a),
        args::Command::VarBacktest(a) => commands::var_backtest::run(a),
        args::Command::Var(a) => commands::book_var::run(a),
        args::Command::Stress(a) => commands::stress::run(a),
        args::Command::Serve(a) => commands::serve::run(a),
        args::Command::Token(a) => commands::serve::token(a),
    };
    match result {
        Ok(text) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                // the reader went away (e.g. `| head`): not an error of ours
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write output: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            let message = format!("{e:#}");
            if by_flags {
                eprintln!("error: {}", input::flag_names(&message));
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::FAILURE
        }
    }
}
