//! `ballast backtest`: the example runs and writes every output; bad strategy files are named.

use crate::common::*;

#[test]
fn example_backtest_writes_json_csv_charts_and_tearsheet() {
    let dir = scratch();
    let out = dir.join("out");
    let o = out.display().to_string();
    let v = run_json(&[
        "backtest",
        "examples/backtest.toml",
        "--out",
        &o,
        "--format",
        "json",
    ]);
    let s = v["strategies"].as_array().unwrap();
    assert!(s.len() >= 4);
    for k in [
        "annual_return",
        "annual_volatility",
        "sharpe",
        "sortino",
        "calmar",
        "max_drawdown",
        "turnover_annual",
        "costs_usd",
        "psr",
        "dsr",
        "var_95",
        "cvar_95",
        "hit_rate",
        "target_tracking",
    ] {
        assert!(s[0][k].is_number(), "{k}");
    }
    assert_eq!(v["benchmark"]["name"], "BTC buy and hold");
    let attr = s[0]["attribution"].as_array().unwrap();
    assert_eq!(attr.first().unwrap()["period"], "2018");
    assert_eq!(attr.last().unwrap()["period"], "all");
    assert!(f(&v["pbo"]["pbo"]) >= 0.0);
    assert_eq!(v["start"], "2018-08-17");
    // monthly rebalancing over the bundled panel: 93 rebalances
    assert_eq!(s[0]["rebalances"], 93);
    for file in [
        "metrics.json",
        "equity.csv",
        "trades.csv",
        "daily.csv",
        "attribution.csv",
        "equity.svg",
        "drawdowns.svg",
        "rolling_vol.svg",
        "tearsheet.html",
    ] {
        let p = out.join(file);
        assert!(p.exists() && std::fs::metadata(&p).unwrap().len() > 100, "{file}");
    }
    let html = std::fs::read_to_string(out.join("tearsheet.html")).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.matches("<svg").count() >= 5);
    // self-contained: no scripts, no external resources
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
    let equity = std::fs::read_to_string(out.join("equity.csv")).unwrap();
    // strategy names keep their commas: CSV fields are quoted
    assert!(
        equity.starts_with("date,\"Equal weight, monthly\","),
        "{}",
        &equity[..80]
    );
    assert_eq!(equity.lines().count(), 1 + 2802);
    // the table output names the strategies and the overfitting check
    let o = run(&["backtest", "examples/backtest.toml"]);
    assert!(o.status.success());
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("ERC + 40% vol target") && t.contains("Probability of backtest overfitting"));
    assert!(t.contains("off target") && t.contains("turnover/yr"));
}

const GOOD: &str = r#"
[data]
prices = "PRICES"
[[strategy]]
name = "erc"
window = 60
[strategy.allocation]
method = "erc"
"#;

fn bt_err(text: &str) -> String {
    let dir = scratch();
    let f = write(&dir, "s.toml", &text.replace("PRICES", &prices()));
    run_err(&["backtest", &f])
}

#[test]
fn bad_strategy_files_are_named() {
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nwindw = 3"));
    assert!(
        e.contains("unknown field `windw`") && e.contains("s.toml") && e.contains("line"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("method = \"erc\"", "method = \"ercc\""));
    assert!(
        e.contains("s.toml") && e.contains("line 8") && e.contains("unknown variant `ercc`, expected one of"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 100000"));
    assert!(
        e.contains("window = 100000 must be between 2 and 10000 returns"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 9000"));
    assert!(e.contains("longer than the data"), "{e}");
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = \"fortnightly\""));
    assert!(
        e.contains(
            "unknown variant `fortnightly`, expected one of `daily`, `weekly`, `monthly`, `quarterly`"
        ),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = { calendar = \"\" }"));
    assert!(e.contains("unknown variant ``"), "{e}");
    let e = bt_err(&GOOD.replace(
        "window = 60",
        "window = 60\nrebalance = { calendar = \"daily\", treshold_type = \"relative\" }",
    ));
    assert!(
        e.contains("unknown field `treshold_type`") && e.contains("line 7"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = 5"));
    assert!(
        e.contains("a calendar name") && e.contains("table of rebalancing rules"),
        "{e}"
    );
    let e = bt_err(&format!("{GOOD}\n[costs]\nfee_bps = -5.0\n"));
    assert!(e.contains("fee_bps = -5: costs must be ≥ 0"), "{e}");
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\ninstrument = \"perp\""));
    assert!(e.contains("needs [data] funding"), "{e}");
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nassets = [\"BTC\", \"LUNA\"]"));
    assert!(e.contains("unknown coin 'LUNA'"), "{e}");
    let e = bt_err(&GOOD.replace(
        "prices = \"PRICES\"",
        "prices = \"PRICES\"\nstart = \"2030-01-01\"",
    ));
    assert!(e.contains("after the data ends"), "{e}");
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = { threshold = -0.05 }"));
    assert!(
        e.contains("threshold = -0.05 must be a fraction between 0 and 1"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = { threshold = 5 }"));
    assert!(
        e.contains("5 looks like a percentage") && e.contains("0.05"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = { dates = [] }"));
    assert!(e.contains("dates = [] has no dates"), "{e}");
    let e = bt_err(&GOOD.replace(
        "window = 60",
        "window = 60\nrebalance = { dates = [\"2031-01-01\"] }",
    ));
    assert!(
        e.contains("none of its 1 rebalance dates falls inside the backtest"),
        "{e}"
    );
    let e = bt_err(&GOOD.replace("window = 60", "window = 60\nrebalance = { every = \"month\" }"));
    assert!(
        e.contains("unknown field `every`") && e.contains("`threshold`"),
        "{e}"
    );
    let e = bt_err("[data]\nprices = \"PRICES\"\n");
    assert!(e.contains("no [[strategy]]"), "{e}");
    let e = run_err(&["backtest", "/no/such/strategy.toml"]);
    assert!(e.contains("/no/such/strategy.toml"), "{e}");
}

#[test]
fn every_strategy_gets_its_own_files() {
    // names that collapse to the same file name, or to none
    let mut text = String::from("[data]\nprices = \"PRICES\"\nstart = \"2025-01-01\"\n");
    for name in ["ERC, monthly", "ERC monthly", "日本", "Ελλάδα"] {
        text += &format!(
            "[[strategy]]\nname = \"{name}\"\nwindow = 60\n[strategy.allocation]\nmethod = \"erc\"\n"
        );
    }
    let dir = scratch();
    let f = write(&dir, "s.toml", &text.replace("PRICES", &prices()));
    let out = dir.join("out");
    run_json(&[
        "backtest",
        &f,
        "--out",
        &out.display().to_string(),
        "--format",
        "json",
    ]);
    for stem in ["erc-monthly", "erc-monthly-2", "strategy-3", "strategy-4"] {
        for file in [
            format!("weights_{stem}.csv"),
            format!("weights_{stem}.svg"),
            format!("risk_contributions_{stem}.svg"),
        ] {
            assert!(out.join(&file).exists(), "{file}");
        }
    }
    let html = std::fs::read_to_string(out.join("tearsheet.html")).unwrap();
    assert!(html.contains("日本") && html.contains("Ελλάδα"));
}
