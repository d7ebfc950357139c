use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared").join(sub))
}

/// A file of the market data folder (`../shared/data`, or `$BALLAST_DATA_DIR`), as a string.
pub fn data(name: &str) -> String {
    shared("BALLAST_DATA_DIR", "data")
        .join(name)
        .display()
        .to_string()
}

/// A file of the peer reference folder (`../shared/reference`, or `$BALLAST_REFERENCE_DIR`).
pub fn reference_path(name: &str) -> PathBuf {
    shared("BALLAST_REFERENCE_DIR", "reference").join(name)
}

/// `examples/portfolio.toml` with its price path made absolute, to be edited and written to a
/// scratch folder.
pub fn example_portfolio() -> String {
    std::fs::read_to_string(root().join("examples/portfolio.toml"))
        .unwrap()
        .replace(
            "prices = \"../../shared/data/crypto_daily_close.csv\"",
            &format!("prices = {:?}", prices()),
        )
}

/// An example file (`examples/NAME`) with its `../../shared/data` paths made absolute, to be
/// edited and written to a scratch folder.
pub fn example_with_data(name: &str) -> String {
    let dir = std::path::Path::new(&data("crypto_daily_close.csv"))
        .parent()
        .unwrap()
        .display()
        .to_string()
        .replace('\\', "/");
    std::fs::read_to_string(root().join("examples").join(name))
        .unwrap()
        .replace("../../shared/data", &dir)
}

/// The daily close panel.
pub fn prices() -> String {
    data("crypto_daily_close.csv")
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run ballast")
}

/// Run, require success, parse stdout as JSON.
pub fn run_json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "ballast {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Run, require a usage error (exit code 2: a malformed command line, clap's message); return
/// stderr.
pub fn usage_err(args: &[&str]) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "ballast {args:?} should fail with exit 2; stderr: {err}"
    );
    assert!(err.starts_with("error: ") && !err.contains("panicked"), "{err}");
    err
}

/// `ballast optimize ... --format json`: the allocation.
pub fn allocation(args: &[&str]) -> Value {
    let v = run_json(args);
    assert!(v["window"].is_object(), "optimize JSON has its window");
    v["allocation"].clone()
}

/// Run, require a clean failure (exit code 1, an `error:` message, no panic); return stderr.
pub fn run_err(args: &[&str]) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "ballast {args:?} should fail with exit 1; stderr: {err}"
    );
    assert!(
        err.starts_with("error: "),
        "message should start with 'error: ': {err}"
    );
    assert!(!err.contains("panicked"), "panic on bad input: {err}");
    err
}

pub fn reference(name: &str) -> Value {
    let p = reference_path(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// A fresh scratch directory for files the test writes.
pub fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "ballast-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub fn assert_rel(name: &str, got: f64, want: f64, tol: f64) {
    let err = ((got - want) / want).abs();
    assert!(
        err <= tol,
        "{name}: got {got:e}, reference {want:e}, relative error {err:.2e}"
    );
}
