//! `ballast garch --asset BTC`

use super::{window_json, window_line};
use crate::args::{DistArg, Format, GarchArgs};
use crate::input;
use crate::table::{pct, Table};
use anyhow::{bail, Result};
use ballast::estimate::{Garch11, GarchDist};
use serde_json::json;

pub fn run(a: &GarchArgs) -> Result<String> {
    if a.horizon == 0 {
        bail!("--horizon must be at least 1 day");
    }
    let l = input::load(&a.window, Some(vec![a.asset.clone()]))?;
    let r = &l.returns;
    // arch's convention: percent returns
    let y: Vec<f64> = r.column(0).iter().map(|v| 100.0 * v).collect();
    let dist = match a.dist {
        DistArg::Normal => GarchDist::Normal,
        DistArg::T => GarchDist::StudentT,
    };
    let fit = Garch11 { dist }.fit(&y)?;
    let f = fit.forecast_variance(a.horizon);
    let ppy = r.periods_per_year();
    let annual = |v: f64| (v * ppy).sqrt() / 100.0;
    let p = &fit.params;
    let long_run = p.omega / (1.0 - p.alpha - p.beta);
    let term: f64 = f.iter().sum::<f64>() / f.len() as f64;
    let first_price = l.window.dates[0];
    Ok(match a.window.format {
        Format::Json => {
            let v = json!({
                "asset": a.asset,
                "dist": if dist == GarchDist::Normal { "normal" } else { "t" },
                "units": "percent daily returns",
                "params": {"mu": p.mu, "omega": p.omega, "alpha": p.alpha, "beta": p.beta, "nu": p.nu},
                "persistence": p.alpha + p.beta,
                "loglikelihood": fit.loglikelihood,
                "backcast": fit.backcast,
                "forecast_variance": f,
                "volatility_1day_annualised": annual(f[0]),
                "volatility_horizon_annualised": annual(term),
                "long_run_volatility_annualised": annual(long_run),
                "window": window_json(r, first_price),
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!(
                "GARCH(1,1) of {} daily returns (constant mean, {} innovations, arch conventions, percent units)\n",
                a.asset,
                if dist == GarchDist::Normal { "normal" } else { "Student-t" }
            );
            out += &window_line(r, first_price);
            out += "\n";
            let mut t = Table::new(["parameter", "value"]);
            t.row(["mu (% a day)".to_string(), format!("{:.6}", p.mu)]);
            t.row(["omega".to_string(), format!("{:.6}", p.omega)]);
            t.row(["alpha".to_string(), format!("{:.6}", p.alpha)]);
            t.row(["beta".to_string(), format!("{:.6}", p.beta)]);
            if let Some(nu) = p.nu {
                t.row(["nu".to_string(), format!("{nu:.4}")]);
            }
            t.row(["alpha + beta".to_string(), format!("{:.6}", p.alpha + p.beta)]);
            t.row(["log-likelihood".to_string(), format!("{:.6}", fit.loglikelihood)]);
            out += &t.render();
            out += &format!(
                "\nVolatility forecast (annualised ×√{ppy}): next day {}, average over {} days {}, long run {}\n",
                pct(annual(f[0])),
                a.horizon,
                pct(annual(term)),
                pct(annual(long_run))
            );
            out
        }
    })
}
