//! `ballast risk`

use super::{json, repair_note, tail_table, window_line};
use crate::args::{Format, RiskArgs};
use crate::input;
use crate::table::{pct, plural, Table};
use anyhow::Result;

pub fn run(a: &RiskArgs) -> Result<String> {
    let pairs = input::parse_pairs(&a.weights, "--weights")?;
    let panel = input::panel(&a.window)?;
    let model = a.factors.clone().map(ballast::estimate::FactorModel::new);
    let factor_prices = a
        .factor_prices
        .as_ref()
        .map(ballast::io::read_prices)
        .transpose()?;
    let r = ballast::analysis::risk(
        &panel,
        &input::window(&a.window),
        &input::covariance(&a.cov),
        &ballast::analysis::RiskRequest {
            weights: &pairs,
            normalize: a.normalize,
            confidences: &a.confidence,
            value_usd: a.value,
            factors: model.as_ref(),
            factor_prices: factor_prices.as_ref(),
        },
    )?;
    let s = &r.risk;
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => {
            let mut out = format!(
                "Risk of {} ({} covariance)\n",
                plural(s.assets.len(), "asset"),
                s.covariance.estimator
            );
            out += &window_line(&r.window);
            out += &repair_note(&s.covariance);
            let date = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_default();
            out += &format!(
                "\nAnnual volatility {}   max drawdown {} ({} → {})\n\n",
                pct(s.volatility_annual),
                pct(s.drawdown.max_drawdown),
                date(s.drawdown_dates.0),
                date(s.drawdown_dates.1),
            );
            let mut t = Table::new(["asset", "weight", "risk contribution"]);
            for (i, asset) in s.assets.iter().enumerate() {
                t.row([asset.clone(), pct(s.weights[i]), pct(s.risk_contributions[i])]);
            }
            out += &t.render();
            out += "\n";
            out += &tail_table(s);
            if let Some(f) = &r.factor_risk {
                out += &super::factors::risk_table(f);
            }
            Ok(out)
        }
    }
}
