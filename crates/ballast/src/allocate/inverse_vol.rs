//! Inverse-volatility weights.

use super::{check_diagonal, AllocateError, Allocation, Method, WeightBounds};
use crate::estimate::Covariance;

/// Inverse-volatility ("naive risk parity") weights `w_i = σ_i⁻¹ / Σ_j σ_j⁻¹`, σ_i = √Σ_ii.
/// They equalise risk contributions exactly when all correlations are equal.
///
/// With `bounds`, weights outside [l_i, u_i] are fixed at the bound and the remainder is
/// shared in proportion to σ⁻¹ ([`WeightBounds::fill_proportional`]).
///
/// # Errors
/// Covariance errors (non-finite, zero variance, not positive definite), infeasible bounds.
pub fn inverse_volatility(
    cov: &Covariance,
    bounds: Option<&WeightBounds>,
) -> Result<Allocation, AllocateError> {
    check_diagonal(cov)?;
    let inv: Vec<f64> = cov.volatilities().iter().map(|s| 1.0 / s).collect();
    let w = match bounds {
        Some(bd) if bd.is_active() => {
            bd.check(&cov.assets)?;
            bd.fill_proportional(&inv)
        }
        _ => {
            let total: f64 = inv.iter().sum();
            inv.iter().map(|v| v / total).collect()
        }
    };
    Allocation::new(Method::InverseVol, cov, w, None)
}
