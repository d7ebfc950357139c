//! `ballast optimize`'s arguments.

use super::{CovArgs, WindowArgs};
use ballast::allocate::{BlPrior, HrpCorrelation, LeafOrder, Linkage, Method, RiskAversion};
use ballast::estimate::{FactorModelSpec, MarketIndex, MuMethod};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub cov: CovArgs,
    /// Allocation method.
    #[arg(long, value_enum, default_value_t = Method::Erc)]
    pub method: Method,
    /// Risk budgets for risk-budget, e.g. BTC=0.4,ETH=0.3,SOL=0.3 (> 0, summing to 1).
    #[arg(long, value_name = "A=b,...")]
    pub budgets: Option<String>,
    /// Annual volatility target, e.g. 0.4 for 40 %; the rest is cash.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub vol_target: Option<f64>,
    /// Gross exposure cap with --vol-target [default: 1].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub max_leverage: Option<f64>,
    /// Minimum weight of every asset.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub min_weight: Option<f64>,
    /// Maximum weight of every asset.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub max_weight: Option<f64>,
    /// Constraints file (TOML: bounds, groups, net/gross exposure, turnover, costs, L2).
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,
    /// Annual risk-free rate: max-sharpe's and Black-Litterman's, and the rate of every Sharpe
    /// ratio reported [default: 0].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub risk_free: Option<f64>,
    /// Target annual expected return (efficient-return; the optional floor of min-cvar, erc and
    /// risk-budget).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub target_return: Option<f64>,
    /// Most one-day CVaR at --beta, a fraction of value, e.g. 0.06 (efficient-cvar: maximum
    /// expected return under it).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub target_cvar: Option<f64>,
    /// Target annual volatility (efficient-risk).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub target_vol: Option<f64>,
    /// Risk aversion δ (utility: max μ'w − δ/2 w'Σw; black-litterman's prior), a number or
    /// market-implied: (E[r_m] − r_f)/σ²_m of --market over the window [black-litterman default:
    /// 2.5].
    #[arg(long, value_name = "X|market-implied", allow_negative_numbers = true)]
    pub risk_aversion: Option<RiskAversion>,
    /// Black-Litterman prior: equal-weight (π = δΣ/N), market-caps (π = δΣw_mkt, needs
    /// --market-caps), zero, or mu (the --mu estimator) [default: equal-weight].
    #[arg(long, value_enum)]
    pub prior: Option<BlPrior>,
    /// The market for --mu capm and --risk-aversion market-implied: a coin (BTC), equal-weight or
    /// cap-weighted (needs --market-caps) [default: BTC].
    #[arg(long, value_name = "COIN|equal-weight|cap-weighted")]
    pub market: Option<MarketIndex>,
    /// Market caps file (CSV asset,market_cap_usd), e.g. examples/market_caps.csv (illustrative
    /// figures): --prior market-caps, --market cap-weighted.
    #[arg(long, value_name = "FILE")]
    pub market_caps: Option<PathBuf>,
    /// Expected-return estimator (inputs of the mean-based methods; the expected return
    /// reported for every method) [default: historical].
    #[arg(long, value_enum)]
    pub mu: Option<MuMethod>,
    /// Decay λ for --mu ewma [default: 0.97].
    #[arg(long, value_name = "LAMBDA")]
    pub mu_lambda: Option<f64>,
    /// Linkage for hrp / herc [default: single].
    #[arg(long, value_enum)]
    pub linkage: Option<Linkage>,
    /// Leaf order HRP bisects: the dendrogram's (PyPortfolioOpt), optimal (Bar-Joseph 2001), or
    /// scipy (SciPy's optimal_leaf_ordering, as skfolio / Riskfolio leaf_order=True)
    /// [default: dendrogram].
    #[arg(long, value_enum)]
    pub leaf_order: Option<LeafOrder>,
    /// The correlation hrp clusters on: covariance (the estimate's own) or pairwise (the raw
    /// pairwise correlation, with --history pairwise; PyPortfolioOpt's HRPOpt) [default:
    /// covariance].
    #[arg(long, value_enum)]
    pub hrp_correlation: Option<HrpCorrelation>,
    /// Number of clusters for herc [default: two-difference gap statistic].
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub clusters: Option<usize>,
    /// CVaR confidence β for min-cvar and efficient-cvar [default: 0.95].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub beta: Option<f64>,
    /// Black-Litterman views: absolute `BTC=0.20` (BTC returns 20 % a year) or relative
    /// `ETH-SOL=0.10` (ETH outperforms SOL by 10 %), comma-separated.
    #[arg(long, value_name = "VIEWS")]
    pub views: Option<String>,
    /// Idzorek confidences in [0, 1], one per view, in the order of --views (default:
    /// Ω = diag(τ P Σ Pᵀ)).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "C,...",
        allow_negative_numbers = true
    )]
    pub view_confidences: Option<Vec<f64>>,
    /// Black-Litterman τ [default: 0.05].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub tau: Option<f64>,
    /// Keep only the K assets with the highest volatility-adjusted momentum (trailing return ÷
    /// trailing volatility over --momentum-lookback days) before allocating.
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub momentum_top: Option<usize>,
    /// Look-back in days for --momentum-top / --momentum-tilt [default: 90].
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    pub momentum_lookback: Option<usize>,
    /// Tilt the weights towards volatility-adjusted momentum: w ∝ w·exp(κ·z), z the
    /// cross-sectional z-score (equal-weight, inverse-vol, erc, risk-budget, hrp, herc).
    #[arg(long, value_name = "KAPPA", allow_negative_numbers = true)]
    pub momentum_tilt: Option<f64>,
    /// Factor model of factor-risk-parity: explicit:BTC,ETH, market:BTC, pca:3.
    #[arg(long, value_name = "MODEL")]
    pub factors: Option<FactorModelSpec>,
    /// Budgets per factor for factor-risk-parity, e.g. BTC=0.6,ETH=0.4; add residual=0.2 to
    /// budget the residual too [default: equal over the factors].
    #[arg(long, value_name = "F=b,...")]
    pub factor_budgets: Option<String>,
    /// factor-risk-parity: long-only (true, default) or fully invested with shorts (false,
    /// Riskfolio's rp_optimization(model='FC')).
    #[arg(long, value_name = "BOOL")]
    pub long_only: Option<bool>,
}
