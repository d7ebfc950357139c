//! The allocation pipeline every front end runs: momentum selection → covariance estimate →
//! the method → momentum tilt → volatility-target overlay → risk and expected return of the
//! result, over the caller's universe.

use super::{
    herc, hrp_with, inverse_volatility, mean_variance, min_cvar, views_from_pairs, vol_target, AllocateError,
    Allocation, AllocationMethod, AllocationSpec, BetaNeutralReport, BlackLitterman, Constraints,
    FactorRiskBudgeting, HrpConfig, Method, MethodDetails, MomentumReport, MvObjective, RiskBudgeting,
    ViewUncertainty, VolTargetReport, WeightBounds,
};
use crate::data::Returns;
use crate::estimate::{signal_tilt, vol_adjusted_momentum, Covariance, CovarianceSpec, FactorModel};

/// The assets a request allocates over (after any momentum selection), with their returns and
/// fitted covariance.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Returns of the selected assets (T×K).
    pub returns: Returns,
    /// Their annualised covariance (K×K).
    pub covariance: Covariance,
    /// Volatility-adjusted momentum of every asset of the universe, when the request uses it.
    pub scores: Option<Vec<f64>>,
}

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
fn all_cash(w: &[f64], method: Method, cons: &Constraints) -> Result<(), AllocateError> {
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

fn bad<T>(m: String) -> Result<T, AllocateError> {
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

    /// Momentum selection (the `top` coins by volatility-adjusted momentum, if asked) and the
    /// covariance of what is kept: the block of the whole universe's estimate, so that the
    /// kept coins' risk is measured as it is for every other coin of the universe (a
    /// shrinkage estimator refitted on the kept coins alone would shrink differently).
    ///
    /// # Errors
    /// A momentum look-back longer than the window; the estimator's errors.
    pub fn select(&self, returns: &Returns, estimator: &CovarianceSpec) -> Result<Selection, AllocateError> {
        let scores = match self.momentum {
            Some(mo) => {
                if mo.lookback > returns.n_periods() {
                    return bad(format!(
                        "momentum lookback = {} days is longer than the window of {} returns",
                        mo.lookback,
                        returns.n_periods()
                    ));
                }
                Some(vol_adjusted_momentum(returns, mo.lookback)?)
            }
            None => None,
        };
        let universe = estimator.fit(returns)?;
        let (returns, covariance) = match (self.momentum.and_then(|m| m.top), &scores) {
            (Some(k), Some(s)) if k < returns.n_assets() => {
                let mut order: Vec<usize> = (0..s.len()).collect();
                order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
                order.truncate(k);
                order.sort_unstable();
                let names: Vec<String> = order.iter().map(|&i| returns.assets()[i].clone()).collect();
                let kept = returns
                    .select(&names)
                    .map_err(|e| AllocateError::BadParameter(e.to_string()))?;
                let block = universe.select(&names).ok_or_else(|| {
                    AllocateError::BadParameter("momentum: the kept coins are not in the covariance".into())
                })?;
                (kept, block)
            }
            _ => (returns.clone(), universe),
        };
        Ok(Selection {
            returns,
            covariance,
            scores,
        })
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
        if sel.returns.assets() != cov.assets.as_slice() {
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
        let beta_model = match self.constraints.beta_limits(&sel.returns, cov)? {
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
        let mu = match self.method {
            AllocationMethod::BlackLitterman { .. } => None,
            _ => Some(self.mu.estimate(&sel.returns)?),
        };
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

    /// The method on the selection; returns its allocation (over the selection) and the
    /// expected returns its expected return is measured with.
    fn run_method(
        &self,
        sel: &Selection,
        cons: &Constraints,
        bounds: Option<&WeightBounds>,
        mu: Option<Vec<f64>>,
    ) -> Result<(Allocation, Vec<f64>), AllocateError> {
        let cov = &sel.covariance;
        let n = cov.dim();
        let rf = self.risk_free;
        let mu = mu.unwrap_or_default();
        let mv = |obj: MvObjective, method: Method| -> Result<Allocation, AllocateError> {
            let p = mean_variance(&mu, cov, cons, obj, rf)?;
            all_cash(&p.weights, method, cons)?;
            let mut a = Allocation::new(method, cov, p.weights, Some(p.solver))?;
            a.status = p.status;
            Ok(a)
        };
        use AllocationMethod as A;
        let a = match &self.method {
            A::EqualWeight => Allocation::new(Method::EqualWeight, cov, vec![1.0 / n as f64; n], None)?,
            A::InverseVol => inverse_volatility(cov, bounds)?,
            A::Erc => RiskBudgeting {
                bounds: bounds.cloned(),
                ..RiskBudgeting::erc()
            }
            .weights(cov)?,
            A::RiskBudget { budgets } => {
                let b = cov
                    .assets
                    .iter()
                    .map(|a| {
                        budgets.iter().find(|(x, _)| x == a).map(|p| p.1).ok_or_else(|| {
                            AllocateError::BadBudgets(format!(
                                "no budget for {a}; give one per coin of the universe"
                            ))
                        })
                    })
                    .collect::<Result<Vec<f64>, _>>()?;
                let total: f64 = b.iter().sum();
                let b: Vec<f64> = b.iter().map(|x| x / total).collect();
                let mut a = RiskBudgeting {
                    bounds: bounds.cloned(),
                    ..RiskBudgeting::with_budgets(b.clone())
                }
                .weights(cov)?;
                a.details = MethodDetails::RiskBudget { budgets: b };
                a
            }
            A::MinVariance => mv(MvObjective::MinVariance, Method::MinVariance)?,
            A::MaxSharpe => mv(MvObjective::MaxSharpe, Method::MaxSharpe)?,
            A::EfficientReturn { target_return } => mv(
                MvObjective::EfficientReturn(*target_return),
                Method::EfficientReturn,
            )?,
            A::EfficientRisk { target_vol } => {
                mv(MvObjective::EfficientRisk(*target_vol), Method::EfficientRisk)?
            }
            A::Utility { risk_aversion } => mv(MvObjective::Utility(*risk_aversion), Method::Utility)?,
            A::Hrp { linkage, leaf_order } => hrp_with(
                cov,
                &HrpConfig {
                    linkage: *linkage,
                    leaf_order: *leaf_order,
                    bounds: bounds.cloned(),
                },
            )?,
            A::Herc { linkage, clusters } => herc(cov, *linkage, *clusters)?,
            A::MinCvar { beta, target_return } => {
                let target = target_return.map(|r| (mu.as_slice(), r));
                let p = min_cvar(&sel.returns, cons, *beta, target)?;
                all_cash(&p.weights, Method::MinCvar, cons)?;
                let mut a = Allocation::new(Method::MinCvar, cov, p.weights, Some(p.solver))?;
                a.status = p.status;
                a.details = MethodDetails::MinCvar {
                    cvar: p.cvar,
                    var: p.var,
                    beta: p.beta,
                };
                a
            }
            A::BlackLitterman {
                views,
                confidences,
                tau,
                risk_aversion,
            } => return self.black_litterman(cov, cons, views, confidences.as_deref(), *tau, *risk_aversion),
            A::FactorRiskParity {
                factors,
                budgets,
                residual,
                long_only,
            } => {
                let model = FactorModel::new(factors.clone()).fit_on(&sel.returns, cov)?;
                let budgets = budgets.as_ref().map(|b| {
                    model
                        .factors
                        .iter()
                        .map(|f| b.iter().find(|(n, _)| n == f).map_or(0.0, |p| p.1))
                        .collect()
                });
                FactorRiskBudgeting {
                    budgets,
                    residual: *residual,
                    long_only: *long_only,
                    bounds: bounds.cloned(),
                    ..FactorRiskBudgeting::default()
                }
                .weights(&model, cov)?
            }
        };
        Ok((a, mu))
    }

    fn black_litterman(
        &self,
        cov: &Covariance,
        cons: &Constraints,
        views: &[(String, f64)],
        confidences: Option<&[f64]>,
        tau: f64,
        delta: f64,
    ) -> Result<(Allocation, Vec<f64>), AllocateError> {
        // views on coins outside the universe (not listed yet in a backtest) are left out
        let present = |lhs: &str| lhs.split('-').all(|a| cov.assets.iter().any(|x| x == a.trim()));
        let keep: Vec<usize> = (0..views.len()).filter(|&k| present(&views[k].0)).collect();
        if keep.is_empty() {
            return bad(format!(
                "none of the views' coins ({}) is in the universe",
                views.iter().map(|v| v.0.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let pairs: Vec<(String, f64)> = keep.iter().map(|&k| views[k].clone()).collect();
        let (p, q) = views_from_pairs(&pairs, &cov.assets)?;
        let bl = BlackLitterman {
            delta,
            tau,
            risk_free: self.risk_free,
            market_weights: None,
            prior_returns: None,
            p,
            q,
            omega: match confidences {
                Some(c) => ViewUncertainty::Idzorek(keep.iter().map(|&k| c[k]).collect()),
                None => ViewUncertainty::Default,
            },
        };
        let post = bl.posterior(cov)?;
        let ms = mean_variance(
            &post.returns,
            &post.cov,
            cons,
            MvObjective::MaxSharpe,
            self.risk_free,
        )?;
        let mut a = Allocation::new(Method::BlackLitterman, cov, ms.weights, Some(ms.solver))?;
        a.status = ms.status;
        a.details = MethodDetails::BlackLitterman {
            prior: post.prior,
            posterior: post.returns.clone(),
            unconstrained: post.weights,
            omega: post.omega,
            tau,
            risk_aversion: delta,
        };
        Ok((a, post.returns))
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
        } => MethodDetails::BlackLitterman {
            prior: spread(&prior, f64::NAN),
            posterior: spread(&posterior, f64::NAN),
            unconstrained: spread(&unconstrained, f64::NAN),
            omega,
            tau,
            risk_aversion,
        },
        other => other,
    };
    a.assets = universe.to_vec();
    a
}
