//! An allocation rule written down once and used everywhere: a portfolio file's `[target]`,
//! each strategy of a backtest. Method, its parameters, constraints, and an optional
//! volatility-target overlay:
//!
//! ```toml
//! method = "max-sharpe"      # equal-weight | inverse-vol | erc | risk-budget | min-variance |
//!                            # max-sharpe | efficient-return | efficient-risk | utility | hrp |
//!                            # herc | min-cvar | black-litterman
//! max_weight = 0.35          # shorthand for constraints.max_weight (same for min_weight)
//! mu = "james-stein"         # expected returns: historical | ewma | james-stein
//! vol_target = 0.40          # scale to 40 % annual volatility, the rest in cash
//! max_leverage = 1.0
//!
//! [target.constraints]       # (or [strategy.constraints]) — see `ConstraintsSpec`
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

use super::{
    herc, hrp_with, inverse_volatility, mean_variance, min_cvar, views_from_pairs, vol_target, AllocateError,
    Allocation, BlackLitterman, ConstraintsSpec, HrpConfig, LeafOrder, Linkage, MvObjective, RiskBudgeting,
    ViewUncertainty, VolTarget, VolTargeted, WeightBounds,
};
use crate::data::Returns;
use crate::estimate::{ewma_mean, historical_mean, james_stein_mean, Covariance};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The methods an [`AllocationSpec`] accepts.
pub const METHODS: &str = "equal-weight, inverse-vol, erc, risk-budget, min-variance, max-sharpe, \
efficient-return, efficient-risk, utility, hrp, herc, min-cvar, black-litterman";

/// An allocation rule (see the module docs). Unknown keys are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationSpec {
    /// One of [`METHODS`].
    pub method: String,
    /// Risk budgets per asset (risk-budget), > 0, summing to 1.
    pub budgets: Option<BTreeMap<String, f64>>,
    /// Lower bound on every weight (shorthand for `constraints.min_weight`).
    pub min_weight: Option<f64>,
    /// Upper bound on every weight (shorthand for `constraints.max_weight`).
    pub max_weight: Option<f64>,
    /// Bounds, groups, exposure, turnover, costs, L2 (solver-based methods; bounds for all).
    pub constraints: Option<ConstraintsSpec>,
    /// Annual risk-free rate (max-sharpe, black-litterman).
    #[serde(default)]
    pub risk_free: f64,
    /// Annual target return (efficient-return; min-cvar's optional return floor).
    pub target_return: Option<f64>,
    /// Annual target volatility (efficient-risk).
    pub target_vol: Option<f64>,
    /// Risk aversion δ (utility; black-litterman's prior, default 2.5).
    pub risk_aversion: Option<f64>,
    /// Expected-return estimator: `historical` (default), `ewma`, `james-stein`.
    pub mu: Option<String>,
    /// Decay for `mu = "ewma"` (default 0.97).
    pub mu_lambda: Option<f64>,
    /// `single` (default), `complete`, `average`, `ward` (hrp, herc).
    pub linkage: Option<String>,
    /// `dendrogram` (default), `optimal`, `scipy` (hrp).
    pub leaf_order: Option<String>,
    /// Number of clusters (herc; default: two-difference gap statistic).
    pub clusters: Option<usize>,
    /// CVaR confidence β (min-cvar, default 0.95).
    pub beta: Option<f64>,
    /// Black-Litterman views: `BTC = 0.2` (absolute), `"ETH-SOL" = 0.05` (relative).
    pub views: Option<BTreeMap<String, f64>>,
    /// Idzorek confidences in [0, 1], one per view in the views' (sorted) order.
    pub view_confidences: Option<Vec<f64>>,
    /// Black-Litterman τ (default 0.05).
    pub tau: Option<f64>,
    /// Annual volatility target; the weights are scaled to it and the rest is cash.
    pub vol_target: Option<f64>,
    /// Gross exposure cap with `vol_target` (default 1).
    pub max_leverage: Option<f64>,
    /// Extra coins for the universe (portfolio files) or the universe itself (backtests).
    #[serde(default)]
    pub assets: Vec<String>,
}

/// The result of applying an [`AllocationSpec`].
#[derive(Debug, Clone)]
pub struct Allocated {
    /// The method's weights (before any volatility-target overlay), with risk contributions.
    pub allocation: Allocation,
    /// The overlay, if `vol_target` is set.
    pub vol_targeted: Option<VolTargeted>,
    /// Final weights (fractions of portfolio value); the rest is cash.
    pub weights: Vec<f64>,
    /// Final cash weight.
    pub cash: f64,
}

fn bad<T>(m: String) -> Result<T, AllocateError> {
    Err(AllocateError::BadParameter(m))
}

/// The name matching one of `options`, or an error listing them.
fn pick<T: Copy>(
    what: &str,
    value: Option<&str>,
    default: T,
    options: &[(&str, T)],
) -> Result<T, AllocateError> {
    match value {
        None => Ok(default),
        Some(v) => options
            .iter()
            .find(|(k, _)| *k == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
                AllocateError::BadParameter(format!(
                    "{what} = '{v}' is unknown (expected one of: {})",
                    names.join(", ")
                ))
            }),
    }
}

impl AllocationSpec {
    /// A spec with only a method (everything else default).
    pub fn method(method: &str) -> Self {
        Self {
            method: method.into(),
            budgets: None,
            min_weight: None,
            max_weight: None,
            constraints: None,
            risk_free: 0.0,
            target_return: None,
            target_vol: None,
            risk_aversion: None,
            mu: None,
            mu_lambda: None,
            linkage: None,
            leaf_order: None,
            clusters: None,
            beta: None,
            views: None,
            view_confidences: None,
            tau: None,
            vol_target: None,
            max_leverage: None,
            assets: Vec::new(),
        }
    }

    /// Check everything that does not need data: the method and option names, that the
    /// parameters a method needs are there and the ones it ignores are not.
    pub fn validate(&self) -> Result<(), AllocateError> {
        let m = self.method.as_str();
        if !METHODS.split(", ").any(|x| x.trim() == m) {
            return bad(format!("method = '{m}' is unknown (expected one of: {METHODS})"));
        }
        let needs = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                bad(format!("method = '{m}' needs {what}"))
            }
        };
        let only = |given: bool, key: &str, methods: &[&str]| {
            if given && !methods.contains(&m) {
                bad(format!(
                    "{key} is only used with method = {} (method is '{m}')",
                    methods.join(" | ")
                ))
            } else {
                Ok(())
            }
        };
        needs(
            m != "risk-budget" || self.budgets.is_some(),
            "budgets = { BTC = 0.5, ... }",
        )?;
        needs(
            m != "efficient-return" || self.target_return.is_some(),
            "target_return",
        )?;
        needs(m != "efficient-risk" || self.target_vol.is_some(), "target_vol")?;
        needs(m != "utility" || self.risk_aversion.is_some(), "risk_aversion")?;
        needs(
            m != "black-litterman" || self.views.is_some(),
            "views (a [..views] table)",
        )?;
        only(self.budgets.is_some(), "budgets", &["risk-budget"])?;
        only(
            self.target_return.is_some(),
            "target_return",
            &["efficient-return", "min-cvar"],
        )?;
        only(self.target_vol.is_some(), "target_vol", &["efficient-risk"])?;
        only(
            self.risk_aversion.is_some(),
            "risk_aversion",
            &["utility", "black-litterman"],
        )?;
        only(self.linkage.is_some(), "linkage", &["hrp", "herc"])?;
        only(self.leaf_order.is_some(), "leaf_order", &["hrp"])?;
        only(self.clusters.is_some(), "clusters", &["herc"])?;
        only(self.beta.is_some(), "beta", &["min-cvar"])?;
        only(
            self.views.is_some() || self.tau.is_some() || self.view_confidences.is_some(),
            "views / tau / view_confidences",
            &["black-litterman"],
        )?;
        let mean_based = [
            "max-sharpe",
            "efficient-return",
            "efficient-risk",
            "utility",
            "min-cvar",
        ];
        only(self.mu.is_some() || self.mu_lambda.is_some(), "mu", &mean_based)?;
        self.linkage()?;
        self.leaf_order()?;
        self.mu_estimator()?;
        if let Some(c) = &self.constraints {
            if (c.min_weight.is_some() && self.min_weight.is_some())
                || (c.max_weight.is_some() && self.max_weight.is_some())
            {
                return bad("give min_weight / max_weight once: at the top or in constraints".into());
            }
            let coupling = !c.groups.is_empty()
                || c.max_gross.is_some()
                || c.max_turnover.is_some()
                || c.cost > 0.0
                || c.l2 > 0.0
                || c.net_exposure.is_some();
            let solver =
                ["min-variance", "black-litterman", "min-cvar"].contains(&m) || mean_based.contains(&m);
            if coupling && !solver {
                return bad(format!(
                    "method = '{m}' takes weight bounds only; groups, exposure, turnover, costs and L2 need a solver-based method (min-variance, max-sharpe, efficient-return, efficient-risk, utility, min-cvar, black-litterman)"
                ));
            }
        }
        if let Some(v) = self.vol_target {
            if !(v > 0.0 && v.is_finite()) {
                return bad(format!("vol_target = {v} must be > 0"));
            }
        }
        Ok(())
    }

    fn linkage(&self) -> Result<Linkage, AllocateError> {
        pick(
            "linkage",
            self.linkage.as_deref(),
            Linkage::Single,
            &[
                ("single", Linkage::Single),
                ("complete", Linkage::Complete),
                ("average", Linkage::Average),
                ("ward", Linkage::Ward),
            ],
        )
    }

    fn leaf_order(&self) -> Result<LeafOrder, AllocateError> {
        pick(
            "leaf_order",
            self.leaf_order.as_deref(),
            LeafOrder::Dendrogram,
            &[
                ("dendrogram", LeafOrder::Dendrogram),
                ("optimal", LeafOrder::Optimal),
                ("scipy", LeafOrder::Scipy),
            ],
        )
    }

    /// The constraints over `assets`, with `current` weights for turnover and costs unless the
    /// spec gives its own.
    fn constraints(
        &self,
        assets: &[String],
        current: Option<&[f64]>,
    ) -> Result<super::Constraints, AllocateError> {
        let mut spec = self.constraints.clone().unwrap_or_default();
        spec.min_weight = spec.min_weight.or(self.min_weight);
        spec.max_weight = spec.max_weight.or(self.max_weight);
        if spec.current.is_none() && (spec.max_turnover.is_some() || spec.cost > 0.0) {
            // turnover and costs are measured from the weights held now (all cash if none)
            let w = current
                .map(<[f64]>::to_vec)
                .unwrap_or_else(|| vec![0.0; assets.len()]);
            spec.current = Some(assets.iter().cloned().zip(w).collect());
        }
        spec.resolve(assets)
    }

    /// `mu`: 0 historical (default), 1 ewma, 2 james-stein.
    fn mu_estimator(&self) -> Result<u8, AllocateError> {
        pick(
            "mu",
            self.mu.as_deref(),
            0,
            &[("historical", 0), ("ewma", 1), ("james-stein", 2)],
        )
    }

    /// Annualised expected returns by the chosen estimator.
    pub fn expected_returns(&self, returns: &Returns) -> Result<Vec<f64>, AllocateError> {
        Ok(match self.mu_estimator()? {
            0 => historical_mean(returns)?,
            1 => ewma_mean(returns, self.mu_lambda.unwrap_or(0.97))?,
            _ => james_stein_mean(returns)?,
        })
    }

    /// Apply the rule. `returns` (T×N, daily) and `cov` (N×N, annualised) cover the same
    /// assets in the same order; `current` weights (length N) feed turnover limits and costs.
    ///
    /// Errors: those of [`Self::validate`], of the method, and budgets or views naming assets
    /// outside the universe.
    pub fn allocate(
        &self,
        returns: &Returns,
        cov: &Covariance,
        current: Option<&[f64]>,
    ) -> Result<Allocated, AllocateError> {
        self.validate()?;
        let n = cov.dim();
        if returns.assets() != cov.assets.as_slice() {
            return bad("returns and covariance cover different assets".into());
        }
        let cons = self.constraints(&cov.assets, current)?;
        let bounds =
            (cons.lower.iter().any(|l| *l != 0.0) || cons.upper.iter().any(|u| *u < 1.0)).then(|| {
                WeightBounds {
                    lower: cons.lower.clone(),
                    upper: cons.upper.clone(),
                }
            });
        let mv = |obj: MvObjective| -> Result<Allocation, AllocateError> {
            let mu = self.expected_returns(returns)?;
            let p = mean_variance(&mu, cov, &cons, obj, self.risk_free)?;
            Allocation::new(mv_name(obj), cov, p.weights, None)
        };
        let allocation = match self.method.as_str() {
            "equal-weight" => {
                if bounds.is_some() {
                    return bad("method = 'equal-weight' takes no bounds".into());
                }
                Allocation::new("equal-weight", cov, vec![1.0 / n as f64; n], None)?
            }
            "inverse-vol" => inverse_volatility(cov, bounds.as_ref())?,
            "erc" => RiskBudgeting {
                bounds,
                ..RiskBudgeting::erc()
            }
            .weights(cov)?,
            "risk-budget" => {
                let map = self.budgets.as_ref().expect("validated");
                if let Some(a) = map.keys().find(|a| !cov.assets.contains(a)) {
                    return bad(format!(
                        "budgets: '{a}' is not in the universe ({})",
                        cov.assets.join(",")
                    ));
                }
                let b = cov
                    .assets
                    .iter()
                    .map(|a| {
                        map.get(a)
                            .copied()
                            .ok_or_else(|| AllocateError::BadBudgets(format!("no budget for {a}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                RiskBudgeting {
                    bounds,
                    ..RiskBudgeting::with_budgets(b)
                }
                .weights(cov)?
            }
            "min-variance" => mv(MvObjective::MinVariance)?,
            "max-sharpe" => mv(MvObjective::MaxSharpe)?,
            "efficient-return" => mv(MvObjective::EfficientReturn(
                self.target_return.expect("validated"),
            ))?,
            "efficient-risk" => mv(MvObjective::EfficientRisk(self.target_vol.expect("validated")))?,
            "utility" => mv(MvObjective::Utility(self.risk_aversion.expect("validated")))?,
            "hrp" => hrp_with(
                cov,
                &HrpConfig {
                    linkage: self.linkage()?,
                    leaf_order: self.leaf_order()?,
                    bounds,
                },
            )?,
            "herc" => {
                if bounds.is_some() {
                    return bad("method = 'herc' takes no weight bounds (use hrp)".into());
                }
                herc(cov, self.linkage()?, self.clusters)?
            }
            "min-cvar" => {
                let mu = self.expected_returns(returns)?;
                let target = self.target_return.map(|r| (mu.as_slice(), r));
                let p = min_cvar(returns, &cons, self.beta.unwrap_or(0.95), target)?;
                Allocation::new("min-cvar", cov, p.weights, None)?
            }
            "black-litterman" => {
                let pairs: Vec<(String, f64)> = self
                    .views
                    .as_ref()
                    .expect("validated")
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                let (p, q) = views_from_pairs(&pairs, &cov.assets)?;
                let bl = BlackLitterman {
                    delta: self.risk_aversion.unwrap_or(2.5),
                    tau: self.tau.unwrap_or(0.05),
                    risk_free: self.risk_free,
                    market_weights: None,
                    prior_returns: None,
                    p,
                    q,
                    omega: match &self.view_confidences {
                        Some(c) => ViewUncertainty::Idzorek(c.clone()),
                        None => ViewUncertainty::Default,
                    },
                };
                let post = bl.posterior(cov)?;
                let w = mean_variance(
                    &post.returns,
                    &post.cov,
                    &cons,
                    MvObjective::MaxSharpe,
                    self.risk_free,
                )?
                .weights;
                Allocation::new("black-litterman", cov, w, None)?
            }
            _ => unreachable!("validated"),
        };
        let (weights, cash, vt) = match self.vol_target {
            Some(v) => {
                let spec = VolTarget {
                    target: v,
                    max_leverage: self.max_leverage.unwrap_or(1.0),
                };
                let vt = vol_target(&cov.matrix, &allocation.weights, spec)?;
                (vt.weights.clone(), vt.cash, Some(vt))
            }
            None => {
                let invested: f64 = allocation.weights.iter().sum();
                (allocation.weights.clone(), 1.0 - invested, None)
            }
        };
        Ok(Allocated {
            allocation,
            vol_targeted: vt,
            weights,
            cash,
        })
    }
}

fn mv_name(obj: MvObjective) -> &'static str {
    match obj {
        MvObjective::MinVariance => "min-variance",
        MvObjective::MaxSharpe => "max-sharpe",
        MvObjective::EfficientReturn(_) => "efficient-return",
        MvObjective::EfficientRisk(_) => "efficient-risk",
        MvObjective::Utility(_) => "utility",
    }
}
