//! Fixture loading shared by the tests. The fixtures are copies of `shared/reference/` (peer
//! values computed by scikit-learn, PyPortfolioOpt, skfolio, Riskfolio-Lib, riskparityportfolio
//! and empyrical on the last 730 daily returns of the bundled panel).

use ballast::data::{read_wide_returns, ReturnKind, Returns};
use ballast::SymMatrix;
use serde_json::Value;
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/reference")
        .join(name)
}

pub fn json(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture json")
}

/// The exact returns the peers used (730 × 39, simple, daily).
pub fn reference_returns() -> Returns {
    read_wide_returns(fixture("returns.csv"), ReturnKind::Simple, 365.0).expect("returns.csv")
}

pub fn matrix(v: &Value) -> SymMatrix {
    let rows: Vec<Vec<f64>> = v["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    SymMatrix::from_rows(&rows).unwrap()
}

pub fn weights_in_order(v: &Value, assets: &[String]) -> Vec<f64> {
    assets.iter().map(|a| v[a.as_str()].as_f64().unwrap()).collect()
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Max relative error |a − b| / |b| over paired entries (b ≠ 0).
pub fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) / y).abs())
        .fold(0.0, f64::max)
}

pub fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

pub fn assert_rel(name: &str, got: f64, want: f64, tol: f64) {
    let err = ((got - want) / want).abs();
    assert!(
        err <= tol,
        "{name}: got {got:e}, reference {want:e}, relative error {err:.2e} > {tol:.0e}"
    );
}
