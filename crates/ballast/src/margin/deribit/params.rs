//! Deribit's portfolio-margin parameters, read exactly as the `model_params` block of a
//! `private/pme/simulate` response (Deribit's key names; keys Deribit adds later are ignored).

use super::super::MarginError;
use crate::message::Num;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per currency pair (`btc_usd`): the scenario grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairParams {
    /// ± the largest price move of the standard table (0.16 = 16 %).
    pub price_range: f64,
    /// Vol shock up at 30 days, as a fraction of the mark vol (0.5 = +50 %).
    pub volatility_range_up: f64,
    /// Vol shock down at 30 days (0.25 = −25 %).
    pub volatility_range_down: f64,
    /// Exponent p of (30 / days to expiry)^p under 30 days.
    pub short_term_vega_power: f64,
    /// Exponent p beyond 30 days.
    pub long_term_vega_power: f64,
    /// Floor of the up-shocked vol.
    pub min_volatility_for_shock_up: f64,
    /// Largest delta shock, as a fraction of the excess delta (reconstructed use, see the
    /// module docs).
    pub max_delta_shock: f64,
    /// Net delta (USD) from which the delta shock applies.
    pub delta_total_liq_shock_threshold: f64,
    /// Fraction of the extended table's P&L counted.
    pub extended_table_factor: f64,
    /// Margin increment per unit of size (standard margin; unused by the risk matrix).
    #[serde(default)]
    pub m_inc: f64,
}

/// Per settlement currency (`btc`, `usdc`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrencyParams {
    /// Share of scenario gains that offsets losses (0: gains count as 0).
    pub pnl_offset: f64,
    /// Cap on the offset gain, in the currency.
    pub max_offsetable_pnl: f64,
    /// Annualised move of the roll shock.
    pub annualised_move_risk: f64,
    /// Smallest roll-shock move.
    pub min_annualised_move: f64,
    /// Extended-table loss allowance, USD (losses below it count as 0).
    pub extended_dampener: f64,
    /// Collateral haircut (not used by the risk matrix).
    #[serde(default)]
    pub haircut: f64,
    /// Deribit's equity-side setting (reported, not used).
    #[serde(default)]
    pub equity_side_impact: Option<String>,
    /// Whether the currency is in a correlation set (cross PM; not modelled).
    #[serde(default)]
    pub correlation_set: bool,
}

/// Model-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneralParams {
    /// Maintenance margin = mm_factor × risk-matrix margin.
    pub mm_factor: f64,
    /// Price buckets on each side of zero (4 → 9 moves).
    pub buckets_count: usize,
    /// Vol scenarios per move (3: up, same, down).
    pub vol_scenarios_count: usize,
    /// Milliseconds since the epoch the parameters were taken at.
    #[serde(default)]
    pub timestamp: Option<i64>,
}

/// A `model_params` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmParams {
    /// Keyed by pair (`btc_usd`).
    pub currency_pair: BTreeMap<String, PairParams>,
    /// Keyed by settlement currency (`btc`).
    pub currency: BTreeMap<String, CurrencyParams>,
    /// Model-wide settings.
    pub general: GeneralParams,
}

/// The extended table's price moves.
pub const EXTENDED_MOVES: [f64; 8] = [-0.66, -0.33, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0];

impl PmParams {
    /// Check every value's range, naming the key.
    ///
    /// # Errors
    /// [`MarginError::Params`] for a missing section, a negative, non-finite or out-of-range
    /// value.
    pub fn validate(&self) -> Result<(), MarginError> {
        let bad = |k: String, v: f64, want: &str| {
            Err(MarginError::Params(format!("{k} = {} must be {want}", Num(v))))
        };
        let g = &self.general;
        if !(g.mm_factor > 0.0 && g.mm_factor <= 1.0) {
            return bad("general.mm_factor".into(), g.mm_factor, "in (0, 1]");
        }
        if !(1..=50).contains(&g.buckets_count) {
            return bad("general.buckets_count".into(), g.buckets_count as f64, "1 to 50");
        }
        if g.vol_scenarios_count != 3 {
            return bad(
                "general.vol_scenarios_count".into(),
                g.vol_scenarios_count as f64,
                "3 (up, same, down)",
            );
        }
        for (pair, p) in &self.currency_pair {
            for (k, v, lo, hi) in [
                ("price_range", p.price_range, 1e-6, 0.99),
                ("volatility_range_up", p.volatility_range_up, 0.0, 10.0),
                ("volatility_range_down", p.volatility_range_down, 0.0, 0.99),
                ("short_term_vega_power", p.short_term_vega_power, 0.0, 5.0),
                ("long_term_vega_power", p.long_term_vega_power, 0.0, 5.0),
                (
                    "min_volatility_for_shock_up",
                    p.min_volatility_for_shock_up,
                    0.0,
                    20.0,
                ),
                ("max_delta_shock", p.max_delta_shock, 0.0, 1.0),
                (
                    "delta_total_liq_shock_threshold",
                    p.delta_total_liq_shock_threshold,
                    0.0,
                    1e15,
                ),
                ("extended_table_factor", p.extended_table_factor, 0.0, 10.0),
                ("m_inc", p.m_inc, 0.0, 1.0),
            ] {
                if !(v >= lo && v <= hi) {
                    return bad(
                        format!("currency_pair.{pair}.{k}"),
                        v,
                        &format!("in [{lo}, {hi}]"),
                    );
                }
            }
        }
        for (cur, c) in &self.currency {
            for (k, v, lo, hi) in [
                ("pnl_offset", c.pnl_offset, 0.0, 1.0),
                ("max_offsetable_pnl", c.max_offsetable_pnl, 0.0, 1e15),
                ("annualised_move_risk", c.annualised_move_risk, 0.0, 10.0),
                ("min_annualised_move", c.min_annualised_move, 0.0, 10.0),
                ("extended_dampener", c.extended_dampener, 0.0, 1e15),
                ("haircut", c.haircut, 0.0, 1.0),
            ] {
                if !(v >= lo && v <= hi) {
                    return bad(format!("currency.{cur}.{k}"), v, &format!("in [{lo}, {hi}]"));
                }
            }
        }
        Ok(())
    }

    /// The pair's parameters (`btc_usd`).
    ///
    /// # Errors
    /// [`MarginError::Params`] naming the pair and those the file has.
    pub fn pair(&self, pair: &str) -> Result<&PairParams, MarginError> {
        self.currency_pair.get(pair).ok_or_else(|| {
            MarginError::Params(format!(
                "no currency_pair.{pair} parameters (the file has: {})",
                self.currency_pair.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// The settlement currency's parameters (`btc`).
    ///
    /// # Errors
    /// [`MarginError::Params`] naming the currency and those the file has.
    pub fn currency(&self, cur: &str) -> Result<&CurrencyParams, MarginError> {
        self.currency.get(cur).ok_or_else(|| {
            MarginError::Params(format!(
                "no currency.{cur} parameters (the file has: {})",
                self.currency.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// The standard table's price moves: −range … +range in `buckets_count` steps each side.
    pub fn standard_moves(&self, pair: &PairParams) -> Vec<f64> {
        let b = self.general.buckets_count as i64;
        (-b..=b).map(|k| pair.price_range * k as f64 / b as f64).collect()
    }
}
