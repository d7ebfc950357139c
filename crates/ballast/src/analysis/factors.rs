//! Factor requests on a window: fit a factor model (`ballast factors`), and the factor risk of
//! given weights (`ballast risk --factors`).

use super::WindowRequest;
use crate::data::{PricePanel, PriceWindow, Returns, WindowInfo};
use crate::estimate::{FactorModel, FactorModelSpec, FittedFactorModel, MarketFactor};
use crate::Result;
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

/// Cut the window of the request's coins, with any factor coin the model names that is not one
/// of them cut on the same dates as a separate factor series (a book without BTC still has a
/// beta to BTC).
///
/// # Errors
/// The window's errors (a factor coin without prices over the window included).
pub(crate) fn cut_with_factors(
    panel: &PricePanel,
    window: &WindowRequest,
    spec: &FactorModelSpec,
) -> Result<(PriceWindow, Returns, Option<Returns>)> {
    let extra: Vec<String> = match &window.assets {
        Some(a) => factor_coins(spec)
            .into_iter()
            .filter(|c| !a.contains(c))
            .collect(),
        None => Vec::new(),
    };
    if extra.is_empty() {
        let (w, r) = window.cut(panel)?;
        return Ok((w, r, None));
    }
    let mut all = window.assets.clone().unwrap_or_default();
    all.extend(extra.iter().cloned());
    let (w, r) = WindowRequest {
        assets: Some(all),
        ..window.clone()
    }
    .cut(panel)?;
    let coins: Vec<String> = r
        .assets()
        .iter()
        .filter(|a| !extra.contains(a))
        .cloned()
        .collect();
    let held = r.select(&coins)?;
    let factors = r.select(&extra)?;
    Ok((w, held, Some(factors)))
}

/// Fit `model` on a window of `panel`.
///
/// # Errors
/// Window errors; the model's (unknown factors, too many, constant or collinear factors).
pub fn factors(panel: &PricePanel, window: &WindowRequest, model: &FactorModel) -> Result<FactorsReport> {
    let (w, r, f) = cut_with_factors(panel, window, &model.spec)?;
    Ok(FactorsReport {
        window: w.info(),
        model: model.fit_with_factors(&r, f.as_ref())?,
    })
}
