//! Batch pricing over slices (structure of arrays), parallel across cores with rayon.

use super::{implied_vol_black76, Black76, Greeks, OptionKind, PricingError};
use rayon::prelude::*;

/// Price and Greeks of many Black-76 options; row i failing validation gets its error.
pub type BatchGreeks = Vec<Result<Greeks, PricingError>>;

/// Black-76 price and Greeks for every row i of the equal-length slices (F, K, T, σ, r, call?).
/// Rows are independent; invalid rows (expired, zero vol, ...) get a typed error and the rest
/// are still priced. Work is split across rayon's thread pool in blocks of 2 048 rows.
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
    assert!(
        [strike.len(), time.len(), vol.len(), rate.len(), is_call.len()]
            .iter()
            .all(|&l| l == n),
        "black76_batch: slices differ in length"
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
/// call?), in parallel; rows outside the no-arbitrage bounds get their typed error.
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
    let n = price.len();
    assert!(
        [forward.len(), strike.len(), time.len(), rate.len(), is_call.len()]
            .iter()
            .all(|&l| l == n),
        "implied_vol_batch: slices differ in length"
    );
    let one = |i: usize| {
        let kind = if is_call[i] {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        implied_vol_black76(price[i], forward[i], strike[i], time[i], rate[i], kind)
    };
    if n < 4096 {
        (0..n).map(one).collect()
    } else {
        (0..n).into_par_iter().with_min_len(2048).map(one).collect()
    }
}
