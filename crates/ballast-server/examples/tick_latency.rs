//! Tick → updated snapshot latency of the service's desk on the 1,000-position benchmark book
//! (900 coin-settled BTC/ETH options, 100 inverse perpetuals; `ballast`'s scenario bench).
//! Each tick is a Deribit message (an index, or an option's ticker) parsed, applied to the
//! book's market, and the book's Greeks recomputed (what a snapshot costs). Prints p50, p99,
//! p99.9 and the largest of 20,000 ticks. Run: `cargo run --release -p ballast-server
//! --example tick_latency`.

#[path = "../../ballast/benches/support/scenario_book.rs"]
#[allow(dead_code)]
mod scenario_book;
#[path = "../../ballast/benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use ballast_server::feed::FeedState;
use ballast_server::{BookSpec, Desk};
use std::time::{Duration, Instant};

fn main() {
    let book = scenario_book::book();
    let names: Vec<String> = book
        .positions
        .iter()
        .filter(|p| matches!(p.instrument, ballast::instrument::Instrument::Option { .. }))
        .map(|p| p.name.clone())
        .collect();
    let spot = book.market.spot.clone();
    let marks: Vec<f64> = names
        .iter()
        .map(|n| {
            let p = ballast::instrument::Position::new(n, 1.0, "deribit").unwrap();
            book.market.options[&ballast::market::instrument_key(&p.instrument)].mark_price
        })
        .collect();
    let mut desk = Desk::new(vec![BookSpec {
        id: "b".into(),
        name: "bench".into(),
        book,
    }])
    .unwrap();
    let mut feed = FeedState::new("bench", Duration::from_secs(30));
    let t0 = 1_776_100_000_000i64;
    let n = 20_000;
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let ts = t0 + i as i64;
        let msg = if i % 2 == 0 {
            let coin = if i % 4 == 0 { "BTC" } else { "ETH" };
            let px = spot[coin] * (1.0 + 0.001 * ((i as f64) * 0.37).sin());
            format!(
                r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.{}_usd","data":{{"index_name":"{}_usd","price":{px},"timestamp":{ts}}}}}}}"#,
                coin.to_lowercase(),
                coin.to_lowercase()
            )
        } else {
            let k = (i / 2) % names.len();
            let mark = marks[k] * (1.0 + 0.01 * ((i as f64) * 0.11).cos());
            format!(
                r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"ticker.{0}.100ms","data":{{"instrument_name":"{0}","mark_price":{mark},"timestamp":{ts}}}}}}}"#,
                names[k]
            )
        };
        let start = Instant::now();
        feed.process(&mut desk, &msg, start);
        let g = desk.greeks("b").expect("the book values");
        std::hint::black_box(g.total.delta_usd);
        lat.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let c = feed.report(Instant::now()).counts;
    assert_eq!(c.applied as usize, n, "{c:?}");
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((p * n as f64) as usize).min(n - 1)];
    println!(
        "tick → snapshot (parse, apply, Greeks of 1,000 positions), {n} ticks: p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs",
        q(0.5),
        q(0.99),
        q(0.999),
        lat[n - 1]
    );
}
