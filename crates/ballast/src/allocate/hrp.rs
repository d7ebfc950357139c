//! Hierarchical risk parity (López de Prado 2016, "Building diversified portfolios that
//! outperform out of sample").
//!
//! 1. correlation distance d_ij = √((1 − ρ_ij)/2) (clipped to [0, 1]);
//! 2. agglomerative clustering of d with the chosen linkage (the `kodama` crate, a port of
//!    fastcluster, with SciPy's cluster labels);
//! 3. quasi-diagonalisation: the leaves of the dendrogram in pre-order, children visited
//!    lower label first (SciPy's `to_tree(...).pre_order()`);
//! 4. recursive bisection of that ordered list into halves; each half gets a share of its
//!    parent's weight inversely proportional to its inverse-variance portfolio's variance.
//!
//! This reproduces PyPortfolioOpt's `HRPOpt` and Riskfolio-Lib's `HCPortfolio(leaf_order=False)`.

use super::{check_cov, AllocateError, Allocation};
use crate::estimate::Covariance;
use kodama::{linkage, Method};

/// Linkage for the clustering step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Linkage {
    #[default]
    Single,
    Complete,
    Average,
    Ward,
}

impl Linkage {
    fn method(self) -> Method {
        match self {
            Linkage::Single => Method::Single,
            Linkage::Complete => Method::Complete,
            Linkage::Average => Method::Average,
            Linkage::Ward => Method::Ward,
        }
    }
}

/// The HRP leaf order (asset indices) for a covariance.
pub fn hrp_order(cov: &Covariance, link: Linkage) -> Result<Vec<usize>, AllocateError> {
    let n = cov.dim();
    if n == 1 {
        return Ok(vec![0]);
    }
    let corr = cov.correlation()?;
    let mut condensed = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            condensed.push(((1.0 - corr.get(i, j)) / 2.0).clamp(0.0, 1.0).sqrt());
        }
    }
    let dend = linkage(&mut condensed, n, link.method());
    // children of node n + s, lower label first (SciPy's convention)
    let children: Vec<(usize, usize)> = dend
        .steps()
        .iter()
        .map(|s| (s.cluster1.min(s.cluster2), s.cluster1.max(s.cluster2)))
        .collect();
    let mut order = Vec::with_capacity(n);
    let mut stack = vec![2 * n - 2];
    while let Some(node) = stack.pop() {
        if node < n {
            order.push(node);
        } else {
            let (l, r) = children[node - n];
            stack.push(r);
            stack.push(l);
        }
    }
    Ok(order)
}

/// Variance of the inverse-variance portfolio of `members`.
fn cluster_variance(cov: &Covariance, members: &[usize]) -> f64 {
    let m = &cov.matrix;
    let inv: Vec<f64> = members.iter().map(|&i| 1.0 / m.get(i, i)).collect();
    let total: f64 = inv.iter().sum();
    let w: Vec<f64> = inv.iter().map(|v| v / total).collect();
    let mut var = 0.0;
    for (a, &i) in members.iter().enumerate() {
        for (b, &j) in members.iter().enumerate() {
            var += w[a] * w[b] * m.get(i, j);
        }
    }
    var
}

/// HRP weights (long-only, fully invested) for the annualised covariance `cov`.
///
/// Errors: non-finite or zero-variance covariance.
pub fn hrp(cov: &Covariance, link: Linkage) -> Result<Allocation, AllocateError> {
    check_cov(cov)?;
    let order = hrp_order(cov, link)?;
    let n = cov.dim();
    let mut w = vec![1.0; n];
    let mut clusters: Vec<&[usize]> = vec![&order];
    while !clusters.is_empty() {
        let mut next = Vec::with_capacity(2 * clusters.len());
        for c in clusters {
            if c.len() < 2 {
                continue;
            }
            let (left, right) = c.split_at(c.len() / 2);
            let (vl, vr) = (cluster_variance(cov, left), cluster_variance(cov, right));
            let alpha = 1.0 - vl / (vl + vr);
            left.iter().for_each(|&i| w[i] *= alpha);
            right.iter().for_each(|&i| w[i] *= 1.0 - alpha);
            next.push(left);
            next.push(right);
        }
        clusters = next;
    }
    Allocation::new("hrp", cov, w, None)
}
