//! The main job: value, risk, target and trades of a portfolio file on a price panel.

use super::{PortfolioError, PortfolioFile};
use crate::allocate::{AllocateError, Allocation};
use crate::data::{AssetMap, PricePanel, ReturnKind, Returns, WindowInfo, WindowSpec, MAX_WINDOW};
use crate::estimate::{Covariance, FactorModel, FactorModelSpec, FittedFactorModel};
use crate::instrument::MAX_POSITION_SIZE;
use crate::message::Num;
use crate::rebalance::{plan, Band, BandKind, RebalanceInput, RebalancePlan};
use crate::risk::{risk_summary, FactorRisk, RiskSummary};
use crate::{Error, Result};
use jiff::civil::Date;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Everything `ballast report` shows.
#[derive(Debug, Clone)]
pub struct PortfolioReport {
    /// The book's name.
    pub name: Option<String>,
    /// The price file or folder.
    pub prices_file: String,
    /// Valuation date (the window's last price date).
    pub as_of: Date,
    /// What the estimation window covers.
    pub window: WindowInfo,
    /// Annualised covariance of the universe.
    pub covariance: Covariance,
    /// Universe: holdings first, then `[data] assets`.
    pub assets: Vec<String>,
    /// Units held.
    pub units: Vec<f64>,
    /// Valuation prices, USD per unit, on `as_of`.
    pub prices: Vec<f64>,
    /// Cash, USD.
    pub cash_usd: f64,
    /// Risk of the current holdings (weights = current, cash at zero volatility).
    pub current_risk: RiskSummary,
    /// The target (the `[target]` request run on the window).
    pub target: Allocation,
    /// The drift band.
    pub band: Band,
    /// Fee, basis points of notional.
    pub fee_bps: f64,
    /// The trades (if the band is breached) and the book after them.
    pub plan: RebalancePlan,
    /// Risk after the proposed trades (same as current when no trade is proposed).
    pub post_risk: RiskSummary,
    /// Confidence levels of VaR / CVaR.
    pub confidences: Vec<f64>,
    /// Factor risk of the holdings (`[risk] factors`), and after the trades.
    pub factor_risk: Option<(FactorRisk, FactorRisk)>,
}

/// Run the whole pipeline for a portfolio file on `panel` (the file's price data):
/// window → returns → covariance → current risk → target allocation → rebalance plan →
/// risk after trades.
///
/// # Errors
/// Derivative `[[position]]`s (the report would leave them out), missing `[data]` or
/// `[target]`, a bad universe (duplicate or negative holdings, fewer than
/// two coins), window and estimation errors, the allocation's errors (settings named as
/// `[target]` keys), a non-positive portfolio value.
pub fn analyze(pf: &PortfolioFile, panel: &PricePanel) -> Result<PortfolioReport> {
    if !pf.positions.is_empty() {
        return Err(pf
            .invalid(format!(
                "the file has {} derivative [[position]] {}: this allocation report values spot holdings and cash only and would leave {} out; report the whole book with `analysis::book_report` (what `ballast report` does for such a file)",
                pf.positions.len(),
                if pf.positions.len() == 1 { "entry" } else { "entries" },
                if pf.positions.len() == 1 { "it" } else { "them" }
            ))
            .into());
    }
    let data = pf.data()?;
    let target = pf.target()?;
    let (assets, units) = universe(pf)?;
    if !(2..=MAX_WINDOW).contains(&data.window) {
        return Err(pf
            .invalid(format!(
                "[data] window = {} must be between 2 and {MAX_WINDOW} returns",
                data.window
            ))
            .into());
    }
    let window = panel
        .window(&WindowSpec {
            assets: Some(assets.clone()),
            returns: data.window,
            end: data.end,
            ..WindowSpec::default()
        })
        .map_err(|error| PortfolioError::Window {
            file: pf.source.clone(),
            error,
        })?;
    let returns = window.returns(ReturnKind::Simple);
    let estimator = data.covariance();
    let cov = estimator
        .fit(&returns)
        .map_err(|e| pf.invalid(format!("[data] estimator: {e}")))?;
    let prices = window.last_prices();
    let confidences = pf.risk.confidence.clone();
    crate::risk::check_confidences(&confidences)
        .map_err(|e| pf.invalid(format!("[risk] confidence: {e}")))?;
    let value: f64 = units.iter().zip(&prices).map(|(u, p)| u * p).sum::<f64>() + pf.cash_usd;
    if !(value > 0.0) {
        return Err(pf
            .invalid(format!("portfolio value is {value:.2} USD; it must be > 0"))
            .into());
    }
    let current: Vec<f64> = units.iter().zip(&prices).map(|(u, p)| u * p / value).collect();
    let mut current_risk = risk_summary(&returns, &cov, &current, &confidences)?;
    current_risk.value_usd = Some(value);
    // every allocation error names the file and its section
    let in_target = |error: AllocateError| -> Error {
        PortfolioError::Target {
            file: pf.source.clone(),
            error,
        }
        .into()
    };
    target.check_universe(&assets).map_err(in_target)?;
    let alloc = target
        .allocate(&returns, &estimator, Some(&current))
        .map_err(in_target)?;
    let band = Band::new(pf.rebalance.band_type, pf.rebalance.band);
    let plan = plan(&RebalanceInput {
        assets: &assets,
        units: &units,
        prices: &prices,
        cash: pf.cash_usd,
        target: &alloc.weights,
        band,
        fee_bps: pf.rebalance.fee_bps,
        min_trade_usd: pf.rebalance.min_trade_usd,
    })
    .map_err(|e| pf.invalid(format!("[rebalance] {e}")))?;
    let mut post_risk = risk_summary(&returns, &cov, &plan.post_weights, &confidences)?;
    post_risk.value_usd = Some(value - plan.fees_usd);
    let factor_risk = match factor_spec(pf, panel)? {
        Some(spec) => {
            let model = fit_factors(pf, panel, &spec, &returns, &cov)?;
            let risk = |w: &[f64], v: f64| {
                crate::risk::factor_risk(&model, &cov.matrix, w, Some(v))
                    .map_err(|e| pf.invalid(format!("[risk] factors: {e}")))
            };
            Some((
                risk(&current, value)?,
                risk(&plan.post_weights, value - plan.fees_usd)?,
            ))
        }
        None => None,
    };
    Ok(PortfolioReport {
        name: pf.name.clone(),
        prices_file: pf.prices_path()?.display().to_string(),
        as_of: window.dates[window.dates.len() - 1],
        window: window.info(),
        covariance: cov,
        assets,
        units,
        prices,
        cash_usd: pf.cash_usd,
        current_risk,
        target: alloc,
        band,
        fee_bps: pf.rebalance.fee_bps,
        plan,
        post_risk,
        confidences,
        factor_risk,
    })
}

/// The report's factor model: `[risk] factors`, or `market:BTC` when the data has BTC.
fn factor_spec(pf: &PortfolioFile, panel: &PricePanel) -> Result<Option<FactorModelSpec>> {
    match pf.risk.factors.as_deref().map(str::trim) {
        None if panel.assets().iter().any(|a| a == "BTC") => Ok(Some(FactorModelSpec::Market(
            crate::estimate::MarketFactor::Coin("BTC".into()),
        ))),
        None | Some("none") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|e| {
            pf.invalid(format!("[risk] factors = \"{s}\": {e} (or \"none\")"))
                .into()
        }),
    }
}

/// Fit the report's factor model on the window's `returns`: factor coins the book does not
/// hold are cut from `panel` on the same dates; PCA takes the components of `cov`.
fn fit_factors(
    pf: &PortfolioFile,
    panel: &PricePanel,
    spec: &FactorModelSpec,
    returns: &Returns,
    cov: &Covariance,
) -> Result<FittedFactorModel> {
    let bad = |e: String| pf.invalid(format!("[risk] factors = \"{spec}\": {e}"));
    let extra: Vec<String> = match spec {
        FactorModelSpec::Market(crate::estimate::MarketFactor::Coin(c)) => vec![c.clone()],
        FactorModelSpec::Explicit(f) => f.clone(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|c| !returns.assets().contains(c))
    .collect();
    let model = FactorModel::new(spec.clone());
    if matches!(spec, FactorModelSpec::Pca(_)) {
        return Ok(model.fit_on(returns, cov).map_err(|e| bad(e.to_string()))?);
    }
    let factors = if extra.is_empty() {
        None
    } else {
        let w = panel
            .window(&WindowSpec {
                assets: Some(extra.clone()),
                returns: returns.n_periods(),
                end: returns.dates().last().copied(),
                ..WindowSpec::default()
            })
            .map_err(|e| bad(e.to_string()))?;
        let f = w.returns(ReturnKind::Simple);
        if f.dates() != returns.dates() {
            return Err(bad(format!(
                "{} has no price on some dates of the window; choose another factor",
                extra.join(", ")
            ))
            .into());
        }
        Some(f)
    };
    Ok(model
        .fit_with_factors(returns, factors.as_ref())
        .map_err(|e| bad(e.to_string()))?)
}

pub(super) fn universe(pf: &PortfolioFile) -> Result<(Vec<String>, Vec<f64>)> {
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
        if !(h.units.is_finite() && (0.0..=MAX_POSITION_SIZE).contains(&h.units)) {
            return Err(pf
                .invalid(format!(
                    "holding {}: units = {} must be a number of coins in [0, 1e12]",
                    h.asset,
                    Num(h.units)
                ))
                .into());
        }
        assets.push(h.asset.clone());
        units.push(h.units);
    }
    for a in &pf.data()?.assets {
        if !assets.contains(a) {
            assets.push(a.clone());
            units.push(0.0);
        }
    }
    if assets.len() < 2 {
        return Err(pf
            .invalid("the universe needs at least two coins ([[holding]] entries or [data] assets)".into())
            .into());
    }
    if !pf.cash_usd.is_finite() {
        return Err(pf.invalid("cash_usd is not a finite number".into()).into());
    }
    Ok((assets, units))
}

impl PortfolioReport {
    /// Current USD value of each holding.
    pub fn values(&self) -> Vec<f64> {
        self.units.iter().zip(&self.prices).map(|(u, p)| u * p).collect()
    }
}

/// JSON: `name`, `as_of`, `prices`, `covariance` ([`CovarianceInfo`](crate::estimate::CovarianceInfo)), `window`, `value_usd`,
/// `cash_usd`, `cash_weight`, `holdings` [{`asset`, `units`, `price`, `value_usd`, `weight`,
/// `target_weight`, `drift`, `volatility_annual`, `risk_contribution`,
/// `target_risk_contribution`}], `weights`, `risk_contributions`, `volatility_annual`, `risk`
/// (a [`RiskSummary`]), `target` (an [`Allocation`]), `rebalance` {`band`, `band_type`,
/// `fee_bps`, and the [`RebalancePlan`]'s keys}, `risk_after`, `factor_risk` and
/// `factor_risk_after` ([`FactorRisk`], or null with `[risk] factors = "none"`).
impl Serialize for PortfolioReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Holding<'a> {
            asset: &'a str,
            units: f64,
            price: f64,
            value_usd: f64,
            weight: f64,
            target_weight: f64,
            drift: f64,
            volatility_annual: f64,
            risk_contribution: f64,
            target_risk_contribution: f64,
        }
        #[derive(Serialize)]
        struct Rebalance<'a> {
            band: f64,
            band_type: BandKind,
            fee_bps: f64,
            #[serde(flatten)]
            plan: &'a RebalancePlan,
        }
        let p = &self.plan;
        let vols = self.covariance.volatilities();
        let values = self.values();
        let holdings: Vec<Holding> = (0..self.assets.len())
            .map(|i| Holding {
                asset: &self.assets[i],
                units: self.units[i],
                price: self.prices[i],
                value_usd: values[i],
                weight: p.current[i],
                target_weight: self.target.weights[i],
                drift: p.drift[i],
                volatility_annual: vols[i],
                risk_contribution: self.current_risk.risk_contributions[i],
                target_risk_contribution: self.target.risk_contributions[i],
            })
            .collect();
        let a = &self.assets;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("as_of", &self.as_of)?;
        m.serialize_entry("prices", &self.prices_file)?;
        m.serialize_entry("covariance", &self.covariance.info())?;
        m.serialize_entry("window", &self.window)?;
        m.serialize_entry("value_usd", &p.value_usd)?;
        m.serialize_entry("cash_usd", &self.cash_usd)?;
        m.serialize_entry("cash_weight", &p.current_cash)?;
        m.serialize_entry("holdings", &holdings)?;
        m.serialize_entry("weights", &AssetMap::new(a, &p.current))?;
        m.serialize_entry(
            "risk_contributions",
            &AssetMap::new(a, &self.current_risk.risk_contributions),
        )?;
        m.serialize_entry("volatility_annual", &self.current_risk.volatility_annual)?;
        m.serialize_entry("risk", &self.current_risk)?;
        m.serialize_entry("target", &self.target)?;
        m.serialize_entry(
            "rebalance",
            &Rebalance {
                band: self.band.width(),
                band_type: match self.band {
                    Band::Absolute(_) => BandKind::Absolute,
                    Band::Relative(_) => BandKind::Relative,
                },
                fee_bps: self.fee_bps,
                plan: p,
            },
        )?;
        m.serialize_entry("risk_after", &self.post_risk)?;
        m.serialize_entry("factor_risk", &self.factor_risk.as_ref().map(|f| &f.0))?;
        m.serialize_entry("factor_risk_after", &self.factor_risk.as_ref().map(|f| &f.1))?;
        m.end()
    }
}
