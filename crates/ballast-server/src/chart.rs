//! The dashboard's chart, drawn on the server as SVG with plotters: a book's P&L since the
//! start and its delta (USD) over its latest snapshots, against exchange time.

use plotters::prelude::*;
use std::collections::VecDeque;

/// Snapshots a book's chart keeps (ten minutes at one a second).
pub const HISTORY: usize = 600;

/// One snapshot of a book on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Exchange time of the valuation, seconds since the epoch.
    pub t: f64,
    /// P&L since the start, USD.
    pub pnl: f64,
    /// Delta, USD.
    pub delta: f64,
}

/// A book's latest points: a point earlier than the last (a replay starting over) starts the
/// history over; at most [`HISTORY`] are kept.
pub fn push(history: &mut VecDeque<Point>, p: Point) {
    if !(p.t.is_finite() && p.pnl.is_finite() && p.delta.is_finite()) {
        return;
    }
    if history.back().is_some_and(|last| p.t < last.t) {
        history.clear();
    }
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(p);
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs().max(1.0) * 1e-6);
    (lo - pad, hi + pad)
}

/// The SVG (1000 × 440) of `points`: P&L since the start above, delta below, x in hours since
/// the first point.
///
/// # Errors
/// plotters' drawing errors (as text).
pub fn svg(title: &str, points: &[Point]) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (1000, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (top, bottom) = root.split_vertically(220);
        let t0 = points.first().map_or(0.0, |p| p.t);
        let hours = |p: &Point| (p.t - t0) / 3600.0;
        let x1 = points.last().map_or(1.0, |p| hours(p).max(1e-3));
        let panels = [
            (top, format!("{title}: P&L since start (USD)"), &RED, 0usize),
            (bottom, "delta (USD)".to_string(), &BLUE, 1),
        ];
        for (area, caption, color, k) in panels {
            let value = |p: &Point| if k == 0 { p.pnl } else { p.delta };
            let (y0, y1) = range(points.iter().map(value));
            let mut chart = ChartBuilder::on(&area)
                .caption(caption, ("sans-serif", 16))
                .margin(8)
                .x_label_area_size(28)
                .y_label_area_size(80)
                .build_cartesian_2d(0.0..x1, y0..y1)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("hours since the first point (exchange time)")
                .x_labels(8)
                .y_labels(5)
                .y_label_formatter(&|y| format!("{y:.0}"))
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (hours(p), value(p))),
                    color,
                ))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_bounded_and_restarts_with_time() {
        let mut h = VecDeque::new();
        for i in 0..(HISTORY + 10) {
            push(
                &mut h,
                Point {
                    t: i as f64,
                    pnl: 1.0,
                    delta: 2.0,
                },
            );
        }
        assert_eq!(h.len(), HISTORY);
        assert_eq!(h.front().unwrap().t, 10.0);
        push(
            &mut h,
            Point {
                t: 3.0,
                pnl: 0.0,
                delta: 0.0,
            },
        );
        assert_eq!(h.len(), 1, "a replay starting over starts the chart over");
        push(
            &mut h,
            Point {
                t: 4.0,
                pnl: f64::NAN,
                delta: 0.0,
            },
        );
        assert_eq!(h.len(), 1, "no NaN on the chart");
    }

    #[test]
    fn the_svg_has_both_panels_and_a_line_each() {
        let pts: Vec<Point> = (0..50)
            .map(|i| Point {
                t: 1_776_000_000.0 + 3600.0 * i as f64,
                pnl: (i as f64 * 0.3).sin() * 1000.0,
                delta: 50_000.0 + 100.0 * i as f64,
            })
            .collect();
        let s = svg("book", &pts).unwrap();
        assert!(
            s.starts_with("<svg") && s.contains("L since start") && s.contains("delta (USD)"),
            "{}",
            &s[..200]
        );
        // the two series: P&L in red, delta in blue (the mesh is grey)
        assert!(
            s.contains("stroke=\"#FF0000\"") && s.contains("stroke=\"#0000FF\""),
            "{s}"
        );
        // no points: empty axes, no error
        assert!(svg("book", &[]).unwrap().contains("<svg"));
    }
}
