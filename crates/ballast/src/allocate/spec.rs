//! An allocation request, written once and used everywhere: `ballast optimize` builds it from
//! flags, a portfolio file's `[target]` and each backtest strategy's `[strategy.allocation]`
//! from TOML, and all of them run it through [`AllocationSpec::allocate`].
//!
//! ```toml
//! method = "max-sharpe"      # see `Method` for the names
//! max_weight = 0.35          # shorthand for constraints.max_weight (same for min_weight)
//! mu = "james-stein"         # expected returns: historical | ewma | james-stein | geometric | capm
//! risk_free = 0.04           # annual; max-sharpe, Black-Litterman, and every Sharpe reported
//! vol_target = 0.40          # scale to 40 % annual volatility, the rest in cash
//! max_leverage = 1.0
//! momentum = { top = 8, lookback = 90 }   # keep the 8 best coins by 90-day return ÷ vol
//!
//! [target.constraints]       # (or [strategy.allocation.constraints]): see `ConstraintsSpec`
//! max_turnover = 0.5
//! [[target.constraints.group]]
//! name = "layer-1"
//! assets = ["BTC", "ETH", "SOL"]
//! max = 0.6
//!
//! [target.views]             # black-litterman: absolute and relative views, annual
//! BTC = 0.20
//! "ETH-SOL" = 0.05
//! ```
//!
//! Every option either takes effect or is an error saying which methods use it: a request
//! that cannot be honoured is refused when it is built, never silently ignored.

use super::{
    AllocateError, AllocationMethod, BlPrior, ConstraintsSpec, HrpCorrelation, LeafOrder, Linkage, Method,
    RiskAversion, VolTarget,
};
use crate::estimate::{ExpectedReturns, FactorModelSpec, MarketIndex, MuMethod};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Volatility-adjusted momentum (trailing return ÷ trailing annualised volatility over
/// `lookback` days): keep the `top` coins before allocating, and/or tilt the weights by
/// exp(κ·z) of the signal's cross-sectional z-score (`tilt` = κ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MomentumSpec {
    /// Keep the K coins with the best signal (≥ 1).
    pub top: Option<usize>,
    /// Tilt strength κ ≥ 0 (0 = no tilt).
    #[serde(default)]
    pub tilt: f64,
    /// Look-back in days (default 90).
    #[serde(default = "default_lookback")]
    pub lookback: usize,
}

fn default_lookback() -> usize {
    90
}

/// Black-Litterman views in the order they are written (a TOML/JSON table, or `--views`):
/// `BTC = 0.2` (absolute), `"ETH-SOL" = 0.05` (relative), annual returns. Confidences pair with
/// the views in this order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Views(pub Vec<(String, f64)>);

impl Serialize for Views {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Views {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> serde::de::Visitor<'de> for InOrder {
            type Value = Views;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of views such as { BTC = 0.2, \"ETH-SOL\" = 0.05 }")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Views, A::Error> {
                let mut views: Vec<(String, f64)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    if views.iter().any(|(name, _)| *name == k) {
                        return Err(serde::de::Error::custom(format!("view '{k}' is given twice")));
                    }
                    views.push((k, v));
                }
                Ok(Views(views))
            }
        }
        d.deserialize_map(InOrder)
    }
}

/// Every option of an allocation request, by the name files and flags use; what a request
/// looks like before it is checked. [`AllocationSpec::try_from`] checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationOptions {
    /// The method.
    pub method: Method,
    /// Risk budgets per asset (risk-budget), > 0, summing to 1.
    pub budgets: Option<BTreeMap<String, f64>>,
    /// Lower bound on every weight (shorthand for `constraints.min_weight`).
    pub min_weight: Option<f64>,
    /// Upper bound on every weight (shorthand for `constraints.max_weight`).
    pub max_weight: Option<f64>,
    /// Bounds, groups, exposure, turnover, costs, L2.
    pub constraints: Option<ConstraintsSpec>,
    /// Annual risk-free rate (default 0).
    pub risk_free: Option<f64>,
    /// Annual target return (efficient-return; the optional return floor of min-cvar, erc and
    /// risk-budget).
    pub target_return: Option<f64>,
    /// Most CVaR_β of the one-day loss, a positive fraction (efficient-cvar).
    pub target_cvar: Option<f64>,
    /// Annual target volatility (efficient-risk).
    pub target_vol: Option<f64>,
    /// Risk aversion δ, a number or "market-implied" (utility; black-litterman's prior, default
    /// 2.5).
    pub risk_aversion: Option<RiskAversion>,
    /// Black-Litterman prior: equal-weight (default), market-caps, zero, mu.
    pub prior: Option<BlPrior>,
    /// The market of mu = "capm" and of a market-implied risk aversion: a coin (default BTC),
    /// "equal-weight" or "cap-weighted".
    pub market: Option<MarketIndex>,
    /// Market capitalisations in USD per coin (prior = "market-caps", market = "cap-weighted").
    pub market_caps: Option<BTreeMap<String, f64>>,
    /// Expected-return estimator (default historical).
    pub mu: Option<MuMethod>,
    /// Decay for `mu = "ewma"` (default 0.97).
    pub mu_lambda: Option<f64>,
    /// Linkage (hrp, herc; default single).
    pub linkage: Option<Linkage>,
    /// Leaf order (hrp; default dendrogram).
    pub leaf_order: Option<LeafOrder>,
    /// The correlation HRP clusters on (hrp; default covariance).
    pub hrp_correlation: Option<HrpCorrelation>,
    /// Number of clusters (herc; default: two-difference gap statistic).
    pub clusters: Option<usize>,
    /// CVaR confidence β (min-cvar, efficient-cvar; default 0.95).
    pub beta: Option<f64>,
    /// Black-Litterman views: `BTC = 0.2` (absolute), `"ETH-SOL" = 0.05` (relative), annual.
    pub views: Option<Views>,
    /// Idzorek confidences in [0, 1], one per view, in the order the views are written.
    pub view_confidences: Option<Vec<f64>>,
    /// Black-Litterman τ (default 0.05).
    pub tau: Option<f64>,
    /// Annual volatility target; the weights are scaled to it and the rest is cash.
    pub vol_target: Option<f64>,
    /// Gross exposure cap with `vol_target` (default 1).
    pub max_leverage: Option<f64>,
    /// Momentum selection and tilt.
    pub momentum: Option<MomentumSpec>,
    /// Factor model of factor-risk-parity: `explicit:BTC,ETH`, `market:BTC`, `pca:3`.
    pub factors: Option<FactorModelSpec>,
    /// Budget per factor (factor-risk-parity), > 0, summing to 1; a `residual` entry budgets
    /// the residual too (long-only). Default: equal over the factors.
    pub factor_budgets: Option<BTreeMap<String, f64>>,
    /// Long-only (default true); false = fully invested with any sign, Riskfolio's
    /// `rp_optimization(model='FC')` (factor-risk-parity).
    pub long_only: Option<bool>,
}

impl AllocationOptions {
    /// Options with only a method (everything else default).
    pub fn new(method: Method) -> Self {
        Self {
            method,
            budgets: None,
            min_weight: None,
            max_weight: None,
            constraints: None,
            risk_free: None,
            target_return: None,
            target_cvar: None,
            target_vol: None,
            risk_aversion: None,
            prior: None,
            market: None,
            market_caps: None,
            mu: None,
            mu_lambda: None,
            linkage: None,
            leaf_order: None,
            hrp_correlation: None,
            clusters: None,
            beta: None,
            views: None,
            view_confidences: None,
            tau: None,
            vol_target: None,
            max_leverage: None,
            momentum: None,
            factors: None,
            factor_budgets: None,
            long_only: None,
        }
    }
}

/// A checked allocation request (see the module docs). Deserialises from the keys of
/// [`AllocationOptions`], checked on the way.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "AllocationOptions")]
pub struct AllocationSpec {
    /// The method and its parameters.
    pub method: AllocationMethod,
    /// Constraints (bounds for every method that takes them; the rest for solver-based ones).
    pub constraints: ConstraintsSpec,
    /// Expected returns: an input of the mean-based methods, and the expected return and
    /// Sharpe ratio reported for every method.
    pub mu: ExpectedReturns,
    /// Annual risk-free rate: max-sharpe's and Black–Litterman's, the rate cash earns, and
    /// the one every Sharpe ratio is measured against.
    pub risk_free: f64,
    /// Momentum selection and tilt.
    pub momentum: Option<MomentumSpec>,
    /// The market (capm, market-implied risk aversion).
    pub market: MarketIndex,
    /// Market caps (market-caps prior, cap-weighted market).
    pub market_caps: Option<BTreeMap<String, f64>>,
    /// Floor on the annual expected return of erc / risk-budget (solved by successive convex
    /// approximation with the other constraints).
    pub return_floor: Option<f64>,
    /// Volatility-target overlay.
    pub vol_target: Option<VolTarget>,
}

impl AllocationSpec {
    /// The request for `method` with every default (methods that need a parameter, such as
    /// risk-budget, cannot be built this way).
    ///
    /// # Errors
    /// As [`AllocationSpec::try_from`].
    pub fn of(method: Method) -> Result<Self, AllocateError> {
        Self::try_from(AllocationOptions::new(method))
    }
}

use super::spec_checks::{
    bad, build_method, check_market, check_momentum, in_range, merged_constraints, target_return, Ends,
};

impl TryFrom<AllocationOptions> for AllocationSpec {
    type Error = AllocateError;

    /// Check the options and build the request.
    ///
    /// # Errors
    /// [`AllocateError::BadParameter`]: a parameter the method needs is missing, one it would
    /// ignore is given (naming the methods that use it), a value is out of range (with the
    /// likely fix, e.g. a percentage written for a fraction), or constraints the method
    /// cannot honour.
    fn try_from(o: AllocationOptions) -> Result<Self, AllocateError> {
        let m = o.method;
        let only = |given: bool, key: &str, methods: &[Method]| -> Result<(), AllocateError> {
            if given && !methods.contains(&m) {
                let names: Vec<&str> = methods.iter().map(|x| x.name()).collect();
                return bad(format!(
                    "{key} is only used with method = {} (the method is '{m}')",
                    names.join(" | ")
                ));
            }
            Ok(())
        };
        let need = |v: Option<f64>, key: &str| -> Result<f64, AllocateError> {
            v.ok_or_else(|| AllocateError::BadParameter(format!("method = '{m}' needs {key}")))
        };
        use Method::*;
        only(o.budgets.is_some(), "budgets", &[RiskBudget])?;
        only(
            o.target_return.is_some(),
            "target_return",
            &[EfficientReturn, MinCvar, Erc, RiskBudget],
        )?;
        only(o.target_cvar.is_some(), "target_cvar", &[EfficientCvar])?;
        only(o.prior.is_some(), "prior", &[BlackLitterman])?;
        only(o.hrp_correlation.is_some(), "hrp_correlation", &[Hrp])?;
        only(o.target_vol.is_some(), "target_vol", &[EfficientRisk])?;
        only(
            o.risk_aversion.is_some(),
            "risk_aversion",
            &[Utility, BlackLitterman],
        )?;
        only(o.linkage.is_some(), "linkage", &[Hrp, Herc])?;
        only(o.leaf_order.is_some(), "leaf_order", &[Hrp])?;
        only(o.clusters.is_some(), "clusters", &[Herc])?;
        only(o.beta.is_some(), "beta", &[MinCvar, EfficientCvar])?;
        only(o.factors.is_some(), "factors", &[FactorRiskParity])?;
        only(o.factor_budgets.is_some(), "factor_budgets", &[FactorRiskParity])?;
        only(o.long_only.is_some(), "long_only", &[FactorRiskParity])?;
        only(
            o.views.is_some() || o.tau.is_some() || o.view_confidences.is_some(),
            "views / tau / view_confidences",
            &[BlackLitterman],
        )?;
        if m == BlackLitterman && o.prior != Some(BlPrior::Mu) && (o.mu.is_some() || o.mu_lambda.is_some()) {
            return bad("mu is used with method = 'black-litterman' only as its prior (prior = \"mu\"): otherwise its expected returns are the posterior of the prior and the views".into());
        }
        let method = build_method(&o, need)?;
        let risk_free = match o.risk_free {
            Some(r) => in_range("risk_free", r, -1.0, 1.0, Ends::Closed, "0.04 for 4 % a year")?,
            None => 0.0,
        };
        let mut mu = ExpectedReturns::new(o.mu.unwrap_or_default(), o.mu_lambda)
            .map_err(|e| AllocateError::BadParameter(e.to_string()))?;
        let (market, market_caps) = check_market(&o)?;
        if let ExpectedReturns::Capm {
            market: mkt,
            caps,
            risk_free: rf,
            ..
        } = &mut mu
        {
            *mkt = market.clone();
            caps.clone_from(&market_caps);
            *rf = risk_free;
        }
        let constraints = merged_constraints(&o)?;
        let vol_target = match (o.vol_target, o.max_leverage) {
            (None, Some(_)) => return bad("max_leverage is only used with vol_target".into()),
            (None, None) => None,
            (Some(t), l) => Some(VolTarget {
                target: in_range("vol_target", t, 0.0, 5.0, Ends::OpenLow, "0.40 for 40 % a year")?,
                max_leverage: in_range(
                    "max_leverage",
                    l.unwrap_or(1.0),
                    0.0,
                    100.0,
                    Ends::OpenLow,
                    "1.0 for no borrowing",
                )?,
            }),
        };
        if let Some(mo) = &o.momentum {
            check_momentum(mo, m)?;
        }
        let return_floor = match (m, o.target_return) {
            (Erc | RiskBudget, Some(r)) => Some(target_return(r)?),
            _ => None,
        };
        Ok(Self {
            method,
            constraints,
            mu,
            risk_free,
            momentum: o.momentum,
            market,
            market_caps,
            return_floor,
            vol_target,
        })
    }
}
