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
