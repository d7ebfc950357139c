//! The checks behind [`AllocationSpec::try_from`](super::AllocationSpec): each option in its
//! range, given only to the methods that use it, with the fix in the message.

use super::spec::{AllocationOptions, MomentumSpec};
use super::{AllocateError, AllocationMethod, BlPrior, ConstraintsSpec, Method, RiskAversion};
use crate::estimate::{FactorModelSpec, MarketIndex, MuMethod, PcaComponents};
use crate::message::Num;
use std::collections::BTreeMap;

pub(super) fn bad<T>(m: String) -> Result<T, AllocateError> {
    Err(AllocateError::BadParameter(m))
}

/// How the ends of a range count.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Ends {
    /// [lo, hi]
    Closed,
    /// (lo, hi]
    OpenLow,
    /// (lo, hi)
    Open,
}

/// `value` finite and within the range, else an error naming the key and, for numbers that
/// look like percentages, the likely fix.
pub(super) fn in_range(
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

pub(super) fn build_method(
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
pub(super) fn factor_risk_parity(o: &AllocationOptions) -> Result<AllocationMethod, AllocateError> {
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
pub(super) fn target_return(r: f64) -> Result<f64, AllocateError> {
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
pub(super) fn black_litterman(o: &AllocationOptions) -> Result<AllocationMethod, AllocateError> {
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

pub(super) fn risk_aversion(r: RiskAversion) -> Result<RiskAversion, AllocateError> {
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
pub(super) fn check_market(
    o: &AllocationOptions,
) -> Result<(MarketIndex, Option<BTreeMap<String, f64>>), AllocateError> {
    let implied = |r: Option<RiskAversion>| r == Some(RiskAversion::MarketImplied);
    let uses_market = o.mu == Some(MuMethod::Capm) || implied(o.risk_aversion);
    if o.market.is_some() && !uses_market {
        return bad("market is only used with mu = \"capm\" or risk_aversion = \"market-implied\"".into());
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

pub(super) fn check_budgets(b: &BTreeMap<String, f64>) -> Result<Vec<(String, f64)>, AllocateError> {
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
pub(super) fn merged_constraints(o: &AllocationOptions) -> Result<ConstraintsSpec, AllocateError> {
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

pub(super) fn check_momentum(mo: &MomentumSpec, m: Method) -> Result<(), AllocateError> {
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
