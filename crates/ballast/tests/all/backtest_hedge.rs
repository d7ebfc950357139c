//! The beta-neutral overlay of a backtest: the hedge cancels the target's ex-ante beta at each
//! rebalance, its P&L, funding and costs reconcile with the book's value, and the realised beta
//! to BTC falls from about 1 to about 0.

use crate::common::*;
use ballast::backtest::attribution::attribution;
use ballast::backtest::metrics::beta;
use ballast::backtest::{Backtest, BacktestFile, BacktestReport, MarketData};
use ballast::data::simple_returns;

const FILE: &str = r#"
[data]
prices = "unused"
[backtest]
benchmark = "BTC"
[costs]
fee_bps = 10.0
[[strategy]]
name = "erc"
assets = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "ADA", "LINK"]
[strategy.allocation]
method = "erc"
[[strategy]]
name = "erc hedged"
assets = ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "ADA", "LINK"]
[strategy.allocation]
method = "erc"
[strategy.beta_neutral]
model = "market:BTC"
"#;

fn load(text: &str, funding: bool) -> Result<Backtest, String> {
    let spec: BacktestFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let f = funding.then(|| ballast::io::read_funding(data_path("binance_btcusdt_funding.csv")).unwrap());
    let mut spec = spec;
    if funding {
        spec.data.funding = Some("funding.csv".into());
    }
    spec.data.start = Some("2021-01-01".parse().unwrap());
    spec.data.end = Some("2024-12-31".parse().unwrap());
    Backtest::from_spec(spec, "t.toml", MarketData::new(&daily_prices(), None, f).unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn the_hedge_cancels_beta_and_everything_reconciles() {
    let bt = load(FILE, true).unwrap();
    let res = bt.run(&mut || {});
    let (plain, hedged) = (&res.runs[0], &res.runs[1]);
    let n = bt.market.n_assets();
    let btc = bt.market.assets().iter().position(|a| a == "BTC").unwrap();
    // the same target weights: the overlay only adds the hedge
    assert_eq!(plain.rebalances.len(), hedged.rebalances.len());
    for (a, b) in plain.rebalances.iter().zip(&hedged.rebalances) {
        assert_eq!(a.weights, b.weights);
        assert!(a.hedge.is_empty());
        // hedge = target beta (0) − the target's beta to BTC
        assert_eq!(b.exposures_before.len(), 1);
        assert!(b.exposures_before[0] > 0.5, "{:?}", b.exposures_before);
        assert!((b.hedge[btc] + b.exposures_before[0]).abs() < 1e-12);
        assert!(b.hedge.iter().enumerate().all(|(i, h)| i == btc || *h == 0.0));
        // on the day, the perp's notional is that fraction of value (less that day's costs)
        let k = hedged.dates.iter().position(|d| *d == b.date).unwrap();
        let held = hedged.hedge[k * n + btc];
        assert!(
            (held / b.hedge[btc] - 1.0).abs() < 2e-3,
            "{held} vs {}",
            b.hedge[btc]
        );
    }
    // every hedge trade is a BTC perp, costs 10 bps
    let perp: Vec<_> = hedged
        .trades
        .iter()
        .filter(|t| t.trade.asset == "BTC-PERP")
        .collect();
    assert!(perp.len() >= hedged.rebalances.len() - 1);
    for t in &perp {
        assert!((t.trade.cost_usd - 1e-3 * t.trade.notional_usd).abs() < 1e-9 * t.trade.notional_usd);
    }
    // the short perp earned funding in 2021–2024 (positive rates on balance)
    let funding: f64 = hedged.funding.iter().sum();
    assert!(funding < 0.0, "{funding}");
    assert_eq!(plain.funding.iter().sum::<f64>(), 0.0);
    // attribution, hedge included, adds up to the value path
    for p in attribution(&bt.market, hedged).unwrap() {
        let parts: f64 = p.return_contribution.iter().sum::<f64>() + p.interest + p.costs + p.funding;
        assert!(
            (parts - p.sum_of_returns).abs() < 1e-9,
            "{}: {parts} vs {}",
            p.period,
            p.sum_of_returns
        );
        assert!(p.hedge < 0.0 || p.period != "2021", "{}: {}", p.period, p.hedge);
    }
    // realised beta to BTC: about 1 unhedged, about 0 hedged
    let btc_nav: Vec<f64> = res.benchmark.as_ref().unwrap().1.clone();
    let b: Vec<f64> = simple_returns(&btc_nav).collect();
    let (bp, bh) = (beta(&plain.returns(), &b), beta(&hedged.returns(), &b));
    assert!(bp > 0.9 && bh.abs() < 0.15, "unhedged {bp}, hedged {bh}");
    let report = BacktestReport::new(&bt, &res, 0.0).unwrap();
    assert_eq!(report.strategies[1].beta_to_benchmark, bh);
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["strategies"][1]["attribution"][0]["hedge"].is_number());
}

#[test]
fn bad_overlays_are_refused_with_the_reason() {
    let with = |model: &str, extra: &str| {
        FILE.replace("model = \"market:BTC\"", &format!("model = \"{model}\"{extra}"))
    };
    let e = load(&with("pca:2", ""), true).unwrap_err();
    assert!(e.contains("factors must be coins"), "{e}");
    let e = load(&with("market:equal-weight", ""), true).unwrap_err();
    assert!(e.contains("factors must be coins"), "{e}");
    let e = load(&with("explicit:BTC,NOPE", ""), true).unwrap_err();
    assert!(e.contains("'NOPE' is not in the price file"), "{e}");
    let e = load(&with("market:BTC", "\ntarget = 50.0"), true).unwrap_err();
    assert!(e.contains("target = 50"), "{e}");
    let e = load(FILE, false).unwrap_err();
    assert!(e.contains("[data] funding"), "{e}");
    let e = load(&with("market:BTC", "\nhedge = [\"BTC\"]"), true).unwrap_err();
    assert!(e.contains("unknown field"), "{e}");
}

#[test]
fn beta_of_a_scaled_series_is_the_scale() {
    let b: Vec<f64> = (0..50).map(|k| ((k * 37 % 17) as f64 - 8.0) * 1e-3).collect();
    let r: Vec<f64> = b
        .iter()
        .enumerate()
        .map(|(k, x)| 1.7 * x + 1e-4 * (k % 3) as f64)
        .collect();
    let exact: Vec<f64> = b.iter().map(|x| -0.4 * x + 0.002).collect();
    assert!((beta(&exact, &b) + 0.4).abs() < 1e-12);
    assert!((beta(&r, &b) - 1.7).abs() < 0.05);
    assert!(beta(&r, &[0.01; 50]).is_nan());
    assert!(beta(&r[..10], &b).is_nan());
}

#[test]
fn a_factor_coin_without_history_leaves_the_hedge_but_not_the_allocation() {
    // SOL lists in August 2020: until it has a 365-day window the BTC,SOL hedge cannot be sized
    let bt = load(&FILE.replace("market:BTC", "explicit:BTC,SOL"), true).unwrap();
    let res = bt.run(&mut || {});
    let (plain, hedged) = (&res.runs[0], &res.runs[1]);
    assert_eq!(
        plain.rebalances[0].date, hedged.rebalances[0].date,
        "the allocation still trades"
    );
    assert!(hedged.rebalances[0].hedge_error.is_some());
    assert!(hedged
        .failures
        .iter()
        .any(|f| f.reason.contains("left as it was")));
    let sol = bt.market.assets().iter().position(|a| a == "SOL").unwrap();
    let last = hedged.rebalances.last().unwrap();
    assert!(last.hedge_error.is_none() && last.hedge[sol] != 0.0);
}
