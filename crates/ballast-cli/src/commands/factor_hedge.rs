//! `ballast hedge PORTFOLIO --beta | --min-variance PERPS`: perpetual hedges of a book's
//! market risk.

use super::json;
use crate::args::{Format, HedgeArgs};
use crate::table::{fixed, pct, usd, Table};
use anyhow::{bail, Result};
use ballast::hedge::RegimeStats;
use ballast::io::{perp_coin, read_funding, read_portfolio, read_portfolio_prices};
use ballast::portfolio::{factor_hedge, FactorHedgeReport, FactorHedgeRequest, HedgeMode};

pub fn run(a: &HedgeArgs) -> Result<String> {
    let perps = match (&a.min_variance, &a.perps) {
        (Some(m), _) => m.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => vec!["BTC-PERPETUAL".to_string()],
    };
    if a.min_variance.is_some() && a.perps.is_some() {
        bail!("--perps is for --beta; --min-variance names its perpetuals itself");
    }
    let flag = if a.min_variance.is_some() {
        "--min-variance"
    } else {
        "--perps"
    };
    // perpetuals only: BTC-PERPETUAL, BTCUSDT, BTC_USDC-PERPETUAL (a dated future or a bare coin is not a perpetual)
    if let Some(bad) = perps.iter().find(|p| perp_coin(p.trim()) == p.trim()) {
        bail!("{flag}: '{bad}' is not a perpetual; name perpetuals such as BTC-PERPETUAL or BTCUSDT");
    }
    let instruments: Vec<String> = perps.iter().map(|p| perp_coin(p.trim()).to_string()).collect();
    let mode = match &a.beta {
        Some(t) if t.is_empty() => HedgeMode::Beta {
            target: vec![0.0; instruments.len()],
        },
        Some(t) if t.len() == instruments.len() => HedgeMode::Beta { target: t.clone() },
        Some(t) => bail!(
            "--beta gives {} target betas for {} perpetuals ({}): give one per perpetual, or none for 0",
            t.len(),
            perps.len(),
            perps.join(",")
        ),
        None => HedgeMode::MinVariance,
    };
    let pf = read_portfolio(&a.portfolio)?;
    let panel = read_portfolio_prices(&pf)?;
    let funding = a.funding.as_ref().map(read_funding).transpose()?;
    let req = FactorHedgeRequest {
        instruments,
        mode,
        history: a.history,
        crisis_quantile: a.crisis_quantile,
        funding_days: 30,
    };
    let r = factor_hedge(&pf, &panel, &req, funding.as_ref()).map_err(|e| {
        anyhow::anyhow!(e
            .to_string()
            .replace("crisis_quantile = ", "--crisis-quantile = ")
            .replace("history = ", "--history = "))
    })?;
    match a.format {
        Format::Json => json(&r),
        Format::Table => Ok(table(&r, &perps)),
    }
}

fn table(r: &FactorHedgeReport, perps: &[String]) -> String {
    let h = &r.hedge;
    let mut out = format!(
        "{} hedge of the book ({} on {}) with {}\n\n",
        if h.kind == "beta" {
            "Beta"
        } else {
            "Minimum-variance"
        },
        usd(r.value_usd),
        r.as_of,
        perps.join(", ")
    );
    let mut t = Table::new([
        "perpetual",
        "hedge ratio",
        "notional",
        "beta before",
        "beta after",
    ]);
    for (k, p) in perps.iter().enumerate() {
        t.row([
            p.clone(),
            fixed(h.hedge_ratios[k], 4),
            usd(r.notional_usd[k]),
            fixed(r.betas_before[k], 4),
            fixed(r.betas_after[k], 4),
        ]);
    }
    out += &t.render();
    out += &format!(
        "\nAnnual volatility {} unhedged → {} hedged (variance −{}) over the window\n",
        pct(h.unhedged_vol_annual),
        pct(h.hedged_vol_annual),
        pct(h.variance_reduction)
    );
    if let Some(f) = &r.funding {
        for (k, p) in perps.iter().enumerate() {
            match (f.mean_daily_rate[k], f.through[k]) {
                (Some(rate), Some(d)) => {
                    out += &format!(
                        "Funding of {p}: {} a day on average over the {} days with rates to {d}: {} a year\n",
                        pct(rate),
                        f.days,
                        usd(r.notional_usd[k] * rate * 365.0)
                    )
                }
                _ => {
                    out += &format!(
                        "Funding of {p}: no rate in the funding file on or before {}\n",
                        r.as_of
                    )
                }
            }
        }
        out += &format!(
            "Funding cost of the hedge: {} a year ({}; positive = paid)\n",
            usd(f.cost_usd_annual),
            if f.cost_usd_annual <= 0.0 {
                "received"
            } else {
                "paid"
            }
        );
    }
    match &h.out_of_sample {
        None => out += "\nNo walk-forward test: the common history is too short (--history).\n",
        Some(o) => {
            out += &format!(
                "\nOut of sample (refitted daily on the previous {} days; crisis = {} days ≤ {} ({} quantile)):\n",
                o.fit_window,
                perps[0],
                pct(o.crisis_threshold),
                o.crisis_quantile
            );
            let mut t = Table::new([
                "days",
                "n",
                "corr.",
                "vol unhedged",
                "vol hedged",
                "variance cut",
                "mean unhedged",
                "mean hedged",
                "worst unhedged",
                "worst hedged",
            ]);
            let row = |name: &str, s: &RegimeStats| {
                [
                    name.to_string(),
                    s.days.to_string(),
                    fixed(s.correlation, 2),
                    pct(s.unhedged_vol_annual),
                    pct(s.hedged_vol_annual),
                    pct(s.variance_reduction),
                    pct(s.mean_unhedged),
                    pct(s.mean_hedged),
                    pct(s.worst_unhedged),
                    pct(s.worst_hedged),
                ]
            };
            t.row(row("all", &o.all));
            t.row(row("crisis", &o.crisis));
            t.row(row("calm", &o.calm));
            out += &t.render();
        }
    }
    out
}
