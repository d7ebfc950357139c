//! Tick → updated snapshot latency of the service's desk on the 1,000-position benchmark book
//! (900 coin-settled BTC/ETH options, 100 inverse perpetuals; `ballast`'s scenario bench).
//! Each tick is a Deribit message parsed, applied to the book (only the positions it touches
//! repriced, the totals updated by difference) and the book's totals read: what the next
//! snapshot shows. The mix: an index tick (every BTC or ETH position repriced through its
//! forward) every 10th message, otherwise an option's ticker (its mark, mark IV and forward);
//! a whole chain's marks (`markprice.options`, every quote of the coin) is timed apart, and
//! so is the cadence's full revaluation (the clock moved, every position from scratch).
//! Prints p50, p99, p99.9 and the largest of each. Run: `cargo run --release -p
//! ballast-server --example tick_latency`.

#[path = "../../ballast/benches/support/scenario_book.rs"]
#[allow(dead_code)]
mod scenario_book;
#[path = "../../ballast/benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use ballast_server::feed::FeedState;
use ballast_server::{BookSpec, Desk};
use std::time::{Duration, Instant};

fn report(what: &str, mut lat: Vec<f64>) {
    let n = lat.len();
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((p * n as f64) as usize).min(n - 1)];
    println!(
        "{what}, {n} ticks: p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs",
        q(0.5),
        q(0.99),
        q(0.999),
        lat[n - 1]
    );
}

fn index_msg(coin: &str, px: f64, ts: i64) -> String {
    let c = coin.to_lowercase();
    format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.{c}_usd","data":{{"index_name":"{c}_usd","price":{px},"timestamp":{ts}}}}}}}"#
    )
}

fn main() {
    let book = scenario_book::book();
    let m0 = book.market.clone();
    let held: Vec<(String, f64, f64, f64)> = book
        .positions
        .iter()
        .filter(|p| matches!(p.instrument, ballast::instrument::Instrument::Option { .. }))
        .map(|p| {
            let q = &m0.options[&ballast::market::instrument_key(&p.instrument)];
            (p.name.clone(), q.mark_price, q.mark_iv.unwrap_or(0.5), q.forward)
        })
        .collect();
    let mut desk = Desk::new(vec![BookSpec {
        id: "b".into(),
        name: "bench".into(),
        book,
        risk: None,
        limits: Default::default(),
    }])
    .unwrap();
    let mut feed = FeedState::new("bench", Duration::from_secs(30));
    let t0 = 1_776_100_000_000i64;
    let mut ts = t0;
    let n = 20_000;
    let (mut mixed, mut index, mut ticker) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        ts += 1;
        let is_index = i % 10 == 0;
        let msg = if is_index {
            let coin = if i % 20 == 0 { "BTC" } else { "ETH" };
            index_msg(
                coin,
                m0.spot[coin] * (1.0 + 0.001 * ((i as f64) * 0.37).sin()),
                ts,
            )
        } else {
            let (name, mark, iv, fwd) = &held[i % held.len()];
            let w = 1.0 + 0.01 * ((i as f64) * 0.11).cos();
            format!(
                r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"ticker.{name}.100ms","data":{{"instrument_name":"{name}","mark_price":{},"mark_iv":{},"underlying_price":{},"timestamp":{ts}}}}}}}"#,
                mark * w,
                iv * 100.0 * w.sqrt(),
                fwd * (1.0 + (w - 1.0) / 10.0)
            )
        };
        let start = Instant::now();
        feed.process(&mut desk, &msg, start);
        let t = desk.totals("b").expect("the book");
        std::hint::black_box((t.total.delta_usd, t.by_underlying.len(), t.errors.len()));
        let us = start.elapsed().as_secs_f64() * 1e6;
        mixed.push(us);
        if is_index { &mut index } else { &mut ticker }.push(us);
    }
    let c = feed.report(Instant::now()).counts;
    assert_eq!(c.applied as usize, n, "{c:?}");
    report("tick → snapshot, mixed (1 index in 10)", mixed);
    report("  index ticks (~500 positions repriced)", index);
    report("  option tickers (1 position)", ticker);

    // a whole chain's marks, every quote of BTC (about half the book held)
    let btc: Vec<(String, f64, f64)> = m0
        .options
        .values()
        .filter(|q| q.instrument.coin() == "BTC")
        .map(|q| (q.name.clone(), q.mark_price, q.mark_iv.unwrap_or(0.5)))
        .collect();
    let mut chain = Vec::new();
    for _ in 0..200 {
        ts += 1;
        let items: Vec<String> = btc
            .iter()
            .map(|(name, mark, iv)| {
                format!(r#"{{"instrument_name":"{name}","mark_price":{mark},"iv":{iv},"timestamp":{ts}}}"#)
            })
            .collect();
        let msg = format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"markprice.options.btc_usd","data":[{}]}}}}"#,
            items.join(",")
        );
        let start = Instant::now();
        feed.process(&mut desk, &msg, start);
        std::hint::black_box(desk.totals("b").expect("the book").total.delta_usd);
        chain.push(start.elapsed().as_secs_f64() * 1e6);
    }
    report(
        &format!("markprice.options.btc_usd ({} quotes)", btc.len()),
        chain,
    );

    // the cadence: the clock moves and every position is revalued from scratch
    let mut full = Vec::new();
    for _ in 0..200 {
        ts += 1_000;
        feed.process(&mut desk, &index_msg("BTC", m0.spot["BTC"], ts), Instant::now());
        let start = Instant::now();
        desk.advance_clocks();
        std::hint::black_box(desk.totals("b").expect("the book").total.delta_usd);
        full.push(start.elapsed().as_secs_f64() * 1e6);
    }
    report("cadence: clock moved, full revaluation", full);
}
