//! Portfolio Greeks of a derivatives book: analytic Greeks against finite differences of the
//! full revaluation, aggregation identities, bad positions.

use ballast::book::{book_greeks, position_risk, position_value, scenario_pnl, Shock, STANDARD_SHOCKS};
use ballast::instrument::Position;
use ballast::market::MarketSnapshot;

pub fn market() -> MarketSnapshot {
    let mut rows = Vec::new();
    for f in [
        "deribit_BTC_options_2026-04-13.csv",
        "deribit_ETH_options_2026-04-13.csv",
    ] {
        let p = crate::common::data_path(f);
        rows.extend(ballast::io::read_option_chain(p).unwrap());
    }
    let mut m = MarketSnapshot::from_chain_rows(rows).unwrap();
    let fut = crate::common::data_path("deribit_futures_term_structure.csv");
    m.futures = ballast::io::read_futures_prices(fut, m.as_of).unwrap();
    m
}

pub fn positions() -> Vec<Position> {
    [
        ("BTC", 2.0),
        ("BTC-PERPETUAL", -50_000.0),
        ("BTC-26JUN26", 30_000.0),
        ("BTC-26JUN26-80000-C", -5.0),
        ("BTC-29MAY26-65000-P", 4.0),
        ("ETH-26JUN26-2500-C", -30.0),
        ("ETH-PERPETUAL", 10_000.0),
    ]
    .iter()
    .map(|(n, s)| Position::new(n, *s, "deribit").unwrap())
    .collect()
}

#[test]
fn greeks_match_finite_differences_of_the_revaluation() {
    let m = market();
    for p in positions() {
        let r = position_risk(&p, &m).unwrap();
        let s = r.spot;
        let h = 1e-4; // relative spot bump
        let v = |x: f64, dv: f64| position_value(&p, &m, Shock { spot: x, vol: dv }).unwrap();
        let fd_delta = (v(h, 0.0) - v(-h, 0.0)) / (2.0 * h * s);
        let fd_gamma = (v(h, 0.0) - 2.0 * v(0.0, 0.0) + v(-h, 0.0)) / (h * s).powi(2);
        assert!(
            (r.delta - fd_delta).abs() <= 1e-6 * r.delta.abs().max(1e-3),
            "{}: delta {} vs {fd_delta}",
            p.name,
            r.delta
        );
        assert!(
            (r.gamma - fd_gamma).abs() <= 1e-4 * r.gamma.abs().max(1e-9),
            "{}: gamma {} vs {fd_gamma}",
            p.name,
            r.gamma
        );
        let fd_vega = (v(0.0, 1e-4) - v(0.0, -1e-4)) / 2e-4 / 100.0;
        assert!(
            (r.vega - fd_vega).abs() <= 1e-6 * r.vega.abs().max(1e-3),
            "{}: vega {} vs {fd_vega}",
            p.name,
            r.vega
        );
        assert!((r.value_usd - v(0.0, 0.0)).abs() <= 1e-9 * r.value_usd.abs().max(1.0));
        assert!((r.delta_usd - r.delta * s).abs() <= 1e-9 * r.delta_usd.abs().max(1.0));
    }
}

#[test]
fn coin_settled_option_value_is_mark_times_index() {
    let m = market();
    let p = Position::new("BTC-26JUN26-80000-C", 1.0, "deribit").unwrap();
    let r = position_risk(&p, &m).unwrap();
    let q = m.option(&p.instrument).unwrap();
    // at the mark IV the Black price in coin is the mark (to the chain's 8 decimals)
    let mark_usd = q.mark_price * m.spot("BTC").unwrap();
    assert!(
        (r.value_usd - mark_usd).abs() < 1e-8 * m.spot("BTC").unwrap(),
        "{} vs {mark_usd}",
        r.value_usd
    );
    // premium-adjusted delta = delta − value in coin
    assert!((r.delta_premium_adjusted - (r.delta - q.mark_price)).abs() < 1e-7);
}

#[test]
fn aggregates_add_up_and_scenarios_revalue() {
    let m = market();
    let ps = positions();
    let g = book_greeks(&ps, &m).unwrap();
    let btc: f64 = g
        .lines
        .iter()
        .filter(|l| l.position.instrument.coin() == "BTC")
        .map(|l| l.risk.delta)
        .sum();
    assert!((g.by_underlying["BTC"].delta - btc).abs() < 1e-12);
    let by_bucket: f64 = g
        .by_expiry
        .iter()
        .filter(|((c, _), _)| c == "BTC")
        .map(|(_, t)| t.vega)
        .sum();
    assert!((by_bucket - g.by_underlying["BTC"].vega).abs() < 1e-9);
    let total_usd: f64 = g.by_underlying.values().map(|t| t.delta_usd).sum();
    assert!((g.total.delta_usd - total_usd).abs() < 1e-6);
    let sc = scenario_pnl(&ps, &m, &STANDARD_SHOCKS).unwrap();
    // a 1 % move: P&L ≈ delta·ΔS + ½ gamma·ΔS² (full revaluation agrees with Taylor to O(ΔS³))
    let up = &sc[3];
    assert_eq!(up.shock.spot, 0.01);
    for (coin, t) in &g.by_underlying {
        let ds = 0.01 * m.spot(coin).unwrap();
        let taylor = t.delta * ds + 0.5 * t.gamma * ds * ds;
        let pnl = up.by_underlying[coin];
        assert!(
            (pnl - taylor).abs() < 0.02 * pnl.abs().max(1.0),
            "{coin}: {pnl} vs {taylor}"
        );
    }
    assert!((up.total - up.by_underlying.values().sum::<f64>()).abs() < 1e-9);
}

#[test]
fn unknown_and_expired_positions_are_errors_naming_them() {
    let m = market();
    let bad = Position::new("BTC-26JUN26-81234-C", 1.0, "deribit").unwrap();
    let e = book_greeks(&[bad], &m).unwrap_err().to_string();
    assert!(
        e.contains("BTC-26JUN26-81234-C") && e.contains("not in the option chain"),
        "{e}"
    );
    let expired = Position::new("BTC-10APR26-70000-C", 1.0, "deribit").unwrap();
    let e = book_greeks(&[expired], &m).unwrap_err().to_string();
    assert!(e.contains("BTC-10APR26-70000-C"), "{e}");
    let e = book_greeks(&[Position::new("SOL", 1.0, "spot").unwrap()], &m)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no spot price for SOL"), "{e}");
    assert!(Position::new("BTC-26JUN26-80000-Q", 1.0, "deribit").is_err());
}

#[test]
fn inverse_futures_pay_their_coin_pnl_at_spot() {
    // a USD notional N at contract price F earns N(1/F − 1/F′) coins, worth that × S′ USD;
    // Deribit's position delta in coins is N / F
    let m = market();
    for name in ["BTC-26JUN26", "BTC-PERPETUAL", "ETH-PERPETUAL"] {
        let n = 30_000.0;
        let p = Position::new(name, n, "deribit").unwrap();
        let coin = p.instrument.coin().to_string();
        let s = m.spot(&coin).unwrap();
        let f = m
            .futures
            .get(name)
            .copied()
            .unwrap_or_else(|| m.spot(&coin).unwrap());
        let r = position_risk(&p, &m).unwrap();
        assert!(
            (r.delta - n / f).abs() < 1e-12 * (n / f),
            "{name}: delta {} vs {}",
            r.delta,
            n / f
        );
        for x in [-0.3, -0.05, 0.01, 0.2] {
            let coins = n * (1.0 / f - 1.0 / (f * (1.0 + x)));
            let want = coins * s * (1.0 + x);
            let got = position_value(&p, &m, Shock { spot: x, vol: 0.0 }).unwrap();
            assert!(
                (got - want).abs() < 1e-9 * want.abs().max(1.0),
                "{name} {x}: {got} vs {want}"
            );
        }
    }
}
