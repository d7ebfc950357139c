//! Hierarchical allocators on the asset [`Dendrogram`].
//!
//! **HRP** — hierarchical risk parity (López de Prado 2016, "Building diversified portfolios
//! that outperform out of sample"): order the assets by the dendrogram's leaves
//! (quasi-diagonalisation), then bisect the ordered list recursively into halves; each half
//! gets a share α of its parent's weight inversely proportional to the variance of its
//! inverse-variance portfolio, α_L = 1 − V_L/(V_L + V_R).
//!
//! With the SciPy leaf order this reproduces PyPortfolioOpt's `HRPOpt` and Riskfolio-Lib's
//! `HCPortfolio(leaf_order=False)`; with [`LeafOrder::Scipy`] it reproduces skfolio's
//! `HierarchicalRiskParity` and `HCPortfolio(leaf_order=True)`; [`LeafOrder::Optimal`] is the
//! true optimal leaf ordering, which SciPy's implementation does not always find.
//!
//! **Bounds** (Pfitzinger & Katzke 2019): at every bisection of a cluster holding weight W,
//! α is clipped to [max(ΣL_l, W − ΣU_r), min(ΣU_l, W − ΣL_r)] / W, so that each half can still
//! meet the bounds of its members; that interval is never empty when ΣL ≤ 1 ≤ ΣU, so every
//! asset ends inside its bounds and the weights still sum to 1. (Clipping the final weights
//! and renormalising — the usual shortcut — breaks the bounds again.)
//!
//! **HERC** — hierarchical equal risk contribution (Raffinot 2018, "The hierarchical equal
//! risk contribution portfolio"): cut the dendrogram into k clusters; walk the tree from the
//! root down to the cut, splitting each node's weight between its two children (not halves of
//! the list) by α_L = 1 − V_L/(V_L + V_R) with V the variance of each child's
//! inverse-variance portfolio; within each of the k clusters, inverse-variance weights. k is
//! given or chosen by the two-difference gap statistic ([`Dendrogram::two_difference_gap_k`]).

use super::dendrogram::{Dendrogram, Linkage};
use super::{check_cov, AllocateError, Allocation, Method, MethodDetails, WeightBounds};
use crate::estimate::Covariance;

/// Order of the leaves that HRP bisects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum LeafOrder {
    /// The dendrogram's own order (SciPy's `leaves_list` of the linkage): PyPortfolioOpt,
    /// Riskfolio-Lib `leaf_order=False`.
    #[default]
    Dendrogram,
    /// The optimal leaf order (Bar-Joseph et al. 2001): least sum of distances between
    /// neighbouring assets.
    Optimal,
    /// What SciPy's `optimal_leaf_ordering` returns (skfolio's default, Riskfolio-Lib
    /// `leaf_order=True`); not always optimal (SciPy issue #11227).
    Scipy,
}

/// HRP settings.
#[derive(Debug, Clone, Default)]
pub struct HrpConfig {
    /// Clustering linkage.
    pub linkage: Linkage,
    /// Leaf order used for the bisection.
    pub leaf_order: LeafOrder,
    /// Per-asset weight bounds (fractions; long-only). `None` = [0, 1].
    pub bounds: Option<WeightBounds>,
    /// Cluster on this correlation instead of the covariance's own (e.g. the raw pairwise
    /// correlation of coins with unequal histories, as PyPortfolioOpt's `HRPOpt`); N×N in the
    /// covariance's asset order. The bisection still uses the covariance's variances.
    pub correlation: Option<crate::SymMatrix>,
}

/// The HRP leaf order (asset indices) for a covariance (SciPy's order, no reordering).
pub fn hrp_order(cov: &Covariance, link: Linkage) -> Result<Vec<usize>, AllocateError> {
    Ok(Dendrogram::fit(cov, link)?.leaf_order())
}

/// Variance of the inverse-variance portfolio of `members`.
fn cluster_variance(cov: &Covariance, members: &[usize]) -> f64 {
    let m = &cov.matrix;
    let total: f64 = members.iter().map(|&i| 1.0 / m.get(i, i)).sum();
    let mut var = 0.0;
    for &i in members {
        let wi = 1.0 / (m.get(i, i) * total);
        for &j in members {
            var += wi * m.get(i, j) / (m.get(j, j) * total);
        }
    }
    var
}

/// Share of the left cluster: 1 − V_L/(V_L + V_R).
fn left_share(cov: &Covariance, left: &[usize], right: &[usize]) -> f64 {
    let (vl, vr) = (cluster_variance(cov, left), cluster_variance(cov, right));
    1.0 - vl / (vl + vr)
}

/// HRP weights (long-only, fully invested) for the annualised covariance `cov` (n×n).
///
/// # Errors
/// Non-finite or zero-variance covariance; bounds of the wrong length, with lower >
/// upper, negative, or that cannot sum to 1 (`AllocateError::Infeasible`).
pub fn hrp(cov: &Covariance, link: Linkage) -> Result<Allocation, AllocateError> {
    hrp_with(
        cov,
        &HrpConfig {
            linkage: link,
            ..HrpConfig::default()
        },
    )
}

/// HRP with leaf-ordering and bound options (see the module docs).
pub fn hrp_with(cov: &Covariance, cfg: &HrpConfig) -> Result<Allocation, AllocateError> {
    check_cov(cov)?;
    let n = cov.dim();
    let (lo, hi) = match &cfg.bounds {
        Some(b) => {
            b.check(&cov.assets)?;
            (b.lower.clone(), b.upper.clone())
        }
        None => (vec![0.0; n], vec![1.0; n]),
    };
    let mut dend = match &cfg.correlation {
        Some(c) if c.dim() != n => {
            return Err(AllocateError::BadParameter(format!(
                "the clustering correlation is {0}×{0} for {n} assets: give one row and column per asset, in the covariance's order",
                c.dim()
            )))
        }
        Some(c) => Dendrogram::fit_correlation(c, cfg.linkage)?,
        None => Dendrogram::fit(cov, cfg.linkage)?,
    };
    match cfg.leaf_order {
        LeafOrder::Dendrogram => {}
        LeafOrder::Optimal => dend.optimal_leaf_ordering(),
        LeafOrder::Scipy => dend.scipy_leaf_ordering(),
    }
    let order = dend.leaf_order();
    let mut w = vec![1.0; n];
    let mut clusters: Vec<(&[usize], f64)> = vec![(&order, 1.0)];
    while let Some((c, total)) = clusters.pop() {
        if c.len() < 2 {
            continue;
        }
        let (left, right) = c.split_at(c.len() / 2);
        let alpha = clip_share(left_share(cov, left, right), total, left, right, &lo, &hi);
        left.iter().for_each(|&i| w[i] *= alpha);
        right.iter().for_each(|&i| w[i] *= 1.0 - alpha);
        clusters.push((left, total * alpha));
        clusters.push((right, total * (1.0 - alpha)));
    }
    let mut a = Allocation::new(Method::Hrp, cov, w, None)?;
    a.hierarchy = Some(dend.hierarchy(&cov.assets));
    Ok(a)
}

/// Clip the left share α of a cluster holding `total` so both halves can meet their bounds.
fn clip_share(alpha: f64, total: f64, left: &[usize], right: &[usize], lo: &[f64], hi: &[f64]) -> f64 {
    if total <= 0.0 {
        return alpha;
    }
    let sum = |ix: &[usize], v: &[f64]| ix.iter().map(|&i| v[i]).sum::<f64>();
    let a_min = sum(left, lo).max(total - sum(right, hi)) / total;
    let a_max = sum(left, hi).min(total - sum(right, lo)) / total;
    alpha.max(a_min).min(a_max)
}

/// HERC weights for `cov` with `k` clusters (`None` = two-difference gap statistic).
///
/// # Errors
/// Non-finite or zero-variance covariance; `k` of 0 or more than the assets.
pub fn herc(cov: &Covariance, link: Linkage, k: Option<usize>) -> Result<Allocation, AllocateError> {
    check_cov(cov)?;
    let n = cov.dim();
    if let Some(k) = k.filter(|k| *k == 0 || *k > n) {
        return Err(AllocateError::BadParameter(format!(
            "clusters = {k} must be between 1 and the number of assets ({n})"
        )));
    }
    let dend = Dendrogram::fit(cov, link)?;
    let k = k.unwrap_or_else(|| dend.two_difference_gap_k()).clamp(1, n);
    let (splits, roots) = dend.cut(k);
    let mut cluster_weight = vec![0.0; 2 * n];
    cluster_weight[*splits.last().unwrap_or(&roots[0])] = 1.0;
    for &v in splits.iter().rev() {
        let (l, r) = dend.children(v).expect("split nodes are internal");
        let alpha = left_share(cov, &dend.leaves(l), &dend.leaves(r));
        cluster_weight[l] = cluster_weight[v] * alpha;
        cluster_weight[r] = cluster_weight[v] * (1.0 - alpha);
    }
    let mut w = vec![0.0; n];
    for &c in &roots {
        let members = dend.leaves(c);
        let total: f64 = members.iter().map(|&i| 1.0 / cov.matrix.get(i, i)).sum();
        for &i in &members {
            w[i] = cluster_weight[c] / (cov.matrix.get(i, i) * total);
        }
    }
    let mut a = Allocation::new(Method::Herc, cov, w, None)?;
    a.details = MethodDetails::Herc {
        clusters: roots.len(),
    };
    a.hierarchy = Some(dend.hierarchy(&cov.assets));
    Ok(a)
}
