//! Valuation and Greeks of one position on a market snapshot. An option is worth its mark:
//! m·F in USD on the forward basis, so a coin-settled option is worth m·S USD and a
//! USD-settled one m·F. Its Greeks are Black-76 at the volatility `crate::pricing::quote_greeks`
//! chooses, and a shocked value is the mark plus the Black-76 revaluation,
//! m·F + B(F′, σ′) − B(F, σ), so scenario P&L is a full revaluation of the model.
//! Perpetuals and futures are valued as their P&L from now (zero at the snapshot).

use super::BookError;
use crate::instrument::{Instrument, Margining, Position, Settlement};
use crate::market::MarketSnapshot;
use crate::pricing::{quote_greeks, year_fraction, Black76, PricingError, DAYS_PER_YEAR};

type Result<T> = std::result::Result<T, BookError>;

/// A scenario: relative spot move and absolute volatility move.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Shock {
    /// Relative spot move (0.05 = +5 %).
    #[serde(rename = "spot_shock")]
    pub spot: f64,
    /// Volatility move in absolute terms (0.05 = +5 vol points).
    #[serde(rename = "vol_shock")]
    pub vol: f64,
}

/// Value and Greeks of one position, in USD and per USD of spot.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
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

/// An option resolved on the snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptionSetup {
    /// Black-76 at the base forward and the chosen volatility.
    pub o: Black76,
    /// Spot index, USD.
    pub s: f64,
    /// Years to expiry.
    pub t: f64,
    /// Coin- or USD-settled.
    pub settlement: Settlement,
    /// The mark, USD on the forward basis (mark price in coin × F).
    pub mark_usd: f64,
}

/// An option position resolved on the snapshot: its Black-76 at the chosen volatility, the
/// spot, the time to expiry, settlement and mark.
pub(crate) fn option_setup(p: &Position, m: &MarketSnapshot) -> Result<OptionSetup> {
    let Instrument::Option {
        ref coin,
        expiry,
        strike,
        kind,
        settlement,
    } = p.instrument
    else {
        return Err(PricingError::NotAnOption.into());
    };
    let q = m.option(&p.instrument)?;
    let s = m.spot(coin)?;
    let as_of = m.as_of.unwrap_or(q.timestamp);
    let t = year_fraction(as_of, expiry);
    let vol = quote_greeks(q, Some(as_of))?.vol;
    let o = Black76::new(q.forward, strike, t, vol, q.rate, kind)?;
    Ok(OptionSetup {
        o,
        s,
        t,
        settlement,
        mark_usd: q.mark_price * q.forward,
    })
}

/// Price of a perpetual or future (USD): the snapshot's futures price, else the forward of
/// that expiry (futures) or the spot index (perpetuals).
pub(crate) fn linear_price(p: &Position, m: &MarketSnapshot) -> Result<f64> {
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
                // USD notional N at contract price P: the coin P&L N(1/P − 1/P′) with
                // P′ = P(1 + x), worth N·(S/P)·x USD at the shocked spot S′ = S(1 + x)
                Margining::Inverse => p.size * m.spot(p.instrument.coin())? / px * x,
            })
        }
        Instrument::Option { .. } => {
            let OptionSetup {
                o,
                s,
                settlement,
                mark_usd,
                ..
            } = option_setup(p, m)?;
            let v = if shock == Shock::default() {
                mark_usd
            } else {
                let vol = o.vol + shock.vol;
                if !(vol > 0.0) {
                    return Err(PricingError::BadVolatility(vol).into());
                }
                let shocked = Black76::new(o.forward * (1.0 + x), o.strike, o.time, vol, o.rate, o.kind)?;
                mark_usd + shocked.price() - o.price()
            };
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
/// # Errors
/// [`BookError`]: an option not in the snapshot, a missing spot or forward, an expired
/// instrument.
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
                    return Err(PricingError::Expired(t).into());
                }
            }
            let s = m.spot(coin)?;
            let px = linear_price(p, m)?;
            // coins of underlying per unit move of the index (every price of the coin moving
            // by the same percentage); inverse: notional / contract price, as Deribit
            let delta = match margining {
                Margining::Linear => n * px / s,
                Margining::Inverse => n / px,
            };
            PositionRisk {
                delta,
                delta_premium_adjusted: delta,
                spot: s,
                days_to_expiry: m
                    .as_of
                    .zip(p.instrument.expiry())
                    .map(|(a, e)| year_fraction(a, e) * DAYS_PER_YEAR),
                ..Default::default()
            }
        }
        Instrument::Option { .. } => return Ok(option_risk(n, &option_setup(p, m)?)),
    };
    Ok(PositionRisk {
        delta_usd: out.delta * out.spot,
        ..out
    })
}

/// Value and Greeks of `n` options resolved as `setup` (what [`position_risk`] gives an
/// option position; the live book reprices with it).
pub(crate) fn option_risk(n: f64, setup: &OptionSetup) -> PositionRisk {
    let OptionSetup {
        o,
        s,
        t,
        settlement,
        mark_usd,
    } = *setup;
    let g = o.greeks();
    let r = s / o.forward; // S/F
    let (value, delta, gamma, vega, theta, adj) = match settlement {
        Settlement::Coin => (
            mark_usd * r,
            g.delta,
            g.gamma / r,
            g.vega * r,
            g.theta * r,
            g.delta - mark_usd / o.forward,
        ),
        Settlement::Usd => {
            let d = g.delta / r;
            (mark_usd, d, g.gamma / (r * r), g.vega, g.theta, d)
        }
    };
    PositionRisk {
        value_usd: n * value,
        delta: n * delta,
        delta_usd: n * delta * s,
        delta_premium_adjusted: n * adj,
        gamma: n * gamma,
        vega: n * vega,
        theta: n * theta,
        spot: s,
        days_to_expiry: Some(t * DAYS_PER_YEAR),
    }
}

/// What a venue's ticker would show for a derivative position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionTicker {
    /// Mark price: USD for perpetuals and futures, the option's (coin or USD) mark.
    pub mark_price: f64,
    /// The vol an option is valued at (annual fraction).
    pub vol: Option<f64>,
    /// An option's forward, USD.
    pub forward: Option<f64>,
}

/// The ticker of a derivative position on the snapshot (`None` for spot).
///
/// # Errors
/// A position the snapshot cannot price (no quote, spot or forward).
pub fn position_ticker(p: &Position, m: &MarketSnapshot) -> Result<Option<PositionTicker>> {
    match &p.instrument {
        Instrument::Spot { .. } => Ok(None),
        Instrument::Perpetual { .. } | Instrument::Future { .. } => Ok(Some(PositionTicker {
            mark_price: linear_price(p, m)?,
            vol: None,
            forward: None,
        })),
        Instrument::Option { .. } => {
            let s = option_setup(p, m)?;
            Ok(Some(PositionTicker {
                mark_price: s.mark_usd / s.o.forward,
                vol: Some(s.o.vol),
                forward: Some(s.o.forward),
            }))
        }
    }
}
