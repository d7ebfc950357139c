//! The scenario benchmark's book — 1,000 positions on the 2026-04-13 Deribit snapshot: 900
//! coin-settled BTC and ETH options (positive mark, more than a day to expiry, evenly spaced
//! through the chains; sizes ±0.1…5 coins, seeded) and 100 inverse perpetuals (±1,000…200,000
//! USD) — and its scenarios, shared by `benches/scenario.rs` and `examples/scenario_timing.rs`.

use crate::support::data_path;
use ballast::book::Book;
use ballast::instrument::Position;
use ballast::io::{read_futures_prices, read_option_chain, read_prices};
use ballast::market::MarketSnapshot;
use ballast::pricing::{year_fraction, DAYS_PER_YEAR};
use ballast::scenario::{
    historical_scenarios, monte_carlo_scenarios, HistoricalScenarios, HistoricalSpec, McDistribution, McSpec,
    ScenarioSet, VolHistory,
};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Options in the book.
pub const OPTIONS: usize = 900;
/// Perpetuals in the book.
pub const PERPETUALS: usize = 100;

/// The snapshot and the names of the options eligible for the book (positive mark, more than
/// one day to expiry), BTC chain first, in file order.
pub fn market() -> (MarketSnapshot, Vec<String>) {
    let mut rows = Vec::new();
    for f in [
        "deribit_BTC_options_2026-04-13.csv",
        "deribit_ETH_options_2026-04-13.csv",
    ] {
        let path = data_path(f);
        rows.extend(read_option_chain(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    let quoted: Vec<(String, f64, Option<jiff::Timestamp>)> = rows
        .iter()
        .filter_map(|r| r.quote.as_ref().ok())
        .map(|q| (q.name.clone(), q.mark_price, q.instrument.expiry()))
        .collect();
    let mut m = MarketSnapshot::from_chain_rows(rows).expect("market snapshot");
    let fut = data_path("deribit_futures_term_structure.csv");
    m.futures = read_futures_prices(&fut, m.as_of).unwrap_or_else(|e| panic!("{}: {e}", fut.display()));
    let as_of = m.as_of.expect("the snapshot has a valuation instant");
    let eligible = quoted
        .into_iter()
        .filter(|(_, mark, expiry)| {
            *mark > 0.0 && expiry.is_some_and(|e| year_fraction(as_of, e) * DAYS_PER_YEAR > 1.0)
        })
        .map(|(name, ..)| name)
        .collect();
    (m, eligible)
}

/// The benchmark book (see the module docs).
pub fn book() -> Book {
    let (market, eligible) = market();
    assert!(!eligible.is_empty(), "no eligible option in the chains");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let sign = |rng: &mut Xoshiro256PlusPlus| if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    let mut positions = Vec::with_capacity(OPTIONS + PERPETUALS);
    for i in 0..OPTIONS {
        let name = if eligible.len() >= OPTIONS {
            &eligible[i * eligible.len() / OPTIONS]
        } else {
            &eligible[i % eligible.len()]
        };
        let size = sign(&mut rng) * rng.random_range(0.1..5.0);
        positions.push(Position::new(name, size, "deribit").expect("a Deribit option name"));
    }
    for i in 0..PERPETUALS {
        let name = if i % 2 == 0 {
            "BTC-PERPETUAL"
        } else {
            "ETH-PERPETUAL"
        };
        let size = sign(&mut rng) * rng.random_range(1_000.0..200_000.0);
        positions.push(Position::new(name, size, "deribit").expect("a perpetual"));
    }
    Book { positions, market }
}

/// The last 1,500 1-day BTC/ETH spot and DVOL moves, and `mc` Gaussian 1-day draws on their
/// covariance (seed 42).
pub fn scenario_sets(mc: usize) -> (HistoricalScenarios, ScenarioSet) {
    let coins: Vec<String> = vec!["BTC".into(), "ETH".into()];
    let read = |f: &str| {
        let path = data_path(f);
        read_prices(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let (prices, dvol) = (read("crypto_daily_close.csv"), read("deribit_dvol_daily.csv"));
    let hist = historical_scenarios(
        &prices,
        Some(VolHistory { panel: &dvol }),
        &coins,
        &HistoricalSpec {
            window: 1_500,
            with_vol: true,
            ..Default::default()
        },
    )
    .expect("historical scenarios");
    let sims = monte_carlo_scenarios(
        &hist.set,
        &McSpec {
            scenarios: mc,
            horizon_days: 1,
            distribution: McDistribution::Gaussian,
            seed: 42,
        },
    )
    .expect("Monte Carlo scenarios");
    (hist, sims.set)
}
