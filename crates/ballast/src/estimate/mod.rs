//! Estimators: configure, then `fit(&Returns)` to get a fitted [`Covariance`].
//!
//! Every covariance is **annualised** by the returns' periods per year (365 for daily crypto
//! data): `Σ_annual = 365 × Σ_daily`. Shrinkage estimators are computed on daily returns and
//! scaled afterwards, so their intensities equal the peers' (scikit-learn, PyPortfolioOpt).

mod capm;
mod config;
mod covariance;
mod factor;
mod garch;
mod mean;
mod nearest_correlation;
mod online_ewma;
mod pairwise;
mod volatility;

use crate::message::Num;

pub use capm::{cap_weights, capm_returns, market_implied_risk_aversion, market_returns, Capm, MarketIndex};
pub use config::{CovarianceEstimator, CovarianceMethod, CovarianceSpec, ExpectedReturns, MuMethod};
pub use covariance::{Covariance, CovarianceInfo, Ewma, LedoitWolf, Oas, SampleCovariance, ShrinkageTarget};
pub use factor::{
    BetaAdjustment, FactorModel, FactorModelSpec, FittedFactorModel, MarketFactor, PcaComponents,
    ResidualDdof, RollingBetas, MAX_FACTORS, MAX_ROLLING_FITS,
};
pub use garch::{
    garch_backcast, garch_loglikelihood, series_backcast, Garch11, GarchDist, GarchFit, GarchParams,
    GARCH_MIN_OBSERVATIONS, MAX_FORECAST_DAYS,
};
pub use mean::{
    ewma_mean, geometric_mean, historical_mean, james_stein_mean, signal_tilt, vol_adjusted_momentum,
};
pub use nearest_correlation::{
    nearest_correlation, CorrelationRepair, NearestCorrelation, MAX_NEAREST_CORRELATION_ITERATIONS,
};
pub use online_ewma::{OnlineEwma, MAX_ONLINE_ASSETS};
pub use pairwise::{
    own_history_means, pairwise_estimate, History, PairwiseEstimate, PairwiseReport, DEFAULT_MIN_OVERLAP,
    REPAIR_EIGENVALUE_FLOOR,
};
pub use volatility::{ccc_covariance, ewma_volatility, VolModel};

/// # Errors
/// From estimators.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// Fewer observations than the estimator needs.
    #[error("{estimator} needs at least {needed} {what}, got {got}", what = if *needed == 1 { "return period" } else { "return periods" })]
    TooFewObservations {
        /// The estimator.
        estimator: &'static str,
        /// How many it needs.
        needed: usize,
        /// How many it got.
        got: usize,
    },
    /// A parameter outside its range.
    #[error("{estimator}: {name} = {} is out of range ({expected})", Num(*value))]
    BadParameter {
        /// The estimator.
        estimator: &'static str,
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The range, with an example.
        expected: &'static str,
    },
    /// A parameter given to an estimator that does not use it.
    #[error("{name} is only used with {users} (the estimator is '{estimator}')")]
    Unused {
        /// The parameter.
        name: &'static str,
        /// The estimator chosen.
        estimator: &'static str,
        /// The estimators that use it.
        users: &'static str,
    },
    /// A constant price series.
    #[error(
        "'{asset}' has zero variance over the window (a constant price): it carries no price risk to \
         estimate or balance; count a stablecoin as cash (cash_usd) and leave it out of the assets"
    )]
    ZeroVariance {
        /// The asset.
        asset: String,
    },
    /// A constant series given to a volatility model.
    #[error("the series is constant (zero variance): a volatility model needs returns that vary")]
    ConstantSeries,
    /// A factor model that cannot be fitted as asked (the message says why and what to do).
    #[error("{0}")]
    Factor(String),
    /// A matrix given as a correlation matrix that is not one.
    #[error("entry ({row}, {col}) = {value} of the correlation matrix should be 1: a correlation matrix has a unit diagonal")]
    BadCorrelation {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// The entry.
        value: f64,
    },
    /// An iterative estimator that did not converge.
    #[error("{what} did not converge in {iterations} iterations (relative change {residual:.2e})")]
    NoConvergence {
        /// What was being computed.
        what: &'static str,
        /// Iterations run.
        iterations: usize,
        /// The last relative change.
        residual: f64,
    },
    /// A coin that does not move over its common returns with another: no correlation.
    #[error(
        "{flat} does not move over its {overlap} common returns with {other}: they have no correlation; leave one of them out or lengthen the window"
    )]
    FlatOverOverlap {
        /// The coin that does not move.
        flat: String,
        /// The other coin.
        other: String,
        /// Their common returns.
        overlap: usize,
    },
    /// A coin with too few returns in the window for a pairwise estimate.
    #[error(
        "{asset} has {count} returns in the window; pairwise estimates need at least {needed}: lower min_overlap (--min-overlap), lengthen the window, or leave {asset} out"
    )]
    TooShortHistory {
        /// The coin.
        asset: String,
        /// Its returns in the window.
        count: usize,
        /// The minimum asked for.
        needed: usize,
    },
    /// Two coins whose histories overlap too little for a pairwise estimate.
    #[error(
        "{a} and {b} have {overlap} common returns in the window ({a}: {count_a}, {b}: {count_b}); pairwise estimates need at least {needed}: lower min_overlap (--min-overlap), lengthen the window, or leave one of them out"
    )]
    TooLittleOverlap {
        /// First coin.
        a: String,
        /// Second coin.
        b: String,
        /// Their common returns.
        overlap: usize,
        /// The first coin's returns in the window.
        count_a: usize,
        /// The second coin's.
        count_b: usize,
        /// The minimum asked for.
        needed: usize,
    },
    /// NaN or infinite entries.
    #[error("the covariance matrix is not finite")]
    NotFinite,
    /// A singular or indefinite matrix.
    #[error("the covariance matrix is not positive definite (smallest eigenvalue {min_eigenvalue:.3e}); use a shrinkage estimator (ledoit-wolf, oas) or fewer assets than return periods")]
    NotPositiveDefinite {
        /// Its smallest eigenvalue.
        min_eigenvalue: f64,
    },
    /// A fitted matrix that is not positive definite, with the fix.
    #[error(
        "the {estimator} covariance of {assets} {noun} over {periods} returns is not positive definite \
         (smallest eigenvalue {min_eigenvalue:.3e}); use a shrinkage estimator (ledoit-wolf, oas), fewer \
         assets than return periods, or repair_psd (--repair-psd) for its nearest positive-definite repair",
        noun = if *assets == 1 { "asset" } else { "assets" }
    )]
    NotPositiveDefiniteFit {
        /// The estimator.
        estimator: &'static str,
        /// Number of assets.
        assets: usize,
        /// Number of return periods.
        periods: usize,
        /// Smallest eigenvalue.
        min_eigenvalue: f64,
    },
}
