//! `ballast accounts`: many accounts margined on one snapshot, each equal to `ballast margin` of
//! a book holding the same positions, and its bad input.

use crate::common::*;

/// Account `id` (its `positions` and BTC equity) as a book of its own: its maintenance margin
/// equals `ballast margin`'s and its VaR `ballast var`'s one-day historical VaR at 99 %.
fn equals_its_own_book(results: &[serde_json::Value], id: i64, positions: &[(&str, f64)], btc: f64) {
    let one = results.iter().find(|r| r["account"] == id).unwrap();
    let dir = scratch();
    let text = std::fs::read_to_string(root().join("examples/derivatives.toml")).unwrap();
    let head = &text[..text.find("# daily closes").unwrap()];
    let head = head.replace("../../shared", &root().join("../shared").display().to_string());
    let held: String = positions
        .iter()
        .map(|(i, s)| format!("[[position]]\ninstrument = \"{i}\"\nsize = {s}\n\n"))
        .collect();
    let book = format!(
        "{head}[data]\nprices = \"{}\"\nend = \"2026-04-13\"\n\n{held}[margin]\nderibit_params = \"{}\"\nequity = {{ btc = {btc} }}\n",
        root().join("../shared/data/crypto_daily_close.csv").display(),
        root().join("examples/deribit_pm_params.toml").display()
    );
    let p = write(&dir, "one.toml", &book);
    let m = run_json(&["margin", &p, "--format", "json"]);
    let mm = m["accounts"][0]["maintenance_margin"].as_f64().unwrap();
    let got = one["currencies"][0]["maintenance_margin"].as_f64().unwrap();
    assert!((got - mm).abs() < 1e-12, "account {id}: {got} vs {mm}");
    let var = run_json(&[
        "var",
        &p,
        "--format",
        "json",
        "--confidence",
        "0.99",
        "--scenarios",
        "0",
    ]);
    let hist = var["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == "historical" && r["horizon_days"] == 1)
        .unwrap();
    let want = hist["lines"][0]["var_usd"].as_f64().unwrap();
    let got = one["var_99_usd"].as_f64().unwrap();
    assert!((got / want - 1.0).abs() < 1e-9, "account {id}: {got} vs {want}");
}

#[test]
fn each_account_equals_the_margin_of_its_own_book() {
    let v = run_json(&[
        "accounts",
        "examples/derivatives.toml",
        "--positions",
        "examples/accounts_positions.csv",
        "--equity",
        "examples/accounts_equity.csv",
        "--format",
        "json",
    ]);
    assert_eq!(v["accounts"], 5);
    assert_eq!(v["margined"], 5);
    let results = v["results"].as_array().unwrap();
    equals_its_own_book(
        results,
        1,
        &[
            ("BTC-PERPETUAL", -100_000.0),
            ("BTC-26JUN26-80000-C", -5.0),
            ("BTC-29MAY26-65000-P", 4.0),
        ],
        3.0,
    );
    // no options: the moves of spot alone, to the prices' last day (DVOL ends earlier)
    equals_its_own_book(results, 5, &[("BTC-PERPETUAL", 200_000.0)], 2.0);
    assert_ne!(v["price_history"], serde_json::Value::Null, "{}", v["history"]);
}

#[test]
fn bad_accounts_input_is_named() {
    let dir = scratch();
    let pos = write(
        &dir,
        "p.csv",
        "account,instrument,size\n1,BTC-PERPETUAL,1000\n2,BTC-1JAN20-1-C,1\nx,BTC-PERPETUAL,1\n",
    );
    let eq = write(&dir, "e.csv", "account,equity_btc\n1,1\n2,1\n");
    let e = run_err(&[
        "accounts",
        "examples/derivatives.toml",
        "--positions",
        &pos,
        "--equity",
        &eq,
    ]);
    assert!(e.contains("p.csv:4") && e.contains("not an integer"), "{e}");
    let pos = write(
        &dir,
        "p2.csv",
        "account,instrument,size\n1,BTC-PERPETUAL,1000\n2,BTC-1JAN20-1-C,1\n3,BTC-PERPETUAL,5\n",
    );
    let out = run(&[
        "accounts",
        "examples/derivatives.toml",
        "--positions",
        &pos,
        "--equity",
        &eq,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("1 margined, 2 could not be"), "{text}");
    assert!(
        text.contains("account 3: account 3 has positions and no equity row"),
        "{text}"
    );
    let e = run_err(&[
        "accounts",
        "examples/derivatives.toml",
        "--positions",
        &pos,
        "--equity",
        &pos,
    ]);
    assert!(e.contains("equity_"), "{e}");
}
