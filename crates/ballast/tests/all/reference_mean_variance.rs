//! Mean-variance portfolios against `shared/reference/mean_variance.json` (PyPortfolioOpt with
//! cvxpy + CLARABEL, and Riskfolio-Lib): weights to 1e-6, return / volatility / Sharpe to 1e-8
//! relative. μ = 365 × arithmetic mean, Σ = 365 × sample covariance (ddof 1) of `returns.csv`,
//! risk-free 0, long-only, fully invested (and ≤ 30 % per asset where the case says so).

use crate::common::*;
use ballast::allocate::{efficient_frontier, mean_variance, AllocateError, Constraints, Group, MvObjective};
use ballast::estimate::{historical_mean, SampleCovariance};

fn setup() -> (Vec<f64>, ballast::estimate::Covariance, serde_json::Value) {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let mu = historical_mean(&r).unwrap();
    let refs = json("mean_variance.json");
    let want_mu = weights_in_order(&refs["inputs"]["mu_annual"], &cov.assets);
    assert!(max_rel(&mu, &want_mu) < 1e-12, "mu");
    (mu, cov, refs)
}

fn check(case: &str, objective: MvObjective, cons: Constraints) {
    let (mu, cov, refs) = setup();
    let c = &refs["cases"][case];
    let p = mean_variance(&mu, &cov, &cons, objective, 0.0).unwrap();
    let want = weights_in_order(&c["weights"], &cov.assets);
    let err = max_abs(&p.weights, &want);
    assert!(err < 1e-6, "{case}: max |w − w_ref| = {err:.2e}");
    // the objective value to 1e-8; the other figures follow the weights (1e-6)
    let (obj_tol, other) = (1e-8, 1e-6);
    let (tr, tv, ts) = match objective {
        MvObjective::MaxSharpe => (other, other, obj_tol),
        _ => (other, obj_tol, other),
    };
    assert_rel(
        &format!("{case} return"),
        p.expected_return,
        f(&c["expected_return_annual"]),
        tr,
    );
    assert_rel(&format!("{case} vol"), p.volatility, f(&c["vol_annual"]), tv);
    assert_rel(&format!("{case} sharpe"), p.sharpe, f(&c["sharpe"]), ts);
    assert!((p.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn min_volatility() {
    check(
        "min_volatility",
        MvObjective::MinVariance,
        Constraints::long_only(39),
    );
}

#[test]
fn max_sharpe() {
    check("max_sharpe", MvObjective::MaxSharpe, Constraints::long_only(39));
}

#[test]
fn efficient_return() {
    let refs = json("mean_variance.json");
    let target = f(&refs["cases"]["efficient_return"]["target_return"]);
    check(
        "efficient_return",
        MvObjective::EfficientReturn(target),
        Constraints::long_only(39),
    );
}

#[test]
fn bounded_at_30_percent() {
    check(
        "min_volatility_max30",
        MvObjective::MinVariance,
        Constraints::long_only(39).with_bounds(0.0, 0.3),
    );
    check(
        "max_sharpe_max30",
        MvObjective::MaxSharpe,
        Constraints::long_only(39).with_bounds(0.0, 0.3),
    );
}

#[test]
fn efficient_risk_and_utility_are_consistent_with_efficient_return() {
    let (mu, cov, _) = setup();
    let cons = Constraints::long_only(39);
    let er = mean_variance(&mu, &cov, &cons, MvObjective::EfficientReturn(0.9), 0.0).unwrap();
    // the max-return portfolio at that volatility is the same portfolio
    let rk = mean_variance(&mu, &cov, &cons, MvObjective::EfficientRisk(er.volatility), 0.0).unwrap();
    assert!(
        (rk.expected_return - er.expected_return).abs() < 1e-7,
        "{} vs {}",
        rk.expected_return,
        er.expected_return
    );
    assert!(rk.volatility <= er.volatility * (1.0 + 1e-8));
    // utility maximisers lie on the frontier: their return is the efficient one for their vol
    let u = mean_variance(&mu, &cov, &cons, MvObjective::Utility(3.0), 0.0).unwrap();
    let er2 = mean_variance(
        &mu,
        &cov,
        &cons,
        MvObjective::EfficientReturn(u.expected_return),
        0.0,
    )
    .unwrap();
    assert!((er2.volatility - u.volatility).abs() < 1e-7);
    // the frontier rises and its Sharpe never beats max-Sharpe
    let ms = mean_variance(&mu, &cov, &cons, MvObjective::MaxSharpe, 0.0).unwrap();
    let fr = efficient_frontier(&mu, &cov, &cons, 12, 0.0).unwrap();
    for w in fr.windows(2) {
        assert!(
            w[1].expected_return >= w[0].expected_return - 1e-9 && w[1].volatility >= w[0].volatility - 1e-9
        );
    }
    assert!(fr.iter().all(|p| p.sharpe <= ms.sharpe + 1e-7));
}

#[test]
fn constraints_are_honoured_and_infeasibility_is_reported() {
    let (mu, cov, _) = setup();
    let n = cov.dim();
    let mut cons = Constraints::long_only(n);
    cons.groups.push(Group {
        name: "BTC+ETH".into(),
        members: vec![0, 1],
        lower: 0.0,
        upper: 0.2,
    });
    let p = mean_variance(&mu, &cov, &cons, MvObjective::MinVariance, 0.0).unwrap();
    assert!(p.weights[0] + p.weights[1] <= 0.2 + 1e-9);
    // long/short with a gross cap, market neutral
    let mut ls = Constraints::long_only(n).with_bounds(-0.5, 0.5);
    ls.net_exposure = 0.0;
    ls.max_gross = Some(1.0);
    let p = mean_variance(&mu, &cov, &ls, MvObjective::Utility(5.0), 0.0).unwrap();
    assert!(p.weights.iter().sum::<f64>().abs() < 1e-8);
    assert!(p.weights.iter().map(|w| w.abs()).sum::<f64>() <= 1.0 + 1e-8);
    assert!(p.weights.iter().any(|w| *w < -1e-3), "expected shorts");
    // turnover limit from equal weight
    let mut to = Constraints::long_only(n);
    to.current = Some(vec![1.0 / n as f64; n]);
    to.max_turnover = Some(0.3);
    let p = mean_variance(&mu, &cov, &to, MvObjective::MinVariance, 0.0).unwrap();
    let turnover: f64 = p.weights.iter().map(|w| (w - 1.0 / n as f64).abs()).sum();
    assert!(turnover <= 0.3 + 1e-8, "{turnover}");
    // infeasible: group needs 50 % but assets capped at 10 %
    let mut bad = Constraints::long_only(n).with_bounds(0.0, 0.1);
    bad.groups.push(Group {
        name: "majors".into(),
        members: vec![0, 1, 2],
        lower: 0.5,
        upper: 1.0,
    });
    let e = mean_variance(&mu, &cov, &bad, MvObjective::MinVariance, 0.0).unwrap_err();
    assert!(matches!(e, AllocateError::Infeasible(_)), "{e}");
    assert!(e.to_string().contains("group 'majors'"), "{e}");
    // max-Sharpe with every expected return below the risk-free rate
    let e = mean_variance(
        &mu,
        &cov,
        &Constraints::long_only(n),
        MvObjective::MaxSharpe,
        100.0,
    )
    .unwrap_err();
    assert!(matches!(e, AllocateError::NoPositiveExcessReturn { .. }), "{e}");
}
