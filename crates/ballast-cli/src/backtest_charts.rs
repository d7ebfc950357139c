//! Backtest charts as SVG text (plotters' SVG backend): written to files and inlined in the
//! tear sheet. Time runs along x as fractional years.

use crate::chart::{side_legend, Mark, COLORS, LEGEND_W};
use anyhow::{anyhow, Result};
use ballast::backtest::RebalanceEvent;
use jiff::civil::Date;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Fractional year of a date (2020-07-02 ≈ 2020.5).
pub fn year_frac(d: Date) -> f64 {
    d.year() as f64 + (d.day_of_year() as f64 - 1.0) / d.days_in_year() as f64
}

pub(crate) fn span(dates: &[Date]) -> (f64, f64) {
    (
        year_frac(dates[0]),
        year_frac(*dates.last().expect("dates")) + 1e-6,
    )
}

/// Width of the plot (the legend panel is to its right).
const W: u32 = 960;

/// An SVG of the plot drawn by `draw`, with `entries` listed in a panel to its right.
pub(crate) fn render(
    h: u32,
    entries: &[(String, Mark)],
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<String> {
    let mut out = String::new();
    {
        let width = if entries.is_empty() { W } else { W + LEGEND_W };
        let root = SVGBackend::with_string(&mut out, (width, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let (plot, panel) = root.split_horizontally(W);
        draw(&plot)?;
        side_legend(&panel, 52, entries)?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(out)
}

/// The label of a fractional-year tick: the exact date it falls on (spans under four years),
/// or its year when it falls within a few days of New Year, else year-month.
pub(crate) fn date_label(x0: f64, x1: f64) -> impl Fn(&f64) -> String {
    move |x: &f64| {
        let year = x.floor() as i16;
        let Ok(start) = jiff::civil::Date::new(year, 1, 1) else {
            return format!("{x:.2}");
        };
        let days = ((x - x.floor()) * start.days_in_year() as f64).round() as i64;
        let Ok(d) = start.checked_add(jiff::Span::new().days(days)) else {
            return format!("{x:.2}");
        };
        if x1 - x0 < 4.0 {
            d.to_string()
        } else if days <= 3 || days >= start.days_in_year() as i64 - 3 {
            format!("{}", if days <= 3 { year } else { year + 1 })
        } else {
            format!("{}-{:02}", d.year(), d.month())
        }
    }
}

/// Equity curves on a log scale, benchmark dashed grey.
pub fn equity(
    dates: &[Date],
    series: &[(String, Vec<f64>)],
    benchmark: Option<&(String, Vec<f64>)>,
) -> Result<String> {
    let mut entries = Vec::new();
    if let Some((name, _)) = benchmark {
        entries.push((format!("{name} buy and hold"), Mark::Line(BLACK, 2)));
    }
    for (k, (name, _)) in series.iter().enumerate() {
        entries.push((name.clone(), Mark::Line(COLORS[k % COLORS.len()], 3)));
    }
    render(520, &entries, |root| {
        let all = series.iter().map(|s| &s.1).chain(benchmark.map(|b| &b.1));
        let (lo, hi) = all
            .flatten()
            .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(*v), b.max(*v)));
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption("Portfolio value (USD, log scale)", ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, (lo * 0.9..hi * 1.1).log_scale())
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&date_label(x0, x1))
            .y_label_formatter(&|y| format_usd(*y))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        if let Some((_, nav)) = benchmark {
            c.draw_series(LineSeries::new(
                dates.iter().zip(nav).map(|(d, v)| (year_frac(*d), *v)),
                BLACK.stroke_width(1),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
        for (k, (_, nav)) in series.iter().enumerate() {
            c.draw_series(LineSeries::new(
                dates.iter().zip(nav).map(|(d, v)| (year_frac(*d), *v)),
                COLORS[k % COLORS.len()].stroke_width(2),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
        Ok(())
    })
}

fn format_usd(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Drawdowns below the running peak, in percent (`ballast::backtest::metrics::drawdown_series`),
/// the benchmark as a grey area.
pub fn drawdowns(
    dates: &[Date],
    series: &[(String, Vec<f64>)],
    benchmark: Option<&(String, Vec<f64>)>,
) -> Result<String> {
    let pct = |d: &[f64]| -> Vec<f64> { d.iter().map(|v| 100.0 * v).collect() };
    let grey = RGBColor(60, 60, 60);
    let mut entries = Vec::new();
    if let Some((name, _)) = benchmark {
        entries.push((format!("{name} buy and hold"), Mark::Block(grey.mix(0.4))));
    }
    for (k, (name, _)) in series.iter().enumerate() {
        entries.push((name.clone(), Mark::Line(COLORS[k % COLORS.len()], 3)));
    }
    render(420, &entries, |root| {
        let all: Vec<Vec<f64>> = series.iter().map(|(_, v)| pct(v)).collect();
        let bench = benchmark.map(|(_, v)| pct(v));
        let lo = all
            .iter()
            .chain(bench.iter())
            .flatten()
            .fold(0.0f64, |a, v| a.min(*v));
        let floor = (lo - 0.05 * (-lo).max(10.0)).max(-102.0);
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption("Drawdown from the running peak (%)", ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, floor..1.0)
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&date_label(x0, x1))
            .y_label_formatter(&|y| format!("{:.0}", y + 0.0))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        if let Some(d) = &bench {
            c.draw_series(AreaSeries::new(
                dates.iter().zip(d).map(|(x, v)| (year_frac(*x), *v)),
                0.0,
                grey.mix(0.25),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
        for (k, d) in all.iter().enumerate() {
            c.draw_series(LineSeries::new(
                dates.iter().zip(d).map(|(x, v)| (year_frac(*x), *v)),
                COLORS[k % COLORS.len()].stroke_width(1),
            ))
            .map_err(|e| anyhow!("{e}"))?;
        }
        Ok(())
    })
}

/// One colour per coin for every chart of a run: the coins with the largest average weight
/// in any strategy get the palette, in that order; the rest are drawn as "other".
pub struct CoinColors {
    colors: Vec<Option<RGBColor>>,
}

impl CoinColors {
    /// Rank the coins of `weights` (per strategy: row-major T×N) by their largest average
    /// absolute weight.
    pub fn new(n: usize, weights: &[&[f64]]) -> Self {
        let mut score = vec![0.0f64; n];
        for w in weights {
            let t = (w.len() / n.max(1)).max(1);
            for (i, s) in score.iter_mut().enumerate() {
                let avg = (0..t).map(|k| w[k * n + i].abs()).sum::<f64>() / t as f64;
                *s = s.max(avg);
            }
        }
        let mut order: Vec<usize> = (0..n).filter(|&i| score[i] > 0.0).collect();
        order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
        let mut colors = vec![None; n];
        for (k, &i) in order.iter().take(COLORS.len() - 2).enumerate() {
            colors[i] = Some(COLORS[k]);
        }
        Self { colors }
    }

    fn of(&self, i: usize) -> Option<RGBColor> {
        self.colors.get(i).copied().flatten()
    }
}

/// Stacked weights over time: the `top` coins by average weight, the rest as "other", and
/// cash (if given) on top.
pub fn weights(
    title: &str,
    dates: &[Date],
    assets: &[String],
    w: &[f64],
    cash: Option<&[f64]>,
    colors: &CoinColors,
) -> Result<String> {
    let n = assets.len();
    let t = dates.len();
    let shown: Vec<usize> = (0..n)
        .filter(|&i| colors.of(i).is_some() && (0..t).any(|k| w[k * n + i] != 0.0))
        .collect();
    let mut layers: Vec<(String, RGBColor, Vec<f64>)> = shown
        .iter()
        .filter_map(|&i| {
            let col = colors.of(i)?;
            Some((
                assets[i].clone(),
                col,
                (0..t).map(|k| 100.0 * w[k * n + i]).collect(),
            ))
        })
        .collect();
    let other: Vec<f64> = (0..t)
        .map(|k| {
            100.0
                * ((0..n).map(|i| w[k * n + i]).sum::<f64>()
                    - shown.iter().map(|&i| w[k * n + i]).sum::<f64>())
        })
        .collect();
    if other.iter().any(|v| v.abs() > 1e-9) {
        layers.push(("other".into(), RGBColor(170, 170, 170), other));
    }
    if let Some(cash) = cash {
        layers.push((
            "cash".into(),
            RGBColor(225, 225, 225),
            cash.iter().map(|c| 100.0 * c.max(0.0)).collect(),
        ));
    }
    // leverage (a perpetual book with max_leverage > 1) stacks above 100 %
    let top_y = (0..t)
        .map(|k| layers.iter().map(|l| l.2[k].max(0.0)).sum::<f64>())
        .fold(100.0f64, f64::max)
        + 2.0;
    let entries: Vec<(String, Mark)> = layers
        .iter()
        .rev()
        .map(|(name, col, _)| (name.clone(), Mark::Block(col.to_rgba())))
        .collect();
    render(420, &entries, |root| {
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..top_y)
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&date_label(x0, x1))
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        stack(&mut c, dates, &layers)
    })
}

/// Draw cumulative layers as filled areas, top layer first so lower ones stay visible.
fn stack<'a, DB: DrawingBackend + 'a>(
    c: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    dates: &[Date],
    layers: &[(String, RGBColor, Vec<f64>)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let t = dates.len();
    let mut cum = vec![vec![0.0; t]; layers.len()];
    for k in 0..t {
        let mut s = 0.0;
        for (j, l) in layers.iter().enumerate() {
            s += l.2[k].max(0.0);
            cum[j][k] = s;
        }
    }
    for (j, (_, col, _)) in layers.iter().enumerate().rev() {
        c.draw_series(AreaSeries::new(
            dates.iter().zip(&cum[j]).map(|(d, v)| (year_frac(*d), *v)),
            0.0,
            col.filled(),
        ))
        .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(())
}

/// Rolling series that end on the last date (element k of a window-w series covers dates
/// k + 1 .. k + w), as chart points scaled by `scale`; non-finite values are left out.
fn trailing_lines(dates: &[Date], series: &[(String, Vec<f64>)], scale: f64) -> Vec<Vec<(f64, f64)>> {
    series
        .iter()
        .map(|(_, v)| {
            let skip = dates.len().saturating_sub(v.len());
            v.iter()
                .zip(&dates[skip..])
                .filter(|(x, _)| x.is_finite())
                .map(|(x, d)| (year_frac(*d), scale * x))
                .collect()
        })
        .collect()
}

/// One legend line per series, in the palette's order.
fn line_entries(series: &[(String, Vec<f64>)]) -> Vec<(String, Mark)> {
    series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| (name.clone(), Mark::Line(COLORS[k % COLORS.len()], 3)))
        .collect()
}

/// Rolling 30-day realised volatility (annualised, %; `ballast::backtest::metrics::
/// rolling_volatility` of each strategy's daily returns, the value at the window's last day)
/// against each strategy's target.
pub fn rolling_vol(dates: &[Date], series: &[(String, Vec<f64>)], targets: &[Option<f64>]) -> Result<String> {
    let lines = trailing_lines(dates, series, 100.0);
    let entries = line_entries(series);
    render(400, &entries, |root| {
        let hi = lines.iter().flatten().map(|p| p.1).fold(10.0f64, f64::max);
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption(
                "Rolling 30-day volatility (annualised, %) and targets (dashed)",
                ("sans-serif", 20),
            )
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..hi * 1.05)
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&date_label(x0, x1))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (k, line) in lines.iter().enumerate() {
            let col = COLORS[k % COLORS.len()];
            c.draw_series(LineSeries::new(line.iter().copied(), col.stroke_width(1)))
                .map_err(|e| anyhow!("{e}"))?;
            if let Some(tv) = targets[k] {
                let y = 100.0 * tv;
                let dashes = (0..((x1 - x0) * 12.0) as usize).map(|j| {
                    let a = x0 + j as f64 / 12.0;
                    PathElement::new([(a, y), ((a + 1.0 / 24.0).min(x1), y)], col.stroke_width(3))
                });
                c.draw_series(dashes).map_err(|e| anyhow!("{e}"))?;
            }
        }
        Ok(())
    })
}

/// Rolling beta of each strategy's daily returns to the benchmark's, with the zero line.
pub fn rolling_beta(
    dates: &[Date],
    series: &[(String, Vec<f64>)],
    bench: &str,
    window: usize,
) -> Result<String> {
    beta_lines(
        &format!("Rolling {window}-day beta to {bench} (daily returns)"),
        dates,
        series,
    )
}

/// Lines of betas (or exposures) over time, each series ending at the last date, with the
/// zero line.
pub fn beta_lines(caption: &str, dates: &[Date], series: &[(String, Vec<f64>)]) -> Result<String> {
    let lines = trailing_lines(dates, series, 1.0);
    let entries = line_entries(series);
    render(400, &entries, |root| {
        let ys = lines.iter().flatten().map(|p| p.1);
        let hi = ys.clone().fold(1.2f64, f64::max);
        let lo = ys.fold(-0.2f64, f64::min);
        let pad = 0.05 * (hi - lo);
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, lo - pad..hi + pad)
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&date_label(x0, x1))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        c.draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], BLACK.stroke_width(1)))
            .map_err(|e| anyhow!("{e}"))?;
        for (k, line) in lines.iter().enumerate() {
            let col = COLORS[k % COLORS.len()];
            c.draw_series(LineSeries::new(line.iter().copied(), col.stroke_width(1)))
                .map_err(|e| anyhow!("{e}"))?;
        }
        Ok(())
    })
}

/// Ex-ante percent risk contributions of each rebalance's target, stacked, held until the next.
pub fn risk_contributions(
    title: &str,
    end: Date,
    assets: &[String],
    events: &[RebalanceEvent],
    colors: &CoinColors,
) -> Result<String> {
    let mut dates: Vec<Date> = Vec::new();
    let mut w: Vec<f64> = Vec::new();
    for (k, e) in events.iter().enumerate() {
        let until = events.get(k + 1).map_or(end, |x| x.date);
        dates.push(e.date);
        w.extend(e.risk_contributions.iter());
        dates.push(until);
        w.extend(e.risk_contributions.iter());
    }
    if dates.len() < 2 {
        return render(120, &[], |_| Ok(()));
    }
    weights(title, &dates, assets, &w, None, colors)
}
