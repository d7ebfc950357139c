//! `var`: VaR and expected shortfall of a whole book by full revaluation — historical and
//! Monte Carlo scenarios over 1 and 10 days — beside the delta, delta-gamma-vega and
//! delta-normal approximations.

use crate::book::Book;
use crate::data::PricePanel;
use crate::risk::{historical_cvar, historical_var, normal_quantile};
use crate::scenario::{
    filtered_historical_scenarios, historical_scenarios, monte_carlo_scenarios, tail_risk, taylor_pnl,
    HistoricalSpec, McSpec, PositionWarning, Revaluer, ScenarioSet, StandardError, TailMeasure, VolHistory,
};
use crate::Result;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct BookVarRequest<'a> {
    /// Daily prices of the book's coins.
    pub prices: &'a PricePanel,
    /// Implied-vol index history (Deribit DVOL), needed when the book holds options.
    pub vol_history: Option<&'a PricePanel>,
    /// Confidence levels (default 0.95, 0.99, 0.995).
    pub confidences: &'a [f64],
    /// Historical moves per horizon (default 730).
    pub window: usize,
    /// Last date of the history (default: the last date with every series).
    pub end: Option<Date>,
    /// Monte Carlo: scenarios, distribution and seed (the horizon is set per run); `None`:
    /// historical only.
    pub monte_carlo: Option<McSpec>,
    /// Equity the losses are shown against (default: the book's value).
    pub equity_usd: Option<f64>,
    /// EWMA decay of the filtered historical simulation (run with the Monte Carlo's scenario
    /// count and seed; RiskMetrics 0.94).
    pub lambda: f64,
}

/// VaR and ES at one confidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VarLine {
    /// Confidence level.
    pub confidence: f64,
    /// Value at risk, USD.
    pub var_usd: f64,
    /// Expected shortfall, USD.
    pub es_usd: f64,
    /// VaR / equity.
    pub var_fraction: Option<f64>,
    /// ES / equity.
    pub es_fraction: Option<f64>,
    /// For an h-day line: the same method's 1-day VaR × √h, for comparison.
    pub sqrt_time_var_usd: Option<f64>,
    /// Monte Carlo standard errors.
    pub standard_error: Option<StandardError>,
    /// Component VaR / ES per position (book order; full revaluation only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_position: Option<Vec<Component>>,
    /// Component VaR / ES per underlying (full revaluation only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_underlying: BTreeMap<String, Component>,
}

/// A position's or an underlying's share of VaR and ES (Euler: the shares sum to the totals),
/// and a position's incremental VaR and ES (the book's less the book's without it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    /// The position's instrument name, or the coin.
    pub name: String,
    /// Component VaR, USD.
    pub var_usd: f64,
    /// Component ES, USD.
    pub es_usd: f64,
    /// Incremental VaR, USD (positions; `None` for large Monte Carlo books).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremental_var_usd: Option<f64>,
    /// Incremental ES, USD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremental_es_usd: Option<f64>,
}

/// One method at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookVar {
    /// `historical`, `filtered-historical`, `monte-carlo` (full revaluation), `delta`,
    /// `delta-gamma-vega` (Taylor on the historical scenarios), `delta-normal` (parametric).
    pub method: &'static str,
    /// Days.
    pub horizon_days: usize,
    /// Scenarios (0 for delta-normal).
    pub scenarios: usize,
    /// Student-t ν of a Monte Carlo run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degrees_of_freedom: Option<f64>,
    /// Per confidence.
    pub lines: Vec<VarLine>,
}

/// What `var` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookVarReport {
    /// The coins moved.
    pub coins: Vec<String>,
    /// Equity the fractions are of, USD.
    pub equity_usd: Option<f64>,
    /// Per coin, where its vol moves come from (`own`, `btc-proxy`, `none`).
    pub vol_source: Vec<(String, String)>,
    /// First and last date of the historical 1-day moves.
    pub history: (Date, Date),
    /// Positions floored or expiring inside a horizon.
    pub warnings: Vec<PositionWarning>,
    /// Every method and horizon.
    pub results: Vec<BookVar>,
}

/// The EWMA decay of filtered-historical VaR (RiskMetrics' daily 0.94).
pub const DEFAULT_EWMA_LAMBDA: f64 = 0.94;

const HORIZONS: [usize; 2] = [1, 10];

/// VaR and ES of `book` by every method at 1 and 10 days.
///
/// # Errors
/// Bad confidences, equity or window; coins without prices; options without a vol history;
/// positions the snapshot cannot value; the scenario builders' errors.
pub fn book_var(book: &Book, req: &BookVarRequest) -> Result<BookVarReport> {
    crate::risk::check_confidences(req.confidences)?;
    let coins = super::stress::book_coins(book)?;
    super::stress::check_vol(book, req.vol_history)?;
    let with_vol = book
        .positions
        .iter()
        .any(|p| matches!(p.instrument, crate::instrument::Instrument::Option { .. }));
    let equity = super::stress::book_equity(book, req.equity_usd)?;
    let frac = |x: f64| equity.map(|e| x / e);
    let spec = |h: usize| HistoricalSpec {
        window: req.window,
        horizon_days: h,
        end: req.end,
        with_vol,
    };
    let vol = req.vol_history.map(|panel| VolHistory { panel });
    let daily = historical_scenarios(req.prices, vol, &coins, &spec(1))?;
    let mut warnings = Vec::new();
    // a history that stops well before the valuation (a coin's prices end there)
    let last = daily.dates[daily.dates.len() - 1];
    if let Some(now) = book
        .market
        .as_of
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
    {
        let days = last.until(now).map_or(0, |s| s.get_days());
        if days > 14 {
            warnings.push(PositionWarning {
                position: "history".into(),
                message: format!(
                    "the moves end on {last}, {days} days before the valuation ({now}): a coin's (or its vol index's) data stops there"
                ),
            });
        }
    }
    let mut results = Vec::new();
    let mut one_day: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let full = |method: &'static str,
                set: &ScenarioSet,
                h: usize,
                batches: Option<usize>,
                nu: Option<f64>,
                warnings: &mut Vec<PositionWarning>,
                one_day: &mut BTreeMap<&'static str, Vec<f64>>|
     -> Result<BookVar> {
        let rev = Revaluer::new(book, set)?;
        for w in &rev.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        let t = tail_risk(&rev, set, req.confidences, batches)?;
        let lines = t
            .measures
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let sqrt_time = (h > 1)
                    .then(|| one_day.get(method).map(|v| v[k] * (h as f64).sqrt()))
                    .flatten();
                line(m, &t.positions, frac, sqrt_time)
            })
            .collect();
        if h == 1 {
            one_day.insert(method, t.measures.iter().map(|m| m.var).collect());
        }
        Ok(BookVar {
            method,
            horizon_days: h,
            scenarios: set.len(),
            degrees_of_freedom: nu,
            lines,
        })
    };
    for h in HORIZONS {
        let hist = if h == 1 {
            daily.clone()
        } else {
            historical_scenarios(req.prices, vol, &coins, &spec(h))?
        };
        results.push(full(
            "historical",
            &hist.set,
            h,
            None,
            None,
            &mut warnings,
            &mut one_day,
        )?);
        let (delta, dgv) = taylor_pnl(book, &hist.set)?;
        for (method, pnl) in [("delta", delta), ("delta-gamma-vega", dgv)] {
            let lines = req
                .confidences
                .iter()
                .enumerate()
                .map(|(k, &c)| -> Result<VarLine> {
                    let (var, es) = (historical_var(&pnl, c)?, historical_cvar(&pnl, c)?);
                    let sqrt_time = (h > 1)
                        .then(|| one_day.get(method).map(|v| v[k] * (h as f64).sqrt()))
                        .flatten();
                    if h == 1 {
                        one_day.entry(method).or_default().push(var);
                    }
                    Ok(plain_line(c, var, es, frac, sqrt_time))
                })
                .collect::<Result<Vec<_>>>()?;
            results.push(BookVar {
                method,
                horizon_days: h,
                scenarios: pnl.len(),
                degrees_of_freedom: None,
                lines,
            });
        }
        if let Some(mc) = req.monte_carlo {
            let spec = McSpec {
                horizon_days: h,
                ..mc
            };
            let fhs = filtered_historical_scenarios(&daily.set, &spec, req.lambda)?;
            let batches = (fhs.len() >= 40).then_some(20);
            results.push(full(
                "filtered-historical",
                &fhs,
                h,
                batches,
                None,
                &mut warnings,
                &mut one_day,
            )?);
            let sims = monte_carlo_scenarios(&daily.set, &spec)?;
            let batches = (sims.set.len() >= 40).then_some(20);
            results.push(full(
                "monte-carlo",
                &sims.set,
                h,
                batches,
                sims.degrees_of_freedom,
                &mut warnings,
                &mut one_day,
            )?);
        }
    }
    results.push(delta_normal(book, &daily.set, req.confidences, frac)?);
    Ok(BookVarReport {
        coins,
        equity_usd: equity,
        vol_source: daily.vol_source.clone(),
        history: (daily.dates[0], daily.dates[daily.dates.len() - 1]),
        warnings,
        results,
    })
}

fn plain_line(
    c: f64,
    var: f64,
    es: f64,
    frac: impl Fn(f64) -> Option<f64>,
    sqrt_time: Option<f64>,
) -> VarLine {
    VarLine {
        confidence: c,
        var_usd: var,
        es_usd: es,
        var_fraction: frac(var),
        es_fraction: frac(es),
        sqrt_time_var_usd: sqrt_time,
        standard_error: None,
        by_position: None,
        by_underlying: BTreeMap::new(),
    }
}

fn line(
    m: &TailMeasure,
    positions: &[String],
    frac: impl Fn(f64) -> Option<f64>,
    sqrt_time: Option<f64>,
) -> VarLine {
    VarLine {
        standard_error: m.standard_error,
        by_position: Some(
            positions
                .iter()
                .zip(&m.var_contributions)
                .zip(&m.es_contributions)
                .enumerate()
                .map(|(k, ((p, v), e))| Component {
                    name: p.clone(),
                    var_usd: *v,
                    es_usd: *e,
                    incremental_var_usd: m.incremental.as_ref().map(|i| i[k].var),
                    incremental_es_usd: m.incremental.as_ref().map(|i| i[k].es),
                })
                .collect(),
        ),
        by_underlying: m
            .by_underlying
            .iter()
            .map(|(k, c)| {
                (
                    k.clone(),
                    Component {
                        name: k.clone(),
                        var_usd: c.var,
                        es_usd: c.es,
                        incremental_var_usd: None,
                        incremental_es_usd: None,
                    },
                )
            })
            .collect(),
        ..plain_line(m.confidence, m.var, m.es, frac, sqrt_time)
    }
}

/// Parametric delta-normal VaR and ES: the book's USD deltas per coin on the covariance (zero
/// mean, ddof 1) of the 1-day spot moves; 10 days by √10 (the parametric rule).
fn delta_normal(
    book: &Book,
    daily: &ScenarioSet,
    confidences: &[f64],
    frac: impl Fn(f64) -> Option<f64> + Copy,
) -> Result<BookVar> {
    let n = daily.coins.len();
    let mut delta = vec![0.0; n];
    for p in &book.positions {
        let c = daily
            .coins
            .iter()
            .position(|x| x.eq_ignore_ascii_case(p.instrument.coin()))
            .expect("the set moves every coin of the book");
        delta[c] += crate::book::position_risk(p, &book.market)
            .map_err(|e| e.at(p))?
            .delta_usd;
    }
    let t = daily.len();
    let mut var_p = 0.0;
    for i in 0..n {
        for j in 0..n {
            let cov = (0..t)
                .map(|s| daily.spot[s * n + i] * daily.spot[s * n + j])
                .sum::<f64>()
                / (t - 1) as f64;
            var_p += delta[i] * delta[j] * cov;
        }
    }
    let sd = var_p.sqrt();
    let lines = confidences
        .iter()
        .map(|&c| {
            let z = normal_quantile(1.0 - c);
            let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            plain_line(c, -z * sd, sd * pdf / (1.0 - c), frac, None)
        })
        .collect();
    Ok(BookVar {
        method: "delta-normal",
        horizon_days: 1,
        scenarios: 0,
        degrees_of_freedom: None,
        lines,
    })
}
