//! GARCH(1,1) against `shared/reference/garch.json` (Python arch 8.0, constant mean, normal and
//! Student-t, BTC simple returns in percent over the `returns.csv` dates, arch's backcast):
//! log-likelihood at fixed parameters to 1e-10, fitted parameters to 1e-4 and a log-likelihood
//! at least as high as arch's.

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
            fit.forecast_variance(1).unwrap()[0],
            f(&want["forecast_variance_1step"]),
            1e-3,
        );
        let h = fit.forecast_variance(50).unwrap();
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

/// On real coins (several with their optimum on α + β = 1), every fit is a constrained local
/// maximum: no feasible nudge of any parameter raises the likelihood.
#[test]
fn fits_are_local_maxima_including_on_the_unit_persistence_boundary() {
    let panel = crate::common::daily_prices();
    for coin in ["BTC", "ETH", "XRP", "TRX", "DOGE"] {
        let c = panel.asset_index(coin).unwrap();
        let px: Vec<f64> = (0..panel.dates().len())
            .filter_map(|r| panel.price(r, c))
            .collect();
        let y: Vec<f64> = px.windows(2).map(|w| 100.0 * (w[1] / w[0] - 1.0)).collect();
        let y = &y[y.len() - 1500..];
        for dist in [GarchDist::Normal, GarchDist::StudentT] {
            let fit = Garch11 { dist }.fit(y).unwrap();
            let p = fit.params;
            assert!(
                p.alpha >= 0.0 && p.beta >= 0.0 && p.alpha + p.beta <= 1.0 + 1e-12,
                "{coin} {dist:?}"
            );
            let (ll, _) = garch_loglikelihood(y, &p, dist);
            assert!((ll - fit.loglikelihood).abs() < 1e-9);
            for k in 0..5 {
                for h in [1e-4, -1e-4] {
                    let mut q = p;
                    match k {
                        0 => q.mu += h,
                        1 => q.omega *= 1.0 + h,
                        2 => q.alpha += h,
                        3 => q.beta += h,
                        _ => match q.nu {
                            Some(nu) => q.nu = Some(nu * (1.0 + h)),
                            None => continue,
                        },
                    }
                    if q.alpha < 0.0 || q.beta < 0.0 || q.alpha + q.beta > 1.0 {
                        continue;
                    }
                    let (lq, _) = garch_loglikelihood(y, &q, dist);
                    assert!(
                        lq <= ll + 1e-6,
                        "{coin} {dist:?}: nudging parameter {k} by {h} raises ℓ {ll} → {lq}"
                    );
                }
            }
        }
    }
}
