//! One module per subcommand; each calls the library and returns the text to print. JSON is
//! the serialisation of the library's result types.

pub mod accounts;
pub mod backtest;
pub mod book;
pub mod book_var;
pub mod covariance;
pub mod factor_hedge;
pub mod factors;
pub mod garch;
pub mod greeks;
pub mod margin;
pub mod optimize;
pub mod report;
pub mod risk;
pub mod serve;
pub mod stress;
pub mod surface;
pub mod var_backtest;

use crate::table::{pct, plural, usd, Table};
use ballast::data::WindowInfo;
use ballast::risk::{RiskSummary, VarMethod};

/// Pretty JSON of a library result, with a final newline.
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// A note when the covariance was replaced by its nearest positive-definite repair.
pub fn repair_note(c: &ballast::estimate::CovarianceInfo) -> String {
    if c.estimator == "sample-pairwise" {
        return String::new(); // said by pairwise_note
    }
    c.repaired_min_eigenvalue.map_or(String::new(), |l| {
        format!(
            "Covariance repaired to the nearest positive-definite matrix (smallest eigenvalue was {l:.3e}; --repair-psd)\n"
        )
    })
}

/// What a pairwise estimate rests on: the coins with fewer returns than the window, the least
/// overlap, and the repair if one was needed.
pub fn pairwise_note(p: &ballast::estimate::PairwiseReport, window: usize) -> String {
    let short: Vec<String> = p
        .counts
        .iter()
        .filter(|(_, c)| **c < window)
        .map(|(a, c)| format!("{a} {c}"))
        .collect();
    let mut s = format!(
        "Pairwise history: each pair over the returns both have; {}; least overlap {} returns ({}–{}, at least {} required)
",
        if short.is_empty() {
            "every coin has the whole window".to_string()
        } else {
            format!("coins with part of the window: {}", short.join(", "))
        },
        p.min_overlap,
        p.min_overlap_pair[0],
        p.min_overlap_pair[1],
        p.required_overlap
    );
    match &p.repair {
        None => s += "The pairwise covariance is positive definite: no repair needed
",
        Some(r) => {
            s += &format!(
                "Not positive definite (correlation's smallest eigenvalue {:.3e}): repaired to the nearest correlation matrix with eigenvalues ≥ {:e} (Higham 2002, {} iterations), variances kept; ‖ΔC‖_F = {:.4}, largest change of one correlation {:.4}
",
                r.min_eigenvalue_before, r.eigenvalue_floor, r.iterations, r.frobenius_distance, r.max_change
            )
        }
    }
    s
}

/// The window line printed above tables (and the assets dropped, if any).
pub fn window_line(w: &WindowInfo) -> String {
    let mut s = format!(
        "Window: {} from {} to {} (prices from {}), {} per year\n",
        plural(w.returns, "return"),
        w.first_return,
        w.last_return,
        w.first_price,
        w.periods_per_year
    );
    if !w.dropped_incomplete.is_empty() {
        s += &format!(
            "Dropped (incomplete in the window): {}\n",
            w.dropped_incomplete.join(", ")
        );
    }
    s
}

/// Table rows of VaR/CVaR per method and confidence (fraction, and USD with a value).
pub fn tail_table(s: &RiskSummary) -> String {
    let mut confs: Vec<f64> = s.var.iter().map(|t| t.confidence).collect();
    confs.dedup();
    // 0.57 → "57%", 0.995 → "99.5%" (no floating-point tail)
    let level = |c: f64| {
        let s = format!("{:.4}", 100.0 * c);
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    };
    let mut header = vec!["1-day loss".to_string()];
    for &c in &confs {
        header.push(level(c));
        if s.value_usd.is_some() {
            header.push(format!("{} USD", level(c)));
        }
    }
    let mut t = Table::new(header);
    let rows: [(&str, &[ballast::risk::TailLoss], VarMethod); 5] = [
        ("VaR historical", &s.var, VarMethod::Historical),
        ("VaR Gaussian", &s.var, VarMethod::Gaussian),
        ("VaR Cornish-Fisher", &s.var, VarMethod::CornishFisher),
        ("CVaR historical", &s.cvar, VarMethod::Historical),
        ("CVaR Gaussian", &s.cvar, VarMethod::Gaussian),
    ];
    for (name, list, m) in rows {
        let mut r = vec![name.to_string()];
        for c in &confs {
            let l = RiskSummary::find(list, m, *c).unwrap_or(f64::NAN);
            r.push(pct(l));
            if let Some(v) = s.value_usd {
                r.push(usd(l * v));
            }
        }
        t.row(r);
    }
    t.render()
}
