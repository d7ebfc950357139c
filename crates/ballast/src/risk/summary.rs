//! A portfolio's risk figures in one struct: what `ballast risk` and `ballast report` print.

use super::{
    historical_cvar, historical_var, max_drawdown, moments, risk_contributions, Drawdown, Moments, RiskError,
    VarMethod,
};
use crate::data::Returns;
use crate::estimate::Covariance;

/// One VaR or CVaR figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailLoss {
    pub method: VarMethod,
    /// Confidence level, e.g. 0.95.
    pub confidence: f64,
    /// 1-period loss as a positive fraction of portfolio value.
    pub loss: f64,
}

/// Risk of constant weights over a window of returns.
#[derive(Debug, Clone)]
pub struct RiskSummary {
    /// Annual volatility √(w'Σw), Σ the annualised covariance given.
    pub volatility_annual: f64,
    /// Percent risk contributions (sum to 1), in the covariance's asset order.
    pub risk_contributions: Vec<f64>,
    /// Component contributions to annual volatility (sum to `volatility_annual`).
    pub component_contributions: Vec<f64>,
    /// VaR by method (historical, gaussian, cornish_fisher) and confidence.
    pub var: Vec<TailLoss>,
    /// CVaR / expected shortfall by method (historical, gaussian) and confidence.
    pub cvar: Vec<TailLoss>,
    /// Maximum drawdown of the constant-weight portfolio over the window.
    pub drawdown: Drawdown,
    /// Moments of the daily portfolio returns.
    pub moments: Moments,
}

/// Compute [`RiskSummary`] for weights `w` (fractions of portfolio value; any remainder is
/// cash at zero return) on `returns` (T×N) with the annualised covariance `cov` of the same
/// assets, at each confidence level (e.g. `[0.95, 0.99]`).
///
/// Errors: wrong weight length, bad confidence, zero portfolio variance.
pub fn risk_summary(
    returns: &Returns,
    cov: &Covariance,
    w: &[f64],
    confidences: &[f64],
) -> Result<RiskSummary, RiskError> {
    if w.len() != returns.n_assets() {
        return Err(RiskError::WeightLength {
            expected: returns.n_assets(),
            got: w.len(),
        });
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
    Ok(RiskSummary {
        volatility_annual: rc.volatility,
        risk_contributions: rc.percent,
        component_contributions: rc.component,
        var,
        cvar,
        drawdown: max_drawdown(&rp),
        moments: m,
    })
}
