//! Integration tests of the `ballast` library: peer references, properties, bad input.

mod allocation_spec;
mod backtest;
mod book;
mod common;
mod data_errors;
mod deribit_greeks;
mod estimators_extra;
mod factor_risk;
mod fuzz_regressions;
mod hedge;
mod layers;
mod options_consistency;
mod price_formats;
mod properties;
mod reference_black_litterman;
mod reference_covariance;
mod reference_factor;
mod reference_garch;
mod reference_hrp;
mod reference_mean_variance;
mod reference_min_cvar;
mod reference_options;
mod reference_risk;
mod reference_risk_parity;
mod screening;
mod surface;
