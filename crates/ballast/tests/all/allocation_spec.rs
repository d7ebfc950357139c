//! The allocation rule of portfolio files and backtest strategies: every method runs from TOML,
//! groups / views / turnover come from the file, and mistakes are named.

use ballast::allocate::AllocationSpec;
use ballast::io::{parse_portfolio, read_prices};
use ballast::portfolio::analyze;

fn book(target: &str) -> String {
    format!(
        r#"
cash_usd = 10000.0
[data]
prices = "{}"
window = 365
[[holding]]
asset = "BTC"
units = 1.0
[[holding]]
asset = "ETH"
units = 10.0
[[holding]]
asset = "SOL"
units = 100.0
[[holding]]
asset = "XRP"
units = 10000.0
{target}
"#,
        crate::common::data_path("crypto_daily_close.csv").display()
    )
}

fn run(target: &str) -> Result<ballast::portfolio::PortfolioReport, String> {
    let pf = parse_portfolio(&book(target), "test.toml").map_err(|e| e.to_string())?;
    let panel = read_prices(pf.prices_path().unwrap()).unwrap();
    analyze(&pf, &panel).map_err(|e| e.to_string())
}

#[test]
fn every_method_runs_from_a_portfolio_file() {
    for m in [
        "method = \"equal-weight\"",
        "method = \"inverse-vol\"",
        "method = \"erc\"",
        "method = \"risk-budget\"\nbudgets = { BTC = 0.4, ETH = 0.3, SOL = 0.2, XRP = 0.1 }",
        "method = \"min-variance\"",
        "method = \"max-sharpe\"\nmu = \"james-stein\"",
        "method = \"efficient-return\"\ntarget_return = 0.1",
        "method = \"efficient-risk\"\ntarget_vol = 0.6",
        "method = \"utility\"\nrisk_aversion = 3.0",
        "method = \"hrp\"\nlinkage = \"ward\"\nleaf_order = \"optimal\"",
        "method = \"herc\"\nclusters = 2",
        "method = \"min-cvar\"\nbeta = 0.95",
        "method = \"black-litterman\"\n[target.views]\nBTC = 0.3\n\"ETH-SOL\" = 0.05",
    ] {
        let r = run(&format!("[target]\n{m}\n")).unwrap_or_else(|e| panic!("{m}: {e}"));
        let w = &r.target.weights;
        assert!((w.iter().sum::<f64>() + r.target.cash - 1.0).abs() < 1e-9, "{m}");
        assert!(w.iter().all(|x| *x >= -1e-9), "{m}: {w:?}");
    }
}

#[test]
fn groups_and_turnover_come_from_the_file() {
    let r = run(
        "[target]\nmethod = \"max-sharpe\"\n[target.constraints]\nmax_turnover = 0.8\n\
         [[target.constraints.group]]\nname = \"majors\"\nassets = [\"BTC\", \"ETH\"]\nmax = 0.5\n",
    )
    .unwrap();
    let w = &r.target.weights;
    assert!(w[0] + w[1] <= 0.5 + 1e-7, "group: {w:?}");
    let value: f64 = r.units.iter().zip(&r.prices).map(|(u, p)| u * p).sum::<f64>() + r.cash_usd;
    let cur: Vec<f64> = r
        .units
        .iter()
        .zip(&r.prices)
        .map(|(u, p)| u * p / value)
        .collect();
    let turnover: f64 = w.iter().zip(&cur).map(|(a, b)| (a - b).abs()).sum();
    // current weights include cash (not in the universe), so the turnover cap binds on coins
    assert!(turnover <= 0.8 + 1e-6, "turnover {turnover}");
}

#[test]
fn mistakes_in_the_rule_are_named() {
    for (t, want) in [
        (
            "method = \"erc\"\nviews = { BTC = 0.1 }",
            "views / tau / view_confidences is only used with method = black-litterman",
        ),
        (
            "method = \"black-litterman\"\n[target.views]\nDOGE = 0.1",
            "unknown asset 'DOGE'",
        ),
        (
            "method = \"hrp\"\nlinkage = \"centroid\"",
            "unknown variant `centroid`, expected one of `single`, `complete`, `average`, `ward`",
        ),
        (
            "method = \"nope\"",
            "unknown variant `nope`, expected one of `equal-weight`",
        ),
        ("method = \"erc\"\nvol_target = 40", "vol_target = 40 must be in (0, 5] (e.g. 0.40 for 40 % a year); 40 looks like a percentage: write fractions, 0.4 for 40 %"),
        ("method = \"herc\"\nmax_weight = 0.3", "takes no weight bounds"),
        (
            "method = \"max-sharpe\"\nmomentum = { tilt = 0.5 }",
            "momentum tilt works with",
        ),
        ("method = \"erc\"\nmomentum = { lookback = 30 }", "momentum needs top"),
        (
            "method = \"hrp\"\n[target.constraints]\nmax_turnover = 0.2",
            "takes weight bounds only",
        ),
        ("method = \"erc\"\nfoo = 1", "unknown field `foo`"),
        ("method = \"utility\"", "needs risk_aversion"),
    ] {
        let e = run(&format!("[target]\n{t}\n")).unwrap_err();
        assert!(e.contains(want), "{t}: {e}");
    }
    assert!(AllocationSpec::of(ballast::allocate::Method::RiskBudget).is_err());
}
