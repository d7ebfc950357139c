//! Covariance estimators and risk measures. Run: `cargo bench -p ballast --bench estimate`.
//! Sizes: the shared panel (T = 730, N = 39) and T = 1000, N = 500 (scikit-learn's
//! Ledoit–Wolf takes about 50 ms on this machine class there).

mod support;

use ballast::estimate::{Ewma, LedoitWolf, Oas, SampleCovariance, ShrinkageTarget};
use ballast::risk::risk_summary;
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

fn returns(size: &str) -> ballast::data::Returns {
    match size {
        "730x39" => support::real_returns(),
        _ => support::synthetic_returns(1000, 500, 7),
    }
}

const SIZES: &[&str] = &["730x39", "1000x500"];

#[divan::bench(args = SIZES)]
fn sample(bencher: Bencher, size: &str) {
    let r = returns(size);
    bencher.bench(|| SampleCovariance::default().fit(black_box(&r)).unwrap());
}

#[divan::bench(args = SIZES)]
fn ewma(bencher: Bencher, size: &str) {
    let r = returns(size);
    bencher.bench(|| Ewma::default().fit(black_box(&r)).unwrap());
}

#[divan::bench(args = SIZES)]
fn ledoit_wolf(bencher: Bencher, size: &str) {
    let r = returns(size);
    bencher.bench(|| LedoitWolf::default().fit(black_box(&r)).unwrap());
}

#[divan::bench(args = SIZES)]
fn ledoit_wolf_constant_correlation(bencher: Bencher, size: &str) {
    let r = returns(size);
    let e = LedoitWolf {
        target: ShrinkageTarget::ConstantCorrelation,
    };
    bencher.bench(|| e.fit(black_box(&r)).unwrap());
}

#[divan::bench(args = SIZES)]
fn oas(bencher: Bencher, size: &str) {
    let r = returns(size);
    bencher.bench(|| Oas.fit(black_box(&r)).unwrap());
}

/// Volatility, risk contributions, VaR/CVaR (3 methods × 2 confidences), drawdown, moments.
#[divan::bench(args = SIZES)]
fn risk_summary_all(bencher: Bencher, size: &str) {
    let r = returns(size);
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let n = r.n_assets();
    let w = vec![1.0 / n as f64; n];
    bencher.bench(|| risk_summary(black_box(&r), &cov, &w, &[0.95, 0.99]).unwrap());
}

/// Every coin of the daily panel over `days`, each pair over its overlap (coins listed inside
/// the window included): the pairwise-complete covariance and correlation.
fn gapped(days: usize) -> ballast::data::GappedReturns {
    let panel = ballast::io::read_prices(support::data_path("crypto_daily_close.csv")).unwrap();
    let w = ballast::analysis::WindowRequest {
        window: days,
        ..Default::default()
    };
    w.cut_gapped(&panel).unwrap().1
}

#[divan::bench(args = [730, 3000])]
fn pairwise(bencher: Bencher, days: usize) {
    let g = gapped(days);
    bencher.bench(|| ballast::estimate::pairwise_estimate(black_box(&g), 60).unwrap());
}

/// Higham's nearest correlation matrix of the 730-day pairwise correlation (not PSD, 40 coins).
#[divan::bench]
fn nearest_correlation(bencher: Bencher) {
    let c = ballast::estimate::pairwise_estimate(&gapped(730), 60)
        .unwrap()
        .correlation;
    bencher.bench(|| ballast::estimate::nearest_correlation(black_box(&c), 0.0, 1e-14).unwrap());
}
