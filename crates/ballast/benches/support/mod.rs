//! Benchmark inputs shared by the divan benches and the peer-comparison example.

use ballast::data::{ReturnKind, WindowSpec};
use ballast::estimate::{Covariance, SampleCovariance};
use ballast::io::read_prices;
use ballast::SymMatrix;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A file of the shared market-data folder: `$BALLAST_DATA_DIR`, else `../shared/data` beside
/// the project.
#[allow(dead_code)]
pub fn data_path(name: &str) -> std::path::PathBuf {
    std::env::var_os("BALLAST_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join(name)
}

/// Annualised sample covariance of the daily panel's last 730 daily returns, first `n`
/// complete coins (n ≤ 39).
#[allow(dead_code)]
pub fn real_covariance(n: usize) -> Covariance {
    let panel = read_prices(data_path("crypto_daily_close.csv")).expect("daily prices");
    let w = panel.window(&WindowSpec::default()).expect("window");
    let r = w.returns(ReturnKind::Simple);
    let assets: Vec<String> = r.assets()[..n].to_vec();
    SampleCovariance::default()
        .fit(&r.select(&assets).unwrap())
        .unwrap()
}

/// A crypto-like covariance for any `n`: a three-factor model (a market factor with loadings
/// 0.5–0.9, two sector factors ±0.3, idiosyncratic variance 0.15–0.5) turned into a correlation
/// matrix, with annual volatilities 40 %–140 %. Seeded, so every run sees the same matrix.
#[allow(dead_code)]
pub fn synthetic_covariance(n: usize, seed: u64) -> Covariance {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let k = 3;
    let b: Vec<f64> = (0..n * k)
        .map(|i| {
            if i % k == 0 {
                rng.random_range(0.5..0.9)
            } else {
                rng.random_range(-0.3..0.3)
            }
        })
        .collect();
    let idio: Vec<f64> = (0..n).map(|_| rng.random_range(0.15..0.5)).collect();
    let vol: Vec<f64> = (0..n).map(|_| rng.random_range(0.4..1.4)).collect();
    let mut raw = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut v: f64 = (0..k).map(|f| b[i * k + f] * b[j * k + f]).sum();
            if i == j {
                v += idio[i];
            }
            raw[i * n + j] = v;
        }
    }
    let mut data = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let c = raw[i * n + j] / (raw[i * n + i] * raw[j * n + j]).sqrt();
            data[i * n + j] = if i == j {
                vol[i] * vol[i]
            } else {
                c * vol[i] * vol[j]
            };
        }
    }
    let assets = (0..n).map(|i| format!("A{i:03}")).collect();
    Covariance::from_matrix(assets, SymMatrix::from_row_major(n, data).unwrap(), 365.0).unwrap()
}

/// The covariance used at each benchmark size: real data for n ≤ 39, synthetic above.
#[allow(dead_code)]
pub fn bench_covariance(n: usize) -> Covariance {
    if n <= 39 {
        real_covariance(n)
    } else {
        synthetic_covariance(n, 42)
    }
}

/// Synthetic daily returns, T×N, from a one-factor model with fat-ish tails (seeded).
#[allow(dead_code)]
pub fn synthetic_returns(t: usize, n: usize, seed: u64) -> ballast::data::Returns {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let market: Vec<f64> = (0..t)
        .map(|_| {
            let u: f64 = rng.random_range(-1.0..1.0);
            0.03 * u * u * u.signum() * 2.0
        })
        .collect();
    let mut data = Vec::with_capacity(t * n);
    for _ in 0..n {
        let beta: f64 = rng.random_range(0.5..1.5);
        for m in &market {
            let e: f64 = rng.random_range(-0.04..0.04);
            data.push(beta * m + e);
        }
    }
    let d0: jiff::civil::Date = "2020-01-01".parse().unwrap();
    let dates = (0..t)
        .map(|k| d0.checked_add(jiff::Span::new().days(k as i64)).unwrap())
        .collect();
    let assets = (0..n).map(|i| format!("A{i:03}")).collect();
    ballast::data::Returns::new(dates, assets, data, ballast::data::ReturnKind::Simple, 365.0).unwrap()
}

/// The daily panel's last 730 daily returns, every complete coin.
#[allow(dead_code)]
pub fn real_returns() -> ballast::data::Returns {
    let panel = read_prices(data_path("crypto_daily_close.csv")).expect("daily prices");
    panel
        .window(&WindowSpec::default())
        .expect("window")
        .returns(ReturnKind::Simple)
}

/// Write a matrix as CSV rows with shortest round-trip decimals (for the peer scripts).
#[allow(dead_code)]
pub fn write_matrix_csv(path: &std::path::Path, m: &ballast::SymMatrix) {
    let rows: Vec<String> = m
        .to_rows()
        .iter()
        .map(|r| r.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(","))
        .collect();
    std::fs::write(path, rows.join("\n") + "\n").expect("write matrix");
}

/// Warm up, then time batches of ~20 ms (25 of them) and return the median per-call time (for
/// the peer-comparison examples).
#[allow(dead_code)]
pub fn median_seconds<T>(mut f: impl FnMut() -> T) -> f64 {
    let one = {
        let t = std::time::Instant::now();
        for _ in 0..10 {
            std::hint::black_box(f());
        }
        t.elapsed().as_secs_f64() / 10.0
    };
    let per_batch = ((0.02 / one).ceil() as usize).max(1);
    let mut samples: Vec<f64> = (0..25)
        .map(|_| {
            let t = std::time::Instant::now();
            for _ in 0..per_batch {
                std::hint::black_box(f());
            }
            t.elapsed().as_secs_f64() / per_batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
