//! VaR backtests against `../shared/reference/var_backtest.json`: BTC's whole history,
//! historical and filtered-historical (EWMA λ = 0.94) VaR rolled over 250 returns at 95 / 99 %,
//! exceptions (loss > VaR, strict), Kupiec (0 ln 0 = 0, vartests), Christoffersen on the N − 1
//! transitions, LR_cc = LR_pof + LR_ind, the Basel traffic light; and the file's unit-test
//! table exactly.

use super::common::*;
use ballast::analysis::{var_backtest, VarBacktestRequest};
use ballast::risk::{
    christoffersen_independence, conditional_coverage, kupiec_pof, traffic_light, transition_counts,
    BacktestSettings, VarModel, Zone,
};
use serde_json::Value;

fn zone(z: Zone) -> &'static str {
    match z {
        Zone::Green => "green",
        Zone::Yellow => "yellow",
        Zone::Red => "red",
    }
}

fn close(name: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{name}: got {got:e}, reference {want:e}, difference {:.1e} > {tol:.0e}",
        (got - want).abs()
    );
}

#[test]
fn btc_history_backtests_match_the_reference() {
    let r = json("var_backtest.json");
    let series = &r["series"];
    let end: jiff::civil::Date = series["return_dates"][1].as_str().unwrap().parse().unwrap();
    let panel = daily_prices();
    let weights = [(series["asset"].as_str().unwrap().to_string(), 1.0)];
    let window = r["window"].as_u64().unwrap() as usize;
    let report = var_backtest(
        &panel,
        &VarBacktestRequest {
            weights: &weights,
            normalize: false,
            models: &[VarModel::Historical, VarModel::FilteredHistorical],
            confidences: &[0.99, 0.95],
            settings: BacktestSettings {
                window,
                lambda: f(&r["fhs_ewma"]["ewma"]["lambda"]),
                ..Default::default()
            },
            end: Some(end),
        },
    )
    .unwrap();
    assert_eq!(report.returns.len() as u64, series["n_returns"].as_u64().unwrap());
    assert_eq!(
        report.dates[0].to_string(),
        series["return_dates"][0].as_str().unwrap()
    );
    assert_eq!(
        report.returns_spanning_gaps as u64,
        series["returns_spanning_more_than_1_day"].as_u64().unwrap()
    );
    for b in &report.backtests {
        let key = if b.backtest.model == VarModel::Historical {
            "historical"
        } else {
            "fhs_ewma"
        };
        let conf = format!("{}", b.backtest.confidence);
        let want: &Value = &r[key][conf.as_str()];
        let what = format!("{key} {conf}");
        let bt = &b.backtest;
        assert_eq!(bt.observations as u64, want["n_obs"].as_u64().unwrap(), "{what}");
        let var_want: Vec<f64> = want["var_series"].as_array().unwrap().iter().map(f).collect();
        let err = max_abs(&bt.var, &var_want);
        assert!(err <= 1e-14, "{what}: VaR series differs by {err:e}");
        close(
            &format!("{what} next-day VaR"),
            bt.next_var,
            f(&want["next_day_var"]["var"]),
            1e-14,
        );
        assert_eq!(
            bt.exceptions as u64,
            want["n_exceptions"].as_u64().unwrap(),
            "{what}"
        );
        let dates: Vec<String> = b.exception_dates.iter().map(|d| d.to_string()).collect();
        let want_dates: Vec<String> = want["exception_dates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        assert_eq!(dates, want_dates, "{what}");
        assert_eq!(
            b.forecast_dates.0.to_string(),
            want["forecast_dates"][0].as_str().unwrap()
        );
        let s = &want["tests"]["stdlib"];
        close(&format!("{what} LR_pof"), bt.kupiec.lr, f(&s["LR_pof"]), 1e-9);
        close(&format!("{what} p_pof"), bt.kupiec.p_value, f(&s["p_pof"]), 1e-9);
        close(
            &format!("{what} LR_ind"),
            bt.christoffersen_independence.lr,
            f(&s["LR_ind"]),
            1e-9,
        );
        close(
            &format!("{what} p_ind"),
            bt.christoffersen_independence.p_value,
            f(&s["p_ind"]),
            1e-9,
        );
        close(
            &format!("{what} LR_cc"),
            bt.conditional_coverage.lr,
            f(&s["LR_cc"]),
            1e-9,
        );
        close(
            &format!("{what} p_cc"),
            bt.conditional_coverage.p_value,
            f(&s["p_cc"]),
            1e-9,
        );
        let v = &want["tests"]["vartests"]["kupiec_test"];
        close(
            &format!("{what} vartests LR"),
            bt.kupiec.lr,
            f(&v["statistic"]),
            1e-9,
        );
        close(
            &format!("{what} vartests p"),
            bt.kupiec.p_value,
            f(&v["p-value"]),
            1e-9,
        );
        let tc = &s["transition_counts"];
        let c = bt.transition_counts;
        assert_eq!(
            [c.n00, c.n01, c.n10, c.n11].map(|n| n as u64),
            ["n00", "n01", "n10", "n11"].map(|k| tc[k].as_u64().unwrap()),
            "{what}"
        );
        match (&bt.traffic_light, want.get("traffic_light_last_250")) {
            (Some(t), Some(w)) => {
                assert_eq!(t.exceptions as u64, w["exceptions"].as_u64().unwrap(), "{what}");
                assert_eq!(zone(t.zone), w["zone"].as_str().unwrap(), "{what}");
                close(
                    &format!("{what} P(X<=x)"),
                    t.cumulative_probability,
                    f(&w["cumulative_probability_P(X<=x)"]),
                    1e-9,
                );
                close(
                    &format!("{what} plus factor"),
                    t.plus_factor.unwrap(),
                    f(&w["basel_plus_factor"]),
                    0.0,
                );
            }
            (None, None) => {}
            (got, want) => panic!("{what}: traffic light {got:?} vs reference {want:?}"),
        }
    }
}

#[test]
fn the_unit_test_table_matches_exactly() {
    let r = json("var_backtest.json");
    let u = &r["unit_tests"];
    for case in u["kupiec_pof_T250_p001"].as_array().unwrap() {
        let (n, x, p) = (
            case["T"].as_u64().unwrap() as usize,
            case["x"].as_u64().unwrap() as usize,
            f(&case["p"]),
        );
        let k = kupiec_pof(n, x, p).unwrap();
        close(&format!("LR_pof x = {x}"), k.lr, f(&case["LR_pof"]), 1e-12);
        close(&format!("p x = {x}"), k.p_value, f(&case["p_value"]), 1e-12);
        let t = traffic_light(x, n).unwrap();
        assert_eq!(zone(t.zone), case["traffic_light"].as_str().unwrap(), "x = {x}");
    }
    let c = &u["christoffersen_hits_10_11_12_100_200"];
    let n = c["T"].as_u64().unwrap() as usize;
    let mut hits = vec![false; n];
    for d in c["hit_days_1_based"].as_array().unwrap() {
        hits[d.as_u64().unwrap() as usize - 1] = true;
    }
    let counts = transition_counts(&hits);
    let tc = &c["transition_counts"];
    assert_eq!(
        [counts.n00, counts.n01, counts.n10, counts.n11].map(|n| n as u64),
        ["n00", "n01", "n10", "n11"].map(|k| tc[k].as_u64().unwrap())
    );
    let x = hits.iter().filter(|h| **h).count();
    let pof = kupiec_pof(n, x, f(&c["p"])).unwrap();
    let ind = christoffersen_independence(&counts).unwrap();
    let cc = conditional_coverage(&pof, &ind);
    close("LR_pof", pof.lr, f(&c["LR_pof"]), 1e-12);
    close("p_pof", pof.p_value, f(&c["p_pof"]), 1e-12);
    close("LR_ind", ind.lr, f(&c["LR_ind"]), 1e-12);
    close("p_ind", ind.p_value, f(&c["p_ind"]), 1e-12);
    close("LR_cc", cc.lr, f(&c["LR_cc"]), 1e-12);
    close("p_cc", cc.p_value, f(&c["p_cc"]), 1e-12);
    for row in u["basel_traffic_light_table_T250_p001"].as_array().unwrap() {
        let x = row["exceptions"].as_u64().unwrap() as usize;
        let t = traffic_light(x, row["observations"].as_u64().unwrap() as usize).unwrap();
        assert_eq!(zone(t.zone), row["zone"].as_str().unwrap(), "x = {x}");
        close(
            &format!("plus factor x = {x}"),
            t.plus_factor.unwrap(),
            f(&row["basel_plus_factor"]),
            0.0,
        );
        close(
            &format!("P(X<=x) x = {x}"),
            t.cumulative_probability,
            f(&row["cumulative_probability_P(X<=x)"]),
            1e-12,
        );
    }
}

mod properties {
    use ballast::risk::{
        christoffersen_independence, historical_var, kupiec_pof, rolling_var, transition_counts,
        BacktestSettings, VarModel,
    };
    use proptest::prelude::*;

    fn series() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(-0.2f64..0.2, 60..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every model's VaR is in the units of the returns: scaling them scales it.
        #[test]
        fn var_scales_with_the_returns(r in series(), s in 0.1f64..10.0, c in 0.9f64..0.995) {
            let settings = BacktestSettings { window: 40, lambda: 0.94, ..Default::default() };
            let scaled: Vec<f64> = r.iter().map(|x| x * s).collect();
            for model in [VarModel::Historical, VarModel::FilteredHistorical, VarModel::Gaussian, VarModel::CornishFisher] {
                let a = rolling_var(&r, model, c, &settings).unwrap();
                let b = rolling_var(&scaled, model, c, &settings).unwrap();
                for (x, y) in a.var.iter().zip(&b.var).chain([(&a.next, &b.next)]) {
                    prop_assert!((x * s - y).abs() <= 1e-12 * (1.0 + y.abs()), "{model:?}: {x} × {s} vs {y}");
                }
            }
        }

        /// The rolling historical forecast is the historical VaR of the window before it.
        #[test]
        fn rolling_historical_is_the_windows_historical_var(r in series(), c in 0.9f64..0.995) {
            let w = 50;
            let rolled = rolling_var(&r, VarModel::Historical, c, &BacktestSettings { window: w, lambda: 0.94, ..Default::default() }).unwrap();
            for (k, v) in rolled.var.iter().enumerate() {
                prop_assert_eq!(*v, historical_var(&r[k..k + w], c).unwrap());
            }
        }

        /// Kupiec's LR is 0 at the expected count and grows away from it; every LR is ≥ 0
        /// and every p-value in [0, 1].
        #[test]
        fn coverage_statistics_are_well_formed(hits in prop::collection::vec(any::<bool>(), 2..300)) {
            let n = hits.len();
            let x = hits.iter().filter(|h| **h).count();
            let p = 0.05;
            let k = kupiec_pof(n, x, p).unwrap();
            prop_assert!(k.lr >= 0.0 && (0.0..=1.0).contains(&k.p_value));
            let ind = christoffersen_independence(&transition_counts(&hits)).unwrap();
            prop_assert!(ind.lr >= 0.0 && (0.0..=1.0).contains(&ind.p_value));
            if x > 0 && x < n {
                let at = kupiec_pof(n, x, x as f64 / n as f64).unwrap();
                prop_assert!(at.lr.abs() < 1e-9);
                let further = kupiec_pof(n, x, (x as f64 / n as f64) * 0.5).unwrap();
                prop_assert!(further.lr > 0.0);
            }
        }
    }
}

/// 1 − 0.99 is 0.010000000000000009 in floating point: the tail of 100,000 scenarios at 99 %
/// is still the 1,000 worst (as the peers, who pass α = 0.01, count it).
#[test]
fn the_tail_count_does_not_trip_on_floating_point() {
    let n = 100_000;
    let r: Vec<f64> = (0..n).map(|i| -(i as f64)).collect();
    // the k-th smallest return is −(n − k)
    assert_eq!(
        ballast::risk::historical_var(&r, 0.99).unwrap(),
        (n - 1000) as f64
    );
    let w = 100;
    let series: Vec<f64> = (0..w + 1).map(|i| -(i as f64)).collect();
    let v = ballast::risk::rolling_var(
        &series,
        ballast::risk::VarModel::Historical,
        0.99,
        &ballast::risk::BacktestSettings {
            window: w,
            lambda: 0.94,
            ..Default::default()
        },
    )
    .unwrap();
    // k = 1 of the 100 before: the worst, −99
    assert_eq!(v.var[0], 99.0);
}

/// The Monte Carlo model's forecast is the quantile of its distribution: with ν given, the
/// Student-t's −(μ + σ√((ν − 2)/ν)·t_ν⁻¹(α)); on a window with no excess kurtosis, the normal
/// VaR. A million draws put it within 1 % of the closed form (the quantile's standard error
/// is ~0.1 %); bad draws or ν are refused.
#[test]
fn monte_carlo_var_is_the_quantile_of_its_distribution() {
    use ballast::risk::{gaussian_var, rolling_var};
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let p = daily_prices();
    let btc = p.asset_index("BTC").unwrap();
    let closes: Vec<f64> = (0..p.dates().len()).filter_map(|r| p.price(r, btc)).collect();
    let r: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let r = &r[r.len() - 251..];
    let window = &r[..250];
    let m = ballast::risk::moments(window).unwrap();
    let settings = BacktestSettings {
        draws: 1_000_000,
        dof: Some(5.0),
        ..Default::default()
    };
    for c in [0.95, 0.99] {
        let got = rolling_var(r, VarModel::MonteCarlo, c, &settings).unwrap().var[0];
        let q = StudentsT::new(0.0, 1.0, 5.0).unwrap().inverse_cdf(1.0 - c);
        let want = -(m.mean + m.std * (3.0f64 / 5.0).sqrt() * q);
        assert!((got / want - 1.0).abs() < 0.01, "{c}: {got} vs {want}");
    }
    // no excess kurtosis (evenly spread returns): the normal
    let flat: Vec<f64> = (0..251)
        .map(|i| ((i * 37) % 251) as f64 / 251.0 * 0.1 - 0.05)
        .collect();
    assert!(ballast::risk::moments(&flat[..250]).unwrap().excess_kurtosis < 0.0);
    let s = BacktestSettings {
        draws: 1_000_000,
        ..Default::default()
    };
    let got = rolling_var(&flat, VarModel::MonteCarlo, 0.99, &s).unwrap().var[0];
    let want = gaussian_var(&flat[..250], 0.99).unwrap();
    assert!((got / want - 1.0).abs() < 0.01, "{got} vs {want}");
    // the same seed, the same forecasts
    let a = rolling_var(
        &r[..251],
        VarModel::MonteCarlo,
        0.99,
        &BacktestSettings::default(),
    )
    .unwrap();
    let b = rolling_var(
        &r[..251],
        VarModel::MonteCarlo,
        0.99,
        &BacktestSettings::default(),
    )
    .unwrap();
    assert_eq!(a, b);
    for (bad, what) in [
        (
            BacktestSettings {
                draws: 10,
                ..Default::default()
            },
            "draws",
        ),
        (
            BacktestSettings {
                dof: Some(2.0),
                ..Default::default()
            },
            "ν",
        ),
        (
            BacktestSettings {
                dof: Some(f64::NAN),
                ..Default::default()
            },
            "ν",
        ),
    ] {
        let e = rolling_var(r, VarModel::MonteCarlo, 0.99, &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(what), "{e}");
    }
}
