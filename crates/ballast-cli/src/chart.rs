//! SVG charts (plotters' SVG backend: no system fonts needed).

use anyhow::{Context, Result};
use ballast::pricing::surface::{SmileSlice, VolSurface};
use plotters::prelude::*;
use std::path::Path;

/// A qualitative palette (Tableau 10 plus two), distinct on white.
pub(crate) const COLORS: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 128),
    RGBColor(128, 0, 0),
];

/// Smiles: market implied vols (dots) and fitted SVI (lines) against log-moneyness. Per
/// underlying, two panels: expiries up to 30 days and beyond (their strike ranges differ by an
/// order of magnitude).
pub fn smiles_svg(path: &Path, surfaces: &[VolSurface]) -> Result<()> {
    let mut panels: Vec<(String, Vec<&SmileSlice>)> = Vec::new();
    for s in surfaces {
        let fitted: Vec<&SmileSlice> = s.slices.iter().filter(|sl| sl.fit.is_ok()).collect();
        let (short, long): (Vec<_>, Vec<_>) = fitted.into_iter().partition(|sl| sl.time * 365.0 <= 30.0);
        for (name, group) in [
            ("expiries up to 30 days", short),
            ("expiries beyond 30 days", long),
        ] {
            if !group.is_empty() {
                panels.push((format!("{} smiles, {name}", s.coin), group));
            }
        }
    }
    let n = panels.len().max(1);
    let root = SVGBackend::new(path, (1000, 460 * n as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for ((title, slices), area) in panels.iter().zip(root.split_evenly((n, 1))) {
        draw_panel(&area, title, slices)?;
    }
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    slices: &[&SmileSlice],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let pts = slices.iter().flat_map(|sl| sl.points.iter().map(|p| p.point));
    let (mut kmin, mut kmax, mut vmin, mut vmax) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, 0.0_f64);
    for p in pts {
        kmin = kmin.min(p.k);
        kmax = kmax.max(p.k);
        vmin = vmin.min(p.vol);
        vmax = vmax.max(p.vol);
    }
    let pad = 0.05 * (kmax - kmin).max(0.01);
    let (kmin, kmax) = (kmin - pad, kmax + pad);
    let (vlo, vhi) = ((100.0 * vmin - 5.0).max(0.0), 100.0 * vmax + 5.0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(56)
        .build_cartesian_2d(kmin..kmax, vlo..vhi)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("log-moneyness ln(K/F)")
        .y_desc("implied volatility (%)")
        .light_line_style(RGBColor(238, 238, 238))
        .x_label_formatter(&|x| format!("{:.2}", x + 0.0))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (i, sl) in slices.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let fit = sl.fit.as_ref().expect("fitted");
        let curve: Vec<(f64, f64)> = (0..=240)
            .map(|j| kmin + (kmax - kmin) * j as f64 / 240.0)
            .map(|k| (k, 100.0 * fit.params.vol(k, sl.time)))
            .filter(|(_, v)| *v >= vlo && *v <= vhi)
            .collect();
        chart
            .draw_series(LineSeries::new(curve, color.stroke_width(2)))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label(format!(
                "{} ({:.0} d)",
                sl.expiry.strftime("%d %b %y"),
                sl.time * 365.0
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(3)));
        chart
            .draw_series(
                sl.points
                    .iter()
                    .map(|p| Circle::new((p.point.k, 100.0 * p.point.vol), 3, color.filled())),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Efficient frontier: volatility (x) against expected return (y), the max-Sharpe portfolio and
/// every asset on its own.
pub fn frontier_svg(path: &Path, r: &ballast::analysis::FrontierReport) -> Result<()> {
    let (pts, max_sharpe, cov, mu) = (
        &r.points,
        r.max_sharpe.as_ref(),
        &r.covariance,
        &r.expected_returns,
    );
    let vols = cov.volatilities();
    let xs = pts.iter().map(|p| p.volatility).chain(vols.iter().copied());
    let ys = pts.iter().map(|p| p.expected_return).chain(mu.iter().copied());
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let root = SVGBackend::new(path, (1000, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Efficient frontier (annual, historical mean returns)",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(
            100.0 * (x0 * 0.9)..100.0 * (x1 * 1.05),
            100.0 * (y0 - 0.05 * (y1 - y0))..100.0 * (y1 + 0.08 * (y1 - y0)),
        )?;
    chart
        .configure_mesh()
        .x_desc("volatility (%)")
        .y_desc("expected return (%)")
        .light_line_style(RGBColor(238, 238, 238))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    let line: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (100.0 * p.volatility, 100.0 * p.expected_return))
        .collect();
    chart
        .draw_series(LineSeries::new(line.clone(), COLORS[0].stroke_width(3)))?
        .label("efficient frontier")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], COLORS[0].stroke_width(3)));
    chart.draw_series(
        line.iter()
            .map(|&(x, y)| Circle::new((x, y), 3, COLORS[0].filled())),
    )?;
    chart
        .draw_series(
            vols.iter()
                .zip(mu)
                .map(|(v, m)| Circle::new((100.0 * v, 100.0 * m), 4, COLORS[7].mix(0.8).filled())),
        )?
        .label("single assets")
        .legend(|(x, y)| Circle::new((x + 9, y), 4, COLORS[7].filled()));
    chart.draw_series(cov.assets.iter().zip(vols.iter().zip(mu)).map(|(a, (v, m))| {
        Text::new(
            a.clone(),
            (100.0 * v + 0.3, 100.0 * m),
            ("sans-serif", 11).into_font().color(&COLORS[7]),
        )
    }))?;
    if let Some(ms) = max_sharpe {
        let pt = (100.0 * ms.volatility, 100.0 * ms.expected_return);
        chart
            .draw_series(std::iter::once(TriangleMarker::new(pt, 9, COLORS[3].filled())))?
            .label(format!("max Sharpe ({:.2})", ms.sharpe))
            .legend(|(x, y)| TriangleMarker::new((x + 9, y), 6, COLORS[3].filled()));
    }
    let minv = &pts[0];
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [
                (100.0 * minv.volatility - 0.5, 100.0 * minv.expected_return - 1.0),
                (100.0 * minv.volatility + 0.5, 100.0 * minv.expected_return + 1.0),
            ],
            COLORS[2].filled(),
        )))?
        .label("minimum variance")
        .legend(|(x, y)| Rectangle::new([(x + 5, y - 4), (x + 13, y + 4)], COLORS[2].filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()?;
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
