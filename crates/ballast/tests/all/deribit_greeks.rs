//! `quote_greeks` against the Greeks Deribit publishes, on every chain in the data folder
//! (`shared/data/deribit_*_options_*.csv` and `shared/data/deribit_options_snapshots/`; see
//! `shared/data/README.md` sections 4 and 10), every row more than two days from expiry (closer
//! in, Deribit's theta is not the Black-76 derivative).
//!
//! Tolerances (absolute below 1 USD for vega and theta, relative above):
//! * chains with Deribit's full Greeks (per-row quote times): delta 1e-4, vega 1e-3, theta 2e-2;
//! * chains with only delta and vega, whose Greeks come from ticker calls made minutes after
//!   the book summary that gave the mark, `mark_iv` and forward: delta 1.5e-2, vega 3e-2 on every
//!   row of a single snapshot file; on the daily snapshot folder, where the market moved more
//!   between the calls on some days (2026-03-06, 03-11), on 99 % of the rows (0.3 % miss today),
//!   and every row
//!   within delta 0.03 / vega 0.12 — no choice of volatility reproduces those quotes, since
//!   Deribit's Greeks there correspond to a forward 0.1–0.3 % and a volatility up to 3 points
//!   away from the summary's.

use ballast::data::ChainQuote;
use ballast::io::read_option_chain;
use ballast::pricing::{quote_greeks, year_fraction, VolSource};
use std::path::PathBuf;

/// Every chain file in the data folder.
fn chains() -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    for (dir, snapshot) in [
        (crate::common::data_path(""), false),
        (crate::common::data_path("deribit_options_snapshots"), true),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with("deribit_") && n.contains("_options_") && n.ends_with(".csv")
                })
            })
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, snapshot)));
    }
    out
}

/// |a − b|, relative when |b| ≥ 1.
fn err(a: f64, b: f64) -> f64 {
    let d = (a - b).abs();
    if b.abs() >= 1.0 {
        d / b.abs()
    } else {
        d
    }
}

#[derive(Default)]
struct Tally {
    rows: usize,
    failing: Vec<String>,
    worst: [f64; 3],
}

fn check(q: &ChainQuote, tol: [f64; 3], t: &mut Tally) {
    let Some(expiry) = q.instrument.expiry() else {
        return;
    };
    if year_fraction(q.timestamp, expiry) * 365.0 <= 2.0 {
        return;
    }
    let (Some(dd), Some(dv)) = (q.deribit_delta, q.deribit_vega) else {
        return;
    };
    let g = quote_greeks(q, None).unwrap_or_else(|e| panic!("{}: {e}", q.name));
    let e = [
        (g.greeks.delta - dd).abs(),
        err(g.greeks.vega, dv),
        q.deribit_theta.map_or(0.0, |th| err(g.greeks.theta, th)),
    ];
    t.rows += 1;
    for k in 0..3 {
        t.worst[k] = t.worst[k].max(e[k]);
    }
    if (0..3).any(|k| !(e[k] <= tol[k])) {
        t.failing.push(format!(
            "{} ({:?}, σ {:.4}): delta {:+.2e} vega {:+.2e} theta {:+.2e}",
            q.name, g.vol_source, g.vol, e[0], e[1], e[2]
        ));
    }
    // the choice is reported, and a chain with mark_iv uses it where the mark is ill-conditioned
    assert!(g.vol_source == VolSource::MarkIv || q.mark_iv.is_none() || g.iv_from_mark.is_ok());
}

#[test]
fn greeks_agree_with_deribit_on_every_chain() {
    let files = chains();
    assert!(!files.is_empty(), "no Deribit chain in the data folder");
    let (mut snap, mut snap_rows) = (Tally::default(), 0);
    for (file, snapshot) in &files {
        let rows = read_option_chain(file).unwrap();
        let quotes: Vec<ChainQuote> = rows.into_iter().filter_map(|r| r.quote.ok()).collect();
        let full = quotes
            .iter()
            .any(|q| q.deribit_theta.is_some() && q.deribit_gamma.is_some());
        let tol = if full {
            [1e-4, 1e-3, 2e-2]
        } else {
            [1.5e-2, 3e-2, f64::INFINITY]
        };
        let mut t = Tally::default();
        for q in &quotes {
            check(q, tol, &mut t);
        }
        if *snapshot && !full {
            snap_rows += t.rows;
            snap.failing.extend(t.failing);
            for k in 0..3 {
                snap.worst[k] = snap.worst[k].max(t.worst[k]);
            }
        } else {
            assert!(t.rows > 100, "{}: only {} rows checked", file.display(), t.rows);
            assert!(
                t.failing.is_empty(),
                "{}: {} of {} rows outside the tolerances {tol:?}:\n{}",
                file.display(),
                t.failing.len(),
                t.rows,
                t.failing.join("\n")
            );
        }
    }
    if snap_rows > 0 {
        let share = snap.failing.len() as f64 / snap_rows as f64;
        assert!(
            share <= 0.01,
            "snapshots: {} of {snap_rows} rows outside the tolerances",
            snap.failing.len()
        );
        assert!(
            snap.worst[0] <= 0.03 && snap.worst[1] <= 0.12,
            "snapshots: worst delta {:.3e}, vega {:.3e}",
            snap.worst[0],
            snap.worst[1]
        );
    }
}
