//! `ballast optimize` and `ballast frontier`

use super::{json, repair_note, window_line};
use crate::args::{Format, FrontierArgs, OptimizeArgs};
use crate::input;
use crate::table::{fixed, pct, plural, Table};
use anyhow::Result;
use ballast::allocate::{Allocation, ConstraintsSpec, SolveStatus};
use ballast::analysis::{frontier as frontier_report, optimize, OptimizeReport};

pub fn run(a: &OptimizeArgs) -> Result<String> {
    let spec = input::allocation(a)?;
    let panel = input::panel(&a.window)?;
    let r = optimize(
        &panel,
        &input::window(&a.window),
        &input::covariance(&a.cov),
        &spec,
    )?;
    if let (Some(l), None) = (
        r.allocation.covariance.repaired_min_eigenvalue,
        &r.allocation.pairwise,
    ) {
        eprintln!(
            "warning: the {} covariance is not positive definite (smallest eigenvalue {l:.3e}); using its nearest positive-definite repair (--repair-psd)",
            r.allocation.covariance.estimator
        );
    }
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => Ok(table(&r)),
    }
}

fn table(r: &OptimizeReport) -> String {
    let a = &r.allocation;
    let mut out = format!(
        "Target: {}{} on {} covariance, {}\n",
        a.method,
        a.momentum
            .as_ref()
            .map(|m| {
                let mut s = String::new();
                if let Some(k) = m.top {
                    s += &format!(
                        ", the {} with the best {}-day momentum",
                        plural(k.min(a.assets.len()), "asset"),
                        m.lookback
                    );
                }
                if m.tilt > 0.0 {
                    s += &format!(", tilted to {}-day momentum (κ = {})", m.lookback, m.tilt);
                }
                s
            })
            .unwrap_or_default(),
        a.covariance.estimator,
        plural(a.assets.len(), "asset")
    );
    out += &window_line(&r.window);
    if let Some(p) = &a.pairwise {
        out += &super::pairwise_note(p, r.window.returns);
    }
    out += "\n";
    out += &weights_table(a);
    out += &summary(a);
    out
}

/// The weights, volatilities, expected returns and risk contributions of an allocation.
pub fn weights_table(a: &Allocation) -> String {
    let with_mu = !a.expected_returns.is_empty()
        && (a.method.uses_mu() || a.method == ballast::allocate::Method::BlackLitterman);
    let mut header = vec!["asset", "weight", "vol"];
    if with_mu {
        header.push("exp. return");
    }
    header.push("risk contribution");
    let mut t = Table::new(header);
    let mut hidden = 0;
    for i in 0..a.assets.len() {
        if a.weights[i].abs() < 5e-5 {
            hidden += 1;
            continue;
        }
        let mut row = vec![
            a.assets[i].clone(),
            pct(a.weights[i]),
            pct(a.asset_volatilities[i]),
        ];
        if with_mu {
            row.push(pct(a.expected_returns[i]));
        }
        row.push(pct(a.risk_contributions[i]));
        t.row(row);
    }
    if a.cash.abs() >= 5e-5 {
        t.row(["cash".to_string(), pct(a.cash), pct(0.0)]);
    }
    let mut out = t.render();
    // coins momentum left out are not "small weights"
    let n = a.assets.len();
    let left_out = a
        .momentum
        .as_ref()
        .and_then(|m| m.top)
        .map_or(0, |k| n.saturating_sub(k));
    if left_out > 0 {
        out += &format!("  ({} left out by momentum)\n", plural(left_out, "asset"));
    }
    if hidden > left_out {
        out += &format!(
            "  ({} below 0.005 % weight not shown)\n",
            plural(hidden - left_out, "asset")
        );
    }
    out
}

/// Volatility, expected return, Sharpe, overlay and solver lines.
pub fn summary(a: &Allocation) -> String {
    let mut out = format!("\nPortfolio volatility (annual) {}", pct(a.volatility_annual));
    if let ballast::allocate::MethodDetails::FactorRiskParity {
        model,
        factors,
        budgets,
        contributions,
        exposures,
        ..
    } = &a.details
    {
        let k = factors.len();
        let show = |v: &[f64]| {
            factors
                .iter()
                .zip(v)
                .map(|(f, x)| format!("{f} {}", pct(*x)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out = format!(
            "\nFactor risk contributions ({model}): {}, residual {} (budgets {}); exposures {}\n{out}",
            show(&contributions[..k]),
            pct(contributions[k]),
            show(budgets),
            factors
                .iter()
                .zip(exposures)
                .map(|(f, x)| format!("{f} {}", fixed(*x, 3)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let (Some(r), Some(s)) = (a.expected_return_annual, a.sharpe) {
        out += &format!(
            ", expected return {} ({} means), Sharpe {} (risk-free {})",
            pct(r),
            if a.method == ballast::allocate::Method::BlackLitterman {
                "Black-Litterman posterior"
            } else {
                "estimated"
            },
            fixed(s, 3),
            pct(a.risk_free)
        );
    }
    out += "\n";
    if let Some(v) = &a.vol_target {
        out += &format!(
            "Vol target {}: scale ×{:.4} (unscaled vol {}){}\n",
            pct(v.target),
            v.scale,
            pct(v.volatility_before),
            if v.leverage_capped {
                format!(", capped by the leverage limit {}", v.max_leverage)
            } else {
                String::new()
            }
        );
    }
    if let Some(b) = &a.beta_neutral {
        let tol = if b.tolerance > 0.0 {
            format!(" (|exposure| ≤ {})", b.tolerance)
        } else {
            String::new()
        };
        out += &format!(
            "Beta-neutral to {}{tol}: exposures {}\n",
            b.model,
            b.exposures
                .iter()
                // solver round-off (±1e-16) printed as 0, not −0.0000
                .map(|(f, x)| format!("{f} {}", fixed(if x.abs() < 1e-12 { 0.0 } else { *x }, 4)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out += &details_line(&a.details);
    let status = match a.status {
        SolveStatus::ClosedForm => "closed form".to_string(),
        SolveStatus::Solved | SolveStatus::AlmostSolved => match &a.solver {
            Some(s) => format!(
                "{} in {} (residual {:.1e})",
                if a.status == SolveStatus::Solved {
                    "solved"
                } else {
                    "almost solved (reduced accuracy)"
                },
                plural(s.iterations, "iteration"),
                s.error
            ),
            None => "solved".to_string(),
        },
    };
    out += &format!("Solver: {status}\n");
    out += &repair_note(&a.covariance);
    out
}

/// The method's own line of the summary (CVaR, clusters, the constrained budgets, the
/// Black–Litterman prior), or nothing.
fn details_line(details: &ballast::allocate::MethodDetails) -> String {
    match details {
        ballast::allocate::MethodDetails::MinCvar { cvar, var, beta } => {
            format!("1-day CVaR at β = {beta}: {} (VaR {})\n", pct(*cvar), pct(*var))
        }
        ballast::allocate::MethodDetails::Herc { clusters } => {
            format!("HERC clusters: {clusters}\n")
        }
        ballast::allocate::MethodDetails::EfficientCvar {
            cvar,
            var,
            beta,
            target_cvar,
        } => {
            format!(
                "1-day CVaR at β = {beta}: {} (target {}; VaR {})\n",
                pct(*cvar),
                pct(*target_cvar),
                pct(*var)
            )
        }
        ballast::allocate::MethodDetails::ConstrainedRiskBudget {
            report, return_floor, ..
        } => {
            format!(
                "Risk budgets under the constraints (successive convex approximation, {}{}): largest |risk contribution − budget| {}, Σ(RC − b)² = {:.3e}{}\n",
                plural(report.iterations, "iteration"),
                if report.converged { "" } else { ", NOT converged" },
                pct(report.max_deviation),
                report.objective,
                return_floor
                    .map(|r| format!(", expected return ≥ {}", pct(r)))
                    .unwrap_or_default()
            )
        }
        ballast::allocate::MethodDetails::BlackLitterman {
            tau,
            risk_aversion,
            prior_kind,
            ..
        } => {
            format!(
                "Black-Litterman: {} prior, δ = {risk_aversion:.6}, τ = {tau}\n",
                prior_kind.name()
            )
        }
        _ => String::new(),
    }
}

pub fn frontier(a: &FrontierArgs) -> Result<String> {
    let panel = input::panel(&a.window)?;
    let cons = match &a.constraints {
        Some(p) => ballast::io::read_constraints(p)?,
        None => ConstraintsSpec::default(),
    };
    let r = frontier_report(
        &panel,
        &input::window(&a.window),
        &input::covariance(&a.cov),
        &cons,
        a.points,
        a.risk_free,
    )?;
    if let Some(path) = &a.out {
        crate::chart::frontier_svg(path, &r)?;
        eprintln!("wrote {}", path.display());
    }
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => {
            let assets = &r.covariance.assets;
            let mut out = format!(
                "Efficient frontier, {} ({} covariance, historical mean returns)\n",
                plural(assets.len(), "asset"),
                r.covariance.estimator
            );
            out += &window_line(&r.window);
            out += &repair_note(&r.covariance.info());
            out += "\n";
            let mut t = Table::new(["point", "exp. return", "volatility", "Sharpe", "largest weights"]);
            for (k, p) in r.points.iter().enumerate() {
                let mut idx: Vec<usize> = (0..assets.len()).collect();
                idx.sort_by(|&x, &y| p.weights[y].total_cmp(&p.weights[x]));
                let top: Vec<String> = idx
                    .iter()
                    .take(3)
                    .filter(|&&i| p.weights[i] > 1e-4)
                    .map(|&i| format!("{} {}", assets[i], pct(p.weights[i])))
                    .collect();
                t.row([
                    k.to_string(),
                    pct(p.expected_return),
                    pct(p.volatility),
                    fixed(p.sharpe, 3),
                    top.join(", "),
                ]);
            }
            out += &t.render();
            if let Some(m) = &r.max_sharpe {
                out += &format!(
                    "\nMax Sharpe: return {}, volatility {}, Sharpe {}\n",
                    pct(m.expected_return),
                    pct(m.volatility),
                    fixed(m.sharpe, 3)
                );
            }
            Ok(out)
        }
    }
}
