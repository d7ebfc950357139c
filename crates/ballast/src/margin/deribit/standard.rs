//! Deribit's standard (non-portfolio) margin, per position, in the settlement coin:
//!
//! | position | initial margin | maintenance margin |
//! |---|---|---|
//! | inverse future / perpetual, q coins | \|q\| (2 % + \|q\|·m_inc) | \|q\| (1 % + \|q\|·m_inc) |
//! | short call | \|q\| (max(0.15 − OTM/F, 0.1) + mark) | \|q\| (0.075 + mark) |
//! | short put | \|q\| max(max(0.15 − OTM/F, 0.1) + mark, MM) | \|q\| (max(0.075, 0.075·mark) + mark) |
//! | long option | 0 (the premium is paid) | 0 |
//!
//! m_inc is the pair's `m_inc` (BTC 0.005 % per BTC); OTM = max(K − F, 0) for a call,
//! max(F − K, 0) for a put; mark in coin. Source: Deribit's margin documentation (support
//! articles "Inverse Futures" and "Inverse Options" margin), as also tabulated by TSLab's
//! Deribit guide.

use super::super::MarginError;
use super::matrix::{classify, PmInput};
use super::params::PmParams;
use crate::instrument::{Instrument, OptionKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// One position's standard margin (settlement coin).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardMarginLine {
    /// Instrument.
    pub instrument: String,
    /// Settlement currency.
    pub currency: String,
    /// Initial margin.
    pub initial_margin: f64,
    /// Maintenance margin.
    pub maintenance_margin: f64,
}

/// Initial and maintenance margin.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct StandardTotals {
    /// Initial margin.
    pub initial_margin: f64,
    /// Maintenance margin.
    pub maintenance_margin: f64,
}

/// Standard margin per position and per settlement currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardMargin {
    /// Per position.
    pub lines: Vec<StandardMarginLine>,
    /// Per settlement currency.
    pub totals: BTreeMap<String, StandardTotals>,
}

/// Standard margin of every coin-settled position of `input` and the totals per currency.
///
/// # Errors
/// Linear (USDC) contracts (not covered: their margin is tiered by notional), missing pair
/// parameters, tickers or index prices.
pub fn standard_margin(params: &PmParams, input: &PmInput) -> Result<StandardMargin, MarginError> {
    let mut lines = Vec::new();
    let mut totals: BTreeMap<String, StandardTotals> = BTreeMap::new();
    for (name, &q) in &input.positions {
        let p = classify(name)?;
        if p.settlement == "usdc" {
            return Err(MarginError::Instrument(format!(
                "{name}: standard margin covers coin-settled contracts; linear USDC contracts are margined by notional tiers"
            )));
        }
        let pair = params.pair(&format!("{}_usd", p.coin))?;
        let a = q.abs();
        let (im, mm) = match &p.instrument {
            Instrument::Option { strike, kind, .. } => {
                if q >= 0.0 {
                    (0.0, 0.0)
                } else {
                    let tk = input
                        .tickers
                        .get(name.as_str())
                        .ok_or_else(|| MarginError::Input(format!("{name}: no ticker")))?;
                    let f = tk.underlying_price.unwrap_or_else(|| {
                        input
                            .index_price
                            .get(&format!("{}_usd", p.coin))
                            .copied()
                            .unwrap_or(f64::NAN)
                    });
                    if !(f > 0.0) {
                        return Err(MarginError::Input(format!("{name}: no underlying price")));
                    }
                    let mark = tk.mark_price;
                    let otm = match kind {
                        OptionKind::Call => (strike - f).max(0.0),
                        OptionKind::Put => (f - strike).max(0.0),
                    };
                    let base = (0.15 - otm / f).max(0.1);
                    match kind {
                        OptionKind::Call => (a * (base + mark), a * (0.075 + mark)),
                        OptionKind::Put => {
                            let mm = 0.075f64.max(0.075 * mark) + mark;
                            (a * (base + mark).max(mm), a * mm)
                        }
                    }
                }
            }
            _ => (a * (0.02 + a * pair.m_inc), a * (0.01 + a * pair.m_inc)),
        };
        let t = totals.entry(p.settlement.clone()).or_default();
        t.initial_margin += im;
        t.maintenance_margin += mm;
        lines.push(StandardMarginLine {
            instrument: name.clone(),
            currency: p.settlement,
            initial_margin: im,
            maintenance_margin: mm,
        });
    }
    Ok(StandardMargin { lines, totals })
}
