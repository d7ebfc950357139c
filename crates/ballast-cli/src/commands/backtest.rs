//! `ballast backtest STRATEGY.toml [--out DIR]`

use crate::args::{BacktestArgs, Format};
use crate::table::{fixed as num, pct, usd0 as usd, Table};
use crate::{backtest_charts as charts, tearsheet};
use anyhow::{Context, Result};
use ballast::backtest::attribution::{attribution, PeriodAttribution};
use ballast::backtest::metrics::{performance, Performance};
use ballast::backtest::overfit::{
    deflated_sharpe_ratios, probabilistic_sharpe_ratio, probability_of_backtest_overfitting, Pbo,
};
use ballast::backtest::{Backtest, BacktestResult, StrategyRun};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

/// Everything reported about one run.
pub struct Report {
    pub bt: Backtest,
    pub result: BacktestResult,
    pub perf: Vec<Performance>,
    pub bench_perf: Option<Performance>,
    pub psr: Vec<f64>,
    pub dsr: Vec<f64>,
    pub pbo: Option<Pbo>,
    pub attribution: Vec<Vec<PeriodAttribution>>,
    pub seconds: f64,
}

pub fn run(a: &BacktestArgs) -> Result<String> {
    let bt = ballast::io::load_backtest(&a.strategy_file)?;
    let total = (bt.days() * bt.strategies.len()) as u64;
    let bar = if std::io::stderr().is_terminal() && !a.quiet {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} backtest [{bar:40}] {pos}/{len} strategy-days ({eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
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
    let report = analyse(bt, result, seconds);
    if let Some(dir) = &a.out {
        write_outputs(&report, dir)?;
    }
    Ok(match a.format {
        Format::Json => serde_json::to_string_pretty(&summary_json(&report))? + "\n",
        Format::Table => table(&report, a.out.as_deref()),
    })
}

/// Metrics, overfitting statistics and attribution of a finished run.
pub fn analyse(bt: Backtest, result: BacktestResult, seconds: f64) -> Report {
    let dates = &result.runs[0].dates;
    let perf: Vec<Performance> = result
        .runs
        .iter()
        .map(|r| performance(&r.nav, dates, Some(r), 0.0))
        .collect();
    let bench_perf = result
        .benchmark
        .as_ref()
        .map(|(_, nav)| performance(nav, dates, None, 0.0));
    let rets: Vec<Vec<f64>> = result.runs.iter().map(StrategyRun::returns).collect();
    let psr = rets.iter().map(|r| probabilistic_sharpe_ratio(r, 0.0)).collect();
    let dsr = deflated_sharpe_ratios(&rets);
    let pbo = probability_of_backtest_overfitting(&rets, 16);
    let attribution = result.runs.iter().map(|r| attribution(&bt.market, r)).collect();
    Report {
        bt,
        result,
        perf,
        bench_perf,
        psr,
        dsr,
        pbo,
        attribution,
        seconds,
    }
}

fn table(r: &Report, out: Option<&Path>) -> String {
    let bt = &r.bt;
    let dates = &r.result.runs[0].dates;
    let mut s = format!(
        "Backtest{}: {} → {} ({} days), {} strateg{}, start value {} USD\n",
        bt.name.as_deref().map(|n| format!(" — {n}")).unwrap_or_default(),
        dates[0],
        dates.last().expect("dates"),
        dates.len(),
        bt.strategies.len(),
        if bt.strategies.len() == 1 { "y" } else { "ies" },
        usd(bt.initial_value),
    );
    let _ = writeln!(
        s,
        "Source: {}; walk-forward, decisions on data up to each close; 365 days a year\n",
        bt.source
    );
    let mut t = Table::new([
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
    let row = |name: &str, p: &Performance| {
        [
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
    for (run, p) in r.result.runs.iter().zip(&r.perf) {
        t.row(row(&run.name, p));
    }
    if let (Some((b, _)), Some(p)) = (&r.result.benchmark, &r.bench_perf) {
        t.row(row(&format!("{b} buy and hold"), p));
    }
    s += &t.render();
    s += "\n";
    let mut t = Table::new([
        "strategy",
        "rebalance",
        "rebal.",
        "turnover/yr",
        "off target",
        "costs USD",
        "funding USD",
        "worst DD (peak → trough)",
        "PSR",
        "DSR",
    ]);
    for (k, (run, p)) in r.result.runs.iter().zip(&r.perf).enumerate() {
        t.row([
            run.name.clone(),
            bt.strategies[k].policy.describe(),
            p.rebalances.to_string(),
            num(p.turnover_annual, 2),
            pct(p.target_tracking),
            usd(p.costs_usd),
            usd(p.funding_usd),
            format!("{} → {}", p.drawdown.peak, p.drawdown.trough),
            num(r.psr[k], 3),
            num(r.dsr[k], 3),
        ]);
    }
    s += &t.render();
    s += "\nPSR: probability that the true Sharpe ratio is above 0; DSR: above what the best of the\n";
    let _ = writeln!(
        s,
        "{} strategies would show by luck (Bailey & López de Prado).",
        bt.strategies.len()
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
    for (run, st) in r.result.runs.iter().zip(&bt.strategies) {
        if !run.failures.is_empty() {
            let (d, e) = &run.failures[0];
            let _ = writeln!(
                s,
                "warning: '{}': {} rebalance(s) could not be computed and positions were kept; first on {d}: {e}",
                run.name,
                run.failures.len()
            );
        }
        if st.perp && !run.funding_missing.is_empty() {
            let list: Vec<String> = run
                .funding_missing
                .iter()
                .map(|(a, d)| format!("{a} ({d} days)"))
                .collect();
            let _ = writeln!(
                s,
                "warning: '{}': no funding data while holding {} — counted as zero funding",
                run.name,
                list.join(", ")
            );
        }
        if run.impact_missing > 0 {
            let _ = writeln!(
                s,
                "note: '{}': {} trades had no volume data, so no impact cost",
                run.name, run.impact_missing
            );
        }
    }
    let _ = writeln!(
        s,
        "\nRun time: {:.1} ms for {} strategy-days",
        1e3 * r.seconds,
        bt.days() * bt.strategies.len()
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

fn perf_json(p: &Performance) -> Value {
    json!({
        "total_return": p.total_return,
        "annual_return": p.annual_return,
        "annual_volatility": p.annual_volatility,
        "sharpe": p.sharpe,
        "sortino": p.sortino,
        "calmar": p.calmar,
        "max_drawdown": p.drawdown.max_drawdown,
        "max_drawdown_peak": p.drawdown.peak.to_string(),
        "max_drawdown_trough": p.drawdown.trough.to_string(),
        "max_drawdown_recovery": p.drawdown.recovery.map(|d| d.to_string()),
        "longest_underwater_days": p.drawdown.longest_underwater_days,
        "hit_rate": p.hit_rate,
        "skewness": p.skewness,
        "excess_kurtosis": p.excess_kurtosis,
        "var_95": p.var_95,
        "cvar_95": p.cvar_95,
        "turnover_annual": p.turnover_annual,
        "costs_usd": p.costs_usd,
        "funding_usd": p.funding_usd,
        "interest_usd": p.interest_usd,
        "cost_drag_annual": p.cost_drag_annual,
        "rebalances": p.rebalances,
        "target_tracking": p.target_tracking,
        "final_value": p.final_value,
    })
}

/// The JSON summary (also `metrics.json` with `--out`).
pub fn summary_json(r: &Report) -> Value {
    let dates = &r.result.runs[0].dates;
    let strategies: Vec<Value> = r
        .result
        .runs
        .iter()
        .enumerate()
        .map(|(k, run)| {
            let mut v = perf_json(&r.perf[k]);
            v["name"] = json!(run.name);
            v["rebalance_policy"] = json!(r.bt.strategies[k].policy.describe());
            v["psr"] = json!(r.psr[k]);
            v["dsr"] = json!(r.dsr[k]);
            v["failed_rebalances"] = json!(run
                .failures
                .iter()
                .map(|(d, e)| json!({"date": d.to_string(), "reason": e}))
                .collect::<Vec<_>>());
            v["funding_missing_days"] = json!(run
                .funding_missing
                .iter()
                .map(|(a, d)| json!({"asset": a, "days": d}))
                .collect::<Vec<_>>());
            let assets = &r.bt.market.assets;
            let nonzero = |x: &[f64]| {
                Value::Object(
                    assets
                        .iter()
                        .zip(x)
                        .filter(|(_, v)| **v != 0.0)
                        .map(|(a, v)| (a.clone(), json!(v)))
                        .collect(),
                )
            };
            v["attribution"] = json!(r.attribution[k]
                .iter()
                .map(|p| json!({
                    "period": p.period,
                    "days": p.days,
                    "sum_of_returns": p.sum_of_returns,
                    "return_contribution": nonzero(&p.return_contribution),
                    "risk_contribution": nonzero(&p.risk_contribution),
                    "interest": p.interest,
                    "costs": p.costs,
                    "funding": p.funding,
                }))
                .collect::<Vec<_>>());
            v
        })
        .collect();
    json!({
        "name": r.bt.name,
        "start": dates[0].to_string(),
        "end": dates.last().map(|d| d.to_string()),
        "days": dates.len(),
        "periods_per_year": 365,
        "initial_value": r.bt.initial_value,
        "strategies": strategies,
        "benchmark": r.result.benchmark.as_ref().map(|(b, _)| {
            let mut v = perf_json(r.bench_perf.as_ref().expect("benchmark metrics"));
            v["name"] = json!(format!("{b} buy and hold"));
            v
        }),
        "pbo": r.pbo.as_ref().map(|p| json!({"pbo": p.pbo, "blocks": p.blocks, "splits": p.splits})),
        "run_seconds": r.seconds,
    })
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

/// JSON, CSVs, SVG charts and the HTML tear sheet.
fn write_outputs(r: &Report, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let runs = &r.result.runs;
    let dates = &runs[0].dates;
    let assets = &r.bt.market.assets;
    write(
        dir,
        "metrics.json",
        &(serde_json::to_string_pretty(&summary_json(r))? + "\n"),
    )?;
    // daily values
    let mut s = String::from("date");
    for run in runs {
        let _ = write!(s, ",{}", run.name.replace(',', ";"));
    }
    if let Some((b, _)) = &r.result.benchmark {
        let _ = write!(s, ",{b} buy and hold");
    }
    s.push('\n');
    for (k, d) in dates.iter().enumerate() {
        let _ = write!(s, "{d}");
        for run in runs {
            let _ = write!(s, ",{:.2}", run.nav[k]);
        }
        if let Some((_, nav)) = &r.result.benchmark {
            let _ = write!(s, ",{:.2}", nav[k]);
        }
        s.push('\n');
    }
    write(dir, "equity.csv", &s)?;
    // trades, costs, weights, attribution
    let mut tr = String::from("strategy,date,asset,units,price,value_usd,cost_usd,reason\n");
    let mut daily = String::from(
        "strategy,date,value_usd,cash_weight,traded_fraction,costs_usd,funding_usd,interest_usd\n",
    );
    let mut attr = String::from("strategy,period,days,item,return_contribution,risk_contribution\n");
    for (k, run) in runs.iter().enumerate() {
        let name = run.name.replace(',', ";");
        for t in &run.trades {
            let _ = writeln!(
                tr,
                "{name},{},{},{},{},{:.2},{:.4},{}",
                t.date, t.asset, t.units, t.price, t.value, t.cost, t.reason
            );
        }
        for (j, d) in dates.iter().enumerate() {
            let _ = writeln!(
                daily,
                "{name},{d},{:.2},{:.6},{:.6},{:.4},{:.4},{:.4}",
                run.nav[j], run.cash[j], run.traded[j], run.costs[j], run.funding[j], run.interest[j]
            );
        }
        let mut w = String::from("date");
        for a in assets {
            let _ = write!(w, ",{a}");
        }
        w += ",cash\n";
        let n = assets.len();
        for (j, d) in dates.iter().enumerate() {
            let _ = write!(w, "{d}");
            for i in 0..n {
                let _ = write!(w, ",{:.6}", run.weights[j * n + i]);
            }
            let _ = writeln!(w, ",{:.6}", run.cash[j]);
        }
        write(dir, &format!("weights_{}.csv", slug(&run.name)), &w)?;
        for p in &r.attribution[k] {
            for i in 0..n {
                if p.return_contribution[i] != 0.0 || p.risk_contribution[i] != 0.0 {
                    let _ = writeln!(
                        attr,
                        "{name},{},{},{},{:.8},{:.8}",
                        p.period, p.days, assets[i], p.return_contribution[i], p.risk_contribution[i]
                    );
                }
            }
            for (item, v) in [
                ("cash interest", p.interest),
                ("costs", p.costs),
                ("funding", p.funding),
            ] {
                let _ = writeln!(attr, "{name},{},{},{item},{v:.8},", p.period, p.days);
            }
        }
    }
    write(dir, "trades.csv", &tr)?;
    write(dir, "daily.csv", &daily)?;
    write(dir, "attribution.csv", &attr)?;
    // charts
    let series: Vec<(String, Vec<f64>)> = runs.iter().map(|x| (x.name.clone(), x.nav.clone())).collect();
    let bench = r.result.benchmark.as_ref();
    let mut svgs: Vec<(String, String, String)> = vec![
        (
            "equity.svg".into(),
            "Equity curves".into(),
            charts::equity(dates, &series, bench)?,
        ),
        (
            "drawdowns.svg".into(),
            "Drawdowns".into(),
            charts::drawdowns(dates, &series, bench)?,
        ),
        (
            "rolling_vol.svg".into(),
            "Rolling volatility".into(),
            charts::rolling_vol(
                dates,
                &series,
                &r.bt
                    .strategies
                    .iter()
                    .map(|s| s.allocation.vol_target)
                    .collect::<Vec<_>>(),
            )?,
        ),
    ];
    for run in runs {
        let title = format!("Weights — {}", run.name);
        svgs.push((
            format!("weights_{}.svg", slug(&run.name)),
            title.clone(),
            charts::weights(&title, dates, assets, &run.weights, Some(&run.cash), 10)?,
        ));
        let title = format!("Ex-ante risk contributions at each rebalance — {}", run.name);
        svgs.push((
            format!("risk_contributions_{}.svg", slug(&run.name)),
            title.clone(),
            charts::risk_contributions(&title, *dates.last().expect("dates"), assets, &run.rebalances, 10)?,
        ));
    }
    for (file, _, svg) in &svgs {
        write(dir, file, svg)?;
    }
    write(dir, "tearsheet.html", &tearsheet::html(r, &svgs))?;
    Ok(())
}
