//! `ballast garch --asset BTC`

use super::{json, window_line};
use crate::args::{Format, GarchArgs};
use crate::input;
use crate::table::{pct, Table};
use anyhow::Result;

pub fn run(a: &GarchArgs) -> Result<String> {
    let panel = input::panel(&a.window)?;
    let r = ballast::analysis::garch(&panel, &input::window(&a.window), &a.asset, a.dist, a.horizon)?;
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => {
            let p = &r.params;
            let mut out = format!(
                "GARCH(1,1) of {} daily returns (constant mean, {} innovations, arch conventions, percent units)\n",
                r.asset,
                ballast::names::variant_name(&r.dist)
            );
            out += &window_line(&r.window);
            out += "\n";
            let mut t = Table::new(["parameter", "value"]);
            t.row(["mu (% a day)".to_string(), format!("{:.6}", p.mu)]);
            t.row(["omega".to_string(), format!("{:.6}", p.omega)]);
            t.row(["alpha".to_string(), format!("{:.6}", p.alpha)]);
            t.row(["beta".to_string(), format!("{:.6}", p.beta)]);
            if let Some(nu) = p.nu {
                t.row(["nu".to_string(), format!("{nu:.4}")]);
            }
            t.row(["alpha + beta".to_string(), format!("{:.6}", r.persistence)]);
            t.row(["log-likelihood".to_string(), format!("{:.6}", r.loglikelihood)]);
            out += &t.render();
            out += &format!(
                "\nVolatility forecast (annualised ×√{}): next day {}, average over {} days {}, long run {}\n",
                r.window.periods_per_year,
                pct(r.volatility_1day_annualised),
                a.horizon,
                pct(r.volatility_horizon_annualised),
                r.long_run_volatility_annualised
                    .map_or("none (α + β = 1: shocks never die out)".to_string(), pct)
            );
            Ok(out)
        }
    }
}
