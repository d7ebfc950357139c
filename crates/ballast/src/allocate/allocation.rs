//! [`Allocation`]: what every allocation method returns, and what the front ends print.

use super::{AllocateError, Method};
use crate::data::AssetMap;
use crate::estimate::{Covariance, CovarianceInfo};
use crate::risk::risk_contributions;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// How the weights were found (after Clarabel's `SolverStatus`; failures are errors, not
/// statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SolveStatus {
    /// A formula (equal weight, inverse volatility, HRP, HERC).
    ClosedForm,
    /// An iterative or conic solver converged to its tolerance.
    Solved,
    /// Clarabel stopped at its reduced tolerances (`AlmostSolved`).
    AlmostSolved,
}

/// Diagnostics of an iterative solve.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SolverReport {
    /// Iterations: coordinate-descent sweeps (risk budgeting, summed over λ steps when
    /// bounded) or interior-point iterations (Clarabel, summed over working sets).
    pub iterations: usize,
    /// Final residual: max |relative RC − budget| (risk budgeting), KKT residual (bounded risk
    /// budgeting), the larger of the primal and dual residuals (Clarabel), or the last
    /// iteration's largest weight move (risk budgets under constraints, successive convex
    /// approximation).
    pub error: f64,
    /// Whether the tolerance was met.
    pub converged: bool,
}

/// The volatility-target overlay applied to the method's weights.
#[derive(Debug, Clone, PartialEq)]
pub struct VolTargetReport {
    /// Target annual volatility.
    pub target: f64,
    /// Gross exposure cap.
    pub max_leverage: f64,
    /// Scale applied to the method's weights.
    pub scale: f64,
    /// Annual volatility before scaling.
    pub volatility_before: f64,
    /// True if the leverage cap stopped the scaling short of the target.
    pub leverage_capped: bool,
    /// The method's weights before scaling (same order as [`Allocation::assets`]).
    pub unscaled_weights: Vec<f64>,
}

/// The momentum selection and tilt applied.
#[derive(Debug, Clone, PartialEq)]
pub struct MomentumReport {
    /// Look-back in days.
    pub lookback: usize,
    /// Coins kept (`top`), if selecting.
    pub top: Option<usize>,
    /// Tilt strength κ (0 = none).
    pub tilt: f64,
    /// Volatility-adjusted momentum of every asset (trailing return ÷ annualised volatility).
    pub scores: Vec<f64>,
}

/// A beta-neutrality constraint and the exposures the weights reach.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BetaNeutralReport {
    /// The factor model whose betas were held at 0 (`market:BTC`, ...).
    pub model: String,
    /// The tolerance: |exposure| ≤ it.
    pub tolerance: f64,
    /// Exposure Σ_i β_ik w_i of the final weights to each factor.
    pub exposures: std::collections::BTreeMap<String, f64>,
}

/// A square matrix with its row and column names. JSON: `assets`, `matrix` (rows).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct NamedMatrix {
    /// Row and column names.
    pub assets: Vec<String>,
    /// Rows.
    pub matrix: Vec<Vec<f64>>,
}

/// What a method adds to its weights.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum MethodDetails {
    /// Nothing.
    #[default]
    None,
    /// The budgets used (rescaled over the assets allocated).
    RiskBudget {
        /// Budget per asset (0 for assets not allocated).
        budgets: Vec<f64>,
    },
    /// Minimum-CVaR figures of the optimal weights.
    MinCvar {
        /// CVaR_β of the daily loss (positive fraction), the linear program's optimum.
        cvar: f64,
        /// The program's α, a VaR_β of the daily loss.
        var: f64,
        /// β.
        beta: f64,
    },
    /// Mean-CVaR at a risk target: the CVaR reached and the target.
    EfficientCvar {
        /// CVaR_β of the daily loss of the weights (positive fraction).
        cvar: f64,
        /// The program's α, a VaR_β of the daily loss.
        var: f64,
        /// β.
        beta: f64,
        /// The CVaR target.
        target_cvar: f64,
    },
    /// Risk budgets under linear constraints (successive convex approximation): how far each
    /// risk contribution ends from its budget.
    ConstrainedRiskBudget {
        /// Budget per asset (0 for assets not allocated).
        budgets: Vec<f64>,
        /// The solve, with RC_i − b_i per asset in `deviations`.
        report: crate::allocate::ScaReport,
        /// The expected-return floor, if any.
        return_floor: Option<f64>,
    },
    /// The Black–Litterman posterior.
    BlackLitterman {
        /// Prior annual returns π (NaN for assets not allocated): with the default prior
        /// δ Σ w_eq + r_f, w_eq the market's weights (equal, or by cap with market caps); zero
        /// or the estimator's means with the other priors.
        prior: Vec<f64>,
        /// Posterior annual returns.
        posterior: Vec<f64>,
        /// Unconstrained posterior weights ∝ (δΣ)⁻¹ μ_BL, summing to 1.
        unconstrained: Vec<f64>,
        /// Diagonal of Ω, one per view.
        omega: Vec<f64>,
        /// τ.
        tau: f64,
        /// δ.
        risk_aversion: f64,
        /// Which prior.
        prior_kind: crate::allocate::BlPrior,
        /// Posterior covariance Σ + M (annual), over the assets allocated.
        posterior_covariance: NamedMatrix,
    },
    /// Factor risk budgeting: the model, budgets and what was reached.
    FactorRiskParity {
        /// The factor model (`explicit:BTC,ETH`, `pca:3`, ...).
        model: String,
        /// Factor names.
        factors: Vec<String>,
        /// Budget per factor (shares of σ when the residual is budgeted, of the factors' sum
        /// otherwise).
        budgets: Vec<f64>,
        /// The residual's budget, when budgeted.
        residual_budget: Option<f64>,
        /// Exposures Bᵀw of the weights.
        exposures: Vec<f64>,
        /// Relative factor risk contributions reached (factors, then the residual), summing to 1.
        contributions: Vec<f64>,
        /// Long-only (else fully invested with any sign).
        long_only: bool,
    },
    /// The number of HERC clusters (given or from the gap statistic).
    Herc {
        /// k.
        clusters: usize,
    },
}

/// Target weights over a universe, with their risk.
///
/// Vectors follow [`Allocation::assets`]. Weights are fractions of portfolio value; the rest is
/// [`Allocation::cash`] (zero volatility, earning `risk_free`).
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// The method.
    pub method: Method,
    /// The universe.
    pub assets: Vec<String>,
    /// Final weights (after any momentum tilt and volatility-target overlay).
    pub weights: Vec<f64>,
    /// 1 − Σ weights.
    pub cash: f64,
    /// Percent (Euler) risk contributions w_i (Σw)_i / w'Σw of the weights; they sum to 1.
    pub risk_contributions: Vec<f64>,
    /// Annual volatility √(w'Σw), Σ annualised.
    pub volatility_annual: f64,
    /// Annual volatility of each asset, √Σ_ii (NaN for assets not allocated).
    pub asset_volatilities: Vec<f64>,
    /// Annual expected return of each asset under the request's estimator (the posterior for
    /// Black–Litterman; NaN for assets not allocated); empty from an allocator called without
    /// them.
    pub expected_returns: Vec<f64>,
    /// Annual expected return μ'w + cash·r_f under the request's expected returns (the
    /// posterior for Black–Litterman); `None` from an allocator called without them.
    pub expected_return_annual: Option<f64>,
    /// (expected return − r_f) / volatility.
    pub sharpe: Option<f64>,
    /// The risk-free rate of the Sharpe ratio.
    pub risk_free: f64,
    /// How the weights were found.
    pub status: SolveStatus,
    /// Solver diagnostics (iterative and conic methods).
    pub solver: Option<SolverReport>,
    /// The covariance estimate behind it (estimator, shrinkage, repair).
    pub covariance: CovarianceInfo,
    /// The volatility-target overlay, if any.
    pub vol_target: Option<VolTargetReport>,
    /// Momentum selection and tilt, if any.
    pub momentum: Option<MomentumReport>,
    /// The beta-neutrality constraint, if any, and the exposures reached.
    pub beta_neutral: Option<BetaNeutralReport>,
    /// What the method adds.
    pub details: MethodDetails,
    /// The cluster tree behind a hierarchical method (HRP, HERC).
    pub hierarchy: Option<Hierarchy>,
    /// With `history = "pairwise"`: the returns per coin, the least overlap and any repair.
    pub pairwise: Option<crate::estimate::PairwiseReport>,
}

/// One merge of the cluster tree, in SciPy's linkage-matrix convention (a row of `Z`): leaves
/// are 0…n−1 in [`Allocation::assets`] order, merge s creates node n + s.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Merge {
    /// One child (node label).
    pub left: usize,
    /// The other child.
    pub right: usize,
    /// The linkage distance at which they merge (correlation distance √((1 − ρ)/2)).
    pub height: f64,
    /// Assets under the new node.
    pub size: usize,
}

/// The cluster tree of a hierarchical allocation: the order it allocates in and how it merged.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hierarchy {
    /// The assets in leaf order (HRP's quasi-diagonal order, left to right).
    pub leaf_order: Vec<String>,
    /// The merges, in merge order (SciPy's `Z`).
    pub linkage: Vec<Merge>,
}

impl Allocation {
    /// An allocation from given weights (N, covariance order): computes their percent risk
    /// contributions and annual volatility under `cov`. `solver` is `None` for a formula.
    ///
    /// # Errors
    /// [`AllocateError`] when the weights have the wrong length or `cov` gives a non-finite or
    /// non-positive portfolio variance (the error says what is wrong with it).
    pub fn new(
        method: Method,
        cov: &Covariance,
        weights: Vec<f64>,
        solver: Option<SolverReport>,
    ) -> Result<Self, AllocateError> {
        let rc = match risk_contributions(&cov.matrix, &weights) {
            Ok(rc) if rc.volatility.is_finite() => rc,
            // a non-finite or non-positive variance means a broken matrix: say what is wrong
            other => {
                cov.validate()?;
                return Err(AllocateError::BadParameter(match other {
                    Err(e) => e.to_string(),
                    Ok(_) => "portfolio variance is not finite".into(),
                }));
            }
        };
        Ok(Self::assemble(
            method,
            cov,
            weights,
            rc.percent,
            rc.volatility,
            solver,
        ))
    }

    /// Build from weights and Σw already computed (saves an O(N²) product).
    pub(crate) fn from_sigma_w(
        method: Method,
        cov: &Covariance,
        weights: Vec<f64>,
        sigma_w: &[f64],
        solver: Option<SolverReport>,
    ) -> Self {
        let var: f64 = weights.iter().zip(sigma_w).map(|(a, b)| a * b).sum();
        let rc = weights.iter().zip(sigma_w).map(|(w, s)| w * s / var).collect();
        Self::assemble(method, cov, weights, rc, var.sqrt(), solver)
    }

    fn assemble(
        method: Method,
        cov: &Covariance,
        weights: Vec<f64>,
        risk_contributions: Vec<f64>,
        volatility_annual: f64,
        solver: Option<SolverReport>,
    ) -> Self {
        Self {
            method,
            assets: cov.assets.clone(),
            cash: 1.0 - weights.iter().sum::<f64>(),
            weights,
            risk_contributions,
            volatility_annual,
            asset_volatilities: cov.volatilities(),
            expected_returns: Vec::new(),
            expected_return_annual: None,
            sharpe: None,
            risk_free: 0.0,
            status: if solver.is_some() {
                SolveStatus::Solved
            } else {
                SolveStatus::ClosedForm
            },
            solver,
            covariance: cov.info(),
            vol_target: None,
            momentum: None,
            beta_neutral: None,
            details: MethodDetails::None,
            hierarchy: None,
            pairwise: None,
        }
    }
}

/// `null` for a non-finite number (JSON has no NaN).
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Finite values by asset; NaN (not applicable) becomes `null`.
struct Nullable<'a>(&'a [String], &'a [f64]);

impl Serialize for Nullable<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (a, v) in self.0.iter().zip(self.1) {
            m.serialize_entry(a, &finite(*v))?;
        }
        m.end()
    }
}

/// JSON: `method`, `weights` {asset: w}, `cash`, `risk_contributions`, `volatility_annual`,
/// `asset_volatilities`, `expected_returns` {asset: μ}, `expected_return_annual`, `sharpe`, `risk_free`, `status`, `solver`, `covariance`
/// {`estimator`, `shrinkage`, `repaired_min_eigenvalue`}; with an overlay `vol_target`
/// {`target`, `max_leverage`, `scale`, `volatility_before`, `leverage_capped`,
/// `unscaled_weights`}; with momentum `momentum` {`lookback`, `top`, `tilt`, `scores`}; with
/// a beta-neutrality constraint `beta_neutral` {`model`, `tolerance`, `exposures`}; and
/// the method's details: `budgets` (risk-budget); under linear constraints (erc, risk-budget)
/// also `budget_deviations` {asset: RC − b}, `max_budget_deviation`, `budget_objective`,
/// `sca_iterations`, `sca_converged`, `return_floor`; `cvar`, `var`, `beta` (min-cvar, and
/// `target_cvar` for efficient-cvar); `prior` (its kind), `posterior_covariance` {`assets`,
/// `matrix`}, `prior_returns`, `posterior_returns`, `unconstrained_weights`, `omega`, `tau`,
/// `risk_aversion` (black-litterman); `clusters` (herc); `hierarchy` {`leaf_order`, `linkage`
/// [{`left`, `right`, `height`, `size`}]} (hrp, herc); with `history = "pairwise"`, `pairwise`
/// {`counts`, `min_overlap`, `min_overlap_pair`, `required_overlap`, `repair`}.
impl Serialize for Allocation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = &self.assets;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("method", &self.method)?;
        m.serialize_entry("weights", &AssetMap::new(a, &self.weights))?;
        m.serialize_entry("cash", &self.cash)?;
        m.serialize_entry("risk_contributions", &AssetMap::new(a, &self.risk_contributions))?;
        m.serialize_entry("volatility_annual", &self.volatility_annual)?;
        m.serialize_entry("asset_volatilities", &Nullable(a, &self.asset_volatilities))?;
        m.serialize_entry("expected_returns", &Nullable(a, &self.expected_returns))?;
        m.serialize_entry(
            "expected_return_annual",
            &self.expected_return_annual.and_then(finite),
        )?;
        m.serialize_entry("sharpe", &self.sharpe.and_then(finite))?;
        m.serialize_entry("risk_free", &self.risk_free)?;
        m.serialize_entry("status", &self.status)?;
        m.serialize_entry("solver", &self.solver)?;
        m.serialize_entry("covariance", &self.covariance)?;
        if let Some(v) = &self.vol_target {
            #[derive(serde::Serialize)]
            struct Vt<'a> {
                target: f64,
                max_leverage: f64,
                scale: f64,
                volatility_before: f64,
                leverage_capped: bool,
                unscaled_weights: AssetMap<'a>,
            }
            m.serialize_entry(
                "vol_target",
                &Vt {
                    target: v.target,
                    max_leverage: v.max_leverage,
                    scale: v.scale,
                    volatility_before: v.volatility_before,
                    leverage_capped: v.leverage_capped,
                    unscaled_weights: AssetMap::new(a, &v.unscaled_weights),
                },
            )?;
        }
        if let Some(mo) = &self.momentum {
            #[derive(serde::Serialize)]
            struct Mo<'a> {
                lookback: usize,
                top: Option<usize>,
                tilt: f64,
                scores: AssetMap<'a>,
            }
            m.serialize_entry(
                "momentum",
                &Mo {
                    lookback: mo.lookback,
                    top: mo.top,
                    tilt: mo.tilt,
                    scores: AssetMap::new(a, &mo.scores),
                },
            )?;
        }
        if let Some(b) = &self.beta_neutral {
            m.serialize_entry("beta_neutral", b)?;
        }
        serialize_details(&mut m, a, &self.details)?;
        if let Some(h) = &self.hierarchy {
            m.serialize_entry("hierarchy", h)?;
        }
        if let Some(p) = &self.pairwise {
            m.serialize_entry("pairwise", p)?;
        }
        m.end()
    }
}

/// The method's own entries of an allocation's JSON (budgets, CVaR, the Black–Litterman
/// posterior, clusters, factor risk), written into `m`.
fn serialize_details<M: SerializeMap>(
    m: &mut M,
    a: &[String],
    details: &MethodDetails,
) -> Result<(), M::Error> {
    match details {
        MethodDetails::None => {}
        MethodDetails::RiskBudget { budgets } => m.serialize_entry("budgets", &AssetMap::new(a, budgets))?,
        MethodDetails::MinCvar { cvar, var, beta } => {
            m.serialize_entry("cvar", cvar)?;
            m.serialize_entry("var", var)?;
            m.serialize_entry("beta", beta)?;
        }
        MethodDetails::EfficientCvar {
            cvar,
            var,
            beta,
            target_cvar,
        } => {
            m.serialize_entry("cvar", cvar)?;
            m.serialize_entry("var", var)?;
            m.serialize_entry("beta", beta)?;
            m.serialize_entry("target_cvar", target_cvar)?;
        }
        MethodDetails::ConstrainedRiskBudget {
            budgets,
            report,
            return_floor,
        } => {
            m.serialize_entry("budgets", &AssetMap::new(a, budgets))?;
            m.serialize_entry("budget_deviations", &AssetMap::new(a, &report.deviations))?;
            m.serialize_entry("max_budget_deviation", &report.max_deviation)?;
            m.serialize_entry("budget_objective", &report.objective)?;
            m.serialize_entry("sca_iterations", &report.iterations)?;
            m.serialize_entry("sca_converged", &report.converged)?;
            m.serialize_entry("return_floor", return_floor)?;
        }
        MethodDetails::BlackLitterman {
            prior,
            posterior,
            unconstrained,
            omega,
            tau,
            risk_aversion,
            prior_kind,
            posterior_covariance,
        } => {
            m.serialize_entry("prior", prior_kind)?;
            m.serialize_entry("posterior_covariance", posterior_covariance)?;
            m.serialize_entry("prior_returns", &Nullable(a, prior))?;
            m.serialize_entry("posterior_returns", &Nullable(a, posterior))?;
            m.serialize_entry("unconstrained_weights", &Nullable(a, unconstrained))?;
            m.serialize_entry("omega", omega)?;
            m.serialize_entry("tau", tau)?;
            m.serialize_entry("risk_aversion", risk_aversion)?;
        }
        MethodDetails::Herc { clusters } => m.serialize_entry("clusters", clusters)?,
        MethodDetails::FactorRiskParity {
            model,
            factors,
            budgets,
            residual_budget,
            exposures,
            contributions,
            long_only,
        } => {
            let k = factors.len();
            m.serialize_entry("factor_model", model)?;
            m.serialize_entry("long_only", long_only)?;
            m.serialize_entry("factor_budgets", &AssetMap::new(factors, budgets))?;
            m.serialize_entry("residual_budget", residual_budget)?;
            m.serialize_entry("factor_exposures", &AssetMap::new(factors, exposures))?;
            m.serialize_entry(
                "factor_risk_contributions",
                &AssetMap::new(factors, &contributions[..k]),
            )?;
            m.serialize_entry("residual_risk_contribution", &contributions[k])?;
        }
    }
    Ok(())
}
