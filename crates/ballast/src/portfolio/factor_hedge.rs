//! `ballast hedge PORTFOLIO --beta | --min-variance`: hedge a book's market risk with
//! perpetuals on a few liquid coins, with the funding the hedge would pay.

use super::{analysis::universe, PortfolioError, PortfolioFile};
use crate::data::{FundingRates, PricePanel, ReturnKind, WindowSpec};
use crate::hedge::{beta_hedge, min_variance_hedge, ols_slopes, CorrelationHedge};
use crate::Result;
use jiff::civil::Date;
use serde::Serialize;

/// Which hedge.
#[derive(Debug, Clone, PartialEq)]
pub enum HedgeMode {
    /// Minimum variance of the hedged book.
    MinVariance,
    /// Set the book's beta to each instrument to a target (0 = market neutral).
    Beta {
        /// Target beta per instrument.
        target: Vec<f64>,
    },
}

/// A correlation-hedge request on a portfolio file.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorHedgeRequest {
    /// Coins whose perpetuals carry the hedge (`BTC`, `ETH`).
    pub instruments: Vec<String>,
    /// Which hedge.
    pub mode: HedgeMode,
    /// Days of history for the walk-forward test (capped by the common history of the book
    /// and the instruments); the refits use the file's `[data] window`.
    pub history: usize,
    /// Quantile of the first instrument's daily return that marks a crisis day.
    pub crisis_quantile: f64,
    /// Days of funding averaged for the hedge's funding cost.
    pub funding_days: usize,
}

/// The hedge's funding at recent rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundingCost {
    /// Days with a rate averaged (the latest on or before the valuation date).
    pub days: usize,
    /// Mean daily funding rate per instrument (three 8-hour rates summed; positive = longs pay).
    pub mean_daily_rate: Vec<Option<f64>>,
    /// Last day of the rates averaged per instrument (`None`: the file has no rate for it).
    pub through: Vec<Option<Date>>,
    /// USD a year the hedge pays (negative = receives) at those rates: Σ notional × rate × 365.
    pub cost_usd_annual: f64,
}

/// What the hedge request returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorHedgeReport {
    /// Valuation date.
    pub as_of: Date,
    /// Book value in USD (holdings and cash).
    pub value_usd: f64,
    /// The book's OLS betas to the instruments over the window, before the hedge.
    pub betas_before: Vec<f64>,
    /// After the hedge (betas before + hedge ratios).
    pub betas_after: Vec<f64>,
    /// Perpetual notional per instrument, USD (negative = short).
    pub notional_usd: Vec<f64>,
    /// Ratios, volatilities, walk-forward.
    pub hedge: CorrelationHedge,
    /// Funding cost of the hedge, when funding rates are given.
    pub funding: Option<FundingCost>,
}

/// Hedge the holdings of `pf` with perpetuals on `req.instruments`.
///
/// # Errors
/// The file's errors (no `[data]`, bad holdings), instruments that are held-out coins with no
/// prices in the window, the hedge's errors (collinear instruments, too short a history), a
/// history or funding period out of range.
pub fn factor_hedge(
    pf: &PortfolioFile,
    panel: &PricePanel,
    req: &FactorHedgeRequest,
    funding: Option<&FundingRates>,
) -> Result<FactorHedgeReport> {
    let data = pf.data()?;
    let (assets, units) = universe(pf)?;
    let k = req.instruments.len();
    if !(1..=20).contains(&k) {
        return Err(pf
            .invalid(format!(
                "{k} hedge instruments: give 1 to 20 (e.g. BTC-PERPETUAL,ETH-PERPETUAL)"
            ))
            .into());
    }
    if !(2..=crate::data::MAX_WINDOW).contains(&req.history) || !(1..=3650).contains(&req.funding_days) {
        return Err(pf
            .invalid(format!(
                "history = {} days and funding days = {} must be in 2..={} and 1..=3650",
                req.history,
                req.funding_days,
                crate::data::MAX_WINDOW
            ))
            .into());
    }
    if let Some(c) = req.instruments.iter().find(|c| !panel.assets().contains(c)) {
        return Err(pf
            .invalid(format!(
                "hedge instrument {c}: the price data has no {c} to estimate it with (it has: {})",
                panel.assets().join(",")
            ))
            .into());
    }
    let mut all = assets.clone();
    all.extend(req.instruments.iter().filter(|c| !assets.contains(c)).cloned());
    let window = |returns: usize| {
        panel
            .window(&WindowSpec {
                assets: Some(all.clone()),
                returns,
                end: data.end,
                ..WindowSpec::default()
            })
            .map_err(|error| PortfolioError::Window {
                file: pf.source.clone(),
                error,
            })
    };
    let w = window(data.window)?;
    let prices = w.last_prices();
    let value: f64 = units.iter().zip(&prices).map(|(u, p)| u * p).sum::<f64>() + pf.cash_usd;
    if !(value > 0.0) {
        return Err(pf
            .invalid(format!("portfolio value is {value:.2} USD; it must be > 0"))
            .into());
    }
    let weights: Vec<f64> = (0..all.len())
        .map(|i| {
            if i < assets.len() {
                units[i] * prices[i] / value
            } else {
                0.0
            }
        })
        .collect();
    let series = |r: &crate::data::Returns| -> (Vec<f64>, Vec<Vec<f64>>) {
        let hedges = req
            .instruments
            .iter()
            .map(|c| r.column(all.iter().position(|a| a == c).unwrap_or(0)).to_vec())
            .collect();
        (r.portfolio(&weights), hedges)
    };
    let (book, hedges) = series(&w.returns(ReturnKind::Simple));
    let t = book.len();
    let betas = ols_slopes(&book, &req.instruments, &hedges, 0, t)?;
    let ppy = crate::PERIODS_PER_YEAR_DAILY;
    let mut hedge = run(req, &book, &hedges, &betas, t.saturating_sub(1).max(1), ppy)?;
    hedge.out_of_sample = None;
    // the walk-forward test on the longest common history up to the request's
    let long = (data.window..=req.history.max(data.window))
        .rev()
        .step_by(30)
        .find_map(|n| window(n).ok());
    if let Some(lw) = long.filter(|lw| lw.n_rows() > data.window + 31) {
        let (lb, lh) = series(&lw.returns(ReturnKind::Simple));
        let lbetas = ols_slopes(&lb, &req.instruments, &lh, 0, lb.len())?;
        hedge.out_of_sample = run(req, &lb, &lh, &lbetas, data.window, ppy)?.out_of_sample;
    }
    let notional_usd: Vec<f64> = hedge.hedge_ratios.iter().map(|x| x * value).collect();
    let as_of = w.dates[w.dates.len() - 1];
    let funding = funding.map(|f| {
        // the latest `funding_days` days with a rate, on or before the valuation date
        let (rates, through): (Vec<Option<f64>>, Vec<Option<Date>>) = req
            .instruments
            .iter()
            .map(|c| {
                let days: Vec<(&Date, &f64)> = f
                    .daily
                    .get(c)
                    .map(|d| d.range(..=as_of).rev().take(req.funding_days).collect())
                    .unwrap_or_default();
                let mean =
                    (!days.is_empty()).then(|| days.iter().map(|d| d.1).sum::<f64>() / days.len() as f64);
                (mean, days.first().map(|d| *d.0))
            })
            .unzip();
        FundingCost {
            days: req.funding_days,
            cost_usd_annual: notional_usd
                .iter()
                .zip(&rates)
                .map(|(n, r)| n * r.unwrap_or(0.0) * 365.0)
                .sum(),
            mean_daily_rate: rates,
            through,
        }
    });
    Ok(FactorHedgeReport {
        as_of,
        value_usd: value,
        betas_after: betas
            .iter()
            .zip(&hedge.hedge_ratios)
            .map(|(b, x)| b + x)
            .collect(),
        betas_before: betas,
        notional_usd,
        hedge,
        funding,
    })
}

fn run(
    req: &FactorHedgeRequest,
    book: &[f64],
    hedges: &[Vec<f64>],
    betas: &[f64],
    fit_window: usize,
    ppy: f64,
) -> Result<CorrelationHedge> {
    let names = &req.instruments;
    Ok(match &req.mode {
        HedgeMode::MinVariance => {
            min_variance_hedge(book, names, hedges, fit_window, req.crisis_quantile, ppy)?
        }
        HedgeMode::Beta { target } => beta_hedge(
            book,
            names,
            hedges,
            betas,
            target,
            fit_window,
            req.crisis_quantile,
            ppy,
            |from, to| ols_slopes(book, names, hedges, from, to),
        )?,
    })
}
