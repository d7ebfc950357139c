//! Times Ballast's Deribit portfolio-margin risk matrix (`portfolio_margin`) on the benchmark's
//! books of 10, 100 and 1,000 BTC positions and writes each book out, instrument by instrument,
//! so that `scripts/compare_margin.sh` can compute the same matrix in NumPy and compare the
//! results and the times.
//!
//! Usage: `cargo run --release -p ballast --example margin_timing -- OUT_DIR`
//!
//! The books are those of `benches/margin.rs` (`book(n)` of `benches/support/margin_book.rs`), the parameters
//! `examples/deribit_pm_params.toml`. Writes `OUT_DIR/book_{n}.json`: the parameters (Deribit's
//! `model_params` keys), the index price, the extended moves, and per position (in the order
//! Ballast visits them) its name, `kind` (`perpetual`, `future` or `option`), `expiry_years`
//! (Ballast's year fraction: seconds to the 08:00 UTC expiry / (365 × 86,400); 0 for
//! perpetuals), `strike`, `call`, `size` (coins), `mark_iv`, `underlying_price`. Prints one JSON
//! line per book: `{"n", "median_seconds", "standard", "extended"}` (the aggregated
//! `btc_btc` risk vector) and the margins (`maintenance_margin`, `worst_case`, `roll_shock`,
//! `delta_shock`).
//!
//! Timed: one `portfolio_margin(&params, &input)` call, i.e. parameter validation, parsing every
//! instrument name of the `PmInput` maps, ticker look-ups, the revaluations, the per-instrument
//! and aggregated vectors and the margins; median of 25 batches of ~20 ms after a warm-up.

use ballast::instrument::{parse_deribit_name, Instrument, OptionKind};
use ballast::margin::deribit::{portfolio_margin, PmInput, PmParams, EXTENDED_MOVES};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::{Path, PathBuf};

#[path = "../benches/support/margin_book.rs"]
mod margin_book;
use margin_book::book;
#[path = "../benches/support/mod.rs"]
mod support;
use support::median_seconds;

fn params() -> PmParams {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/deribit_pm_params.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).expect("deribit_pm_params.toml")
}

/// Years from `now` to `expiry`, as Ballast's risk matrix counts them (365-day years).
fn years(now: jiff::Timestamp, expiry: jiff::Timestamp) -> f64 {
    const YEAR_SECONDS: f64 = 365.0 * 86_400.0;
    (expiry.as_second() - now.as_second()) as f64 / YEAR_SECONDS
        + (expiry.subsec_nanosecond() - now.subsec_nanosecond()) as f64 * 1e-9 / YEAR_SECONDS
}

/// The book's positions, one object each, with the instrument fields the NumPy side needs.
/// Only coin-settled (inverse) BTC instruments: what the book holds and the NumPy side models.
fn positions_json(input: &PmInput) -> Vec<Value> {
    let now = input.now.expect("the book has a valuation instant");
    input
        .positions
        .iter()
        .map(|(name, &size)| {
            let instrument = parse_deribit_name(name).expect("a Deribit name");
            assert_eq!(instrument.coin(), "BTC", "{name}: the NumPy side models BTC only");
            let tk = &input.tickers[name];
            let t = instrument.expiry().map_or(0.0, |e| years(now, e));
            match instrument {
                Instrument::Perpetual { .. } | Instrument::Future { .. } => json!({
                    "name": name,
                    "kind": if matches!(instrument, Instrument::Perpetual { .. }) { "perpetual" } else { "future" },
                    "expiry_years": t,
                    "size": size,
                    "mark_price": tk.mark_price,
                }),
                Instrument::Option { strike, kind, .. } => json!({
                    "name": name,
                    "kind": "option",
                    "expiry_years": t,
                    "strike": strike,
                    "call": kind == OptionKind::Call,
                    "size": size,
                    "mark_iv": tk.mark_iv.expect("option mark IV"),
                    "underlying_price": tk.underlying_price.expect("option underlying"),
                }),
                Instrument::Spot { .. } => panic!("{name}: spot in the book"),
            }
        })
        .collect()
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: margin_timing OUT_DIR"));
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let p = params();
    for n in [10, 100, 1000] {
        let input = book(n);
        let doc = json!({
            "n": n,
            "params": serde_json::to_value(&p).expect("parameters as JSON"),
            "extended_moves": EXTENDED_MOVES,
            "index_price": input.index_price["btc_usd"],
            "positions": positions_json(&input),
        });
        let path = out.join(format!("book_{n}.json"));
        std::fs::write(&path, doc.to_string()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));

        let r = portfolio_margin(&p, &input).expect("portfolio margin");
        let t =
            median_seconds(|| portfolio_margin(black_box(&p), black_box(&input)).expect("portfolio margin"));
        assert_eq!(
            r.aggregated_risk_vectors.keys().collect::<Vec<_>>(),
            ["btc_btc"],
            "one settlement currency and underlying"
        );
        let v = &r.aggregated_risk_vectors["btc_btc"];
        let m = &r.margins["btc"];
        let d = &m.initial_margin_details.risk_matrix_margin_details;
        let line = json!({
            "n": n,
            "median_seconds": t,
            "standard": v.standard,
            "extended": v.extended,
            "maintenance_margin": m.maintenance_margin,
            "worst_case": d.worst_case,
            "roll_shock": d.roll_shock,
            "delta_shock": d.delta_shock,
        });
        println!("{line}");
    }
}
