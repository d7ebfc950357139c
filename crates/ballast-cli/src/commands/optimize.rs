//! `ballast optimize`

use super::{by_asset, window_json, window_line};
use crate::args::{Format, Method, OptimizeArgs};
use crate::input;
use crate::table::{pct, Table};
use anyhow::{bail, Result};
use ballast::allocate::{inverse_volatility, vol_target, RiskBudgeting, VolTarget, WeightBounds};
use serde_json::json;

pub fn run(a: &OptimizeArgs) -> Result<String> {
    let budgets = match (&a.budgets, a.method) {
        (Some(b), Method::RiskBudget) => Some(input::parse_pairs(b, "--budgets")?),
        (None, Method::RiskBudget) => {
            bail!("--method risk-budget needs --budgets, e.g. --budgets BTC=0.4,ETH=0.3,SOL=0.3")
        }
        (Some(_), _) => bail!("--budgets is only used with --method risk-budget"),
        (None, _) => None,
    };
    let assets = match (&budgets, &a.window.assets) {
        (Some(b), Some(list)) => {
            let keys: Vec<&String> = b.iter().map(|p| &p.0).collect();
            if list.len() != keys.len() || list.iter().any(|x| !keys.contains(&x)) {
                bail!("--assets and --budgets name different assets; give a budget for exactly the assets selected");
            }
            Some(list.clone())
        }
        (Some(b), None) => Some(b.iter().map(|p| p.0.clone()).collect()),
        (None, _) => None,
    };
    let l = input::load(&a.window, assets)?;
    let cov = input::covariance(&l.returns, a.estimator, a.ewma_lambda)?;
    let n = cov.dim();
    if let Some(b) = &budgets {
        if l.window.dropped.iter().any(|d| b.iter().any(|p| &p.0 == d)) {
            bail!(
                "assets with budgets were dropped as incomplete ({}); remove their budgets",
                l.window.dropped.join(",")
            );
        }
    }
    let bounds = (a.min_weight.is_some() || a.max_weight.is_some())
        .then(|| WeightBounds::uniform(n, a.min_weight.unwrap_or(0.0), a.max_weight.unwrap_or(1.0)));
    let alloc = match a.method {
        Method::InverseVol => inverse_volatility(&cov, bounds.as_ref())?,
        Method::Erc => RiskBudgeting {
            bounds,
            ..RiskBudgeting::erc()
        }
        .weights(&cov)?,
        Method::RiskBudget => {
            let b = budgets.as_ref().expect("checked above");
            let ordered: Vec<f64> = cov
                .assets
                .iter()
                .map(|x| b.iter().find(|p| &p.0 == x).map(|p| p.1).expect("same assets"))
                .collect();
            RiskBudgeting {
                bounds,
                ..RiskBudgeting::with_budgets(ordered)
            }
            .weights(&cov)?
        }
    };
    let vt = a
        .vol_target
        .map(|t| {
            vol_target(
                &cov.matrix,
                &alloc.weights,
                VolTarget {
                    target: t,
                    max_leverage: a.max_leverage,
                },
            )
        })
        .transpose()?;
    let (weights, cash, vol) = match &vt {
        Some(v) => (v.weights.clone(), v.cash, v.volatility_after),
        None => (alloc.weights.clone(), 0.0, alloc.volatility_annual),
    };
    let first_price = l.window.dates[0];
    let method = alloc.method;
    Ok(match a.window.format {
        Format::Json => {
            let mut v = json!({
                "method": method,
                "estimator": cov.estimator,
                "weights": by_asset(&cov.assets, &weights),
                "cash": cash,
                "risk_contributions": by_asset(&cov.assets, &alloc.risk_contributions),
                "volatility_annual": vol,
                "window": window_json(&l.returns, first_price),
                "dropped_incomplete": l.window.dropped,
            });
            if let Some(b) = &budgets {
                v["budgets"] = by_asset(
                    &cov.assets,
                    &cov.assets
                        .iter()
                        .map(|x| b.iter().find(|p| &p.0 == x).unwrap().1)
                        .collect::<Vec<_>>(),
                );
            }
            if let Some(s) = &alloc.solver {
                v["solver"] =
                    json!({"iterations": s.iterations, "max_rc_error": s.error, "converged": s.converged});
            }
            if let Some(t) = &vt {
                v["vol_target"] = json!({
                    "target": a.vol_target, "scale": t.scale, "max_leverage": a.max_leverage,
                    "volatility_before": t.volatility_before, "leverage_capped": t.leverage_capped,
                });
                v["unscaled_weights"] = by_asset(&cov.assets, &alloc.weights);
            }
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!("Target: {method} on {} covariance, {} assets\n", cov.estimator, n);
            out += &window_line(&l.returns, first_price);
            if !l.window.dropped.is_empty() {
                out += &format!(
                    "Dropped (incomplete in window): {}\n",
                    l.window.dropped.join(", ")
                );
            }
            out += "\n";
            let vols = cov.volatilities();
            let mut t = Table::new(["asset", "weight", "vol", "risk contribution"]);
            for i in 0..n {
                t.row([
                    cov.assets[i].clone(),
                    pct(weights[i]),
                    pct(vols[i]),
                    pct(alloc.risk_contributions[i]),
                ]);
            }
            if cash != 0.0 {
                t.row(["cash".to_string(), pct(cash), pct(0.0), pct(0.0)]);
            }
            out += &t.render();
            out += &format!("\nPortfolio volatility (annual): {}\n", pct(vol));
            if let Some(t) = &vt {
                out += &format!(
                    "Vol target {}: scale ×{:.4} (unscaled vol {}){}\n",
                    pct(a.vol_target.unwrap_or_default()),
                    t.scale,
                    pct(t.volatility_before),
                    if t.leverage_capped {
                        ", capped by max leverage"
                    } else {
                        ""
                    }
                );
            }
            if let Some(s) = &alloc.solver {
                out += &format!(
                    "Solver: {} sweeps, max |RC − budget| = {:.1e}\n",
                    s.iterations, s.error
                );
            }
            out
        }
    })
}
