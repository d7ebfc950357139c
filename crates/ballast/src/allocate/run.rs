//! Each method run on a selection: the match over [`AllocationMethod`] and the methods that
//! need more than one call (risk budgets under constraints, Black–Litterman's prior and δ).

use super::pipeline::{all_cash, bad};
use super::{
    constrained_risk_budget, efficient_cvar, herc, hrp_with, inverse_volatility, mean_variance, min_cvar,
    views_from_pairs, AllocateError, Allocation, AllocationMethod, AllocationSpec, BlPrior, BlackLitterman,
    Constraints, FactorRiskBudgeting, HrpConfig, Method, MethodDetails, MvObjective, NamedMatrix,
    RiskAversion, RiskBudgeting, ScaSettings, Selection, SolveStatus, SolverReport, ViewUncertainty,
    WeightBounds,
};
use crate::estimate::{cap_weights, market_implied_risk_aversion, market_returns, Covariance, FactorModel};

/// Black–Litterman views with their confidences and τ.
struct BlView<'a> {
    views: &'a [(String, f64)],
    confidences: Option<&'a [f64]>,
    tau: f64,
}

impl AllocationSpec {
    /// The method on the selection; returns its allocation (over the selection) and the
    /// expected returns its expected return is measured with.
    pub(super) fn run_method(
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
            A::Erc => self.risk_budget(cov, vec![1.0 / n as f64; n], cons, bounds, &mu, false)?,
            A::RiskBudget { budgets } => {
                let b = budgets_in_order(&cov.assets, budgets)?;
                self.risk_budget(cov, b, cons, bounds, &mu, true)?
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
            A::Utility { risk_aversion } => {
                let delta = self.delta(*risk_aversion, sel)?;
                mv(MvObjective::Utility(delta), Method::Utility)?
            }
            A::Hrp {
                linkage, leaf_order, ..
            } => hrp_with(
                cov,
                &HrpConfig {
                    linkage: *linkage,
                    leaf_order: *leaf_order,
                    bounds: bounds.cloned(),
                    correlation: self.cluster_correlation(sel)?.cloned(),
                },
            )?,
            A::Herc { linkage, clusters } => herc(cov, *linkage, *clusters)?,
            A::MinCvar { beta, target_return } => {
                cvar_allocation(sel, cons, &mu, *beta, CvarGoal::Least(*target_return))?
            }
            A::EfficientCvar { beta, target_cvar } => {
                cvar_allocation(sel, cons, &mu, *beta, CvarGoal::MostReturn(*target_cvar))?
            }
            A::BlackLitterman {
                views,
                confidences,
                tau,
                risk_aversion,
                prior,
            } => {
                let view = BlView {
                    views,
                    confidences: confidences.as_deref(),
                    tau: *tau,
                };
                let delta = self.delta(*risk_aversion, sel)?;
                return self.black_litterman(sel, cons, &view, delta, *prior, &mu);
            }
            A::FactorRiskParity {
                factors,
                budgets,
                residual,
                long_only,
            } => {
                let model = FactorModel::new(factors.clone())
                    .fit_on(sel.common_returns("factor-risk-parity")?, cov)?;
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

    /// Risk budgets `b` (over the selection): with bounds only, the convex risk-budgeting
    /// solve; with coupling constraints (groups, exposures, turnover, net exposure other than 1)
    /// or a return floor, successive convex approximation from the unconstrained solution.
    fn risk_budget(
        &self,
        cov: &Covariance,
        b: Vec<f64>,
        cons: &Constraints,
        bounds: Option<&WeightBounds>,
        mu: &[f64],
        report_budgets: bool,
    ) -> Result<Allocation, AllocateError> {
        let coupled = !cons.groups.is_empty()
            || (cons.net_exposure - 1.0).abs() > 1e-12
            || cons.max_gross.is_some()
            || cons.max_turnover.is_some()
            || !cons.exposures.is_empty()
            || self.return_floor.is_some();
        let base = if report_budgets {
            RiskBudgeting::with_budgets(b.clone())
        } else {
            RiskBudgeting::erc()
        };
        let plain = RiskBudgeting {
            bounds: if coupled { None } else { bounds.cloned() },
            ..base
        }
        .weights(cov)?;
        if !coupled {
            let mut a = plain;
            if report_budgets {
                a.details = MethodDetails::RiskBudget { budgets: b };
            }
            return Ok(a);
        }
        let floor = self.return_floor.map(|r| (mu, r));
        let (w, report) =
            constrained_risk_budget(cov, &b, cons, floor, &plain.weights, &ScaSettings::default())?;
        let method = if report_budgets {
            Method::RiskBudget
        } else {
            Method::Erc
        };
        let solver = SolverReport {
            iterations: report.iterations,
            error: report.last_step,
            converged: report.converged,
        };
        let mut a = Allocation::new(method, cov, w, Some(solver))?;
        a.status = if report.converged {
            SolveStatus::Solved
        } else {
            SolveStatus::AlmostSolved
        };
        a.details = MethodDetails::ConstrainedRiskBudget {
            budgets: b,
            report,
            return_floor: self.return_floor,
        };
        Ok(a)
    }

    /// δ as given, or implied by the market over the selection's window (the whole universe's,
    /// before momentum kept some coins).
    fn delta(&self, r: RiskAversion, sel: &Selection) -> Result<f64, AllocateError> {
        match r {
            RiskAversion::Given(d) => Ok(d),
            RiskAversion::MarketImplied => {
                let returns = match &sel.universe {
                    Some(u) => u,
                    None => sel.common_returns("risk_aversion = market-implied")?,
                };
                let m = market_returns(returns, &self.market, self.market_caps.as_ref())?;
                Ok(market_implied_risk_aversion(
                    &m,
                    returns.periods_per_year(),
                    self.risk_free,
                )?)
            }
        }
    }

    fn black_litterman(
        &self,
        sel: &Selection,
        cons: &Constraints,
        view: &BlView<'_>,
        delta: f64,
        prior: BlPrior,
        mu: &[f64],
    ) -> Result<(Allocation, Vec<f64>), AllocateError> {
        let cov = &sel.covariance;
        let (views, confidences, tau) = (view.views, view.confidences, view.tau);
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
            market_weights: match prior {
                BlPrior::MarketCaps => Some(cap_weights(
                    &cov.assets,
                    self.market_caps.as_ref().ok_or_else(|| {
                        AllocateError::BadParameter("prior = market-caps needs market_caps".into())
                    })?,
                )?),
                _ => None,
            },
            prior_returns: match prior {
                BlPrior::Zero => Some(vec![0.0; cov.dim()]),
                BlPrior::Mu => Some(mu.to_vec()),
                _ => None,
            },
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
            prior_kind: prior,
            posterior_covariance: NamedMatrix {
                assets: post.cov.assets.clone(),
                matrix: post.cov.matrix.to_rows(),
            },
        };
        Ok((a, post.returns))
    }
}

/// `budgets` (coin, budget) in the order of `assets`, normalised to sum to 1.
///
/// # Errors
/// A coin of `assets` without a budget.
fn budgets_in_order(assets: &[String], budgets: &[(String, f64)]) -> Result<Vec<f64>, AllocateError> {
    let b = assets
        .iter()
        .map(|a| {
            budgets.iter().find(|(x, _)| x == a).map(|p| p.1).ok_or_else(|| {
                AllocateError::BadBudgets(format!("no budget for {a}; give one per coin of the universe"))
            })
        })
        .collect::<Result<Vec<f64>, _>>()?;
    let total: f64 = b.iter().sum();
    Ok(b.iter().map(|x| x / total).collect())
}

/// What a CVaR allocation optimises.
#[derive(Debug, Clone, Copy)]
enum CvarGoal {
    /// The least CVaR, with an optional expected-return floor (min-cvar).
    Least(Option<f64>),
    /// The most expected return under a CVaR target (efficient-cvar).
    MostReturn(f64),
}

/// min-cvar or efficient-cvar on the selection's scenarios, with their details.
fn cvar_allocation(
    sel: &Selection,
    cons: &Constraints,
    mu: &[f64],
    beta: f64,
    goal: CvarGoal,
) -> Result<Allocation, AllocateError> {
    let (method, p) = match goal {
        CvarGoal::Least(target) => (
            Method::MinCvar,
            min_cvar(
                sel.common_returns("min-cvar")?,
                cons,
                beta,
                target.map(|r| (mu, r)),
            )?,
        ),
        CvarGoal::MostReturn(target) => (
            Method::EfficientCvar,
            efficient_cvar(sel.common_returns("efficient-cvar")?, cons, beta, mu, target)?,
        ),
    };
    all_cash(&p.weights, method, cons)?;
    let mut a = Allocation::new(method, &sel.covariance, p.weights, Some(p.solver))?;
    a.status = p.status;
    a.details = match goal {
        CvarGoal::Least(_) => MethodDetails::MinCvar {
            cvar: p.cvar,
            var: p.var,
            beta: p.beta,
        },
        CvarGoal::MostReturn(target_cvar) => MethodDetails::EfficientCvar {
            cvar: p.cvar,
            var: p.var,
            beta: p.beta,
            target_cvar,
        },
    };
    Ok(a)
}
