//! An allocation request, written once and used everywhere: `ballast optimize` builds it from
//! flags, a portfolio file's `[target]` and each backtest strategy's `[strategy.allocation]`
//! from TOML, and all of them run it through [`AllocationSpec::allocate`].
//!
//! ```toml
//! method = "max-sharpe"      # see `Method` for the names
//! max_weight = 0.35          # shorthand for constraints.max_weight (same for min_weight)
//! mu = "james-stein"         # expected returns: historical | ewma | james-stein
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
use crate::estimate::{ExpectedReturns, FactorModelSpec, MarketIndex, MuMethod, PcaComponents};
use crate::message::Num;
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
    /// The correlation HRP and HERC cluster on (default covariance).
    pub hrp_correlation: Option<HrpCorrelation>,
    /// Number of clusters (herc; default: two-difference gap statistic).
    pub clusters: Option<usize>,
    /// CVaR confidence β (min-cvar, default 0.95).
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

fn bad<T>(m: String) -> Result<T, AllocateError> {
    Err(AllocateError::BadParameter(m))
}

/// How the ends of a range count.
#[derive(Clone, Copy, PartialEq)]
enum Ends {
    /// [lo, hi]
    Closed,
    /// (lo, hi]
    OpenLow,
    /// (lo, hi)
    Open,
}

/// `value` finite and within the range, else an error naming the key and, for numbers that
/// look like percentages, the likely fix.
fn in_range(
    key: &str,
    value: f64,
    lo: f64,
    hi: f64,
    ends: Ends,
    example: &str,
) -> Result<f64, AllocateError> {
    let inside = value.is_finite()
        && match ends {
            Ends::Closed => value >= lo && value <= hi,
            Ends::OpenLow => value > lo && value <= hi,
            Ends::Open => value > lo && value < hi,
        };
    if inside {
        return Ok(value);
    }
    let shown = Num(value);
    // only rates and fractions are written as percentages by mistake (a leverage of 500 is not)
    let percent_like = example.contains('%') || hi <= 1.0;
    let hint = if percent_like && value.is_finite() && value > hi && value / 100.0 <= hi && value / 100.0 > lo
    {
        format!(
            "; {value} looks like a percentage: write fractions, {} for {value} %",
            value / 100.0
        )
    } else {
        String::new()
    };
    let (a, b) = match ends {
        Ends::Closed => ("[", "]"),
        Ends::OpenLow => ("(", "]"),
        Ends::Open => ("(", ")"),
    };
    bad(format!(
        "{key} = {shown} must be in {a}{lo}, {hi}{b} (e.g. {example}){hint}"
    ))
}

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

fn build_method(
    o: &AllocationOptions,
    need: impl Fn(Option<f64>, &str) -> Result<f64, AllocateError>,
) -> Result<AllocationMethod, AllocateError> {
    use AllocationMethod as A;
    Ok(match o.method {
        Method::EqualWeight => A::EqualWeight,
        Method::InverseVol => A::InverseVol,
        Method::Erc => A::Erc,
        Method::RiskBudget => {
            let b = o.budgets.as_ref().ok_or_else(|| {
                AllocateError::BadParameter(
                    "method = 'risk-budget' needs budgets: one per coin, > 0, summing to 1 (e.g. BTC = 0.5, ETH = 0.5)".into(),
                )
            })?;
            A::RiskBudget {
                budgets: check_budgets(b)?,
            }
        }
        Method::MinVariance => A::MinVariance,
        Method::MaxSharpe => A::MaxSharpe,
        Method::EfficientReturn => A::EfficientReturn {
            target_return: target_return(need(o.target_return, "target_return")?)?,
        },
        Method::EfficientRisk => A::EfficientRisk {
            target_vol: in_range(
                "target_vol",
                need(o.target_vol, "target_vol")?,
                0.0,
                5.0,
                Ends::OpenLow,
                "0.6 for 60 % a year",
            )?,
        },
        Method::Utility => A::Utility {
            risk_aversion: risk_aversion(o.risk_aversion.ok_or_else(|| {
                AllocateError::BadParameter(
                    "method = 'utility' needs risk_aversion (a number such as 3, or market-implied)".into(),
                )
            })?)?,
        },
        Method::Hrp => A::Hrp {
            linkage: o.linkage.unwrap_or_default(),
            leaf_order: o.leaf_order.unwrap_or_default(),
            correlation: o.hrp_correlation.unwrap_or_default(),
        },
        Method::Herc => A::Herc {
            linkage: o.linkage.unwrap_or_default(),
            clusters: match o.clusters {
                Some(k) if k == 0 || k > 10_000 => {
                    return bad(format!(
                        "clusters = {k} must be between 1 and the number of assets"
                    ))
                }
                k => k,
            },
        },
        Method::MinCvar => A::MinCvar {
            beta: in_range("beta", o.beta.unwrap_or(0.95), 0.0, 1.0, Ends::Open, "0.95")?,
            target_return: o.target_return.map(target_return).transpose()?,
        },
        Method::EfficientCvar => A::EfficientCvar {
            beta: in_range("beta", o.beta.unwrap_or(0.95), 0.0, 1.0, Ends::Open, "0.95")?,
            target_cvar: in_range(
                "target_cvar",
                need(o.target_cvar, "target_cvar (the most one-day CVaR, e.g. 0.06)")?,
                0.0,
                1.0,
                Ends::Open,
                "0.06 for a 6 % one-day CVaR",
            )?,
        },
        Method::BlackLitterman => black_litterman(o)?,
        Method::FactorRiskParity => factor_risk_parity(o)?,
    })
}

/// Factor risk parity: a factor model, budgets over its factors (and the residual), the sign
/// rule.
fn factor_risk_parity(o: &AllocationOptions) -> Result<AllocationMethod, AllocateError> {
    let factors = o.factors.clone().ok_or_else(|| {
        AllocateError::BadParameter(
            "method = 'factor-risk-parity' needs factors: a factor model such as explicit:BTC,ETH, market:BTC or pca:3".into(),
        )
    })?;
    let long_only = o.long_only.unwrap_or(true);
    let names = factors.factor_names();
    let mut residual = None;
    let budgets = match &o.factor_budgets {
        None => None,
        Some(b) => {
            if matches!(factors, FactorModelSpec::Pca(PcaComponents::Explained(_))) {
                return bad(
                    "factor_budgets need a known number of factors: write pca:K, not a fraction of variance"
                        .into(),
                );
            }
            let mut list = Vec::new();
            for (name, v) in b {
                if !(v.is_finite() && *v > 0.0) {
                    return bad(format!(
                        "factor budget of {name} is {v}; every budget must be > 0"
                    ));
                }
                if name == "residual" {
                    residual = Some(*v);
                } else if !names.contains(name) {
                    return bad(format!(
                        "factor_budgets: '{name}' is not a factor of {factors} ({}, or residual)",
                        names.join(", ")
                    ));
                } else {
                    list.push((name.clone(), *v));
                }
            }
            if let Some(f) = names.iter().find(|f| !list.iter().any(|(n, _)| n == *f)) {
                return bad(format!(
                    "factor_budgets: no budget for factor {f}; give one per factor of {factors}"
                ));
            }
            let s: f64 = b.values().sum();
            if (s - 1.0).abs() > 1e-6 {
                return bad(format!(
                    "factor_budgets sum to {s:.6}; they must sum to 1 (residual included)"
                ));
            }
            Some(list)
        }
    };
    if names.len() == 1 && residual.is_none() {
        return bad(format!(
            "factor-risk-parity with one factor ({}) and no residual budget is met by any book: give factor_budgets with a residual share (e.g. {}=0.8,residual=0.2), or a model with two factors or more",
            names[0], names[0]
        ));
    }
    if residual.is_some() && !long_only {
        return bad("a residual budget needs long_only = true: the fully invested any-sign portfolio puts no risk in the residual".into());
    }
    let bounded = o.min_weight.is_some()
        || o.max_weight.is_some()
        || o.constraints
            .as_ref()
            .is_some_and(|c| c.min_weight.is_some() || c.max_weight.is_some() || !c.bounds.is_empty());
    if bounded && !long_only {
        return bad("weight bounds need long_only = true (the any-sign factor risk parity portfolio is unbounded, as Riskfolio's)".into());
    }
    Ok(AllocationMethod::FactorRiskParity {
        factors,
        budgets,
        residual,
        long_only,
    })
}

/// An annual target return in [-1, 10].
fn target_return(r: f64) -> Result<f64, AllocateError> {
    in_range(
        "target_return",
        r,
        -1.0,
        10.0,
        Ends::Closed,
        "0.5 for 50 % a year",
    )
}

/// Black-Litterman: views (absolute or "A-B" relative) in range, one confidence per view, τ, δ.
fn black_litterman(o: &AllocationOptions) -> Result<AllocationMethod, AllocateError> {
    let views = o.views.as_ref().ok_or_else(|| {
        AllocateError::BadParameter(
            "method = 'black-litterman' needs views (a [..views] table, or --views BTC=0.2,ETH-SOL=0.1)"
                .into(),
        )
    })?;
    if views.0.is_empty() {
        return bad("views is empty: give at least one view".into());
    }
    for (k, (name, _)) in views.0.iter().enumerate() {
        if views.0[..k].iter().any(|(other, _)| other == name) {
            return bad(format!("views: '{name}' is given twice"));
        }
    }
    for (k, v) in &views.0 {
        in_range(
            &format!("views: {k}"),
            *v,
            -10.0,
            10.0,
            Ends::Closed,
            "0.2 for 20 % a year",
        )?;
    }
    if let Some(c) = &o.view_confidences {
        if c.len() != views.0.len() {
            return bad(format!(
                "{} view confidence{} for {} view{}: give one per view, in the views' order ({})",
                c.len(),
                if c.len() == 1 { "" } else { "s" },
                views.0.len(),
                if views.0.len() == 1 { "" } else { "s" },
                views
                    .0
                    .iter()
                    .map(|v| v.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for x in c {
            in_range("view confidence", *x, 0.0, 1.0, Ends::Closed, "0.6")?;
        }
    }
    Ok(AllocationMethod::BlackLitterman {
        views: views.0.clone(),
        confidences: o.view_confidences.clone(),
        tau: in_range("tau", o.tau.unwrap_or(0.05), 0.0, 1.0, Ends::OpenLow, "0.05")?,
        risk_aversion: risk_aversion(o.risk_aversion.unwrap_or(RiskAversion::Given(2.5)))?,
        prior: o.prior.unwrap_or_default(),
    })
}

fn risk_aversion(r: RiskAversion) -> Result<RiskAversion, AllocateError> {
    match r {
        RiskAversion::Given(d) => Ok(RiskAversion::Given(in_range(
            "risk_aversion",
            d,
            0.0,
            1e6,
            Ends::OpenLow,
            "2.5, or market-implied",
        )?)),
        m => Ok(m),
    }
}

/// The market and the market caps, each given only where something uses it.
fn check_market(
    o: &AllocationOptions,
) -> Result<(MarketIndex, Option<BTreeMap<String, f64>>), AllocateError> {
    let implied = |r: Option<RiskAversion>| r == Some(RiskAversion::MarketImplied);
    let uses_market = o.mu == Some(MuMethod::Capm) || implied(o.risk_aversion);
    if o.market.is_some() && !uses_market {
        return bad("market is only used with mu = \"capm\" and risk_aversion = \"market-implied\"".into());
    }
    let market = o.market.clone().unwrap_or_default();
    let cap_weighted = uses_market && market == MarketIndex::CapWeighted;
    let cap_prior = o.prior == Some(BlPrior::MarketCaps);
    match &o.market_caps {
        Some(caps) => {
            if !(cap_weighted || cap_prior) {
                return bad("market_caps are only used with prior = \"market-caps\" (black-litterman) and market = \"cap-weighted\"".into());
            }
            if caps.is_empty() {
                return bad("market_caps is empty: give one cap in USD per coin".into());
            }
            for (a, c) in caps {
                if !(c.is_finite() && *c > 0.0 && *c < 1e16) {
                    return bad(format!(
                        "market cap of {a} = {} must be a positive number of USD below 1e16",
                        Num(*c)
                    ));
                }
            }
        }
        None if cap_weighted || cap_prior => {
            return bad(format!(
                "{} needs market caps: a [market_caps] table (BTC = 1.9e12, ...) or --market-caps FILE (asset,market_cap_usd)",
                if cap_prior { "prior = \"market-caps\"" } else { "market = \"cap-weighted\"" }
            ))
        }
        None => {}
    }
    Ok((market, o.market_caps.clone()))
}

fn check_budgets(b: &BTreeMap<String, f64>) -> Result<Vec<(String, f64)>, AllocateError> {
    if b.is_empty() {
        return bad("budgets is empty: give one per coin, e.g. { BTC = 0.5, ETH = 0.5 }".into());
    }
    for (a, v) in b {
        if !(v.is_finite() && *v > 0.0) {
            return bad(format!(
                "budget of {a} is {v}; every budget must be > 0 (drop the coin instead of giving it 0)"
            ));
        }
    }
    let s: f64 = b.values().sum();
    if (s - 1.0).abs() > 1e-6 {
        return bad(format!("budgets sum to {s:.6}; they must sum to 1"));
    }
    Ok(b.iter().map(|(k, v)| (k.clone(), v / s)).collect())
}

/// The constraints with the top-level `min_weight` / `max_weight` folded in, checked against
/// what the method can honour.
fn merged_constraints(o: &AllocationOptions) -> Result<ConstraintsSpec, AllocateError> {
    let m = o.method;
    let mut c = o.constraints.clone().unwrap_or_default();
    if (c.min_weight.is_some() && o.min_weight.is_some())
        || (c.max_weight.is_some() && o.max_weight.is_some())
    {
        return bad(
            "give min_weight / max_weight once: with the method's options or in the constraints, not both"
                .into(),
        );
    }
    c.min_weight = c.min_weight.or(o.min_weight);
    c.max_weight = c.max_weight.or(o.max_weight);
    for (k, v) in [("min_weight", c.min_weight), ("max_weight", c.max_weight)] {
        if let Some(v) = v {
            in_range(k, v, -10.0, 10.0, Ends::Closed, "0.30 for 30 %")?;
        }
    }
    for (a, [lo, hi]) in &c.bounds {
        in_range(&format!("bounds {a}"), *lo, -10.0, 10.0, Ends::Closed, "0.05")?;
        in_range(&format!("bounds {a}"), *hi, -10.0, 10.0, Ends::Closed, "0.5")?;
    }
    if c.beta_tolerance.is_some() && c.beta_neutral.is_none() {
        return bad("beta_tolerance needs beta_neutral = MODEL (e.g. \"market:BTC\")".into());
    }
    if let Some(t) = c.beta_tolerance {
        in_range("beta_tolerance", t, 0.0, 100.0, Ends::Closed, "0.05")?;
    }
    let bounds = c.min_weight.is_some() || c.max_weight.is_some() || !c.bounds.is_empty();
    if bounds && !m.takes_bounds() {
        let hint = if m == Method::Herc {
            " (use method = 'hrp', which honours bounds)"
        } else {
            ""
        };
        return bad(format!("method = '{m}' takes no weight bounds{hint}"));
    }
    let coupling = !c.groups.is_empty()
        || c.max_gross.is_some()
        || c.max_turnover.is_some()
        || c.cost > 0.0
        || c.l2 > 0.0
        || c.net_exposure.is_some()
        || c.current.is_some()
        || c.beta_neutral.is_some();
    let risk_parity = matches!(m, Method::Erc | Method::RiskBudget);
    if risk_parity && (c.cost > 0.0 || c.l2 > 0.0) {
        return bad(format!(
            "method = '{m}' takes linear constraints (groups, exposure, turnover, bounds, a return floor) but no costs or L2 penalty: those belong to the mean-variance objectives"
        ));
    }
    if coupling && !m.solver_based() && !risk_parity {
        return bad(format!(
            "method = '{m}' takes weight bounds only; groups, net/gross exposure, beta-neutrality, turnover, costs, L2 and current weights need a solver-based method (min-variance, max-sharpe, efficient-return, efficient-risk, utility, min-cvar, efficient-cvar, black-litterman) or erc / risk-budget (solved under linear constraints by successive convex approximation)"
        ));
    }
    Ok(c)
}

fn check_momentum(mo: &MomentumSpec, m: Method) -> Result<(), AllocateError> {
    if mo.top.is_none() && mo.tilt == 0.0 {
        return bad("momentum needs top = K (select the K best coins) and/or tilt = κ > 0".into());
    }
    if let Some(k) = mo.top {
        if k == 0 || k > 100_000 {
            return bad(format!("momentum top = {k} must be at least 1"));
        }
    }
    if !(2..=100_000).contains(&mo.lookback) {
        return bad(format!(
            "momentum lookback = {} days must be at least 2 (and at most the estimation window)",
            mo.lookback
        ));
    }
    in_range("momentum tilt", mo.tilt, 0.0, 100.0, Ends::Closed, "0.5")?;
    if mo.tilt > 0.0 && !m.tiltable() {
        return bad(format!(
            "momentum tilt works with equal-weight, inverse-vol, erc, risk-budget, hrp and herc (method = '{m}' already uses expected returns; choose them with mu)"
        ));
    }
    Ok(())
}
