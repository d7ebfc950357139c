//! `ballast covariance`

use super::{window_json, window_line};
use crate::args::{CovarianceArgs, Format};
use crate::input;
use crate::table::{pct, Table};
use anyhow::Result;
use serde_json::json;

pub fn run(a: &CovarianceArgs) -> Result<String> {
    let l = input::load(&a.window, None)?;
    let cov = input::covariance(&l.returns, a.estimator, a.ewma_lambda)?;
    let first_price = l.window.dates[0];
    Ok(match a.window.format {
        Format::Json => {
            let v = json!({
                "assets": cov.assets,
                "matrix": cov.matrix.to_rows(),
                "periods_per_year": cov.periods_per_year,
                "estimator": cov.estimator,
                "shrinkage": cov.shrinkage,
                "window": window_json(&l.returns, first_price),
                "dropped_incomplete": l.window.dropped,
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!(
                "Covariance: {} ({} assets), annualised ×{}{}\n",
                cov.estimator,
                cov.dim(),
                cov.periods_per_year,
                cov.shrinkage
                    .map(|d| format!(", shrinkage δ = {d:.6}"))
                    .unwrap_or_default()
            );
            out += &window_line(&l.returns, first_price);
            if !l.window.dropped.is_empty() {
                out += &format!(
                    "Dropped (incomplete in window): {}\n",
                    l.window.dropped.join(", ")
                );
            }
            out += "\nAnnual volatility and correlation\n";
            let corr = cov.correlation()?;
            let mut header = vec!["asset".to_string(), "vol".to_string()];
            header.extend(cov.assets.iter().cloned());
            let mut t = Table::new(header);
            for (i, a) in cov.assets.iter().enumerate() {
                let mut r = vec![a.clone(), pct(cov.matrix.get(i, i).sqrt())];
                r.extend((0..cov.dim()).map(|j| format!("{:.2}", corr.get(i, j))));
                t.row(r);
            }
            out + &t.render()
        }
    })
}
