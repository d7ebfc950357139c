//! `ballast report PORTFOLIO.toml` — the main job.

use super::{by_asset, risk_json, tail_table, window_json};
use crate::args::{Format, ReportArgs};
use crate::table::{num, pct, pp, usd, Table};
use anyhow::{Context, Result};
use ballast::io::{read_portfolio, read_prices};
use ballast::portfolio::{analyze, PortfolioFile, PortfolioReport};
use serde_json::json;

pub fn run(a: &ReportArgs) -> Result<String> {
    let pf = read_portfolio(&a.portfolio)?;
    let prices_path = pf.prices_path()?;
    let panel =
        read_prices(&prices_path).with_context(|| format!("{}: [data] prices", a.portfolio.display()))?;
    let r = analyze(&pf, &panel).map_err(|e| match e {
        // portfolio-file errors already name the file
        ballast::Error::Portfolio(_) => anyhow::Error::from(e),
        other => anyhow::Error::from(other).context(a.portfolio.display().to_string()),
    })?;
    r.covariance
        .validate()
        .with_context(|| format!("{}: {} covariance", a.portfolio.display(), r.covariance.estimator))?;
    let first_price = r.first_price;
    Ok(match a.format {
        Format::Json => serde_json::to_string_pretty(&to_json(&pf, &r, first_price, &prices_path))? + "\n",
        Format::Table => to_table(&pf, &r, first_price, &prices_path),
    })
}

fn values(r: &PortfolioReport) -> Vec<f64> {
    r.units.iter().zip(&r.prices).map(|(u, p)| u * p).collect()
}

fn to_json(
    pf: &PortfolioFile,
    r: &PortfolioReport,
    first_price: jiff::civil::Date,
    prices: &std::path::Path,
) -> serde_json::Value {
    let p = &r.plan;
    let vols = r.covariance.volatilities();
    let vals = values(r);
    let holdings: Vec<serde_json::Value> = (0..r.assets.len())
        .map(|i| {
            json!({
                "asset": r.assets[i],
                "units": r.units[i],
                "price": r.prices[i],
                "value_usd": vals[i],
                "weight": p.current[i],
                "target_weight": r.target.weights[i],
                "drift": p.drift[i],
                "volatility_annual": vols[i],
                "risk_contribution": r.current_risk.risk_contributions[i],
                "target_risk_contribution": r.target.allocation.risk_contributions[i],
            })
        })
        .collect();
    let trades: Vec<serde_json::Value> = p
        .trades
        .iter()
        .map(|t| {
            json!({"asset": t.asset, "side": t.side.to_string(), "units": t.units, "price": t.price,
                   "notional_usd": t.notional_usd, "fee_usd": t.fee_usd})
        })
        .collect();
    let dates = r.returns.dates();
    let mut target = json!({
        "method": r.target.allocation.method,
        "weights": by_asset(&r.assets, &r.target.weights),
        "cash": r.target.cash,
        "risk_contributions": by_asset(&r.assets, &r.target.allocation.risk_contributions),
        "volatility_annual": r.target.vol_targeted.as_ref().map_or(r.target.allocation.volatility_annual, |v| v.volatility_after),
    });
    if let Some(v) = &r.target.vol_targeted {
        target["vol_target"] = json!({"target": pf.target.as_ref().and_then(|t| t.vol_target), "scale": v.scale,
            "volatility_before": v.volatility_before, "leverage_capped": v.leverage_capped});
    }
    json!({
        "name": r.name,
        "as_of": r.as_of.to_string(),
        "prices": prices.display().to_string(),
        "estimator": r.covariance.estimator,
        "shrinkage": r.covariance.shrinkage,
        "window": window_json(&r.returns, first_price),
        "value_usd": p.value_usd,
        "cash_usd": r.cash_usd,
        "cash_weight": p.current_cash,
        "holdings": holdings,
        "weights": by_asset(&r.assets, &p.current),
        "risk_contributions": by_asset(&r.assets, &r.current_risk.risk_contributions),
        "volatility_annual": r.current_risk.volatility_annual,
        "risk": risk_json(&r.current_risk, &r.assets, dates, first_price, Some(p.value_usd)),
        "target": target,
        "rebalance": {
            "band": pf.rebalance.band,
            "band_type": pf.rebalance.band_type,
            "fee_bps": pf.rebalance.fee_bps,
            "breached": p.breached,
            "rebalance": p.rebalance,
            "trades": trades,
            "fees_usd": p.fees_usd,
            "turnover": p.turnover,
            "post_trade_weights": by_asset(&r.assets, &p.post_weights),
            "post_trade_cash": p.post_cash,
        },
        "risk_after": risk_json(&r.post_risk, &r.assets, dates, first_price, Some(p.value_usd - p.fees_usd)),
    })
}

fn to_table(
    pf: &PortfolioFile,
    r: &PortfolioReport,
    first_price: jiff::civil::Date,
    prices: &std::path::Path,
) -> String {
    let p = &r.plan;
    let mut out = String::new();
    out += &format!(
        "Ballast risk report — {}   as of {}\n",
        r.name.as_deref().unwrap_or("portfolio"),
        r.as_of
    );
    out += &format!(
        "Data: {}; {} daily returns {} … {} (prices from {}); {} covariance{}, annualised ×365\n\n",
        prices.display(),
        r.returns.n_periods(),
        r.returns.dates()[0],
        r.returns.dates().last().unwrap(),
        first_price,
        r.covariance.estimator,
        r.covariance
            .shrinkage
            .map(|d| format!(" (δ = {d:.4})"))
            .unwrap_or_default(),
    );
    out += &format!(
        "Portfolio value {} USD, of which cash {} USD ({})\n\n",
        usd(p.value_usd),
        usd(r.cash_usd),
        pct(p.current_cash)
    );
    let vols = r.covariance.volatilities();
    let vals = values(r);
    let method = r.target.allocation.method;
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
            pct(r.target.allocation.risk_contributions[i]),
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
    out += &format!("Holdings, risk contributions and target ({method}");
    if let Some(v) = &r.target.vol_targeted {
        out += &format!(
            ", vol target {} → scale ×{:.3}{}",
            pct(pf.target.as_ref().and_then(|t| t.vol_target).unwrap_or_default()),
            v.scale,
            if v.leverage_capped { ", capped" } else { "" }
        );
    }
    out += ")\n";
    out += &t.render();

    out += &format!(
        "\nRisk now: annual volatility {}, max drawdown {} over the window\n",
        pct(r.current_risk.volatility_annual),
        pct(r.current_risk.drawdown.max_drawdown)
    );
    out += &tail_table(&r.current_risk, Some(p.value_usd));

    let band = match pf.rebalance.band_type.as_str() {
        "relative" => format!("relative band {} of target", pct(pf.rebalance.band)),
        _ => format!("absolute band ±{:.2} pp", 100.0 * pf.rebalance.band),
    };
    out += &format!("\nRebalance ({band}, fee {} bps): ", pf.rebalance.fee_bps);
    if !p.rebalance {
        out += "every weight is inside the band — no trades.\n";
        return out;
    }
    out += &format!("band breached by {} → trade to target\n", p.breached.join(", "));
    let mut tt = Table::new(["asset", "side", "units", "price USD", "notional USD", "fee USD"]);
    for tr in &p.trades {
        tt.row([
            tr.asset.clone(),
            tr.side.to_string(),
            num(tr.units),
            num(tr.price),
            usd(tr.notional_usd),
            usd(tr.fee_usd),
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
    out += &tail_table(&r.post_risk, Some(p.value_usd - p.fees_usd));
    out
}
