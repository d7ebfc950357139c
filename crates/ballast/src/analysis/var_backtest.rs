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
    /// For a book of derivatives: today's book revalued on each past day's moves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub book: Option<BookPnlHistory>,
}

/// The hypothetical P&L history of today's book (Basel's "hypothetical P&L": the positions
/// held fixed, every one fully revalued on each past day's joint spot and implied-vol move,
/// a day of theta included); `returns` are this P&L over `equity_usd`.
#[derive(Debug, Clone, Serialize)]
pub struct BookPnlHistory {
    /// Equity the returns are fractions of, USD.
    pub equity_usd: f64,
    /// The P&L of each day's move, USD.
    pub pnl_usd: Vec<f64>,
    /// The positions revalued.
    pub positions: Vec<String>,
    /// Per coin: where its vol moves come from (`own`, `btc-proxy`, `none`).
    pub vol_source: Vec<(String, String)>,
}

/// What to backtest on a book.
#[derive(Debug, Clone, Copy)]
pub struct BookBacktestRequest<'a> {
    /// The models to roll.
    pub models: &'a [VarModel],
    /// Confidence levels.
    pub confidences: &'a [f64],
    /// Window, EWMA decay and Monte Carlo settings.
    pub settings: BacktestSettings,
    /// Last date of the history (default: the last date with every series).
    pub end: Option<Date>,
    /// Equity the returns are fractions of, USD (default: the book's value).
    pub equity_usd: Option<f64>,
}

/// Roll VaR models over the hypothetical P&L of today's `book` ([`BookPnlHistory`]): every
/// day where each held coin has a close (and, with options, its implied-vol index, or BTC's)
/// is one scenario of [`crate::scenario::historical_scenarios`], fully revalued.
///
/// # Errors
/// As [`var_backtest`]; a book the engine cannot value (named); options without a vol
/// history; no equity (a book worth ≤ 0 needs `equity_usd`); a P&L history not longer than
/// the window.
pub fn book_var_backtest(
    book: &crate::book::Book,
    prices: &PricePanel,
    vol: Option<&PricePanel>,
    req: &BookBacktestRequest,
) -> Result<VarBacktestReport> {
    use crate::scenario::{historical_scenarios, HistoricalSpec, Revaluer, VolHistory};
    crate::risk::check_confidences(req.confidences)?;
    req.settings.validate()?;
    let coins = super::stress::book_coins(book)?;
    super::stress::check_vol(book, vol)?;
    let equity = super::stress::book_equity(book, req.equity_usd)?.ok_or_else(|| {
        RiskError::Invalid(
            "the book is worth 0 or less: give the equity its returns are fractions of (--equity)".into(),
        )
    })?;
    let with_vol = book
        .positions
        .iter()
        .any(|p| matches!(p.instrument, crate::instrument::Instrument::Option { .. }));
    let spec = HistoricalSpec {
        window: 0,
        horizon_days: 1,
        end: req.end,
        with_vol,
    };
    let h = historical_scenarios(prices, vol.map(|panel| VolHistory { panel }), &coins, &spec)?;
    let rev = Revaluer::new(book, &h.set)?;
    let pnl = rev.pnl_matrix(&h.set)?.totals();
    let returns: Vec<f64> = pnl.iter().map(|p| p / equity).collect();
    let which = if with_vol {
        "where every coin and its implied-vol index have a value"
    } else {
        "where every coin has a price"
    };
    check_length(&returns, &h.dates, req.settings.window, which)?;
    Ok(VarBacktestReport {
        assets: coins,
        weights: Vec::new(),
        backtests: dated_backtests(&h.dates, &returns, req.models, req.confidences, &req.settings)?,
        returns_spanning_gaps: h.moves_spanning_gaps,
        dates: h.dates,
        returns,
        book: Some(BookPnlHistory {
            equity_usd: equity,
            pnl_usd: pnl,
            positions: rev.positions().to_vec(),
            vol_source: h.vol_source,
        }),
    })
}

/// A history not longer than the window is an error saying so (`which`: the dates counted).
fn check_length(returns: &[f64], dates: &[Date], window: usize, which: &str) -> Result<()> {
    if returns.len() <= window {
        return Err(RiskError::Invalid(format!(
            "the history has {} returns {which} (to {}), not more than the window of {}: shorten the window (--window) or choose assets that trade longer",
            returns.len(),
            dates.last().map_or("the end".into(), |d| d.to_string()),
            window
        ))
        .into());
    }
    Ok(())
}

/// Each model at each confidence on the dated returns.
fn dated_backtests(
    dates: &[Date],
    returns: &[f64],
    models: &[VarModel],
    confidences: &[f64],
    settings: &BacktestSettings,
) -> Result<Vec<DatedBacktest>> {
    if models.is_empty() {
        return Err(RiskError::Invalid("no VaR model given (e.g. historical)".into()).into());
    }
    let mut backtests = Vec::new();
    for model in models {
        for &c in confidences {
            let b = backtest(returns, *model, c, settings)?;
            let tested = &dates[settings.window..];
            backtests.push(DatedBacktest {
                forecast_dates: (tested[0], tested[tested.len() - 1]),
                exception_dates: b.exception_indices.iter().map(|i| tested[*i]).collect(),
                backtest: b,
            });
        }
    }
    Ok(backtests)
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
    let cols = req
        .weights
        .iter()
        .map(|(a, _)| panel.asset_index(a.trim()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let (dates, returns) = portfolio_history(panel, &cols, &w, req.end)?;
    check_length(
        &returns,
        &dates,
        req.settings.window,
        "where every held asset has a price",
    )?;
    let returns_spanning_gaps = dates
        .windows(2)
        .filter(|d| d[0].until(d[1]).is_ok_and(|s| s.get_days() > 1))
        .count();
    let backtests = dated_backtests(&dates, &returns, req.models, req.confidences, &req.settings)?;
    Ok(VarBacktestReport {
        assets: req.weights.iter().map(|p| p.0.trim().to_string()).collect(),
        weights: w,
        // the return dates (the first price only anchors the first return)
        dates,
        returns,
        returns_spanning_gaps,
        backtests,
        book: None,
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
