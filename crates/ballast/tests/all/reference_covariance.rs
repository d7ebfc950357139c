//! Covariance estimators against `shared/reference/covariance.json` (pandas, numpy, skfolio,
//! scikit-learn, PyPortfolioOpt) to 1e-12 relative, entry by entry, on `returns.csv` (730
//! simple daily returns). The reference is daily (sample ddof 1 and 0, EWMA λ = 0.94 zero-mean
//! with S_T/(1−λ^T), sklearn Ledoit–Wolf and OAS on ddof-0 demeaned returns, PyPortfolioOpt
//! constant correlation); Ballast is annualised ×365, so we compare Ballast / 365.

use crate::common::*;
use ballast::estimate::{Ewma, LedoitWolf, Oas, SampleCovariance, ShrinkageTarget};

const TOL: f64 = 1e-12;

fn check(name: &str, cov: &ballast::estimate::Covariance, key: &str) {
    let refs = json("covariance.json");
    let want = matrix(&refs[key]);
    let got = cov.per_period();
    let assets: Vec<String> = refs[key]["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(cov.assets, assets, "{name}: asset order");
    assert_eq!(cov.periods_per_year, 365.0);
    let err = max_rel(got.as_slice(), want.as_slice());
    assert!(err <= TOL, "{name}: max relative error {err:.2e} > {TOL:.0e}");
}

#[test]
fn sample_ddof1_matches_pandas() {
    let r = reference_returns();
    check(
        "sample ddof=1",
        &SampleCovariance::default().fit(&r).unwrap(),
        "sample_ddof1",
    );
}

#[test]
fn sample_ddof0_matches_numpy() {
    let r = reference_returns();
    check(
        "sample ddof=0",
        &SampleCovariance { ddof: 0 }.fit(&r).unwrap(),
        "sample_ddof0",
    );
}

#[test]
fn ewma_matches_riskmetrics_and_skfolio() {
    let r = reference_returns();
    let cov = Ewma { lambda: 0.94 }.fit(&r).unwrap();
    check("ewma", &cov, "ewma_riskmetrics");
    check("ewma vs skfolio", &cov, "ewma_skfolio");
}

#[test]
fn ledoit_wolf_matches_sklearn() {
    let r = reference_returns();
    let cov = LedoitWolf::default().fit(&r).unwrap();
    check("ledoit-wolf", &cov, "ledoit_wolf_sklearn");
    let want = f(&json("covariance.json")["ledoit_wolf_sklearn"]["shrinkage"]);
    assert_rel("lw shrinkage", cov.shrinkage.unwrap(), want, TOL);
    check(
        "ledoit-wolf vs pypfopt",
        &cov,
        "ledoit_wolf_pypfopt_constant_variance",
    );
}

#[test]
fn ledoit_wolf_constant_correlation_matches_pypfopt() {
    let r = reference_returns();
    let cov = LedoitWolf {
        target: ShrinkageTarget::ConstantCorrelation,
    }
    .fit(&r)
    .unwrap();
    check("ledoit-wolf cc", &cov, "ledoit_wolf_pypfopt_constant_correlation");
    let want = f(&json("covariance.json")["ledoit_wolf_pypfopt_constant_correlation"]["shrinkage"]);
    assert_rel("lw-cc shrinkage", cov.shrinkage.unwrap(), want, TOL);
}

#[test]
fn oas_matches_sklearn() {
    let r = reference_returns();
    let cov = Oas.fit(&r).unwrap();
    check("oas", &cov, "oas_sklearn");
    let want = f(&json("covariance.json")["oas_sklearn"]["shrinkage"]);
    assert_rel("oas shrinkage", cov.shrinkage.unwrap(), want, TOL);
}

#[test]
fn correlation_and_vols_match_pandas() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let refs = json("covariance.json");
    let want = matrix(&refs["correlation"]);
    let got = cov.correlation().unwrap();
    assert!(max_abs(got.as_slice(), want.as_slice()) <= 1e-13);
    let vols = weights_in_order(&refs["vol_annual_ddof1"], &cov.assets);
    assert!(max_rel(&cov.volatilities(), &vols) <= TOL);
}
