//! Historical scenarios: each past h-day window (overlapping) a joint move of every coin's
//! spot and, where an implied-vol index exists (Deribit's DVOL for BTC and ETH), of its implied
//! vols; coins without one follow BTC's index (a stated proxy).

use super::engine::ScenarioSet;
use super::ScenarioError;
use crate::data::PricePanel;
use jiff::civil::Date;
use serde::Serialize;

/// Implied-vol index levels by date: a panel whose column `COIN` or `COIN_close` is the coin's
/// index (e.g. Deribit's DVOL in `deribit_dvol_daily.csv`: `BTC_close`, `ETH_close`).
#[derive(Debug, Clone, Copy)]
pub struct VolHistory<'a> {
    /// The levels.
    pub panel: &'a PricePanel,
}

impl VolHistory<'_> {
    /// Check that every column holds implied-vol index levels in vol points (0.1 … 1,000).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming a column with a level outside that range (a price
    /// file given as the vol history, say).
    pub fn check(&self) -> Result<(), ScenarioError> {
        let p = self.panel;
        for (c, name) in p.assets().iter().enumerate() {
            let (lo, hi) = (0..p.dates().len())
                .filter_map(|r| p.price(r, c))
                .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
            if lo < 0.1 || hi > 1000.0 {
                return Err(ScenarioError::Invalid(format!(
                    "vol history column {name} runs from {lo} to {hi}: an implied-vol index in vol points is expected (Deribit's DVOL: 30 to 200), not prices"
                )));
            }
        }
        Ok(())
    }

    /// The column of `coin`'s index.
    pub fn column(&self, coin: &str) -> Option<usize> {
        let names = self.panel.assets();
        names
            .iter()
            .position(|a| a.eq_ignore_ascii_case(&format!("{coin}_close")))
            .or_else(|| names.iter().position(|a| a.eq_ignore_ascii_case(coin)))
    }
}

/// Which historical moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoricalSpec {
    /// Number of scenarios: the last `window` h-day moves (default 730; 0: every move the
    /// data has, at most 100,000).
    pub window: usize,
    /// h: days per move (1, or 10 for 10-day moves from overlapping windows).
    pub horizon_days: usize,
    /// Last date (default: the last date with every series).
    pub end: Option<Date>,
    /// Move implied vols too (the book holds options): the window is then limited to the
    /// dates of the vol history.
    pub with_vol: bool,
}

impl Default for HistoricalSpec {
    fn default() -> Self {
        Self {
            window: 730,
            horizon_days: 1,
            end: None,
            with_vol: false,
        }
    }
}

/// Historical scenarios and where their moves come from.
#[derive(Debug, Clone, Serialize)]
pub struct HistoricalScenarios {
    /// The moves.
    pub set: ScenarioSet,
    /// The last date of each move.
    pub dates: Vec<Date>,
    /// Per coin: `own` (its vol index), `btc-proxy` (BTC's), or `none` (vols not moved).
    pub vol_source: Vec<(String, String)>,
    /// Moves spanning more calendar days than h (a date missing for some series).
    pub moves_spanning_gaps: usize,
}

/// The last `spec.window` overlapping h-day moves of `coins` in `prices` (and of their vol
/// index in `vol` when `spec.with_vol`), over the dates where every series needed has a value.
///
/// # Formula
/// spot move_t = P_t / P_(t−h) − 1; vol move_t = V_t / V_(t−h) − 1 (V a coin's vol index, or
/// BTC's for a coin without one).
///
/// # Errors
/// [`ScenarioError`]: a coin without prices; vols asked for with no vol history, or neither
/// the coin's nor BTC's index in it; h outside 1…365; a window outside 1…100,000 or longer
/// than the common history (saying how many moves there are).
pub fn historical_scenarios(
    prices: &PricePanel,
    vol: Option<VolHistory>,
    coins: &[String],
    spec: &HistoricalSpec,
) -> Result<HistoricalScenarios, ScenarioError> {
    let h = spec.horizon_days;
    let bad = |m: String| Err(ScenarioError::Invalid(m));
    if !(1..=365).contains(&h) {
        return bad(format!("horizon {h} days: between 1 and 365"));
    }
    if spec.window > 100_000 {
        return bad(format!(
            "historical window {}: at most 100000 moves (0: all)",
            spec.window
        ));
    }
    let cols = coins
        .iter()
        .map(|c| prices.asset_index(c))
        .collect::<Result<Vec<_>, _>>()?;
    // per coin, its vol column (own, else BTC's)
    let mut vol_cols = Vec::new();
    let mut vol_source = Vec::new();
    for c in coins {
        let source = match (spec.with_vol, vol) {
            (false, _) => None,
            (true, None) => {
                return bad(format!(
                    "the book holds options: historical scenarios need an implied-vol history (e.g. deribit_dvol_daily.csv) to move {c}'s vols"
                ))
            }
            (true, Some(v)) => match (v.column(c), v.column("BTC")) {
                (Some(k), _) => Some((k, "own")),
                (None, Some(k)) => Some((k, "btc-proxy")),
                (None, None) => {
                    return bad(format!(
                        "no implied-vol index for {c} or BTC in the vol history (columns {})",
                        v.panel.assets().join(", ")
                    ))
                }
            },
        };
        vol_source.push((c.clone(), source.map_or("none", |s| s.1).to_string()));
        vol_cols.push(source.map(|s| s.0));
    }
    // the dates where every series has a value
    let vol_panel = vol.map(|v| v.panel);
    let mut rows: Vec<(Date, Vec<f64>, Vec<f64>)> = Vec::new();
    for (r, d) in prices.dates().iter().enumerate() {
        if spec.end.is_some_and(|e| *d > e) {
            break;
        }
        let Some(p) = cols
            .iter()
            .map(|c| prices.price(r, *c))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let v = match vol_panel {
            Some(vp) if spec.with_vol => {
                let Ok(vr) = vp.dates().binary_search(d) else {
                    continue;
                };
                let Some(v) = vol_cols
                    .iter()
                    .map(|k| k.and_then(|k| vp.price(vr, k)))
                    .collect::<Option<Vec<_>>>()
                else {
                    continue;
                };
                v
            }
            _ => vec![1.0; coins.len()],
        };
        rows.push((*d, p, v));
    }
    let available = rows.len().saturating_sub(h);
    let window = if spec.window == 0 {
        available.min(100_000)
    } else {
        spec.window
    };
    if available == 0 {
        return bad(format!(
            "no {h}-day move where every coin{} has data{}: choose a later end or coins with a longer history",
            if spec.with_vol { " and its vol index" } else { "" },
            spec.end.map_or(String::new(), |e| format!(" up to {e}"))
        ));
    }
    if available < window {
        return bad(format!(
            "{} {h}-day moves where every coin{} has data (to {}), fewer than the window of {}: shorten the window",
            available,
            if spec.with_vol { " and its vol index" } else { "" },
            rows.last().map_or("the end".into(), |r| r.0.to_string()),
            window
        ));
    }
    let n = coins.len();
    let first = rows.len() - window;
    let (mut spot, mut vols, mut dates) = (Vec::new(), Vec::new(), Vec::new());
    let mut gaps = 0;
    for i in first..rows.len() {
        let (d0, p0, v0) = &rows[i - h];
        let (d1, p1, v1) = &rows[i];
        if d0.until(*d1).is_ok_and(|s| s.get_days() > h as i32) {
            gaps += 1;
        }
        for c in 0..n {
            spot.push(p1[c] / p0[c] - 1.0);
            vols.push(if spec.with_vol { v1[c] / v0[c] - 1.0 } else { 0.0 });
        }
        dates.push(*d1);
    }
    let set = ScenarioSet {
        coins: coins.to_vec(),
        spot,
        vol: vols,
        horizon_days: h as f64,
        basis: Vec::new(),
        funding: Vec::new(),
        ..Default::default()
    };
    set.validate()?;
    Ok(HistoricalScenarios {
        set,
        dates,
        vol_source,
        moves_spanning_gaps: gaps,
    })
}
