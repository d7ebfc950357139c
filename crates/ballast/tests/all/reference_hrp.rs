//! HRP against `shared/reference/hrp.json`: PyPortfolioOpt `HRPOpt` and Riskfolio
//! `HCPortfolio(leaf_order=False)` to 1e-12 (dendrogram order), skfolio and Riskfolio
//! `leaf_order=True` (SciPy's optimal leaf ordering), for single, complete, average and Ward
//! linkage; distance √((1 − ρ)/2) on the sample covariance of `returns.csv`.

use crate::common::*;
use ballast::allocate::{
    herc, hrp, hrp_order, hrp_with, Dendrogram, HrpConfig, LeafOrder, Linkage, WeightBounds,
};
use ballast::estimate::SampleCovariance;

#[test]
fn hrp_matches_pypfopt_for_every_linkage() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let refs = json("hrp.json");
    for (name, link) in [
        ("single", Linkage::Single),
        ("complete", Linkage::Complete),
        ("average", Linkage::Average),
        ("ward", Linkage::Ward),
    ] {
        let peer = &refs["cases"][name]["pypfopt_HRPOpt"];
        let order: Vec<String> = hrp_order(&cov, link)
            .unwrap()
            .iter()
            .map(|&i| cov.assets[i].clone())
            .collect();
        let want_order: Vec<String> = peer["leaf_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert_eq!(order, want_order, "{name}: leaf order");
        let a = hrp(&cov, link).unwrap();
        let want = weights_in_order(&peer["weights"], &cov.assets);
        let err = max_abs(&a.weights, &want);
        assert!(err < 1e-12, "{name}: max |w − w_ref| = {err:.2e}");
        let rf = weights_in_order(
            &refs["cases"][name]["riskfolio_HCPortfolio_leaf_order=False"]["weights"],
            &cov.assets,
        );
        assert!(max_abs(&a.weights, &rf) < 1e-12, "{name}: vs Riskfolio");
        assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        // the allocation carries its tree: PyPortfolioOpt's leaf order, and a linkage matrix
        // whose merges use every node once, never lower than the last, ending in all assets
        let h = a.hierarchy.as_ref().expect("HRP reports its tree");
        assert_eq!(h.leaf_order, want_order, "{name}: hierarchy leaf order");
        let n = cov.assets.len();
        assert_eq!(h.linkage.len(), n - 1);
        let mut used = vec![false; 2 * n - 1];
        for (s, m) in h.linkage.iter().enumerate() {
            assert!(
                m.left < n + s && m.right < n + s && !used[m.left] && !used[m.right],
                "{name}: merge {s}"
            );
            used[m.left] = true;
            used[m.right] = true;
            let size = |c: usize| if c < n { 1 } else { h.linkage[c - n].size };
            assert_eq!(m.size, size(m.left) + size(m.right));
            if s > 0 {
                assert!(m.height >= h.linkage[s - 1].height, "{name}: heights");
            }
        }
        assert_eq!(h.linkage[n - 2].size, n);
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["hierarchy"]["leaf_order"][0], want_order[0].as_str());
    }
}

#[test]
fn scipy_leaf_ordering_matches_riskfolio_leaf_order_true_and_skfolio() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let refs = json("hrp.json");
    for (name, link) in [
        ("single", Linkage::Single),
        ("complete", Linkage::Complete),
        ("average", Linkage::Average),
        ("ward", Linkage::Ward),
    ] {
        let cfg = HrpConfig {
            linkage: link,
            leaf_order: LeafOrder::Scipy,
            bounds: None,
            correlation: None,
        };
        let a = hrp_with(&cov, &cfg).unwrap();
        let want = weights_in_order(
            &refs["cases"][name]["riskfolio_HCPortfolio_leaf_order=True"]["weights"],
            &cov.assets,
        );
        let err = max_abs(&a.weights, &want);
        assert!(
            err < 1e-12,
            "{name}: max |w − w_riskfolio(leaf_order=True)| = {err:.2e}"
        );
        let sk = weights_in_order(
            &refs["cases"][name]["skfolio_HierarchicalRiskParity"]["weights"],
            &cov.assets,
        );
        assert!(max_abs(&a.weights, &sk) < 1e-12, "{name}: vs skfolio");
    }
}

/// The optimal order is never worse than SciPy's plain order in the sum of neighbour distances.
#[test]
fn optimal_leaf_ordering_shortens_the_path() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let corr = cov.correlation().unwrap();
    let path = |o: &[usize]| -> f64 {
        o.windows(2)
            .map(|p| ((1.0 - corr.get(p[0], p[1])) / 2.0).max(0.0).sqrt())
            .sum()
    };
    for link in [
        Linkage::Single,
        Linkage::Complete,
        Linkage::Average,
        Linkage::Ward,
    ] {
        let mut d = Dendrogram::fit(&cov, link).unwrap();
        let plain = d.leaf_order();
        let mut sp = d.clone();
        sp.scipy_leaf_ordering();
        d.optimal_leaf_ordering();
        let opt = d.leaf_order();
        assert!(
            path(&opt) <= path(&sp.leaf_order()) + 1e-12,
            "{link:?}: optimal vs SciPy"
        );
        let mut sorted = opt.clone();
        sorted.sort();
        assert_eq!(sorted, (0..cov.dim()).collect::<Vec<_>>());
        assert!(path(&opt) <= path(&plain) + 1e-12, "{link:?}");
    }
}

#[test]
fn hrp_bounds_are_honoured_and_weights_sum_to_one() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let n = cov.dim();
    let free = hrp(&cov, Linkage::Single).unwrap();
    // loose bounds change nothing
    let loose = WeightBounds::uniform(n, 0.0, 0.9);
    let cfg = |b: WeightBounds| HrpConfig {
        linkage: Linkage::Single,
        leaf_order: LeafOrder::Dendrogram,
        bounds: Some(b),
        correlation: None,
    };
    let a = hrp_with(&cov, &cfg(loose)).unwrap();
    assert!(max_abs(&a.weights, &free.weights) < 1e-15);
    // binding bounds: every weight in [1%, 4%]
    let tight = WeightBounds::uniform(n, 0.01, 0.04);
    let a = hrp_with(&cov, &cfg(tight)).unwrap();
    assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    for (i, w) in a.weights.iter().enumerate() {
        assert!(
            (0.01 - 1e-12..=0.04 + 1e-12).contains(w),
            "{}: {w}",
            cov.assets[i]
        );
    }
    assert!(
        free.weights.iter().any(|w| *w > 0.04 || *w < 0.01),
        "the bounds bind"
    );
    // impossible bounds are a typed error naming the problem
    let err = hrp_with(&cov, &cfg(WeightBounds::uniform(n, 0.0, 0.02))).unwrap_err();
    assert!(err.to_string().contains("maximum weights sum to"), "{err}");
}

#[test]
fn herc_allocates_by_cluster_and_degenerates_to_inverse_variance() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let n = cov.dim();
    let inv: f64 = (0..n).map(|i| 1.0 / cov.matrix.get(i, i)).sum();
    // one cluster = inverse-variance portfolio
    let one = herc(&cov, Linkage::Ward, Some(1)).unwrap();
    for i in 0..n {
        let want = 1.0 / (cov.matrix.get(i, i) * inv);
        assert!((one.weights[i] - want).abs() < 1e-15);
    }
    for k in [None, Some(2), Some(5), Some(n)] {
        let a = herc(&cov, Linkage::Ward, k).unwrap();
        assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{k:?}");
        assert!(a.weights.iter().all(|w| *w > 0.0));
    }
    // two clusters: each side's total follows 1 − V_L/(V_L + V_R) at the root
    let d = Dendrogram::fit(&cov, Linkage::Ward).unwrap();
    let (splits, roots) = d.cut(2);
    assert_eq!((splits.len(), roots.len()), (1, 2));
    let a = herc(&cov, Linkage::Ward, Some(2)).unwrap();
    let ivp_var = |m: &[usize]| {
        let t: f64 = m.iter().map(|&i| 1.0 / cov.matrix.get(i, i)).sum();
        let mut v = 0.0;
        for &i in m {
            for &j in m {
                v += cov.matrix.get(i, j) / (cov.matrix.get(i, i) * cov.matrix.get(j, j) * t * t);
            }
        }
        v
    };
    let (l, rr) = (d.leaves(roots[0]), d.leaves(roots[1]));
    let (vl, vr) = (ivp_var(&l), ivp_var(&rr));
    let wl: f64 = l.iter().map(|&i| a.weights[i]).sum();
    assert!((wl - (1.0 - vl / (vl + vr))).abs() < 1e-14);
    let k = d.two_difference_gap_k();
    assert!((2..=6).contains(&k), "gap-statistic k = {k}");
}

/// All orders a tree allows (2^(n−1) child flips).
fn all_orders(d: &Dendrogram, node: usize) -> Vec<Vec<usize>> {
    match d.children(node) {
        None => vec![vec![node]],
        Some((l, r)) => {
            let (a, b) = (all_orders(d, l), all_orders(d, r));
            let mut out = Vec::new();
            for x in &a {
                for y in &b {
                    out.push([x.clone(), y.clone()].concat());
                    out.push([y.clone(), x.clone()].concat());
                }
            }
            out
        }
    }
}

#[test]
fn optimal_leaf_ordering_is_optimal_by_exhaustive_search() {
    let r = reference_returns();
    let full = SampleCovariance::default().fit(&r).unwrap();
    for start in [0, 8, 16, 24] {
        let cov = full.select(&full.assets[start..start + 8]).unwrap();
        let corr = cov.correlation().unwrap();
        let path = |o: &[usize]| -> f64 {
            o.windows(2)
                .map(|p| ((1.0 - corr.get(p[0], p[1])) / 2.0).max(0.0).sqrt())
                .sum()
        };
        for link in [Linkage::Single, Linkage::Average, Linkage::Ward] {
            let mut d = Dendrogram::fit(&cov, link).unwrap();
            let best = all_orders(&d, 2 * 8 - 2)
                .iter()
                .map(|o| path(o))
                .fold(f64::INFINITY, f64::min);
            d.optimal_leaf_ordering();
            assert!((path(&d.leaf_order()) - best).abs() < 1e-12, "{start} {link:?}");
        }
    }
}
