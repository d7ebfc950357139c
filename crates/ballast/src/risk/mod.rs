//! Risk measurement: volatility and Euler risk contributions, VaR / CVaR (historical,
//! Gaussian, Cornish–Fisher), moments, maximum drawdown, and VaR backtests (Kupiec,
//! Christoffersen, the Basel traffic light).
//!
//! Losses are reported as **positive** fractions of portfolio value over one period (one day
//! for daily data); confidence levels are written as 0.95 / 0.99 (tail probability 1 − c).

mod backtest;
mod contributions;
mod drawdown;
mod factor;
mod summary;
mod var;

use crate::message::Num;

pub(crate) use backtest::ewma_sigma;
pub use backtest::{
    christoffersen_independence, conditional_coverage, exceptions, kupiec_pof, rolling_var, traffic_light,
    transition_counts, var_backtest, BacktestSettings, LrTest, RollingVar, TrafficLight, TransitionCounts,
    VarBacktest, VarModel, Zone, MAX_BACKTEST_WINDOW, MC_DRAWS,
};
pub use contributions::{portfolio_volatility, risk_contributions, RiskContributions};
pub use drawdown::{max_drawdown, Drawdown};
pub use factor::{factor_projection, factor_risk, loadings_gram, FactorRisk};
pub use summary::{check_confidences, risk_summary, RiskSummary, TailLoss};
pub(crate) use var::tail_count;
pub use var::{
    cornish_fisher_var, gaussian_cvar, gaussian_var, historical_cvar, historical_var, moments,
    normal_quantile, Moments, VarMethod,
};

/// # Errors
/// From risk measures.
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error("confidence level {} must be strictly between 0 and 1 (e.g. 0.95)", Num(*.0))]
    /// A confidence level outside (0, 1).
    BadConfidence(f64),
    #[error("need at least {needed} observations, got {got}")]
    /// Too short a series.
    TooFewObservations {
        /// How many the measure needs.
        needed: usize,
        /// How many it got.
        got: usize,
    },
    #[error("{got} weights for {expected} assets")]
    /// Weights of the wrong length.
    WeightLength {
        /// Number of assets.
        expected: usize,
        /// Number of weights.
        got: usize,
    },
    #[error("the return series contains a non-finite value")]
    /// A non-finite return.
    NotFinite,
    #[error("portfolio variance is not positive ({0:e}): risk contributions are undefined")]
    /// Zero or negative portfolio variance.
    ZeroVariance(f64),
    #[error("the returns and the covariance cover different assets")]
    /// Returns and covariance over different assets.
    Mismatch,
    #[error("{0}")]
    /// Anything else, with its message.
    Invalid(String),
}

pub(crate) fn check_confidence(c: f64) -> Result<f64, RiskError> {
    if c > 0.0 && c < 1.0 {
        Ok(1.0 - c)
    } else {
        Err(RiskError::BadConfidence(c))
    }
}
