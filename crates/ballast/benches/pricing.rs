//! Option pricing throughput: Black-76 price + all Greeks, and implied volatility, over
//! 1,000,000 options (a seeded mix of strikes 0.5–2× F, 1 day–2 years, 20–150 % vol, calls
//! and puts), on all cores. Run: `cargo bench -p ballast --bench pricing`.

use ballast::pricing::{
    black76_batch, black76_columns, black76_columns_into, implied_vol_batch, implied_vol_into, Black76,
    OptionKind,
};
use divan::{black_box, Bencher};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn main() {
    divan::main();
}

struct Book {
    f: Vec<f64>,
    k: Vec<f64>,
    t: Vec<f64>,
    v: Vec<f64>,
    r: Vec<f64>,
    c: Vec<bool>,
}

fn book(n: usize) -> Book {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let f: Vec<f64> = (0..n).map(|_| rng.random_range(60_000.0..80_000.0)).collect();
    Book {
        k: f.iter().map(|f| f * rng.random_range(0.5..2.0)).collect(),
        t: (0..n).map(|_| rng.random_range(1.0 / 365.0..2.0)).collect(),
        v: (0..n).map(|_| rng.random_range(0.2..1.5)).collect(),
        r: vec![0.0; n],
        c: (0..n).map(|_| rng.random_range(0.0..1.0) < 0.5).collect(),
        f,
    }
}

const N: usize = 1_000_000;

#[divan::bench(sample_count = 10, sample_size = 1)]
fn price_and_greeks_1m(bencher: Bencher) {
    let b = book(N);
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| black76_batch(black_box(&b.f), &b.k, &b.t, &b.v, &b.r, &b.c));
}

/// The hot path of a live book: columns, output buffers reused between calls.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn price_and_greeks_columns_1m(bencher: Bencher) {
    let b = book(N);
    let mut out = black76_columns(&b.f, &b.k, &b.t, &b.v, &b.r, &b.c);
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench_local(|| black76_columns_into(&mut out, black_box(&b.f), &b.k, &b.t, &b.v, &b.r, &b.c));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn implied_vol_1m(bencher: Bencher) {
    let b = book(N);
    let p: Vec<f64> = (0..N)
        .map(|i| {
            let kind = if b.c[i] { OptionKind::Call } else { OptionKind::Put };
            Black76::new(b.f[i], b.k[i], b.t[i], b.v[i], 0.0, kind)
                .unwrap()
                .price()
        })
        .collect();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| implied_vol_batch(black_box(&p), &b.f, &b.k, &b.t, &b.r, &b.c));
}

#[divan::bench]
fn one_option_greeks(bencher: Bencher) {
    let o = Black76::new(70_000.0, 75_000.0, 0.25, 0.55, 0.0, OptionKind::Call).unwrap();
    bencher.bench(|| black_box(&o).greeks());
}

/// Implied vols of a live book: output column reused between calls.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn implied_vol_into_1m(bencher: Bencher) {
    let b = book(N);
    let p: Vec<f64> = (0..N)
        .map(|i| {
            let kind = if b.c[i] { OptionKind::Call } else { OptionKind::Put };
            Black76::new(b.f[i], b.k[i], b.t[i], b.v[i], 0.0, kind)
                .unwrap()
                .price()
        })
        .collect();
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    implied_vol_into(&mut out, &mut errors, &p, &b.f, &b.k, &b.t, &b.r, &b.c);
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench_local(|| implied_vol_into(&mut out, &mut errors, black_box(&p), &b.f, &b.k, &b.t, &b.r, &b.c));
}
