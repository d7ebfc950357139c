//! # Ballast — a portfolio risk-balancing engine for crypto portfolios
//!
//! Data flows one way: **load → estimate → allocate / measure → decide trades → report**.
//!
//! | module | concept |
//! |---|---|
//! | [`names`] | the names of every configuration choice, as files, flags and output spell them |
//! | [`instrument`] | spot, perpetuals, futures, options; Deribit instrument names |
//! | [`data`] | price panels with real listing gaps, windows, simple/log returns |
//! | [`estimate`] | covariance estimators (sample, EWMA, Ledoit–Wolf, OAS, CCC), annualised ×365; GARCH(1,1); expected returns; momentum; typed estimator settings |
//! | [`risk`] | volatility, Euler risk contributions, VaR / expected shortfall (historical, Gaussian, Cornish–Fisher), drawdown |
//! | [`allocate`] | every allocation method (equal weight, inverse volatility, ERC, risk budgets, mean-variance, Black–Litterman, HRP/HERC, min-CVaR), constraints, volatility targeting; the [`allocate::AllocationSpec`] request and its pipeline |
//! | [`rebalance`] | current vs target weights, drift bands, trades to target with fees |
//! | [`market`] | a market snapshot: spot index, option quotes, forwards, futures prices |
//! | [`pricing`] | Black-76 / BSM prices and Greeks in Deribit units, implied volatility, chain Greeks, SVI surfaces |
//! | [`book`] | positions valued at the mark, book Greeks, scenario P&L by full revaluation |
//! | [`hedge`] | least-cost trades that make a book delta/gamma/vega neutral (LP, Clarabel) |
//! | [`analysis`] | requests on a window of prices: optimize, risk, covariance, frontier, GARCH |
//! | [`portfolio`] | the portfolio file (holdings, cash, target, rebalancing band) and its report |
//! | [`backtest`] | walk-forward backtests: rebalancing policies, costs, funding, metrics, PSR/DSR/PBO, attribution |
//! | [`io`] | every file read: prices, option chains, funding, futures, TOML files |
//!
//! Every result derives `Serialize`: what the `ballast` command prints with `--format json` is
//! the result's serialisation, so any front end gets the same numbers under the same keys.
//!
//! Conventions (matching the peer references): simple daily returns, 365 periods per year, sample
//! covariance with ddof = 1, confidence levels written as 0.95 / 0.99, losses reported as positive
//! fractions of portfolio value. The library never prints and keeps no global state.
//!
//! ```
//! use ballast::allocate::RiskBudgeting;
//! use ballast::data::{ReturnKind, WindowSpec};
//! use ballast::io::read_prices;
//! use ballast::estimate::LedoitWolf;
//! use ballast::risk::risk_summary;
//!
//! # fn main() -> Result<(), ballast::Error> {
//! let panel = read_prices(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/crypto_daily_close.csv"))?;
//! let spec = WindowSpec { assets: Some(vec!["BTC".into(), "ETH".into(), "SOL".into()]), ..WindowSpec::default() };
//! let returns = panel.window(&spec)?.returns(ReturnKind::Simple); // 730 daily returns
//! let cov = LedoitWolf::default().fit(&returns)?;                  // annualised ×365
//! let erc = RiskBudgeting::erc().weights(&cov)?;
//! assert!(erc.risk_contributions.iter().all(|rc| (rc - 1.0 / 3.0).abs() < 1e-10));
//! let risk = risk_summary(&returns, &cov, &erc.weights, &[0.95, 0.99])?;
//! assert!(risk.cvar[0].loss >= risk.var[0].loss);
//! # Ok(())
//! # }
//! ```
//!
//! The same request the command line makes (`ballast optimize --assets BTC,ETH,SOL --window 365
//! --method erc --cov ledoit-wolf --vol-target 0.4`):
//!
//! ```
//! use ballast::allocate::{AllocationOptions, AllocationSpec, Method};
//! use ballast::analysis::{optimize, WindowRequest};
//! use ballast::estimate::{CovarianceMethod, CovarianceSpec};
//! use ballast::io::read_prices;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let panel = read_prices(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/crypto_daily_close.csv"))?;
//! let window = WindowRequest {
//!     assets: Some(vec!["BTC".into(), "ETH".into(), "SOL".into()]),
//!     window: 365,
//!     ..WindowRequest::default()
//! };
//! let spec = AllocationSpec::try_from(AllocationOptions {
//!     vol_target: Some(0.4),
//!     ..AllocationOptions::new(Method::Erc)
//! })?;
//! let covariance = CovarianceSpec::of(CovarianceMethod::LedoitWolf);
//! let report = optimize(&panel, &window, &covariance, &spec)?;
//! assert!((report.allocation.volatility_annual - 0.4).abs() < 1e-9);
//! let json = serde_json::to_string_pretty(&report)?; // what `ballast optimize --format json` prints
//! # assert!(json.contains("\"vol_target\""));
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod allocate;
pub mod analysis;
pub mod backtest;
pub mod book;
pub mod data;
pub mod estimate;
pub mod hedge;
pub mod instrument;
pub mod io;
mod linalg;
pub mod margin;
pub mod market;
mod message;
pub mod names;
pub mod portfolio;
pub mod pricing;
pub mod rebalance;
pub mod risk;
pub mod scenario;

mod error;

pub use error::Error;
pub use linalg::SymMatrix;

/// Periods per year for daily crypto data: markets trade every calendar day.
pub const PERIODS_PER_YEAR_DAILY: f64 = 365.0;

/// Result alias with the crate [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
