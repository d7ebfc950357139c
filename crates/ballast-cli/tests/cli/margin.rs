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

#[test]
fn the_margin_of_the_example_book() {
    let book = root().join("examples/derivatives.toml").display().to_string();
    let v = run_json(&["margin", &book, "--format", "json"]);
    for cur in ["btc", "eth"] {
        let m = &v["deribit"]["margins"][cur];
        assert!(f(&m["maintenance_margin"]) > 0.0, "{cur}");
        assert!(f(&m["initial_margin"]) >= f(&m["maintenance_margin"]));
    }
    let accounts = v["accounts"].as_array().unwrap();
    for a in accounts {
        assert_rel(
            "utilisation",
            f(&a["margin_utilisation"]),
            f(&a["maintenance_margin"]) / f(&a["equity"]),
            1e-12,
        );
        assert!(a["liquidation"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["fall"].is_object()
                || l["rise"].is_object()
                || (l["fall"].is_null() && l["rise"].is_null())));
    }
    let venues = v["venues"].as_array().unwrap();
    let total: f64 = venues.iter().map(|x| f(&x["value_usd"])).sum();
    for x in venues {
        assert_rel(
            "default",
            f(&x["value_if_default_usd"]),
            total - f(&x["value_usd"]),
            1e-9,
        );
    }
    assert!(v["not_margined"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().contains("cold-wallet")));
    let table = String::from_utf8(run(&["margin", &book]).stdout).unwrap();
    assert!(
        table.contains("Liquidation") && table.contains("Exposure per venue"),
        "{table}"
    );
    // a book without [margin] says what to add
    let pf = root().join("examples/portfolio.toml").display().to_string();
    let e = run_err(&["margin", &pf]);
    assert!(e.contains("[margin]"), "{e}");
}

#[test]
fn what_if_trades_show_the_margin_before_and_after() {
    let book = root().join("examples/derivatives.toml").display().to_string();
    let v = run_json(&[
        "margin",
        &book,
        "--what-if",
        "BTC-26JUN26-80000-C=+3",
        "--format",
        "json",
    ]);
    let mm = |side: &str| {
        let acc = v[side]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["currency"] == "btc")
            .unwrap()
            .clone();
        f(&acc["maintenance_margin"])
    };
    // buying back most of the short calls cuts the BTC account's margin
    assert!(mm("after") < mm("before"), "{} vs {}", mm("after"), mm("before"));
    let e = run_err(&["margin", &book, "--what-if", "BTC-26JUN26-81234-C=1"]);
    assert!(
        e.contains("81234") && e.contains("not in the option chain"),
        "{e}"
    );
    let e = run_err(&["margin", &book, "--what-if", "BTC-PERPETUAL=abc"]);
    assert!(e.contains("--what-if"), "{e}");
}

#[test]
fn venue_limits_and_stablecoin_issuers() {
    let ex = root().join("examples");
    let text = std::fs::read_to_string(ex.join("derivatives.toml")).unwrap();
    let data_dir = std::path::Path::new(&data("crypto_daily_close.csv"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    let text = text
        .replace("../../shared/data", &data_dir.replace('\\', "/"))
        .replace(
            "\"deribit_pm_params.toml\"",
            &format!(
                "\"{}\"",
                ex.join("deribit_pm_params.toml")
                    .display()
                    .to_string()
                    .replace('\\', "/")
            ),
        )
        .replace(
            "as_of = \"2026-04-13T10:27:34.877Z\"",
            "as_of = \"2026-04-13T10:27:34.877Z\"\nspot = { USDT = 0.9995 }",
        )
        + "\n[[holding]]\nasset = \"USDT\"\nunits = 50000.0\nvenue = \"binance\"\n";
    let dir = scratch();
    let v = run_json(&["margin", &write(&dir, "book.toml", &text), "--format", "json"]);
    let s = &v["stablecoins"][0];
    assert_eq!(s["issuer"], "Tether");
    assert_rel("USDT value", f(&s["value_usd"]), 50_000.0 * 0.9995, 1e-12);
    let b = &v["venue_limit_breaches"][0];
    assert_eq!(b["venue"], "deribit");
    assert!(f(&b["share_of_value"]) > 0.3);
    let bad = text.replace(
        "venue_limits = { deribit = 0.30 }",
        "venue_limits = { deribit = 30 }",
    );
    let e = run_err(&["margin", &write(&dir, "bad.toml", &bad)]);
    assert!(e.contains("venue_limits.deribit") && e.contains("[0, 1]"), "{e}");
}

#[test]
fn a_cross_venue_book_gets_binances_tiered_account_beside_deribits() {
    let file = root().join("examples/cross_venue.toml").display().to_string();
    let v = run_json(&["margin", &file, "--format", "json"]);
    let b = &v["binance"];
    let lines = b["positions"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let sum: f64 = lines.iter().map(|l| f(&l["maintenance_margin"])).sum();
    assert!((f(&b["maintenance_margin"]) - sum).abs() < 1e-9);
    for l in lines {
        // notional × MMR − cum
        let want = f(&l["notional"]) * f(&l["mmr"]) - f(&l["cum"]);
        assert!((f(&l["maintenance_margin"]) - want).abs() < 1e-9, "{l}");
    }
    let eth = b["liquidation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["coin"] == "ETH")
        .unwrap();
    assert!(
        f(&eth["fall"]["move"]) < 0.0,
        "a long ETH perpetual liquidates on a fall"
    );
    assert!(v["venues"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["venue"] == "binance" && (f(&x["value_usd"]) - 40_000.0).abs() < 1e-9));
    assert!(v["accounts"][0]["currency"] == "btc");
    let table = String::from_utf8(run(&["margin", &file]).stdout).unwrap();
    assert!(
        table.contains("Binance USDⓈ-M cross margin") && table.contains("BTCUSDT"),
        "{table}"
    );
    assert!(!table.contains("ETH_USDT-PERPETUAL (binance)"), "{table}");
}

#[test]
fn a_binance_only_book_needs_no_deribit_parameters() {
    let ex = root().join("examples");
    let full = run_json(&[
        "margin",
        &ex.join("cross_venue.toml").display().to_string(),
        "--format",
        "json",
    ]);
    let data_dir = std::path::Path::new(&data("crypto_daily_close.csv"))
        .parent()
        .unwrap()
        .display()
        .to_string()
        .replace('\\', "/");
    let text = std::fs::read_to_string(ex.join("cross_venue.toml"))
        .unwrap()
        .replace("../../shared/data", &data_dir);
    // the Deribit positions and parameters removed: the Binance account alone
    let start = text.find("# Deribit:").unwrap();
    let end = text.find("# Binance USDⓈ-M: linear").unwrap();
    let binance_only = format!("{}{}", &text[..start], &text[end..])
        .replace("deribit_params = \"deribit_pm_params.toml\"\n", "")
        .replace("equity = { btc = 0.8 }\n", "");
    let dir = scratch();
    let file = write(&dir, "binance.toml", &binance_only);
    let v = run_json(&["margin", &file, "--format", "json"]);
    assert!(v["accounts"].as_array().unwrap().is_empty());
    assert_eq!(
        v["binance"], full["binance"],
        "the Binance account does not depend on the Deribit part"
    );
    let table = String::from_utf8(run(&["margin", &file]).stdout).unwrap();
    assert!(
        table.contains("no Deribit positions") && table.contains("Binance USDⓈ-M cross margin"),
        "{table}"
    );
    // Deribit positions without the parameters: refused, naming them and the key
    let no_params = text.replace("deribit_params = \"deribit_pm_params.toml\"\n", "");
    let e = run_err(&["margin", &write(&dir, "no_params.toml", &no_params)]);
    assert!(e.contains("BTC-PERPETUAL") && e.contains("deribit_params"), "{e}");
}
