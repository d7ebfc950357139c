//! Everything reported about a finished run: metrics per strategy and for the benchmark,
//! probabilistic and deflated Sharpe ratios, the probability of backtest overfitting, and
//! attribution. [`BacktestReport`] serialises to the JSON of `ballast backtest --format json`
//! (and `metrics.json`).

use super::attribution::{attribution, PeriodAttribution};
use super::metrics::{beta, performance, Performance};
use super::overfit::{
    deflated_sharpe_ratios, probabilistic_sharpe_ratio, probability_of_backtest_overfitting, Pbo,
};
use super::{Backtest, BacktestError, BacktestResult, Failure, StrategyRun};
use crate::data::AssetMap;
use crate::PERIODS_PER_YEAR_DAILY;
use jiff::civil::Date;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Blocks of the combinatorially symmetric cross-validation behind the PBO.
const PBO_BLOCKS: usize = 16;

/// One strategy's report.
#[derive(Debug, Clone)]
pub struct StrategyReport {
    /// The strategy's name.
    pub name: String,
    /// Its rebalancing policy, described.
    pub rebalance_policy: String,
    /// Its metrics.
    pub performance: Performance,
    /// Probabilistic Sharpe ratio against 0.
    pub psr: f64,
    /// Deflated Sharpe ratio among the file's strategies.
    pub dsr: f64,
    /// Beta of the daily returns to the benchmark's over the run (NaN without a benchmark).
    pub beta_to_benchmark: f64,
    /// Rebalances the allocator could not do.
    pub failures: Vec<Failure>,
    /// Days held without funding data, per coin (perpetual books).
    pub funding_missing: Vec<(String, usize)>,
    /// Trades without volume data for the impact term.
    pub impact_missing: usize,
    /// Attribution per calendar year and over the whole run.
    pub attribution: Vec<PeriodAttribution>,
}

/// The report of a run.
#[derive(Debug, Clone)]
pub struct BacktestReport {
    /// The file's name.
    pub name: Option<String>,
    /// The strategy file.
    pub source: String,
    /// First and last dates of the run.
    pub start: Date,
    /// Last date.
    pub end: Date,
    /// Days in the run.
    pub days: usize,
    /// Starting value, USD.
    pub initial_value: f64,
    /// The panel's coins (the order of the attribution vectors).
    pub assets: Vec<String>,
    /// One report per strategy.
    pub strategies: Vec<StrategyReport>,
    /// The buy-and-hold benchmark: its name and metrics.
    pub benchmark: Option<(String, Performance)>,
    /// Probability of backtest overfitting (needs two strategies and 32 days).
    pub pbo: Option<Pbo>,
    /// Seconds the run took.
    pub run_seconds: f64,
}

impl BacktestReport {
    /// Metrics, overfitting statistics and attribution of a finished run of `bt`.
    ///
    /// # Errors
    /// [`BacktestError::Invalid`] when `result` is not a run of `bt` (or is empty).
    pub fn new(bt: &Backtest, result: &BacktestResult, run_seconds: f64) -> Result<Self, BacktestError> {
        let first = result
            .runs
            .first()
            .ok_or_else(|| BacktestError::Invalid("the run has no strategy".into()))?;
        let dates = &first.dates;
        let rets: Vec<Vec<f64>> = result.runs.iter().map(StrategyRun::returns).collect();
        let dsr = deflated_sharpe_ratios(&rets);
        let bench: Option<Vec<f64>> = result
            .benchmark
            .as_ref()
            .map(|(_, nav)| crate::data::simple_returns(nav).collect());
        let strategies = result
            .runs
            .iter()
            .zip(&bt.strategies)
            .zip(rets.iter().zip(&dsr))
            .map(|((run, s), (r, dsr))| {
                Ok(StrategyReport {
                    name: run.name.clone(),
                    rebalance_policy: s.policy.describe(),
                    performance: performance(&run.nav, dates, Some(run), 0.0)?,
                    psr: probabilistic_sharpe_ratio(r, 0.0),
                    dsr: *dsr,
                    beta_to_benchmark: bench.as_ref().map_or(f64::NAN, |b| beta(r, b)),
                    failures: run.failures.clone(),
                    funding_missing: run.funding_missing.clone(),
                    impact_missing: run.impact_missing,
                    attribution: attribution(&bt.market, run)?,
                })
            })
            .collect::<Result<Vec<_>, BacktestError>>()?;
        let benchmark = match &result.benchmark {
            Some((b, nav)) => Some((format!("{b} buy and hold"), performance(nav, dates, None, 0.0)?)),
            None => None,
        };
        Ok(Self {
            name: bt.name.clone(),
            source: bt.source.clone(),
            start: dates[0],
            end: dates[dates.len() - 1],
            days: dates.len(),
            initial_value: bt.initial_value,
            assets: bt.market.assets().to_vec(),
            strategies,
            benchmark,
            pbo: probability_of_backtest_overfitting(&rets, PBO_BLOCKS),
            run_seconds,
        })
    }
}

/// The entries of a period's attribution that are not zero.
struct Nonzero<'a>(&'a [String], &'a [f64]);

impl Serialize for Nonzero<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (a, v) in self.0.iter().zip(self.1) {
            if *v != 0.0 {
                m.serialize_entry(a, v)?;
            }
        }
        m.end()
    }
}

/// JSON: `name`, `start`, `end`, `days`, `periods_per_year`, `initial_value`, `strategies`
/// [{`name`, `rebalance_policy`, every [`Performance`] field, `psr`, `dsr`, `beta_to_benchmark`,
/// `failed_rebalances` [{`date`, `reason`}], `funding_missing_days` [{`asset`, `days`}],
/// `trades_without_volume`, `attribution` [{`period`, `days`, `sum_of_returns`,
/// `return_contribution` {coin: …}, `risk_contribution` {coin: …}, `interest`, `costs`,
/// `funding`, `hedge`}]}], `benchmark` ({`name`, metrics} or null), `pbo` ({`pbo`, `blocks`, `splits`}
/// or null), `run_seconds`.
impl Serialize for BacktestReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Attr<'a> {
            period: &'a str,
            days: usize,
            sum_of_returns: f64,
            return_contribution: Nonzero<'a>,
            risk_contribution: Nonzero<'a>,
            interest: f64,
            costs: f64,
            funding: f64,
            hedge: f64,
        }
        #[derive(Serialize)]
        struct Missing<'a> {
            asset: &'a str,
            days: usize,
        }
        #[derive(Serialize)]
        struct Strategy<'a> {
            name: &'a str,
            rebalance_policy: &'a str,
            #[serde(flatten)]
            performance: &'a Performance,
            psr: f64,
            dsr: f64,
            beta_to_benchmark: Option<f64>,
            failed_rebalances: &'a [Failure],
            funding_missing_days: Vec<Missing<'a>>,
            trades_without_volume: usize,
            attribution: Vec<Attr<'a>>,
        }
        #[derive(Serialize)]
        struct Bench<'a> {
            name: &'a str,
            #[serde(flatten)]
            performance: &'a Performance,
        }
        #[derive(Serialize)]
        struct PboJson {
            pbo: f64,
            blocks: usize,
            splits: usize,
        }
        let a = &self.assets;
        let strategies: Vec<Strategy> = self
            .strategies
            .iter()
            .map(|r| Strategy {
                name: &r.name,
                rebalance_policy: &r.rebalance_policy,
                performance: &r.performance,
                psr: r.psr,
                dsr: r.dsr,
                beta_to_benchmark: r.beta_to_benchmark.is_finite().then_some(r.beta_to_benchmark),
                failed_rebalances: &r.failures,
                funding_missing_days: r
                    .funding_missing
                    .iter()
                    .map(|(asset, days)| Missing { asset, days: *days })
                    .collect(),
                trades_without_volume: r.impact_missing,
                attribution: r
                    .attribution
                    .iter()
                    .map(|p| Attr {
                        period: &p.period,
                        days: p.days,
                        sum_of_returns: p.sum_of_returns,
                        return_contribution: Nonzero(a, &p.return_contribution),
                        risk_contribution: Nonzero(a, &p.risk_contribution),
                        interest: p.interest,
                        costs: p.costs,
                        funding: p.funding,
                        hedge: p.hedge,
                    })
                    .collect(),
            })
            .collect();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("start", &self.start)?;
        m.serialize_entry("end", &self.end)?;
        m.serialize_entry("days", &self.days)?;
        m.serialize_entry("periods_per_year", &PERIODS_PER_YEAR_DAILY)?;
        m.serialize_entry("initial_value", &self.initial_value)?;
        m.serialize_entry("strategies", &strategies)?;
        m.serialize_entry(
            "benchmark",
            &self
                .benchmark
                .as_ref()
                .map(|(name, performance)| Bench { name, performance }),
        )?;
        m.serialize_entry(
            "pbo",
            &self.pbo.as_ref().map(|p| PboJson {
                pbo: p.pbo,
                blocks: p.blocks,
                splits: p.splits,
            }),
        )?;
        m.serialize_entry("run_seconds", &self.run_seconds)?;
        m.end()
    }
}

/// Per-asset values for a table: `AssetMap` over the report's coins.
impl BacktestReport {
    /// `values` (one per coin of the panel) keyed by coin.
    pub fn by_asset<'a>(&'a self, values: &'a [f64]) -> AssetMap<'a> {
        AssetMap::new(&self.assets, values)
    }
}
