//! Deribit portfolio margin. Run: `cargo bench -p ballast --bench margin`.
//! Targets (issue "margin"): the risk matrix (27 + 8 scenarios) of a 1,000-position book in
//! under 1 ms on one core; the liquidation moves of that book in under 5 ms
//! (`option_book_with_liquidation`: the whole account, fall and rise searched in parallel).

use ballast::margin::deribit::{account_margin, book_margin, portfolio_margin, PmInput, PmParams, Ticker};
use divan::{black_box, Bencher};
use std::collections::BTreeMap;

fn main() {
    divan::main();
}

fn params() -> PmParams {
    toml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/deribit_pm_params.toml"
        ))
        .unwrap(),
    )
    .unwrap()
}

/// A book of `n` BTC positions: options across six expiries and strikes from 40 % to 160 % of
/// the index, long and short, plus the perpetual and three dated futures (every tenth entry adds
/// to one of them).
fn book(n: usize) -> PmInput {
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

#[divan::bench(args = [10, 100, 1000])]
fn risk_matrix(bencher: Bencher, n: usize) {
    let (p, input) = (params(), book(n));
    bencher.bench(|| portfolio_margin(black_box(&p), black_box(&input)).unwrap());
}

#[divan::bench(args = [10, 100, 1000])]
fn with_liquidation_moves(bencher: Bencher, n: usize) {
    use ballast::instrument::Position;
    use ballast::market::MarketSnapshot;
    let p = params();
    // the same book through the book path needs chain quotes; the perpetual-only case times the
    // root search itself (each step recomputes the risk matrix)
    let mut market = MarketSnapshot {
        as_of: Some("2026-04-13T10:00:00Z".parse().unwrap()),
        ..MarketSnapshot::default()
    };
    market.spot.insert("BTC".into(), 70_000.0);
    market.futures.insert("BTC-PERPETUAL".into(), 70_000.0);
    let positions: Vec<Position> = (0..n)
        .map(|_| Position::new("BTC-PERPETUAL", 7_000.0, "deribit").unwrap())
        .collect();
    let equity: BTreeMap<String, f64> = [("btc".to_string(), 0.02 * n as f64)].into();
    bencher.bench(|| book_margin(black_box(&p), black_box(&positions), black_box(&market), &equity).unwrap());
}

/// The whole account of the option book: risk matrix, standard margin and the liquidation moves
/// (each step of the search re-evaluates the book's risk matrix at the moved index). Equity is
/// set at 1.5× the maintenance margin, so both searches run.
#[divan::bench(args = [10, 100, 1000])]
fn option_book_with_liquidation(bencher: Bencher, n: usize) {
    let (p, input) = (params(), book(n));
    let mm = portfolio_margin(&p, &input).unwrap().margins["btc"].maintenance_margin;
    let equity: BTreeMap<String, f64> = [("btc".to_string(), 1.5 * mm)].into();
    let (_, acc) = account_margin(&p, &input, &equity).unwrap();
    assert!(acc[0].liquidation[0].fall.is_some() || acc[0].liquidation[0].rise.is_some());
    bencher.bench(|| account_margin(black_box(&p), black_box(&input), &equity).unwrap());
}
