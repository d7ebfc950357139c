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
    /// Maximum expected return with CVaR_β of the one-day loss ≤ `target_cvar` (mean-CVaR,
    /// PyPortfolioOpt `EfficientCVaR.efficient_risk`).
    EfficientCvar,
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
        /// Risk aversion δ > 0, or implied by the market.
        risk_aversion: RiskAversion,
    },
    /// Hierarchical risk parity.
    Hrp {
        /// Clustering linkage.
        linkage: Linkage,
        /// Leaf order bisected.
        leaf_order: LeafOrder,
        /// The correlation clustered on.
        correlation: HrpCorrelation,
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
    /// Maximum expected return with CVaR_β ≤ `target_cvar`.
    EfficientCvar {
        /// Confidence β ∈ (0, 1).
        beta: f64,
        /// The most CVaR_β of the one-day loss allowed (a positive fraction of value).
        target_cvar: f64,
    },
    /// Black–Litterman posterior, then max-Sharpe on it.
    BlackLitterman {
        /// Views: `("BTC", 0.2)` absolute, `("ETH-SOL", 0.1)` relative; annual.
        views: Vec<(String, f64)>,
        /// Idzorek confidences in [0, 1], one per view; `None` = Ω = diag(τ P Σ Pᵀ).
        confidences: Option<Vec<f64>>,
        /// Prior uncertainty scale τ.
        tau: f64,
        /// Risk aversion δ of the prior π = δ Σ w_mkt + r_f (a number or market-implied).
        risk_aversion: RiskAversion,
        /// The prior.
        prior: BlPrior,
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
            Self::EfficientCvar { .. } => Method::EfficientCvar,
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
                | Self::EfficientCvar
                | Self::BlackLitterman
        )
    }

    /// Optimises expected returns (μ is an input, not only reported).
    pub fn uses_mu(self) -> bool {
        matches!(
            self,
            Self::MaxSharpe
                | Self::EfficientReturn
                | Self::EfficientRisk
                | Self::Utility
                | Self::EfficientCvar
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

/// A risk aversion δ: a number, or `"market-implied"`, δ = (E(r_m) − r_f)/σ²_m of the request's
/// `market` over the window ([`crate::estimate::market_implied_risk_aversion`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RiskAversion {
    /// δ > 0 as given.
    Given(f64),
    /// Implied by the market's excess return and variance over the window.
    MarketImplied,
}

impl std::str::FromStr for RiskAversion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "market-implied" => Ok(Self::MarketImplied),
            t => t.parse::<f64>().map(Self::Given).map_err(|_| {
                format!("risk aversion '{t}' is neither a number (e.g. 2.5) nor market-implied")
            }),
        }
    }
}

impl std::fmt::Display for RiskAversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Given(d) => write!(f, "{d}"),
            Self::MarketImplied => f.write_str("market-implied"),
        }
    }
}

impl Serialize for RiskAversion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Given(d) => s.serialize_f64(*d),
            Self::MarketImplied => s.serialize_str("market-implied"),
        }
    }
}

impl<'de> Deserialize<'de> for RiskAversion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RiskAversion;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number such as 2.5, or \"market-implied\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RiskAversion, E> {
                Ok(RiskAversion::Given(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RiskAversion, E> {
                Ok(RiskAversion::Given(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RiskAversion, E> {
                Ok(RiskAversion::Given(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RiskAversion, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The Black–Litterman prior π.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BlPrior {
    /// π = δ Σ w + r_f with equal weights w = 1/N (no market caps needed; the default).
    #[default]
    EqualWeight,
    /// π = δ Σ w_mkt + r_f with market-cap weights (`market_caps`; PyPortfolioOpt
    /// `market_implied_prior_returns`).
    MarketCaps,
    /// π = 0 (PyPortfolioOpt's `pi=None`): the posterior comes from the views alone.
    Zero,
    /// π = the request's expected-return estimator (`mu`, e.g. geometric or capm).
    Mu,
}

impl BlPrior {
    /// The name, as written in files and on the command line.
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }
}

/// The correlation HRP clusters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum HrpCorrelation {
    /// The correlation of the covariance used (today's behaviour; after any repair).
    #[default]
    Covariance,
    /// With `history = "pairwise"`: the raw pairwise sample correlation, each pair over its own
    /// overlap, not repaired (PyPortfolioOpt `HRPOpt`, which clusters on `returns.corr()`).
    Pairwise,
}
