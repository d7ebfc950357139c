//! The live book: a tick reprices only what it touches, yet the book always equals one valued
//! from scratch on the snapshot the ticks left; an index tick is the book's spot shock; bad
//! ticks change nothing.

use crate::book::{market, positions};
use ballast::book::{book_greeks, position_risk, position_value, GreeksTotals, LiveBook, Shock};
use ballast::instrument::{Instrument, Position};
use ballast::market::MarketSnapshot;
use proptest::prelude::*;

/// |a − b| ≤ tol·(1 + |b|); false on NaN.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn same_totals(a: &GreeksTotals, b: &GreeksTotals, tol: f64) -> Result<(), String> {
    for (name, x, y) in [
        ("value_usd", a.value_usd, b.value_usd),
        ("delta_usd", a.delta_usd, b.delta_usd),
        ("gamma_usd_1pct", a.gamma_usd_1pct, b.gamma_usd_1pct),
        ("vega", a.vega, b.vega),
        ("theta", a.theta, b.theta),
    ] {
        if !close(x, y, tol) {
            return Err(format!("{name}: {x} vs {y}"));
        }
    }
    Ok(())
}

/// Every position's risk and every total of `live` equal a book valued afresh on its snapshot.
fn equals_fresh(live: &LiveBook, tol: f64) -> Result<(), String> {
    let fresh = LiveBook::new(live.positions().to_vec(), live.market().clone());
    for i in 0..live.positions().len() {
        let (a, b) = (live.risk(i).unwrap(), fresh.risk(i).unwrap());
        for (x, y) in [
            (a.value_usd, b.value_usd),
            (a.delta, b.delta),
            (a.delta_usd, b.delta_usd),
            (a.gamma, b.gamma),
            (a.vega, b.vega),
            (a.theta, b.theta),
        ] {
            if !close(x, y, tol) {
                return Err(format!("{}: {a:?} vs {b:?}", live.positions()[i].name));
            }
        }
    }
    same_totals(&live.total(), &fresh.total(), tol)?;
    for (coin, t) in live.by_underlying() {
        same_totals(t, &fresh.by_underlying()[coin], tol).map_err(|e| format!("{coin}: {e}"))?;
    }
    Ok(())
}

fn live() -> (LiveBook, MarketSnapshot) {
    let m = market();
    (LiveBook::new(positions(), m.clone()), m)
}

#[test]
fn a_new_live_book_is_the_books_greeks() {
    let (b, m) = live();
    let g = book_greeks(&positions(), &m).unwrap();
    let l = b.greeks().unwrap();
    assert_eq!(l.lines, g.lines);
    assert_eq!(l.by_expiry, g.by_expiry);
    assert_eq!(l.by_venue, g.by_venue);
    same_totals(&l.total, &g.total, 1e-12).unwrap();
    assert!(l.total.delta.is_nan() && b.total().gamma.is_nan());
    for (c, t) in &g.by_underlying {
        same_totals(&b.by_underlying()[c], t, 1e-12).unwrap();
    }
    assert!(b.errors().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Index ticks: each position is worth what the book's spot shock of S/S₀ − 1 gives, and
    /// the incremental totals equal the totals summed afresh.
    #[test]
    fn index_ticks_are_the_books_spot_shock(moves in prop::collection::vec((any::<bool>(), -0.15f64..0.15), 1..12)) {
        // the same perpetual at two venues: its price must move once per tick, not twice
        let mut ps = positions();
        ps.push(Position::new("BTC-PERPETUAL", 20_000.0, "binance").unwrap());
        let m0 = market();
        let mut b = LiveBook::new(ps, m0.clone());
        for (btc, x) in moves {
            let coin = if btc { "BTC" } else { "ETH" };
            let s = b.market().spot[coin] * (1.0 + x);
            b.set_spot(coin, s).unwrap();
        }
        let k = |coin: &str| b.market().spot[coin] / m0.spot[coin];
        // the snapshot with every price of each coin moved by its factor (fixed basis)
        let mut moved = m0.clone();
        for (c, s) in moved.spot.iter_mut() {
            *s *= k(c);
        }
        for ((c, _), f) in moved.forwards.iter_mut() {
            *f *= k(c);
        }
        for (name, px) in moved.futures.iter_mut() {
            *px *= k(Position::new(name, 1.0, "deribit").unwrap().instrument.coin());
        }
        for (i, p) in b.positions().iter().enumerate() {
            let coin = p.instrument.coin();
            let got = b.risk(i).unwrap();
            if matches!(p.instrument, Instrument::Spot { .. } | Instrument::Option { .. }) {
                // one unit's value, floored at nothing (the live mark never goes negative)
                let unit = Position::new(&p.name, 1.0, &p.venue).unwrap();
                let shock = Shock { spot: k(coin) - 1.0, vol: 0.0 };
                let want = p.size * position_value(&unit, &m0, shock).unwrap().max(0.0);
                prop_assert!(close(got.value_usd, want, 1e-9), "{}: {} vs {want}", p.name, got.value_usd);
            } else {
                let want = position_risk(p, &moved).unwrap();
                prop_assert!(close(got.delta, want.delta, 1e-9), "{}: delta {} vs {}", p.name, got.delta, want.delta);
                prop_assert!(close(got.delta_usd, want.delta_usd, 1e-9), "{}", p.name);
            }
        }
        prop_assert!(equals_fresh(&b, 1e-8).is_ok(), "{:?}", equals_fresh(&b, 1e-8));
    }

    /// Any mix of index, option-quote and futures ticks, then the clock: always the fresh book.
    #[test]
    fn any_ticks_leave_the_fresh_book(ticks in prop::collection::vec((0u8..3, 0usize..7, -0.1f64..0.1), 1..20), hours in 1i64..48) {
        let (mut b, _) = live();
        let ps: Vec<Position> = positions();
        for (kind, i, x) in ticks {
            let p = &ps[i];
            match (kind, &p.instrument) {
                (1, Instrument::Option { .. }) => {
                    let q = b.market().option(&p.instrument).unwrap().clone();
                    b.set_option_quote(&p.instrument, q.mark_price * (1.0 + x), q.mark_iv.map(|v| v * (1.0 + x / 2.0)), Some(q.forward * (1.0 + x / 10.0)), None).unwrap();
                }
                (2, Instrument::Perpetual { .. } | Instrument::Future { .. }) => {
                    let px = b.market().futures[&p.name];
                    prop_assert_eq!(b.set_future_price(&p.name, px * (1.0 + x)).unwrap(), 1);
                }
                _ => {
                    let coin = p.instrument.coin();
                    let s = b.market().spot[coin] * (1.0 + x);
                    b.set_spot(coin, s).unwrap();
                }
            }
            prop_assert!(equals_fresh(&b, 1e-8).is_ok(), "{:?}", equals_fresh(&b, 1e-8));
        }
        let later = b.market().as_of.unwrap() + jiff::SignedDuration::from_hours(hours);
        b.advance(later);
        prop_assert!(equals_fresh(&b, 1e-12).is_ok());
        prop_assert_eq!(b.market().as_of, Some(later));
    }
}

#[test]
fn bad_ticks_change_nothing() {
    let (mut b, _) = live();
    let before = (b.total(), b.market().spot.clone(), b.market().futures.clone());
    let call = Position::new("BTC-26JUN26-80000-C", 1.0, "deribit").unwrap();
    let q = b.market().option(&call.instrument).unwrap().clone();
    for s in [f64::NAN, -1.0, 0.0, f64::INFINITY] {
        assert!(b.set_spot("BTC", s).is_err(), "{s}");
        assert!(b.set_future_price("BTC-PERPETUAL", s).is_err(), "{s}");
        if s != 0.0 {
            assert!(
                b.set_option_quote(&call.instrument, s, None, None, None).is_err(),
                "{s}"
            );
        }
        assert!(b
            .set_option_quote(&call.instrument, q.mark_price, Some(s), None, None)
            .is_err());
        assert!(b
            .set_option_quote(&call.instrument, q.mark_price, None, Some(s), None)
            .is_err());
    }
    let unknown = Position::new("BTC-26JUN26-1234-C", 1.0, "deribit").unwrap();
    let e = b
        .set_option_quote(&unknown.instrument, 0.01, None, None, None)
        .unwrap_err();
    assert!(e.to_string().contains("not in the option chain"), "{e}");
    let after = (b.total(), b.market().spot.clone(), b.market().futures.clone());
    assert_eq!(format!("{before:?}"), format!("{after:?}"));
    assert_eq!(
        b.market().option(&call.instrument).unwrap().mark_price,
        q.mark_price
    );
    // a coin the book does not hold: nothing to reprice
    assert_eq!(b.set_spot("DOGE", 0.1).unwrap(), 0);
}

#[test]
fn unvaluable_positions_are_kept_and_named() {
    let mut ps = positions();
    ps.push(Position::new("BTC-26JUN26-1234-C", 1.0, "deribit").unwrap());
    let b = LiveBook::new(ps, market());
    let errs = b.errors();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0.name, "BTC-26JUN26-1234-C");
    let e = b.greeks().unwrap_err().to_string();
    assert!(
        e.contains("BTC-26JUN26-1234-C") && e.contains("not in the option chain"),
        "{e}"
    );
    // the others are valued: totals are the book without it
    let (good, _) = live();
    same_totals(&b.total(), &good.total(), 1e-12).unwrap();
}

/// A coin the snapshot has no index for: its positions cannot be valued until its first index
/// tick, which values them.
#[test]
fn a_first_index_values_what_needed_it() {
    let mut m = market();
    let eth = m.spot.remove("ETH").unwrap();
    let mut b = LiveBook::new(positions(), m);
    assert!(b.errors().iter().any(|(p, _)| p.instrument.coin() == "ETH"));
    let n = b.set_spot("ETH", eth).unwrap();
    assert!(n > 0 && b.errors().is_empty(), "{:?}", b.errors());
    let (good, _) = live();
    same_totals(&b.total(), &good.total(), 1e-12).unwrap();
}
