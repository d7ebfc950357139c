//! The nearest correlation matrix (Higham 2002): repair a matrix of pairwise correlations that is
//! not positive semi-definite.

use super::EstimateError;
use crate::linalg::SymMatrix;
use serde::Serialize;

/// Most iterations of [`nearest_correlation`] before it gives up.
pub const MAX_NEAREST_CORRELATION_ITERATIONS: usize = 100_000;

/// What [`nearest_correlation`] found.
#[derive(Debug, Clone)]
pub struct NearestCorrelation {
    /// The nearest correlation matrix (unit diagonal, eigenvalues ≥ the floor).
    pub matrix: SymMatrix,
    /// How it was reached.
    pub report: CorrelationRepair,
}

/// How a correlation matrix was repaired. JSON: `method` ("higham-2002"), `min_eigenvalue_before`,
/// `eigenvalue_floor`, `frobenius_distance` (‖X − C‖_F), `max_change` (largest |X_ij − C_ij|),
/// `iterations`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CorrelationRepair {
    /// Always `"higham-2002"`.
    pub method: &'static str,
    /// The smallest eigenvalue of the matrix before the repair.
    pub min_eigenvalue_before: f64,
    /// The eigenvalue floor δ of the result.
    pub eigenvalue_floor: f64,
    /// ‖X − C‖_F, the Frobenius distance the repair moved the matrix.
    pub frobenius_distance: f64,
    /// The largest change of one correlation, max |X_ij − C_ij|.
    pub max_change: f64,
    /// Alternating-projection iterations.
    pub iterations: usize,
}

/// The correlation matrix nearest to `c` in the Frobenius norm whose eigenvalues are all at
/// least `floor`: X = argmin ‖X − C‖_F subject to diag(X) = 1 and X − δI ⪰ 0.
///
/// # Formula
/// Higham's alternating projections with Dykstra's correction (Higham 2002, "Computing the
/// nearest correlation matrix — a problem from finance", IMA J. Numer. Anal. 22, algorithm 3.3,
/// W = I): with Y₀ = C, ΔS₀ = 0, repeat R = Y − ΔS; X = P_S(R) (eigenvalues clipped at δ);
/// ΔS = X − R; Y = P_U(X) (unit diagonal), until ‖Y_k − Y_{k−1}‖_F ≤ `tolerance`·‖Y_k‖_F. The
/// result is X projected once more, so it is exactly unit-diagonal and its eigenvalues are ≥ δ up
/// to round-off. The feasible set is convex, so the nearest matrix is unique.
///
/// # Errors
/// [`EstimateError::NotFinite`] for a non-finite input; [`EstimateError::BadCorrelation`] for a
/// diagonal entry that is not 1 (off-diagonal entries may be any finite numbers, even outside
/// [−1, 1]: the result's are correlations);
/// [`EstimateError::BadParameter`] for δ outside [0, 1) or a tolerance outside (0, 1e-3];
/// [`EstimateError::NoConvergence`] if [`MAX_NEAREST_CORRELATION_ITERATIONS`] run out.
pub fn nearest_correlation(
    c: &SymMatrix,
    floor: f64,
    tolerance: f64,
) -> Result<NearestCorrelation, EstimateError> {
    let n = c.dim();
    if !c.is_finite() {
        return Err(EstimateError::NotFinite);
    }
    // Off-diagonal entries may lie outside [−1, 1] (a covariance over pairwise overlaps scaled
    // by each coin's own volatility can): the projection makes them correlations.
    for i in 0..n {
        let v = c.get(i, i);
        if (v - 1.0).abs() > 1e-12 {
            return Err(EstimateError::BadCorrelation {
                row: i,
                col: i,
                value: v,
            });
        }
    }
    if !(0.0..1.0).contains(&floor) {
        return Err(EstimateError::BadParameter {
            estimator: "nearest correlation",
            name: "eigenvalue floor",
            value: floor,
            expected: "0 ≤ δ < 1, e.g. 1e-8",
        });
    }
    if !(tolerance > 0.0 && tolerance <= 1e-3) {
        return Err(EstimateError::BadParameter {
            estimator: "nearest correlation",
            name: "tolerance",
            value: tolerance,
            expected: "0 < tolerance ≤ 1e-3, e.g. 1e-14",
        });
    }
    let min_before = c
        .eigenvalues()
        .and_then(|e| e.first().copied())
        .ok_or(EstimateError::NotFinite)?;
    let unit_diagonal = |m: &mut SymMatrix| {
        for i in 0..n {
            m.set_sym(i, i, 1.0);
        }
    };
    let mut y = c.clone();
    let mut ds = SymMatrix::zeros(n);
    let mut iterations = 0;
    let mut x = c.clone();
    if min_before < floor {
        loop {
            iterations += 1;
            let r = sub(&y, &ds);
            x = r.eigenvalue_floor(floor).ok_or(EstimateError::NotFinite)?;
            ds = sub(&x, &r);
            let mut next = x.clone();
            unit_diagonal(&mut next);
            let change = frobenius(&sub(&next, &y));
            let size = frobenius(&next);
            y = next;
            if change <= tolerance * size {
                break;
            }
            if iterations >= MAX_NEAREST_CORRELATION_ITERATIONS {
                return Err(EstimateError::NoConvergence {
                    what: "the nearest correlation matrix (Higham 2002)",
                    iterations,
                    residual: change / size,
                });
            }
        }
        // The last PSD projection is within round-off of unit diagonal; make it exact.
        unit_diagonal(&mut x);
    }
    let diff = sub(&x, c);
    let max_change = diff.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    Ok(NearestCorrelation {
        report: CorrelationRepair {
            method: "higham-2002",
            min_eigenvalue_before: min_before,
            eigenvalue_floor: floor,
            frobenius_distance: frobenius(&diff),
            max_change,
            iterations,
        },
        matrix: x,
    })
}

fn sub(a: &SymMatrix, b: &SymMatrix) -> SymMatrix {
    let n = a.dim();
    let data = a
        .as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| x - y)
        .collect();
    SymMatrix::from_row_major(n, data).unwrap_or_else(|| SymMatrix::zeros(n))
}

fn frobenius(a: &SymMatrix) -> f64 {
    a.as_slice().iter().map(|v| v * v).sum::<f64>().sqrt()
}
