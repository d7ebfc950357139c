//! Implied volatility from a Black-76 price: Jäckel (2015), "Let's Be Rational", through the
//! `implied-vol` crate (machine-precision, two Householder steps, no iteration count to tune).

use super::{check_inputs, OptionKind, PricingError};
use implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};

/// σ such that Black76(F, K, T, σ, r) = `price` (discounted, same currency as F and K).
///
/// # Errors
/// , checked before solving: bad F/K/T/r; a price that is not finite or negative;
/// [`PricingError::BelowIntrinsic`] (price < D·max(w(F − K), 0)); [`PricingError::AboveMaximum`]
/// (price ≥ D·F for a call, D·K for a put).
pub fn implied_vol_black76(
    price: f64,
    forward: f64,
    strike: f64,
    time: f64,
    rate: f64,
    kind: OptionKind,
) -> Result<f64, PricingError> {
    check_inputs(forward, strike, time, 0.5, rate)?;
    if !(price.is_finite() && price >= 0.0) {
        return Err(PricingError::BadPrice(price));
    }
    let df = (-rate * time).exp();
    let undiscounted = price / df;
    let w = kind.sign();
    let intrinsic = (w * (forward - strike)).max(0.0);
    let max = if w > 0.0 { forward } else { strike };
    if undiscounted < intrinsic {
        return Err(PricingError::BelowIntrinsic {
            price,
            intrinsic: intrinsic * df,
        });
    }
    if undiscounted >= max {
        return Err(PricingError::AboveMaximum { price, max: max * df });
    }
    ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(forward)
        .strike(strike)
        .expiry(time)
        .is_call(w > 0.0)
        // inputs validated above (finite, positive, inside the no-arbitrage bounds)
        .build_unchecked()
        .calculate::<DefaultSpecialFn>()
        .filter(|v| v.is_finite())
        .ok_or(PricingError::BelowIntrinsic {
            price,
            intrinsic: intrinsic * df,
        })
}
