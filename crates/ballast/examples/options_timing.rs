//! Times Ballast's batch Black-76 Greeks and implied volatility on a seeded book of options and
//! writes the book, so that `scripts/compare_options.sh` can time the Python peers on exactly
//! the same options.
//!
//! Usage: `cargo run --release -p ballast --example options_timing -- OUT_DIR [N]`
//! Writes little-endian f64 files `F.bin K.bin T.bin sigma.bin call.bin price.bin delta.bin iv.bin`
//! and prints one JSON line with the median wall time of each batch over 7 runs.

use ballast::pricing::{black76_batch, black76_columns, black76_columns_into, implied_vol_batch};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;

fn write(path: std::path::PathBuf, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write");
}

fn median_time<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = f();
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        out = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[3], out)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("usage: options_timing OUT_DIR [N]"));
    let n: usize = args.next().map_or(1_000_000, |s| s.parse().expect("N"));
    std::fs::create_dir_all(&out).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let f: Vec<f64> = (0..n).map(|_| rng.random_range(60_000.0..80_000.0)).collect();
    let k: Vec<f64> = f.iter().map(|f| f * rng.random_range(0.5..2.0)).collect();
    let t: Vec<f64> = (0..n).map(|_| rng.random_range(1.0 / 365.0..2.0)).collect();
    let v: Vec<f64> = (0..n).map(|_| rng.random_range(0.2..1.5)).collect();
    let c: Vec<bool> = (0..n).map(|_| rng.random_range(0.0..1.0) < 0.5).collect();
    let r = vec![0.0; n];
    let (t_cols_alloc, mut cols) = median_time(|| black76_columns(&f, &k, &t, &v, &r, &c));
    // steady state of a live book: the output columns are reused
    let (t_cols, ()) = median_time(|| black76_columns_into(&mut cols, &f, &k, &t, &v, &r, &c));
    let (t_greeks, g) = median_time(|| black76_batch(&f, &k, &t, &v, &r, &c));
    let max_col_err = (0..n)
        .map(|i| {
            let gi = g[i].as_ref().expect("valid");
            [
                (cols.price[i], gi.price, 1e-12 * f[i]),
                (cols.delta[i], gi.delta, 1e-15),
                (cols.vega[i], gi.vega, 1e-14 * f[i]),
                (cols.gamma[i], gi.gamma, 1e-18),
                (cols.theta[i], gi.theta, 1e-14 * f[i]),
            ]
            .iter()
            .map(|(a, b, floor)| (a - b).abs() / b.abs().max(*floor / 1e-12))
            .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max);
    let g: Vec<_> = g.into_iter().map(|x| x.expect("valid inputs")).collect();
    let price: Vec<f64> = g.iter().map(|x| x.price).collect();
    let (t_iv, iv) = median_time(|| implied_vol_batch(&price, &f, &k, &t, &r, &c));
    let iv: Vec<f64> = iv.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect();
    // options whose time value (price − intrinsic) still carries σ in double precision
    let time_value = |i: usize| price[i] - (if c[i] { f[i] - k[i] } else { k[i] - f[i] }).max(0.0);
    let invertible: Vec<usize> = (0..n).filter(|&i| time_value(i) > 1e-9 * f[i]).collect();
    let max_iv_err = invertible
        .iter()
        .map(|&i| ((iv[i] - v[i]) / v[i]).abs())
        .fold(0.0, f64::max);
    for (name, data) in [
        ("F", f.clone()),
        ("K", k),
        ("T", t),
        ("sigma", v),
        ("call", c.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect()),
        ("price", price),
        ("delta", g.iter().map(|x| x.delta).collect()),
        ("vega", g.iter().map(|x| x.vega).collect()),
        ("iv", iv),
    ] {
        write(out.join(format!("{name}.bin")), &data);
    }
    println!(
        "{{\"n\": {n}, \"threads\": {}, \"columns_seconds\": {t_cols:e}, \"columns_alloc_seconds\": {t_cols_alloc:e}, \"columns_max_rel_diff\": {max_col_err:e}, \"greeks_seconds\": {t_greeks:e}, \"iv_seconds\": {t_iv:e}, \"iv_max_rel_error\": {max_iv_err:e}, \"iv_rows_checked\": {}}}",
        rayon::current_num_threads(),
        invertible.len()
    );
}
