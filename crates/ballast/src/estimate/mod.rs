//! Estimators: configure, then `fit(&Returns)` to get a fitted [`Covariance`].
//!
//! Every covariance is **annualised** by the returns' periods per year (365 for daily crypto
//! data): `Σ_annual = 365 × Σ_daily`. Shrinkage estimators are computed on daily returns and
//! scaled afterwards, so their intensities equal the peers' (scikit-learn, PyPortfolioOpt).

mod config;
mod covariance;
mod factor;
mod garch;
mod mean;
mod volatility;

use crate::message::Num;

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
pub use mean::{ewma_mean, historical_mean, james_stein_mean, signal_tilt, vol_adjusted_momentum};
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
