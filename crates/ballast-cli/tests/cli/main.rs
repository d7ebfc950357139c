//! End-to-end tests of the `ballast` binary on the bundled data.

mod accounts;
mod backtest;
mod bad_input;
mod common;
mod extremes;
mod factors;
mod greeks;
mod margin;
mod messages;
mod one_engine;
mod python_gaps;
mod readme;
mod reference;
mod report;
mod scenario;
mod serve;
