//! Batch pricing over slices (structure of arrays), parallel across cores with rayon.

use super::fast::{black76_lane, implied_vol_lane, Lane};

use super::{implied_vol_black76, Black76, Greeks, OptionKind, PricingError};
use rayon::prelude::*;

/// Price and Greeks of many Black-76 options; row i failing validation gets its error.
pub type BatchGreeks = Vec<Result<Greeks, PricingError>>;

/// Whether the AVX2 + FMA build of the kernels can run on this CPU (checked once, cached by std).
pub(crate) fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Panics (a programming error, not user input) if the input columns differ in length.
fn same_lengths(n: usize, others: &[usize], what: &str) {
    assert!(
        others.iter().all(|&l| l == n),
        "{what}: input slices differ in length"
    );
}

/// Black-76 price and Greeks for every row i of the equal-length slices (F, K, T, σ, r, call?),
/// one `Result` per row from the scalar path ([`Black76::greeks`]): invalid rows (expired, zero
/// vol, ...) get a typed error and the rest are still priced. For large books the columns
/// API [`black76_columns_into`] is about four times faster.
///
/// Panics if the slices differ in length (a programming error, not user input).
pub fn black76_batch(
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    vol: &[f64],
    rate: &[f64],
    is_call: &[bool],
) -> BatchGreeks {
    let n = forward.len();
    same_lengths(
        n,
        &[strike.len(), time.len(), vol.len(), rate.len(), is_call.len()],
        "black76_batch",
    );
    let one = |i: usize| {
        let kind = if is_call[i] {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        Black76::new(forward[i], strike[i], time[i], vol[i], rate[i], kind).map(|o| o.greeks())
    };
    if n < 4096 {
        (0..n).map(one).collect()
    } else {
        (0..n).into_par_iter().with_min_len(2048).map(one).collect()
    }
}

/// Implied volatility for every row of the equal-length slices (discounted price, F, K, T, r,
/// call?), in parallel; rows outside the no-arbitrage bounds get their typed error. Computed by
/// [`implied_vol_into`].
///
/// Panics if the slices differ in length.
pub fn implied_vol_batch(
    price: &[f64],
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    is_call: &[bool],
) -> Vec<Result<f64, PricingError>> {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    implied_vol_into(&mut out, &mut errors, price, forward, strike, time, rate, is_call);
    let mut res: Vec<Result<f64, PricingError>> = out.into_iter().map(Ok).collect();
    for (i, e) in errors {
        res[i] = Err(e);
    }
    res
}

/// Price and Greeks of many options as columns (structure of arrays), the hot path for large
/// books: `price[i]`, `delta[i]`, ... in the units of [`crate::pricing`]. Rows that fail
/// validation have NaN in every column and their error in `errors`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GreeksColumns {
    /// Price, USD.
    pub price: Vec<f64>,
    /// dV/dF.
    pub delta: Vec<f64>,
    /// Per USD.
    pub gamma: Vec<f64>,
    /// USD per vol point.
    pub vega: Vec<f64>,
    /// USD per day.
    pub theta: Vec<f64>,
    /// USD per 1 % of rate.
    pub rho: Vec<f64>,
    /// Per vol point.
    pub vanna: Vec<f64>,
    /// Per vol point².
    pub volga: Vec<f64>,
    /// (row, error) for every row that could not be priced, in row order.
    pub errors: Vec<(usize, PricingError)>,
}

/// Input columns of one chunk.
struct Inputs<'a> {
    f: &'a [f64],
    k: &'a [f64],
    t: &'a [f64],
    v: &'a [f64],
    r: &'a [f64],
    c: &'a [bool],
}

/// Output columns of one chunk (price, delta, gamma, vega, theta, rho, vanna, volga) and the
/// per-row "redo with the scalar path" flags.
struct Outputs<'a> {
    cols: [&'a mut [f64]; 8],
    redo: &'a mut [bool],
}

/// The branch-free kernel over a chunk; a straight loop over equal-length slices so that it
/// vectorises.
#[inline(always)]
fn run_chunk(x: &Inputs<'_>, o: &mut Outputs<'_>) {
    let n = o.redo.len();
    let (f, k, t, v, r, c) = (&x.f[..n], &x.k[..n], &x.t[..n], &x.v[..n], &x.r[..n], &x.c[..n]);
    let [p, d, g, ve, th, rh, va, vo] = &mut o.cols;
    let (p, d, g, ve, th, rh, va, vo) = (
        &mut p[..n],
        &mut d[..n],
        &mut g[..n],
        &mut ve[..n],
        &mut th[..n],
        &mut rh[..n],
        &mut va[..n],
        &mut vo[..n],
    );
    let redo = &mut o.redo[..n];
    for i in 0..n {
        let Lane {
            greeks: x,
            redo: again,
        } = black76_lane(f[i], k[i], t[i], v[i], r[i], c[i]);
        p[i] = x.price;
        d[i] = x.delta;
        g[i] = x.gamma;
        ve[i] = x.vega;
        th[i] = x.theta;
        rh[i] = x.rho;
        va[i] = x.vanna;
        vo[i] = x.volga;
        redo[i] = again;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_chunk_avx2(x: &Inputs<'_>, o: &mut Outputs<'_>) {
    run_chunk(x, o)
}

/// Black-76 price and Greeks of every row into columns; see [`GreeksColumns`]. Uses the
/// branch-free kernel (AVX2 where the CPU has it) and rayon across cores; far-wing rows, where
/// the closed form would cancel, are recomputed with Jäckel's normalised Black.
///
/// Panics if the slices differ in length.
pub fn black76_columns(
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    vol: &[f64],
    rate: &[f64],
    is_call: &[bool],
) -> GreeksColumns {
    let mut out = GreeksColumns::default();
    black76_columns_into(&mut out, forward, strike, time, vol, rate, is_call);
    out
}

/// [`black76_columns`] into existing columns, reusing their allocations (for a live book
/// repriced on every tick).
pub fn black76_columns_into(
    out: &mut GreeksColumns,
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    vol: &[f64],
    rate: &[f64],
    is_call: &[bool],
) {
    let n = forward.len();
    same_lengths(
        n,
        &[strike.len(), time.len(), vol.len(), rate.len(), is_call.len()],
        "black76_columns",
    );
    for col in [
        &mut out.price,
        &mut out.delta,
        &mut out.gamma,
        &mut out.vega,
        &mut out.theta,
        &mut out.rho,
        &mut out.vanna,
        &mut out.volga,
    ] {
        col.resize(n, 0.0);
    }
    let avx2 = avx2_fma();
    const CHUNK: usize = 4096;
    let errors: Vec<(usize, PricingError)> = {
        let cols = (
            out.price.par_chunks_mut(CHUNK),
            out.delta.par_chunks_mut(CHUNK),
            out.gamma.par_chunks_mut(CHUNK),
            out.vega.par_chunks_mut(CHUNK),
            out.theta.par_chunks_mut(CHUNK),
            out.rho.par_chunks_mut(CHUNK),
            out.vanna.par_chunks_mut(CHUNK),
            out.volga.par_chunks_mut(CHUNK),
        );
        cols.into_par_iter()
            .enumerate()
            .flat_map_iter(|(ci, (p, d, g, ve, th, rh, va, vo))| {
                let start = ci * CHUNK;
                let len = p.len();
                let inputs = Inputs {
                    f: &forward[start..start + len],
                    k: &strike[start..start + len],
                    t: &time[start..start + len],
                    v: &vol[start..start + len],
                    r: &rate[start..start + len],
                    c: &is_call[start..start + len],
                };
                let mut flags = vec![false; len];
                {
                    let mut outs = Outputs {
                        cols: [
                            &mut *p, &mut *d, &mut *g, &mut *ve, &mut *th, &mut *rh, &mut *va, &mut *vo,
                        ],
                        redo: &mut flags,
                    };
                    #[cfg(target_arch = "x86_64")]
                    if avx2 {
                        // SAFETY: AVX2 and FMA were detected on this CPU above.
                        unsafe { run_chunk_avx2(&inputs, &mut outs) }
                    } else {
                        run_chunk(&inputs, &mut outs)
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    run_chunk(&inputs, &mut outs);
                }
                let mut errors = Vec::new();
                for x in (0..len).filter(|&x| flags[x]) {
                    let i = start + x;
                    // invalid input, or a far-wing price: the scalar path
                    let kind = if is_call[i] {
                        OptionKind::Call
                    } else {
                        OptionKind::Put
                    };
                    match Black76::new(forward[i], strike[i], time[i], vol[i], rate[i], kind) {
                        Ok(opt) => {
                            // only the price (and theta, rho, which contain it) need Jäckel's
                            // cancellation-free value; the other Greeks are fine
                            let price = opt.price();
                            p[x] = price;
                            th[x] = (opt.rate * price
                                - 0.5 * opt.vol * opt.vol * opt.forward * opt.forward * g[x])
                                / super::DAYS_PER_YEAR;
                            rh[x] = -opt.time * price / 100.0;
                        }
                        Err(e) => {
                            for col in [
                                &mut *p, &mut *d, &mut *g, &mut *ve, &mut *th, &mut *rh, &mut *va, &mut *vo,
                            ] {
                                col[x] = f64::NAN;
                            }
                            errors.push((i, e));
                        }
                    }
                }
                errors
            })
            .collect()
    };
    let _ = avx2;
    out.errors = errors;
}

struct IvInputs<'a> {
    p: &'a [f64],
    f: &'a [f64],
    k: &'a [f64],
    t: &'a [f64],
    r: &'a [f64],
    c: &'a [bool],
}

/// The vectorised Newton fast path over a chunk; `accepted[i]` marks rows whose σ is known to
/// 3e-14 relative. Discounting is removed first (price·e^{rT}).
#[inline(always)]
fn iv_chunk(x: &IvInputs<'_>, out: &mut [f64], accepted: &mut [bool]) {
    let n = out.len();
    let (p, f, k, t, r, c) = (&x.p[..n], &x.f[..n], &x.k[..n], &x.t[..n], &x.r[..n], &x.c[..n]);
    let accepted = &mut accepted[..n];
    for i in 0..n {
        let undiscounted = p[i] * super::fast::exp_bf(r[i] * t[i]);
        let (s, ok) = implied_vol_lane(undiscounted, f[i], k[i], t[i], c[i]);
        out[i] = s;
        accepted[i] = ok & (r[i].abs() < f64::INFINITY);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn iv_chunk_avx2(x: &IvInputs<'_>, out: &mut [f64], accepted: &mut [bool]) {
    iv_chunk(x, out, accepted)
}

/// [`implied_vol_batch`] into a reused column: `out[i]` = σ, or NaN with `(i, error)` in
/// `errors` (for a live book re-implied on every tick). Each chunk first runs a vectorised
/// Newton pass on the out-of-the-money side from the Corrado–Miller guess and keeps a row only
/// when its σ is provably within 3e-14 relative; every other row goes to Let's Be Rational
/// ([`implied_vol_black76`]), which also produces the typed errors.
///
/// Panics if the slices differ in length.
#[allow(clippy::too_many_arguments)]
pub fn implied_vol_into(
    out: &mut Vec<f64>,
    errors: &mut Vec<(usize, PricingError)>,
    price: &[f64],
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    is_call: &[bool],
) {
    let n = price.len();
    same_lengths(
        n,
        &[forward.len(), strike.len(), time.len(), rate.len(), is_call.len()],
        "implied_vol_into",
    );
    out.resize(n, 0.0);
    errors.clear();
    const CHUNK: usize = 4096;
    let avx2 = avx2_fma();
    let errs: Vec<(usize, PricingError)> = out
        .par_chunks_mut(CHUNK)
        .enumerate()
        .flat_map_iter(|(ci, o)| {
            let start = ci * CHUNK;
            let len = o.len();
            let mut accepted = vec![false; len];
            let x = IvInputs {
                p: &price[start..start + len],
                f: &forward[start..start + len],
                k: &strike[start..start + len],
                t: &time[start..start + len],
                r: &rate[start..start + len],
                c: &is_call[start..start + len],
            };
            #[cfg(target_arch = "x86_64")]
            if avx2 {
                // SAFETY: AVX2 and FMA were detected on this CPU above.
                unsafe { iv_chunk_avx2(&x, o, &mut accepted) }
            } else {
                iv_chunk(&x, o, &mut accepted)
            }
            #[cfg(not(target_arch = "x86_64"))]
            iv_chunk(&x, o, &mut accepted);
            let _ = avx2;
            let mut errs = Vec::new();
            for (x, slot) in o.iter_mut().enumerate() {
                if accepted[x] {
                    continue;
                }
                let i = start + x;
                let kind = if is_call[i] {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                };
                match implied_vol_black76(price[i], forward[i], strike[i], time[i], rate[i], kind) {
                    Ok(v) => *slot = v,
                    Err(e) => {
                        *slot = f64::NAN;
                        errs.push((i, e));
                    }
                }
            }
            errs
        })
        .collect();
    *errors = errs;
}
