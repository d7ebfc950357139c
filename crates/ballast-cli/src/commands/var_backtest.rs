//! `ballast var-backtest`

use super::json;
use crate::args::{Format, VarBacktestArgs};
use crate::input;
use crate::table::{pct, Table};
use anyhow::{Context, Result};
use ballast::analysis::{BookBacktestRequest, VarBacktestReport, VarBacktestRequest};
use ballast::io::{read_prices_with, PriceField};
use ballast::risk::{BacktestSettings, Zone};

pub fn run(a: &VarBacktestArgs) -> Result<String> {
    let field = a.price_field.unwrap_or(PriceField::Close);
    let settings = BacktestSettings {
        window: a.window,
        lambda: a.lambda,
        draws: a.draws,
        seed: a.seed,
        dof: a.dof,
    };
    let (report, name) = match (&a.portfolio, &a.prices, &a.weights) {
        (Some(path), _, _) => {
            let pf = ballast::io::read_portfolio(path)?;
            let end = a.end.or(pf.data.as_ref().and_then(|d| d.end));
            let name = pf.name.clone();
            if !pf.positions.is_empty() {
                let (book, prices, vol) = super::stress::load_book_data(&pf)?;
                let req = BookBacktestRequest {
                    models: &a.model,
                    confidences: &a.confidence,
                    settings,
                    end,
                    equity_usd: a.equity,
                };
                let r = ballast::analysis::book_var_backtest(&book, &prices, vol.as_ref(), &req)
                    .with_context(|| path.display().to_string())?;
                (r, name)
            } else {
                if a.equity.is_some() {
                    anyhow::bail!("--equity applies to a book of [[position]]s; a spot portfolio's returns are already fractions of its value");
                }
                let panel = read_prices_with(pf.prices_path()?, field)?;
                let holdings: Vec<(String, f64)> =
                    pf.holdings.iter().map(|h| (h.asset.clone(), h.units)).collect();
                let pairs = ballast::analysis::holdings_weights(&holdings, &panel, end)
                    .with_context(|| path.display().to_string())?;
                (spot_backtest(&panel, &pairs, true, end, a, settings)?, name)
            }
        }
        (None, Some(prices), Some(weights)) => {
            if a.equity.is_some() {
                anyhow::bail!("--equity applies to a book of [[position]]s (--portfolio FILE)");
            }
            let pairs = input::parse_pairs(weights, "--weights")?;
            let panel = read_prices_with(prices, field)?;
            (
                spot_backtest(&panel, &pairs, a.normalize, a.end, a, settings)?,
                None,
            )
        }
        _ => anyhow::bail!("give --prices and --weights, or --portfolio"),
    };
    let mut written = Vec::new();
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        for b in &report.backtests {
            let name = format!(
                "var_backtest_{}_{}.svg",
                ballast::names::variant_name(&b.backtest.model),
                b.backtest.confidence
            );
            let path = dir.join(&name);
            let svg = crate::var_chart::pnl_against_var(&report, b)?;
            std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path.display().to_string());
        }
    }
    match a.format {
        Format::Json => json(&report),
        Format::Table => Ok(table(&report, name.as_deref(), &written)),
    }
}

fn spot_backtest(
    panel: &ballast::data::PricePanel,
    pairs: &[(String, f64)],
    normalize: bool,
    end: Option<jiff::civil::Date>,
    a: &VarBacktestArgs,
    settings: BacktestSettings,
) -> Result<VarBacktestReport> {
    Ok(ballast::analysis::var_backtest(
        panel,
        &VarBacktestRequest {
            weights: pairs,
            normalize,
            models: &a.model,
            confidences: &a.confidence,
            settings,
            end,
        },
    )?)
}

fn zone(z: Zone) -> &'static str {
    match z {
        Zone::Green => "green",
        Zone::Yellow => "yellow",
        Zone::Red => "red",
    }
}

fn table(r: &VarBacktestReport, name: Option<&str>, written: &[String]) -> String {
    let holding: Vec<String> = r
        .assets
        .iter()
        .zip(&r.weights)
        .map(|(a, w)| format!("{a} {}", pct(*w)))
        .collect();
    let subject = match &r.book {
        Some(b) => format!(
            "{}: today's {} positions revalued on each day's moves (hypothetical P&L over equity {} USD; vols: {})",
            name.unwrap_or("the book"),
            b.positions.len(),
            crate::table::usd0(b.equity_usd),
            b.vol_source
                .iter()
                .map(|(c, s)| format!("{c} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("{} (rebalanced daily)", holding.join(", ")),
    };
    let mut out = format!(
        "VaR backtest of {subject}: {} returns {} → {}{}\n\n",
        r.returns.len(),
        r.dates[0],
        r.dates[r.dates.len() - 1],
        if r.returns_spanning_gaps > 0 {
            format!(
                " ({} span a gap of more than a day: the return runs over it, nothing filled)",
                r.returns_spanning_gaps
            )
        } else {
            String::new()
        }
    );
    let mut t = Table::new([
        "model",
        "confidence",
        "forecasts",
        "exceptions",
        "expected",
        "Kupiec LR (p)",
        "independence LR (p)",
        "cond. coverage LR (p)",
        "traffic light",
        "next-day VaR",
    ]);
    let test = |lr: f64, p: f64| format!("{lr:.3} ({p:.3})");
    for b in &r.backtests {
        let x = &b.backtest;
        t.row([
            ballast::names::variant_name(&b.backtest.model).to_string(),
            pct(x.confidence),
            x.observations.to_string(),
            x.exceptions.to_string(),
            format!("{:.1}", x.expected_exceptions),
            test(x.kupiec.lr, x.kupiec.p_value),
            test(
                x.christoffersen_independence.lr,
                x.christoffersen_independence.p_value,
            ),
            test(x.conditional_coverage.lr, x.conditional_coverage.p_value),
            x.traffic_light.map_or("–".into(), |t| {
                format!("{} ({} in 250)", zone(t.zone), t.exceptions)
            }),
            pct(x.next_var),
        ]);
    }
    out += &t.render();
    out += "\nA p-value below 0.05 rejects the model: Kupiec — the exception rate differs from 1 − confidence; independence — exceptions cluster; conditional coverage — either. Traffic light: the last 250 forecasts at 99 % (Basel: green ≤ 4 exceptions, yellow 5–9, red ≥ 10).\n";
    for p in written {
        out += &format!("wrote {p}\n");
    }
    out
}
