//! Minimum CVaR against `shared/reference/min_cvar.json` (PyPortfolioOpt `EfficientCVaR`,
//! Riskfolio-Lib rm='CVaR', skfolio `MeanRisk`): CVaR_0.95 of the daily loss over the 730
//! historical scenarios of `returns.csv`, long-only, fully invested; the CVaR value to 1e-8
//! (minimisers need not be unique).

use crate::common::*;
use ballast::allocate::{min_cvar, Constraints};
use ballast::estimate::historical_mean;
use ballast::risk::historical_cvar;

#[test]
fn min_cvar_value_matches_the_peers() {
    let r = reference_returns();
    let refs = json("min_cvar.json");
    let p = min_cvar(&r, &Constraints::long_only(r.n_assets()), 0.95, None).unwrap();
    let want = f(&refs["peers"]["riskfolio_optimization"]["hist_cvar_of_weights"]);
    assert_rel("LP value", p.cvar, want, 1e-8);
    // the LP value is the historical CVaR of its own weights (our k = ⌈(1−β)T⌉ convention)
    let realised = historical_cvar(&r.portfolio(&p.weights), 0.95).unwrap();
    assert_rel("realised CVaR", realised, want, 1e-8);
    assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(p.weights.iter().all(|w| *w > -1e-9));
    // the peers' weights give the same CVaR (ours is a minimiser too)
    let pw = weights_in_order(&refs["peers"]["pypfopt_EfficientCVaR"]["weights"], r.assets());
    assert_rel(
        "peer CVaR",
        historical_cvar(&r.portfolio(&pw), 0.95).unwrap(),
        p.cvar,
        1e-7,
    );
}

#[test]
fn mean_cvar_target_and_errors() {
    let r = reference_returns();
    let n = r.n_assets();
    let mu = historical_mean(&r).unwrap();
    let base = min_cvar(&r, &Constraints::long_only(n), 0.95, None).unwrap();
    let base_ret: f64 = mu.iter().zip(&base.weights).map(|(a, b)| a * b).sum();
    let tgt = base_ret + 0.3;
    let p = min_cvar(&r, &Constraints::long_only(n), 0.95, Some((&mu, tgt))).unwrap();
    let ret: f64 = mu.iter().zip(&p.weights).map(|(a, b)| a * b).sum();
    assert!(ret >= tgt - 1e-8 && p.cvar >= base.cvar - 1e-12);
    assert!(min_cvar(&r, &Constraints::long_only(n), 1.5, None).is_err());
    let e = min_cvar(&r, &Constraints::long_only(n), 0.95, Some((&mu, 100.0))).unwrap_err();
    assert!(e.to_string().contains("expected return ≥ 100"), "{e}");
}
