//! `ballast covariance`

use super::{json, window_line};
use crate::args::{CovarianceArgs, Format};
use crate::input;
use crate::table::{pct, plural, Table};
use anyhow::Result;

pub fn run(a: &CovarianceArgs) -> Result<String> {
    let panel = input::panel(&a.window)?;
    let r = ballast::analysis::covariance(&panel, &input::window(&a.window), &input::covariance(&a.cov))?;
    let cov = &r.covariance;
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => {
            let mut out = format!(
                "Covariance: {} ({}), annualised ×{}{}\n",
                cov.estimator,
                plural(cov.dim(), "asset"),
                cov.periods_per_year,
                cov.shrinkage
                    .map(|d| format!(", shrinkage δ = {d:.6}"))
                    .unwrap_or_default()
            );
            out += &window_line(&r.window);
            if let Some(p) = &r.pairwise {
                out += &super::pairwise_note(p, r.window.returns);
            } else if let Some(l) = cov.repaired {
                out += &format!(
                    "Repaired to the nearest positive-definite matrix (smallest eigenvalue was {l:.3e})\n"
                );
            }
            out += "\nAnnual volatility and correlation\n";
            let corr = cov.correlation()?;
            let mut header = vec!["asset".to_string(), "vol".to_string()];
            header.extend(cov.assets.iter().cloned());
            let mut t = Table::new(header);
            for (i, name) in cov.assets.iter().enumerate() {
                let mut row = vec![name.clone(), pct(cov.matrix.get(i, i).sqrt())];
                row.extend((0..cov.dim()).map(|j| format!("{:.2}", corr.get(i, j))));
                t.row(row);
            }
            Ok(out + &t.render())
        }
    }
}
