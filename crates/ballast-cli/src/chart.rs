//! SVG charts (plotters' SVG backend: no system fonts needed).

use anyhow::{anyhow, Context, Result};
use ballast::pricing::surface::{SmileSlice, VolSurface};
use ballast::pricing::DAYS_PER_YEAR;
use plotters::coord::Shift;
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

/// Check a chart's file name and create its folder: charts are SVG, so the name must end in
/// `.svg` (a `.png` would hold SVG text).
pub(crate) fn prepare_svg_path(path: &Path) -> Result<()> {
    if path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
        != Some("svg")
    {
        anyhow::bail!(
            "{}: charts are written as SVG; give a file name ending in .svg (render it to PNG with e.g. rsvg-convert)",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    Ok(())
}

/// Width of the panel right of a plot that lists its legend (so the legend covers no data).
pub(crate) const LEGEND_W: u32 = 300;

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Mark {
    /// A line of this colour and width.
    Line(RGBColor, u32),
    /// A filled block (areas, stacked layers).
    Block(RGBAColor),
    /// A dot, filled or hollow.
    Dot(RGBColor, bool),
    /// A triangle.
    Triangle(RGBColor),
    /// A small square.
    Square(RGBColor),
}

/// List `entries` down `area` (a panel right of a plot), from `top` pixels.
pub(crate) fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    top: i32,
    entries: &[(String, Mark)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    for (k, (label, mark)) in entries.iter().enumerate() {
        let y = top + 20 * k as i32;
        let m = (17, y);
        match *mark {
            Mark::Line(col, width) => {
                area.draw(&PathElement::new(vec![(6, y), (28, y)], col.stroke_width(width)))
            }
            Mark::Block(col) => area.draw(&Rectangle::new([(6, y - 6), (28, y + 6)], col.filled())),
            Mark::Dot(col, true) => area.draw(&Circle::new(m, 4, col.filled())),
            Mark::Dot(col, false) => area.draw(&Circle::new(m, 4, col.stroke_width(1))),
            Mark::Triangle(col) => area.draw(&TriangleMarker::new(m, 7, col.filled())),
            Mark::Square(col) => area.draw(&Rectangle::new([(12, y - 5), (22, y + 5)], col.filled())),
        }
        .map_err(|e| anyhow!("{e}"))?;
        // a label longer than the panel is cut (strategy names are the user's)
        let label: String = if label.chars().count() > 38 {
            label.chars().take(37).chain(['…']).collect()
        } else {
            label.clone()
        };
        area.draw(&Text::new(label, (36, y - 8), font.clone()))
            .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(())
}

/// A tick label with two decimals that never reads "-0.00".
fn two_decimals(x: &f64) -> String {
    format!("{:.2}", (x * 100.0).round() / 100.0 + 0.0)
}

/// Quotes whose fit weight is below this share of their expiry's largest are drawn hollow:
/// they barely move the fit (deep wings under vega weights, quotes at the minimum tick).
const LIGHT_WEIGHT: f64 = 0.05;

/// Smiles: market implied vols (dots; hollow when their fit weight is light) and fitted SVI
/// (lines) against log-moneyness. Per underlying, two panels: expiries up to 30 days and beyond
/// (their strike ranges differ by an order of magnitude).
pub fn smiles_svg(path: &Path, surfaces: &[VolSurface]) -> Result<()> {
    let mut panels: Vec<(String, Vec<&SmileSlice>)> = Vec::new();
    for s in surfaces {
        let fitted: Vec<&SmileSlice> = s.slices.iter().filter(|sl| sl.fit.is_ok()).collect();
        let (short, long): (Vec<_>, Vec<_>) =
            fitted.into_iter().partition(|sl| sl.time * DAYS_PER_YEAR <= 30.0);
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
    prepare_svg_path(path)?;
    let root = SVGBackend::new(path, (1000 + LEGEND_W, 460 * n as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for ((title, slices), area) in panels.iter().zip(root.split_evenly((n, 1))) {
        let (plot, panel) = area.split_horizontally(1000);
        draw_panel(&plot, title, slices)?;
        let mut entries: Vec<(String, Mark)> = slices
            .iter()
            .enumerate()
            .map(|(i, sl)| {
                let rmse = sl.fit.as_ref().map_or(f64::NAN, |f| 100.0 * f.rmse);
                let label = format!(
                    "{} ({:.0} d, fit RMSE {rmse:.2} pts)",
                    sl.expiry.strftime("%d %b %y"),
                    sl.time * DAYS_PER_YEAR
                );
                (label, Mark::Line(COLORS[i % COLORS.len()], 3))
            })
            .collect();
        entries.push(("quote".into(), Mark::Dot(COLORS[7], true)));
        entries.push((
            format!("quote, weight < {:.0}% of the largest", 100.0 * LIGHT_WEIGHT),
            Mark::Dot(COLORS[7], false),
        ));
        side_legend(&panel, 52, &entries)?;
    }
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
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
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("log-moneyness ln(K/F)")
        .y_desc("implied volatility (%)")
        .light_line_style(RGBColor(238, 238, 238))
        .x_label_formatter(&two_decimals)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (i, sl) in slices.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let fit = sl.fit.as_ref().map_err(|e| anyhow!("{e}"))?;
        let curve: Vec<(f64, f64)> = (0..=240)
            .map(|j| kmin + (kmax - kmin) * j as f64 / 240.0)
            .map(|k| (k, 100.0 * fit.params.vol(k, sl.time)))
            .filter(|(_, v)| *v >= vlo && *v <= vhi)
            .collect();
        chart
            .draw_series(LineSeries::new(curve, color.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?;
        let heaviest = sl.points.iter().map(|p| p.point.weight).fold(0.0, f64::max);
        chart
            .draw_series(sl.points.iter().map(|p| {
                let style = if p.point.weight >= LIGHT_WEIGHT * heaviest {
                    color.filled()
                } else {
                    color.stroke_width(1)
                };
                Circle::new((p.point.k, 100.0 * p.point.vol), 3, style)
            }))
            .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(())
}

/// Pixel boxes of the labels placed so far, to keep the next one clear of them.
struct Placed(Vec<(i32, i32, i32, i32)>);

impl Placed {
    /// The first of right, left, above, below `at` (pixels) where a `text` label overlaps
    /// nothing placed so far (right if none is free); the label's top-left corner.
    fn place(&mut self, at: (i32, i32), text: &str) -> (i32, i32) {
        let (w, h) = (6 * text.chars().count() as i32 + 2, 12);
        let options = [
            (at.0 + 6, at.1 - h / 2),
            (at.0 - 6 - w, at.1 - h / 2),
            (at.0 - w / 2, at.1 - 6 - h),
            (at.0 - w / 2, at.1 + 6),
        ];
        let free = |&(x, y): &(i32, i32)| {
            self.0
                .iter()
                .all(|&(a, b, c, d)| x + w <= a || x >= c || y + h <= b || y >= d)
        };
        let pos = options.iter().copied().find(free).unwrap_or(options[0]);
        self.0.push((pos.0, pos.1, pos.0 + w, pos.1 + h));
        pos
    }
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
    prepare_svg_path(path)?;
    let root = SVGBackend::new(path, (1000 + LEGEND_W, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let (plot, panel) = root.split_horizontally(1000);
    let mut chart = ChartBuilder::on(&plot)
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
        .y_label_formatter(&|y| format!("{:.0}", y + 0.0))
        .draw()?;
    let line: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (100.0 * p.volatility, 100.0 * p.expected_return))
        .collect();
    chart.draw_series(LineSeries::new(line.clone(), COLORS[0].stroke_width(3)))?;
    chart.draw_series(
        line.iter()
            .map(|&(x, y)| Circle::new((x, y), 3, COLORS[0].filled())),
    )?;
    let assets: Vec<(f64, f64)> = vols.iter().zip(mu).map(|(v, m)| (100.0 * v, 100.0 * m)).collect();
    chart.draw_series(
        assets
            .iter()
            .map(|&p| Circle::new(p, 4, COLORS[7].mix(0.8).filled())),
    )?;
    // labels clear of each other and of the frontier's own markers
    let mut placed = Placed(
        line.iter()
            .chain(&assets)
            .map(|&p| {
                let (x, y) = chart.backend_coord(&p);
                (x - 4, y - 4, x + 4, y + 4)
            })
            .collect(),
    );
    let font = ("sans-serif", 11).into_font().color(&COLORS[7]);
    for (a, p) in cov.assets.iter().zip(&assets) {
        let at = placed.place(chart.backend_coord(p), a);
        plot.draw(&Text::new(a.clone(), at, font.clone()))?;
    }
    let mut entries = vec![
        ("efficient frontier".to_string(), Mark::Line(COLORS[0], 3)),
        ("single assets".to_string(), Mark::Dot(COLORS[7], true)),
    ];
    if let Some(ms) = max_sharpe {
        let pt = (100.0 * ms.volatility, 100.0 * ms.expected_return);
        chart.draw_series(std::iter::once(TriangleMarker::new(pt, 9, COLORS[3].filled())))?;
        entries.push((
            format!("max Sharpe ({:.2})", ms.sharpe),
            Mark::Triangle(COLORS[3]),
        ));
    }
    let minv = (100.0 * pts[0].volatility, 100.0 * pts[0].expected_return);
    chart.draw_series(std::iter::once(
        EmptyElement::at(minv) + Rectangle::new([(-5, -5), (5, 5)], COLORS[2].filled()),
    ))?;
    entries.push(("minimum variance".into(), Mark::Square(COLORS[2])));
    side_legend(&panel, 60, &entries)?;
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
