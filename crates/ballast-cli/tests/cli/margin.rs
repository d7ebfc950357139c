//! `ballast margin`: the Deribit replay and isolated liquidation prices, end to end.

use crate::common::*;

#[test]
fn replaying_deribits_example_matches_every_field() {
    let file = reference_path("margin/deribit_pm_btc_2024-06-17.json")
        .display()
        .to_string();
    let v = run_json(&["margin", "--replay-deribit", &file, "--format", "json"]);
    // Deribit's own keys
    let m = &v["margins"]["btc"];
    assert!((f(&m["maintenance_margin"]) - 0.050274504784).abs() < 1e-15);
    assert_eq!(
        m["initial_margin_details"]["risk_matrix_margin_details"]["worst_case_bucket"]["side"],
        "left"
    );
    assert_eq!(
        v["initial_risk_vectors"]["BTC-PERPETUAL"]["standard"]
            .as_array()
            .unwrap()
            .len(),
        27
    );
    assert_eq!(
        v["aggregated_risk_vectors"]["btc_btc"]["extended"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    let c = &v["ballast_vs_deribit"];
    assert!(f(&c["max_abs_difference"]) < 1e-12);
    assert!(c["values_compared"].as_u64().unwrap() > 100);
    let table = String::from_utf8(run(&["margin", "--replay-deribit", &file]).stdout).unwrap();
    assert!(
        table.contains("margins.btc.maintenance_margin") && table.contains("values compared"),
        "{table}"
    );
    // bad files
    let dir = scratch();
    let e = run_err(&[
        "margin",
        "--replay-deribit",
        &write(&dir, "x.json", "{\"result\": {\"portfolio\": {}}}"),
    ]);
    assert!(e.contains("pme/simulate"), "{e}");
    let e = run_err(&["margin", "--replay-deribit", &write(&dir, "y.json", "not json")]);
    assert!(e.contains("not JSON"), "{e}");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"mm_factor\": 0.8", "\"mm_factor\": -0.8");
    let e = run_err(&["margin", "--replay-deribit", &write(&dir, "z.json", &text)]);
    assert!(e.contains("general.mm_factor"), "{e}");
}

#[test]
fn isolated_liquidation_prices_by_venue() {
    let brackets = data("binance_usdm_leverage_brackets.json");
    let v = run_json(&[
        "margin",
        "--liquidation",
        "binance",
        "--side",
        "long",
        "--size",
        "5",
        "--entry",
        "60000",
        "--leverage",
        "20",
        "--brackets",
        &brackets,
        "--symbol",
        "BTCUSDT",
        "--format",
        "json",
    ]);
    assert_rel(
        "Binance tiered",
        f(&v["liquidation_price"]),
        57276.381909547745,
        1e-12,
    );
    assert_eq!(f(&v["bracket"]["mmr"]), 0.005);
    assert!((f(&v["root_finder"]) - f(&v["liquidation_price"])).abs() < 5e-3);
    let bybit = run_json(&[
        "margin",
        "--liquidation",
        "bybit",
        "--side",
        "long",
        "--size",
        "1",
        "--entry",
        "84000",
        "--leverage",
        "10",
        "--mmr",
        "0.004",
        "--format",
        "json",
    ]);
    assert_eq!(f(&bybit["liquidation_price"]), 75936.0);
    let e = run_err(&[
        "margin",
        "--liquidation",
        "binance",
        "--side",
        "long",
        "--size",
        "1",
        "--entry",
        "84000",
        "--leverage",
        "10",
    ]);
    assert!(e.contains("--mmr"), "{e}");
    let e = run_err(&[
        "margin",
        "--liquidation",
        "binance",
        "--side",
        "long",
        "--size",
        "-1",
        "--entry",
        "84000",
        "--leverage",
        "10",
        "--mmr",
        "0.004",
    ]);
    assert!(e.contains("size") && e.contains("positive"), "{e}");
    let e = run_err(&[
        "margin",
        "--liquidation",
        "binance",
        "--side",
        "long",
        "--size",
        "1",
        "--entry",
        "84000",
        "--leverage",
        "10",
        "--brackets",
        &brackets,
        "--symbol",
        "NOPEUSDT",
    ]);
    assert!(e.contains("NOPEUSDT") && e.contains("BTCUSDT"), "{e}");
    let e = usage_err(&["margin"]);
    assert!(
        e.contains("--replay-deribit") || e.contains("--liquidation"),
        "{e}"
    );
}
