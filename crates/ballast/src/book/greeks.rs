//! Portfolio Greeks of a book: per position, per underlying, per expiry bucket and per venue.

use super::{position_risk, BookError, PositionRisk};
use crate::data::finite_or_null;
use crate::instrument::Position;
use crate::market::MarketSnapshot;
use jiff::Timestamp;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;

/// Summed Greeks. Coin-denominated fields (delta, gamma) only add up within one underlying;
/// across underlyings they are NaN (`null` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct GreeksTotals {
    /// Value, USD.
    pub value_usd: f64,
    /// dU/dS, coins of underlying.
    #[serde(serialize_with = "finite_or_null")]
    pub delta: f64,
    /// delta × S, USD.
    pub delta_usd: f64,
    /// Premium-adjusted delta, coins.
    #[serde(serialize_with = "finite_or_null")]
    pub delta_premium_adjusted: f64,
    /// d²U/dS² per USD.
    #[serde(serialize_with = "finite_or_null")]
    pub gamma: f64,
    /// USD change of delta_usd for a 1 % spot move: gamma × S² / 100.
    pub gamma_usd_1pct: f64,
    /// USD per vol point.
    pub vega: f64,
    /// USD per day.
    pub theta: f64,
}

impl GreeksTotals {
    /// Add `x` units of a position with risk `r` (per unit).
    pub(crate) fn add_scaled(&mut self, r: &PositionRisk, x: f64) {
        self.value_usd += x * r.value_usd;
        self.delta += x * r.delta;
        self.delta_usd += x * r.delta_usd;
        self.delta_premium_adjusted += x * r.delta_premium_adjusted;
        self.gamma += x * r.gamma;
        self.gamma_usd_1pct += x * r.gamma * r.spot * r.spot / 100.0;
        self.vega += x * r.vega;
        self.theta += x * r.theta;
    }
}

/// Expiry bucket of a position: `spot/perp`, `0-7d`, `8-30d`, `31-90d`, `91-180d`, `>180d`.
pub fn expiry_bucket(days: Option<f64>) -> &'static str {
    match days {
        None => "spot/perp",
        Some(d) if d <= 7.0 => "0-7d",
        Some(d) if d <= 30.0 => "8-30d",
        Some(d) if d <= 90.0 => "31-90d",
        Some(d) if d <= 180.0 => "91-180d",
        Some(_) => ">180d",
    }
}

/// One position with its value and Greeks.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionLine {
    /// The position.
    pub position: Position,
    /// Its value and Greeks.
    pub risk: PositionRisk,
}

/// Greeks of a whole book.
#[derive(Debug, Clone, Default)]
pub struct BookGreeks {
    /// The valuation instant.
    pub as_of: Option<Timestamp>,
    /// Spot index per coin, USD.
    pub spot: BTreeMap<String, f64>,
    /// Every position.
    pub lines: Vec<PositionLine>,
    /// Totals per underlying.
    pub by_underlying: BTreeMap<String, GreeksTotals>,
    /// Keyed by (coin, bucket).
    pub by_expiry: BTreeMap<(String, &'static str), GreeksTotals>,
    /// Keyed by (coin, venue).
    pub by_venue: BTreeMap<(String, String), GreeksTotals>,
    /// USD-additive totals over all coins (value, delta_usd, gamma_usd_1pct, vega, theta).
    pub total: GreeksTotals,
}

/// Value every position and aggregate.
///
/// # Errors
/// [`BookError::Position`] naming the first position that cannot be valued.
pub fn book_greeks(positions: &[Position], m: &MarketSnapshot) -> Result<BookGreeks, BookError> {
    let mut out = BookGreeks {
        as_of: m.as_of,
        spot: m.spot.clone(),
        ..BookGreeks::default()
    };
    for p in positions {
        let r = position_risk(p, m).map_err(|e| e.at(p))?;
        let coin = p.instrument.coin().to_string();
        out.by_underlying
            .entry(coin.clone())
            .or_default()
            .add_scaled(&r, 1.0);
        out.by_expiry
            .entry((coin.clone(), expiry_bucket(r.days_to_expiry)))
            .or_default()
            .add_scaled(&r, 1.0);
        out.by_venue
            .entry((coin, p.venue.clone()))
            .or_default()
            .add_scaled(&r, 1.0);
        out.total.add_scaled(&r, 1.0);
        out.lines.push(PositionLine {
            position: p.clone(),
            risk: r,
        });
    }
    // coin-denominated totals do not add across coins
    out.total.delta = f64::NAN;
    out.total.delta_premium_adjusted = f64::NAN;
    out.total.gamma = f64::NAN;
    Ok(out)
}

/// JSON: `as_of`, `spot` {coin: USD}, `positions` [{`instrument`, `underlying`, `venue`,
/// `size`, `value_usd`, `delta`, `delta_usd`, `delta_premium_adjusted`, `gamma`, `vega`,
/// `theta`, `days_to_expiry`}], `by_underlying` {coin: totals}, `by_expiry` and `by_venue`
/// (lists of totals with `underlying` and `bucket` / `venue`), `total` (USD-additive fields;
/// coin fields null).
impl Serialize for BookGreeks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Line<'a> {
            instrument: &'a str,
            underlying: &'a str,
            venue: &'a str,
            size: f64,
            value_usd: f64,
            delta: f64,
            delta_usd: f64,
            delta_premium_adjusted: f64,
            gamma: f64,
            vega: f64,
            theta: f64,
            days_to_expiry: Option<f64>,
        }
        #[derive(Serialize)]
        struct Keyed<'a> {
            underlying: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            bucket: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            venue: Option<&'a str>,
            #[serde(flatten)]
            totals: &'a GreeksTotals,
        }
        let lines: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line {
                instrument: &l.position.name,
                underlying: l.position.instrument.coin(),
                venue: &l.position.venue,
                size: l.position.size,
                value_usd: l.risk.value_usd,
                delta: l.risk.delta,
                delta_usd: l.risk.delta_usd,
                delta_premium_adjusted: l.risk.delta_premium_adjusted,
                gamma: l.risk.gamma,
                vega: l.risk.vega,
                theta: l.risk.theta,
                days_to_expiry: l.risk.days_to_expiry,
            })
            .collect();
        let by_expiry: Vec<Keyed> = self
            .by_expiry
            .iter()
            .map(|((c, b), t)| Keyed {
                underlying: c,
                bucket: Some(b),
                venue: None,
                totals: t,
            })
            .collect();
        let by_venue: Vec<Keyed> = self
            .by_venue
            .iter()
            .map(|((c, v), t)| Keyed {
                underlying: c,
                bucket: None,
                venue: Some(v),
                totals: t,
            })
            .collect();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("as_of", &self.as_of)?;
        m.serialize_entry("spot", &self.spot)?;
        m.serialize_entry("positions", &lines)?;
        m.serialize_entry("by_underlying", &self.by_underlying)?;
        m.serialize_entry("by_expiry", &by_expiry)?;
        m.serialize_entry("by_venue", &by_venue)?;
        m.serialize_entry("total", &self.total)?;
        m.end()
    }
}
