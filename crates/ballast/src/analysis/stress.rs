//! `stress`: the book's P&L under the crisis library, hypothetical shocks, a spot × vol grid
//! and the user's scenarios, every position revalued.

use crate::book::{book_greeks, Book};
use crate::data::PricePanel;
use crate::risk::RiskError;
use crate::scenario::{
    pnl_at_horizons, stress_scenarios, PositionWarning, StressScenario, UserScenario, GRID_VOLS,
};
use crate::Result;
use serde::Serialize;
use std::collections::BTreeMap;

/// One scenario's P&L.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressResult {
    /// The scenario.
    #[serde(flatten)]
    pub scenario: StressScenario,
    /// Relative spot move per coin.
    pub spot_moves: BTreeMap<String, f64>,
    /// Relative implied-vol move per coin.
    pub vol_moves: BTreeMap<String, f64>,
    /// Parallel implied-vol shift per coin, vol points (only coins shifted).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub vol_points: BTreeMap<String, f64>,
    /// Skew and term tilt per coin, vol points at the 30-day at-the-money point (only coins
    /// tilted).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tilt_points: BTreeMap<String, f64>,
    /// The book's P&L, USD.
    pub pnl_usd: f64,
    /// P&L / equity.
    pub pnl_fraction: Option<f64>,
    /// P&L per underlying, USD.
    pub by_underlying: BTreeMap<String, f64>,
    /// The (up to) five positions that lose most (name, P&L USD; losses over half a cent),
    /// worst first.
    pub worst_positions: Vec<(String, f64)>,
}

/// The spot × vol grid: P&L (USD) with every coin moved by `spot[i]` and every implied vol by
/// `vol[j]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressGrid {
    /// Relative spot moves (rows).
    pub spot: Vec<f64>,
    /// Relative vol moves (columns).
    pub vol: Vec<f64>,
    /// P&L, rows × columns.
    pub pnl_usd: Vec<Vec<f64>>,
}

/// What `stress` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressReport {
    /// Equity the fractions are of, USD.
    pub equity_usd: Option<f64>,
    /// Crises, hypothetical and user scenarios.
    pub scenarios: Vec<StressResult>,
    /// The grid.
    pub grid: StressGrid,
    /// The scenario (not the grid) with the largest loss.
    pub worst: String,
    /// Positions floored or expiring.
    pub warnings: Vec<PositionWarning>,
}

/// Stress `book`: every scenario of [`crate::scenario::stress_scenarios`] fully revalued.
///
/// # Errors
/// Bad equity; the scenario library's errors (coins without history, bad user scenarios);
/// positions the snapshot cannot value.
pub fn stress(
    book: &Book,
    prices: &PricePanel,
    vol: Option<&PricePanel>,
    user: &[UserScenario],
    equity_usd: Option<f64>,
) -> Result<StressReport> {
    let coins = book_coins(book)?;
    check_vol(book, vol)?;
    let equity = book_equity(book, equity_usd)?;
    let lib = stress_scenarios(prices, vol, &coins, user)?;
    let hp = pnl_at_horizons(book, &lib.set, &lib.days())?;
    let m = &hp.matrix;
    let n = coins.len();
    let mut scenarios = Vec::new();
    let mut grid_rows: Vec<(f64, Vec<f64>)> = Vec::new();
    for (s, sc) in lib.scenarios.iter().enumerate() {
        let row = m.row(s);
        let total: f64 = row.iter().sum();
        if sc.kind == "grid" {
            let spot = lib.set.spot[s * n];
            match grid_rows.last_mut() {
                Some((x, r)) if *x == spot => r.push(total),
                _ => grid_rows.push((spot, vec![total])),
            }
            continue;
        }
        let mut by_underlying: BTreeMap<String, f64> = BTreeMap::new();
        for (p, coin) in hp.coin_of.iter().enumerate() {
            *by_underlying.entry(coins[*coin].clone()).or_default() += row[p];
        }
        let mut worst: Vec<(String, f64)> = m.positions.iter().cloned().zip(row.iter().copied()).collect();
        worst.retain(|(_, p)| *p < -0.005);
        worst.sort_by(|a, b| a.1.total_cmp(&b.1));
        worst.truncate(5);
        let moves = |v: &[f64]| -> BTreeMap<String, f64> {
            coins
                .iter()
                .cloned()
                .zip(v[s * n..(s + 1) * n].iter().copied())
                .collect()
        };
        let points = |v: &[f64]| -> BTreeMap<String, f64> {
            if v.is_empty() {
                return BTreeMap::new();
            }
            let mut m = moves(v);
            m.retain(|_, x| *x != 0.0);
            m.values_mut().for_each(|x| *x *= 100.0);
            m
        };
        scenarios.push(StressResult {
            scenario: sc.clone(),
            spot_moves: moves(&lib.set.spot),
            vol_moves: moves(&lib.set.vol),
            vol_points: points(&lib.set.vol_points),
            tilt_points: points(&lib.set.vol_tilt),
            pnl_usd: total,
            pnl_fraction: equity.map(|e| total / e),
            by_underlying,
            worst_positions: worst,
        });
    }
    let worst = scenarios
        .iter()
        .min_by(|a, b| a.pnl_usd.total_cmp(&b.pnl_usd))
        .map(|s| s.scenario.name.clone())
        .unwrap_or_default();
    Ok(StressReport {
        equity_usd: equity,
        grid: StressGrid {
            spot: grid_rows.iter().map(|r| r.0).collect(),
            vol: GRID_VOLS.to_vec(),
            pnl_usd: grid_rows.into_iter().map(|r| r.1).collect(),
        },
        scenarios,
        worst,
        warnings: hp.warnings,
    })
}

/// The least-premium put hedge keeping the loss of `book` within `spec.max_loss_usd` in every
/// crisis and hypothetical shock of the library that moves prices or vols (not the funding
/// and basis scenarios: puts do not hedge them), every down-move of the grid and the file's
/// scenarios.
///
/// # Errors
/// As [`stress`] and [`crate::hedge::tail_hedge`].
pub fn tail_hedge(
    book: &Book,
    prices: &PricePanel,
    vol: Option<&PricePanel>,
    user: &[UserScenario],
    spec: &crate::hedge::TailHedgeSpec,
) -> Result<crate::hedge::TailHedge> {
    let coins = book_coins(book)?;
    check_vol(book, vol)?;
    let lib = stress_scenarios(prices, vol, &coins, user)?;
    let n = coins.len();
    let keep: Vec<usize> = lib
        .scenarios
        .iter()
        .enumerate()
        .filter(|(s, sc)| {
            let row = |v: &[f64]| v[s * n..(s + 1) * n].to_vec();
            match sc.kind {
                "grid" => row(&lib.set.spot).iter().any(|m| *m < 0.0),
                // puts hedge price and vol moves, not funding, the basis or time alone
                _ => [
                    &lib.set.spot,
                    &lib.set.vol,
                    &lib.set.vol_points,
                    &lib.set.vol_tilt,
                ]
                .iter()
                .filter(|v| !v.is_empty())
                .any(|v| row(v).iter().any(|m| *m != 0.0)),
            }
        })
        .map(|(s, _)| s)
        .collect();
    let set = lib.set.select(&keep, 0.0);
    let names: Vec<String> = keep.iter().map(|s| lib.scenarios[*s].name.clone()).collect();
    let days: Vec<f64> = keep.iter().map(|s| lib.scenarios[*s].days).collect();
    Ok(crate::hedge::tail_hedge(book, &set, &names, &days, spec)?)
}

/// The equity losses are shown against: `given` (checked: 1 … 1e15 USD), else the book's value
/// when positive.
pub(super) fn book_equity(book: &Book, given: Option<f64>) -> Result<Option<f64>> {
    match given {
        Some(e) if !(e.is_finite() && (1.0..=1e15).contains(&e)) => Err(RiskError::Invalid(format!(
            "equity {}: a number of USD between 1 and 1e15",
            crate::message::Num(e)
        ))
        .into()),
        Some(e) => Ok(Some(e)),
        None => Ok(Some(book_greeks(&book.positions, &book.market)?.total.value_usd).filter(|v| *v > 0.0)),
    }
}

/// The vol history checked, and required when the book holds options.
pub(super) fn check_vol(book: &Book, vol: Option<&PricePanel>) -> Result<()> {
    let options = book
        .positions
        .iter()
        .any(|p| matches!(p.instrument, crate::instrument::Instrument::Option { .. }));
    match vol {
        Some(panel) => Ok(crate::scenario::VolHistory { panel }.check()?),
        None if options => Err(RiskError::Invalid(
            "the book holds options: their vol moves need an implied-vol history ([market] vol_history = \"deribit_dvol_daily.csv\")".into(),
        )
        .into()),
        None => Ok(()),
    }
}

/// The book's coins, upper case, in position order.
pub(super) fn book_coins(book: &Book) -> Result<Vec<String>> {
    let mut coins: Vec<String> = Vec::new();
    for p in &book.positions {
        let c = p.instrument.coin().to_uppercase();
        if !coins.contains(&c) {
            coins.push(c);
        }
    }
    if coins.is_empty() {
        return Err(RiskError::Invalid("the book has no positions".into()).into());
    }
    Ok(coins)
}
