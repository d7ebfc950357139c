//! Factor risk: how much of a portfolio's risk each factor of a [`FittedFactorModel`] carries.
//!
//! Two decompositions, both exact:
//! - **variance decomposition under the factor model** (Meucci 2007, "Risk contributions from
//!   generic user-defined factors"): with exposures e = Bᵀw, w'Σ_model w = Σ_k e_k (F e)_k
//!   (systematic, per factor) + Σ_i w_i² σ²_ε,i (idiosyncratic);
//! - **factor risk contributions** (Roncalli & Weisang 2016, "Risk parity portfolios with risk
//!   factors", Quantitative Finance 16(3)), under any asset covariance Σ (the window's estimate):
//!   with g = Σw/σ, RC_k = e_k ((BᵀB)⁻¹Bᵀ g)_k and the residual RC = wᵀ(I − P_B) g, P_B the
//!   projection on the loadings' span; they sum to σ. This is Riskfolio-Lib's
//!   `Factors_Risk_Contribution` (which takes g by finite differences).

use super::RiskError;
use crate::data::AssetMap;
use crate::estimate::FittedFactorModel;
use crate::linalg::SymMatrix;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A portfolio's factor exposures and factor risk (annual units).
#[derive(Debug, Clone, PartialEq)]
pub struct FactorRisk {
    /// The model (`market:BTC`, `pca:3`, ...).
    pub model: String,
    /// Factor names.
    pub factors: Vec<String>,
    /// Exposures e = Bᵀw: the portfolio's beta to each factor.
    pub exposures: Vec<f64>,
    /// Dollar exposures e × equity (USD of factor exposure), when the equity is known.
    pub dollar_exposures: Option<Vec<f64>>,
    /// Systematic variance per factor e_k (F e)_k, annual; they sum to the systematic variance.
    pub systematic_variance: Vec<f64>,
    /// Idiosyncratic variance Σ w_i² σ²_ε,i, annual.
    pub idiosyncratic_variance: f64,
    /// Volatility under the factor model, annual.
    pub model_volatility: f64,
    /// Systematic share of the model variance.
    pub systematic_fraction: f64,
    /// Volatility under the covariance the contributions are measured with, annual.
    pub volatility: f64,
    /// Roncalli–Weisang risk contributions per factor (annual volatility units).
    pub risk_contributions: Vec<f64>,
    /// The residual's risk contribution; with the factors' they sum to `volatility`.
    pub residual_risk_contribution: f64,
}

impl FactorRisk {
    /// Relative risk contributions (factors, then the residual), summing to 1.
    pub fn relative_contributions(&self) -> Vec<f64> {
        self.risk_contributions
            .iter()
            .chain(std::iter::once(&self.residual_risk_contribution))
            .map(|x| x / self.volatility)
            .collect()
    }
}

/// BᵀB (K×K) of loadings B, N×K row-major.
pub fn loadings_gram(b: &[f64], n: usize, k: usize) -> SymMatrix {
    let mut btb = SymMatrix::zeros(k);
    for p in 0..k {
        for q in p..k {
            btb.set_sym(p, q, (0..n).map(|i| b[i * k + p] * b[i * k + q]).sum());
        }
    }
    btb
}

/// (BᵀB)⁻¹ Bᵀ v for B N×K row-major; `None` when BᵀB is singular.
pub fn factor_projection(b: &[f64], n: usize, k: usize, v: &[f64]) -> Option<Vec<f64>> {
    let btb = loadings_gram(b, n, k);
    let btv: Vec<f64> = (0..k)
        .map(|p| (0..n).map(|i| b[i * k + p] * v[i]).sum())
        .collect();
    btb.solve(&btv)
}

/// Factor exposures and risk of weights `w` over `model.assets` under the asset covariance
/// `cov` (annual, same order), with the equity in USD for dollar exposures.
///
/// # Errors
/// [`RiskError::WeightLength`]: weights or covariance of the wrong size;
/// [`RiskError::ZeroVariance`]: an all-cash portfolio; [`RiskError::Invalid`]: loadings that do
/// not span K directions (a factor no coin loads on).
pub fn factor_risk(
    model: &FittedFactorModel,
    cov: &SymMatrix,
    w: &[f64],
    equity: Option<f64>,
) -> Result<FactorRisk, RiskError> {
    let (n, k) = (model.assets.len(), model.n_factors());
    if w.len() != n || cov.dim() != n {
        return Err(RiskError::WeightLength {
            expected: n,
            got: if w.len() != n { w.len() } else { cov.dim() },
        });
    }
    let b = &model.loadings;
    let e: Vec<f64> = (0..k)
        .map(|p| (0..n).map(|i| b[i * k + p] * w[i]).sum())
        .collect();
    let fe = model.factor_covariance.mul_vec(&e);
    let systematic: Vec<f64> = e.iter().zip(&fe).map(|(a, b)| a * b).collect();
    let ppy = model.covariance.periods_per_year;
    let idio: f64 = w
        .iter()
        .zip(&model.residual_variance)
        .map(|(wi, d)| wi * wi * d * ppy)
        .sum();
    let sys_total: f64 = systematic.iter().sum();
    let model_var = sys_total + idio;
    let sw = cov.mul_vec(w);
    let var: f64 = sw.iter().zip(w).map(|(a, b)| a * b).sum();
    if !(var > 0.0) || !(model_var > 0.0) {
        return Err(RiskError::ZeroVariance(var.min(model_var)));
    }
    let sigma = var.sqrt();
    let g: Vec<f64> = sw.iter().map(|x| x / sigma).collect();
    let coef = factor_projection(b, n, k, &g).ok_or_else(|| {
        RiskError::Invalid(format!(
            "the loadings of {} do not span {k} independent directions (a factor no coin loads on, or two factors with the same loadings): factor risk contributions are undefined",
            model.factors.join(", ")
        ))
    })?;
    let rc: Vec<f64> = e.iter().zip(&coef).map(|(a, c)| a * c).collect();
    let projected: Vec<f64> = (0..n)
        .map(|i| (0..k).map(|p| b[i * k + p] * coef[p]).sum())
        .collect();
    let residual: f64 = (0..n).map(|i| w[i] * (g[i] - projected[i])).sum();
    Ok(FactorRisk {
        model: model.model.clone(),
        factors: model.factors.clone(),
        dollar_exposures: equity.map(|q| e.iter().map(|x| x * q).collect()),
        exposures: e,
        systematic_variance: systematic,
        idiosyncratic_variance: idio,
        model_volatility: model_var.sqrt(),
        systematic_fraction: sys_total / model_var,
        volatility: sigma,
        risk_contributions: rc,
        residual_risk_contribution: residual,
    })
}

impl Serialize for FactorRisk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.factors;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", &self.model)?;
        m.serialize_entry("factors", f)?;
        m.serialize_entry("exposures", &AssetMap::new(f, &self.exposures))?;
        m.serialize_entry(
            "dollar_exposures",
            &self.dollar_exposures.as_deref().map(|d| AssetMap::new(f, d)),
        )?;
        m.serialize_entry(
            "systematic_variance",
            &AssetMap::new(f, &self.systematic_variance),
        )?;
        m.serialize_entry("idiosyncratic_variance", &self.idiosyncratic_variance)?;
        m.serialize_entry("systematic_fraction", &self.systematic_fraction)?;
        m.serialize_entry("model_volatility", &self.model_volatility)?;
        m.serialize_entry("volatility", &self.volatility)?;
        m.serialize_entry("risk_contributions", &AssetMap::new(f, &self.risk_contributions))?;
        m.serialize_entry("residual_risk_contribution", &self.residual_risk_contribution)?;
        let rel = self.relative_contributions();
        m.serialize_entry("relative_risk_contributions", &AssetMap::new(f, &rel[..f.len()]))?;
        m.serialize_entry("relative_residual_risk_contribution", &rel[f.len()])?;
        m.end()
    }
}
