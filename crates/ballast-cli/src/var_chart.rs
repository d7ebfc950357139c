//! The VaR backtest chart: daily P&L against the VaR line, exceptions marked.

use crate::backtest_charts::{date_label, render, span, year_frac};
use crate::chart::{Mark, COLORS};
use anyhow::{anyhow, Result};
use ballast::analysis::{DatedBacktest, VarBacktestReport};
use plotters::prelude::*;

/// Returns (%) as grey dots, −VaR (%) as a line, exceptions as red dots.
pub fn pnl_against_var(r: &VarBacktestReport, b: &DatedBacktest) -> Result<String> {
    let w = b.backtest.window;
    let dates = &r.dates[w..];
    let returns: Vec<f64> = r.returns[w..].iter().map(|x| 100.0 * x).collect();
    let var: Vec<f64> = b.backtest.var.iter().map(|v| -100.0 * v).collect();
    let grey = RGBColor(150, 150, 150);
    let red = COLORS[3];
    let line = COLORS[0];
    let entries = vec![
        ("daily return".to_string(), Mark::Dot(grey, true)),
        (
            format!(
                "−VaR {} % ({})",
                100.0 * b.backtest.confidence,
                ballast::names::variant_name(&b.backtest.model)
            ),
            Mark::Line(line, 3),
        ),
        (
            format!(
                "exceptions ({} of {})",
                b.backtest.exceptions, b.backtest.observations
            ),
            Mark::Dot(red, true),
        ),
    ];
    render(480, &entries, |root| {
        let lo = returns.iter().chain(&var).fold(0.0f64, |a, v| a.min(*v));
        let hi = returns.iter().fold(0.0f64, |a, v| a.max(*v));
        let pad = 0.05 * (hi - lo).max(1.0);
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption("Daily return against the VaR forecast (%)", ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, (lo - pad)..(hi + pad))
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&date_label(x0, x1))
            .y_label_formatter(&|y| format!("{:.0}", y + 0.0))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        c.draw_series(
            dates
                .iter()
                .zip(&returns)
                .map(|(d, v)| Circle::new((year_frac(*d), *v), 1, grey.filled())),
        )
        .map_err(|e| anyhow!("{e}"))?;
        c.draw_series(LineSeries::new(
            dates.iter().zip(&var).map(|(d, v)| (year_frac(*d), *v)),
            line.stroke_width(2),
        ))
        .map_err(|e| anyhow!("{e}"))?;
        c.draw_series(
            b.backtest
                .exception_indices
                .iter()
                .map(|i| Circle::new((year_frac(dates[*i]), returns[*i]), 3, red.filled())),
        )
        .map_err(|e| anyhow!("{e}"))?;
        Ok(())
    })
}
