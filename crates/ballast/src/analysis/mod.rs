//! Requests on a window of a price panel, the same for every front end (`ballast optimize`,
//! `risk`, `covariance`, `frontier`, `garch`; the service; the Python package): each takes the
//! panel and typed settings, and returns a result that serialises to the JSON the CLI prints.

use crate::allocate::{
    efficient_frontier, mean_variance, AllocateError, Allocation, AllocationMethod, AllocationSpec,
    ConstraintsSpec, MvObjective, MvPortfolio,
};
use crate::data::{
    AssetMap, GappedReturns, Incomplete, PricePanel, PriceWindow, ReturnKind, Returns, WindowInfo, WindowSpec,
};
use crate::estimate::{
    pairwise_estimate, Covariance, CovarianceSpec, EstimateError, ExpectedReturns, FactorModel, Garch11,
    GarchDist, GarchFit, History, PairwiseReport, DEFAULT_MIN_OVERLAP,
};

mod book_report;
mod book_var;
mod factors;
mod stress;
mod var_backtest;

use crate::message::Num;
use crate::risk::{risk_summary, FactorRisk, RiskError, RiskSummary};
use crate::Result;
pub use book_report::{book_report, BookReport};
pub use book_var::{
    book_var, BookVar, BookVarReport, BookVarRequest, Component, VarLine, DEFAULT_EWMA_LAMBDA,
};
use factors::cut_with_factors;
pub use factors::{
    book_factor_risk, factors, rolling_factors, BookFactorRisk, FactorsReport, RollingFactorsReport,
};
use jiff::civil::Date;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
pub use stress::{stress, tail_hedge, StressGrid, StressReport, StressResult};
pub use var_backtest::{
    book_var_backtest, holdings_weights, var_backtest, BookBacktestRequest, BookPnlHistory, DatedBacktest,
    VarBacktestReport, VarBacktestRequest,
};

/// Which window of the panel: the assets, N returns ending at `end`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowRequest {
    /// Assets to use, in this order (default: every asset with a complete window).
    pub assets: Option<Vec<String>>,
    /// Number of returns N (default 730).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Last date (default: the panel's last date).
    pub end: Option<Date>,
    /// With `assets`: drop those with a gap in the window instead of failing.
    #[serde(default)]
    pub drop_incomplete: bool,
    /// Log instead of simple returns.
    #[serde(default)]
    pub log_returns: bool,
}

fn default_window() -> usize {
    730
}

impl Default for WindowRequest {
    fn default() -> Self {
        Self {
            assets: None,
            window: default_window(),
            end: None,
            drop_incomplete: false,
            log_returns: false,
        }
    }
}

impl WindowRequest {
    /// Cut the window and its returns.
    ///
    /// # Errors
    /// A window of fewer than 2 or more than [`MAX_WINDOW`](crate::data::MAX_WINDOW) returns, an empty asset name, and
    /// the panel's window errors (unknown assets, too long, gaps, dates outside the data).
    pub fn cut(&self, panel: &PricePanel) -> Result<(PriceWindow, Returns)> {
        let w = panel.window(&self.spec()?)?;
        let r = w.returns(self.kind());
        Ok((w, r))
    }

    /// The window's returns keeping coins missing on part of it (`history = "pairwise"`), with
    /// what the window covers.
    ///
    /// # Errors
    /// As [`Self::cut`], but a coin with a gap is kept (one with fewer than two returns is
    /// dropped, or an error when named).
    pub fn cut_gapped(&self, panel: &PricePanel) -> Result<(WindowInfo, GappedReturns)> {
        let g = panel.gapped_returns(&self.spec()?, self.kind())?;
        let info = WindowInfo {
            first_price: g.first_price(),
            first_return: g.dates()[0],
            last_return: g.dates()[g.n_periods() - 1],
            returns: g.n_periods(),
            periods_per_year: g.periods_per_year(),
            dropped_incomplete: g.dropped().to_vec(),
        };
        Ok((info, g))
    }

    fn kind(&self) -> ReturnKind {
        if self.log_returns {
            ReturnKind::Log
        } else {
            ReturnKind::Simple
        }
    }

    fn spec(&self) -> Result<WindowSpec> {
        if let Some(bad) = self.assets.iter().flatten().find(|s| s.trim().is_empty()) {
            return Err(crate::data::DataError::Invalid(format!(
                "the asset list has an empty name ('{bad}')"
            ))
            .into());
        }
        Ok(WindowSpec {
            assets: self
                .assets
                .as_ref()
                .map(|v| v.iter().map(|s| s.trim().to_string()).collect()),
            returns: self.window,
            end: self.end,
            incomplete: if self.drop_incomplete {
                Incomplete::Drop
            } else {
                Incomplete::Error
            },
        })
    }
}

/// What `optimize` returns.
#[derive(Debug, Clone, Serialize)]
pub struct OptimizeReport {
    /// The window.
    pub window: WindowInfo,
    /// The allocation.
    pub allocation: Allocation,
}

/// Run an allocation request on a window of `panel`. Without an asset list, a risk-budget
/// request allocates over the coins it has budgets for.
///
/// # Errors
/// Window, estimation and allocation errors; assets the request names outside the universe.
pub fn optimize(
    panel: &PricePanel,
    window: &WindowRequest,
    covariance: &CovarianceSpec,
    spec: &AllocationSpec,
) -> Result<OptimizeReport> {
    let mut window = window.clone();
    if let (None, AllocationMethod::RiskBudget { budgets }) = (&window.assets, &spec.method) {
        window.assets = Some(budgets.iter().map(|b| b.0.clone()).collect());
    }
    if covariance.history == History::Pairwise {
        refuse_drop_incomplete(&window)?;
        let (info, g) = window.cut_gapped(panel)?;
        spec.check_universe(g.assets())?;
        let sel = spec.select_pairwise(&g, covariance)?;
        let allocation = spec.allocate_selection(g.assets(), &sel, None)?;
        return Ok(OptimizeReport {
            window: info,
            allocation,
        });
    }
    let (w, r) = window.cut(panel)?;
    if let AllocationMethod::RiskBudget { budgets } = &spec.method {
        if let Some((a, _)) = budgets.iter().find(|(a, _)| w.dropped.contains(a)) {
            return Err(AllocateError::BadParameter(format!(
                "{a} has a budget but was dropped as incomplete in the window; remove its budget or move the window"
            ))
            .into());
        }
    }
    spec.check_universe(r.assets())?;
    let allocation = spec.allocate(&r, covariance, None)?;
    Ok(OptimizeReport {
        window: w.info(),
        allocation,
    })
}

/// What `risk` returns: the risk of given weights, and the window.
#[derive(Debug, Clone, Serialize)]
pub struct RiskReport {
    /// The window.
    pub window: WindowInfo,
    /// The risk.
    #[serde(flatten)]
    pub risk: RiskSummary,
    /// Factor exposures and factor risk, when a factor model is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor_risk: Option<FactorRisk>,
}

/// What to measure in [`risk`].
#[derive(Debug, Clone, Copy)]
pub struct RiskRequest<'a> {
    /// (asset, weight) pairs.
    pub weights: &'a [(String, f64)],
    /// Rescale the weights to sum to 1.
    pub normalize: bool,
    /// VaR / CVaR confidence levels.
    pub confidences: &'a [f64],
    /// Portfolio value in USD (losses and factor exposures in USD too).
    pub value_usd: Option<f64>,
    /// A factor model for the factor risk section.
    pub factors: Option<&'a FactorModel>,
    /// Prices of factors that are not coins of the panel (a factor file), by date.
    pub factor_prices: Option<&'a PricePanel>,
}

/// The risk of the request's weights on a window of `panel`: volatility, contributions,
/// VaR/CVaR at each confidence, drawdown; in USD too with a value; factor exposures and factor
/// risk contributions with a factor model (its factor coins need not be held).
///
/// # Errors
/// Weights that do not sum to 1 (unless `normalize`), duplicate or unknown assets, a window
/// that names its own assets or drops a held asset (the weights name the assets), bad
/// confidences or value, window and estimation errors, the factor model's errors.
pub fn risk(
    panel: &PricePanel,
    window: &WindowRequest,
    covariance: &CovarianceSpec,
    req: &RiskRequest,
) -> Result<RiskReport> {
    let RiskRequest {
        weights,
        normalize,
        confidences,
        value_usd,
        factors,
        factor_prices,
    } = *req;
    let bad = |m: String| -> crate::Error { RiskError::Invalid(m).into() };
    if window.drop_incomplete {
        return Err(bad("dropping incomplete assets would change the portfolio: give a window where every held asset has prices".into()));
    }
    let w = portfolio_weights(weights, normalize)?;
    crate::risk::check_confidences(confidences)?;
    if let Some(v) = value_usd {
        if !(v.is_finite() && v > 0.0 && v <= 1e15) {
            return Err(bad(format!(
                "value {}: the portfolio value must be a positive number of USD (at most 1e15)",
                Num(v)
            )));
        }
    }
    if window.assets.is_some() {
        return Err(bad(
            "the assets are those of the weights; an asset list (--assets) is not used here".into(),
        ));
    }
    let window = WindowRequest {
        assets: Some(weights.iter().map(|p| p.0.clone()).collect()),
        ..window.clone()
    };
    let (pw, r, external) = match factors {
        Some(m) => cut_with_factors(panel, &window, &m.spec, factor_prices)?,
        None => {
            let (pw, r) = window.cut(panel)?;
            (pw, r, None)
        }
    };
    let cov = covariance.fit(&r)?;
    let mut risk = risk_summary(&r, &cov, &w, confidences)?;
    risk.value_usd = value_usd;
    let factor_risk = match factors {
        Some(m) => {
            let fitted = m.fit_with_factors(&r, external.as_ref())?;
            Some(crate::risk::factor_risk(&fitted, &cov.matrix, &w, value_usd)?)
        }
        None => None,
    };
    Ok(RiskReport {
        window: pw.info(),
        risk,
        factor_risk,
    })
}

/// The weights of (asset, weight) pairs, checked: at least one, finite, summing to 1 or
/// rescaled to (`normalize`).
///
/// # Errors
/// No weights, a non-finite weight, weights that do not sum to 1 (or to 0 with `normalize`).
pub(crate) fn portfolio_weights(weights: &[(String, f64)], normalize: bool) -> Result<Vec<f64>> {
    let bad = |m: String| -> crate::Error { RiskError::Invalid(m).into() };
    if weights.is_empty() {
        return Err(bad("no weights given (e.g. BTC=0.5,ETH=0.5)".into()));
    }
    let mut w: Vec<f64> = weights.iter().map(|p| p.1).collect();
    if let Some((a, v)) = weights.iter().find(|p| !p.1.is_finite()) {
        return Err(bad(format!("weight of {a} is {v}")));
    }
    let sum: f64 = w.iter().sum();
    if normalize {
        if !(sum.abs() > 0.0) {
            return Err(bad("the weights sum to 0: cannot normalise".into()));
        }
        w.iter_mut().for_each(|v| *v /= sum);
    } else if (sum - 1.0).abs() > 1e-6 {
        return Err(bad(format!(
            "the weights sum to {sum:.6}, not 1; fix them or normalise (--normalize)"
        )));
    }
    Ok(w)
}

/// What `covariance` returns.
#[derive(Debug, Clone, Serialize)]
pub struct CovarianceReport {
    /// The window.
    pub window: WindowInfo,
    /// The annualised covariance.
    #[serde(flatten)]
    pub covariance: Covariance,
    /// With `history = "pairwise"`: returns per coin, least overlap, repair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairwise: Option<PairwiseReport>,
}

/// `drop_incomplete` has no meaning with pairwise histories: an error, not ignored.
fn refuse_drop_incomplete(window: &WindowRequest) -> Result<()> {
    if window.drop_incomplete {
        return Err(AllocateError::BadParameter(
            "drop_incomplete (--drop-incomplete) is for history = common: with history = pairwise every coin with returns in the window is kept".into(),
        )
        .into());
    }
    Ok(())
}

/// The annualised covariance of a window of `panel`.
///
/// # Errors
/// Window and estimation errors (a matrix that is not positive definite, unless repaired);
/// `drop_incomplete` with pairwise histories.
pub fn covariance(
    panel: &PricePanel,
    window: &WindowRequest,
    spec: &CovarianceSpec,
) -> Result<CovarianceReport> {
    if spec.history == History::Pairwise {
        spec.estimator()?;
        refuse_drop_incomplete(window)?;
        let (info, g) = window.cut_gapped(panel)?;
        let est = pairwise_estimate(&g, spec.min_overlap.unwrap_or(DEFAULT_MIN_OVERLAP))?;
        return Ok(CovarianceReport {
            window: info,
            covariance: est.covariance,
            pairwise: Some(est.report),
        });
    }
    let (w, r) = window.cut(panel)?;
    Ok(CovarianceReport {
        window: w.info(),
        covariance: spec.fit(&r)?,
        pairwise: None,
    })
}

/// What `frontier` returns.
#[derive(Debug, Clone)]
pub struct FrontierReport {
    /// The window.
    pub window: WindowInfo,
    /// The covariance.
    pub covariance: Covariance,
    /// Annual expected returns (historical mean).
    pub expected_returns: Vec<f64>,
    /// Frontier portfolios, from minimum variance up.
    pub points: Vec<MvPortfolio>,
    /// The maximum-Sharpe portfolio, if one exists.
    pub max_sharpe: Option<MvPortfolio>,
}

/// The most frontier points.
pub const MAX_FRONTIER_POINTS: usize = 500;

/// The mean-variance efficient frontier of a window of `panel` (historical mean returns).
///
/// # Errors
/// `points` outside 2..=[`MAX_FRONTIER_POINTS`], a risk-free rate outside [−1, 1], window,
/// estimation and solver errors, constraints naming unknown assets.
pub fn frontier(
    panel: &PricePanel,
    window: &WindowRequest,
    spec: &CovarianceSpec,
    constraints: &ConstraintsSpec,
    points: usize,
    risk_free: f64,
) -> Result<FrontierReport> {
    if !(2..=MAX_FRONTIER_POINTS).contains(&points) {
        return Err(AllocateError::BadParameter(format!(
            "points = {points}: a frontier has between 2 and {MAX_FRONTIER_POINTS} points"
        ))
        .into());
    }
    if !(risk_free.is_finite() && risk_free.abs() <= 1.0) {
        return Err(AllocateError::BadParameter(format!(
            "risk_free = {} must be an annual rate in [-1, 1]",
            Num(risk_free)
        ))
        .into());
    }
    let (w, r) = window.cut(panel)?;
    let cov = spec.fit(&r)?;
    let mu = ExpectedReturns::Historical.estimate(&r)?;
    let mut cons = constraints.resolve(&cov.assets)?;
    if let Some((_, limits)) = constraints.beta_limits(&r, &cov)? {
        cons.exposures = limits;
    }
    let pts = efficient_frontier(&mu, &cov, &cons, points, risk_free)?;
    let max_sharpe = mean_variance(&mu, &cov, &cons, MvObjective::MaxSharpe, risk_free).ok();
    Ok(FrontierReport {
        window: w.info(),
        covariance: cov,
        expected_returns: mu,
        points: pts,
        max_sharpe,
    })
}

/// One frontier portfolio, with its weights by asset.
struct Point<'a>(&'a MvPortfolio, &'a [String]);

impl Serialize for Point<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("expected_return_annual", &self.0.expected_return)?;
        m.serialize_entry("volatility_annual", &self.0.volatility)?;
        m.serialize_entry("sharpe", &self.0.sharpe)?;
        m.serialize_entry("weights", &AssetMap::new(self.1, &self.0.weights))?;
        m.end()
    }
}

/// JSON: `points` [{`expected_return_annual`, `volatility_annual`, `sharpe`, `weights`}],
/// `max_sharpe` (the same, or null), `expected_returns` {asset: μ}, `covariance` ([`CovarianceInfo`](crate::estimate::CovarianceInfo)), `window`.
impl Serialize for FrontierReport {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let a = &self.covariance.assets;
        let pts: Vec<Point> = self.points.iter().map(|p| Point(p, a)).collect();
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("points", &pts)?;
        m.serialize_entry("max_sharpe", &self.max_sharpe.as_ref().map(|p| Point(p, a)))?;
        m.serialize_entry("expected_returns", &AssetMap::new(a, &self.expected_returns))?;
        m.serialize_entry("covariance", &self.covariance.info())?;
        m.serialize_entry("window", &self.window)?;
        m.end()
    }
}

/// What `garch` returns: a GARCH(1,1) fit of one asset's daily returns (in percent, as arch)
/// and its volatility forecast.
#[derive(Debug, Clone, Serialize)]
pub struct GarchReport {
    /// The asset.
    pub asset: String,
    /// Innovations.
    pub dist: GarchDist,
    /// The units of the parameters.
    pub units: &'static str,
    /// Fitted parameters.
    pub params: crate::estimate::GarchParams,
    /// α + β.
    pub persistence: f64,
    /// Log-likelihood at the optimum.
    pub loglikelihood: f64,
    /// arch's backcast.
    pub backcast: f64,
    /// Daily variance forecasts (percent²), day 1 to the horizon.
    pub forecast_variance: Vec<f64>,
    /// Next day's volatility, annualised (fraction).
    pub volatility_1day_annualised: f64,
    /// Average variance over the horizon, as an annualised volatility.
    pub volatility_horizon_annualised: f64,
    /// √(ω/(1 − α − β)) annualised; `null` when α + β ≥ 1 (no long-run level).
    pub long_run_volatility_annualised: Option<f64>,
    /// The window.
    pub window: WindowInfo,
}

/// Fit GARCH(1,1) to one asset's returns on a window of `panel` and forecast `horizon` days.
///
/// # Errors
/// A window that names assets or drops incomplete ones (`asset` is the asset), window errors,
/// a horizon outside 1..=3650, fewer than
/// [`crate::estimate::GARCH_MIN_OBSERVATIONS`] returns, a constant series (named).
pub fn garch(
    panel: &PricePanel,
    window: &WindowRequest,
    asset: &str,
    dist: GarchDist,
    horizon: usize,
) -> Result<GarchReport> {
    if window.assets.is_some() || window.drop_incomplete {
        return Err(crate::data::DataError::Invalid(format!(
            "GARCH models one asset ('{asset}'); an asset list (--assets) or dropping incomplete assets is not used here"
        ))
        .into());
    }
    let window = WindowRequest {
        assets: Some(vec![asset.to_string()]),
        ..window.clone()
    };
    let (w, r) = window.cut(panel)?;
    // arch's convention: percent returns
    let y: Vec<f64> = r.column(0).iter().map(|v| 100.0 * v).collect();
    let named = |e: EstimateError| match e {
        EstimateError::ConstantSeries => EstimateError::ZeroVariance { asset: asset.into() },
        other => other,
    };
    let fit: GarchFit = Garch11 { dist }.fit(&y).map_err(named)?;
    let f = fit.forecast_variance(horizon)?;
    let ppy = r.periods_per_year();
    let annual = |v: f64| (v * ppy).sqrt() / 100.0;
    let p = fit.params;
    let mean_var = f.iter().sum::<f64>() / f.len() as f64;
    Ok(GarchReport {
        asset: asset.into(),
        dist,
        units: "percent daily returns",
        params: p,
        persistence: p.alpha + p.beta,
        loglikelihood: fit.loglikelihood,
        backcast: fit.backcast,
        volatility_1day_annualised: annual(f[0]),
        volatility_horizon_annualised: annual(mean_var),
        long_run_volatility_annualised: fit.long_run_variance().map(annual),
        forecast_variance: f,
        window: w.info(),
    })
}
