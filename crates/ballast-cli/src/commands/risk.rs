//! `ballast risk`

use super::{by_asset, risk_json, tail_table, window_json, window_line};
use crate::args::{Format, RiskArgs};
use crate::input;
use crate::table::{pct, Table};
use anyhow::{bail, Result};
use ballast::risk::risk_summary;
use serde_json::json;

pub fn run(a: &RiskArgs) -> Result<String> {
    let pairs = input::parse_pairs(&a.weights, "--weights")?;
    let assets: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
    let mut w: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let sum: f64 = w.iter().sum();
    if a.normalize {
        if !(sum.abs() > 0.0) {
            bail!("--weights sum to 0: cannot normalise");
        }
        w.iter_mut().for_each(|v| *v /= sum);
    } else if (sum - 1.0).abs() > 1e-6 {
        bail!("--weights sum to {sum:.6}, not 1; fix them or pass --normalize to rescale");
    }
    if a.window.drop_incomplete {
        bail!("--drop-incomplete cannot be used with --weights: dropping a held asset would change the portfolio");
    }
    for c in &a.confidence {
        if !(*c > 0.0 && *c < 1.0) {
            bail!("--confidence {c}: confidence levels must be strictly between 0 and 1 (e.g. 0.95)");
        }
    }
    if let Some(v) = a.value {
        if !(v.is_finite() && v > 0.0) {
            bail!("--value {v}: the portfolio value must be a positive number of USD");
        }
    }
    let l = input::load(&a.window, Some(assets.clone()))?;
    let cov = input::covariance(&l.returns, a.estimator, a.ewma_lambda)?;
    let s = risk_summary(&l.returns, &cov, &w, &a.confidence)?;
    let first_price = l.window.dates[0];
    Ok(match a.window.format {
        Format::Json => {
            let mut v = risk_json(&s, &assets, l.returns.dates(), first_price, a.value);
            v["weights"] = by_asset(&assets, &w);
            v["estimator"] = json!(cov.estimator);
            v["window"] = window_json(&l.returns, first_price);
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!("Risk of {} assets ({} covariance)\n", assets.len(), cov.estimator);
            out += &window_line(&l.returns, first_price);
            out += &format!(
                "\nAnnual volatility {}   max drawdown {} ({} → {})\n\n",
                pct(s.volatility_annual),
                pct(s.drawdown.max_drawdown),
                if s.drawdown.peak == 0 {
                    first_price
                } else {
                    l.returns.dates()[s.drawdown.peak - 1]
                },
                if s.drawdown.trough == 0 {
                    first_price
                } else {
                    l.returns.dates()[s.drawdown.trough - 1]
                },
            );
            let vols = cov.volatilities();
            let mut t = Table::new(["asset", "weight", "vol", "risk contribution"]);
            for (i, asset) in assets.iter().enumerate() {
                t.row([
                    asset.clone(),
                    pct(w[i]),
                    pct(vols[i]),
                    pct(s.risk_contributions[i]),
                ]);
            }
            out += &t.render();
            out += "\n";
            out += &tail_table(&s, a.value);
            out
        }
    })
}
