//! Times Ballast's min-variance and max-Sharpe on benchmark inputs and writes them out, so that
//! `scripts/compare_pypfopt.sh` can time PyPortfolioOpt on exactly the same μ and Σ.
//! Usage: `cargo run --release -p ballast --example mv_timing -- OUT_DIR [N ...]`

#[path = "../benches/support/mod.rs"]
mod support;

use ballast::allocate::{mean_variance, Constraints, MvObjective};
use ballast::estimate::{historical_mean, SampleCovariance};
use std::time::Instant;

fn median(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..15)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[7]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("usage: mv_timing OUT_DIR [N ...]"));
    let sizes: Vec<usize> = args.map(|a| a.parse().expect("N")).collect();
    let sizes = if sizes.is_empty() { vec![50, 200] } else { sizes };
    std::fs::create_dir_all(&out).unwrap();
    for n in sizes {
        let r = support::synthetic_returns(1000, n, 3);
        let cov = SampleCovariance::default().fit(&r).unwrap();
        let mu = historical_mean(&r).unwrap();
        support::write_matrix_csv(&out.join(format!("cov_{n}.csv")), &cov.matrix);
        std::fs::write(
            out.join(format!("mu_{n}.csv")),
            mu.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join("\n") + "\n",
        )
        .unwrap();
        let c = Constraints::long_only(n);
        let t_min = median(|| {
            mean_variance(&mu, &cov, &c, MvObjective::MinVariance, 0.0).unwrap();
        });
        let t_ms = median(|| {
            mean_variance(&mu, &cov, &c, MvObjective::MaxSharpe, 0.0).unwrap();
        });
        let a = mean_variance(&mu, &cov, &c, MvObjective::MinVariance, 0.0).unwrap();
        let b = mean_variance(&mu, &cov, &c, MvObjective::MaxSharpe, 0.0).unwrap();
        println!(
            "{{\"n\": {n}, \"min_variance_seconds\": {t_min:e}, \"max_sharpe_seconds\": {t_ms:e}, \"min_vol\": {:e}, \"max_sharpe\": {:e}}}",
            a.volatility, b.sharpe
        );
    }
}
