//! `ballast optimize`

use super::{by_asset, window_json, window_line};
use crate::args::{Format, LeafOrderArg, LinkageArg, Method, OptimizeArgs};
use crate::input;
use crate::table::{pct, Table};
use anyhow::{bail, Context, Result};
use ballast::allocate::{
    efficient_frontier, herc, hrp_with, inverse_volatility, mean_variance, min_cvar, views_from_pairs,
    vol_target, BlackLitterman, Constraints, ConstraintsSpec, HrpConfig, LeafOrder, Linkage, MvObjective,
    RiskBudgeting, ViewUncertainty, VolTarget, WeightBounds,
};
use ballast::estimate::{historical_mean, signal_tilt, vol_adjusted_momentum};
use serde_json::json;

pub fn run(a: &OptimizeArgs) -> Result<String> {
    let budgets = match (&a.budgets, a.method) {
        (Some(b), Method::RiskBudget) => Some(input::parse_pairs(b, "--budgets")?),
        (None, Method::RiskBudget) => {
            bail!("--method risk-budget needs --budgets, e.g. --budgets BTC=0.4,ETH=0.3,SOL=0.3")
        }
        (Some(_), _) => bail!("--budgets is only used with --method risk-budget"),
        (None, _) => None,
    };
    let assets = match (&budgets, &a.window.assets) {
        (Some(b), Some(list)) => {
            let keys: Vec<&String> = b.iter().map(|p| &p.0).collect();
            if list.len() != keys.len() || list.iter().any(|x| !keys.contains(&x)) {
                bail!("--assets and --budgets name different assets; give a budget for exactly the assets selected");
            }
            Some(list.clone())
        }
        (Some(b), None) => Some(b.iter().map(|p| p.0.clone()).collect()),
        (None, _) => None,
    };
    let mut l = input::load(&a.window, assets)?;
    if let Some(k) = a.momentum_top {
        l = momentum_selection(a, l, k)?;
    }
    let cov = input::covariance_or_repair(&l.returns, a.estimator, a.ewma_lambda, a.repair_psd)?;
    let n = cov.dim();
    if let Some(b) = &budgets {
        if l.window.dropped.iter().any(|d| b.iter().any(|p| &p.0 == d)) {
            bail!(
                "assets with budgets were dropped as incomplete ({}); remove their budgets",
                l.window.dropped.join(",")
            );
        }
    }
    let bounds = (a.min_weight.is_some() || a.max_weight.is_some())
        .then(|| WeightBounds::uniform(n, a.min_weight.unwrap_or(0.0), a.max_weight.unwrap_or(1.0)));
    if a.momentum_tilt.is_some()
        && !matches!(
            a.method,
            Method::Erc | Method::RiskBudget | Method::InverseVol | Method::Hrp | Method::Herc
        )
    {
        bail!("--momentum-tilt works with erc, risk-budget, inverse-vol, hrp and herc (mean-based methods already use expected returns)");
    }
    if let Some(mv) = mv_objective(a)? {
        return mean_variance_output(a, &l, &cov, mv);
    }
    if a.method == Method::MinCvar {
        return min_cvar_output(a, &l, &cov);
    }
    if a.method == Method::BlackLitterman {
        return black_litterman_output(a, &l, &cov);
    }
    let alloc = match a.method {
        Method::InverseVol => inverse_volatility(&cov, bounds.as_ref())?,
        Method::Erc => RiskBudgeting {
            bounds,
            ..RiskBudgeting::erc()
        }
        .weights(&cov)?,
        Method::RiskBudget => {
            let b = budgets.as_ref().expect("checked above");
            let ordered: Vec<f64> = cov
                .assets
                .iter()
                .map(|x| b.iter().find(|p| &p.0 == x).map(|p| p.1).expect("same assets"))
                .collect();
            RiskBudgeting {
                bounds,
                ..RiskBudgeting::with_budgets(ordered)
            }
            .weights(&cov)?
        }
        Method::Hrp => hrp_with(
            &cov,
            &HrpConfig {
                linkage: linkage(a.linkage),
                leaf_order: match a.leaf_order {
                    LeafOrderArg::Dendrogram => LeafOrder::Dendrogram,
                    LeafOrderArg::Optimal => LeafOrder::Optimal,
                    LeafOrderArg::Scipy => LeafOrder::Scipy,
                },
                bounds,
            },
        )?,
        Method::Herc => {
            if bounds.is_some() {
                bail!("--method herc does not take weight bounds; use --method hrp with --min-weight/--max-weight");
            }
            herc(&cov, linkage(a.linkage), a.clusters)?
        }
        _ => unreachable!("mean-variance and min-CVaR methods are handled above"),
    };
    let alloc = match a.momentum_tilt {
        Some(kappa) => {
            let score = vol_adjusted_momentum(&l.returns, a.momentum_lookback)
                .with_context(|| format!("--momentum-lookback {}", a.momentum_lookback))?;
            let w = signal_tilt(&alloc.weights, &score, kappa).context("--momentum-tilt")?;
            ballast::allocate::Allocation::new(alloc.method, &cov, w, alloc.solver)?
        }
        None => alloc,
    };
    let vt = a
        .vol_target
        .map(|t| {
            vol_target(
                &cov.matrix,
                &alloc.weights,
                VolTarget {
                    target: t,
                    max_leverage: a.max_leverage,
                },
            )
        })
        .transpose()?;
    let (weights, cash, vol) = match &vt {
        Some(v) => (v.weights.clone(), v.cash, v.volatility_after),
        None => (alloc.weights.clone(), 0.0, alloc.volatility_annual),
    };
    let first_price = l.window.dates[0];
    let method = alloc.method;
    Ok(match a.window.format {
        Format::Json => {
            // the same summary keys as the mean-variance methods (μ from --mu; cash earns r_f)
            let mu = input::expected_returns(&l.returns, a.mu, a.mu_lambda)?;
            let ret: f64 = mu.iter().zip(&weights).map(|(m, w)| m * w).sum::<f64>() + cash * a.risk_free;
            let status = match &alloc.solver {
                Some(s) if s.converged => "converged",
                Some(_) => "not converged",
                None => "closed form",
            };
            let mut v = json!({
                "method": method,
                "estimator": cov.estimator,
                "weights": by_asset(&cov.assets, &weights),
                "cash": cash,
                "risk_contributions": by_asset(&cov.assets, &alloc.risk_contributions),
                "volatility_annual": vol,
                "expected_return_annual": ret,
                "sharpe": if vol > 0.0 { (ret - a.risk_free) / vol } else { f64::NAN },
                "solver_status": status,
                "window": window_json(&l.returns, first_price),
                "dropped_incomplete": l.window.dropped,
            });
            if let Some(k) = a.momentum_tilt {
                v["momentum_tilt"] = json!({"kappa": k, "lookback": a.momentum_lookback});
            }
            if let Some(b) = &budgets {
                v["budgets"] = by_asset(
                    &cov.assets,
                    &cov.assets
                        .iter()
                        .map(|x| b.iter().find(|p| &p.0 == x).unwrap().1)
                        .collect::<Vec<_>>(),
                );
            }
            if let Some(s) = &alloc.solver {
                v["solver"] =
                    json!({"iterations": s.iterations, "max_rc_error": s.error, "converged": s.converged});
            }
            if let Some(t) = &vt {
                v["vol_target"] = json!({
                    "target": a.vol_target, "scale": t.scale, "max_leverage": a.max_leverage,
                    "volatility_before": t.volatility_before, "leverage_capped": t.leverage_capped,
                });
                v["unscaled_weights"] = by_asset(&cov.assets, &alloc.weights);
            }
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let tilt = a
                .momentum_tilt
                .map(|k| format!(", tilted to {}-day momentum (κ = {k})", a.momentum_lookback))
                .unwrap_or_default();
            let mut out = format!(
                "Target: {method}{tilt} on {} covariance, {} assets\n",
                cov.estimator, n
            );
            out += &window_line(&l.returns, first_price);
            if !l.window.dropped.is_empty() {
                out += &format!(
                    "Dropped (incomplete in window): {}\n",
                    l.window.dropped.join(", ")
                );
            }
            out += "\n";
            let vols = cov.volatilities();
            let mut t = Table::new(["asset", "weight", "vol", "risk contribution"]);
            for i in 0..n {
                t.row([
                    cov.assets[i].clone(),
                    pct(weights[i]),
                    pct(vols[i]),
                    pct(alloc.risk_contributions[i]),
                ]);
            }
            if cash != 0.0 {
                t.row(["cash".to_string(), pct(cash), pct(0.0), pct(0.0)]);
            }
            out += &t.render();
            out += &format!("\nPortfolio volatility (annual): {}\n", pct(vol));
            if let Some(t) = &vt {
                out += &format!(
                    "Vol target {}: scale ×{:.4} (unscaled vol {}){}\n",
                    pct(a.vol_target.unwrap_or_default()),
                    t.scale,
                    pct(t.volatility_before),
                    if t.leverage_capped {
                        ", capped by max leverage"
                    } else {
                        ""
                    }
                );
            }
            if let Some(s) = &alloc.solver {
                out += &format!(
                    "Solver: {} sweeps, max |RC − budget| = {:.1e}\n",
                    s.iterations, s.error
                );
            }
            out
        }
    })
}

fn mv_objective(a: &OptimizeArgs) -> Result<Option<MvObjective>> {
    let need = |v: Option<f64>, flag: &str, m: &str| -> Result<f64> {
        v.with_context(|| format!("--method {m} needs {flag}"))
    };
    Ok(Some(match a.method {
        Method::MinVariance => MvObjective::MinVariance,
        Method::MaxSharpe => MvObjective::MaxSharpe,
        Method::EfficientReturn => {
            MvObjective::EfficientReturn(need(a.target_return, "--target-return X", "efficient-return")?)
        }
        Method::EfficientRisk => {
            MvObjective::EfficientRisk(need(a.target_vol, "--target-vol X", "efficient-risk")?)
        }
        Method::Utility => MvObjective::Utility(need(a.risk_aversion, "--risk-aversion X", "utility")?),
        _ => return Ok(None),
    }))
}

/// Constraints from --constraints FILE, else from --min-weight / --max-weight.
fn constraints(
    file: Option<&std::path::Path>,
    min: Option<f64>,
    max: Option<f64>,
    assets: &[String],
) -> Result<Constraints> {
    Ok(match file {
        Some(p) => ballast::io::read_constraints(p)?.resolve(assets)?,
        None => Constraints::long_only(assets.len()).with_bounds(min.unwrap_or(0.0), max.unwrap_or(1.0)),
    })
}

fn mv_name(o: MvObjective) -> &'static str {
    match o {
        MvObjective::MinVariance => "min-variance",
        MvObjective::MaxSharpe => "max-sharpe",
        MvObjective::EfficientReturn(_) => "efficient-return",
        MvObjective::EfficientRisk(_) => "efficient-risk",
        MvObjective::Utility(_) => "utility",
    }
}

fn linkage(l: LinkageArg) -> Linkage {
    match l {
        LinkageArg::Single => Linkage::Single,
        LinkageArg::Complete => Linkage::Complete,
        LinkageArg::Average => Linkage::Average,
        LinkageArg::Ward => Linkage::Ward,
    }
}

/// Keep the `k` assets with the highest volatility-adjusted momentum over the look-back (ties
/// in file order), reloading the window for them. A note on stderr names the assets kept.
fn momentum_selection(a: &OptimizeArgs, l: input::Loaded, k: usize) -> Result<input::Loaded> {
    let n = l.returns.n_assets();
    if k == 0 || k > n {
        bail!("--momentum-top {k}: must be between 1 and the {n} assets in the window");
    }
    let score = vol_adjusted_momentum(&l.returns, a.momentum_lookback)
        .with_context(|| format!("--momentum-lookback {}", a.momentum_lookback))?;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| score[j].total_cmp(&score[i]).then(i.cmp(&j)));
    idx.truncate(k);
    idx.sort();
    let keep: Vec<String> = idx.iter().map(|&i| l.returns.assets()[i].clone()).collect();
    eprintln!(
        "momentum: kept the top {k} of {n} assets by {}-day return ÷ volatility: {}",
        a.momentum_lookback,
        keep.join(", ")
    );
    input::load(&a.window, Some(keep))
}

fn mean_variance_output(
    a: &OptimizeArgs,
    l: &input::Loaded,
    cov: &ballast::estimate::Covariance,
    obj: MvObjective,
) -> Result<String> {
    let mu = input::expected_returns(&l.returns, a.mu, a.mu_lambda)?;
    let cons = constraints(a.constraints.as_deref(), a.min_weight, a.max_weight, &cov.assets)?;
    let p = mean_variance(&mu, cov, &cons, obj, a.risk_free)?;
    let first_price = l.window.dates[0];
    let name = mv_name(obj);
    Ok(match a.window.format {
        Format::Json => {
            let v = json!({
                "method": name,
                "estimator": cov.estimator,
                "weights": by_asset(&cov.assets, &p.weights),
                "risk_contributions": by_asset(&cov.assets, &p.risk_contributions),
                "volatility_annual": p.volatility,
                "expected_return_annual": p.expected_return,
                "sharpe": p.sharpe,
                "risk_free": a.risk_free,
                "expected_returns": by_asset(&cov.assets, &mu),
                "solver_status": "solved",
                "window": window_json(&l.returns, first_price),
                "dropped_incomplete": l.window.dropped,
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!(
                "Target: {name} ({} returns, {} covariance), {} assets\n",
                a.mu.label(),
                cov.estimator,
                cov.dim()
            );
            out += &window_line(&l.returns, first_price);
            out += "\n";
            let vols = cov.volatilities();
            let mut t = Table::new(["asset", "weight", "exp. return", "vol", "risk contribution"]);
            for i in 0..cov.dim() {
                if p.weights[i].abs() < 5e-5 {
                    continue;
                }
                t.row([
                    cov.assets[i].clone(),
                    pct(p.weights[i]),
                    pct(mu[i]),
                    pct(vols[i]),
                    pct(p.risk_contributions[i]),
                ]);
            }
            out += &t.render();
            out += &format!(
                "  (assets below 0.005 % weight not shown)\n\nExpected return {} a year, volatility {}, Sharpe {:.3} (risk-free {})\n",
                pct(p.expected_return),
                pct(p.volatility),
                p.sharpe,
                pct(a.risk_free)
            );
            out
        }
    })
}

pub fn frontier(a: &crate::args::FrontierArgs) -> Result<String> {
    let l = input::load(&a.window, None)?;
    let cov = input::covariance(&l.returns, a.estimator, a.ewma_lambda)?;
    let mu = historical_mean(&l.returns)?;
    let cons = constraints(a.constraints.as_deref(), None, None, &cov.assets)?;
    let pts = efficient_frontier(&mu, &cov, &cons, a.points, a.risk_free)?;
    let ms = mean_variance(&mu, &cov, &cons, MvObjective::MaxSharpe, a.risk_free).ok();
    if let Some(path) = &a.out {
        crate::chart::frontier_svg(path, &pts, ms.as_ref(), &cov, &mu)?;
        eprintln!("wrote {}", path.display());
    }
    let first_price = l.window.dates[0];
    Ok(match a.window.format {
        Format::Json => {
            let v = json!({
                "points": pts.iter().map(|p| json!({
                    "expected_return_annual": p.expected_return, "volatility_annual": p.volatility, "sharpe": p.sharpe,
                    "weights": by_asset(&cov.assets, &p.weights),
                })).collect::<Vec<_>>(),
                "max_sharpe": ms.as_ref().map(|p| json!({"expected_return_annual": p.expected_return, "volatility_annual": p.volatility, "sharpe": p.sharpe, "weights": by_asset(&cov.assets, &p.weights)})),
                "window": window_json(&l.returns, first_price),
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!(
                "Efficient frontier, {} assets ({} covariance, historical mean returns)\n",
                cov.dim(),
                cov.estimator
            );
            out += &window_line(&l.returns, first_price);
            out += "\n";
            let mut t = Table::new(["point", "exp. return", "volatility", "Sharpe", "largest weights"]);
            for (k, p) in pts.iter().enumerate() {
                let mut idx: Vec<usize> = (0..cov.dim()).collect();
                idx.sort_by(|&x, &y| p.weights[y].total_cmp(&p.weights[x]));
                let top: Vec<String> = idx
                    .iter()
                    .take(3)
                    .filter(|&&i| p.weights[i] > 1e-4)
                    .map(|&i| format!("{} {}", cov.assets[i], pct(p.weights[i])))
                    .collect();
                t.row([
                    k.to_string(),
                    pct(p.expected_return),
                    pct(p.volatility),
                    format!("{:.3}", p.sharpe),
                    top.join(", "),
                ]);
            }
            out += &t.render();
            if let Some(m) = &ms {
                out += &format!(
                    "\nMax Sharpe: return {}, volatility {}, Sharpe {:.3}\n",
                    pct(m.expected_return),
                    pct(m.volatility),
                    m.sharpe
                );
            }
            out
        }
    })
}

fn min_cvar_output(
    a: &OptimizeArgs,
    l: &input::Loaded,
    cov: &ballast::estimate::Covariance,
) -> Result<String> {
    let cons = constraints(a.constraints.as_deref(), a.min_weight, a.max_weight, &cov.assets)?;
    let mu = input::expected_returns(&l.returns, a.mu, a.mu_lambda)?;
    let target = a.target_return.map(|r| (mu.as_slice(), r));
    let p = min_cvar(&l.returns, &cons, a.beta, target)?;
    let rc = ballast::risk::risk_contributions(&cov.matrix, &p.weights)?;
    let ret: f64 = mu.iter().zip(&p.weights).map(|(m, w)| m * w).sum();
    let first_price = l.window.dates[0];
    Ok(match a.window.format {
        Format::Json => {
            let v = json!({
                "method": "min-cvar",
                "beta": a.beta,
                "weights": by_asset(&cov.assets, &p.weights),
                "risk_contributions": by_asset(&cov.assets, &rc.percent),
                "volatility_annual": rc.volatility,
                "expected_return_annual": ret,
                "sharpe": (ret - a.risk_free) / rc.volatility,
                "cvar": p.cvar,
                "var": p.var,
                "solver_status": "solved",
                "window": window_json(&l.returns, first_price),
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!(
                "Target: minimum CVaR at β = {} over {} historical days, {} assets\n",
                a.beta,
                l.returns.n_periods(),
                cov.dim()
            );
            out += &window_line(&l.returns, first_price);
            out += "\n";
            let mut t = Table::new(["asset", "weight", "risk contribution"]);
            for i in 0..cov.dim() {
                if p.weights[i].abs() >= 5e-5 {
                    t.row([cov.assets[i].clone(), pct(p.weights[i]), pct(rc.percent[i])]);
                }
            }
            out += &t.render();
            out += &format!(
                "\n1-day CVaR {} (VaR {}), annual volatility {}, expected return {}\n",
                pct(p.cvar),
                pct(p.var),
                pct(rc.volatility),
                pct(ret)
            );
            out
        }
    })
}

/// Parse `BTC=0.2,ETH-SOL=0.1` into rows of P and Q.
fn black_litterman_output(
    a: &OptimizeArgs,
    l: &input::Loaded,
    cov: &ballast::estimate::Covariance,
) -> Result<String> {
    let views = a
        .views
        .as_deref()
        .context("--method black-litterman needs --views, e.g. --views BTC=0.2,ETH-SOL=0.1")?;
    let (p, q) = views_from_pairs(&input::parse_pairs(views, "--views")?, &cov.assets)?;
    let omega = match &a.view_confidences {
        Some(c) => ViewUncertainty::Idzorek(c.clone()),
        None => ViewUncertainty::Default,
    };
    let bl = BlackLitterman {
        delta: a.risk_aversion.unwrap_or(2.5),
        tau: a.tau,
        risk_free: a.risk_free,
        market_weights: None,
        prior_returns: None,
        p,
        q,
        omega,
    };
    let post = bl.posterior(cov)?;
    let cons = constraints(a.constraints.as_deref(), a.min_weight, a.max_weight, &cov.assets)?;
    let ms = mean_variance(
        &post.returns,
        &post.cov,
        &cons,
        MvObjective::MaxSharpe,
        a.risk_free,
    )?;
    let first_price = l.window.dates[0];
    Ok(match a.window.format {
        Format::Json => {
            let v = json!({
                "method": "black-litterman",
                "weights": by_asset(&cov.assets, &ms.weights),
                "risk_contributions": by_asset(&cov.assets, &ms.risk_contributions),
                "volatility_annual": ms.volatility,
                "expected_return_annual": ms.expected_return,
                "sharpe": ms.sharpe,
                "prior_returns": by_asset(&cov.assets, &post.prior),
                "posterior_returns": by_asset(&cov.assets, &post.returns),
                "unconstrained_weights": by_asset(&cov.assets, &post.weights),
                "omega": post.omega,
                "tau": a.tau,
                "risk_aversion": bl.delta,
                "solver_status": "solved",
                "window": window_json(&l.returns, first_price),
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Table => {
            let mut out = format!(
                "Target: Black-Litterman posterior (δ = {}, τ = {}, equal-weight prior), max-Sharpe under the constraints\n",
                bl.delta, a.tau
            );
            out += &window_line(&l.returns, first_price);
            out += "\n";
            let mut t = Table::new(["asset", "prior", "posterior", "weight", "risk contribution"]);
            for i in 0..cov.dim() {
                t.row([
                    cov.assets[i].clone(),
                    pct(post.prior[i]),
                    pct(post.returns[i]),
                    pct(ms.weights[i]),
                    pct(ms.risk_contributions[i]),
                ]);
            }
            out += &t.render();
            out += &format!(
                "\nExpected return {} (posterior), volatility {}, Sharpe {:.3}\n",
                pct(ms.expected_return),
                pct(ms.volatility),
                ms.sharpe
            );
            out
        }
    })
}
