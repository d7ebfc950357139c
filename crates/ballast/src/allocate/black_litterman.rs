//! Black–Litterman (Black & Litterman 1992; He & Litterman 1999), as PyPortfolioOpt:
//!
//! * prior (equilibrium) returns π = δ Σ w_mkt + r_f, or supplied;
//! * views P (k×N) and Q (k), absolute (a row with one 1) or relative (+1 / −1);
//! * view uncertainty Ω: default diag(τ P Σ Pᵀ); Idzorek (2005) from confidences c ∈ [0, 1]:
//!   Ω_ii = τ (1 − c)/c · p_i Σ p_iᵀ; or given;
//! * posterior returns μ_BL = π + τΣPᵀ (PτΣPᵀ + Ω)⁻¹ (Q − Pπ);
//! * posterior covariance Σ_BL = Σ + τΣ − τΣPᵀ (PτΣPᵀ + Ω)⁻¹ PτΣ (= Σ + ((τΣ)⁻¹ + PᵀΩ⁻¹P)⁻¹);
//! * unconstrained weights w ∝ (δΣ)⁻¹ μ_BL, normalised to sum to 1.

use super::AllocateError;
use crate::estimate::Covariance;
use crate::linalg::dot;
use crate::message::Num;
use crate::SymMatrix;

/// How the view uncertainty Ω is set.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewUncertainty {
    /// diag(τ P Σ Pᵀ) (He & Litterman).
    Default,
    /// Idzorek's method from per-view confidences in [0, 1].
    Idzorek(Vec<f64>),
    /// Diagonal of Ω given directly (variances of the views, annual).
    Explicit(Vec<f64>),
}

/// Black–Litterman inputs.
#[derive(Debug, Clone)]
pub struct BlackLitterman {
    /// Risk aversion δ (> 0), e.g. 2.5.
    pub delta: f64,
    /// Scale of the prior uncertainty τ (> 0), e.g. 0.05.
    pub tau: f64,
    /// Annual risk-free rate (added to the prior).
    pub risk_free: f64,
    /// Market weights for the prior (default equal weights), or `prior_returns`.
    pub market_weights: Option<Vec<f64>>,
    /// Supplied prior returns π (overrides the market-implied prior).
    pub prior_returns: Option<Vec<f64>>,
    /// Views: rows of P (length N) and Q.
    pub p: Vec<Vec<f64>>,
    /// View returns Q (annual), one per row of P.
    pub q: Vec<f64>,
    /// How the view uncertainty Ω is set.
    pub omega: ViewUncertainty,
}

/// Posterior.
#[derive(Debug, Clone)]
pub struct BlPosterior {
    /// Prior π (annual).
    pub prior: Vec<f64>,
    /// Posterior expected returns (annual).
    pub returns: Vec<f64>,
    /// Posterior covariance (annual).
    pub cov: Covariance,
    /// Diagonal of Ω used.
    pub omega: Vec<f64>,
    /// Unconstrained weights w ∝ (δΣ)⁻¹ μ_BL, summing to 1 (may be negative).
    pub weights: Vec<f64>,
}

impl BlackLitterman {
    /// Compute the posterior for the (annualised) prior covariance `cov`.
    ///
    /// # Errors
    /// Bad δ, τ or confidences; views with the wrong length; a singular view system or
    /// covariance.
    pub fn posterior(&self, cov: &Covariance) -> Result<BlPosterior, AllocateError> {
        let n = cov.dim();
        let bad = |m: String| Err(AllocateError::BadParameter(m));
        if !(self.delta > 0.0 && self.tau > 0.0 && self.delta.is_finite() && self.tau.is_finite()) {
            return bad(format!(
                "Black-Litterman needs finite δ > 0 and τ > 0 (got δ = {}, τ = {})",
                Num(self.delta),
                Num(self.tau)
            ));
        }
        let k = self.q.len();
        if self.p.len() != k || self.p.iter().any(|r| r.len() != n) {
            return bad(format!("views: P must be {k}×{n} to match Q and the assets"));
        }
        let s = &cov.matrix;
        let prior = self.prior(s)?;
        // τ Σ Pᵀ (k columns of length N) and P τΣ Pᵀ (k×k)
        let ts_pt: Vec<Vec<f64>> = self
            .p
            .iter()
            .map(|row| s.mul_vec(row).iter().map(|v| self.tau * v).collect())
            .collect();
        let p_ts_pt: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..k).map(|j| dot(&self.p[i], &ts_pt[j])).collect())
            .collect();
        let omega = self.view_variances(&p_ts_pt)?;
        // A = P τΣ Pᵀ + Ω: positive definite when every view variance is positive
        let mut a = SymMatrix::zeros(k);
        for i in 0..k {
            for j in i..k {
                let diag = if i == j { omega[i] } else { 0.0 };
                a.set_sym(i, j, 0.5 * (p_ts_pt[i][j] + p_ts_pt[j][i]) + diag);
            }
        }
        let resid: Vec<f64> = (0..k).map(|i| self.q[i] - dot(&self.p[i], &prior)).collect();
        let singular =
            || AllocateError::BadParameter("the views are linearly dependent or Ω is singular".into());
        let sol = a.solve(&resid).ok_or_else(singular)?;
        let returns: Vec<f64> = (0..n)
            .map(|i| prior[i] + (0..k).map(|j| ts_pt[j][i] * sol[j]).sum::<f64>())
            .collect();
        // M = τΣ − τΣPᵀ A⁻¹ PτΣ, symmetrised; Σ_BL = Σ + M
        let pts_cols: Vec<Vec<f64>> = (0..n).map(|c| (0..k).map(|j| ts_pt[j][c]).collect()).collect();
        let x_cols = a.solve_columns(&pts_cols).ok_or_else(singular)?; // A⁻¹ (PτΣ)[:, c]
        let mut post = SymMatrix::zeros(n);
        for i in 0..n {
            for j in i..n {
                let m_ij = self.tau * s.get(i, j) - (0..k).map(|l| ts_pt[l][i] * x_cols[j][l]).sum::<f64>();
                let m_ji = self.tau * s.get(j, i) - (0..k).map(|l| ts_pt[l][j] * x_cols[i][l]).sum::<f64>();
                post.set_sym(i, j, s.get(i, j) + 0.5 * (m_ij + m_ji));
            }
        }
        let raw = s
            .scaled(self.delta)
            .solve(&returns)
            .ok_or(AllocateError::Covariance(
                crate::estimate::EstimateError::NotPositiveDefinite {
                    min_eigenvalue: f64::NAN,
                },
            ))?;
        let tot: f64 = raw.iter().sum();
        Ok(BlPosterior {
            prior,
            weights: raw.iter().map(|v| v / tot).collect(),
            cov: Covariance {
                assets: cov.assets.clone(),
                matrix: post,
                periods_per_year: cov.periods_per_year,
                shrinkage: None,
                estimator: "black-litterman",
                repaired: None,
            },
            returns,
            omega,
        })
    }
}

/// Views from `(lhs, q)` pairs: `BTC` = 0.2 is an absolute view (BTC returns 20 % a year),
/// `ETH-SOL` = 0.1 a relative one (ETH outperforms SOL by 10 %). Returns the rows of P (over
/// `assets`) and Q.
///
/// # Errors
/// Unknown assets (named, with the view), an asset compared with itself.
pub fn views_from_pairs(
    pairs: &[(String, f64)],
    assets: &[String],
) -> Result<(Vec<Vec<f64>>, Vec<f64>), AllocateError> {
    let (mut p, mut q) = (Vec::new(), Vec::new());
    for (lhs, v) in pairs {
        let mut row = vec![0.0; assets.len()];
        let idx = |a: &str| {
            assets.iter().position(|x| x == a).ok_or_else(|| {
                AllocateError::BadParameter(format!(
                    "views: unknown asset '{a}' in view '{lhs} = {v}' (universe: {})",
                    assets.join(",")
                ))
            })
        };
        match lhs.split_once('-') {
            Some((a, b)) => {
                let (i, j) = (idx(a.trim())?, idx(b.trim())?);
                if i == j {
                    return Err(AllocateError::BadParameter(format!(
                        "views: '{lhs}' compares an asset with itself"
                    )));
                }
                row[i] = 1.0;
                row[j] = -1.0;
            }
            None => row[idx(lhs.trim())?] = 1.0,
        }
        p.push(row);
        q.push(*v);
    }
    Ok((p, q))
}

impl BlackLitterman {
    /// The prior returns: given, or implied by the market weights (equal if none) as
    /// Π = δ Σ w + r_f.
    fn prior(&self, s: &SymMatrix) -> Result<Vec<f64>, AllocateError> {
        let n = s.dim();
        let bad = |m: &str| Err(AllocateError::BadParameter(m.into()));
        match (&self.prior_returns, &self.market_weights) {
            (Some(pi), _) if pi.len() == n => Ok(pi.clone()),
            (Some(_), _) => bad("prior returns have the wrong length"),
            (None, w) => {
                let w = w.clone().unwrap_or_else(|| vec![1.0; n]);
                if w.len() != n {
                    return bad("market weights have the wrong length");
                }
                let tot: f64 = w.iter().sum();
                let w: Vec<f64> = w.iter().map(|v| v / tot).collect();
                Ok(s.mul_vec(&w)
                    .iter()
                    .map(|v| self.delta * v + self.risk_free)
                    .collect())
            }
        }
    }

    /// The diagonal of Ω from the view uncertainty rule, given P τΣ Pᵀ.
    fn view_variances(&self, p_ts_pt: &[Vec<f64>]) -> Result<Vec<f64>, AllocateError> {
        let k = p_ts_pt.len();
        let bad = |m: String| Err(AllocateError::BadParameter(m));
        match &self.omega {
            ViewUncertainty::Default => Ok((0..k).map(|i| p_ts_pt[i][i]).collect()),
            ViewUncertainty::Explicit(d) => {
                if d.len() != k || d.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
                    return bad(format!("Ω needs {k} positive view variances"));
                }
                Ok(d.clone())
            }
            ViewUncertainty::Idzorek(conf) => {
                if conf.len() != k || conf.iter().any(|c| !(0.0..=1.0).contains(c)) {
                    return bad(format!("Idzorek needs {k} view confidences in [0, 1]"));
                }
                Ok(conf
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        if c == 0.0 {
                            1e6
                        } else {
                            p_ts_pt[i][i] * (1.0 - c) / c
                        }
                    })
                    .collect())
            }
        }
    }
}
