//! `var-backtest`: VaR models rolled over a portfolio's whole history, with their exceptions
//! and coverage tests.

use super::portfolio_weights;
use crate::data::PricePanel;
use crate::risk::{var_backtest as backtest, BacktestSettings, RiskError, VarBacktest, VarModel};
use crate::Result;
use jiff::civil::Date;
use serde::Serialize;

/// What to backtest.
#[derive(Debug, Clone, Copy)]
pub struct VarBacktestRequest<'a> {
    /// (asset, weight) pairs: the portfolio, rebalanced to these weights every period.
    pub weights: &'a [(String, f64)],
    /// Rescale the weights to sum to 1.
    pub normalize: bool,
    /// The models to roll.
    pub models: &'a [VarModel],
    /// Confidence levels.
    pub confidences: &'a [f64],
    /// Window and EWMA decay.
    pub settings: BacktestSettings,
    /// Last date of the history (default: the panel's last).
    pub end: Option<Date>,
}

/// One model at one confidence, with dates.
#[derive(Debug, Clone, Serialize)]
pub struct DatedBacktest {
    /// The backtest.
    #[serde(flatten)]
    pub backtest: VarBacktest,
    /// Dates of the first and last forecast tested.
    pub forecast_dates: (Date, Date),
    /// Dates of the exceptions.
    pub exception_dates: Vec<Date>,
}

/// What `var-backtest` returns.
#[derive(Debug, Clone, Serialize)]
pub struct VarBacktestReport {
    /// The held assets.
    pub assets: Vec<String>,
    /// Their weights.
    pub weights: Vec<f64>,
    /// Date of each portfolio return.
    pub dates: Vec<Date>,
    /// The portfolio's simple returns: the dates where every held asset has a price.
    pub returns: Vec<f64>,
    /// Returns that span more than one calendar day (dates without a price for some held
    /// asset: the return runs from the last price to the next, nothing filled).
    pub returns_spanning_gaps: usize,
    /// Per model and confidence.
    pub backtests: Vec<DatedBacktest>,
}

/// The portfolio of `req` on every date where all its assets have a price (up to `req.end`),
/// and each model's backtest at each confidence.
///
/// # Errors
/// Weights (as [`super::risk`]), unknown assets, an `end` before the data, a history not
/// longer than the window, and the errors of [`crate::risk::var_backtest`].
pub fn var_backtest(panel: &PricePanel, req: &VarBacktestRequest) -> Result<VarBacktestReport> {
    let w = portfolio_weights(req.weights, req.normalize)?;
    crate::risk::check_confidences(req.confidences)?;
    req.settings.validate()?;
    if req.models.is_empty() {
        return Err(RiskError::Invalid("no VaR model given (e.g. historical)".into()).into());
    }
    let cols = req
        .weights
        .iter()
        .map(|(a, _)| panel.asset_index(a.trim()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let (dates, returns) = portfolio_history(panel, &cols, &w, req.end)?;
    if returns.len() <= req.settings.window {
        return Err(RiskError::Invalid(format!(
            "the history has {} returns where every held asset has a price (to {}), not more than the window of {}: shorten the window (--window) or choose assets that trade longer",
            returns.len(),
            dates.last().map_or("the end".into(), |d| d.to_string()),
            req.settings.window
        ))
        .into());
    }
    let returns_spanning_gaps = dates
        .windows(2)
        .filter(|d| d[0].until(d[1]).is_ok_and(|s| s.get_days() > 1))
        .count();
    let mut backtests = Vec::new();
    for model in req.models {
        for &c in req.confidences {
            let b = backtest(&returns, *model, c, &req.settings)?;
            let tested = &dates[req.settings.window..];
            backtests.push(DatedBacktest {
                forecast_dates: (tested[0], tested[tested.len() - 1]),
                exception_dates: b.exception_indices.iter().map(|i| tested[*i]).collect(),
                backtest: b,
            });
        }
    }
    Ok(VarBacktestReport {
        assets: req.weights.iter().map(|p| p.0.trim().to_string()).collect(),
        weights: w,
        // the return dates (the first price only anchors the first return)
        dates,
        returns,
        returns_spanning_gaps,
        backtests,
    })
}

/// The constant-weight portfolio's simple returns over the rows where every column in `cols`
/// has a price, up to `end`.
fn portfolio_history(
    panel: &PricePanel,
    cols: &[usize],
    w: &[f64],
    end: Option<Date>,
) -> Result<(Vec<Date>, Vec<f64>)> {
    if let Some(e) = end {
        if panel.dates().first().is_some_and(|d| e < *d) {
            return Err(RiskError::Invalid(format!(
                "end date {e} is before the first date of the prices ({})",
                panel.dates()[0]
            ))
            .into());
        }
    }
    let mut prev: Option<Vec<f64>> = None;
    let (mut dates, mut returns) = (Vec::new(), Vec::new());
    for (row, d) in panel.dates().iter().enumerate() {
        if end.is_some_and(|e| *d > e) {
            break;
        }
        let Some(p) = cols
            .iter()
            .map(|c| panel.price(row, *c))
            .collect::<Option<Vec<f64>>>()
        else {
            continue;
        };
        if let Some(q) = &prev {
            returns.push(
                p.iter()
                    .zip(q)
                    .zip(w)
                    .map(|((a, b), wi)| wi * (a / b - 1.0))
                    .sum(),
            );
            dates.push(*d);
        }
        prev = Some(p);
    }
    Ok((dates, returns))
}

/// The weights of holdings (asset, units) at each coin's last price on or before `end`:
/// units × price / the total (cash is not part of it).
///
/// # Errors
/// No holdings, units that are negative or not finite, an asset without prices, a total of 0.
pub fn holdings_weights(
    holdings: &[(String, f64)],
    panel: &PricePanel,
    end: Option<Date>,
) -> Result<Vec<(String, f64)>> {
    let bad = |m: String| -> crate::Error { RiskError::Invalid(m).into() };
    if holdings.is_empty() {
        return Err(bad("the file has no [[holding]]s to backtest".into()));
    }
    let mut values = Vec::new();
    for (asset, units) in holdings {
        if !(units.is_finite() && *units >= 0.0) {
            return Err(bad(format!("holding {asset}: units {units} must be ≥ 0")));
        }
        let c = panel.asset_index(asset)?;
        let last = (0..panel.dates().len())
            .rev()
            .filter(|r| end.is_none_or(|e| panel.dates()[*r] <= e))
            .find_map(|r| panel.price(r, c))
            .ok_or_else(|| bad(format!("holding {asset}: no price on or before the end")))?;
        values.push((asset.clone(), units * last));
    }
    let total: f64 = values.iter().map(|v| v.1).sum();
    if !(total > 0.0) {
        return Err(bad("the holdings are worth 0".into()));
    }
    Ok(values.into_iter().map(|(a, v)| (a, v / total)).collect())
}
