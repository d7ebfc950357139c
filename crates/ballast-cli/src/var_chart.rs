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
            .caption(
                match &r.book {
                    Some(b) => format!(
                        "Daily hypothetical P&L of today's book against the VaR forecast (% of {} USD)",
                        crate::table::usd0(b.equity_usd)
                    ),
                    None => format!(
                        "Daily return against the VaR forecast (%) — {}",
                        r.assets
                            .iter()
                            .zip(&r.weights)
                            .map(|(a, w)| format!("{a} {:.0} %", 100.0 * w))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                ("sans-serif", 20),
            )
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

/// The stress grid as a heat map: spot moves down, vol moves across, P&L coloured (red loss,
/// blue gain, white 0) and written in each cell.
pub fn stress_grid(r: &ballast::analysis::StressReport) -> Result<String> {
    let g = &r.grid;
    let (rows, cols) = (g.spot.len(), g.vol.len());
    let max = g
        .pnl_usd
        .iter()
        .flatten()
        .fold(0.0f64, |a, v| a.max(v.abs()))
        .max(1.0);
    let mut out = String::new();
    {
        let (cw, ch, left, top) = (120i32, 40i32, 110i32, 84i32);
        let w = (left + cw * cols as i32 + 30) as u32;
        let h = (top + ch * rows as i32 + 16) as u32;
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let font = |s: u32| ("sans-serif", s).into_font().color(&BLACK);
        root.draw(&Text::new(
            "Book P&L (USD): every coin's spot (rows) and implied vol (columns) moved",
            (10, 14),
            font(17),
        ))
        .map_err(|e| anyhow!("{e}"))?;
        root.draw(&Text::new(
            "rows: every coin's spot move; columns: every implied vol's relative move; red: loss, blue: gain",
            (10, 36),
            font(12),
        ))
        .map_err(|e| anyhow!("{e}"))?;
        for (j, v) in g.vol.iter().enumerate() {
            root.draw(&Text::new(
                format!("vol {:+.0} %", 100.0 * v),
                (left + cw * j as i32 + 22, top - 20),
                font(13),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
        for (i, s) in g.spot.iter().enumerate() {
            let y = top + ch * i as i32;
            root.draw(&Text::new(
                format!("spot {:+.0} %", 100.0 * s),
                (10, y + 13),
                font(13),
            ))
            .map_err(|e| anyhow!("{e}"))?;
            for (j, p) in g.pnl_usd[i].iter().enumerate() {
                let x = left + cw * j as i32;
                let t = (p.abs() / max).min(1.0);
                let shade = (255.0 * (1.0 - 0.75 * t)) as u8;
                let fill = if *p < 0.0 {
                    RGBColor(255, shade, shade)
                } else {
                    RGBColor(shade, shade, 255)
                };
                root.draw(&Rectangle::new([(x, y), (x + cw - 2, y + ch - 2)], fill.filled()))
                    .map_err(|e| anyhow!("{e}"))?;
                root.draw(&Text::new(crate::table::usd0(*p), (x + 10, y + 13), font(13)))
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(out)
}
