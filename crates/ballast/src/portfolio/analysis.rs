//! The main job: value, risk, target and trades of a portfolio file on a price panel.

use super::{PortfolioFile, TargetSection};
use crate::data::{PricePanel, ReturnKind, Returns, WindowSpec};
use crate::estimate::{Covariance, CovarianceEstimator};
use crate::rebalance::{plan, Band, RebalanceInput, RebalancePlan};
use crate::risk::{risk_summary, RiskSummary};
use crate::{Error, Result};
use jiff::civil::Date;

/// The target portfolio (the `[target]` rule applied).
pub type TargetReport = crate::allocate::Allocated;

/// Everything `ballast report` shows.
#[derive(Debug, Clone)]
pub struct PortfolioReport {
    pub name: Option<String>,
    /// Valuation date (the window's last price date).
    pub as_of: Date,
    /// The window's first price date (the day before the first return).
    pub first_price: Date,
    /// The returns the estimates use (T×N, universe order).
    pub returns: Returns,
    /// Annualised covariance of the universe.
    pub covariance: Covariance,
    /// Universe: holdings first, then `[target] assets`.
    pub assets: Vec<String>,
    pub units: Vec<f64>,
    /// Valuation prices, USD per unit, on `as_of`.
    pub prices: Vec<f64>,
    pub cash_usd: f64,
    /// Risk of the current holdings (weights = current, cash at zero volatility).
    pub current_risk: RiskSummary,
    pub target: TargetReport,
    pub plan: RebalancePlan,
    /// Risk after the proposed trades (same as current when no trade is proposed).
    pub post_risk: RiskSummary,
    pub confidences: Vec<f64>,
}

/// Run the whole pipeline for a portfolio file on `panel` (the file's price data):
/// window → returns → covariance → current risk → target allocation → rebalance plan →
/// risk after trades.
pub fn analyze(pf: &PortfolioFile, panel: &PricePanel) -> Result<PortfolioReport> {
    let data = pf.data()?;
    let target_section = pf.target()?;
    let (assets, units) = universe(pf, target_section)?;
    let end = match &data.end {
        Some(s) => Some(
            s.parse::<Date>()
                .map_err(|_| pf.invalid(format!("[data] end = '{s}' is not a date (YYYY-MM-DD)")))?,
        ),
        None => None,
    };
    let window = panel.window(&WindowSpec {
        assets: Some(assets.clone()),
        returns: data.window,
        end,
        ..WindowSpec::default()
    })?;
    let returns = window.returns(ReturnKind::Simple);
    let estimator = CovarianceEstimator::from_name(&data.estimator, data.ewma_lambda).ok_or_else(|| {
        pf.invalid(format!(
            "[data] estimator = '{}' is unknown (expected one of: {})",
            data.estimator,
            CovarianceEstimator::NAMES
        ))
    })?;
    let cov = estimator.fit(&returns)?;
    let prices = window.last_prices();
    let confidences = pf.risk.confidence.clone();

    let value: f64 = units.iter().zip(&prices).map(|(u, p)| u * p).sum::<f64>() + pf.cash_usd;
    if !(value > 0.0) {
        return Err(pf
            .invalid(format!("portfolio value is {value:.2} USD; it must be > 0"))
            .into());
    }
    let current: Vec<f64> = units.iter().zip(&prices).map(|(u, p)| u * p / value).collect();
    let current_risk = risk_summary(&returns, &cov, &current, &confidences)?;

    let target = target(pf, target_section, &returns, &cov, &current)?;
    let band = match pf.rebalance.band_type.as_str() {
        "absolute" => Band::Absolute(pf.rebalance.band),
        "relative" => Band::Relative(pf.rebalance.band),
        other => {
            return Err(pf
                .invalid(format!(
                    "[rebalance] band_type = '{other}' is unknown (absolute | relative)"
                ))
                .into())
        }
    };
    let plan = plan(&RebalanceInput {
        assets: &assets,
        units: &units,
        prices: &prices,
        cash: pf.cash_usd,
        target: &target.weights,
        band,
        fee_bps: pf.rebalance.fee_bps,
        min_trade_usd: pf.rebalance.min_trade_usd,
    })?;
    let post_risk = risk_summary(&returns, &cov, &plan.post_weights, &confidences)?;
    Ok(PortfolioReport {
        name: pf.name.clone(),
        as_of: *window.dates.last().expect("window has rows"),
        first_price: window.dates[0],
        returns,
        covariance: cov,
        assets,
        units,
        prices,
        cash_usd: pf.cash_usd,
        current_risk,
        target,
        plan,
        post_risk,
        confidences,
    })
}

fn universe(pf: &PortfolioFile, t: &TargetSection) -> Result<(Vec<String>, Vec<f64>)> {
    let mut assets: Vec<String> = Vec::new();
    let mut units = Vec::new();
    for h in &pf.holdings {
        if assets.contains(&h.asset) {
            return Err(pf
                .invalid(format!(
                    "asset {} is held twice; merge the [[holding]] entries",
                    h.asset
                ))
                .into());
        }
        if !(h.units.is_finite() && h.units >= 0.0) {
            return Err(pf
                .invalid(format!(
                    "holding {}: units = {} must be a number ≥ 0",
                    h.asset, h.units
                ))
                .into());
        }
        assets.push(h.asset.clone());
        units.push(h.units);
    }
    for a in &t.assets {
        if !assets.contains(a) {
            assets.push(a.clone());
            units.push(0.0);
        }
    }
    if assets.len() < 2 {
        return Err(pf
            .invalid("the universe needs at least two coins ([[holding]] entries or [target] assets)".into())
            .into());
    }
    if !pf.cash_usd.is_finite() {
        return Err(pf.invalid("cash_usd is not a finite number".into()).into());
    }
    Ok((assets, units))
}

fn target(
    pf: &PortfolioFile,
    t: &TargetSection,
    returns: &Returns,
    cov: &Covariance,
    current: &[f64],
) -> Result<TargetReport> {
    use crate::allocate::AllocateError;
    t.allocate(returns, cov, Some(current)).map_err(|e| match e {
        // settings in the file: say which section
        AllocateError::BadParameter(m) | AllocateError::BadBudgets(m) => {
            pf.invalid(format!("[target] {m}")).into()
        }
        other => Error::from(other),
    })
}
