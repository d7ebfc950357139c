//! A portfolio's risk figures in one struct: what `ballast risk` and `ballast report` print.

use super::{
    historical_cvar, historical_var, max_drawdown, moments, risk_contributions, Drawdown, Moments, RiskError,
    VarMethod,
};
use crate::data::{AssetMap, Returns};
use crate::estimate::{Covariance, CovarianceInfo};
use jiff::civil::Date;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;

/// One VaR or CVaR figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailLoss {
    /// How it was estimated.
    pub method: VarMethod,
    /// Confidence level, e.g. 0.95.
    pub confidence: f64,
    /// 1-period loss as a positive fraction of portfolio value.
    pub loss: f64,
}

/// Risk of constant weights over a window of returns.
#[derive(Debug, Clone)]
pub struct RiskSummary {
    /// The assets (the covariance's order).
    pub assets: Vec<String>,
    /// The weights measured (fractions of value; the rest is cash at zero return).
    pub weights: Vec<f64>,
    /// The covariance estimate behind the volatility and contributions.
    pub covariance: CovarianceInfo,
    /// Annual volatility √(w'Σw), Σ the annualised covariance given.
    pub volatility_annual: f64,
    /// Percent risk contributions (sum to 1).
    pub risk_contributions: Vec<f64>,
    /// Component contributions to annual volatility (sum to `volatility_annual`).
    pub component_contributions: Vec<f64>,
    /// VaR by method (historical, gaussian, cornish_fisher) and confidence.
    pub var: Vec<TailLoss>,
    /// CVaR / expected shortfall by method (historical, gaussian) and confidence.
    pub cvar: Vec<TailLoss>,
    /// Maximum drawdown of the constant-weight portfolio over the window.
    pub drawdown: Drawdown,
    /// Dates of the drawdown's peak and trough (`None` at the start of returns not built from
    /// prices).
    pub drawdown_dates: (Option<Date>, Option<Date>),
    /// Moments of the daily portfolio returns.
    pub moments: Moments,
    /// Portfolio value in USD, if known: the JSON then also has `var_usd` and `cvar_usd`.
    pub value_usd: Option<f64>,
}

/// Check confidence levels: between 1 and 20 of them, each strictly inside (0, 1), none twice.
///
/// # Errors
/// [`RiskError::BadConfidence`] for a level outside (0, 1); [`RiskError::Invalid`] for none,
/// too many, or a repeated level.
pub fn check_confidences(confidences: &[f64]) -> Result<(), RiskError> {
    if confidences.is_empty() || confidences.len() > 20 {
        return Err(RiskError::Invalid(
            "give between 1 and 20 confidence levels (e.g. 0.95, 0.99)".into(),
        ));
    }
    for (k, &c) in confidences.iter().enumerate() {
        if c > 1.0 && c < 100.0 {
            return Err(RiskError::Invalid(format!(
                "confidence level {c} looks like a percentage: write fractions, {} for {c} %",
                c / 100.0
            )));
        }
        if !(c > 0.0 && c < 1.0) {
            return Err(RiskError::BadConfidence(c));
        }
        if confidences[..k].contains(&c) {
            return Err(RiskError::Invalid(format!("confidence level {c} is given twice")));
        }
    }
    Ok(())
}

/// Compute [`RiskSummary`] for weights `w` (fractions of portfolio value; any remainder is
/// cash at zero return) on `returns` (T×N) with the annualised covariance `cov` of the same
/// assets, at each confidence level (e.g. `[0.95, 0.99]`).
///
/// # Errors
/// [`RiskError`]: wrong weight length, assets that differ from the covariance's, a bad
/// confidence, zero portfolio variance.
pub fn risk_summary(
    returns: &Returns,
    cov: &Covariance,
    w: &[f64],
    confidences: &[f64],
) -> Result<RiskSummary, RiskError> {
    check_confidences(confidences)?;
    if w.len() != returns.n_assets() {
        return Err(RiskError::WeightLength {
            expected: returns.n_assets(),
            got: w.len(),
        });
    }
    if returns.assets() != cov.assets.as_slice() {
        return Err(RiskError::Mismatch);
    }
    let rc = risk_contributions(&cov.matrix, w)?;
    let rp = returns.portfolio(w);
    let m = moments(&rp)?;
    let measure = |method: VarMethod, tail: bool, c: f64| -> Result<f64, RiskError> {
        match (method, tail) {
            (VarMethod::Historical, false) => historical_var(&rp, c),
            (VarMethod::Historical, true) => historical_cvar(&rp, c),
            (VarMethod::Gaussian, false) => m.gaussian_var(c),
            (VarMethod::Gaussian, true) => m.gaussian_cvar(c),
            (VarMethod::CornishFisher, _) => m.cornish_fisher_var(c),
        }
    };
    let tails = |methods: &[VarMethod], cvar: bool| -> Result<Vec<TailLoss>, RiskError> {
        let mut out = Vec::with_capacity(methods.len() * confidences.len());
        for &confidence in confidences {
            for &method in methods {
                out.push(TailLoss {
                    method,
                    confidence,
                    loss: measure(method, cvar, confidence)?,
                });
            }
        }
        Ok(out)
    };
    use VarMethod::*;
    let var = tails(&[Historical, Gaussian, CornishFisher], false)?;
    let cvar = tails(&[Historical, Gaussian], true)?;
    // the wealth path compounds simple returns, also when the statistics use log returns
    let drawdown = max_drawdown(&returns.simple_portfolio(w));
    Ok(RiskSummary {
        assets: cov.assets.clone(),
        weights: w.to_vec(),
        covariance: cov.info(),
        volatility_annual: rc.volatility,
        risk_contributions: rc.percent,
        component_contributions: rc.component,
        var,
        cvar,
        drawdown_dates: (
            returns.point_date(drawdown.peak),
            returns.point_date(drawdown.trough),
        ),
        drawdown,
        moments: m,
        value_usd: None,
    })
}

impl RiskSummary {
    /// The loss of `method` at `confidence` among `list` (VaR or CVaR), if computed.
    pub fn find(list: &[TailLoss], method: VarMethod, confidence: f64) -> Option<f64> {
        list.iter()
            .find(|t| t.method == method && t.confidence == confidence)
            .map(|t| t.loss)
    }
}

/// A confidence as a JSON key: 0.95 → "0.95", 1 → "1.0".
fn confidence_key(c: f64) -> String {
    let s = format!("{c}");
    if s.contains('.') {
        s
    } else {
        format!("{c:.1}")
    }
}

/// `{method: {confidence: loss × scale}}`.
fn tails(list: &[TailLoss], scale: f64) -> BTreeMap<&'static str, BTreeMap<String, f64>> {
    let mut m: BTreeMap<&'static str, BTreeMap<String, f64>> = BTreeMap::new();
    for t in list {
        m.entry(t.method.key())
            .or_default()
            .insert(confidence_key(t.confidence), t.loss * scale);
    }
    m
}

/// JSON: `weights` {asset: w}, `covariance` ([`CovarianceInfo`]), `volatility_annual`, `var` and `cvar` as
/// `{method: {confidence: loss}}` (methods `historical`, `gaussian`, and under `var`
/// `cornish_fisher`; confidences as strings, `"0.95"`), `max_drawdown`, `max_drawdown_peak`,
/// `max_drawdown_trough` (dates), `risk_contributions`, `volatility_contributions_annual`,
/// `daily_moments` {`mean`, `std`, `skewness`, `excess_kurtosis`}; with a value,
/// `value_usd`, `var_usd` and `cvar_usd` in the same shape.
impl Serialize for RiskSummary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = &self.assets;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("weights", &AssetMap::new(a, &self.weights))?;
        m.serialize_entry("covariance", &self.covariance)?;
        m.serialize_entry("volatility_annual", &self.volatility_annual)?;
        m.serialize_entry("var", &tails(&self.var, 1.0))?;
        m.serialize_entry("cvar", &tails(&self.cvar, 1.0))?;
        m.serialize_entry("max_drawdown", &self.drawdown.max_drawdown)?;
        m.serialize_entry("max_drawdown_peak", &self.drawdown_dates.0)?;
        m.serialize_entry("max_drawdown_trough", &self.drawdown_dates.1)?;
        m.serialize_entry("risk_contributions", &AssetMap::new(a, &self.risk_contributions))?;
        m.serialize_entry(
            "volatility_contributions_annual",
            &AssetMap::new(a, &self.component_contributions),
        )?;
        m.serialize_entry("daily_moments", &self.moments)?;
        if let Some(v) = self.value_usd {
            m.serialize_entry("value_usd", &v)?;
            m.serialize_entry("var_usd", &tails(&self.var, v))?;
            m.serialize_entry("cvar_usd", &tails(&self.cvar, v))?;
        }
        m.end()
    }
}
