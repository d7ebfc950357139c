//! Leverage brackets (maintenance-margin tiers) in Binance's `GET /fapi/v1/leverageBracket`
//! layout: `[{symbol, brackets: [{bracket, initialLeverage, notionalCap, notionalFloor,
//! maintMarginRatio, cum}]}]`, bare or under `data` (as in `shared/data`).

use super::{read_text, IoError};
use crate::margin::liquidation::{check_brackets, Bracket};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBracket {
    notional_floor: f64,
    notional_cap: f64,
    maint_margin_ratio: f64,
    cum: f64,
}

#[derive(Deserialize)]
struct RawSymbol {
    symbol: String,
    brackets: Vec<RawBracket>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFile {
    Wrapped { data: Vec<RawSymbol> },
    Bare(Vec<RawSymbol>),
}

/// Read a bracket file: symbol (`BTCUSDT`) → its brackets, each table checked (contiguous,
/// `cum` consistent).
///
/// # Errors
/// [`IoError`] for an unreadable file, JSON of another layout, or a table that fails
/// [`check_brackets`] (naming the symbol and bracket).
pub fn read_leverage_brackets(path: impl AsRef<Path>) -> Result<BTreeMap<String, Vec<Bracket>>, IoError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let fail = |message: String| IoError::Format {
        file: file.clone(),
        message,
    };
    let raw: RawFile = serde_json::from_str(&read_text(path)?).map_err(|e| {
        fail(format!(
            "not a leverage-bracket file ({e}); expected Binance's leverageBracket layout"
        ))
    })?;
    let symbols = match raw {
        RawFile::Wrapped { data } | RawFile::Bare(data) => data,
    };
    let mut out = BTreeMap::new();
    for s in symbols {
        let mut b: Vec<Bracket> = s
            .brackets
            .iter()
            .map(|r| Bracket {
                floor: r.notional_floor,
                cap: r.notional_cap,
                mmr: r.maint_margin_ratio,
                cum: r.cum,
            })
            .collect();
        b.sort_by(|x, y| x.floor.total_cmp(&y.floor));
        check_brackets(&b).map_err(|e| fail(format!("{}: {e}", s.symbol)))?;
        out.insert(s.symbol, b);
    }
    Ok(out)
}
