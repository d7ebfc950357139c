//! Factor models of coin returns: configure a [`FactorModel`], `fit` it to a window of returns,
//! get a [`FittedFactorModel`] (loadings, alphas, R², residual variances, factor covariance and
//! the factor-model covariance of the coins).
//!
//! Three kinds, named as files and flags write them ([`FactorModelSpec`]):
//! - `market:BTC` / `market:equal-weight`: the market model (Sharpe 1963), an OLS of each coin's
//!   return on one market return — a coin of the universe, or the equal-weighted mean of the
//!   universe's returns (every coin, the regressed one included, 1/N each, rebalanced daily);
//! - `explicit:BTC,ETH`: OLS with intercept on several factor returns (coins of the universe, or
//!   columns of a factor file the caller supplies with [`FactorModel::fit_with_factors`]);
//! - `pca:3` (three factors) or `pca:0.8` (as many as explain 80 % of the variance): principal
//!   components of the annualised covariance (sample, or any estimator of [`CovarianceSpec`]).
//!
//! # Formula
//! Regression models: r_i,t = α_i + Σ_k β_i,k f_k,t + ε_i,t (OLS with intercept; weighted when a
//! half-life is given). R²_i = 1 − SSR_i/SST_i. Residual variance SSR_i/(T − ddof) with
//! ddof = K + 1 ([`ResidualDdof::Regression`], statsmodels' `scale`) or 1 ([`ResidualDdof::Sample`],
//! Riskfolio-Lib and skfolio; the default: the model covariance's diagonal then equals the
//! sample variances). Factor covariance F with ddof = 1. Model covariance
//! Σ = 365 (B F Bᵀ + diag(σ²_ε)) (skfolio `TimeSeriesFactorModel`, Riskfolio `loadings_matrix`).
//!
//! PCA: S = V Λ Vᵀ (eigenvalues descending); each eigenvector's entry of largest absolute value is
//! made positive (scikit-learn's `svd_flip` gives the same signs); the k-factor covariance is
//! V_k Λ_k V_kᵀ + D with D = diag(S) − diag(V_k Λ_k V_kᵀ), so its diagonal equals S's.

mod pca;
mod regression;
mod rolling;
mod spec;

pub use rolling::{RollingBetas, MAX_ROLLING_FITS};
pub use spec::{BetaAdjustment, FactorModelSpec, MarketFactor, PcaComponents, ResidualDdof};

use super::{Covariance, CovarianceSpec, EstimateError};
use crate::data::{AssetMap, Returns};
use crate::linalg::SymMatrix;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Largest number of factors a model takes.
pub const MAX_FACTORS: usize = 100;

/// A factor model to fit (configure, then [`FactorModel::fit`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FactorModel {
    /// Which factors.
    pub spec: FactorModelSpec,
    /// Degrees of freedom of the residual variances (regression models).
    pub residual_ddof: ResidualDdof,
    /// Exponential weights with this half-life in periods (regression models; `None` = equal
    /// weights).
    pub half_life: Option<f64>,
    /// Shrinkage of the betas (market model only).
    pub beta_adjustment: BetaAdjustment,
    /// The covariance whose principal components are taken (PCA only; default sample).
    pub covariance: CovarianceSpec,
}

impl FactorModel {
    /// The model `spec` with every default (equal weights, residual ddof 1, raw betas, PCA of
    /// the sample covariance).
    pub fn new(spec: FactorModelSpec) -> Self {
        Self {
            spec,
            residual_ddof: ResidualDdof::default(),
            half_life: None,
            beta_adjustment: BetaAdjustment::default(),
            covariance: CovarianceSpec::default(),
        }
    }

    /// Fit to `returns` (T×N); explicit factors must be coins of `returns`.
    ///
    /// # Errors
    /// As [`Self::fit_with_factors`].
    pub fn fit(&self, returns: &Returns) -> Result<FittedFactorModel, EstimateError> {
        self.fit_with_factors(returns, None)
    }

    /// Fit to `returns` (T×N), taking explicit factors from `factors` (T×K' on the same dates)
    /// when they are not coins of `returns`.
    ///
    /// # Errors
    /// [`EstimateError::Factor`]: an unknown factor, options the model does not use, more
    /// factors than coins or than periods allow, a factor with no variance, factors that are
    /// collinear, factor returns on other dates; [`EstimateError::ZeroVariance`]: a coin with a
    /// constant price; the covariance estimator's errors (PCA).
    pub fn fit_with_factors(
        &self,
        returns: &Returns,
        factors: Option<&Returns>,
    ) -> Result<FittedFactorModel, EstimateError> {
        self.check()?;
        if let Some(f) = factors {
            if f.dates() != returns.dates() {
                return Err(EstimateError::Factor(format!(
                    "the factor returns cover {} periods ({}) and the coins' {} ({}): give factor prices on the same dates",
                    f.n_periods(),
                    span(f),
                    returns.n_periods(),
                    span(returns)
                )));
            }
        }
        match &self.spec {
            FactorModelSpec::Pca(k) => pca::fit(returns, &self.covariance, *k),
            spec => regression::fit(self, spec, returns, factors),
        }
    }

    /// As [`Self::fit`], with PCA taking the components of `covariance` (an estimate the caller
    /// already has, over the same coins) instead of fitting [`Self::covariance`].
    ///
    /// # Errors
    /// As [`Self::fit_with_factors`].
    pub fn fit_on(
        &self,
        returns: &Returns,
        covariance: &Covariance,
    ) -> Result<FittedFactorModel, EstimateError> {
        self.check()?;
        match &self.spec {
            FactorModelSpec::Pca(k) => pca::fit_on(returns, covariance, *k),
            spec => regression::fit(self, spec, returns, None),
        }
    }

    fn check(&self) -> Result<(), EstimateError> {
        let bad = |m: &str| Err(EstimateError::Factor(m.to_string()));
        let regression = !matches!(self.spec, FactorModelSpec::Pca(_));
        if let Some(h) = self.half_life {
            if !regression {
                return bad("half_life is only used with the regression models (market:, explicit:)");
            }
            if !(h.is_finite() && (1.0..=100_000.0).contains(&h)) {
                return Err(EstimateError::BadParameter {
                    estimator: "factor model",
                    name: "half_life",
                    value: h,
                    expected: "1 to 100000 periods, e.g. 90",
                });
            }
        }
        if self.beta_adjustment != BetaAdjustment::None && !matches!(self.spec, FactorModelSpec::Market(_)) {
            return bad("beta_adjustment (blume, vasicek) is only used with the market model (market:BTC, market:equal-weight)");
        }
        if !regression && self.residual_ddof != ResidualDdof::default() {
            return bad("residual_ddof is only used with the regression models (market:, explicit:); PCA's residual is what its factors leave of each variance");
        }
        if regression && self.covariance != CovarianceSpec::default() {
            return bad("a covariance estimator (--cov, --ewma-lambda, --repair-psd) is only used with the PCA models (pca:K); the regression models (market:, explicit:) estimate their own covariance");
        }
        Ok(())
    }
}

fn span(r: &Returns) -> String {
    match (r.dates().first(), r.dates().last()) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "none".into(),
    }
}

/// A fitted factor model. Per-coin vectors are in [`Self::assets`] order; per-factor ones in
/// [`Self::factors`] order.
#[derive(Debug, Clone)]
pub struct FittedFactorModel {
    /// The model, as written (`market:BTC`, `explicit:BTC,ETH`, `pca:3`).
    pub model: String,
    /// Factor names (`BTC`, `equal-weight`, `PC1`, ...).
    pub factors: Vec<String>,
    /// Coin names.
    pub assets: Vec<String>,
    /// Loadings B, N×K row-major: `loadings[i * K + k]` is coin i's beta to factor k (for PCA,
    /// the entries of the unit eigenvectors).
    pub loadings: Vec<f64>,
    /// Daily intercepts α (regression models).
    pub alpha: Option<Vec<f64>>,
    /// Fraction of each coin's variance the factors explain.
    pub r_squared: Vec<f64>,
    /// Residual (idiosyncratic) variance per coin, **daily**.
    pub residual_variance: Vec<f64>,
    /// Degrees of freedom of the residual variances (regression models).
    pub ddof: Option<usize>,
    /// Factor covariance F, K×K, **annualised**.
    pub factor_covariance: SymMatrix,
    /// Factor-model covariance of the coins, N×N, annualised.
    pub covariance: Covariance,
    /// PCA: every eigenvalue of the covariance, annualised, descending.
    pub eigenvalues: Option<Vec<f64>>,
    /// PCA: each eigenvalue ÷ the trace.
    pub explained_variance_ratio: Option<Vec<f64>>,
    /// Return periods fitted.
    pub periods: usize,
    /// Half-life of the weights, if weighted.
    pub half_life: Option<f64>,
    /// The beta shrinkage applied.
    pub beta_adjustment: BetaAdjustment,
    /// Factor returns, T×K column-major (the market / factor series; PCA: Vₖᵀ rₜ of the demeaned
    /// returns). Not serialised.
    pub factor_returns: Vec<f64>,
}

impl FittedFactorModel {
    /// Number of factors K.
    pub fn n_factors(&self) -> usize {
        self.factors.len()
    }

    /// Coin i's loadings (K values).
    pub fn loadings_of(&self, i: usize) -> &[f64] {
        let k = self.n_factors();
        &self.loadings[i * k..(i + 1) * k]
    }

    /// The loadings restricted to `assets` (in that order), `None` if one is not in the model.
    pub fn loadings_for(&self, assets: &[String]) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(assets.len() * self.n_factors());
        for a in assets {
            let i = self.assets.iter().position(|x| x == a)?;
            out.extend_from_slice(self.loadings_of(i));
        }
        Some(out)
    }
}

/// `{asset: {factor: value}}` for an N×K row-major matrix.
struct Nested<'a> {
    rows: &'a [String],
    cols: &'a [String],
    values: &'a [f64],
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let k = self.cols.len();
        let mut m = s.serialize_map(Some(self.rows.len()))?;
        for (i, a) in self.rows.iter().enumerate() {
            m.serialize_entry(a, &AssetMap::new(self.cols, &self.values[i * k..(i + 1) * k]))?;
        }
        m.end()
    }
}

/// A K×K matrix with its factor names: `{"factors": [...], "matrix": [[...]]}`.
struct Labelled<'a>(&'a [String], &'a SymMatrix);

impl Serialize for Labelled<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("factors", self.0)?;
        m.serialize_entry("matrix", &self.1.to_rows())?;
        m.end()
    }
}

impl Serialize for FittedFactorModel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = &self.assets;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", &self.model)?;
        m.serialize_entry("factors", &self.factors)?;
        m.serialize_entry("periods", &self.periods)?;
        m.serialize_entry("half_life", &self.half_life)?;
        m.serialize_entry("beta_adjustment", &self.beta_adjustment)?;
        m.serialize_entry(
            "loadings",
            &Nested {
                rows: a,
                cols: &self.factors,
                values: &self.loadings,
            },
        )?;
        m.serialize_entry("alpha", &self.alpha.as_deref().map(|v| AssetMap::new(a, v)))?;
        m.serialize_entry("r_squared", &AssetMap::new(a, &self.r_squared))?;
        m.serialize_entry("residual_variance", &AssetMap::new(a, &self.residual_variance))?;
        m.serialize_entry("ddof", &self.ddof)?;
        m.serialize_entry(
            "factor_covariance",
            &Labelled(&self.factors, &self.factor_covariance),
        )?;
        m.serialize_entry("covariance", &self.covariance)?;
        if let Some(e) = &self.eigenvalues {
            m.serialize_entry("eigenvalues", e)?;
        }
        if let Some(e) = &self.explained_variance_ratio {
            m.serialize_entry("explained_variance_ratio", e)?;
        }
        m.end()
    }
}
