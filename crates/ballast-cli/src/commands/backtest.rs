//! `ballast backtest STRATEGY.toml [--out DIR]`

use super::json;
use crate::args::{BacktestArgs, Format};
use crate::backtest_charts::{self as charts, CoinColors};
use crate::table::{fixed as num, pct, plural, usd0 as usd, Table};
use crate::tearsheet;
use anyhow::{Context, Result};
use ballast::backtest::metrics::{drawdown_series, rolling_beta, rolling_volatility, Performance};
use ballast::backtest::{Backtest, BacktestReport, BacktestResult, StrategyRun};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

/// Days of the rolling beta chart.
const BETA_WINDOW: usize = 90;

/// A finished run and its report: what the outputs are made of.
pub struct Outputs<'a> {
    pub bt: &'a Backtest,
    pub result: &'a BacktestResult,
    pub report: &'a BacktestReport,
}

pub fn run(a: &BacktestArgs) -> Result<String> {
    let bt = ballast::io::load_backtest(&a.strategy_file)?;
    let total = (bt.days() * bt.strategies.len()) as u64;
    let bar = if std::io::stderr().is_terminal() && !a.quiet {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} backtest [{bar:40}] {pos}/{len} strategy-days ({eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let t0 = std::time::Instant::now();
    let mut ticks = 0u64;
    let result = bt.run(&mut || {
        ticks += 1;
        if ticks % 512 == 0 {
            bar.set_position(ticks);
        }
    });
    let seconds = t0.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let report = BacktestReport::new(&bt, &result, seconds)?;
    let out = Outputs {
        bt: &bt,
        result: &result,
        report: &report,
    };
    if let Some(dir) = &a.out {
        write_outputs(&out, dir)?;
    }
    match a.format {
        Format::Json => json(&report),
        Format::Table => Ok(table(&out, a.out.as_deref())),
    }
}

fn table(o: &Outputs, out: Option<&Path>) -> String {
    let r = o.report;
    let mut s = format!(
        "Backtest{}: {} → {} ({} days), {}, start value {} USD\n",
        r.name.as_deref().map(|n| format!(" — {n}")).unwrap_or_default(),
        r.start,
        r.end,
        r.days,
        plural(r.strategies.len(), "strategy"),
        usd(r.initial_value),
    );
    let _ = writeln!(
        s,
        "Source: {}; walk-forward, decisions on data up to each close; 365 days a year\n",
        r.source
    );
    s += &performance_table(r);
    s += "\n";
    s += &policy_table(r);
    s += "\n";
    s += &drawdown_table(r);
    s += &overfitting_notes(r);
    s += &warnings(r);
    let _ = writeln!(
        s,
        "\nRun time: {:.1} ms for {} strategy-days",
        1e3 * r.run_seconds,
        r.days * r.strategies.len()
    );
    if let Some(dir) = out {
        let _ = writeln!(
            s,
            "Wrote {}/tearsheet.html, metrics.json, CSVs and SVG charts",
            dir.display()
        );
    }
    s
}

/// Returns and risk of every strategy and the benchmark.
fn performance_table(r: &BacktestReport) -> String {
    let mut t = Table::new([
        "#",
        "strategy",
        "CAGR",
        "vol",
        "Sharpe",
        "Sortino",
        "Calmar",
        "max DD",
        "VaR95",
        "CVaR95",
        "final USD",
    ]);
    let row = |k: String, name: &str, p: &Performance| {
        [
            k,
            name.to_string(),
            pct(p.annual_return),
            pct(p.annual_volatility),
            num(p.sharpe, 2),
            num(p.sortino, 2),
            num(p.calmar, 2),
            pct(p.drawdown.max_drawdown),
            pct(p.var_95),
            pct(p.cvar_95),
            usd(p.final_value),
        ]
    };
    for (k, st) in r.strategies.iter().enumerate() {
        t.row(row((k + 1).to_string(), &st.name, &st.performance));
    }
    if let Some((b, p)) = &r.benchmark {
        t.row(row("B".into(), b, p));
    }
    t.render()
}

/// How each strategy traded: rebalances, turnover, tracking, costs, funding, realised beta
/// to the benchmark, PSR and DSR.
fn policy_table(r: &BacktestReport) -> String {
    let mut t = Table::new([
        "#",
        "rebalancing",
        "rebal.",
        "turnover/yr",
        "off target",
        "costs USD",
        "funding USD (−: earned)",
        "β to B",
        "PSR",
        "DSR",
    ]);
    for (k, st) in r.strategies.iter().enumerate() {
        let p = &st.performance;
        t.row([
            (k + 1).to_string(),
            st.rebalance_policy.clone(),
            p.rebalances.to_string(),
            num(p.turnover_annual, 2),
            pct(p.target_tracking),
            usd(p.costs_usd),
            usd(p.funding_usd),
            num(st.beta_to_benchmark, 2),
            num(st.psr, 3),
            num(st.dsr, 3),
        ]);
    }
    t.render()
}

/// The worst drawdown of each strategy: depth, dates, recovery, longest time under water.
fn drawdown_table(r: &BacktestReport) -> String {
    let mut t = Table::new([
        "#",
        "worst drawdown",
        "peak",
        "trough",
        "recovered",
        "longest under water",
    ]);
    for (k, st) in r.strategies.iter().enumerate() {
        let d = &st.performance.drawdown;
        t.row([
            (k + 1).to_string(),
            pct(d.max_drawdown),
            d.peak.to_string(),
            d.trough.to_string(),
            d.recovery.map_or("not yet".into(), |x| x.to_string()),
            plural(d.longest_underwater_days, "day"),
        ]);
    }
    t.render()
}

/// What PSR and DSR mean, and the probability of backtest overfitting.
fn overfitting_notes(r: &BacktestReport) -> String {
    let mut s = String::from(
        "\nPSR: probability that the true Sharpe ratio is above 0; DSR: above what the best of the\n",
    );
    let _ = writeln!(
        s,
        "{} would show by luck (Bailey & López de Prado).",
        plural(r.strategies.len(), "strategy")
    );
    match &r.pbo {
        Some(p) => {
            let _ = writeln!(
                s,
                "Probability of backtest overfitting (CSCV, {} blocks, {} splits): {:.1} %",
                p.blocks,
                p.splits,
                100.0 * p.pbo
            );
        }
        None => s += "Probability of backtest overfitting: needs at least 2 strategies and 32 days\n",
    }
    s
}

/// Rebalances that failed, holdings without funding data, trades without volume data.
fn warnings(r: &BacktestReport) -> String {
    let mut s = String::new();
    for st in &r.strategies {
        if let Some(f) = st.failures.first() {
            let _ = writeln!(
                s,
                "warning: '{}': {} could not be computed and positions were kept; first on {}: {}",
                st.name,
                plural(st.failures.len(), "rebalance"),
                f.date,
                f.reason
            );
        }
        if !st.funding_missing.is_empty() {
            let list: Vec<String> = st
                .funding_missing
                .iter()
                .map(|(a, d)| format!("{a} ({})", plural(*d, "day")))
                .collect();
            let _ = writeln!(
                s,
                "warning: '{}': no funding data while holding {} — counted as zero funding",
                st.name,
                list.join(", ")
            );
        }
        if st.impact_missing > 0 {
            let _ = writeln!(
                s,
                "note: '{}': {} had no volume data, so no impact cost",
                st.name,
                plural(st.impact_missing, "trade")
            );
        }
    }
    s
}

/// One file-name stem per strategy: its name in lower-case ASCII words joined by '-', or
/// `strategy-K` when nothing is left; a stem already taken gets the strategy's number appended.
fn file_stems(runs: &[StrategyRun]) -> Vec<String> {
    let mut stems: Vec<String> = Vec::with_capacity(runs.len());
    for (k, run) in runs.iter().enumerate() {
        let mut stem = slug(&run.name);
        if stem.is_empty() {
            stem = format!("strategy-{}", k + 1);
        }
        if stems.contains(&stem) {
            stem = format!("{stem}-{}", k + 1);
        }
        stems.push(stem);
    }
    stems
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))
}

/// A CSV file written record by record (fields quoted where they need it).
struct Csv(csv::Writer<Vec<u8>>);

impl Csv {
    fn new<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(header: I) -> Result<Self> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header)?;
        Ok(Self(w))
    }

    fn row<I: IntoIterator<Item = String>>(&mut self, fields: I) -> Result<()> {
        Ok(self.0.write_record(fields.into_iter().collect::<Vec<_>>())?)
    }

    fn save(self, dir: &Path, name: &str) -> Result<()> {
        let bytes = self.0.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        write(dir, name, &String::from_utf8(bytes)?)
    }
}

/// JSON, CSVs, SVG charts and the HTML tear sheet.
fn write_outputs(o: &Outputs, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let assets = o.bt.market.assets();
    write(dir, "metrics.json", &json(o.report)?)?;
    equity_csv(o)?.save(dir, "equity.csv")?;
    trades_csv(o)?.save(dir, "trades.csv")?;
    daily_csv(o)?.save(dir, "daily.csv")?;
    attribution_csv(o)?.save(dir, "attribution.csv")?;
    for (run, stem) in o.result.runs.iter().zip(file_stems(&o.result.runs)) {
        write_weights(dir, run, assets, &stem)?;
        if !run.hedge.is_empty() {
            write_hedge(dir, run, assets, &stem)?;
        }
    }
    let svgs = charts_of(o)?;
    for (file, _, svg) in &svgs {
        write(dir, file, svg)?;
    }
    write(dir, "tearsheet.html", &tearsheet::html(o, &svgs))?;
    Ok(())
}

/// `equity.csv`: date, one column of USD values per strategy, and the benchmark's.
fn equity_csv(o: &Outputs) -> Result<Csv> {
    let runs = &o.result.runs;
    let mut header: Vec<String> = vec!["date".into()];
    header.extend(runs.iter().map(|r| r.name.clone()));
    if let Some((b, _)) = &o.result.benchmark {
        header.push(format!("{b} buy and hold"));
    }
    let mut w = Csv::new(header)?;
    for (k, d) in runs[0].dates.iter().enumerate() {
        let mut rec = vec![d.to_string()];
        rec.extend(runs.iter().map(|r| format!("{:.2}", r.nav[k])));
        if let Some((_, nav)) = &o.result.benchmark {
            rec.push(format!("{:.2}", nav[k]));
        }
        w.row(rec)?;
    }
    Ok(w)
}

/// `trades.csv`: every trade of every strategy, with its cost and reason.
fn trades_csv(o: &Outputs) -> Result<Csv> {
    let mut trades = Csv::new([
        "strategy",
        "date",
        "asset",
        "side",
        "units",
        "price",
        "notional_usd",
        "cost_usd",
        "reason",
    ])?;
    for run in &o.result.runs {
        for t in &run.trades {
            trades.row([
                run.name.clone(),
                t.date.to_string(),
                t.trade.asset.clone(),
                t.trade.side.to_string(),
                t.trade.units.to_string(),
                t.trade.price.to_string(),
                format!("{:.2}", t.trade.notional_usd),
                format!("{:.4}", t.trade.cost_usd),
                ballast::names::variant_name(&t.reason).to_string(),
            ])?;
        }
    }
    Ok(trades)
}

/// `daily.csv`: per strategy and day, value, cash, turnover, costs, funding and interest.
fn daily_csv(o: &Outputs) -> Result<Csv> {
    let mut daily = Csv::new([
        "strategy",
        "date",
        "value_usd",
        "cash_weight",
        "traded_fraction",
        "costs_usd",
        "funding_usd",
        "interest_usd",
    ])?;
    for run in &o.result.runs {
        for (j, d) in run.dates.iter().enumerate() {
            daily.row([
                run.name.clone(),
                d.to_string(),
                format!("{:.2}", run.nav[j]),
                format!("{:.6}", run.cash[j]),
                format!("{:.6}", run.traded[j]),
                format!("{:.4}", run.costs[j]),
                format!("{:.4}", run.funding[j]),
                format!("{:.4}", run.interest[j]),
            ])?;
        }
    }
    Ok(daily)
}

/// `attribution.csv`: per strategy and period (year, `all`), each coin's return and risk
/// contribution, then cash interest, costs and funding.
fn attribution_csv(o: &Outputs) -> Result<Csv> {
    let assets = o.bt.market.assets();
    let mut attr = Csv::new([
        "strategy",
        "period",
        "days",
        "item",
        "return_contribution",
        "risk_contribution",
    ])?;
    for (run, st) in o.result.runs.iter().zip(&o.report.strategies) {
        for p in &st.attribution {
            for (i, a) in assets.iter().enumerate() {
                if p.return_contribution[i] != 0.0 || p.risk_contribution[i] != 0.0 {
                    attr.row([
                        run.name.clone(),
                        p.period.clone(),
                        p.days.to_string(),
                        a.clone(),
                        format!("{:.8}", p.return_contribution[i]),
                        format!("{:.8}", p.risk_contribution[i]),
                    ])?;
                }
            }
            let hedge = [("of which beta hedge", p.hedge)];
            let hedged = if run.hedge.is_empty() {
                &hedge[..0]
            } else {
                &hedge[..]
            };
            for (item, v) in [
                ("cash interest", p.interest),
                ("costs", p.costs),
                ("funding", p.funding),
            ]
            .iter()
            .chain(hedged)
            {
                attr.row([
                    run.name.clone(),
                    p.period.clone(),
                    p.days.to_string(),
                    item.to_string(),
                    format!("{v:.8}"),
                    String::new(),
                ])?;
            }
        }
    }
    Ok(attr)
}

fn write_weights(dir: &Path, run: &StrategyRun, assets: &[String], stem: &str) -> Result<()> {
    let n = assets.len();
    let mut header = vec!["date".to_string()];
    header.extend(assets.iter().cloned());
    header.push("cash".into());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header)?;
    for (j, d) in run.dates.iter().enumerate() {
        let mut rec = vec![d.to_string()];
        rec.extend((0..n).map(|i| format!("{:.6}", run.weights[j * n + i])));
        rec.push(format!("{:.6}", run.cash[j]));
        w.write_record(&rec)?;
    }
    Csv(w).save(dir, &format!("weights_{stem}.csv"))
}

/// `hedge_STEM.csv`: the beta hedge's perp notional / value per hedged coin, every day.
fn write_hedge(dir: &Path, run: &StrategyRun, assets: &[String], stem: &str) -> Result<()> {
    let n = assets.len();
    let cols: Vec<usize> = (0..n)
        .filter(|&i| run.hedge.iter().skip(i).step_by(n).any(|w| *w != 0.0))
        .collect();
    let mut header = vec!["date".to_string()];
    header.extend(cols.iter().map(|&i| format!("{}-PERP", assets[i])));
    let mut w = Csv::new(header)?;
    for (j, d) in run.dates.iter().enumerate() {
        let mut rec = vec![d.to_string()];
        rec.extend(cols.iter().map(|&i| format!("{:.6}", run.hedge[j * n + i])));
        w.row(rec)?;
    }
    w.save(dir, &format!("hedge_{stem}.csv"))
}

/// Every chart as (file, title, SVG text).
fn charts_of(o: &Outputs) -> Result<Vec<(String, String, String)>> {
    let runs = &o.result.runs;
    let dates = &runs[0].dates;
    let assets = o.bt.market.assets();
    let navs: Vec<(String, Vec<f64>)> = runs.iter().map(|x| (x.name.clone(), x.nav.clone())).collect();
    let dds: Vec<(String, Vec<f64>)> = runs
        .iter()
        .map(|x| (x.name.clone(), drawdown_series(&x.nav)))
        .collect();
    let bench_dd = o
        .result
        .benchmark
        .as_ref()
        .map(|(b, nav)| (b.clone(), drawdown_series(nav)));
    let vols: Vec<(String, Vec<f64>)> = runs
        .iter()
        .map(|x| (x.name.clone(), rolling_volatility(&x.returns(), 30)))
        .collect();
    let targets: Vec<Option<f64>> =
        o.bt.strategies
            .iter()
            .map(|s| s.allocation.vol_target.map(|v| v.target))
            .collect();
    let colors = CoinColors::new(
        assets.len(),
        &runs.iter().map(|r| r.weights.as_slice()).collect::<Vec<_>>(),
    );
    let mut svgs: Vec<(String, String, String)> = vec![
        (
            "equity.svg".into(),
            "Equity curves".into(),
            charts::equity(dates, &navs, o.result.benchmark.as_ref())?,
        ),
        (
            "drawdowns.svg".into(),
            "Drawdowns".into(),
            charts::drawdowns(dates, &dds, bench_dd.as_ref())?,
        ),
        (
            "rolling_vol.svg".into(),
            "Rolling volatility".into(),
            charts::rolling_vol(dates, &vols, &targets)?,
        ),
    ];
    if let Some((b, nav)) = &o.result.benchmark {
        let br: Vec<f64> = ballast::data::simple_returns(nav).collect();
        let betas: Vec<(String, Vec<f64>)> = runs
            .iter()
            .map(|x| (x.name.clone(), rolling_beta(&x.returns(), &br, BETA_WINDOW)))
            .collect();
        svgs.push((
            "rolling_beta.svg".into(),
            format!("Rolling beta to {b}"),
            charts::rolling_beta(dates, &betas, b, BETA_WINDOW)?,
        ));
    }
    for (run, stem) in runs.iter().zip(file_stems(runs)) {
        let title = format!("Weights — {}", run.name);
        svgs.push((
            format!("weights_{stem}.svg"),
            title.clone(),
            charts::weights(&title, dates, assets, &run.weights, Some(&run.cash), &colors)?,
        ));
        let title = format!("Ex-ante risk contributions at each rebalance — {}", run.name);
        svgs.push((
            format!("risk_contributions_{stem}.svg"),
            title.clone(),
            charts::risk_contributions(&title, dates[dates.len() - 1], assets, &run.rebalances, &colors)?,
        ));
    }
    Ok(svgs)
}
