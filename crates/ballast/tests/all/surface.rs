//! SVI smiles and surfaces on the bundled Deribit chains.

use ballast::io::read_option_chain;
use ballast::pricing::surface::{fit_surfaces, fit_svi, SmilePoint, SmileWeights, Svi};

fn chain(name: &str) -> Vec<ballast::data::ChainQuote> {
    let p = crate::common::data_path(name);
    read_option_chain(p)
        .unwrap()
        .into_iter()
        .filter_map(|r| r.quote.ok())
        .collect()
}

#[test]
fn real_chains_fit_without_arbitrage() {
    for (name, coin, slices) in [
        ("deribit_BTC_options_2020-05-14.csv", "BTC", 7),
        ("deribit_BTC_options_2026-04-13.csv", "BTC", 11),
        ("deribit_ETH_options_2026-04-13.csv", "ETH", 11),
    ] {
        for weights in [
            SmileWeights::Vega,
            SmileWeights::OpenInterest,
            SmileWeights::Equal,
        ] {
            let s = fit_surfaces(&chain(name), weights, None);
            assert_eq!(s.len(), 1);
            let s = &s[0];
            assert_eq!(s.coin, coin);
            assert_eq!(s.slices.len(), slices, "{name}");
            for sl in &s.slices {
                let fit = sl
                    .fit
                    .as_ref()
                    .unwrap_or_else(|e| panic!("{name} {}: {e}", sl.expiry));
                assert!(
                    fit.min_density >= 0.0,
                    "{name} {}: butterfly arbitrage",
                    sl.expiry
                );
                assert!(fit.params.min_variance() >= 0.0);
                assert!(fit.params.b * (1.0 + fit.params.rho.abs()) <= 4.0 + 1e-9);
                if weights == SmileWeights::Vega && sl.time * 365.0 > 2.0 {
                    assert!(fit.rmse < 0.02, "{name} {}: RMSE {:.4}", sl.expiry, fit.rmse);
                }
                let m = sl.metrics.unwrap();
                assert!(m.k_25p < 0.0 && m.k_25c > 0.0);
                assert!((m.rr25 - (m.vol_25c - m.vol_25p)).abs() < 1e-15);
                // ATM vol close to the market vols near the money
                let near = sl
                    .points
                    .iter()
                    .min_by(|a, b| a.point.k.abs().total_cmp(&b.point.k.abs()))
                    .unwrap();
                if sl.time * 365.0 > 2.0 {
                    assert!(
                        (m.atm_vol - near.point.vol).abs() < 0.05,
                        "{name} {} {weights:?}",
                        sl.expiry
                    );
                }
            }
            if weights == SmileWeights::Vega {
                assert!(
                    s.calendar_arbitrage.is_empty(),
                    "{name}: {:?}",
                    s.calendar_arbitrage
                );
            }
        }
    }
}

#[test]
fn surface_interpolates_total_variance_between_slices() {
    let s = &fit_surfaces(
        &chain("deribit_BTC_options_2026-04-13.csv"),
        SmileWeights::Vega,
        None,
    )[0];
    let fitted: Vec<_> = s
        .slices
        .iter()
        .map(|sl| (sl.time, sl.fit.as_ref().unwrap().params))
        .collect();
    for (t, p) in &fitted {
        for k in [-0.2, 0.0, 0.3] {
            assert!((s.vol(k, *t).unwrap() - p.vol(k, *t)).abs() < 1e-12);
        }
    }
    // halfway in T between two slices: total variance is the average
    let ((t0, p0), (t1, p1)) = (fitted[6], fitted[7]);
    let t = 0.5 * (t0 + t1);
    let w = 0.5 * (p0.total_variance(0.1) + p1.total_variance(0.1));
    assert!((s.vol(0.1, t).unwrap() - (w / t).sqrt()).abs() < 1e-12);
    // constant vol outside the quoted expiries
    let (tl, pl) = fitted[fitted.len() - 1];
    assert!((s.vol(0.0, 2.0).unwrap() - pl.vol(0.0, tl)).abs() < 1e-15);
}

#[test]
fn symmetric_smile_has_no_risk_reversal() {
    let truth = Svi {
        a: 0.01,
        b: 0.1,
        rho: 0.0,
        m: 0.0,
        s: 0.15,
    };
    let t = 0.25;
    let pts: Vec<SmilePoint> = (-15..=15)
        .map(|i| {
            let k = i as f64 * 0.03;
            SmilePoint {
                k,
                vol: truth.vol(k, t),
                weight: 1.0,
            }
        })
        .collect();
    let fit = fit_svi(&pts, t).unwrap();
    assert!(fit.rmse < 1e-6);
    assert!(fit.params.rho.abs() < 1e-3, "rho {}", fit.params.rho);
    assert!(fit_svi(&pts[..4], t).is_none(), "needs five points");
}
