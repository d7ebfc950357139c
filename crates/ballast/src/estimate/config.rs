//! Typed configuration of the estimators: which covariance and which expected returns, with
//! their parameters. Files and command lines spell the choices the same way (kebab-case; an
//! unknown name gets "unknown variant `x`, expected one of …").

use super::{
    ccc_covariance, ewma_mean, historical_mean, james_stein_mean, Covariance, EstimateError, Ewma, GarchDist,
    LedoitWolf, Oas, SampleCovariance, ShrinkageTarget, VolModel,
};
use crate::data::Returns;
use serde::{Deserialize, Serialize};

/// The covariance estimators, by name: [`SampleCovariance`], [`Ewma`], [`LedoitWolf`] (to a
/// scaled identity or to constant correlation), [`Oas`] and [`ccc_covariance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum CovarianceMethod {
    /// Sample covariance, ddof = 1.
    #[default]
    Sample,
    /// RiskMetrics EWMA, zero mean (decay `ewma_lambda`, default 0.94).
    Ewma,
    /// Ledoit–Wolf towards a scaled identity (scikit-learn's).
    LedoitWolf,
    /// Ledoit–Wolf towards constant correlation (PyPortfolioOpt's).
    LedoitWolfCc,
    /// Oracle approximating shrinkage (scikit-learn's).
    Oas,
    /// Constant conditional correlation with EWMA volatilities.
    CccEwma,
    /// Constant conditional correlation with GARCH(1,1) volatility forecasts.
    CccGarch,
    /// Constant conditional correlation with GARCH(1,1) Student-t volatility forecasts.
    CccGarchT,
}

impl CovarianceMethod {
    /// The name, as written in files and on the command line (`"ledoit-wolf"`).
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    fn uses_lambda(self) -> bool {
        matches!(self, Self::Ewma | Self::CccEwma)
    }
}

/// A configured covariance estimator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CovarianceEstimator {
    /// Sample covariance.
    Sample(SampleCovariance),
    /// RiskMetrics EWMA.
    Ewma(Ewma),
    /// Ledoit–Wolf shrinkage.
    LedoitWolf(LedoitWolf),
    /// OAS shrinkage.
    Oas(Oas),
    /// Constant conditional correlation with EWMA or GARCH volatilities ([`ccc_covariance`]).
    Ccc(VolModel),
}

impl CovarianceEstimator {
    /// Fit to `returns` (T×N): an annualised N×N covariance.
    ///
    /// # Errors
    /// Those of the estimator (too few periods, bad parameters, zero variance).
    pub fn fit(&self, returns: &Returns) -> Result<Covariance, EstimateError> {
        match self {
            Self::Sample(e) => e.fit(returns),
            Self::Ewma(e) => e.fit(returns),
            Self::LedoitWolf(e) => e.fit(returns),
            Self::Oas(e) => e.fit(returns),
            Self::Ccc(m) => ccc_covariance(returns, *m),
        }
    }
}

/// How to estimate the covariance: `estimator = "ledoit-wolf"`, `ewma_lambda = 0.97` (with
/// `ewma` and `ccc-ewma` only), `repair_psd = true` (replace a matrix that is not positive
/// definite by its nearest positive-definite repair instead of stopping).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovarianceSpec {
    /// The estimator (default `sample`).
    #[serde(default)]
    pub estimator: CovarianceMethod,
    /// EWMA decay λ ∈ (0, 1) for `ewma` and `ccc-ewma` (default 0.94).
    pub ewma_lambda: Option<f64>,
    /// Repair a matrix that is not positive definite (eigenvalues floored) instead of failing.
    #[serde(default)]
    pub repair_psd: bool,
}

impl CovarianceSpec {
    /// The spec of `estimator` with its defaults.
    pub fn of(estimator: CovarianceMethod) -> Self {
        Self {
            estimator,
            ..Self::default()
        }
    }

    /// The configured estimator.
    ///
    /// # Errors
    /// [`EstimateError::BadParameter`]: `ewma_lambda` outside (0, 1), or given to an estimator
    /// that does not use it.
    pub fn estimator(&self) -> Result<CovarianceEstimator, EstimateError> {
        let m = self.estimator;
        if let Some(l) = self.ewma_lambda {
            if !m.uses_lambda() {
                return Err(EstimateError::Unused {
                    name: "ewma_lambda",
                    estimator: m.name(),
                    users: "ewma, ccc-ewma",
                });
            }
            if !(l > 0.0 && l < 1.0) {
                return Err(EstimateError::BadParameter {
                    estimator: m.name(),
                    name: "ewma_lambda",
                    value: l,
                    expected: "0 < λ < 1, e.g. 0.94",
                });
            }
        }
        let lambda = self.ewma_lambda.unwrap_or(0.94);
        Ok(match m {
            CovarianceMethod::Sample => CovarianceEstimator::Sample(SampleCovariance::default()),
            CovarianceMethod::Ewma => CovarianceEstimator::Ewma(Ewma { lambda }),
            CovarianceMethod::LedoitWolf => CovarianceEstimator::LedoitWolf(LedoitWolf::default()),
            CovarianceMethod::LedoitWolfCc => CovarianceEstimator::LedoitWolf(LedoitWolf {
                target: ShrinkageTarget::ConstantCorrelation,
            }),
            CovarianceMethod::Oas => CovarianceEstimator::Oas(Oas),
            CovarianceMethod::CccEwma => CovarianceEstimator::Ccc(VolModel::Ewma(lambda)),
            CovarianceMethod::CccGarch => CovarianceEstimator::Ccc(VolModel::Garch(GarchDist::Normal)),
            CovarianceMethod::CccGarchT => CovarianceEstimator::Ccc(VolModel::Garch(GarchDist::StudentT)),
        })
    }

    /// Fit, and check the matrix is usable by the allocators: finite, positive variances,
    /// positive definite — or, with `repair_psd`, replaced by its nearest positive-definite
    /// repair ([`Covariance::nearest_positive_definite`]; [`Covariance::repaired`] then holds
    /// the smallest eigenvalue before the repair).
    ///
    /// # Errors
    /// Those of [`Self::estimator`] and of the fit; [`EstimateError::ZeroVariance`] naming an
    /// asset whose returns are all equal in the window (a constant price, e.g. a pegged
    /// stablecoin), whatever the estimator: shrinkage would lend it risk it does not have, and
    /// a repair cannot give it any; [`EstimateError::NotPositiveDefinite`]
    /// without `repair_psd`.
    pub fn fit(&self, returns: &Returns) -> Result<Covariance, EstimateError> {
        // A constant column has no risk to estimate; shrinkage estimators would lend it some of
        // the average variance, so it is refused before any estimator sees it.
        for (j, asset) in returns.assets().iter().enumerate() {
            let col = returns.column(j);
            if col.iter().all(|r| *r == col[0]) {
                return Err(EstimateError::ZeroVariance { asset: asset.clone() });
            }
        }
        let mut cov = self.estimator()?.fit(returns)?;
        match cov.validate() {
            Err(EstimateError::NotPositiveDefinite { min_eigenvalue }) if self.repair_psd => {
                let (fixed, before) = cov.nearest_positive_definite()?;
                debug_assert!(before <= min_eigenvalue || min_eigenvalue.is_nan());
                cov = fixed;
                cov.repaired = Some(before);
                cov.validate()?;
            }
            Err(EstimateError::NotPositiveDefinite { min_eigenvalue }) => {
                return Err(EstimateError::NotPositiveDefiniteFit {
                    estimator: cov.estimator,
                    assets: cov.dim(),
                    periods: returns.n_periods(),
                    min_eigenvalue,
                })
            }
            other => other?,
        }
        Ok(cov)
    }
}

/// The expected-return estimators, by name: [`historical_mean`], [`ewma_mean`],
/// [`james_stein_mean`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum MuMethod {
    /// Arithmetic mean × 365.
    #[default]
    Historical,
    /// Exponentially weighted mean × 365 (decay `mu_lambda`, default 0.97).
    Ewma,
    /// James–Stein shrinkage of the historical means towards their grand mean.
    JamesStein,
}

impl MuMethod {
    /// The name, as written in files and on the command line.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }
}

/// A configured expected-return estimator (annual returns).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ExpectedReturns {
    /// Arithmetic mean × periods per year.
    #[default]
    Historical,
    /// Exponentially weighted mean with decay λ.
    Ewma {
        /// Decay λ ∈ (0, 1).
        lambda: f64,
    },
    /// James–Stein shrinkage towards the grand mean.
    JamesStein,
}

impl ExpectedReturns {
    /// From a name and the optional EWMA decay.
    ///
    /// # Errors
    /// `lambda` outside (0, 1), or given with an estimator that does not use it.
    pub fn new(method: MuMethod, lambda: Option<f64>) -> Result<Self, EstimateError> {
        match (method, lambda) {
            (MuMethod::Ewma, l) => {
                let lambda = l.unwrap_or(0.97);
                if !(lambda > 0.0 && lambda < 1.0) {
                    return Err(EstimateError::BadParameter {
                        estimator: "ewma mean",
                        name: "mu_lambda",
                        value: lambda,
                        expected: "0 < λ < 1, e.g. 0.97",
                    });
                }
                Ok(Self::Ewma { lambda })
            }
            (m, Some(_)) => Err(EstimateError::Unused {
                name: "mu_lambda",
                estimator: m.name(),
                users: "ewma",
            }),
            (MuMethod::Historical, None) => Ok(Self::Historical),
            (MuMethod::JamesStein, None) => Ok(Self::JamesStein),
        }
    }

    /// Its name.
    pub fn method(&self) -> MuMethod {
        match self {
            Self::Historical => MuMethod::Historical,
            Self::Ewma { .. } => MuMethod::Ewma,
            Self::JamesStein => MuMethod::JamesStein,
        }
    }

    /// Annual expected returns of each asset (length N).
    ///
    /// # Errors
    /// Those of the estimator (too few periods or assets).
    pub fn estimate(&self, returns: &Returns) -> Result<Vec<f64>, EstimateError> {
        match self {
            Self::Historical => historical_mean(returns),
            Self::Ewma { lambda } => ewma_mean(returns, *lambda),
            Self::JamesStein => james_stein_mean(returns),
        }
    }
}
