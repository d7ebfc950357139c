//! The allocation methods: [`Method`] names them (the one list of names, shared by files,
//! command lines and output); [`AllocationMethod`] carries each one's parameters.

use super::{LeafOrder, Linkage};
use serde::{Deserialize, Serialize};

/// The allocation methods, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Method {
    /// 1/N.
    EqualWeight,
    /// Inverse volatility (naive risk parity).
    InverseVol,
    /// Equal risk contribution.
    Erc,
    /// Risk budgeting: risk contributions in given proportions.
    RiskBudget,
    /// Minimum variance.
    MinVariance,
    /// Maximum Sharpe ratio.
    MaxSharpe,
    /// Minimum variance for a target return.
    EfficientReturn,
    /// Maximum return for a target volatility.
    EfficientRisk,
    /// Maximum quadratic utility μ'w − (δ/2) w'Σw.
    Utility,
    /// Hierarchical risk parity.
    Hrp,
    /// Hierarchical equal risk contribution.
    Herc,
    /// Minimum CVaR over the historical scenarios.
    MinCvar,
    /// Black–Litterman posterior, max-Sharpe under the constraints.
    BlackLitterman,
    /// Factor risk budgeting (equal budgets: factor risk parity).
    FactorRiskParity,
}

impl Method {
    /// The name, as written in files and on the command line (`"max-sharpe"`).
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An allocation method with its parameters. Built from [`super::AllocationOptions`], which
/// checks that each method gets what it needs and nothing it would ignore.
#[derive(Debug, Clone, PartialEq)]
pub enum AllocationMethod {
    /// 1/N over the universe.
    EqualWeight,
    /// w ∝ 1/σ.
    InverseVol,
    /// Equal risk contribution (Spinu / cyclical coordinate descent).
    Erc,
    /// Risk budgeting.
    RiskBudget {
        /// Budget per asset, > 0, summing to 1 (rescaled over the assets present when a
        /// backtest's universe is smaller).
        budgets: Vec<(String, f64)>,
    },
    /// Minimum variance.
    MinVariance,
    /// Maximum Sharpe ratio over the risk-free rate.
    MaxSharpe,
    /// Minimum variance with μ'w ≥ `target_return` (annual).
    EfficientReturn {
        /// Annual target return.
        target_return: f64,
    },
    /// Maximum μ'w with √(w'Σw) ≤ `target_vol` (annual).
    EfficientRisk {
        /// Annual target volatility.
        target_vol: f64,
    },
    /// Maximum μ'w − (δ/2) w'Σw.
    Utility {
        /// Risk aversion δ > 0.
        risk_aversion: f64,
    },
    /// Hierarchical risk parity.
    Hrp {
        /// Clustering linkage.
        linkage: Linkage,
        /// Leaf order bisected.
        leaf_order: LeafOrder,
    },
    /// Hierarchical equal risk contribution.
    Herc {
        /// Clustering linkage.
        linkage: Linkage,
        /// Number of clusters; `None` = two-difference gap statistic.
        clusters: Option<usize>,
    },
    /// Minimum CVaR_β of the daily loss over the historical scenarios.
    MinCvar {
        /// Confidence β ∈ (0, 1).
        beta: f64,
        /// Optional floor on the annual expected return (mean-CVaR efficient portfolio).
        target_return: Option<f64>,
    },
    /// Black–Litterman posterior (equal-weight market prior), then max-Sharpe on it.
    BlackLitterman {
        /// Views: `("BTC", 0.2)` absolute, `("ETH-SOL", 0.1)` relative; annual.
        views: Vec<(String, f64)>,
        /// Idzorek confidences in [0, 1], one per view; `None` = Ω = diag(τ P Σ Pᵀ).
        confidences: Option<Vec<f64>>,
        /// Prior uncertainty scale τ.
        tau: f64,
        /// Risk aversion δ of the prior π = δ Σ w_mkt + r_f.
        risk_aversion: f64,
    },
    /// Factor risk budgeting on a factor model fitted to the window.
    FactorRiskParity {
        /// The factor model.
        factors: crate::estimate::FactorModelSpec,
        /// Budget per factor (`None` = equal), in the model's factor order.
        budgets: Option<Vec<(String, f64)>>,
        /// The residual's budget (long-only), `None` = not budgeted.
        residual: Option<f64>,
        /// Long-only (default) or fully invested with any sign (Riskfolio's FC).
        long_only: bool,
    },
}

impl AllocationMethod {
    /// The method's name.
    pub fn name(&self) -> Method {
        match self {
            Self::EqualWeight => Method::EqualWeight,
            Self::InverseVol => Method::InverseVol,
            Self::Erc => Method::Erc,
            Self::RiskBudget { .. } => Method::RiskBudget,
            Self::MinVariance => Method::MinVariance,
            Self::MaxSharpe => Method::MaxSharpe,
            Self::EfficientReturn { .. } => Method::EfficientReturn,
            Self::EfficientRisk { .. } => Method::EfficientRisk,
            Self::Utility { .. } => Method::Utility,
            Self::Hrp { .. } => Method::Hrp,
            Self::Herc { .. } => Method::Herc,
            Self::MinCvar { .. } => Method::MinCvar,
            Self::BlackLitterman { .. } => Method::BlackLitterman,
            Self::FactorRiskParity { .. } => Method::FactorRiskParity,
        }
    }
}

impl Method {
    /// Solved by Clarabel under the full [`super::Constraints`] (groups, exposure, turnover,
    /// costs, L2), not only weight bounds.
    pub fn solver_based(self) -> bool {
        matches!(
            self,
            Self::MinVariance
                | Self::MaxSharpe
                | Self::EfficientReturn
                | Self::EfficientRisk
                | Self::Utility
                | Self::MinCvar
                | Self::BlackLitterman
        )
    }

    /// Optimises expected returns (μ is an input, not only reported).
    pub fn uses_mu(self) -> bool {
        matches!(
            self,
            Self::MaxSharpe | Self::EfficientReturn | Self::EfficientRisk | Self::Utility
        )
    }

    /// Takes per-asset weight bounds.
    pub fn takes_bounds(self) -> bool {
        !matches!(self, Self::EqualWeight | Self::Herc)
    }

    /// Its weights can be tilted by a momentum signal (risk-based methods; the mean-based
    /// ones already use expected returns).
    pub fn tiltable(self) -> bool {
        matches!(
            self,
            Self::EqualWeight | Self::InverseVol | Self::Erc | Self::RiskBudget | Self::Hrp | Self::Herc
        )
    }
}
