//! Times Ballast's factor-model fits and factor risk budgeting on the reference window of the
//! bundled daily panel and writes the exact inputs and results out, so that
//! `scripts/compare_factor.sh` can time Riskfolio-Lib and skfolio on the same returns and
//! compare their results with Ballast's.
//!
//! Usage: `cargo run --release -p ballast --example factor_timing -- OUT_DIR`
//!
//! The window is the panel's last 730 daily simple returns over every complete coin (39), the
//! one of `shared/reference/factor.json` (checked against its asset list and dates). Writes to
//! `OUT_DIR`: `returns.csv` (`date,BTC,...`, daily simple returns) and `factors.csv`
//! (`date,BTC,ETH`, the factor returns), both with shortest round-trip decimals, and Ballast's
//! results: `ballast_{explicit,market}.csv` (`asset,alpha,<factors>,residual_var`, daily),
//! `ballast_{explicit,market}_cov.csv` (factor-model covariance, daily), `ballast_pca.csv`
//! (`asset,PC1..PC5`) and `ballast_pca_eigenvalues.csv` (annual), `ballast_frp_any.csv` and
//! `ballast_frp_long.csv` (`asset,weight`). Prints one JSON line per case:
//! `{"case", "median_seconds", "checksum", ...}`.

#[path = "../benches/support/mod.rs"]
mod support;
use support::median_seconds;

use ballast::allocate::FactorRiskBudgeting;
use ballast::data::Returns;
use ballast::estimate::{Covariance, FactorModel, FittedFactorModel, SampleCovariance};
use ballast::risk::factor_risk;
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// `shared/reference/factor.json` (or `$BALLAST_REFERENCE_DIR/factor.json`).
fn reference_factor_json() -> serde_json::Value {
    let path = std::env::var_os("BALLAST_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference"))
        .join("factor.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("factor.json")
}

/// The window must be the one the peer references were made on.
fn check_window(r: &Returns) {
    let refj = reference_factor_json();
    let assets: Vec<String> = refj["assets"]
        .as_array()
        .expect("factor.json assets")
        .iter()
        .map(|a| a.as_str().expect("asset name").to_string())
        .collect();
    let dates: Vec<String> = refj["return_dates"]
        .as_array()
        .expect("factor.json return_dates")
        .iter()
        .map(|d| d.as_str().expect("date").to_string())
        .collect();
    let ours = [
        r.dates().first().expect("dates").to_string(),
        r.dates().last().expect("dates").to_string(),
    ];
    assert_eq!(r.assets(), assets.as_slice(), "coins differ from factor.json");
    assert_eq!(
        ours.as_slice(),
        dates.as_slice(),
        "window dates differ from factor.json"
    );
    assert_eq!(
        r.n_periods() as u64,
        refj["T"].as_u64().expect("factor.json T"),
        "window length differs from factor.json"
    );
}

fn write(path: &Path, header: &str, rows: impl Iterator<Item = String>) {
    let mut text = String::from(header);
    text.push('\n');
    for r in rows {
        text.push_str(&r);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn join(v: impl IntoIterator<Item = f64>) -> String {
    v.into_iter()
        .map(|x| format!("{x:?}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `date,<assets...>` rows of `r` restricted to the columns `cols`.
fn write_returns(path: &Path, r: &Returns, cols: &[usize]) {
    let header = std::iter::once("date".to_string())
        .chain(cols.iter().map(|&j| r.assets()[j].clone()))
        .collect::<Vec<_>>()
        .join(",");
    let rows = r
        .dates()
        .iter()
        .enumerate()
        .map(|(t, d)| format!("{d},{}", join(cols.iter().map(|&j| r.column(j)[t]))));
    write(path, &header, rows);
}

/// `asset,alpha,<factors>,residual_var` (daily) and the daily factor-model covariance.
fn write_regression(out: &Path, name: &str, m: &FittedFactorModel) {
    let header = format!("asset,alpha,{},residual_var", m.factors.join(","));
    let alpha = m.alpha.as_ref().expect("regression alphas");
    let rows = m.assets.iter().enumerate().map(|(i, a)| {
        let vals = std::iter::once(alpha[i])
            .chain(m.loadings_of(i).iter().copied())
            .chain(std::iter::once(m.residual_variance[i]));
        format!("{a},{}", join(vals))
    });
    write(&out.join(format!("ballast_{name}.csv")), &header, rows);
    support::write_matrix_csv(
        &out.join(format!("ballast_{name}_cov.csv")),
        &m.covariance.per_period(),
    );
}

fn write_weights(path: &Path, assets: &[String], w: &[f64]) {
    let rows = assets.iter().zip(w).map(|(a, x)| format!("{a},{x:?}"));
    write(path, "asset,weight", rows);
}

/// Sum of the alphas and loadings: a quick fingerprint of a fit.
fn checksum(m: &FittedFactorModel) -> f64 {
    m.loadings.iter().sum::<f64>() + m.alpha.as_ref().map_or(0.0, |a| a.iter().sum())
}

fn fit_case(out: &Path, r: &Returns, case: &str, spec: &str) -> FittedFactorModel {
    let model = FactorModel::new(spec.parse().expect("factor model spec"));
    let m = model.fit(r).expect("fit");
    let t = median_seconds(|| model.fit(black_box(r)).expect("fit"));
    if spec.starts_with("pca:") {
        let header = format!("asset,{}", m.factors.join(","));
        let rows = m
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{a},{}", join(m.loadings_of(i).iter().copied())));
        write(&out.join("ballast_pca.csv"), &header, rows);
        let eig = m.eigenvalues.as_ref().expect("PCA eigenvalues");
        write(
            &out.join("ballast_pca_eigenvalues.csv"),
            "eigenvalue_annual",
            eig.iter().map(|x| format!("{x:?}")),
        );
    } else {
        write_regression(out, case, &m);
    }
    println!(
        "{{\"case\": \"{case}\", \"model\": \"{spec}\", \"median_seconds\": {t:e}, \"checksum\": {:e}}}",
        checksum(&m)
    );
    m
}

/// Σ|w|: the fingerprint of a portfolio (Σw is 1 by construction).
fn gross(w: &[f64]) -> f64 {
    w.iter().map(|x| x.abs()).sum()
}

/// Largest |factor share − ½| of a two-factor budget: of σ (any sign, where the residual
/// carries nothing) or of the factors' sum (long-only, residual not budgeted).
fn budget_miss(m: &FittedFactorModel, cov: &Covariance, w: &[f64], of_factors: bool) -> f64 {
    let rel = factor_risk(m, &cov.matrix, w, None)
        .expect("factor risk")
        .relative_contributions();
    let k = m.n_factors();
    let den = if of_factors { rel[..k].iter().sum() } else { 1.0 };
    rel[..k]
        .iter()
        .map(|x| (x / den - 1.0 / k as f64).abs())
        .fold(0.0, f64::max)
}

fn frp_case(out: &Path, case: &str, m: &FittedFactorModel, cov: &Covariance, long_only: bool) {
    let solver = FactorRiskBudgeting {
        long_only,
        ..FactorRiskBudgeting::default()
    };
    let a = solver.weights(m, cov).expect("factor risk budgeting");
    let t = median_seconds(|| {
        solver
            .weights(black_box(m), black_box(cov))
            .expect("factor risk budgeting")
    });
    let file = if long_only {
        "ballast_frp_long.csv"
    } else {
        "ballast_frp_any.csv"
    };
    write_weights(&out.join(file), &a.assets, &a.weights);
    let miss = budget_miss(m, cov, &a.weights, long_only);
    let iterations = a.solver.map_or(0, |s| s.iterations);
    println!(
        "{{\"case\": \"{case}\", \"model\": \"{}\", \"median_seconds\": {t:e}, \"checksum\": {:e}, \"max_budget_miss\": {miss:e}, \"iterations\": {iterations}, \"min_weight\": {:e}}}",
        m.model,
        gross(&a.weights),
        a.weights.iter().copied().fold(f64::INFINITY, f64::min)
    );
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: factor_timing OUT_DIR"));
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let r = support::real_returns();
    check_window(&r);
    let all: Vec<usize> = (0..r.n_assets()).collect();
    write_returns(&out.join("returns.csv"), &r, &all);
    let factor_cols = ["BTC", "ETH"].map(|a| r.asset_index(a).expect("BTC and ETH in the window"));
    write_returns(&out.join("factors.csv"), &r, &factor_cols);

    // the fits on the 730 × 39 returns
    let explicit = fit_case(&out, &r, "explicit", "explicit:BTC,ETH");
    fit_case(&out, &r, "market", "market:BTC");
    fit_case(&out, &r, "pca", "pca:5");

    // factor risk parity over BTC and ETH (budgets ½, ½) on the sample covariance
    let cov = SampleCovariance::default().fit(&r).expect("sample covariance");
    frp_case(&out, "frp_any_sign", &explicit, &cov, false);
    frp_case(&out, "frp_long_only", &explicit, &cov, true);

    // any sign, end to end: fit the model and the covariance, then solve
    let model = FactorModel::new("explicit:BTC,ETH".parse().expect("spec"));
    let solver = FactorRiskBudgeting {
        long_only: false,
        ..FactorRiskBudgeting::default()
    };
    let run = || {
        let r = black_box(&r);
        let m = model.fit(r).expect("fit");
        let c = SampleCovariance::default().fit(r).expect("covariance");
        solver.weights(&m, &c).expect("factor risk budgeting")
    };
    let a = run();
    let t = median_seconds(run);
    println!(
        "{{\"case\": \"frp_any_sign_end_to_end\", \"model\": \"explicit:BTC,ETH\", \"median_seconds\": {t:e}, \"checksum\": {:e}}}",
        a.weights.iter().sum::<f64>()
    );
}
