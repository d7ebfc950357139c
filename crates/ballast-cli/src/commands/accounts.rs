//! `ballast accounts PORTFOLIO --positions FILE --equity FILE [--out FILE.csv]`

use super::json;
use crate::args::{AccountsArgs, Format};
use crate::table::{fixed, pct, plural, Table};
use anyhow::{Context, Result};
use ballast::margin::accounts::{AccountPositions, AccountRisk};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct AccountJson<'a> {
    account: i64,
    #[serde(flatten)]
    risk: &'a AccountRisk,
}

#[derive(Serialize)]
struct Summary<'a> {
    accounts: usize,
    positions: usize,
    margined: usize,
    errors: Vec<(i64, String)>,
    /// Seconds to load the snapshot and revalue the unit instruments.
    load_seconds: f64,
    /// Seconds to margin every account.
    margin_seconds: f64,
    accounts_per_second: f64,
    threads: usize,
    history: (String, String, usize),
    /// The spot-only moves behind accounts without options, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    price_history: Option<(String, String, usize)>,
    /// Every account (left out with `--out`, which writes them to the CSV).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    results: Vec<AccountJson<'a>>,
}

pub fn run(a: &AccountsArgs) -> Result<String> {
    let t0 = std::time::Instant::now();
    let pf = ballast::io::read_portfolio(&a.portfolio)?;
    let engine = ballast::io::load_account_engine(&pf).with_context(|| a.portfolio.display().to_string())?;
    let load_seconds = t0.elapsed().as_secs_f64();
    let rows = ballast::io::read_account_positions(&a.positions)?;
    let equity = ballast::io::read_account_equity(&a.equity)?;
    let t1 = std::time::Instant::now();
    let results = engine.accounts(
        AccountPositions {
            account: &rows.account,
            instrument: &rows.instrument,
            size: &rows.size,
        },
        &equity,
    )?;
    let margin_seconds = t1.elapsed().as_secs_f64();
    let ok: Vec<(i64, &AccountRisk)> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().ok().map(|r| (*i, r)))
        .collect();
    let errors: Vec<(i64, String)> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (*i, e.to_string())))
        .collect();
    if let Some(path) = &a.out {
        write_csv(path, &ok)?;
        eprintln!("wrote {}", path.display());
    }
    let (h0, h1, hn) = engine.history();
    let summary = Summary {
        accounts: results.len(),
        positions: rows.account.len(),
        margined: ok.len(),
        errors,
        load_seconds,
        margin_seconds,
        accounts_per_second: results.len() as f64 / margin_seconds.max(1e-9),
        threads: rayon_threads(),
        history: (h0.to_string(), h1.to_string(), hn),
        price_history: engine
            .price_history()
            .filter(|p| *p != (h0, h1, hn))
            .map(|(a, b, n)| (a.to_string(), b.to_string(), n)),
        results: if a.out.is_some() && a.format == Format::Json {
            Vec::new()
        } else {
            ok.iter()
                .map(|(i, r)| AccountJson { account: *i, risk: r })
                .collect()
        },
    };
    match a.format {
        Format::Json => json(&summary),
        Format::Table => Ok(table(&summary)),
    }
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn write_csv(path: &std::path::Path, ok: &[(i64, &AccountRisk)]) -> Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    writeln!(w, "account,currency,equity,initial_margin,maintenance_margin,margin_utilisation,free_collateral,var_99_usd,es_99_usd")?;
    for (i, r) in ok {
        for c in &r.currencies {
            writeln!(
                w,
                "{i},{},{},{},{},{},{},{},{}",
                c.currency,
                c.equity,
                c.initial_margin,
                c.maintenance_margin,
                c.margin_utilisation,
                c.free_collateral,
                r.var_99_usd,
                r.es_99_usd
            )?;
        }
    }
    Ok(w.flush()?)
}

fn table(s: &Summary) -> String {
    let mut out = format!(
        "{} with {}: {} margined, {} could not be ({} threads)\nSnapshot and unit revaluation {:.2} s; margin and VaR of every account {:.2} s = {:.0} accounts/s\nVaR: one-day 99 %, full revaluation on {} historical moves ({} → {})\n",
        plural(s.accounts, "account"),
        plural(s.positions, "position"),
        s.margined,
        s.errors.len(),
        s.threads,
        s.load_seconds,
        s.margin_seconds,
        s.accounts_per_second,
        s.history.2,
        s.history.0,
        s.history.1
    );
    if let Some((a, b, n)) = &s.price_history {
        out += &format!(
            "     accounts without options: {n} moves of spot alone ({a} → {b}), as `ballast var`\n"
        );
    }
    for (i, e) in s.errors.iter().take(5) {
        out += &format!("  account {i}: {e}\n");
    }
    let mut rows: Vec<(i64, &str, f64, f64, f64)> = s
        .results
        .iter()
        .flat_map(|r| {
            r.risk.currencies.iter().map(move |c| {
                (
                    r.account,
                    c.currency.as_str(),
                    c.margin_utilisation,
                    c.maintenance_margin,
                    r.risk.var_99_usd,
                )
            })
        })
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2));
    out += "\nHighest maintenance-margin utilisation\n";
    let mut t = Table::new([
        "account",
        "currency",
        "utilisation",
        "maintenance margin",
        "VaR 99 % (USD)",
    ]);
    for (i, c, u, mm, v) in rows.iter().take(10) {
        t.row([i.to_string(), c.to_string(), pct(*u), fixed(*mm, 4), fixed(*v, 0)]);
    }
    out + &t.render()
}
