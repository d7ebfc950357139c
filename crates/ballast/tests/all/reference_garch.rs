//! GARCH(1,1) against `garch.json` (Python arch 8.0): log-likelihood at fixed parameters to
//! 1e-10, fitted parameters to 1e-4 and a log-likelihood at least as high as arch's.

use crate::common::*;
use ballast::estimate::{garch_loglikelihood, Garch11, GarchDist, GarchParams};

fn btc_percent() -> Vec<f64> {
    let r = reference_returns();
    let j = r.asset_index("BTC").unwrap();
    r.column(j).iter().map(|x| 100.0 * x).collect()
}

#[test]
fn loglikelihood_at_fixed_parameters_matches_arch() {
    let y = btc_percent();
    let refs = json("garch.json");
    for (key, dist) in [("normal", GarchDist::Normal), ("t", GarchDist::StudentT)] {
        let fx = &refs["fits"][key]["loglik_at_fixed_params"];
        let p = &fx["params"];
        let params = GarchParams {
            mu: f(&p["mu"]),
            omega: f(&p["omega"]),
            alpha: f(&p["alpha[1]"]),
            beta: f(&p["beta[1]"]),
            nu: p.get("nu").map(f),
        };
        let (ll, _) = garch_loglikelihood(&y, &params, dist);
        assert_rel(&format!("{key} loglik"), ll, f(&fx["loglikelihood"]), 1e-10);
    }
}

#[test]
fn fits_match_arch() {
    let y = btc_percent();
    let refs = json("garch.json");
    for (key, dist) in [("normal", GarchDist::Normal), ("t", GarchDist::StudentT)] {
        let want = &refs["fits"][key];
        let fit = Garch11 { dist }.fit(&y).unwrap();
        let p = &want["params"];
        let close = |name: &str, got: f64, w: f64| {
            assert!(
                (got - w).abs() <= 1e-4 * w.abs().max(1.0),
                "{key} {name}: {got} vs arch {w}"
            );
        };
        close("mu", fit.params.mu, f(&p["mu"]));
        close("omega", fit.params.omega, f(&p["omega"]));
        close("alpha", fit.params.alpha, f(&p["alpha[1]"]));
        close("beta", fit.params.beta, f(&p["beta[1]"]));
        if let Some(nu) = fit.params.nu {
            close("nu", nu, f(&p["nu"]));
        }
        assert!(
            fit.loglikelihood >= f(&want["loglikelihood"]) - 1e-9,
            "{key}: {} < arch {}",
            fit.loglikelihood,
            f(&want["loglikelihood"])
        );
        assert_rel(
            &format!("{key} 1-step forecast"),
            fit.forecast_variance(1)[0],
            f(&want["forecast_variance_1step"]),
            1e-3,
        );
        let h = fit.forecast_variance(50);
        let long_run = fit.params.omega / (1.0 - fit.params.alpha - fit.params.beta);
        assert!(
            (h[49] - long_run).abs() < (h[0] - long_run).abs(),
            "forecasts revert to the long-run variance"
        );
    }
}

#[test]
fn short_or_constant_series_are_errors() {
    assert!(Garch11::default().fit(&[1.0; 5]).is_err());
    assert!(Garch11::default().fit(&[0.3; 100]).is_err());
    assert!(Garch11::default().fit(&[f64::NAN; 100]).is_err());
}
