//! Black–Litterman against `shared/reference/black_litterman.json` (PyPortfolioOpt 1.6):
//! posterior returns and covariance to 1e-10, unconstrained weights, and long-only max-Sharpe on
//! the posterior. Conventions (reference README): prior π = δΣw_eq with w_eq = 1/N, δ = 2.5,
//! Σ = 365 × sample covariance (ddof 1) of `returns.csv`, τ = 0.05, views and Ω as in the file.

use crate::common::*;
use ballast::allocate::{mean_variance, BlackLitterman, Constraints, MvObjective, ViewUncertainty};
use ballast::estimate::SampleCovariance;

#[test]
fn posterior_matches_pypfopt_for_each_omega() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let refs = json("black_litterman.json");
    let setup = &refs["setup"];
    let p: Vec<Vec<f64>> = setup["P"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(f).collect())
        .collect();
    let q: Vec<f64> = setup["Q"].as_array().unwrap().iter().map(f).collect();
    for (case, omega) in [
        ("omega_default", ViewUncertainty::Default),
        ("omega_idzorek", ViewUncertainty::Idzorek(vec![0.6, 0.3])),
        ("omega_explicit", ViewUncertainty::Explicit(vec![0.02, 0.04])),
    ] {
        let bl = BlackLitterman {
            delta: f(&setup["risk_aversion_delta"]),
            tau: f(&setup["tau"]),
            risk_free: 0.0,
            market_weights: None,
            prior_returns: None,
            p: p.clone(),
            q: q.clone(),
            omega,
        };
        let post = bl.posterior(&cov).unwrap();
        let pi = weights_in_order(&setup["pi"], &cov.assets);
        assert!(max_rel(&post.prior, &pi) < 1e-12, "{case}: prior");
        let c = &refs["cases"][case];
        let want_omega: Vec<f64> = (0..2).map(|i| f(&c["omega"][i][i])).collect();
        assert!(max_rel(&post.omega, &want_omega) < 1e-12, "{case}: omega");
        let want = weights_in_order(&c["posterior_returns"], &cov.assets);
        assert!(
            max_rel(&post.returns, &want) < 1e-10,
            "{case}: posterior returns {:.2e}",
            max_rel(&post.returns, &want)
        );
        let want_cov = matrix(&c["posterior_cov"]);
        assert!(
            max_rel(post.cov.matrix.as_slice(), want_cov.as_slice()) < 1e-10,
            "{case}: posterior covariance"
        );
        let want_w = weights_in_order(&c["bl_weights"], &cov.assets);
        assert!(max_abs(&post.weights, &want_w) < 1e-9, "{case}: bl weights");
        let ms = mean_variance(
            &post.returns,
            &post.cov,
            &Constraints::long_only(39),
            MvObjective::MaxSharpe,
            0.0,
        )
        .unwrap();
        let want_ms = weights_in_order(&c["max_sharpe_long_only_on_posterior"], &cov.assets);
        // the Sharpe ratio is flat near its maximum: compare the objective tightly, weights loosely
        let sharpe = |w: &[f64]| {
            let ret: f64 = w.iter().zip(&post.returns).map(|(a, b)| a * b).sum();
            ret / post.cov.matrix.quad_form(w).sqrt()
        };
        assert!(
            sharpe(&ms.weights) >= sharpe(&want_ms) * (1.0 - 1e-9),
            "{case}: Sharpe below the peer's"
        );
        assert!(
            max_abs(&ms.weights, &want_ms) < 5e-6,
            "{case}: max-Sharpe weights {:.2e}",
            max_abs(&ms.weights, &want_ms)
        );
    }
}

#[test]
fn bad_views_are_errors() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let mut bl = BlackLitterman {
        delta: 2.5,
        tau: 0.05,
        risk_free: 0.0,
        market_weights: None,
        prior_returns: None,
        p: vec![vec![1.0; 3]],
        q: vec![0.1],
        omega: ViewUncertainty::Default,
    };
    assert!(bl.posterior(&cov).is_err(), "wrong P width");
    bl.p = vec![vec![0.0; 39]; 1];
    bl.p[0][0] = 1.0;
    bl.omega = ViewUncertainty::Idzorek(vec![1.5]);
    assert!(bl.posterior(&cov).is_err(), "confidence > 1");
}
