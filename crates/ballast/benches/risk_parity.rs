//! ERC / risk-budgeting solver at N = 10, 50, 200, 500 (tolerance 1e-10 on relative risk
//! contributions). Run: `cargo bench -p ballast --bench risk_parity`.

mod support;

use ballast::allocate::{inverse_volatility, RiskBudgeting};
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[10, 39, 50, 200, 500];

#[divan::bench(args = SIZES)]
fn erc(bencher: Bencher, n: usize) {
    let cov = support::bench_covariance(n);
    let solver = RiskBudgeting::erc();
    bencher.bench(|| solver.weights(black_box(&cov)).unwrap());
}

#[divan::bench(args = SIZES)]
fn risk_budget_unequal(bencher: Bencher, n: usize) {
    let cov = support::bench_covariance(n);
    let total = (n * (n + 1) / 2) as f64;
    let b: Vec<f64> = (0..n).map(|i| (n - i) as f64 / total).collect();
    let solver = RiskBudgeting::with_budgets(b);
    bencher.bench(|| solver.weights(black_box(&cov)).unwrap());
}

#[divan::bench(args = SIZES)]
fn inverse_vol(bencher: Bencher, n: usize) {
    let cov = support::bench_covariance(n);
    bencher.bench(|| inverse_volatility(black_box(&cov), None).unwrap());
}
