//! Where the tests find their inputs, and comparison helpers.
//!
//! Market data and peer reference values are read in place from the shared folder beside the
//! project (`../shared/data`, `../shared/reference`; see their READMEs for sources and
//! conventions), or from `BALLAST_DATA_DIR` / `BALLAST_REFERENCE_DIR` when set, so the same
//! tests run on other data (other windows, coins, sources).

use ballast::data::{ReturnKind, Returns};
use ballast::io::read_wide_returns;
use ballast::SymMatrix;
use serde_json::Value;
use std::path::PathBuf;

fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared")
            .join(sub)
    })
}

/// A file of the market data folder (`shared/data` or `$BALLAST_DATA_DIR`).
pub fn data_path(name: &str) -> PathBuf {
    shared("BALLAST_DATA_DIR", "data").join(name)
}

/// A file of the peer reference folder (`shared/reference` or `$BALLAST_REFERENCE_DIR`).
pub fn fixture(name: &str) -> PathBuf {
    shared("BALLAST_REFERENCE_DIR", "reference").join(name)
}

/// The daily close panel (`crypto_daily_close.csv`).
pub fn daily_prices() -> ballast::data::PricePanel {
    ballast::io::read_prices(data_path("crypto_daily_close.csv")).expect("crypto_daily_close.csv")
}

pub fn json(name: &str) -> Value {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture json")
}

/// The exact returns the peers used (`returns.csv`: simple, daily).
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

/// The larger of two errors, NaN if either is NaN (`f64::max` would drop a NaN).
fn worse(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Max relative error |a − b| / |b| over paired entries; NaN if any entry is NaN (so that a
/// `<= tol` check fails), and so is a difference against a zero reference.
pub fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| if x == y { 0.0 } else { ((x - y) / y).abs() })
        .fold(0.0, worse)
}

/// Max absolute error; NaN if any entry is NaN.
pub fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, worse)
}

pub fn assert_rel(name: &str, got: f64, want: f64, tol: f64) {
    let err = if got == want {
        0.0
    } else {
        ((got - want) / want).abs()
    };
    assert!(
        err <= tol,
        "{name}: got {got:e}, reference {want:e}, relative error {err:.2e} > {tol:.0e}"
    );
}

#[test]
fn comparison_helpers_fail_on_nan() {
    let (a, b) = ([1.0, f64::NAN, 3.0], [1.0, 2.0, 3.0]);
    assert!(!(max_rel(&a, &b) <= 1e-12));
    assert!(!(max_abs(&a, &b) <= 1e-12));
    assert!(!(max_rel(&b, &a) <= 1e-12));
    assert!(!(max_abs(&b, &a) <= 1e-12));
    assert!(max_rel(&b, &b) == 0.0 && max_abs(&b, &b) == 0.0);
    assert!(std::panic::catch_unwind(|| assert_rel("x", f64::NAN, 1.0, 1e-3)).is_err());
}
