//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "ballast",
    version,
    about = "Risk reports, risk-parity allocation and rebalancing for crypto portfolios",
    long_about = "Ballast measures a crypto portfolio's risk (volatility, risk contributions, VaR/CVaR, drawdown) \
from real price data, computes a target (inverse volatility, equal risk contribution, risk budgets, \
volatility target) and the trades to reach it.\n\nConventions: simple daily returns, 365 periods per year, \
sample covariance ddof=1, losses reported as positive fractions of portfolio value."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The main job: value, weights, risk, target weights and trade list of a portfolio file.
    Report(ReportArgs),
    /// Target weights: inverse-vol, erc, risk-budget, hrp, herc, min-cvar, black-litterman or
    /// mean-variance (min-variance, max-sharpe, efficient-return, efficient-risk, utility),
    /// with an optional vol target.
    Optimize(Box<OptimizeArgs>),
    /// Risk of given weights: volatility, risk contributions, VaR/CVaR, max drawdown.
    Risk(RiskArgs),
    /// Annualised covariance matrix of a window of returns.
    Covariance(CovarianceArgs),
    /// The mean-variance efficient frontier (table/JSON, optional SVG chart).
    Frontier(FrontierArgs),
    /// Fit GARCH(1,1) to one asset's daily returns and forecast its volatility.
    Garch(GarchArgs),
    /// Portfolio Greeks and scenario P&L of a book (PORTFOLIO), or Greeks of every option in a
    /// Deribit chain (--chain).
    Greeks(GreeksArgs),
    /// Least-cost trades that bring the book's chosen Greeks (per underlying) inside bands.
    Hedge(HedgeArgs),
    /// Fit SVI smiles per expiry to a Deribit chain: ATM vol, 25-delta RR and BF, term structure.
    Surface(SurfaceArgs),
    /// Walk-forward backtest of the strategies in a strategy file: metrics, overfitting checks,
    /// and (with --out) CSVs, SVG charts and an HTML tear sheet.
    Backtest(BacktestArgs),
}

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// Strategy file (TOML: [data], [backtest], [costs], [[strategy]]).
    pub strategy_file: PathBuf,
    /// Directory for metrics.json, equity/weights/trades/daily/attribution CSVs, SVG charts and
    /// tearsheet.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct HedgeArgs {
    /// Portfolio file with [[position]]s and a [market] section.
    pub portfolio: PathBuf,
    /// Greeks to neutralise, e.g. delta or delta,gamma,vega.
    #[arg(long, value_delimiter = ',', required = true)]
    pub neutral: Vec<String>,
    /// Hedge instruments (Deribit names); default: each coin's perpetual plus every option
    /// with a two-sided quote.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub using: Option<Vec<String>>,
    /// Allowed residuals, e.g. delta=0.05,vega=50 (delta in coins, gamma per USD, vega USD per vol
    /// point); default 0.
    #[arg(long, value_name = "GREEK=X,...")]
    pub band: Option<String>,
    /// Fee on perpetual/future notional, basis points.
    #[arg(long, default_value_t = 5.0)]
    pub fee_bps: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    Vega,
    OpenInterest,
    Equal,
}

#[derive(Args, Debug)]
pub struct SurfaceArgs {
    /// Deribit option chain CSV.
    pub chain: PathBuf,
    /// Weights of the market points in the SVI fit.
    #[arg(long, value_enum, default_value_t = Weighting::Vega)]
    pub weights: Weighting,
    /// Value every option at this instant (ISO 8601 UTC) instead of each quote's timestamp.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Write an SVG chart of the fitted smiles and market points.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

#[derive(Args, Debug)]
pub struct GreeksArgs {
    /// Portfolio file with [[position]]s and a [market] section: the book's Greeks and scenarios.
    #[arg(required_unless_present = "chain", conflicts_with = "chain")]
    pub portfolio: Option<PathBuf>,
    /// Deribit option chain CSV (layout of data/deribit/*.csv): Greeks of every option in it.
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Value every option at this instant (ISO 8601 UTC) instead of each quote's timestamp.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Erc,
    RiskBudget,
    InverseVol,
    MinVariance,
    MaxSharpe,
    EfficientReturn,
    EfficientRisk,
    Utility,
    Hrp,
    Herc,
    MinCvar,
    BlackLitterman,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafOrderArg {
    Dendrogram,
    Optimal,
    Scipy,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuArg {
    /// Arithmetic mean × 365.
    Historical,
    /// Exponentially weighted mean × 365 (decay --mu-lambda).
    Ewma,
    /// James–Stein shrinkage of the historical means towards their grand mean.
    JamesStein,
}

impl MuArg {
    pub fn label(self) -> &'static str {
        match self {
            Self::Historical => "historical mean",
            Self::Ewma => "EWMA mean",
            Self::JamesStein => "James–Stein mean",
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkageArg {
    Single,
    Complete,
    Average,
    Ward,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    Sample,
    Ewma,
    LedoitWolf,
    LedoitWolfCc,
    Oas,
    /// Constant conditional correlation, EWMA volatilities.
    CccEwma,
    /// Constant conditional correlation, GARCH(1,1) volatility forecasts.
    CccGarch,
    /// Constant conditional correlation, GARCH(1,1) Student-t volatility forecasts.
    CccGarchT,
}

impl Estimator {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sample => "sample",
            Self::Ewma => "ewma",
            Self::LedoitWolf => "ledoit-wolf",
            Self::LedoitWolfCc => "ledoit-wolf-cc",
            Self::Oas => "oas",
            Self::CccEwma => "ccc-ewma",
            Self::CccGarch => "ccc-garch",
            Self::CccGarchT => "ccc-garch-t",
        }
    }
}

/// Where the prices come from and which window to use.
#[derive(Args, Debug, Clone)]
pub struct WindowArgs {
    /// Price CSV: wide `date,BTC,ETH,...` or long `date,asset,close`; empty cell = no price.
    #[arg(long, value_name = "FILE")]
    pub prices: PathBuf,
    /// Comma-separated assets, e.g. BTC,ETH,SOL (default: every asset with a complete window).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub assets: Option<Vec<String>>,
    /// Number of returns in the window (the window holds N+1 price rows).
    #[arg(long, default_value_t = 730, value_name = "N")]
    pub window: usize,
    /// Last date of the window, YYYY-MM-DD (default: the last date in the file).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end: Option<String>,
    /// With --assets: drop assets with a missing price in the window instead of failing.
    #[arg(long)]
    pub drop_incomplete: bool,
    /// Use log returns instead of simple returns.
    #[arg(long)]
    pub log_returns: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Portfolio file (TOML), e.g. examples/portfolio.toml.
    pub portfolio: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// Allocation method.
    #[arg(long, value_enum, default_value_t = Method::Erc)]
    pub method: Method,
    /// Risk budgets for risk-budget, e.g. BTC=0.4,ETH=0.3,SOL=0.3 (> 0, summing to 1).
    #[arg(long, value_name = "A=b,...")]
    pub budgets: Option<String>,
    /// Covariance estimator.
    #[arg(long = "cov", visible_alias = "estimator", value_enum, default_value_t = Estimator::Sample)]
    pub estimator: Estimator,
    /// EWMA decay λ (with --cov ewma).
    #[arg(long, default_value_t = 0.94)]
    pub ewma_lambda: f64,
    /// Annual volatility target, e.g. 0.4; the rest is cash.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub vol_target: Option<f64>,
    /// Gross exposure cap with --vol-target.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub max_leverage: f64,
    /// Minimum weight of every asset.
    #[arg(long, allow_negative_numbers = true)]
    pub min_weight: Option<f64>,
    /// Maximum weight of every asset.
    #[arg(long, allow_negative_numbers = true)]
    pub max_weight: Option<f64>,
    /// Target annual expected return (efficient-return).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub target_return: Option<f64>,
    /// Target annual volatility (efficient-risk).
    #[arg(long, value_name = "X")]
    pub target_vol: Option<f64>,
    /// Risk aversion δ (utility: max μ'w − δ/2 w'Σw).
    #[arg(long, value_name = "X")]
    pub risk_aversion: Option<f64>,
    /// Annual risk-free rate (max-sharpe, Sharpe ratios).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub risk_free: f64,
    /// Constraints file (TOML: bounds, groups, net/gross exposure, turnover, costs, L2).
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,
    /// Linkage for --method hrp / herc.
    #[arg(long, value_enum, default_value_t = LinkageArg::Single)]
    pub linkage: LinkageArg,
    /// Leaf order HRP bisects: the dendrogram's (PyPortfolioOpt), optimal (Bar-Joseph 2001),
    /// or scipy (SciPy's optimal_leaf_ordering, as skfolio / Riskfolio leaf_order=True).
    #[arg(long, value_enum, default_value_t = LeafOrderArg::Dendrogram)]
    pub leaf_order: LeafOrderArg,
    /// Number of clusters for --method herc (default: two-difference gap statistic).
    #[arg(long, value_name = "K")]
    pub clusters: Option<usize>,
    /// Expected-return estimator for the mean-based methods.
    #[arg(long, value_enum, default_value_t = MuArg::Historical)]
    pub mu: MuArg,
    /// Decay λ for --mu ewma.
    #[arg(long, default_value_t = 0.97)]
    pub mu_lambda: f64,
    /// Keep only the K assets with the highest volatility-adjusted momentum (trailing return ÷
    /// trailing volatility over --momentum-lookback days) before allocating.
    #[arg(long, value_name = "K")]
    pub momentum_top: Option<usize>,
    /// Look-back in days for --momentum-top / --momentum-tilt.
    #[arg(long, default_value_t = 90)]
    pub momentum_lookback: usize,
    /// Tilt the weights towards volatility-adjusted momentum: w ∝ w·exp(κ·z), z the
    /// cross-sectional z-score (erc, risk-budget, inverse-vol, hrp, herc).
    #[arg(long, value_name = "KAPPA")]
    pub momentum_tilt: Option<f64>,
    /// If the covariance is not positive definite, repair it (eigenvalues floored, Higham 1988)
    /// instead of stopping with an error; the output says so.
    #[arg(long)]
    pub repair_psd: bool,
    /// CVaR confidence β for --method min-cvar.
    #[arg(long, default_value_t = 0.95)]
    pub beta: f64,
    /// Black-Litterman views: absolute `BTC=0.20` (BTC returns 20 % a year) or relative
    /// `ETH-SOL=0.10` (ETH outperforms SOL by 10 %), comma-separated.
    #[arg(long, value_name = "VIEWS")]
    pub views: Option<String>,
    /// Idzorek confidences in [0, 1], one per view (default: Ω = diag(τ P Σ Pᵀ)).
    #[arg(long, value_delimiter = ',', value_name = "C,...")]
    pub view_confidences: Option<Vec<f64>>,
    /// Black-Litterman τ.
    #[arg(long, default_value_t = 0.05)]
    pub tau: f64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DistArg {
    Normal,
    T,
}

#[derive(Args, Debug)]
pub struct GarchArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// The asset to model.
    #[arg(long)]
    pub asset: String,
    /// Innovation distribution.
    #[arg(long, value_enum, default_value_t = DistArg::Normal)]
    pub dist: DistArg,
    /// Forecast horizon in days.
    #[arg(long, default_value_t = 30)]
    pub horizon: usize,
}

#[derive(Args, Debug)]
pub struct FrontierArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// Number of frontier portfolios.
    #[arg(long, default_value_t = 20)]
    pub points: usize,
    /// Write an SVG chart of the frontier.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Covariance estimator.
    #[arg(long = "cov", visible_alias = "estimator", value_enum, default_value_t = Estimator::Sample)]
    pub estimator: Estimator,
    /// EWMA decay λ (with --cov ewma).
    #[arg(long, default_value_t = 0.94)]
    pub ewma_lambda: f64,
    /// Annual risk-free rate.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub risk_free: f64,
    /// Constraints file (TOML).
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RiskArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// Portfolio weights, e.g. BTC=0.5,ETH=0.3,SOL=0.2 (must sum to 1 unless --normalize).
    #[arg(long, value_name = "A=w,...")]
    pub weights: String,
    /// Rescale the weights to sum to 1.
    #[arg(long)]
    pub normalize: bool,
    /// Portfolio value in USD: also report VaR/CVaR in USD.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub value: Option<f64>,
    /// Confidence levels for VaR/CVaR.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.95, 0.99])]
    pub confidence: Vec<f64>,
    /// Covariance estimator for volatility and risk contributions.
    #[arg(long = "cov", visible_alias = "estimator", value_enum, default_value_t = Estimator::Sample)]
    pub estimator: Estimator,
    /// EWMA decay λ (with --cov ewma).
    #[arg(long, default_value_t = 0.94)]
    pub ewma_lambda: f64,
}

#[derive(Args, Debug)]
pub struct CovarianceArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// Covariance estimator.
    #[arg(long, visible_alias = "cov", value_enum, default_value_t = Estimator::Sample)]
    pub estimator: Estimator,
    /// EWMA decay λ (with --estimator ewma).
    #[arg(long, default_value_t = 0.94)]
    pub ewma_lambda: f64,
}
