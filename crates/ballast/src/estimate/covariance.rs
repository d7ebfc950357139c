//! Covariance estimators: sample, EWMA (RiskMetrics), Ledoit–Wolf (scaled identity and constant
//! correlation targets) and OAS.

use super::{CovarianceMethod, EstimateError};
use crate::data::Returns;
use crate::linalg::{cross_product, gram, SymMatrix};

/// A fitted covariance matrix.
#[derive(Debug, Clone)]
pub struct Covariance {
    /// Asset names, in matrix order.
    pub assets: Vec<String>,
    /// N×N, **annualised** (daily × `periods_per_year`), in units of (return)² per year.
    pub matrix: SymMatrix,
    /// Periods per year used to annualise (365 for daily crypto returns).
    pub periods_per_year: f64,
    /// Shrinkage intensity δ ∈ [0, 1] for shrinkage estimators, `None` otherwise.
    pub shrinkage: Option<f64>,
    /// Name of the estimator that produced it (`sample`, `ewma`, `ledoit-wolf`, ...; `given`
    /// for a matrix supplied by the user, `black-litterman` for a posterior).
    pub estimator: &'static str,
    /// `Some(λ_min)` when the estimate was not positive definite and was replaced by its
    /// nearest positive-definite repair; λ_min is the smallest eigenvalue before the repair.
    pub repaired: Option<f64>,
}

/// Which estimate a result rests on. JSON: `estimator`, `shrinkage` (δ or null),
/// `repaired_min_eigenvalue` (the smallest eigenvalue before a nearest-positive-definite repair,
/// or null when none was needed).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CovarianceInfo {
    /// The estimator's name (`sample`, `ledoit-wolf`, ...).
    pub estimator: &'static str,
    /// Its shrinkage intensity δ ∈ [0, 1], for shrinkage estimators.
    pub shrinkage: Option<f64>,
    /// Smallest eigenvalue before the repair, if one was made.
    pub repaired_min_eigenvalue: Option<f64>,
}

impl Covariance {
    /// The estimator, shrinkage and repair behind this matrix.
    pub fn info(&self) -> CovarianceInfo {
        CovarianceInfo {
            estimator: self.estimator,
            shrinkage: self.shrinkage,
            repaired_min_eigenvalue: self.repaired,
        }
    }

    /// Build from an annualised matrix (e.g. one supplied by the user). Checks shape and finiteness.
    pub fn from_matrix(
        assets: Vec<String>,
        matrix: SymMatrix,
        periods_per_year: f64,
    ) -> Result<Self, EstimateError> {
        if matrix.dim() != assets.len() || !matrix.is_finite() {
            return Err(EstimateError::NotFinite);
        }
        Ok(Self {
            assets,
            matrix,
            periods_per_year,
            shrinkage: None,
            estimator: "given",
            repaired: None,
        })
    }

    /// Number of assets.
    pub fn dim(&self) -> usize {
        self.assets.len()
    }

    /// The per-period (daily) covariance: `matrix / periods_per_year`.
    pub fn per_period(&self) -> SymMatrix {
        self.matrix.scaled(1.0 / self.periods_per_year)
    }

    /// Annualised volatilities √Σ_ii.
    pub fn volatilities(&self) -> Vec<f64> {
        self.matrix.diagonal().iter().map(|v| v.sqrt()).collect()
    }

    /// Correlation matrix.
    pub fn correlation(&self) -> Result<SymMatrix, EstimateError> {
        self.matrix
            .to_correlation()
            .ok_or_else(|| self.zero_variance_error())
    }

    fn zero_variance_error(&self) -> EstimateError {
        let j = self
            .matrix
            .diagonal()
            .iter()
            .position(|v| !(*v > 0.0))
            .unwrap_or(0);
        EstimateError::ZeroVariance {
            asset: self.assets.get(j).cloned().unwrap_or_default(),
        }
    }

    /// Check the matrix is usable by optimisers: finite, positive variances, positive definite.
    ///
    /// # Errors
    /// [`EstimateError::NotFinite`], [`EstimateError::ZeroVariance`] (naming the asset),
    /// [`EstimateError::NotPositiveDefinite`] (with the smallest eigenvalue).
    pub fn validate(&self) -> Result<(), EstimateError> {
        if !self.matrix.is_finite() {
            return Err(EstimateError::NotFinite);
        }
        if self.matrix.diagonal().iter().any(|v| !(*v > 0.0)) {
            return Err(self.zero_variance_error());
        }
        if !self.matrix.is_positive_definite() {
            let min_eigenvalue = self
                .matrix
                .eigenvalues()
                .and_then(|e| e.first().copied())
                .unwrap_or(f64::NAN);
            return Err(EstimateError::NotPositiveDefinite { min_eigenvalue });
        }
        Ok(())
    }

    /// Nearest positive-definite repair: eigenvalues below ε = 1e-8 · (mean variance) are raised
    /// to ε (Higham 1988 eigenvalue clipping: the nearest PSD matrix in Frobenius norm, nudged
    /// to be definite). Variances change by at most n·ε; the result passes [`Self::validate`].
    /// Returns the repaired covariance and the smallest eigenvalue before repair.
    ///
    /// # Errors
    /// [`EstimateError::NotFinite`].
    pub fn nearest_positive_definite(&self) -> Result<(Self, f64), EstimateError> {
        let n = self.dim().max(1) as f64;
        let eps = 1e-8 * self.matrix.diagonal().iter().sum::<f64>().abs() / n;
        let min_eigenvalue = self
            .matrix
            .eigenvalues()
            .and_then(|e| e.first().copied())
            .ok_or(EstimateError::NotFinite)?;
        let matrix = self
            .matrix
            .eigenvalue_floor(eps)
            .ok_or(EstimateError::NotFinite)?;
        Ok((
            Self {
                matrix,
                ..self.clone()
            },
            min_eigenvalue,
        ))
    }

    /// Restrict to the named assets (in that order). `None` if one is unknown.
    pub fn select(&self, assets: &[String]) -> Option<Self> {
        let idx: Option<Vec<usize>> = assets
            .iter()
            .map(|a| self.assets.iter().position(|b| b == a))
            .collect();
        Some(Self {
            assets: assets.to_vec(),
            matrix: self.matrix.select(&idx?),
            ..self.clone()
        })
    }
}

/// JSON: `assets`, `matrix` (rows, annualised), `periods_per_year`, `estimator`, `shrinkage`,
/// `repaired_min_eigenvalue`.
impl serde::Serialize for Covariance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("assets", &self.assets)?;
        m.serialize_entry("matrix", &self.matrix.to_rows())?;
        m.serialize_entry("periods_per_year", &self.periods_per_year)?;
        m.serialize_entry("estimator", self.estimator)?;
        m.serialize_entry("shrinkage", &self.shrinkage)?;
        m.serialize_entry("repaired_min_eigenvalue", &self.repaired)?;
        m.end()
    }
}

fn need(estimator: &'static str, returns: &Returns, needed: usize) -> Result<(), EstimateError> {
    if returns.n_periods() < needed {
        return Err(EstimateError::TooFewObservations {
            estimator,
            needed,
            got: returns.n_periods(),
        });
    }
    Ok(())
}

fn finish(
    returns: &Returns,
    daily: SymMatrix,
    shrinkage: Option<f64>,
    method: CovarianceMethod,
) -> Result<Covariance, EstimateError> {
    if !daily.is_finite() {
        return Err(EstimateError::NotFinite);
    }
    Ok(Covariance {
        assets: returns.assets().to_vec(),
        matrix: daily.scaled(returns.periods_per_year()),
        periods_per_year: returns.periods_per_year(),
        shrinkage,
        estimator: method.name(),
        repaired: None,
    })
}

/// Column-major returns with each column's mean removed, and the means.
fn demeaned(returns: &Returns) -> (Vec<f64>, Vec<f64>) {
    let t = returns.n_periods();
    let mut x = returns.as_column_major().to_vec();
    let mut means = Vec::with_capacity(returns.n_assets());
    for col in x.chunks_mut(t) {
        let m = col.iter().sum::<f64>() / t as f64;
        col.iter_mut().for_each(|v| *v -= m);
        means.push(m);
    }
    (x, means)
}

/// Sample covariance `Σ = X_c'X_c / (T − ddof)` of demeaned returns X_c (ddof = 1 by default,
/// pandas `DataFrame.cov`); annualised.
///
/// # Errors
/// Fewer than `ddof + 1` periods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleCovariance {
    /// Delta degrees of freedom: 1 (unbiased, default) or 0 (maximum likelihood).
    pub ddof: usize,
}

impl Default for SampleCovariance {
    fn default() -> Self {
        Self { ddof: 1 }
    }
}

impl SampleCovariance {
    /// Fit to `returns`: the annualised sample covariance.
    ///
    /// # Errors
    /// [`EstimateError::TooFewObservations`] with fewer than ddof + 1 periods.
    pub fn fit(&self, returns: &Returns) -> Result<Covariance, EstimateError> {
        need("sample covariance", returns, self.ddof + 1)?;
        let t = returns.n_periods();
        let (x, _) = demeaned(returns);
        let s = gram(t, &x).scaled(1.0 / (t - self.ddof) as f64);
        finish(returns, s, None, CovarianceMethod::Sample)
    }
}

/// Exponentially weighted covariance, RiskMetrics (J.P. Morgan, 1996), **zero mean**:
/// `S_0 = 0`, `S_t = λ S_{t−1} + (1 − λ) r_t r_t'`, reported as `S_T / (1 − λ^T)` so the weights
/// `(1−λ) λ^{T−t} / (1 − λ^T)` sum to one — identical to skfolio's `EWCovariance`
/// (half-life `ln ½ / ln λ`, `assume_centered=True`). Annualised.
///
/// # Errors
/// Λ outside (0, 1); fewer than 2 periods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ewma {
    /// Decay λ ∈ (0, 1); RiskMetrics daily default 0.94.
    pub lambda: f64,
}

impl Default for Ewma {
    fn default() -> Self {
        Self { lambda: 0.94 }
    }
}

impl Ewma {
    /// Fit to `returns`: the annualised EWMA covariance.
    ///
    /// # Errors
    /// [`EstimateError::BadParameter`] for λ outside (0, 1); fewer than 2 periods.
    pub fn fit(&self, returns: &Returns) -> Result<Covariance, EstimateError> {
        let lambda = self.lambda;
        if !(lambda > 0.0 && lambda < 1.0) {
            return Err(EstimateError::BadParameter {
                estimator: "ewma",
                name: "lambda",
                value: lambda,
                expected: "0 < lambda < 1",
            });
        }
        need("ewma", returns, 2)?;
        let t = returns.n_periods();
        let norm = 1.0 - lambda.powi(t as i32);
        // weights w_t = (1-λ) λ^(T-t) / (1-λ^T), t = 1..T
        let mut w = vec![0.0; t];
        let mut p = 1.0;
        for k in (0..t).rev() {
            w[k] = (1.0 - lambda) * p / norm;
            p *= lambda;
        }
        let x = returns.as_column_major();
        let xw: Vec<f64> = x
            .chunks(t)
            .flat_map(|c| c.iter().zip(&w).map(|(a, b)| a * b))
            .collect();
        let n = returns.n_assets();
        let mut s = cross_product(t, x, &xw);
        symmetrize(&mut s, n);
        let s = SymMatrix::from_row_major(n, s).ok_or(EstimateError::NotFinite)?;
        finish(returns, s, None, CovarianceMethod::Ewma)
    }
}

fn symmetrize(s: &mut [f64], n: usize) {
    for i in 0..n {
        for j in (i + 1)..n {
            let v = 0.5 * (s[i * n + j] + s[j * n + i]);
            s[i * n + j] = v;
            s[j * n + i] = v;
        }
    }
}

/// Shrinkage target for [`LedoitWolf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShrinkageTarget {
    /// μI with μ = tr(S)/N (Ledoit & Wolf 2004, "A well-conditioned estimator for
    /// large-dimensional covariance matrices"), as scikit-learn's `LedoitWolf`.
    #[default]
    ScaledIdentity,
    /// Constant correlation r̄ (Ledoit & Wolf 2004, "Honey, I shrunk the sample covariance
    /// matrix"), as PyPortfolioOpt's `ledoit_wolf("constant_correlation")`.
    ConstantCorrelation,
}

/// Ledoit–Wolf shrinkage `Σ = (1 − δ) S + δ F` with the optimal intensity δ.
///
/// * [`ShrinkageTarget::ScaledIdentity`]: S is the maximum-likelihood covariance (ddof = 0) of
///   demeaned returns, F = tr(S)/N · I, δ as scikit-learn's `ledoit_wolf_shrinkage`.
/// * [`ShrinkageTarget::ConstantCorrelation`]: S is the ddof = 1 sample covariance, F keeps the
///   variances and sets every correlation to the average r̄; π̂, ρ̂, γ̂ use 1/T moments, exactly
///   as PyPortfolioOpt 1.6 (which mixes the two normalisations).
///
/// Annualised.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LedoitWolf {
    /// The shrinkage target.
    pub target: ShrinkageTarget,
}

impl LedoitWolf {
    /// Fit to `returns`: the annualised Ledoit–Wolf covariance.
    ///
    /// # Errors
    /// Fewer than 2 periods; a zero variance (constant-correlation target).
    pub fn fit(&self, returns: &Returns) -> Result<Covariance, EstimateError> {
        need("ledoit-wolf", returns, 2)?;
        match self.target {
            ShrinkageTarget::ScaledIdentity => lw_identity(returns),
            ShrinkageTarget::ConstantCorrelation => lw_constant_correlation(returns),
        }
    }
}

fn shrink_to_identity(s: &SymMatrix, delta: f64) -> SymMatrix {
    let n = s.dim();
    let mu = s.diagonal().iter().sum::<f64>() / n as f64;
    let mut out = s.scaled(1.0 - delta);
    for i in 0..n {
        let v = out.get(i, i) + delta * mu;
        out.set_sym(i, i, v);
    }
    out
}

fn lw_identity(returns: &Returns) -> Result<Covariance, EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    let tf = t as f64;
    let (x, _) = demeaned(returns);
    let xtx = gram(t, &x);
    let s = xtx.scaled(1.0 / tf); // MLE covariance
    let delta = if n == 1 {
        0.0
    } else {
        let emp_trace: Vec<f64> = x
            .chunks(t)
            .map(|c| c.iter().map(|v| v * v).sum::<f64>() / tf)
            .collect();
        let mu = emp_trace.iter().sum::<f64>() / n as f64;
        let delta_raw = xtx.as_slice().iter().map(|v| v * v).sum::<f64>() / (tf * tf);
        // Σ_ij (X²'X²)_ij = Σ_t (Σ_i x_ti²)²: O(TN) instead of a second O(TN²) product
        let mut row_sq = vec![0.0; t];
        for col in x.chunks(t) {
            for (acc, v) in row_sq.iter_mut().zip(col) {
                *acc += v * v;
            }
        }
        let beta_raw: f64 = row_sq.iter().map(|v| v * v).sum();
        let beta = (beta_raw / tf - delta_raw) / (n as f64 * tf);
        let d = (delta_raw - 2.0 * mu * emp_trace.iter().sum::<f64>() + n as f64 * mu * mu) / n as f64;
        let beta = beta.min(d);
        if beta == 0.0 {
            0.0
        } else {
            beta / d
        }
    };
    finish(
        returns,
        shrink_to_identity(&s, delta),
        Some(delta),
        CovarianceMethod::LedoitWolf,
    )
}

fn lw_constant_correlation(returns: &Returns) -> Result<Covariance, EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    let tf = t as f64;
    let (xm, _) = demeaned(returns);
    let xtx = gram(t, &xm);
    let help = xtx.scaled(1.0 / tf); // 1/T moments
    let s = xtx.scaled(1.0 / (tf - 1.0)); // ddof = 1 sample covariance
    if n == 1 {
        return finish(returns, s, Some(0.0), CovarianceMethod::LedoitWolfCc);
    }
    let var = s.diagonal();
    if let Some(j) = var.iter().position(|v| !(*v > 0.0)) {
        return Err(EstimateError::ZeroVariance {
            asset: returns.assets()[j].clone(),
        });
    }
    let sd: Vec<f64> = var.iter().map(|v| v.sqrt()).collect();
    let mut corr_sum = 0.0;
    for i in 0..n {
        for j in 0..n {
            corr_sum += s.get(i, j) / (sd[i] * sd[j]);
        }
    }
    let nf = n as f64;
    let r_bar = (corr_sum - nf) / (nf * (nf - 1.0));
    let mut f = SymMatrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            let v = if i == j { var[i] } else { r_bar * sd[i] * sd[j] };
            f.set_sym(i, j, v);
        }
    }
    // π̂: Σ_ij [ (y'y)_ij / T − 2 (Xm'Xm)_ij S_ij / T + S_ij² ], y = Xm²
    let y: Vec<f64> = xm.iter().map(|v| v * v).collect();
    let yty = gram(t, &y);
    let mut pi_hat = 0.0;
    let mut pi_diag = 0.0;
    for i in 0..n {
        for j in 0..n {
            let sij = s.get(i, j);
            let p = yty.get(i, j) / tf - 2.0 * xtx.get(i, j) * sij / tf + sij * sij;
            pi_hat += p;
            if i == j {
                pi_diag += p;
            }
        }
    }
    // θ_ij = (Xm³'Xm)_ij/T − help_ii S_ij − help_ij var_i + var_i S_ij  (i ≠ j)
    let x3: Vec<f64> = xm.iter().map(|v| v * v * v).collect();
    let term1 = cross_product(t, &x3, &xm);
    let mut rho_off = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let sij = s.get(i, j);
                let theta =
                    term1[i * n + j] / tf - help.get(i, i) * sij - help.get(i, j) * var[i] + var[i] * sij;
                rho_off += sd[j] / sd[i] * theta;
            }
        }
    }
    let rho_hat = pi_diag + r_bar * rho_off;
    let gamma_hat: f64 = s
        .as_slice()
        .iter()
        .zip(f.as_slice())
        .map(|(a, b)| (a - b) * (a - b))
        .sum();
    let kappa = (pi_hat - rho_hat) / gamma_hat;
    let delta = if kappa.is_finite() {
        (kappa / tf).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut out = SymMatrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            out.set_sym(i, j, delta * f.get(i, j) + (1.0 - delta) * s.get(i, j));
        }
    }
    finish(returns, out, Some(delta), CovarianceMethod::LedoitWolfCc)
}

/// Oracle Approximating Shrinkage (Chen, Wiesel, Eldar & Hero 2010) towards μI, as
/// scikit-learn's `OAS`: S = ddof-0 covariance of demeaned returns,
/// `δ = min(1, (ā + μ²) / ((T + 1)(ā − μ²/N)))` with ā the mean of S² entries, μ = tr(S)/N.
/// Annualised.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Oas;

impl Oas {
    /// Fit to `returns`: the annualised OAS covariance.
    ///
    /// # Errors
    /// Fewer than 2 periods.
    pub fn fit(&self, returns: &Returns) -> Result<Covariance, EstimateError> {
        need("oas", returns, 2)?;
        let (t, n) = (returns.n_periods(), returns.n_assets());
        let (x, _) = demeaned(returns);
        let s = gram(t, &x).scaled(1.0 / t as f64);
        if n == 1 {
            return finish(returns, s, Some(0.0), CovarianceMethod::Oas);
        }
        let nf = n as f64;
        let alpha = s.as_slice().iter().map(|v| v * v).sum::<f64>() / (nf * nf);
        let mu = s.diagonal().iter().sum::<f64>() / nf;
        let mu2 = mu * mu;
        let num = alpha + mu2;
        let den = (t as f64 + 1.0) * (alpha - mu2 / nf);
        let delta = if den == 0.0 { 1.0 } else { (num / den).min(1.0) };
        finish(
            returns,
            shrink_to_identity(&s, delta),
            Some(delta),
            CovarianceMethod::Oas,
        )
    }
}
