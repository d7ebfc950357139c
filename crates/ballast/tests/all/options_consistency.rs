//! Options pricing consistency: the Greeks' price equals the accurate price, second-order and
//! time Greeks equal finite differences, the SIMD columns equal the scalar Greeks, the batch
//! implied volatility equals Let's Be Rational.

use ballast::pricing::{implied_vol_black76, Black76, OptionKind};

#[test]
fn greeks_price_equals_the_accurate_price_everywhere() {
    // greeks() uses the closed form where it cannot cancel and Jäckel's function elsewhere
    let mut worst = 0.0_f64;
    for &t in &[1.0 / 365.0, 0.1, 1.0, 4.0] {
        for &sigma in &[0.05, 0.5, 2.0] {
            for k in [0.2, 0.5, 0.8, 0.95, 1.0, 1.05, 1.25, 2.0, 5.0] {
                for kind in [OptionKind::Call, OptionKind::Put] {
                    let o = Black76::new(70_000.0, 70_000.0 * k, t, sigma, 0.03, kind).unwrap();
                    let (a, b) = (o.greeks().price, o.price());
                    if b > 1e-300 {
                        worst = worst.max(((a - b) / b).abs());
                    }
                }
            }
        }
    }
    assert!(worst < 1e-13, "worst relative price difference {worst:e}");
}

#[test]
fn second_order_and_time_greeks_match_finite_differences() {
    for &(f, k, t, s, r) in &[
        (70_000.0, 80_000.0, 0.2, 0.55, 0.0),
        (2_200.0, 1_900.0, 0.7, 0.8, 0.03),
        (100.0, 100.0, 0.05, 0.3, 0.01),
    ] {
        for kind in [OptionKind::Call, OptionKind::Put] {
            let o = Black76::new(f, k, t, s, r, kind).unwrap();
            let g = o.greeks();
            let px = |f: f64, t: f64, s: f64, r: f64| Black76::new(f, k, t, s, r, kind).unwrap().price();
            let delta_at = |s: f64| Black76::new(f, k, t, s, r, kind).unwrap().greeks().delta;
            let vega_at = |s: f64| Black76::new(f, k, t, s, r, kind).unwrap().greeks().vega;
            let (hs, ht, hr) = (1e-5, 1e-6, 1e-6);
            let vanna = (delta_at(s + hs) - delta_at(s - hs)) / (2.0 * hs) / 100.0;
            let volga = (vega_at(s + hs) - vega_at(s - hs)) / (2.0 * hs) / 100.0;
            let theta = -(px(f, t + ht, s, r) - px(f, t - ht, s, r)) / (2.0 * ht) / 365.0;
            let rho = (px(f, t, s, r + hr) - px(f, t, s, r - hr)) / (2.0 * hr) / 100.0;
            let tol = |x: f64| 1e-6 * x.abs().max(1e-6 * f);
            assert!(
                (g.vanna - vanna).abs() <= tol(vanna),
                "vanna {} vs {vanna}",
                g.vanna
            );
            assert!(
                (g.volga - volga).abs() <= tol(volga),
                "volga {} vs {volga}",
                g.volga
            );
            assert!(
                (g.theta - theta).abs() <= tol(theta),
                "theta {} vs {theta}",
                g.theta
            );
            assert!((g.rho - rho).abs() <= tol(rho), "rho {} vs {rho}", g.rho);
            // put-call parity: C − P = D (F − K)
            let other = if kind == OptionKind::Call {
                OptionKind::Put
            } else {
                OptionKind::Call
            };
            let p2 = Black76::new(f, k, t, s, r, other).unwrap().price();
            let parity = kind.sign() * (o.price() - p2);
            assert!((parity - (-r * t).exp() * (f - k)).abs() < 1e-10 * f);
        }
    }
}

#[test]
fn simd_columns_equal_the_scalar_greeks_with_errors_in_place() {
    use ballast::pricing::{black76_batch, black76_columns, PricingError};
    // a deterministic book: strikes 0.3–3 F, 1 hour to 5 years, vols 5–300 %, some bad rows
    let n = 20_000;
    let mut f = Vec::new();
    let (mut k, mut t, mut v, mut r, mut c) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let x = (i as f64 * 0.618_033_988_7).fract();
        let y = (i as f64 * 0.414_213_562_3).fract();
        let z = (i as f64 * 0.732_050_807_5).fract();
        f.push(50_000.0 + 40_000.0 * x);
        k.push(f[i] * (0.3 + 2.7 * y));
        t.push(1.0 / 8760.0 + 5.0 * z * z);
        v.push(0.05 + 2.95 * (x * y).fract());
        r.push(if i % 3 == 0 { 0.04 } else { 0.0 });
        c.push(i % 2 == 0);
    }
    t[7] = 0.0;
    v[11] = 0.0;
    f[13] = f64::NAN;
    k[17] = -1.0;
    let cols = black76_columns(&f, &k, &t, &v, &r, &c);
    let rows = black76_batch(&f, &k, &t, &v, &r, &c);
    let bad: Vec<usize> = cols.errors.iter().map(|e| e.0).collect();
    assert_eq!(bad, vec![7, 11, 13, 17]);
    assert!(matches!(cols.errors[0].1, PricingError::Expired(_)));
    assert!(rows[7].is_err() && cols.price[7].is_nan());
    let mut worst = 0.0_f64;
    for i in 0..n {
        if bad.contains(&i) {
            continue;
        }
        let kind = if c[i] { OptionKind::Call } else { OptionKind::Put };
        let g = Black76::new(f[i], k[i], t[i], v[i], r[i], kind).unwrap().greeks();
        let rel = |a: f64, b: f64, floor: f64| (a - b).abs() / b.abs().max(floor);
        // theta = (rV − ½σ²F²Γ)/365 and volga ∝ d1·d2 cancel near zero: measure them against
        // the size of their terms
        let theta_scale =
            (r[i] * g.price).abs() / 365.0 + (0.5 * v[i] * v[i] * f[i] * f[i] * g.gamma).abs() / 365.0;
        let sd = v[i] * t[i].sqrt();
        let d1 = (f[i] / k[i]).ln() / sd + 0.5 * sd;
        let volga_scale = g.vega * (d1.abs() + sd) * (d1.abs() + sd) / v[i] / 100.0;
        let e = [
            rel(cols.price[i], g.price, 1e-12 * f[i]),
            rel(cols.delta[i], g.delta, 1e-12),
            rel(cols.gamma[i], g.gamma, 1e-12 / f[i]),
            rel(cols.vega[i], g.vega, 1e-12 * f[i]),
            rel(cols.theta[i], g.theta, theta_scale.max(1e-12 * f[i])),
            rel(cols.rho[i], g.rho, 1e-12 * f[i]),
            rel(cols.vanna[i], g.vanna, 1e-12),
            rel(cols.volga[i], g.volga, volga_scale.max(1e-12 * f[i])),
        ]
        .into_iter()
        .fold(0.0, f64::max);
        worst = worst.max(e);
        assert_eq!(rows[i].as_ref().unwrap().price, g.price);
    }
    assert!(
        worst < 1e-12,
        "worst relative difference SIMD vs scalar: {worst:e}"
    );
}

#[test]
fn batch_implied_vol_agrees_with_lets_be_rational() {
    use ballast::pricing::implied_vol_batch;
    let (mut p, mut f, mut k, mut t, mut r, mut c, mut sig) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..30_000 {
        let x = (i as f64 * 0.618_033_988_7).fract();
        let y = (i as f64 * 0.414_213_562_3).fract();
        let z = (i as f64 * 0.732_050_807_5).fract();
        let (fi, ti, si) = (2_000.0 + 70_000.0 * x, 1.0 / 365.0 + 3.0 * y, 0.1 + 2.0 * z);
        let ki = fi * (0.4 + 2.0 * (x + z).fract());
        let kind = if i % 2 == 0 {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        let ri = if i % 5 == 0 { 0.05 } else { 0.0 };
        p.push(Black76::new(fi, ki, ti, si, ri, kind).unwrap().price());
        f.push(fi);
        k.push(ki);
        t.push(ti);
        r.push(ri);
        c.push(kind == OptionKind::Call);
        sig.push(si);
    }
    p[3] = -1.0; // a bad price keeps its typed error
    let out = implied_vol_batch(&p, &f, &k, &t, &r, &c);
    assert!(out[3].is_err());
    let mut worst = 0.0_f64;
    for i in (0..p.len()).filter(|&i| i != 3) {
        let kind = if c[i] { OptionKind::Call } else { OptionKind::Put };
        let scalar = implied_vol_black76(p[i], f[i], k[i], t[i], r[i], kind);
        match (&out[i], scalar) {
            (Ok(a), Ok(b)) => {
                let otm = c[i] == (k[i] >= f[i]);
                if otm && p[i] > 1e-9 * f[i] {
                    worst = worst.max((a - b).abs() / b);
                }
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("row {i}: batch {a:?} vs scalar {b:?}"),
        }
    }
    assert!(worst < 1e-13, "worst relative difference {worst:e}");
}
