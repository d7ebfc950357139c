//! The allocation pipeline every front end runs: momentum selection → covariance estimate →
//! the method → momentum tilt → volatility-target overlay → risk and expected return of the
//! result, over the caller's universe.

use super::{
    views_from_pairs, vol_target, AllocateError, Allocation, AllocationMethod, AllocationSpec,
    BetaNeutralReport, BlPrior, Constraints, Method, MethodDetails, MomentumReport, Selection,
    VolTargetReport, WeightBounds,
};
use crate::data::Returns;
use crate::estimate::{signal_tilt, CovarianceSpec, ExpectedReturns};

/// Say why a neutral book fails: long-only weights cannot be beta-neutral when every beta is
/// positive, and the least-risk dollar-neutral book is no position at all.
fn explain_neutral(e: AllocateError, cons: &Constraints) -> AllocateError {
    let long_only = cons.lower.iter().all(|l| *l >= 0.0);
    match e {
        AllocateError::Infeasible(m) if !cons.exposures.is_empty() && long_only => AllocateError::Infeasible(format!(
            "{m}; long-only weights cannot be beta-neutral when every coin's β is positive: allow shorts (negative lower bounds and a gross cap, e.g. bounds of [-1, 1] and max_gross = 2 in the constraints file) or keep the book long and hedge it with perps (ballast hedge PORTFOLIO --beta)"
        )),
        other => other,
    }
}

/// A least-risk book with no position (net exposure 0 and nothing to earn): say so, rather
/// than report risk contributions of a zero portfolio.
pub(super) fn all_cash(w: &[f64], method: Method, cons: &Constraints) -> Result<(), AllocateError> {
    if w.iter().any(|x| x.abs() > 1e-9) {
        return Ok(());
    }
    bad(format!(
        "method = '{method}' holds no position: with net_exposure = {} the least-risk book is all cash; ask for return instead (method = 'efficient-return' with a target_return, 'utility', 'max-sharpe', or 'min-cvar' with a target_return) or a nonzero net_exposure",
        cons.net_exposure
    ))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(super) fn bad<T>(m: String) -> Result<T, AllocateError> {
    Err(AllocateError::BadParameter(m))
}

impl AllocationSpec {
    /// Check every asset the request names (budgets, views, bounds, groups, current weights)
    /// against `assets`, the universe a front end declared: a typo is an error here rather than
    /// a constraint that silently does nothing. (The pipeline itself allocates over whatever
    /// assets it is given, as a backtest's universe grows.)
    ///
    /// # Errors
    /// [`AllocateError::BadParameter`] naming the unknown asset (or the coin without a budget).
    pub fn check_universe(&self, assets: &[String]) -> Result<(), AllocateError> {
        match &self.method {
            AllocationMethod::RiskBudget { budgets } => {
                if let Some((a, _)) = budgets.iter().find(|(a, _)| !assets.contains(a)) {
                    return bad(format!(
                        "budgets: '{a}' is not in the universe ({}); give budgets for exactly those coins",
                        assets.join(",")
                    ));
                }
                if let Some(a) = assets.iter().find(|a| !budgets.iter().any(|(b, _)| b == *a)) {
                    return bad(format!(
                        "budgets: no budget for {a}; give one per coin of the universe"
                    ));
                }
            }
            AllocationMethod::BlackLitterman { views, .. } => {
                views_from_pairs(views, assets)?;
            }
            _ => {}
        }
        // the names only: the current weights are the front end's to give
        let zeros = vec![0.0; assets.len()];
        self.constraints_over(assets, Some(&zeros), true).map(|_| ())
    }

    /// Run the request on `returns` (T×N daily returns of the universe): select, estimate with
    /// `estimator`, allocate, tilt, overlay. `current` weights (length N) feed turnover limits
    /// and costs.
    ///
    /// # Errors
    /// Those of [`Self::select`], of the method (infeasible constraints, bad bounds, a solver
    /// that fails), and of the overlay.
    pub fn allocate(
        &self,
        returns: &Returns,
        estimator: &CovarianceSpec,
        current: Option<&[f64]>,
    ) -> Result<Allocation, AllocateError> {
        let sel = self.select(returns, estimator)?;
        self.allocate_selection(returns.assets(), &sel, current)
    }

    /// The rest of [`Self::allocate`] once the selection is made: weights over `universe`
    /// (0 for assets not selected).
    ///
    /// # Errors
    /// As [`Self::allocate`]; a selection with assets outside `universe`.
    pub fn allocate_selection(
        &self,
        universe: &[String],
        sel: &Selection,
        current: Option<&[f64]>,
    ) -> Result<Allocation, AllocateError> {
        let cov = &sel.covariance;
        let pos = cov
            .assets
            .iter()
            .map(|a| universe.iter().position(|u| u == a))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                AllocateError::BadParameter("the selection has assets outside the universe".into())
            })?;
        if sel
            .returns
            .as_ref()
            .is_some_and(|r| r.assets() != cov.assets.as_slice())
        {
            return bad("the selection's returns and covariance cover different assets".into());
        }
        if current.is_some_and(|c| c.len() != universe.len()) {
            return bad(format!(
                "{} current weights for {} assets",
                current.map_or(0, <[f64]>::len),
                universe.len()
            ));
        }
        let current_sel: Option<Vec<f64>> = current.map(|c| pos.iter().map(|&i| c[i]).collect());
        let mut cons = self.constraints_over(&cov.assets, current_sel.as_deref(), false)?;
        let beta_model = match self
            .constraints
            .beta_neutral
            .as_ref()
            .map(|_| sel.common_returns("beta_neutral"))
            .transpose()?
            .map(|r| self.constraints.beta_limits(r, cov))
            .transpose()?
            .flatten()
        {
            Some((model, limits)) => {
                cons.exposures = limits;
                Some(model)
            }
            None => None,
        };
        let bounds =
            (cons.lower.iter().any(|l| *l != 0.0) || cons.upper.iter().any(|u| *u < 1.0)).then(|| {
                WeightBounds {
                    lower: cons.lower.clone(),
                    upper: cons.upper.clone(),
                }
            });
        let mu = self.expected_returns(sel)?;
        let (mut a, mu_used) = self
            .run_method(sel, &cons, bounds.as_ref(), mu)
            .map_err(|e| explain_neutral(e, &cons))?;
        if let Some(mo) = self.momentum.filter(|m| m.tilt > 0.0) {
            let scores = sel.scores.as_deref().unwrap_or_default();
            let s: Vec<f64> = pos.iter().map(|&i| scores[i]).collect();
            let mut w = signal_tilt(&a.weights, &s, mo.tilt)?;
            if let Some(b) = &bounds {
                w = b.fill_proportional(&w);
            }
            let (status, solver, details) = (a.status, a.solver, std::mem::take(&mut a.details));
            a = Allocation::new(a.method, cov, w, solver)?;
            a.status = status;
            a.details = details;
        }
        if let Some(v) = self.vol_target {
            let t = vol_target(&cov.matrix, &a.weights, v)?;
            a.vol_target = Some(VolTargetReport {
                target: v.target,
                max_leverage: v.max_leverage,
                scale: t.scale,
                volatility_before: t.volatility_before,
                leverage_capped: t.leverage_capped,
                unscaled_weights: std::mem::replace(&mut a.weights, t.weights),
            });
            a.cash = t.cash;
            a.volatility_annual = t.volatility_after;
        }
        let ret: f64 =
            mu_used.iter().zip(&a.weights).map(|(m, w)| m * w).sum::<f64>() + a.cash * self.risk_free;
        a.expected_return_annual = Some(ret);
        a.expected_returns = mu_used;
        // an all-cash book (e.g. min-CVaR under dollar neutrality) has no Sharpe ratio
        let invested = a.weights.iter().any(|w| w.abs() > 1e-9);
        a.sharpe = Some(if invested && a.volatility_annual > 0.0 {
            (ret - self.risk_free) / a.volatility_annual
        } else {
            f64::NAN
        });
        a.risk_free = self.risk_free;
        a.beta_neutral = beta_model.map(|model| BetaNeutralReport {
            exposures: model
                .factors
                .iter()
                .zip(&cons.exposures)
                .map(|(f, e)| (f.clone(), dot(&e.loadings, &a.weights)))
                .collect(),
            model: model.model,
            tolerance: self.constraints.beta_tolerance.unwrap_or(0.0),
        });
        a.momentum = self.momentum.map(|mo| MomentumReport {
            lookback: mo.lookback,
            top: mo.top,
            tilt: mo.tilt,
            scores: sel.scores.clone().unwrap_or_default(),
        });
        a.pairwise = sel.pairwise.as_ref().map(|p| p.report.clone());
        Ok(expand(a, universe, &pos))
    }

    /// The constraints over `assets`, with `current` weights for turnover and costs unless the
    /// request gives its own (when neither does, turnover limits and costs are an error that
    /// says to give them).
    fn constraints_over(
        &self,
        assets: &[String],
        current: Option<&[f64]>,
        strict: bool,
    ) -> Result<Constraints, AllocateError> {
        let mut spec = self.constraints.clone();
        if let (None, Some(w)) = (&spec.current, current) {
            if spec.max_turnover.is_some() || spec.cost > 0.0 {
                spec.current = Some(assets.iter().cloned().zip(w.iter().copied()).collect());
            }
        }
        if strict {
            spec.resolve(assets)
        } else {
            spec.resolve_present(assets)
        }
    }
}

/// An allocation over a selection, spread over the whole universe (0 weight and risk for the
/// assets not selected; NaN — "not applicable" — for per-asset method details).
fn expand(mut a: Allocation, universe: &[String], pos: &[usize]) -> Allocation {
    if pos.len() == universe.len() && pos.iter().enumerate().all(|(k, &i)| k == i) {
        return a;
    }
    let spread = |v: &[f64], fill: f64| {
        let mut out = vec![fill; universe.len()];
        for (k, &i) in pos.iter().enumerate() {
            out[i] = v[k];
        }
        out
    };
    a.weights = spread(&a.weights, 0.0);
    a.risk_contributions = spread(&a.risk_contributions, 0.0);
    a.asset_volatilities = spread(&a.asset_volatilities, f64::NAN);
    if !a.expected_returns.is_empty() {
        a.expected_returns = spread(&a.expected_returns, f64::NAN);
    }
    if let Some(v) = &mut a.vol_target {
        v.unscaled_weights = spread(&v.unscaled_weights, 0.0);
    }
    a.details = match a.details {
        MethodDetails::RiskBudget { budgets } => MethodDetails::RiskBudget {
            budgets: spread(&budgets, 0.0),
        },
        MethodDetails::BlackLitterman {
            prior,
            posterior,
            unconstrained,
            omega,
            tau,
            risk_aversion,
            prior_kind,
            posterior_covariance,
        } => MethodDetails::BlackLitterman {
            prior: spread(&prior, f64::NAN),
            posterior: spread(&posterior, f64::NAN),
            unconstrained: spread(&unconstrained, f64::NAN),
            omega,
            tau,
            risk_aversion,
            prior_kind,
            posterior_covariance,
        },
        MethodDetails::ConstrainedRiskBudget {
            budgets,
            mut report,
            return_floor,
        } => {
            report.deviations = spread(&report.deviations, f64::NAN);
            MethodDetails::ConstrainedRiskBudget {
                budgets: spread(&budgets, 0.0),
                report,
                return_floor,
            }
        }
        other => other,
    };
    a.assets = universe.to_vec();
    a
}

impl AllocationSpec {
    /// The expected returns the method uses (`None`: a Black–Litterman prior that does not
    /// take them): the selection's own (pairwise), or the estimator's on the selection's
    /// returns; CAPM's market is the universe's, before momentum kept some coins.
    fn expected_returns(&self, sel: &Selection) -> Result<Option<Vec<f64>>, AllocateError> {
        Ok(match &self.method {
            AllocationMethod::BlackLitterman { prior, .. } if *prior != BlPrior::Mu => None,
            _ => Some(match (&sel.mu, &sel.returns) {
                (Some(m), _) => m.clone(),
                // CAPM's market is the universe's, before momentum kept some coins
                (None, Some(r)) => match (&self.mu, &sel.universe) {
                    (ExpectedReturns::Capm { .. }, Some(u)) => {
                        let all = self.mu.estimate(u)?;
                        r.assets()
                            .iter()
                            .map(|a| u.assets().iter().position(|b| b == a).map(|i| all[i]))
                            .collect::<Option<Vec<f64>>>()
                            .ok_or_else(|| {
                                AllocateError::BadParameter(
                                    "momentum: a kept coin is not in the universe".into(),
                                )
                            })?
                    }
                    _ => self.mu.estimate(r)?,
                },
                (None, None) => return bad("the selection has neither returns nor expected returns".into()),
            }),
        })
    }
}
