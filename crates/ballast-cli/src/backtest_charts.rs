//! Backtest charts as SVG text (plotters' SVG backend): written to files and inlined in the
//! tear sheet. Time runs along x as fractional years.

use crate::chart::COLORS;
use anyhow::{anyhow, Result};
use ballast::backtest::RebalanceEvent;
use jiff::civil::Date;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Fractional year of a date (2020-07-02 ≈ 2020.5).
pub fn year_frac(d: Date) -> f64 {
    d.year() as f64 + (d.day_of_year() as f64 - 1.0) / d.days_in_year() as f64
}

fn span(dates: &[Date]) -> (f64, f64) {
    (
        year_frac(dates[0]),
        year_frac(*dates.last().expect("dates")) + 1e-6,
    )
}

const W: u32 = 1000;

fn render(h: u32, draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        draw(&root)?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(out)
}

fn year_label(x: &f64) -> String {
    format!("{:.0}", x.floor())
}

/// Equity curves on a log scale, benchmark dashed grey.
pub fn equity(
    dates: &[Date],
    series: &[(String, Vec<f64>)],
    benchmark: Option<&(String, Vec<f64>)>,
) -> Result<String> {
    render(520, |root| {
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
            .x_label_formatter(&year_label)
            .y_label_formatter(&|y| format_usd(*y))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        if let Some((name, nav)) = benchmark {
            let grey = RGBColor(0, 0, 0);
            c.draw_series(LineSeries::new(
                dates.iter().zip(nav).map(|(d, v)| (year_frac(*d), *v)),
                grey.stroke_width(1),
            ))
            .map_err(|e| anyhow!("{e}"))?
            .label(format!("{name} buy and hold"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], grey.stroke_width(2)));
        }
        for (k, (name, nav)) in series.iter().enumerate() {
            let col = COLORS[k % COLORS.len()];
            c.draw_series(LineSeries::new(
                dates.iter().zip(nav).map(|(d, v)| (year_frac(*d), *v)),
                col.stroke_width(2),
            ))
            .map_err(|e| anyhow!("{e}"))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], col.stroke_width(3)));
        }
        legend(&mut c, SeriesLabelPosition::UpperLeft)
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

fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    c: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    c.configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| anyhow!("{e}"))
}

/// Drawdowns below the running peak, in percent.
pub fn drawdowns(
    dates: &[Date],
    series: &[(String, Vec<f64>)],
    benchmark: Option<&(String, Vec<f64>)>,
) -> Result<String> {
    let dd = |nav: &[f64]| -> Vec<f64> {
        let mut peak = f64::MIN;
        nav.iter()
            .map(|v| {
                peak = peak.max(*v);
                100.0 * (v / peak - 1.0)
            })
            .collect()
    };
    render(380, |root| {
        let all: Vec<(String, Vec<f64>)> = series.iter().map(|(n, v)| (n.clone(), dd(v))).collect();
        let bench = benchmark.map(|(n, v)| (n.clone(), dd(v)));
        let lo = all
            .iter()
            .chain(bench.iter())
            .flat_map(|s| s.1.iter())
            .fold(0.0f64, |a, v| a.min(*v));
        let (x0, x1) = span(dates);
        let mut c = ChartBuilder::on(root)
            .caption("Drawdown from the running peak (%)", ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, (lo * 1.05)..1.0)
            .map_err(|e| anyhow!("{e}"))?;
        c.configure_mesh()
            .light_line_style(RGBColor(238, 238, 238))
            .x_label_formatter(&year_label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        if let Some((name, d)) = &bench {
            let grey = RGBColor(60, 60, 60);
            c.draw_series(AreaSeries::new(
                dates.iter().zip(d).map(|(x, v)| (year_frac(*x), *v)),
                0.0,
                grey.mix(0.25),
            ))
            .map_err(|e| anyhow!("{e}"))?
            .label(format!("{name} buy and hold"))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], grey.mix(0.4).filled()));
        }
        for (k, (name, d)) in all.iter().enumerate() {
            let col = COLORS[k % COLORS.len()];
            c.draw_series(LineSeries::new(
                dates.iter().zip(d).map(|(x, v)| (year_frac(*x), *v)),
                col.stroke_width(1),
            ))
            .map_err(|e| anyhow!("{e}"))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], col.stroke_width(3)));
        }
        legend(&mut c, SeriesLabelPosition::LowerLeft)
    })
}

/// Stacked weights over time: the `top` coins by average weight, the rest as "other", and
/// cash (if given) on top.
pub fn weights(
    title: &str,
    dates: &[Date],
    assets: &[String],
    w: &[f64],
    cash: Option<&[f64]>,
    top: usize,
) -> Result<String> {
    let n = assets.len();
    let t = dates.len();
    let mut avg: Vec<(usize, f64)> = (0..n)
        .map(|i| (i, (0..t).map(|k| w[k * n + i].abs()).sum::<f64>()))
        .collect();
    avg.sort_by(|a, b| b.1.total_cmp(&a.1));
    let shown: Vec<usize> = avg.iter().filter(|a| a.1 > 0.0).take(top).map(|a| a.0).collect();
    let mut layers: Vec<(String, Vec<f64>)> = shown
        .iter()
        .map(|&i| (assets[i].clone(), (0..t).map(|k| 100.0 * w[k * n + i]).collect()))
        .collect();
    let other: Vec<f64> = (0..t)
        .map(|k| {
            100.0
                * ((0..n).map(|i| w[k * n + i]).sum::<f64>()
                    - shown.iter().map(|&i| w[k * n + i]).sum::<f64>())
        })
        .collect();
    if other.iter().any(|v| v.abs() > 1e-9) {
        layers.push(("other".into(), other));
    }
    if let Some(cash) = cash {
        layers.push(("cash".into(), cash.iter().map(|c| 100.0 * c.max(0.0)).collect()));
    }
    // leverage (a perpetual book with max_leverage > 1) stacks above 100 %
    let top_y = (0..t)
        .map(|k| layers.iter().map(|l| l.1[k].max(0.0)).sum::<f64>())
        .fold(100.0f64, f64::max)
        + 2.0;
    render(420, |root| {
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
            .x_label_formatter(&year_label)
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        stack(&mut c, dates, &layers)?;
        legend(&mut c, SeriesLabelPosition::UpperRight)
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
    layers: &[(String, Vec<f64>)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let t = dates.len();
    let mut cum = vec![vec![0.0; t]; layers.len()];
    for k in 0..t {
        let mut s = 0.0;
        for (j, l) in layers.iter().enumerate() {
            s += l.1[k].max(0.0);
            cum[j][k] = s;
        }
    }
    for (j, (name, _)) in layers.iter().enumerate().rev() {
        let col = if name == "cash" {
            RGBColor(225, 225, 225)
        } else if name == "other" {
            RGBColor(170, 170, 170)
        } else {
            COLORS[j % COLORS.len()]
        };
        c.draw_series(AreaSeries::new(
            dates.iter().zip(&cum[j]).map(|(d, v)| (year_frac(*d), *v)),
            0.0,
            col.filled(),
        ))
        .map_err(|e| anyhow!("{e}"))?
        .label(name.clone())
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], col.filled()));
    }
    Ok(())
}

/// Rolling 30-day realised volatility (annualised, %) against each strategy's target.
pub fn rolling_vol(dates: &[Date], series: &[(String, Vec<f64>)], targets: &[Option<f64>]) -> Result<String> {
    let roll = |nav: &[f64]| -> Vec<(f64, f64)> {
        let r: Vec<f64> = nav.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        (30..=r.len())
            .map(|k| {
                let s = &r[k - 30..k];
                let m = s.iter().sum::<f64>() / 30.0;
                let sd = (s.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 29.0).sqrt();
                (year_frac(dates[k]), 100.0 * sd * 365f64.sqrt())
            })
            .collect()
    };
    let lines: Vec<Vec<(f64, f64)>> = series.iter().map(|s| roll(&s.1)).collect();
    render(400, |root| {
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
            .x_label_formatter(&year_label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (k, ((name, _), line)) in series.iter().zip(&lines).enumerate() {
            let col = COLORS[k % COLORS.len()];
            c.draw_series(LineSeries::new(line.iter().copied(), col.stroke_width(1)))
                .map_err(|e| anyhow!("{e}"))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], col.stroke_width(3)));
            if let Some(tv) = targets[k] {
                let y = 100.0 * tv;
                let dashes = (0..((x1 - x0) * 12.0) as usize).map(|j| {
                    let a = x0 + j as f64 / 12.0;
                    PathElement::new([(a, y), ((a + 1.0 / 24.0).min(x1), y)], col.stroke_width(3))
                });
                c.draw_series(dashes).map_err(|e| anyhow!("{e}"))?;
            }
        }
        legend(&mut c, SeriesLabelPosition::UpperRight)
    })
}

/// Ex-ante percent risk contributions of each rebalance's target, stacked, held until the next.
pub fn risk_contributions(
    title: &str,
    end: Date,
    assets: &[String],
    events: &[RebalanceEvent],
    top: usize,
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
        return render(120, |_| Ok(()));
    }
    weights(title, &dates, assets, &w, None, top)
}
