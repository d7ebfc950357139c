//! Estimators: configure, then `fit(&Returns)` to get a fitted [`Covariance`].
//!
//! Every covariance is **annualised** by the returns' periods per year (365 for daily crypto
//! data): `Σ_annual = 365 × Σ_daily`. Shrinkage estimators are computed on daily returns and
//! scaled afterwards, so their intensities equal the peers' (scikit-learn, PyPortfolioOpt).

mod covariance;
mod garch;
mod mean;
mod volatility;

pub use covariance::{
    Covariance, CovarianceEstimator, Ewma, LedoitWolf, Oas, SampleCovariance, ShrinkageTarget,
};
pub use garch::{
    garch_backcast, garch_loglikelihood, series_backcast, Garch11, GarchDist, GarchFit, GarchParams,
};
pub use mean::{ewma_mean, historical_mean, james_stein_mean, signal_tilt, vol_adjusted_momentum};
pub use volatility::{ccc_covariance, ewma_volatility, VolModel};

/// Errors from estimators.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error("{estimator} needs at least {needed} return periods, got {got}")]
    TooFewObservations {
        estimator: &'static str,
        needed: usize,
        got: usize,
    },
    #[error("{estimator}: parameter {name} = {value} is out of range ({expected})")]
    BadParameter {
        estimator: &'static str,
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error(
        "asset '{asset}' has zero variance over the window (constant price): its covariance is singular"
    )]
    ZeroVariance { asset: String },
    #[error("the covariance matrix is not finite")]
    NotFinite,
    #[error("the covariance matrix is not positive definite (smallest eigenvalue {min_eigenvalue:.3e}); use a shrinkage estimator (ledoit-wolf, oas) or fewer assets than return periods")]
    NotPositiveDefinite { min_eigenvalue: f64 },
}
