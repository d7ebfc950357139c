//! `ballast var PORTFOLIO`

use super::json;
use crate::args::{Format, McKind, VarArgs};
use crate::table::{pct, usd0 as usd, Table};
use anyhow::{Context, Result};
use ballast::analysis::{BookVarReport, BookVarRequest};
use ballast::scenario::McDistribution;
use ballast::scenario::McSpec;

pub fn run(a: &VarArgs) -> Result<String> {
    let pf = ballast::io::read_portfolio(&a.portfolio)?;
    let (book, prices, vol) = super::stress::load_book_data(&pf)?;
    let monte_carlo = (a.scenarios > 0).then_some(McSpec {
        scenarios: a.scenarios,
        horizon_days: 1,
        distribution: match a.distribution {
            McKind::Gaussian => McDistribution::Gaussian,
            McKind::StudentT => McDistribution::StudentT(a.dof),
        },
        seed: a.seed,
    });
    if a.dof.is_some() && a.distribution == McKind::Gaussian {
        anyhow::bail!("--dof is the Student-t's degrees of freedom: it needs --distribution student-t");
    }
    let r = ballast::analysis::book_var(
        &book,
        &BookVarRequest {
            prices: &prices,
            vol_history: vol.as_ref(),
            confidences: a.confidence.as_deref().unwrap_or(&pf.risk.confidence),
            window: a.window.unwrap_or_else(|| pf.window()),
            end: pf.data.as_ref().and_then(|d| d.end),
            monte_carlo,
            equity_usd: a.equity,
            lambda: a.lambda,
        },
    )
    .with_context(|| a.portfolio.display().to_string())?;
    match a.format {
        Format::Json => json(&r),
        Format::Table => Ok(table(&r, pf.name.as_deref().unwrap_or("book"))),
    }
}

pub(crate) fn table(r: &BookVarReport, name: &str) -> String {
    let mut out = format!(
        "VaR and expected shortfall of {name} — every position revalued (Black-76 on the moved forward and vol)\nHistory: 1-day moves {} → {}; vols: {}{}\n\n",
        r.history.0,
        r.history.1,
        r.vol_source
            .iter()
            .map(|(c, s)| format!("{c} {s}"))
            .collect::<Vec<_>>()
            .join(", "),
        r.equity_usd
            .map_or(String::new(), |e| format!("; equity {} USD", usd(e)))
    );
    let mut t = Table::new([
        "method",
        "days",
        "scenarios",
        "confidence",
        "VaR USD",
        "% equity",
        "ES USD",
        "% equity",
        "√days × 1-day VaR",
        "MC std. error (VaR / ES)",
    ]);
    for b in &r.results {
        for l in &b.lines {
            t.row([
                b.method.to_string(),
                b.horizon_days.to_string(),
                if b.scenarios == 0 {
                    "parametric".into()
                } else {
                    b.scenarios.to_string()
                },
                pct(l.confidence),
                usd(l.var_usd),
                l.var_fraction.map_or("–".into(), pct),
                usd(l.es_usd),
                l.es_fraction.map_or("–".into(), pct),
                l.sqrt_time_var_usd.map_or("–".into(), usd),
                l.standard_error
                    .map_or("–".into(), |s| format!("{} / {}", usd(s.var), usd(s.es))),
            ]);
        }
    }
    out += &t.render();
    // component ES of the worst full-revaluation line (historical, 1 day, highest confidence)
    if let Some((b, l)) = r
        .results
        .iter()
        .filter(|b| b.method == "historical" && b.horizon_days == 1)
        .flat_map(|b| b.lines.last().map(|l| (b, l)))
        .next()
    {
        out += &format!(
            "\nComponent VaR and ES ({} {}-day at {}; they sum to the totals), and incremental: the book's less the book's without the position\n",
            b.method,
            b.horizon_days,
            pct(l.confidence)
        );
        let mut c = Table::new([
            "position",
            "component VaR USD",
            "component ES USD",
            "share of ES",
            "incremental VaR USD",
            "incremental ES USD",
        ]);
        let opt = |x: Option<f64>| x.map_or("–".into(), usd);
        for x in l.by_position.iter().flatten() {
            c.row([
                x.name.clone(),
                usd(x.var_usd),
                usd(x.es_usd),
                pct(x.es_usd / l.es_usd),
                opt(x.incremental_var_usd),
                opt(x.incremental_es_usd),
            ]);
        }
        for x in l.by_underlying.values() {
            c.row([
                format!("all {}", x.name),
                usd(x.var_usd),
                usd(x.es_usd),
                pct(x.es_usd / l.es_usd),
                String::new(),
                String::new(),
            ]);
        }
        out += &c.render();
    }
    out += "\ndelta / delta-gamma-vega: the Taylor expansion from today's Greeks on the same historical moves (where it differs from the full revaluation, the options' convexity matters); delta-normal: parametric, zero mean.\n";
    for w in &r.warnings {
        out += &format!("warning: {}: {}\n", w.position, w.message);
    }
    out
}

/// `ballast report` of a portfolio file with derivative positions: Greeks, VaR/ES by full
/// revaluation (historical, filtered historical and Monte Carlo at the file's confidences) and
/// the stress tests; with `--out`, the stress grid heat map.
pub fn report(a: &crate::args::ReportArgs, pf: &ballast::portfolio::PortfolioFile) -> Result<String> {
    let (book, prices, vol) = super::stress::load_book_data(pf)?;
    let req = BookVarRequest {
        prices: &prices,
        vol_history: vol.as_ref(),
        confidences: &pf.risk.confidence,
        window: pf.window(),
        end: pf.data.as_ref().and_then(|d| d.end),
        monte_carlo: Some(McSpec::default()),
        equity_usd: None,
        lambda: 0.94,
    };
    let r = ballast::analysis::book_report(&book, &req, &pf.stress)
        .with_context(|| a.portfolio.display().to_string())?;
    let mut written = None;
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        let path = dir.join("stress_grid.svg");
        std::fs::write(&path, crate::var_chart::stress_grid(&r.stress)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written = Some(path.display().to_string());
    }
    if a.format == Format::Json {
        return json(&r);
    }
    let name = pf.name.as_deref().unwrap_or("book");
    let g = &r.greeks;
    let mut out = format!(
        "Ballast risk report — {name}   as of {}\nSpot: {}\n\n",
        g.as_of.map(|t| t.to_string()).unwrap_or_default(),
        g.spot
            .iter()
            .map(|(c, s)| format!("{c} {s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out += &super::book::positions_table(g);
    out += "\n";
    out += &super::book::totals_table(
        "Per underlying",
        g.by_underlying.iter().map(|(c, t)| (c.clone(), t)).collect(),
    );
    out += "\n";
    out += &table(&r.var, name);
    out += "\n";
    out += &super::stress::table(&r.stress, name, written);
    Ok(out)
}
