//! Command-line arguments.

use ballast::estimate::{
    BetaAdjustment, CovarianceMethod, FactorModelSpec, GarchDist, History, ResidualDdof,
};
use ballast::hedge::HedgeGreek;
use ballast::io::PriceField;
use ballast::pricing::surface::SmileWeights;
use ballast::risk::VarModel;
use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;
use std::path::PathBuf;

mod optimize;
pub use optimize::OptimizeArgs;

#[derive(Parser, Debug)]
#[command(
    name = "ballast",
    version,
    about = "Risk, allocation, rebalancing, Greeks and backtests for crypto portfolios",
    long_about = "Ballast measures a crypto book's risk (volatility, risk contributions, VaR/CVaR, drawdown, \
Greeks of spot, perps, futures and options) from real market data, computes a target (risk parity, risk \
budgets, mean-variance, Black-Litterman, HRP/HERC, min-CVaR, under constraints and a volatility target), \
the trades to reach it, least-cost Greek hedges, and walk-forward backtests.\n\nConventions: simple daily \
returns, 365 periods per year, sample covariance ddof=1, losses reported as positive fractions of \
portfolio value."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The main job: value, weights, risk, target weights and trade list of a portfolio file.
    Report(ReportArgs),
    /// Target weights by any allocation method (--method lists them: risk parity and budgets,
    /// mean-variance, Black-Litterman, HRP/HERC, min-CVaR), under bounds or a constraints file,
    /// with optional momentum and a vol target.
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
    #[command(arg_required_else_help = true)]
    Greeks(GreeksArgs),
    /// Least-cost trades that bring the book's chosen Greeks (per underlying) inside bands
    /// (--neutral), a perpetual hedge of the book's market risk (--beta, --min-variance), or
    /// the cheapest puts and put spreads that cap the loss in every stress scenario (--tail).
    Hedge(HedgeArgs),
    /// Fit a factor model (market beta, explicit factors, PCA): loadings, alphas, R²,
    /// residual variances, factor and factor-model covariances.
    Factors(FactorsArgs),
    /// Margin as the exchange computes it: a book's Deribit portfolio margin, Binance tiered
    /// cross margin, liquidation moves and venue exposure (PORTFOLIO), a replay of a saved
    /// Deribit response (--replay-deribit), or an isolated perpetual's liquidation price
    /// (--liquidation).
    Margin(MarginArgs),
    /// Margin and VaR of many accounts on one snapshot (an exchange's or prime broker's batch):
    /// Deribit portfolio margin, liquidation moves and the one-day 99 % VaR / expected shortfall
    /// by full revaluation of every account of a positions file, in parallel.
    Accounts(AccountsArgs),
    /// Fit SVI smiles per expiry to a Deribit chain: ATM vol, 25-delta RR and BF, term structure.
    Surface(SurfaceArgs),
    /// Walk-forward backtest of the strategies in a strategy file: metrics, overfitting checks,
    /// and (with --out) CSVs, SVG charts and an HTML tear sheet.
    Backtest(BacktestArgs),
    /// Roll VaR models over a portfolio's whole history and test their exceptions: Kupiec's
    /// proportion of failures, Christoffersen's independence and conditional coverage, the
    /// Basel traffic light; (with --out) a chart of the P&L against each VaR line.
    VarBacktest(VarBacktestArgs),
    /// VaR and expected shortfall of a book (PORTFOLIO) by full revaluation: historical and
    /// Monte Carlo scenarios of every coin's spot and implied vol, 1 and 10 days, component
    /// VaR/ES per position and underlying, beside the delta, delta-gamma-vega and delta-normal
    /// approximations.
    #[command(arg_required_else_help = true)]
    Var(VarArgs),
    /// Stress a book (PORTFOLIO): the crypto crises replayed from the data, hypothetical
    /// shocks, a spot × vol grid and the file's [[stress]] scenarios, every position revalued.
    #[command(arg_required_else_help = true)]
    Stress(StressArgs),
    /// The live risk service: the books of PORTFOLIO files with their fills (SQLite, durable),
    /// an HTTP JSON API behind bearer tokens, on 127.0.0.1:8650 by default.
    #[command(arg_required_else_help = true)]
    Serve(crate::commands::serve::ServeArgs),
    /// Create, revoke and list the service's API tokens.
    Token(crate::commands::serve::TokenArgs),
}

#[derive(Args, Debug)]
pub struct StressArgs {
    /// Portfolio file with [[holding]]s / [[position]]s, [market] (and vol_history for the
    /// vol moves), [data] prices and optional [[stress]] scenarios.
    pub portfolio: PathBuf,
    /// Equity the losses are shown against, USD (default: the book's value).
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub equity: Option<f64>,
    /// Write the spot × vol grid as an SVG heat map.
    #[arg(long, value_name = "FILE.svg")]
    pub svg: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct VarArgs {
    /// Portfolio file with [[holding]]s / [[position]]s, [market] (chains, futures, and
    /// vol_history when the book holds options) and [data] prices.
    pub portfolio: PathBuf,
    /// Confidence levels [default: the file's [risk] confidence, 0.95,0.99].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub confidence: Option<Vec<f64>>,
    /// Historical moves per horizon (the last N days; 10-day moves overlap) [default: the
    /// file's [data] window, 730].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub window: Option<usize>,
    /// Monte Carlo and filtered historical scenarios per horizon (0: historical only).
    #[arg(
        long,
        default_value_t = ballast::scenario::McSpec::default().scenarios,
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub scenarios: usize,
    /// Daily distribution of the Monte Carlo moves.
    #[arg(long, value_enum, default_value_t = McKind::StudentT)]
    pub distribution: McKind,
    /// Student-t degrees of freedom (default: from the spot returns' excess kurtosis).
    #[arg(long, value_name = "NU", allow_negative_numbers = true)]
    pub dof: Option<f64>,
    /// Seed of the Monte Carlo generator (and of the filtered historical bootstrap).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// EWMA decay λ of the filtered historical simulation.
    #[arg(
        long,
        default_value_t = ballast::analysis::DEFAULT_EWMA_LAMBDA,
        value_name = "LAMBDA",
        allow_negative_numbers = true
    )]
    pub lambda: f64,
    /// Equity the losses are shown against, USD (default: the book's value).
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub equity: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The Monte Carlo distribution's name on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum McKind {
    Gaussian,
    StudentT,
}

#[derive(Args, Debug)]
pub struct VarBacktestArgs {
    /// Price file or folder (any layout `risk` reads); the portfolio's history is every date
    /// where each held asset has a price.
    #[arg(long, value_name = "FILE|DIR", required_unless_present = "portfolio")]
    pub prices: Option<PathBuf>,
    /// A portfolio file instead of --prices and --weights: its [data] prices and its
    /// holdings' weights at their last prices (cash left out); a file with derivative
    /// [[position]]s: today's book revalued on each past day's moves (hypothetical P&L).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["prices", "weights", "normalize"])]
    pub portfolio: Option<PathBuf>,
    /// Which price of OHLCV bars to read.
    #[arg(long, value_enum, value_name = "FIELD")]
    pub price_field: Option<PriceField>,
    /// Portfolio weights, e.g. BTC=1 or BTC=0.6,ETH=0.4 (rebalanced every day; must sum to 1
    /// unless --normalize).
    #[arg(long, value_name = "A=w,...", required_unless_present = "portfolio")]
    pub weights: Option<String>,
    /// Rescale the weights to sum to 1.
    #[arg(long)]
    pub normalize: bool,
    /// VaR models to roll.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = vec![VarModel::Historical, VarModel::FilteredHistorical])]
    pub model: Vec<VarModel>,
    /// Returns in each estimation window (at most 10000).
    #[arg(long, default_value_t = 250, value_name = "N", allow_negative_numbers = true)]
    pub window: usize,
    /// Confidence levels.
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.99, 0.95], allow_negative_numbers = true)]
    pub confidence: Vec<f64>,
    /// EWMA decay λ of the filtered historical model.
    #[arg(
        long,
        default_value_t = ballast::analysis::DEFAULT_EWMA_LAMBDA,
        value_name = "LAMBDA",
        allow_negative_numbers = true
    )]
    pub lambda: f64,
    /// Simulated returns per forecast of the monte-carlo model (100 … 1000000).
    #[arg(
        long,
        default_value_t = 10_000,
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub draws: usize,
    /// Seed of the monte-carlo model (the same draws in every window).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Student-t degrees of freedom of the monte-carlo model (default: from each window's
    /// excess kurtosis, normal when it is ≤ 0).
    #[arg(long, value_name = "NU", allow_negative_numbers = true)]
    pub dof: Option<f64>,
    /// Last date of the history (default: the last date in the file).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end: Option<Date>,
    /// Equity a book's P&L is a fraction of, USD (default: the book's value).
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub equity: Option<f64>,
    /// Directory for one SVG chart per model and confidence (P&L, VaR line, exceptions).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format (JSON: per model and confidence, the tests, exception dates and VaR
    /// series).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
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
    #[arg(long, value_enum, value_delimiter = ',', required_unless_present_any = ["beta", "min_variance", "tail"], conflicts_with_all = ["beta", "min_variance", "tail"])]
    pub neutral: Vec<HedgeGreek>,
    /// Tail hedge: the least-premium out-of-the-money puts and put spreads (at the ask, fees
    /// included) keeping the book's loss within this many USD in every crisis of the stress
    /// library, every down-move of its grid and the file's [[stress]] scenarios.
    #[arg(long, value_name = "USD", allow_negative_numbers = true, conflicts_with_all = ["beta", "min_variance", "using", "band"])]
    pub tail: Option<f64>,
    /// With --tail: buy puts only (no put spreads).
    #[arg(long, requires = "tail")]
    pub no_spreads: bool,
    /// Hedge the holdings' market beta with perpetuals: the beta to reach per instrument
    /// (default 0, market neutral), with --perps naming the instruments.
    #[arg(long, value_delimiter = ',', value_name = "BETA,...", num_args = 0.., allow_negative_numbers = true, conflicts_with = "min_variance")]
    pub beta: Option<Vec<f64>>,
    /// Minimum-variance hedge of the holdings with these perpetuals, e.g.
    /// BTC-PERPETUAL,ETH-PERPETUAL.
    #[arg(long, value_delimiter = ',', value_name = "PERP,...")]
    pub min_variance: Option<Vec<String>>,
    /// Perpetuals of the --beta hedge [default: BTC-PERPETUAL].
    #[arg(long, value_delimiter = ',', value_name = "PERP,...", requires = "beta")]
    pub perps: Option<Vec<String>>,
    /// Days of history for the hedge's walk-forward test (refits on the file's [data] window).
    #[arg(long, default_value_t = 1825, allow_negative_numbers = true)]
    pub history: usize,
    /// Crisis days of the walk-forward test: the first instrument's worst days at this quantile.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub crisis_quantile: f64,
    /// Funding-rate CSV (Binance format) for the hedge's funding cost over the last 30 days.
    #[arg(long, value_name = "FILE")]
    pub funding: Option<PathBuf>,
    /// Hedge instruments (Deribit names); default: each coin's perpetual plus every option
    /// with a two-sided quote.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub using: Option<Vec<String>>,
    /// Allowed residuals, e.g. delta=0.05,vega=50 (delta in coins, gamma per USD, vega USD per vol
    /// point); default 0.
    #[arg(long, value_name = "GREEK=X,...")]
    pub band: Option<String>,
    /// Fee on perpetual/future notional, basis points.
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub fee_bps: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct SurfaceArgs {
    /// Deribit option chain CSV.
    pub chain: PathBuf,
    /// Weights of the market points in the SVI fit.
    #[arg(long, value_enum, default_value_t = SmileWeights::Vega)]
    pub weights: SmileWeights,
    /// Value every option at this instant (ISO 8601 UTC) instead of each quote's timestamp.
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<jiff::Timestamp>,
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
    /// Deribit option chain CSV (the layout of ../shared/data/deribit_*_options_*.csv): Greeks
    /// of every option in it.
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Value every option at this instant (ISO 8601 UTC) instead of each quote's timestamp.
    #[arg(long, value_name = "TIMESTAMP", requires = "chain")]
    pub as_of: Option<jiff::Timestamp>,
    /// Factor risk of the book's delta exposures (USD per underlying) under this model:
    /// market:BTC, explicit:BTC,ETH, pca:2. Needs --prices.
    #[arg(long, value_name = "MODEL", requires = "prices", conflicts_with = "chain")]
    pub factors: Option<FactorModelSpec>,
    /// Daily prices for --factors (any layout of --prices elsewhere).
    #[arg(long, value_name = "FILE|DIR", requires = "factors")]
    pub prices: Option<PathBuf>,
    /// Returns in the --factors window (ending at the price file's last date).
    #[arg(long, value_name = "N", default_value_t = 365)]
    pub window: usize,
    /// Output format (csv: --chain only).
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// Where the prices come from and which window to use.
#[derive(Args, Debug, Clone)]
pub struct WindowArgs {
    /// Price file or folder: wide `date,BTC,ETH,...`, long `date,symbol,price`, one coin's
    /// OHLCV bars, or a folder of OHLCV files; an empty cell means no price.
    #[arg(long, value_name = "FILE|DIR")]
    pub prices: PathBuf,
    /// Which price of OHLCV bars to read.
    #[arg(long, value_enum, value_name = "FIELD")]
    pub price_field: Option<PriceField>,
    /// Comma-separated assets, e.g. BTC,ETH,SOL (default: every asset with a complete window).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub assets: Option<Vec<String>>,
    /// Number of returns in the window (the window holds N+1 price rows; at most 10000).
    #[arg(long, default_value_t = 730, value_name = "N", allow_negative_numbers = true)]
    pub window: usize,
    /// Last date of the window (default: the last date in the file).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end: Option<Date>,
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

/// How to estimate the covariance.
#[derive(Args, Debug, Clone)]
pub struct CovArgs {
    /// Covariance estimator.
    #[arg(long = "cov", visible_alias = "estimator", value_enum, default_value_t = CovarianceMethod::Sample)]
    pub estimator: CovarianceMethod,
    /// EWMA decay λ for --cov ewma / ccc-ewma [default: 0.94].
    #[arg(long, value_name = "LAMBDA")]
    pub ewma_lambda: Option<f64>,
    /// If the covariance is not positive definite, use its nearest positive-definite repair
    /// (eigenvalues floored, Higham 1988) instead of stopping; the output says so.
    #[arg(long)]
    pub repair_psd: bool,
    /// Which returns: one common window of complete coins (common), or every coin with each
    /// pair over the dates both have (pairwise, pandas/PyPortfolioOpt; --cov sample; repaired
    /// to positive definite by nearest correlation, Higham 2002, when needed) [default: common].
    #[arg(long, value_enum, default_value_t = History::Common)]
    pub history: History,
    /// With --history pairwise: the fewest common returns any pair may have [default: 60].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub min_overlap: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Portfolio file (TOML), e.g. examples/portfolio.toml (holdings and a target) or
    /// examples/derivatives.toml (a book with derivatives).
    pub portfolio: PathBuf,
    /// Directory for the charts of a derivatives book (the stress grid heat map).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct AccountsArgs {
    /// Portfolio file with the snapshot: [market], [data] (the VaR's history) and [margin]
    /// deribit_params, e.g. examples/derivatives.toml (its own positions are not used).
    pub portfolio: PathBuf,
    /// Positions: CSV `account,instrument,size` (options in coins, inverse futures in USD).
    #[arg(long, value_name = "FILE")]
    pub positions: PathBuf,
    /// Equity per account: CSV `account,equity_btc,equity_eth` (coins).
    #[arg(long, value_name = "FILE")]
    pub equity: PathBuf,
    /// Write one row per account and settlement currency to this CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// Output format: the summary and timing; JSON adds every account unless --out writes them.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct GarchArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// The asset to model.
    #[arg(long)]
    pub asset: String,
    /// Innovation distribution.
    #[arg(long, value_enum, default_value_t = GarchDist::Normal)]
    pub dist: GarchDist,
    /// Forecast horizon in days (1 to 3650).
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    pub horizon: usize,
}

#[derive(Args, Debug)]
pub struct FrontierArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub cov: CovArgs,
    /// Number of frontier portfolios (2 to 500).
    #[arg(long, default_value_t = 20, allow_negative_numbers = true)]
    pub points: usize,
    /// Write an SVG chart of the frontier.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
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
    #[command(flatten)]
    pub cov: CovArgs,
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
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.95, 0.99], allow_negative_numbers = true)]
    pub confidence: Vec<f64>,
    /// Factor risk: exposures, systematic/idiosyncratic variance and factor risk contributions
    /// under a factor model (market:BTC, explicit:BTC,ETH, pca:3); factor coins need not be held.
    #[arg(long, value_name = "MODEL")]
    pub factors: Option<FactorModelSpec>,
    /// Prices of explicit factors that are not coins (a wide date,NAME,... CSV or any price
    /// layout): each needs a price on every date of the window.
    #[arg(long, value_name = "FILE", requires = "factors")]
    pub factor_prices: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct FactorsArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// The covariance whose principal components pca: takes.
    #[command(flatten)]
    pub cov: CovArgs,
    /// Factor model: market:BTC, market:equal-weight, explicit:BTC,ETH, pca:3 or pca:0.8.
    #[arg(long, value_name = "MODEL")]
    pub model: FactorModelSpec,
    /// Residual variance SSR/(T − ddof): sample (ddof 1, Riskfolio/skfolio) or regression
    /// (ddof K+1, statsmodels) [default: sample].
    #[arg(long, value_enum)]
    pub residual_ddof: Option<ResidualDdof>,
    /// Exponentially weighted regression with this half-life in days.
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    pub half_life: Option<f64>,
    /// Shrink market-model betas: blume (0.67 β + 0.33) or vasicek.
    #[arg(long, value_enum)]
    pub beta_adjustment: Option<BetaAdjustment>,
    /// Rolling betas: refit on every N consecutive returns of the window (e.g. 90).
    #[arg(long, value_name = "N")]
    pub rolling: Option<usize>,
    /// Days between rolling fits.
    #[arg(long, value_name = "DAYS", default_value_t = 1, requires = "rolling")]
    pub step: usize,
    /// With --rolling: a book's weights (BTC=0.5,SOL=0.5), to chart its factor exposures.
    #[arg(long, value_name = "A=w,...", requires = "rolling")]
    pub weights: Option<String>,
    /// With --rolling: write a chart of the betas (or of the book's exposures) as SVG.
    #[arg(long, value_name = "FILE", requires = "rolling")]
    pub svg: Option<std::path::PathBuf>,
    /// Prices of explicit factors that are not coins (a wide date,NAME,... CSV or any price
    /// layout): each needs a price on every date of the window.
    #[arg(long, value_name = "FILE")]
    pub factor_prices: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CovarianceArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub cov: CovArgs,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["portfolio", "replay_deribit", "liquidation"])))]
pub struct MarginArgs {
    /// Portfolio file with [[position]]s, a [market] section and [margin] (deribit_params,
    /// equity; [margin.binance] brackets, equity for Binance USDⓈ-M perpetuals): margins per
    /// account, utilisation, liquidation moves, exposure per venue.
    pub portfolio: Option<PathBuf>,
    /// A saved Deribit `private/pme/simulate` response (the JSON-RPC envelope or its result):
    /// recompute it and compare every margin field and risk-vector entry with Deribit's.
    #[arg(long, value_name = "RESPONSE.json", conflicts_with = "portfolio")]
    pub replay_deribit: Option<PathBuf>,
    /// With PORTFOLIO: the margin after these trades, e.g.
    /// BTC-PERPETUAL=+10000,BTC-26JUN26-80000-P=-5 (inverse: USD notional; options: coins).
    #[arg(
        long,
        value_name = "INSTRUMENT=SIZE,...",
        requires = "portfolio",
        allow_hyphen_values = true
    )]
    pub what_if: Option<String>,
    /// Liquidation price of one isolated perpetual position under this venue's rules.
    #[arg(long, value_enum, value_name = "VENUE", conflicts_with_all = ["replay_deribit", "portfolio"])]
    pub liquidation: Option<ballast::margin::liquidation::Venue>,
    /// linear (size in coins) or inverse (size in USD).
    #[arg(long, value_enum, default_value_t = ballast::margin::liquidation::Contract::Linear, requires = "liquidation")]
    pub contract: ballast::margin::liquidation::Contract,
    /// long or short.
    #[arg(long, value_enum, requires = "liquidation")]
    pub side: Option<LiquidationSide>,
    /// Position size: coins (linear) or USD notional (inverse).
    #[arg(long, requires = "liquidation", allow_negative_numbers = true)]
    pub size: Option<f64>,
    /// Entry price, USD.
    #[arg(long, requires = "liquidation", allow_negative_numbers = true)]
    pub entry: Option<f64>,
    /// Leverage: the isolated wallet is notional / leverage.
    #[arg(long, requires = "liquidation", allow_negative_numbers = true)]
    pub leverage: Option<f64>,
    /// Isolated wallet balance (USD linear, coin inverse) instead of --leverage.
    #[arg(
        long,
        requires = "liquidation",
        allow_negative_numbers = true,
        conflicts_with = "leverage"
    )]
    pub wallet: Option<f64>,
    /// A flat maintenance margin rate (0.004 = 0.4 %).
    #[arg(
        long,
        requires = "liquidation",
        allow_negative_numbers = true,
        conflicts_with = "brackets"
    )]
    pub mmr: Option<f64>,
    /// Maintenance amount with --mmr (Binance cum, Bybit deduction).
    #[arg(long, default_value_t = 0.0, requires = "mmr", allow_negative_numbers = true)]
    pub cum: f64,
    /// Binance leverage-bracket file (leverageBracket layout); with --symbol.
    #[arg(long, value_name = "FILE", requires = "symbol")]
    pub brackets: Option<PathBuf>,
    /// Symbol of the bracket file, e.g. BTCUSDT.
    #[arg(long, requires = "brackets")]
    pub symbol: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Side of a position.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiquidationSide {
    Long,
    Short,
}
