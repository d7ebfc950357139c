//! Greeks of a chain quote: T from the quote time, F from the chain, σ from whichever of the
//! mark price and `mark_iv` pins the volatility down better.
//!
//! **Choosing σ.** A mark price is rounded (to 1e-8 BTC, 1e-6 ETH on Deribit) and is computed
//! on a forward that can differ from the row's `underlying_price` by a few basis points
//! (Deribit prices at its own forward, at its own instant); `mark_iv` is rounded to 0.01 vol
//! point. Each source's error in σ is estimated at the reference vol σ₀ (`mark_iv`, or the
//! mark's implied vol without one):
//!
//! * mark: (tick/2 + |Δ − p|·ε) / (e^{−rT} φ(d₁) √T), with p the price in coin, Δ the Black-76
//!   delta, ε = [`FORWARD_MISMATCH`] the relative forward mismatch — the error of a coin price
//!   divided by its sensitivity to σ (its vega per unit of F);
//! * `mark_iv`: half its rounding unit.
//!
//! The smaller error wins. Deep in the money the mark pins σ down badly (vega is tiny while
//! |Δ − p| is not), so `mark_iv` is used; a mark that cannot be inverted (zero, below
//! intrinsic after rounding) leaves `mark_iv`; a chain without `mark_iv` uses the mark. On
//! Deribit's chains this reproduces Deribit's own delta within 1e-4, vega within 1e-3 and theta
//! within 2e-2 (more than two days from expiry; tests in `reference_options.rs`).

use super::{implied_vol_black76, norm_pdf, year_fraction, Black76, Greeks, PricingError};
use crate::data::{ChainQuote, ChainRow};
use crate::instrument::Instrument;
use jiff::Timestamp;
use serde::Serialize;

/// Relative mismatch allowed between the forward a mark was priced on and the row's forward.
pub const FORWARD_MISMATCH: f64 = 3e-4;

/// Which volatility the Greeks were evaluated at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VolSource {
    /// Implied from the mark price.
    #[serde(rename = "mark_price")]
    ImpliedFromMark,
    /// Deribit's `mark_iv`.
    #[serde(rename = "mark_iv")]
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
    /// Where σ came from.
    pub vol_source: VolSource,
    /// Black-76 price (USD) and Greeks at `vol`.
    pub greeks: Greeks,
    /// Price in coin (USD price / F).
    pub price_coin: f64,
    /// Delta − price in coin: the coin delta of a coin-settled option.
    pub premium_adjusted_delta: f64,
}

/// Value a chain quote at its own timestamp (or at `as_of`), at the σ chosen as the module
/// docs describe.
///
/// # Errors
/// [`PricingError`]: a quote of something other than an option, expired (T ≤ 0), a bad
/// forward or strike, no usable volatility (the mark cannot be inverted and there is no
/// positive `mark_iv`).
pub fn quote_greeks(q: &ChainQuote, as_of: Option<Timestamp>) -> Result<QuoteGreeks, PricingError> {
    let Instrument::Option {
        expiry, strike, kind, ..
    } = q.instrument
    else {
        return Err(PricingError::NotAnOption);
    };
    let time = year_fraction(as_of.unwrap_or(q.timestamp), expiry);
    let f = q.forward;
    let iv = implied_vol_black76(q.mark_price * f, f, strike, time, q.rate, kind);
    let from_mark = iv.ok().filter(|v| *v > 0.0 && v.is_finite());
    let from_iv = q.mark_iv.filter(|v| *v > 0.0 && v.is_finite());
    let (vol, vol_source) = match (from_mark, from_iv) {
        (Some(m), Some(i)) => {
            if mark_error(f, strike, time, q.rate, kind, i, q.mark_tick)? < 0.5 * q.iv_tick {
                (m, VolSource::ImpliedFromMark)
            } else {
                (i, VolSource::MarkIv)
            }
        }
        (Some(m), None) => (m, VolSource::ImpliedFromMark),
        (None, Some(i)) => (i, VolSource::MarkIv),
        (None, None) => {
            return Err(match iv {
                Err(e) => e,
                Ok(v) => PricingError::BadVolatility(v),
            })
        }
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

/// The error in σ of inverting a mark: (tick/2 + |Δ − p|·ε) / (e^{−rT} φ(d₁) √T) at σ₀.
fn mark_error(
    f: f64,
    k: f64,
    t: f64,
    r: f64,
    kind: crate::instrument::OptionKind,
    sigma: f64,
    tick: f64,
) -> Result<f64, PricingError> {
    let o = Black76::new(f, k, t, sigma, r, kind)?;
    let g = o.greeks();
    let sd = sigma * t.sqrt();
    let d1 = (f / k).ln() / sd + 0.5 * sd;
    let sensitivity = (-r * t).exp() * norm_pdf(d1) * t.sqrt();
    let err = 0.5 * tick + (g.delta - g.price / f).abs() * FORWARD_MISMATCH;
    Ok(if sensitivity > 0.0 {
        err / sensitivity
    } else {
        f64::INFINITY
    })
}

/// One row of a valued chain, with the keys of `ballast greeks --chain` (JSON and CSV): the
/// Greeks, or the row's `error`. `iv_error` says why the mark has no implied volatility when
/// `mark_iv` was used instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainGreeksRecord {
    /// The instrument name as written.
    pub instrument_name: String,
    /// Years to expiry.
    pub time_years: Option<f64>,
    /// Forward, USD.
    pub forward: Option<f64>,
    /// Implied volatility of the mark price.
    pub iv_from_mark: Option<f64>,
    /// σ of the Greeks.
    pub vol_used: Option<f64>,
    /// Where σ came from (`mark_price` or `mark_iv`).
    pub vol_source: Option<VolSource>,
    /// Price, USD.
    pub price_usd: Option<f64>,
    /// Price, coin.
    pub price_coin: Option<f64>,
    /// dV/dF.
    pub delta: Option<f64>,
    /// Delta − price in coin.
    pub premium_adjusted_delta: Option<f64>,
    /// Per USD.
    pub gamma: Option<f64>,
    /// USD per vol point.
    pub vega: Option<f64>,
    /// USD per calendar day.
    pub theta: Option<f64>,
    /// USD per 1 % of rate.
    pub rho: Option<f64>,
    /// Per vol point.
    pub vanna: Option<f64>,
    /// Per vol point².
    pub volga: Option<f64>,
    /// Why the mark has no implied volatility (the Greeks then use `mark_iv`).
    pub iv_error: Option<String>,
    /// Why the row could not be valued.
    pub error: Option<String>,
}

impl ChainGreeksRecord {
    /// The record of a row's valuation.
    pub fn new(instrument_name: &str, v: &Result<QuoteGreeks, String>) -> Self {
        let none = Self {
            instrument_name: instrument_name.to_string(),
            time_years: None,
            forward: None,
            iv_from_mark: None,
            vol_used: None,
            vol_source: None,
            price_usd: None,
            price_coin: None,
            delta: None,
            premium_adjusted_delta: None,
            gamma: None,
            vega: None,
            theta: None,
            rho: None,
            vanna: None,
            volga: None,
            iv_error: None,
            error: None,
        };
        match v {
            Err(e) => Self {
                error: Some(e.clone()),
                ..none
            },
            Ok(q) => Self {
                time_years: Some(q.time),
                forward: Some(q.forward),
                iv_from_mark: q.iv_from_mark.as_ref().ok().copied(),
                vol_used: Some(q.vol),
                vol_source: Some(q.vol_source),
                price_usd: Some(q.greeks.price),
                price_coin: Some(q.price_coin),
                delta: Some(q.greeks.delta),
                premium_adjusted_delta: Some(q.premium_adjusted_delta),
                gamma: Some(q.greeks.gamma),
                vega: Some(q.greeks.vega),
                theta: Some(q.greeks.theta),
                rho: Some(q.greeks.rho),
                vanna: Some(q.greeks.vanna),
                volga: Some(q.greeks.volga),
                iv_error: q.iv_from_mark.as_ref().err().map(|e| e.to_string()),
                ..none
            },
        }
    }
}

/// Value every row of a chain (at each quote's time, or at `as_of`): the valuation of each
/// row, or why it has none (naming `file` and the line). The rows keep their order.
pub fn value_chain(
    rows: Vec<ChainRow>,
    as_of: Option<Timestamp>,
    file: &str,
) -> Vec<(String, Result<QuoteGreeks, String>)> {
    rows.into_iter()
        .map(|r| {
            let v = r
                .quote
                .and_then(|q| quote_greeks(&q, as_of).map_err(|e| format!("{file}:{}: {e}", r.line)));
            (r.instrument_name, v)
        })
        .collect()
}
