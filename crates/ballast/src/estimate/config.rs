//! Typed configuration of the estimators: which covariance and which expected returns, with
//! their parameters. Files and command lines spell the choices the same way (kebab-case; an
//! unknown name gets "unknown variant `x`, expected one of …").

use super::{
    capm_returns, ccc_covariance, ewma_mean, geometric_mean, historical_mean, james_stein_mean,
    market_returns, Covariance, EstimateError, Ewma, GarchDist, History, LedoitWolf, MarketIndex, Oas,
    SampleCovariance, ShrinkageTarget, VolModel,
};
use crate::data::Returns;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Which observations: one common window (default) or each pair over its overlap
    /// ([`History::Pairwise`], sample covariance only).
    #[serde(default)]
    pub history: History,
    /// With `history = "pairwise"`: the fewest common returns any pair may have (default 60).
    pub min_overlap: Option<usize>,
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
        if self.min_overlap.is_some() && self.history != History::Pairwise {
            return Err(EstimateError::Unused {
                name: "min_overlap",
                estimator: m.name(),
                users: "history = pairwise",
            });
        }
        if self.history == History::Pairwise && m != CovarianceMethod::Sample {
            return Err(EstimateError::Factor(format!(
                "history = pairwise estimates the sample covariance of each pair over its overlap; '{}' needs one common window (its shrinkage or weighting assumes every coin on every date, and filling gaps with zero returns, as PyPortfolioOpt's Ledoit-Wolf does, would invent data): use --cov sample with pairwise, or history = common",
                m.name()
            )));
        }
        if self.history == History::Pairwise && self.repair_psd {
            return Err(EstimateError::Factor(
                "repair_psd is not needed with history = pairwise: a pairwise covariance that is not positive definite is always repaired (nearest correlation, Higham 2002) and the repair is reported".into(),
            ));
        }
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
        if self.history == History::Pairwise {
            return Err(EstimateError::Factor(
                "history = pairwise applies to `optimize` and `covariance` (each pair over its own overlap); this computation works on one common window: use history = common".into(),
            ));
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
    /// Geometric (compounded) mean: (Π(1 + r))^(365/T) − 1, the CAGR.
    Geometric,
    /// CAPM: r_f + β (E(r_m) − r_f) against `market` (default BTC).
    Capm,
}

impl MuMethod {
    /// The name, as written in files and on the command line.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }
}

/// A configured expected-return estimator (annual returns).
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// Geometric (compounded) mean, the CAGR.
    Geometric,
    /// CAPM against a market ([`capm_returns`]).
    Capm {
        /// The market.
        market: MarketIndex,
        /// Market caps, for a cap-weighted market.
        caps: Option<BTreeMap<String, f64>>,
        /// Annual risk-free rate.
        risk_free: f64,
        /// The market's expected return geometric (true, PyPortfolioOpt's default) or arithmetic.
        compounding: bool,
    },
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
            (MuMethod::Geometric, None) => Ok(Self::Geometric),
            (MuMethod::Capm, None) => Ok(Self::Capm {
                market: MarketIndex::default(),
                caps: None,
                risk_free: 0.0,
                compounding: true,
            }),
        }
    }

    /// Its name.
    pub fn method(&self) -> MuMethod {
        match self {
            Self::Historical => MuMethod::Historical,
            Self::Ewma { .. } => MuMethod::Ewma,
            Self::JamesStein => MuMethod::JamesStein,
            Self::Geometric => MuMethod::Geometric,
            Self::Capm { .. } => MuMethod::Capm,
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
            Self::Geometric => geometric_mean(returns),
            Self::Capm {
                market,
                caps,
                risk_free,
                compounding,
            } => {
                let m = market_returns(returns, market, caps.as_ref())?;
                Ok(capm_returns(returns, &m, *risk_free, *compounding)?.expected)
            }
        }
    }
}
