//! Times Ballast's ERC solver on the benchmark covariances and writes them out, so that
//! `scripts/compare_riskparity.sh` can time the Python peer on exactly the same matrices.
//!
//! Usage: `cargo run --release -p ballast --example erc_timing -- OUT_DIR [N ...]`
//! Writes `OUT_DIR/cov_N.csv` (annualised covariance, shortest round-trip decimals) and prints
//! one JSON line per N: `{"n", "median_seconds", "sweeps", "max_rc_error"}`.

#[path = "../benches/support/mod.rs"]
mod support;

use ballast::allocate::RiskBudgeting;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("usage: erc_timing OUT_DIR [N ...]"));
    let sizes: Vec<usize> = {
        let v: Vec<usize> = args.map(|a| a.parse().expect("N must be an integer")).collect();
        if v.is_empty() {
            vec![10, 50, 200, 500]
        } else {
            v
        }
    };
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    for n in sizes {
        let cov = support::bench_covariance(n);
        support::write_matrix_csv(&out.join(format!("cov_{n}.csv")), &cov.matrix);
        let solver = RiskBudgeting::erc();
        // warm up, then time batches until ~0.5 s and report the median batch mean
        let mut last = solver.weights(&cov).unwrap();
        let one = {
            let t = Instant::now();
            for _ in 0..10 {
                last = solver.weights(std::hint::black_box(&cov)).unwrap();
            }
            t.elapsed().as_secs_f64() / 10.0
        };
        let per_batch = ((0.02 / one).ceil() as usize).max(1);
        let mut samples = Vec::new();
        for _ in 0..25 {
            let t = Instant::now();
            for _ in 0..per_batch {
                last = solver.weights(std::hint::black_box(&cov)).unwrap();
            }
            samples.push(t.elapsed().as_secs_f64() / per_batch as f64);
        }
        samples.sort_by(f64::total_cmp);
        let med = samples[samples.len() / 2];
        let err = last
            .risk_contributions
            .iter()
            .map(|r| (r - 1.0 / n as f64).abs())
            .fold(0.0, f64::max);
        let sweeps = last.solver.map_or(0, |s| s.iterations);
        println!(
            "{{\"n\": {n}, \"median_seconds\": {med:e}, \"sweeps\": {sweeps}, \"max_rc_error\": {err:e}}}"
        );
    }
}
