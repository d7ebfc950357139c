//! `ballast report PORTFOLIO.toml` — the main job.

use super::{json, repair_note, tail_table, window_line};
use crate::args::{Format, ReportArgs};
use crate::table::{fixed, num, pct, plural, pp, usd, Table};
use anyhow::Result;
use ballast::io::{read_portfolio, read_portfolio_prices};
use ballast::portfolio::{analyze, PortfolioReport};
use ballast::rebalance::Band;

pub fn run(a: &ReportArgs) -> Result<String> {
    let pf = read_portfolio(&a.portfolio)?;
    if !pf.positions.is_empty() {
        if pf.market.is_none() {
            anyhow::bail!(
                "{}: the file has {} derivative [[position]] entries: the report of a derivatives book needs a [market] section (chains = [\"...options.csv\"], futures, vol_history) to value them",
                a.portfolio.display(),
                pf.positions.len()
            );
        }
        return super::book_var::report(a, &pf);
    }
    if a.out.is_some() {
        anyhow::bail!("--out writes the charts of a derivatives book; this file has only holdings");
    }
    let panel = read_portfolio_prices(&pf)?;
    let r = analyze(&pf, &panel)?;
    match a.format {
        Format::Json => json(&r),
        Format::Table => Ok(table(&r)),
    }
}

fn table(r: &PortfolioReport) -> String {
    let p = &r.plan;
    let mut out = format!(
        "Ballast risk report — {}   as of {}\n",
        r.name.as_deref().unwrap_or("portfolio"),
        r.as_of
    );
    out += &format!("Data: {}\n", r.prices_file);
    out += &window_line(&r.window);
    out += &repair_note(&r.covariance.info());
    out += &format!(
        "Covariance: {}{}, annualised ×{}\n\n",
        r.covariance.estimator,
        r.covariance
            .shrinkage
            .map(|d| format!(" (shrinkage δ = {d:.4})"))
            .unwrap_or_default(),
        r.covariance.periods_per_year,
    );
    out += &format!(
        "Portfolio value {} USD, of which cash {} USD ({})\n\n",
        usd(p.value_usd),
        usd(r.cash_usd),
        pct(p.current_cash)
    );
    out += &format!("Holdings, risk contributions and target ({}", r.target.method);
    if let Some(v) = &r.target.vol_target {
        out += &format!(
            ", vol target {} → scale ×{:.3}{}",
            pct(v.target),
            v.scale,
            if v.leverage_capped { ", capped" } else { "" }
        );
    }
    out += ")\n";
    out += &holdings_table(r);
    out += &format!(
        "\nRisk now: annual volatility {}, max drawdown {} over the window\n",
        pct(r.current_risk.volatility_annual),
        pct(r.current_risk.drawdown.max_drawdown)
    );
    out += &tail_table(&r.current_risk);
    if let Some((now, _)) = &r.factor_risk {
        out += &super::factors::risk_table(now);
    }
    out += &rebalance_section(r);
    out
}

/// Each holding and cash: units, price, value, weight, vol, risk contribution, target, drift.
fn holdings_table(r: &PortfolioReport) -> String {
    let p = &r.plan;
    let vols = r.covariance.volatilities();
    let vals = r.values();
    let mut t = Table::new([
        "asset",
        "units",
        "price USD",
        "value USD",
        "weight",
        "vol",
        "risk contr.",
        "target",
        "drift",
        "target RC",
    ]);
    for i in 0..r.assets.len() {
        t.row([
            r.assets[i].clone(),
            num(r.units[i]),
            num(r.prices[i]),
            usd(vals[i]),
            pct(p.current[i]),
            pct(vols[i]),
            pct(r.current_risk.risk_contributions[i]),
            pct(r.target.weights[i]),
            pp(p.drift[i]),
            pct(r.target.risk_contributions[i]),
        ]);
    }
    t.row([
        "cash".to_string(),
        String::new(),
        String::new(),
        usd(r.cash_usd),
        pct(p.current_cash),
        pct(0.0),
        pct(0.0),
        pct(r.target.cash),
        pp(p.current_cash - r.target.cash),
        pct(0.0),
    ]);
    t.render()
}

/// The band, and when it is breached, the trades, fees and the risk after them.
fn rebalance_section(r: &PortfolioReport) -> String {
    let p = &r.plan;
    let band = match r.band {
        Band::Relative(b) => format!("relative band {} of target", pct(b)),
        Band::Absolute(b) => format!("absolute band ±{:.2} pp", 100.0 * b),
    };
    let mut out = format!("\nRebalance ({band}, fee {} bps): ", r.fee_bps);
    if !p.rebalance {
        out += "every weight is inside the band — no trades.\n";
        return out;
    }
    out += &format!(
        "{} outside the band ({}) → trade to target\n",
        plural(p.breached.len(), "asset"),
        p.breached.join(", ")
    );
    let mut tt = Table::new(["asset", "side", "units", "price USD", "notional USD", "fee USD"]);
    for tr in &p.trades {
        tt.row([
            tr.asset.clone(),
            tr.side.to_string(),
            num(tr.units),
            num(tr.price),
            usd(tr.notional_usd),
            usd(tr.cost_usd),
        ]);
    }
    out += &tt.render();
    out += &format!(
        "  turnover {} of value, fees {} USD\n",
        pct(p.turnover),
        usd(p.fees_usd)
    );
    out += &format!(
        "\nRisk after trades: annual volatility {} (was {}), max drawdown {} (was {})\n",
        pct(r.post_risk.volatility_annual),
        pct(r.current_risk.volatility_annual),
        pct(r.post_risk.drawdown.max_drawdown),
        pct(r.current_risk.drawdown.max_drawdown),
    );
    out += &tail_table(&r.post_risk);
    if let Some((now, after)) = &r.factor_risk {
        let betas = |f: &ballast::risk::FactorRisk| {
            f.factors
                .iter()
                .zip(&f.exposures)
                .map(|(n, b)| format!("{n} {}", fixed(*b, 3)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out += &format!(
            "\nFactor exposure after trades ({}): {} (was {}); systematic {} of the model variance (was {})\n",
            after.model,
            betas(after),
            betas(now),
            pct(after.systematic_fraction),
            pct(now.systematic_fraction)
        );
    }
    out
}
