//! Hedging a derivatives book with the LP.

use ballast::book::{book_greeks, PositionLine};
use ballast::hedge::{hedge, HedgeError, HedgeGreek, HedgeSpec};
use ballast::instrument::Position;
use ballast::market::MarketSnapshot;

fn market() -> MarketSnapshot {
    let p = crate::common::data_path("deribit_BTC_options_2026-04-13.csv");
    MarketSnapshot::from_chain_rows(ballast::io::read_option_chain(p).unwrap()).unwrap()
}

fn book(m: &MarketSnapshot) -> Vec<PositionLine> {
    let ps: Vec<Position> = [
        ("BTC", 3.0),
        ("BTC-26JUN26-80000-C", -5.0),
        ("BTC-29MAY26-65000-P", 4.0),
    ]
    .iter()
    .map(|(n, s)| Position::new(n, *s, "deribit").unwrap())
    .collect();
    book_greeks(&ps, m).unwrap().lines
}

fn spec(targets: &[(HedgeGreek, f64)], using: Option<&[&str]>) -> HedgeSpec {
    HedgeSpec {
        targets: targets.to_vec(),
        using: using.map(|u| u.iter().map(|s| s.to_string()).collect()),
        futures_fee_bps: 5.0,
    }
}

#[test]
fn delta_hedge_with_the_perpetual_is_exact_and_priced_at_the_fee() {
    let m = market();
    let b = book(&m);
    let h = &hedge(&b, &m, &spec(&[(HedgeGreek::Delta, 0.0)], None))
        .unwrap()
        .hedges[0];
    assert_eq!(h.trades.len(), 1, "{:?}", h.trades);
    let t = &h.trades[0];
    assert_eq!(t.instrument, "BTC-PERPETUAL");
    // inverse perp: delta per USD of notional = 1/S
    let s = m.spot("BTC").unwrap();
    assert!(
        (t.size + h.before.delta * s).abs() < 1e-6 * s,
        "{} vs {}",
        t.size,
        -h.before.delta * s
    );
    assert!(h.after.delta.abs() < 1e-9);
    assert!((t.cost_usd - 5e-4 * t.size.abs()).abs() < 1e-9);
    assert!(
        (h.after.vega - h.before.vega).abs() < 1e-12,
        "a perp carries no vega"
    );
}

#[test]
fn full_hedge_meets_every_band_at_least_cost() {
    let m = market();
    let b = book(&m);
    for bands in [[0.0, 0.0, 0.0], [0.05, 1e-6, 5.0]] {
        let targets = [
            (HedgeGreek::Delta, bands[0]),
            (HedgeGreek::Gamma, bands[1]),
            (HedgeGreek::Vega, bands[2]),
        ];
        let h = &hedge(&b, &m, &spec(&targets, None)).unwrap().hedges[0];
        assert!(h.after.delta.abs() <= bands[0] + 1e-6, "delta {}", h.after.delta);
        assert!(h.after.gamma.abs() <= bands[1] + 1e-9, "gamma {}", h.after.gamma);
        assert!(h.after.vega.abs() <= bands[2] + 1e-4, "vega {}", h.after.vega);
        assert!(
            h.trades.len() <= 4,
            "a vertex uses at most one instrument per constraint: {:?}",
            h.trades
        );
        let cost: f64 = h.trades.iter().map(|t| t.cost_usd).sum();
        assert!((cost - h.cost_usd).abs() < 1e-9 && cost > 0.0);
    }
    // wider bands cost less
    let tight = hedge(
        &b,
        &m,
        &spec(&[(HedgeGreek::Delta, 0.0), (HedgeGreek::Vega, 0.0)], None),
    )
    .unwrap()
    .hedges[0]
        .cost_usd;
    let loose = hedge(
        &b,
        &m,
        &spec(&[(HedgeGreek::Delta, 0.5), (HedgeGreek::Vega, 20.0)], None),
    )
    .unwrap()
    .hedges[0]
        .cost_usd;
    assert!(loose < tight, "{loose} !< {tight}");
}

#[test]
fn unreachable_and_infeasible_targets_are_errors() {
    let m = market();
    let b = book(&m);
    let e = hedge(
        &b,
        &m,
        &spec(&[(HedgeGreek::Vega, 0.0)], Some(&["BTC-PERPETUAL"])),
    )
    .unwrap_err();
    assert!(matches!(e, HedgeError::Unreachable { greek: "vega", .. }), "{e}");
    let e = hedge(
        &b,
        &m,
        &spec(
            &[
                (HedgeGreek::Delta, 0.0),
                (HedgeGreek::Gamma, 0.0),
                (HedgeGreek::Vega, 0.0),
            ],
            Some(&["BTC-PERPETUAL", "BTC-26JUN26-75000-C"]),
        ),
    )
    .unwrap_err();
    assert!(matches!(e, HedgeError::Infeasible { .. }), "{e}");
    let e = hedge(
        &b,
        &m,
        &spec(&[(HedgeGreek::Delta, 0.0)], Some(&["BTC-26JUN26-12345-C"])),
    )
    .unwrap_err();
    assert!(e.to_string().contains("BTC-26JUN26-12345-C"), "{e}");
    let e = hedge(&b, &m, &spec(&[(HedgeGreek::Delta, -1.0)], None)).unwrap_err();
    assert!(matches!(e, HedgeError::BadBand("delta")));
}

/// The minimum-variance hedge of the equal-weight basket of the coins other than BTC and ETH
/// with BTC and ETH: `factor.json` → `min_variance_hedge` (= minus statsmodels' OLS slopes).
#[test]
fn min_variance_hedge_matches_the_reference() {
    use crate::common::{f, json, reference_returns};
    use ballast::hedge::min_variance_hedge;
    let sec = json("factor.json")["sections"]["min_variance_hedge"].clone();
    let r = reference_returns();
    let basket: Vec<String> = sec["portfolio_assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let b = r.select(&basket).unwrap();
    let p = b.portfolio(&vec![1.0 / basket.len() as f64; basket.len()]);
    let names = vec!["BTC".to_string(), "ETH".to_string()];
    let hedges: Vec<Vec<f64>> = names
        .iter()
        .map(|n| r.column(r.asset_index(n).unwrap()).to_vec())
        .collect();
    let h = min_variance_hedge(&p, &names, &hedges, 365, 0.05, 365.0).unwrap();
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(rel(h.hedge_ratios[0], f(&sec["hedge_ratios"]["BTC"])) < 1e-10);
    assert!(rel(h.hedge_ratios[1], f(&sec["hedge_ratios"]["ETH"])) < 1e-10);
    assert!(rel(h.unhedged_vol_annual, f(&sec["unhedged_vol_annual"])) < 1e-10);
    assert!(rel(h.hedged_vol_annual, f(&sec["hedged_vol_annual"])) < 1e-10);
    assert!(rel(h.variance_reduction, f(&sec["variance_reduction"])) < 1e-10);
    for s in &h.single_instrument {
        let want = &sec["single_instrument_hedges"][s.instrument.as_str()];
        assert!(rel(s.hedge_ratio, f(&want["hedge_ratio"])) < 1e-10);
        assert!(rel(s.hedged_vol_annual, f(&want["hedged_vol_annual"])) < 1e-10);
        assert!(rel(s.variance_reduction, f(&want["variance_reduction"])) < 1e-10);
    }
    // walk-forward over the last 365 days: crisis days are the worst 5 % of BTC days
    let oos = h.out_of_sample.unwrap();
    assert_eq!(oos.all.days, 730 - 365);
    assert_eq!(oos.crisis.days + oos.calm.days, oos.all.days);
    assert_eq!(oos.crisis.days, 19);
    // on crash days the short hedge earns what the basket loses
    assert!(
        oos.crisis.mean_hedged > oos.crisis.mean_unhedged + 0.03,
        "{oos:?}"
    );
    assert!(oos.crisis.worst_hedged > oos.crisis.worst_unhedged, "{oos:?}");
    assert!(oos.all.variance_reduction > 0.5 && oos.all.variance_reduction < 1.0);
    // bad input
    let e = min_variance_hedge(&p, &names, &hedges, 2, 0.05, 365.0).unwrap_err();
    assert!(e.to_string().contains("fit_window"), "{e}");
    let same = vec![hedges[0].clone(), hedges[0].clone()];
    let e = min_variance_hedge(&p, &names, &same, 365, 0.05, 365.0).unwrap_err();
    assert!(e.to_string().contains("collinear"), "{e}");
    let e = min_variance_hedge(&p, &names, &hedges, 365, 0.7, 365.0).unwrap_err();
    assert!(e.to_string().contains("crisis_quantile"), "{e}");
}
