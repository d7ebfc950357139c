//! The synthetic BTC book of the margin benchmark, shared with `examples/margin_timing.rs`.

use ballast::margin::deribit::{PmInput, Ticker};

/// A book of `n` BTC positions: options across six expiries and strikes from 40 % to 160 % of
/// the index, long and short, plus the perpetual and three dated futures (every tenth entry adds
/// to one of them).
pub fn book(n: usize) -> PmInput {
    let now: jiff::Timestamp = "2026-04-13T10:00:00Z".parse().unwrap();
    let expiries = ["17APR26", "24APR26", "29MAY26", "26JUN26", "25SEP26", "25DEC26"];
    let mut input = PmInput {
        now: Some(now),
        index_price: [("btc_usd".to_string(), 70_000.0)].into(),
        ..PmInput::default()
    };
    let mut k = 0;
    while input.positions.len() < n {
        assert!(k < 100 * n, "the generator repeats names");
        let e = expiries[k % expiries.len()];
        let size = if k % 3 == 0 {
            -1.5
        } else {
            1.0 + (k % 7) as f64 * 0.1
        };
        let name = if k % 10 == 0 {
            if k % 20 == 0 {
                "BTC-PERPETUAL".to_string()
            } else {
                format!("BTC-{e}")
            }
        } else {
            // distinct (expiry, strike, type) for every k: strikes 28,000 … 112,000 in steps of 1,000
            let strike = 28_000 + 1_000 * ((k / 12) % 85);
            let kind = if (k / 6) % 2 == 0 { "C" } else { "P" };
            let e = expiries[(k + k / 1020) % expiries.len()];
            format!("BTC-{e}-{strike}-{kind}")
        };
        let is_option = name.ends_with("-C") || name.ends_with("-P");
        input.tickers.insert(
            name.clone(),
            Ticker {
                mark_price: if is_option { 0.05 } else { 70_500.0 },
                mark_iv: is_option.then_some(0.45 + 0.001 * (k % 50) as f64),
                underlying_price: is_option.then_some(70_400.0),
            },
        );
        *input.positions.entry(name).or_insert(0.0) += size;
        k += 1;
    }
    input
}
