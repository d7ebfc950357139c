//! HRP against `hrp.json`: PyPortfolioOpt `HRPOpt` and Riskfolio `HCPortfolio(leaf_order=False)`
//! to 1e-12, for single, complete, average and Ward linkage.

use crate::common::*;
use ballast::allocate::{hrp, hrp_order, Linkage};
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
    }
}
