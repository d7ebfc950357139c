//! Option pricing: Black-76 on the forward (Deribit's convention) and Black–Scholes–Merton on
//! spot with rate and dividend/borrow yield; Greeks in Deribit's units; implied volatility by
//! Jäckel's "Let's Be Rational" (the `implied-vol` crate).
//!
//! Units (Deribit's, for an option on **one coin** of underlying):
//!
//! | field | unit |
//! |---|---|
//! | `price` | USD (discounted) |
//! | `delta` | dV/dF (Black-76) or dV/dS (BSM), not premium-adjusted |
//! | `gamma` | d²V/dF² per 1 USD of underlying |
//! | `vega` | USD per 1 volatility point (σ + 0.01) |
//! | `theta` | USD per calendar day (dV/dt / 365, forward or spot held fixed) |
//! | `rho` | USD per 1 % of rate (Black-76: F fixed, −T·V/100) |
//! | `vanna` | change of delta per 1 vol point (∂²V/∂F∂σ / 100) |
//! | `volga` | change of vega per 1 vol point (∂²V/∂σ² / 100²) |
//!
//! Time to expiry is ACT/365 on exact seconds: `T = (expiry − now) / (365 × 86 400 s)`.

mod batch;
mod black76;
mod bsm;
mod chain;
mod fast;
pub(crate) use batch::avx2_fma;
pub(crate) use fast::black76_coin_bf;
mod implied;
pub mod surface;

use crate::message::Num;

pub use batch::{
    black76_batch, black76_columns, black76_columns_into, implied_vol_batch, implied_vol_into, BatchGreeks,
    GreeksColumns,
};
pub use black76::Black76;
pub use bsm::{Bsm, BsmGreeks};
pub use chain::{quote_greeks, value_chain, ChainGreeksRecord, QuoteGreeks, VolSource, FORWARD_MISMATCH};
pub use implied::implied_vol_black76;

pub use crate::instrument::OptionKind;

/// Seconds in the 365-day year used for T.
pub const SECONDS_PER_YEAR: f64 = DAYS_PER_YEAR * 86_400.0;

/// Days in the year of T and of theta (ACT/365: crypto trades every day).
pub const DAYS_PER_YEAR: f64 = crate::PERIODS_PER_YEAR_DAILY;

/// Time to expiry in years (ACT/365, exact seconds) from `now` to `expiry`; negative if past.
pub fn year_fraction(now: jiff::Timestamp, expiry: jiff::Timestamp) -> f64 {
    (expiry.as_nanosecond() - now.as_nanosecond()) as f64 / 1e9 / SECONDS_PER_YEAR
}

/// # Errors
/// From pricing and implied volatility. Each names the offending value.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// A forward or spot that is not a positive number.
    #[error("forward/spot {0} must be finite and > 0")]
    BadUnderlying(f64),
    /// A strike that is not a positive number.
    #[error("strike {0} must be finite and > 0")]
    BadStrike(f64),
    /// No time left (the value is T in years).
    #[error("expired: its expiry is not after the valuation time (T = {0:.3e} years)")]
    Expired(f64),
    /// A volatility that is not a positive number.
    #[error("volatility {0} must be finite and > 0")]
    BadVolatility(f64),
    /// A rate or yield that is not finite.
    #[error("rate/yield {} must be finite", Num(*.0))]
    BadRate(f64),
    /// A price below intrinsic value.
    #[error("price {} is below intrinsic value {}: no implied volatility", Num(*price), Num(*intrinsic))]
    BelowIntrinsic {
        /// The price.
        price: f64,
        /// Its intrinsic value.
        intrinsic: f64,
    },
    /// A price at or above the most an option can be worth.
    #[error("price {} is at or above the no-arbitrage maximum {}: no implied volatility", Num(*price), Num(*max))]
    AboveMaximum {
        /// The price.
        price: f64,
        /// The maximum.
        max: f64,
    },
    /// A price that is negative or not a number.
    #[error("price {0} is not a finite number ≥ 0")]
    BadPrice(f64),
    /// An option pricer given another instrument.
    #[error("not an option")]
    NotAnOption,
}

/// Greeks of one option, in the units of the module table.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Greeks {
    /// Price, USD (discounted).
    pub price: f64,
    /// dV/dF (or dV/dS).
    pub delta: f64,
    /// d²V/dF², per USD.
    pub gamma: f64,
    /// USD per vol point.
    pub vega: f64,
    /// USD per calendar day.
    pub theta: f64,
    /// USD per 1 % of rate.
    pub rho: f64,
    /// Change of delta per vol point.
    pub vanna: f64,
    /// Change of vega per vol point.
    pub volga: f64,
}

pub(crate) use special::{norm_cdf, norm_pdf};

mod special {
    use implied_vol::{DefaultSpecialFn, SpecialFn};

    /// Φ(x), Cody's rational approximations (accurate to machine precision in the tails).
    #[inline]
    pub fn norm_cdf(x: f64) -> f64 {
        DefaultSpecialFn::norm_cdf(x)
    }

    /// φ(x) = e^{−x²/2} / √(2π).
    #[inline]
    pub fn norm_pdf(x: f64) -> f64 {
        const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
        INV_SQRT_2PI * (-0.5 * x * x).exp()
    }
}

pub(crate) fn check_inputs(
    underlying: f64,
    strike: f64,
    t: f64,
    vol: f64,
    rate: f64,
) -> Result<(), PricingError> {
    if !(underlying.is_finite() && underlying > 0.0) {
        return Err(PricingError::BadUnderlying(underlying));
    }
    if !(strike.is_finite() && strike > 0.0) {
        return Err(PricingError::BadStrike(strike));
    }
    if !(t.is_finite() && t > 0.0) {
        return Err(PricingError::Expired(t));
    }
    if !(vol.is_finite() && vol > 0.0) {
        return Err(PricingError::BadVolatility(vol));
    }
    if !rate.is_finite() {
        return Err(PricingError::BadRate(rate));
    }
    Ok(())
}
