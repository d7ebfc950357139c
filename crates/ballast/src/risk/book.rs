//! Portfolio Greeks of a book of spot, perpetuals, futures and options: per position, per
//! underlying, per expiry bucket and per venue, and scenario P&L by full revaluation.

use crate::instrument::Position;
use crate::market::MarketSnapshot;
use crate::pricing::{position_risk, position_value, PositionRisk, Shock};
use crate::Result;
use std::collections::BTreeMap;

/// Summed Greeks. Coin-denominated fields (delta, gamma) only add up within one underlying.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GreeksTotals {
    pub value_usd: f64,
    pub delta: f64,
    pub delta_usd: f64,
    pub delta_premium_adjusted: f64,
    pub gamma: f64,
    /// USD change of delta_usd for a 1 % spot move: gamma × S² / 100.
    pub gamma_usd_1pct: f64,
    pub vega: f64,
    pub theta: f64,
}

impl GreeksTotals {
    fn add(&mut self, r: &PositionRisk) {
        self.add_scaled(r, 1.0);
    }

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

/// Greeks of a whole book.
#[derive(Debug, Clone, Default)]
pub struct BookGreeks {
    pub lines: Vec<(Position, PositionRisk)>,
    pub by_underlying: BTreeMap<String, GreeksTotals>,
    /// Keyed by (coin, bucket).
    pub by_expiry: BTreeMap<(String, &'static str), GreeksTotals>,
    /// Keyed by (coin, venue).
    pub by_venue: BTreeMap<(String, String), GreeksTotals>,
    /// USD-additive totals over all coins (value, delta_usd, gamma_usd_1pct, vega, theta).
    pub total: GreeksTotals,
}

/// Value every position and aggregate. Errors name the first position that cannot be valued.
pub fn book_greeks(positions: &[Position], m: &MarketSnapshot) -> Result<BookGreeks> {
    let mut out = BookGreeks::default();
    for p in positions {
        let r = position_risk(p, m).map_err(|e| with_position(p, e))?;
        let coin = p.instrument.coin().to_string();
        out.by_underlying.entry(coin.clone()).or_default().add(&r);
        out.by_expiry
            .entry((coin.clone(), expiry_bucket(r.days_to_expiry)))
            .or_default()
            .add(&r);
        out.by_venue.entry((coin, p.venue.clone())).or_default().add(&r);
        out.total.add(&r);
        out.lines.push((p.clone(), r));
    }
    // coin-denominated totals do not add across coins
    out.total.delta = f64::NAN;
    out.total.delta_premium_adjusted = f64::NAN;
    out.total.gamma = f64::NAN;
    Ok(out)
}

fn with_position(p: &Position, e: crate::Error) -> crate::Error {
    crate::Error::Position {
        name: p.name.clone(),
        error: Box::new(e),
    }
}

/// The standard scenario grid: spot ±1 %, ±5 %, ±10 % and volatility ±5 points.
pub const STANDARD_SHOCKS: [Shock; 8] = [
    Shock {
        spot: -0.10,
        vol: 0.0,
    },
    Shock {
        spot: -0.05,
        vol: 0.0,
    },
    Shock {
        spot: -0.01,
        vol: 0.0,
    },
    Shock { spot: 0.01, vol: 0.0 },
    Shock { spot: 0.05, vol: 0.0 },
    Shock { spot: 0.10, vol: 0.0 },
    Shock {
        spot: 0.0,
        vol: -0.05,
    },
    Shock { spot: 0.0, vol: 0.05 },
];

/// P&L of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioPnl {
    pub shock: Shock,
    /// USD P&L per underlying (that coin shocked).
    pub by_underlying: BTreeMap<String, f64>,
    /// USD P&L with every coin shocked together.
    pub total: f64,
}

/// Scenario P&L by full revaluation (not a Taylor expansion): U(shock) − U(0) per position.
pub fn scenario_pnl(
    positions: &[Position],
    m: &MarketSnapshot,
    shocks: &[Shock],
) -> Result<Vec<ScenarioPnl>> {
    let base: Vec<f64> = positions
        .iter()
        .map(|p| position_value(p, m, Shock::default()).map_err(|e| with_position(p, e)))
        .collect::<Result<_>>()?;
    shocks
        .iter()
        .map(|&shock| {
            let mut by: BTreeMap<String, f64> = BTreeMap::new();
            for (p, b) in positions.iter().zip(&base) {
                let v = position_value(p, m, shock).map_err(|e| with_position(p, e))?;
                *by.entry(p.instrument.coin().to_string()).or_default() += v - b;
            }
            Ok(ScenarioPnl {
                shock,
                total: by.values().sum(),
                by_underlying: by,
            })
        })
        .collect()
}
