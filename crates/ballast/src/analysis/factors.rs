//! Factor requests on a window: fit a factor model (`ballast factors`), and the factor risk of
//! given weights (`ballast risk --factors`).

use super::WindowRequest;
use crate::book::BookGreeks;
use crate::data::{PricePanel, PriceWindow, Returns, WindowInfo};
use crate::estimate::{
    EstimateError, FactorModel, FactorModelSpec, FittedFactorModel, MarketFactor, RollingBetas,
};
use crate::risk::FactorRisk;
use crate::Result;
use jiff::civil::Date;
use serde::Serialize;

/// What `factors` returns: the window and the fitted model.
#[derive(Debug, Clone, Serialize)]
pub struct FactorsReport {
    /// The window.
    pub window: WindowInfo,
    /// The fitted model.
    #[serde(flatten)]
    pub model: FittedFactorModel,
}

/// The coins a model's factors name (market and explicit models).
fn factor_coins(spec: &FactorModelSpec) -> Vec<String> {
    match spec {
        FactorModelSpec::Market(MarketFactor::Coin(c)) => vec![c.clone()],
        FactorModelSpec::Explicit(f) => f.clone(),
        _ => Vec::new(),
    }
}

/// Cut the window of the request's coins, with the model's named factors that are not among
/// them as a separate factor series on the same dates: coins of `panel` (a book without BTC
/// still has a beta to BTC), else columns of `factor_prices` (a factor file).
///
/// # Errors
/// The window's errors (a factor coin without prices over the window included); a factor file
/// without a price for a factor on one of the window's dates (gaps are never filled).
pub(crate) fn cut_with_factors(
    panel: &PricePanel,
    window: &WindowRequest,
    spec: &FactorModelSpec,
    factor_prices: Option<&PricePanel>,
) -> Result<(PriceWindow, Returns, Option<Returns>)> {
    let (coin_factors, file_factors): (Vec<String>, Vec<String>) = factor_coins(spec)
        .into_iter()
        .partition(|c| panel.assets().contains(c) || factor_prices.is_none());
    let extra: Vec<String> = match &window.assets {
        Some(a) => coin_factors.into_iter().filter(|c| !a.contains(c)).collect(),
        None => Vec::new(),
    };
    let (w, held, coins) = if extra.is_empty() {
        let (w, r) = window.cut(panel)?;
        (w, r, None)
    } else {
        let mut all = window.assets.clone().unwrap_or_default();
        all.extend(extra.iter().cloned());
        let (w, r) = WindowRequest {
            assets: Some(all),
            ..window.clone()
        }
        .cut(panel)?;
        let names: Vec<String> = r
            .assets()
            .iter()
            .filter(|a| !extra.contains(a))
            .cloned()
            .collect();
        (w, r.select(&names)?, Some(r.select(&extra)?))
    };
    let file = match factor_prices {
        Some(fp) if !file_factors.is_empty() => Some(file_factor_returns(fp, &file_factors, &w.dates)?),
        _ => None,
    };
    let factors = match (coins, file) {
        (Some(a), Some(b)) => Some(a.with_columns(&b)?),
        (a, b) => a.or(b),
    };
    Ok((w, held, factors))
}

/// Simple returns of the factor file's columns `names` between the window's price `dates`.
fn file_factor_returns(fp: &PricePanel, names: &[String], dates: &[Date]) -> Result<Returns> {
    let bad = |m: String| EstimateError::Factor(m);
    let mut data = Vec::with_capacity(names.len() * (dates.len() - 1));
    for name in names {
        let j = fp.assets().iter().position(|a| a == name).ok_or_else(|| {
            bad(format!(
                "factor '{name}' is neither a coin of the price file nor a column of the factor file (its columns: {})",
                fp.assets().join(",")
            ))
        })?;
        let mut px = Vec::with_capacity(dates.len());
        for d in dates {
            let p = fp
                .dates()
                .binary_search(d)
                .ok()
                .and_then(|row| fp.price(row, j))
                .filter(|p| p.is_finite() && *p > 0.0);
            px.push(p.ok_or_else(|| {
                bad(format!(
                    "the factor file has no price for '{name}' on {d}, a date of the window: a factor needs a price on every date (gaps are never filled); move the window (--end, --window) or give a daily series"
                ))
            })?);
        }
        data.extend(crate::data::simple_returns(&px));
    }
    Ok(Returns::new(
        dates[1..].to_vec(),
        names.to_vec(),
        data,
        crate::data::ReturnKind::Simple,
        crate::PERIODS_PER_YEAR_DAILY,
    )?)
}

/// Fit `model` on a window of `panel`; named factors that are not coins of `panel` come from
/// `factor_prices` (a factor file), on the same dates.
///
/// # Errors
/// Window errors; the model's (unknown factors, too many, constant or collinear factors).
pub fn factors(
    panel: &PricePanel,
    window: &WindowRequest,
    model: &FactorModel,
    factor_prices: Option<&PricePanel>,
) -> Result<FactorsReport> {
    let (w, r, f) = cut_with_factors(panel, window, &model.spec, factor_prices)?;
    Ok(FactorsReport {
        window: w.info(),
        model: model.fit_with_factors(&r, f.as_ref())?,
    })
}

/// What `factors --rolling` returns: the window, the rolling betas, and a book's exposures
/// over time when weights are given.
#[derive(Debug, Clone, Serialize)]
pub struct RollingFactorsReport {
    /// The whole span the fits roll over.
    pub window: WindowInfo,
    /// The rolling betas.
    #[serde(flatten)]
    pub rolling: RollingBetas,
    /// The book's weights by coin, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<std::collections::BTreeMap<String, f64>>,
    /// The book's exposure Σ_i w_i β_ik to each factor at each date, when weights are given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposures: Option<std::collections::BTreeMap<String, Vec<f64>>>,
}

/// Refit `model` on every `rolling` consecutive returns of a window of `panel`, every `step`
/// days; with `weights` (coin, weight; coins of the window, others 0) the book's exposures.
///
/// # Errors
/// Window errors; [`FactorModel::rolling`]'s; a weight on a coin outside the window.
pub fn rolling_factors(
    panel: &PricePanel,
    window: &WindowRequest,
    model: &FactorModel,
    rolling: usize,
    step: usize,
    weights: Option<&[(String, f64)]>,
    factor_prices: Option<&PricePanel>,
) -> Result<RollingFactorsReport> {
    let (w, r, f) = cut_with_factors(panel, window, &model.spec, factor_prices)?;
    let rb = model.rolling(&r, f.as_ref(), rolling, step)?;
    let (weights, exposures) = match weights {
        Some(pairs) => {
            let mut wv = vec![0.0; rb.assets.len()];
            for (a, x) in pairs {
                let i = rb.assets.iter().position(|c| c == a).ok_or_else(|| {
                    EstimateError::Factor(format!(
                        "weight on {a}, which is not a coin of the window ({}); add it with --assets",
                        rb.assets.join(",")
                    ))
                })?;
                wv[i] = *x;
            }
            let e = rb.exposures(&wv)?;
            (
                Some(pairs.iter().cloned().collect()),
                Some(rb.factors.iter().cloned().zip(e).collect()),
            )
        }
        None => (None, None),
    };
    Ok(RollingFactorsReport {
        window: w.info(),
        rolling: rb,
        weights,
        exposures,
    })
}

/// The factor risk of a derivatives book through its delta exposures: each underlying's
/// delta × spot in USD taken as a linear position (first order: gamma and vega left out).
#[derive(Debug, Clone, Serialize)]
pub struct BookFactorRisk {
    /// The window the model and covariance were fitted on.
    pub window: WindowInfo,
    /// Delta exposure per underlying, USD (Σ of its positions' delta × spot).
    pub delta_usd: std::collections::BTreeMap<String, f64>,
    /// Factor risk of those exposures, **in USD**: `exposures` are dollar betas (USD of factor
    /// exposure), variances USD² a year, volatilities and risk contributions USD a year.
    pub factor_risk: FactorRisk,
}

/// Factor risk of a book's delta exposures (`greeks`) on a window of `panel` (the window's
/// coins are the book's underlyings; sample covariance).
///
/// # Errors
/// An asset list in `window` (the coins are the book's), a book with no delta, window errors
/// (an underlying without prices), the model's errors.
pub fn book_factor_risk(
    panel: &PricePanel,
    window: &WindowRequest,
    model: &FactorModel,
    greeks: &BookGreeks,
) -> Result<BookFactorRisk> {
    if window.assets.is_some() {
        return Err(EstimateError::Factor(
            "the coins are the book's underlyings; an asset list is not used here".into(),
        )
        .into());
    }
    let delta: Vec<(String, f64)> = greeks
        .by_underlying
        .iter()
        .filter(|(_, g)| g.delta_usd != 0.0)
        .map(|(c, g)| (c.clone(), g.delta_usd))
        .collect();
    if delta.is_empty() {
        return Err(EstimateError::Factor(
            "the book has no delta exposure: no factor risk to measure".into(),
        )
        .into());
    }
    let request = WindowRequest {
        assets: Some(delta.iter().map(|d| d.0.clone()).collect()),
        ..window.clone()
    };
    let (pw, r, f) = cut_with_factors(panel, &request, &model.spec, None)?;
    let w: Vec<f64> = r
        .assets()
        .iter()
        .map(|a| delta.iter().find(|d| &d.0 == a).map_or(0.0, |d| d.1))
        .collect();
    let cov = crate::estimate::SampleCovariance::default().fit(&r)?;
    let fitted = model.fit_with_factors(&r, f.as_ref())?;
    let factor_risk = crate::risk::factor_risk(&fitted, &cov.matrix, &w, None)?;
    Ok(BookFactorRisk {
        window: pw.info(),
        delta_usd: delta.into_iter().collect(),
        factor_risk,
    })
}
