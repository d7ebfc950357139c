//! Scenario P&L of a book by full revaluation.

use super::{position_value, BookError, Shock};
use crate::instrument::Position;
use crate::market::MarketSnapshot;
use serde::Serialize;
use std::collections::BTreeMap;

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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioPnl {
    /// The shock.
    #[serde(flatten)]
    pub shock: Shock,
    /// USD P&L with every coin shocked together.
    #[serde(rename = "pnl_usd")]
    pub total: f64,
    /// USD P&L per underlying (that coin shocked).
    pub by_underlying: BTreeMap<String, f64>,
}

/// Scenario P&L by full revaluation (not a Taylor expansion): U(shock) − U(0) per position.
///
/// # Errors
/// [`BookError::Position`] naming the first position that cannot be valued.
pub fn scenario_pnl(
    positions: &[Position],
    m: &MarketSnapshot,
    shocks: &[Shock],
) -> Result<Vec<ScenarioPnl>, BookError> {
    let base: Vec<f64> = positions
        .iter()
        .map(|p| position_value(p, m, Shock::default()).map_err(|e| e.at(p)))
        .collect::<Result<_, _>>()?;
    shocks
        .iter()
        .map(|&shock| {
            let mut by: BTreeMap<String, f64> = BTreeMap::new();
            for (p, b) in positions.iter().zip(&base) {
                let v = position_value(p, m, shock).map_err(|e| e.at(p))?;
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
