//! Property tests: Euler risk contributions, ERC/risk-budget optimality, scale invariance,
//! VaR/CVaR ordering, rebalancing accounting.

use ballast::allocate::{inverse_volatility, vol_target, RiskBudgeting, VolTarget, WeightBounds};
use ballast::estimate::Covariance;
use ballast::rebalance::{plan, Band, RebalanceInput};
use ballast::risk::{historical_cvar, historical_var, risk_contributions};
use ballast::SymMatrix;
use proptest::prelude::*;

/// A random positive-definite covariance: A'A/k + εI from a k×n matrix A, vols rescaled.
fn covariance(n: usize) -> impl Strategy<Value = Covariance> {
    (
        prop::collection::vec(-1.0f64..1.0, (n + 3) * n),
        prop::collection::vec(0.2f64..1.5, n),
        0.05f64..0.9,
    )
        .prop_map(move |(a, vols, market)| {
            let k = n + 3;
            let mut c = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    let mut s = 0.0;
                    for r in 0..k {
                        s += a[r * n + i] * a[r * n + j];
                    }
                    c[i * n + j] = s / k as f64 + market + if i == j { 0.05 } else { 0.0 };
                }
            }
            let d: Vec<f64> = (0..n).map(|i| c[i * n + i].sqrt()).collect();
            let m: Vec<f64> = (0..n * n)
                .map(|x| {
                    let (i, j) = (x / n, x % n);
                    c[x] / (d[i] * d[j]) * vols[i] * vols[j]
                })
                .collect();
            let assets = (0..n).map(|i| format!("X{i}")).collect();
            Covariance::from_matrix(assets, SymMatrix::from_row_major(n, m).unwrap(), 365.0).unwrap()
        })
}

fn sized_covariance() -> impl Strategy<Value = Covariance> {
    (2usize..25).prop_flat_map(covariance)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn euler_contributions_sum_to_volatility(cov in sized_covariance(), seed in prop::collection::vec(-1.0f64..1.0, 25)) {
        let n = cov.dim();
        let w: Vec<f64> = seed[..n].to_vec();
        prop_assume!(w.iter().any(|x| x.abs() > 1e-3));
        let rc = risk_contributions(&cov.matrix, &w).unwrap();
        let total: f64 = rc.component.iter().sum();
        prop_assert!((total - rc.volatility).abs() <= 1e-12 * rc.volatility.max(1.0));
        let pct: f64 = rc.percent.iter().sum();
        prop_assert!((pct - 1.0).abs() <= 1e-12);
        // marginal contribution = finite-difference gradient of σ(w)
        let h = 1e-6;
        for i in 0..n {
            let mut wp = w.clone();
            wp[i] += h;
            let mut wm = w.clone();
            wm[i] -= h;
            let fd = (cov.matrix.quad_form(&wp).sqrt() - cov.matrix.quad_form(&wm).sqrt()) / (2.0 * h);
            prop_assert!((fd - rc.marginal[i]).abs() <= 1e-6 * rc.marginal[i].abs().max(1.0));
        }
    }

    #[test]
    fn erc_equalises_contributions_and_is_scale_invariant(cov in sized_covariance(), scale in 1e-4f64..1e4) {
        let a = RiskBudgeting::erc().weights(&cov).unwrap();
        let n = cov.dim() as f64;
        for rc in &a.risk_contributions {
            prop_assert!((rc - 1.0 / n).abs() <= 1e-10);
        }
        prop_assert!(a.weights.iter().all(|w| *w > 0.0));
        prop_assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        let scaled = Covariance::from_matrix(cov.assets.clone(), cov.matrix.scaled(scale), 365.0).unwrap();
        let b = RiskBudgeting::erc().weights(&scaled).unwrap();
        for (x, y) in a.weights.iter().zip(&b.weights) {
            prop_assert!((x - y).abs() <= 1e-9);
        }
    }

    #[test]
    fn risk_budgets_are_met(cov in sized_covariance(), raw in prop::collection::vec(0.05f64..1.0, 25)) {
        let n = cov.dim();
        let total: f64 = raw[..n].iter().sum();
        let b: Vec<f64> = raw[..n].iter().map(|x| x / total).collect();
        let a = RiskBudgeting::with_budgets(b.clone()).weights(&cov).unwrap();
        for (rc, bi) in a.risk_contributions.iter().zip(&b) {
            prop_assert!((rc - bi).abs() <= 1e-10);
        }
    }

    #[test]
    fn bounded_erc_respects_bounds(cov in sized_covariance(), cap in 0.0f64..1.0) {
        let n = cov.dim();
        let hi = (1.0 / n as f64) + cap * (1.0 - 1.0 / n as f64) * 0.5;
        let bounds = WeightBounds::uniform(n, 0.0, hi);
        let a = RiskBudgeting { bounds: Some(bounds), ..RiskBudgeting::erc() }.weights(&cov).unwrap();
        prop_assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-10);
        for w in &a.weights {
            prop_assert!(*w <= hi + 1e-9 && *w >= 0.0);
        }
        // unconstrained assets (strictly inside) share risk equally
        let inside: Vec<f64> = a.weights.iter().zip(&a.risk_contributions).filter(|(w, _)| **w < hi - 1e-9).map(|(_, r)| *r).collect();
        if inside.len() >= 2 {
            let (mn, mx) = inside.iter().fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
            prop_assert!(mx - mn <= 1e-8, "interior RCs differ: {mn} .. {mx}");
        }
        let iv = inverse_volatility(&cov, Some(&WeightBounds::uniform(n, 0.0, hi))).unwrap();
        prop_assert!(iv.weights.iter().all(|w| *w <= hi + 1e-12));
        prop_assert!((iv.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn vol_target_hits_target_or_cap(cov in sized_covariance(), target in 0.05f64..3.0) {
        let a = RiskBudgeting::erc().weights(&cov).unwrap();
        let v = vol_target(&cov.matrix, &a.weights, VolTarget::new(target)).unwrap();
        if v.leverage_capped {
            prop_assert!((v.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            prop_assert!(v.volatility_after < target);
        } else {
            prop_assert!((v.volatility_after - target).abs() < 1e-12 * target.max(1.0));
            prop_assert!((cov.matrix.quad_form(&v.weights).sqrt() - target).abs() < 1e-12);
        }
        prop_assert!((v.cash + v.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn cvar_exceeds_var_and_both_grow_with_confidence(r in prop::collection::vec(-0.3f64..0.3, 20..400)) {
        let v95 = historical_var(&r, 0.95).unwrap();
        let v99 = historical_var(&r, 0.99).unwrap();
        let c95 = historical_cvar(&r, 0.95).unwrap();
        let c99 = historical_cvar(&r, 0.99).unwrap();
        prop_assert!(c95 >= v95 - 1e-15 && c99 >= v99 - 1e-15);
        prop_assert!(v99 >= v95 && c99 >= c95 - 1e-15);
    }

    #[test]
    fn rebalance_accounting(units in prop::collection::vec(0.0f64..100.0, 4), prices in prop::collection::vec(0.5f64..5000.0, 4), cash in 0.0f64..1e5, fee in 0.0f64..100.0, raw in prop::collection::vec(0.05f64..1.0, 4)) {
        let assets: Vec<String> = (0..4).map(|i| format!("X{i}")).collect();
        let total: f64 = raw.iter().sum();
        let target: Vec<f64> = raw.iter().map(|x| x / total).collect();
        let value: f64 = units.iter().zip(&prices).map(|(u, p)| u * p).sum::<f64>() + cash;
        prop_assume!(value > 1.0);
        let p = plan(&RebalanceInput { assets: &assets, units: &units, prices: &prices, cash, target: &target, band: Band::Absolute(0.0), fee_bps: fee, min_trade_usd: 0.0 }).unwrap();
        let notional: f64 = p.trades.iter().map(|t| t.notional_usd).sum();
        prop_assert!((p.fees_usd - notional * fee / 1e4).abs() <= 1e-9 * value);
        // after trading every weight is on target and cash is what is left after fees
        for (w, t) in p.post_weights.iter().zip(&target) {
            prop_assert!((w - t).abs() <= 1e-9);
        }
        prop_assert!(p.post_cash.abs() <= 1e-9);
        let post_value: f64 = p.post_units.iter().zip(&prices).map(|(u, p)| u * p).sum();
        prop_assert!((post_value - (value - p.fees_usd)).abs() <= 1e-8 * value);
    }
}
