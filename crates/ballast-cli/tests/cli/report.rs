//! The main job on the bundled example.

use crate::common::*;

#[test]
fn report_table_runs_on_the_example() {
    let out = run(&["report", "examples/portfolio.toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Portfolio value",
        "risk contr.",
        "VaR historical",
        "CVaR historical",
        "Rebalance",
        "max drawdown",
    ] {
        assert!(text.contains(needle), "missing '{needle}' in:\n{text}");
    }
}

#[test]
fn report_json_is_consistent() {
    let v = run_json(&["report", "examples/portfolio.toml", "--format", "json"]);
    let value = f(&v["value_usd"]);
    // value = Σ units × price + cash
    let holdings = v["holdings"].as_array().unwrap();
    let sum: f64 = holdings
        .iter()
        .map(|h| f(&h["units"]) * f(&h["price"]))
        .sum::<f64>()
        + f(&v["cash_usd"]);
    assert_rel("value", value, sum, 1e-12);
    // weights + cash = 1; risk contributions sum to 1
    let w: f64 = holdings.iter().map(|h| f(&h["weight"])).sum::<f64>() + f(&v["cash_weight"]);
    assert!((w - 1.0).abs() < 1e-12);
    let rc: f64 = holdings.iter().map(|h| f(&h["risk_contribution"])).sum();
    assert!((rc - 1.0).abs() < 1e-12);
    // ERC target: equal target risk contributions; vol target reached after trades
    let n = holdings.len() as f64;
    for h in holdings {
        assert!((f(&h["target_risk_contribution"]) - 1.0 / n).abs() < 1e-9);
    }
    assert_rel("target vol", f(&v["target"]["volatility_annual"]), 0.45, 1e-12);
    // USD VaR = fraction × value
    let var = f(&v["risk"]["var"]["historical"]["0.95"]);
    assert_rel(
        "var usd",
        f(&v["risk"]["var_usd"]["historical"]["0.95"]),
        var * value,
        1e-12,
    );
    // trades bring weights to target: post-trade weights equal target weights
    let reb = &v["rebalance"];
    assert_eq!(reb["rebalance"], true);
    for h in holdings {
        let a = h["asset"].as_str().unwrap();
        let post = f(&reb["post_trade_weights"][a]);
        assert!(
            (post - f(&h["target_weight"])).abs() < 1e-9,
            "{a}: post {post} vs target"
        );
    }
    // fees = fee_bps × notional
    let notional: f64 = reb["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| f(&t["notional_usd"]))
        .sum();
    assert_rel("fees", f(&reb["fees_usd"]), notional * 10.0 / 1e4, 1e-12);
}

#[test]
fn report_without_breach_proposes_no_trades() {
    let dir = scratch();
    let text = example_portfolio().replace("band = 0.05 ", "band = 0.99 ");
    let p = write(&dir, "p.toml", &text);
    let v = run_json(&["report", &p, "--format", "json"]);
    assert_eq!(v["rebalance"]["rebalance"], false);
    assert_eq!(v["rebalance"]["trades"].as_array().unwrap().len(), 0);
    assert_eq!(
        v["risk"]["volatility_annual"],
        v["risk_after"]["volatility_annual"]
    );
}

#[test]
fn one_covariance_estimate_per_report_with_momentum() {
    // momentum keeps 4 of the 8 coins; the target is measured on the block of the report's
    // own (Ledoit-Wolf) estimate, so the risk after the trades is the target's
    let dir = scratch();
    let text = example_portfolio().replace(
        "max_weight = 0.35",
        "max_weight = 0.35\nmomentum = { top = 4, lookback = 90 }",
    );
    let p = write(&dir, "p.toml", &text);
    let v = run_json(&["report", &p, "--format", "json"]);
    let kept = v["target"]["weights"]
        .as_object()
        .unwrap()
        .values()
        .filter(|w| f(w) > 0.0)
        .count();
    assert_eq!(kept, 4);
    assert_eq!(v["target"]["covariance"], v["covariance"]);
    let (target, after) = (
        f(&v["target"]["volatility_annual"]),
        f(&v["risk_after"]["volatility_annual"]),
    );
    assert!(
        (target - 0.45).abs() < 1e-9 && (after - target).abs() < 1e-9,
        "{target} vs {after}"
    );
}

#[test]
fn a_report_of_derivatives_needs_their_market() {
    let dir = scratch();
    let text = example_portfolio();
    let text = text + "\n[[position]]\ninstrument = \"BTC-26JUN26-80000-C\"\nsize = -500.0\n";
    let p = write(&dir, "p.toml", &text);
    let e = run_err(&["report", &p]);
    assert!(
        e.contains("p.toml") && e.contains("[[position]]") && e.contains("[market]"),
        "{e}"
    );
}

#[test]
fn every_report_error_names_the_file() {
    let dir = scratch();
    let text = example_portfolio();
    for (from, to, want) in [
        ("asset = \"BTC\"", "asset = \"BTX\"", "unknown asset 'BTX'"),
        ("max_weight = 0.35", "max_weight = 0.1", "[target] infeasible"),
    ] {
        let f = write(&dir, "p.toml", &text.replace(from, to));
        let e = run_err(&["report", &f]);
        assert!(e.contains("p.toml: ") && e.contains(want), "{e}");
    }
}

#[test]
fn a_band_written_as_a_percentage_is_refused() {
    let dir = scratch();
    let text = example_portfolio().replace("band = 0.05 ", "band = 5 ");
    let f = write(&dir, "p.toml", &text);
    let e = run_err(&["report", &f]);
    assert!(
        e.contains("p.toml") && e.contains("band = 5") && e.contains("0.05"),
        "{e}"
    );
}
