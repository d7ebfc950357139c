//! Valuation and Greeks of positions (spot, perpetuals, futures, options) on a market snapshot.
//!
//! Convention: a spot move of x shifts every forward and futures price of that coin by the same
//! x (proportional moves, fixed basis), so Greeks are with respect to the **spot index** S and
//! scenario P&L is a full revaluation. USD value of a coin-settled option = mark in coin × S =
//! Black76(F)·S/F; of a USD-settled option = Black76(F). Perpetuals and futures are valued as
//! their P&L from now (zero at the snapshot).

use super::{quote_greeks, year_fraction, Black76};
use crate::instrument::{Instrument, Margining, Position, Settlement};
use crate::market::MarketSnapshot;
use crate::{Error, Result};

/// A scenario: relative spot move and absolute volatility move.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Shock {
    /// Relative spot move (0.05 = +5 %).
    pub spot: f64,
    /// Volatility move in absolute terms (0.05 = +5 vol points).
    pub vol: f64,
}

/// Value and Greeks of one position, in USD and per USD of spot.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PositionRisk {
    /// USD value (options: mark value; perps/futures: 0, their P&L from now; spot: units × S).
    pub value_usd: f64,
    /// dU/dS: coins of underlying.
    pub delta: f64,
    /// delta × S: USD per 100 % move, i.e. USD exposure.
    pub delta_usd: f64,
    /// Premium-adjusted delta for coin-settled options (delta − value in coin), else = delta.
    pub delta_premium_adjusted: f64,
    /// d²U/dS², per USD of spot.
    pub gamma: f64,
    /// USD per volatility point.
    pub vega: f64,
    /// USD per calendar day.
    pub theta: f64,
    /// Spot index used.
    pub spot: f64,
    /// Days to expiry (None for spot and perpetuals).
    pub days_to_expiry: Option<f64>,
}

/// Option parameters resolved from the snapshot: (Black76 at base, S/F, settlement).
fn option_setup(p: &Position, m: &MarketSnapshot) -> Result<(Black76, f64, f64, Settlement)> {
    let Instrument::Option {
        ref coin,
        expiry,
        strike,
        kind,
        settlement,
    } = p.instrument
    else {
        unreachable!()
    };
    let q = m.option(&p.instrument)?;
    let s = m.spot(coin)?;
    let as_of = m.as_of.unwrap_or(q.timestamp);
    let t = year_fraction(as_of, expiry);
    let vol = quote_greeks(q, Some(as_of))?.vol;
    let o = Black76::new(q.forward, strike, t, vol, q.rate, kind)?;
    Ok((o, s, t, settlement))
}

/// Price of a perpetual or future (USD): the snapshot's futures price, else the forward of
/// that expiry (futures) or the spot index (perpetuals).
fn linear_price(p: &Position, m: &MarketSnapshot) -> Result<f64> {
    if let Some(px) = m.futures.get(&p.name) {
        return Ok(*px);
    }
    match &p.instrument {
        Instrument::Future { coin, expiry, .. } => Ok(m.forward(coin, *expiry)?),
        other => Ok(m.spot(other.coin())?),
    }
}

/// USD value of the position under `shock` (full revaluation).
pub fn position_value(p: &Position, m: &MarketSnapshot, shock: Shock) -> Result<f64> {
    let x = shock.spot;
    match &p.instrument {
        Instrument::Spot { coin } => Ok(p.size * m.spot(coin)? * (1.0 + x)),
        Instrument::Perpetual { margining, .. } | Instrument::Future { margining, .. } => {
            let px = linear_price(p, m)?;
            Ok(match margining {
                // coins × price change
                Margining::Linear => p.size * px * x,
                // USD notional N: coin P&L N(1/P − 1/P′) worth N(P′/P − 1) USD
                Margining::Inverse => p.size * x,
            })
        }
        Instrument::Option { .. } => {
            let (o, s, _, settlement) = option_setup(p, m)?;
            let vol = o.vol + shock.vol;
            if !(vol > 0.0) {
                return Err(Error::Pricing(super::PricingError::BadVolatility(vol)));
            }
            let shocked = Black76::new(o.forward * (1.0 + x), o.strike, o.time, vol, o.rate, o.kind)?;
            let v = shocked.price();
            Ok(p.size
                * match settlement {
                    Settlement::Coin => v * s / o.forward,
                    Settlement::Usd => v,
                })
        }
    }
}

/// Value and Greeks of a position.
///
/// Errors: unknown option (not in the snapshot), missing spot or forward, expired option.
pub fn position_risk(p: &Position, m: &MarketSnapshot) -> Result<PositionRisk> {
    let n = p.size;
    let out = match &p.instrument {
        Instrument::Spot { coin } => {
            let s = m.spot(coin)?;
            PositionRisk {
                value_usd: n * s,
                delta: n,
                delta_premium_adjusted: n,
                spot: s,
                ..Default::default()
            }
        }
        Instrument::Perpetual { margining, coin } | Instrument::Future { margining, coin, .. } => {
            if let (Some(a), Some(e)) = (m.as_of, p.instrument.expiry()) {
                let t = year_fraction(a, e);
                if t <= 0.0 {
                    return Err(Error::Pricing(super::PricingError::Expired(t)));
                }
            }
            let s = m.spot(coin)?;
            let px = linear_price(p, m)?;
            let delta = match margining {
                Margining::Linear => n * px / s,
                Margining::Inverse => n / s,
            };
            PositionRisk {
                delta,
                delta_premium_adjusted: delta,
                spot: s,
                days_to_expiry: m
                    .as_of
                    .zip(p.instrument.expiry())
                    .map(|(a, e)| year_fraction(a, e) * 365.0),
                ..Default::default()
            }
        }
        Instrument::Option { .. } => {
            let (o, s, t, settlement) = option_setup(p, m)?;
            let g = o.greeks();
            let r = s / o.forward; // S/F
            let (value, delta, gamma, vega, theta, adj) = match settlement {
                Settlement::Coin => (
                    g.price * r,
                    g.delta,
                    g.gamma / r,
                    g.vega * r,
                    g.theta * r,
                    g.delta - g.price / o.forward,
                ),
                Settlement::Usd => {
                    let d = g.delta / r;
                    (g.price, d, g.gamma / (r * r), g.vega, g.theta, d)
                }
            };
            PositionRisk {
                value_usd: n * value,
                delta: n * delta,
                delta_premium_adjusted: n * adj,
                gamma: n * gamma,
                vega: n * vega,
                theta: n * theta,
                spot: s,
                days_to_expiry: Some(t * 365.0),
                ..Default::default()
            }
        }
    };
    Ok(PositionRisk {
        delta_usd: out.delta * out.spot,
        ..out
    })
}
