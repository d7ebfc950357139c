//! Greeks of a chain quote: T from the quote time, F from the chain, σ implied from the mark.

use super::{implied_vol_black76, year_fraction, Black76, Greeks, PricingError};
use crate::data::ChainQuote;
use crate::instrument::Instrument;
use jiff::Timestamp;

/// Which volatility the Greeks were evaluated at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolSource {
    /// Implied from the mark price (the normal case).
    ImpliedFromMark,
    /// Deribit's `mark_iv`, because no volatility reproduces the mark price (e.g. a mark of 0
    /// or below intrinsic value after rounding to 8 decimals in coin).
    MarkIv,
}

/// Valuation of one quote, in Deribit units (see [`crate::pricing`]).
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteGreeks {
    /// Years to expiry (ACT/365, exact seconds).
    pub time: f64,
    /// Forward, USD.
    pub forward: f64,
    /// Implied volatility of the mark price, or why there is none.
    pub iv_from_mark: Result<f64, PricingError>,
    /// σ used for the price and Greeks below.
    pub vol: f64,
    pub vol_source: VolSource,
    /// Black-76 price (USD) and Greeks at `vol`.
    pub greeks: Greeks,
    /// Price in coin (USD price / F).
    pub price_coin: f64,
    /// Delta − price in coin: the coin delta of a coin-settled option.
    pub premium_adjusted_delta: f64,
}

/// Value a chain quote at its own timestamp (or at `as_of`).
///
/// Errors: expired (T ≤ 0), bad forward/strike, and no usable volatility (the mark cannot be
/// inverted and there is no positive `mark_iv`).
pub fn quote_greeks(q: &ChainQuote, as_of: Option<Timestamp>) -> Result<QuoteGreeks, PricingError> {
    let Instrument::Option {
        expiry, strike, kind, ..
    } = q.instrument
    else {
        unreachable!("chain quotes are options")
    };
    let time = year_fraction(as_of.unwrap_or(q.timestamp), expiry);
    let f = q.forward;
    let price_usd = q.mark_price * f;
    let iv = implied_vol_black76(price_usd, f, strike, time, q.rate, kind);
    let (vol, vol_source) = match (iv, q.mark_iv) {
        (Ok(v), _) if v > 0.0 => (v, VolSource::ImpliedFromMark),
        (_, Some(m)) if m > 0.0 => (m, VolSource::MarkIv),
        (Err(e), _) => return Err(e),
        (Ok(v), _) => return Err(PricingError::BadVolatility(v)),
    };
    let o = Black76::new(f, strike, time, vol, q.rate, kind)?;
    let greeks = o.greeks();
    Ok(QuoteGreeks {
        time,
        forward: f,
        iv_from_mark: iv,
        vol,
        vol_source,
        price_coin: greeks.price / f,
        premium_adjusted_delta: greeks.delta - greeks.price / f,
        greeks,
    })
}
