//! The issue-15 options through the binary's JSON, against the peers' values
//! (`crates/ballast/tests/peers/python_gaps.json`, see its README), and their bad input.

use crate::common::*;
use serde_json::Value;

fn peers() -> Value {
    let p = root().join("crates/ballast/tests/peers/python_gaps.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn window() -> String {
    reference_path("prices_window.csv").display().to_string()
}

/// max |got[a] − want[a]| over want's assets; NaN (failing) for a missing or non-numeric entry.
fn max_diff(got: &Value, want: &Value) -> f64 {
    want.as_object()
        .unwrap()
        .iter()
        .map(|(a, w)| (got[a].as_f64().unwrap_or(f64::NAN) - w.as_f64().unwrap()).abs())
        .fold(0.0, |m: f64, x| {
            if x.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(x)
            }
        })
}

fn rows(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
        .collect()
}

#[test]
fn pairwise_history_through_the_cli_matches_pandas_and_hrpopt() {
    let refs = peers();
    let r = &refs["pairwise"]["730"];
    let d = prices();
    let a = allocation(&[
        "optimize",
        "--prices",
        &d,
        "--history",
        "pairwise",
        "--method",
        "hrp",
        "--hrp-correlation",
        "pairwise",
        "--format",
        "json",
    ]);
    let err = max_diff(&a["weights"], &r["hrp"]["single"]["weights"]);
    assert!(err < 1e-12, "HRP weights {err:e}");
    assert_eq!(a["pairwise"]["min_overlap"], 144);
    assert_eq!(a["pairwise"]["counts"]["MATIC"], 144);
    assert!(a["pairwise"]["repair"].is_null());
    let mean = allocation(&[
        "optimize",
        "--prices",
        &d,
        "--history",
        "pairwise",
        "--method",
        "equal-weight",
        "--mu",
        "geometric",
        "--format",
        "json",
    ]);
    assert!(max_diff(&mean["expected_returns"], &r["mean_geometric"]) < 1e-12);
    let c = run_json(&[
        "covariance",
        "--prices",
        &d,
        "--history",
        "pairwise",
        "--format",
        "json",
    ]);
    assert_eq!(c["estimator"], "sample-pairwise");
    let (got, want) = (rows(&c["matrix"]), rows(&r["cov_pairwise_annual"]["matrix"]));
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(g, w)| ((g - w) / w).abs() < 1e-11));
    let t = String::from_utf8(run(&["optimize", "--prices", &d, "--history", "pairwise"]).stdout).unwrap();
    assert!(
        t.contains("Pairwise history") && t.contains("MATIC 144") && t.contains("no repair needed"),
        "{t}"
    );
}

#[test]
fn expected_returns_priors_and_cvar_targets_through_the_cli() {
    let refs = peers();
    let w = window();
    let a = allocation(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "equal-weight",
        "--mu",
        "capm",
        "--market",
        "BTC",
        "--risk-free",
        "0.03",
        "--format",
        "json",
    ]);
    assert!(
        max_diff(
            &a["expected_returns"],
            &refs["capm"]["btc_compounding"]["expected_returns"]
        ) < 1e-13
    );
    let bl = &refs["black_litterman"];
    let a = allocation(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "black-litterman",
        "--views",
        "BTC=0.2,ETH-SOL=0.1",
        "--prior",
        "market-caps",
        "--market-caps",
        "examples/market_caps.csv",
        "--risk-aversion",
        "market-implied",
        "--format",
        "json",
    ]);
    let case = &bl["cases"]["market_caps"];
    assert_eq!(a["prior"], "market-caps");
    assert!((a["risk_aversion"].as_f64().unwrap() - case["delta"].as_f64().unwrap()).abs() < 1e-12);
    assert!(max_diff(&a["prior_returns"], &case["pi"]) < 1e-13);
    assert!(max_diff(&a["posterior_returns"], &case["posterior_returns"]) < 1e-12);
    let (got, want) = (
        rows(&a["posterior_covariance"]["matrix"]),
        rows(&bl["posterior_cov"]["matrix"]),
    );
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(g, w)| ((g - w) / w).abs() < 1e-12));
    let e = &refs["efficient_cvar"]["arithmetic"]["efficient_risk"]["1.25x"];
    let target = e["target_cvar"].as_f64().unwrap().to_string();
    let a = allocation(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "efficient-cvar",
        "--target-cvar",
        &target,
        "--format",
        "json",
    ]);
    assert!((a["cvar"].as_f64().unwrap() - e["target_cvar"].as_f64().unwrap()).abs() < 1e-9);
    assert!(max_diff(&a["weights"], &e["weights"]) < 5e-6);
    let rp = &refs["risk_parity_constrained"]["cases"];
    let dir = scratch();
    let cons = write(
        &dir,
        "group.toml",
        "[[group]]\nname = \"majors\"\nassets = [\"BTC\", \"ETH\", \"BNB\", \"TRX\", \"XRP\"]\nmax = 0.16\n",
    );
    let a = allocation(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "erc",
        "--constraints",
        &cons,
        "--format",
        "json",
    ]);
    assert!(max_diff(&a["weights"], &rp["group_cap"]["weights"]) < 1e-8);
    assert!(a["sca_converged"].as_bool().unwrap());
    let floor = rp["return_floor"]["constraint"]["target_return"]
        .as_f64()
        .unwrap()
        .to_string();
    let a = allocation(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "erc",
        "--target-return",
        &floor,
        "--format",
        "json",
    ]);
    assert!(max_diff(&a["weights"], &rp["return_floor"]["weights"]) < 1e-8);
    assert!(
        (a["max_budget_deviation"].as_f64().unwrap()
            - rp["return_floor"]["max_abs_rc_rel_minus_budget"]
                .as_f64()
                .unwrap())
        .abs()
            < 1e-8
    );
}

#[test]
fn bad_input_for_the_new_options_is_a_clear_error() {
    let d = prices();
    let w = window();
    let e = run_err(&[
        "optimize",
        "--prices",
        &d,
        "--history",
        "pairwise",
        "--cov",
        "ledoit-wolf",
    ]);
    assert!(e.contains("use --cov sample with pairwise"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &d,
        "--history",
        "pairwise",
        "--min-overlap",
        "200",
    ]);
    assert!(
        e.contains("MATIC have 144 common returns") && e.contains("at least 200"),
        "{e}"
    );
    let e = run_err(&["optimize", "--prices", &d, "--min-overlap", "30"]);
    assert!(
        e.contains("min-overlap is only used with") && e.contains("pairwise"),
        "{e}"
    );
    let e = run_err(&[
        "optimize",
        "--prices",
        &d,
        "--method",
        "min-cvar",
        "--history",
        "pairwise",
    ]);
    assert!(e.contains("history = pairwise has no such window"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &d,
        "--method",
        "hrp",
        "--hrp-correlation",
        "pairwise",
    ]);
    assert!(e.contains("needs --history = pairwise"), "{e}");
    let dir = scratch();
    let caps = write(&dir, "caps.csv", "asset,market_cap_usd\nBTC,1.9e12\nETH,4e11\n");
    let e = run_err(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "black-litterman",
        "--views",
        "BTC=0.2",
        "--prior",
        "market-caps",
        "--market-caps",
        &caps,
    ]);
    assert!(e.contains("no entry for BNB"), "{e}");
    let bad = write(&dir, "bad.csv", "asset,market_cap_usd\nBTC,-5\n");
    let e = run_err(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "black-litterman",
        "--views",
        "BTC=0.2",
        "--prior",
        "market-caps",
        "--market-caps",
        &bad,
    ]);
    assert!(
        e.contains("bad.csv:2") && e.contains("not a positive number"),
        "{e}"
    );
    let e = run_err(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "efficient-cvar",
        "--target-cvar",
        "0.01",
    ]);
    assert!(
        e.contains("below the least one-day CVaR") && e.contains("0.0461"),
        "{e}"
    );
    let e = usage_err(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "utility",
        "--risk-aversion",
        "lots",
    ]);
    assert!(e.contains("neither a number"), "{e}");
    let tight = write(&dir, "tight.toml", "max_weight = 0.02\n");
    let e = run_err(&[
        "optimize",
        "--prices",
        &w,
        "--method",
        "erc",
        "--constraints",
        &tight,
        "--target-return",
        "0.1",
    ]);
    assert!(e.contains("infeasible"), "{e}");
}
