//! Backtests: metrics against empyrical (`risk_measures.json`), no look-ahead, delisting at the
//! last real price, cost accounting, attribution identities, overfitting statistics.

use crate::common::*;
use ballast::backtest::attribution::attribution;
use ballast::backtest::metrics::{
    annual_return, annual_volatility, calmar_ratio, conditional_value_at_risk, sharpe_ratio, sortino_ratio,
    value_at_risk,
};
use ballast::backtest::overfit::{
    deflated_sharpe_ratios, expected_max_sharpe, probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
};
use ballast::backtest::{Backtest, BacktestFile, MarketData};
use ballast::data::PricePanel;
use ballast::risk::max_drawdown;

#[test]
fn metrics_match_empyrical() {
    let r = reference_returns();
    let refs = json("risk_measures.json");
    for (name, p) in refs["portfolios"].as_object().unwrap() {
        let w = weights_in_order(&p["weights"], r.assets());
        let rp: Vec<f64> = (0..r.n_periods())
            .map(|t| (0..r.n_assets()).map(|j| w[j] * r.column(j)[t]).sum())
            .collect();
        let e = &p["empyrical"];
        assert_rel(
            &format!("{name} annual_return"),
            annual_return(&rp),
            f(&e["annual_return"]),
            1e-12,
        );
        assert_rel(
            &format!("{name} annual_volatility"),
            annual_volatility(&rp),
            f(&e["annual_volatility"]),
            1e-12,
        );
        assert_rel(
            &format!("{name} sharpe"),
            sharpe_ratio(&rp, 0.0),
            f(&e["sharpe_ratio"]),
            1e-12,
        );
        assert_rel(
            &format!("{name} sortino"),
            sortino_ratio(&rp),
            f(&e["sortino_ratio"]),
            1e-12,
        );
        assert_rel(
            &format!("{name} calmar"),
            calmar_ratio(&rp),
            f(&e["calmar_ratio"]),
            1e-12,
        );
        assert_rel(
            &format!("{name} mdd"),
            -max_drawdown(&rp).max_drawdown,
            f(&e["max_drawdown"]),
            1e-12,
        );
        for c in ["0.95", "0.99"] {
            let b = &p["by_confidence"][c];
            let cf: f64 = c.parse().unwrap();
            assert_rel(
                &format!("{name} VaR {c}"),
                -value_at_risk(&rp, cf),
                f(&b["empyrical_value_at_risk"]),
                1e-12,
            );
            assert_rel(
                &format!("{name} CVaR {c}"),
                -conditional_value_at_risk(&rp, cf),
                f(&b["empyrical_conditional_value_at_risk"]),
                1e-12,
            );
        }
    }
}

const STRATEGIES: &str = r#"
[data]
prices = "unused"
[backtest]
initial_value = 1000000.0
[costs]
fee_bps = 10.0
half_spread_bps = 5.0

[[strategy]]
name = "erc monthly"
window = 120
rebalance = "monthly"
[strategy.allocation]
method = "erc"

[[strategy]]
name = "erc vol target bands"
window = 120
estimator = "ewma"
rebalance = { threshold = 0.05, vol_trigger = 0.3, risk_drift = 0.05 }
[strategy.allocation]
method = "erc"
vol_target = 0.4

[[strategy]]
name = "erc monthly, momentum tilt"
window = 120
rebalance = "monthly"
[strategy.allocation]
method = "erc"
momentum = { tilt = 0.5, lookback = 60 }

[[strategy]]
name = "min-variance weekly, momentum"
window = 120
rebalance = "weekly"
[strategy.allocation]
method = "min-variance"
max_weight = 0.4
momentum = { top = 5, lookback = 60 }
"#;

/// The bundled panel from 2019 to 2021 (MATIC lists in 2019 and has data throughout).
fn panel() -> PricePanel {
    crate::common::daily_prices()
}

fn slice(p: &PricePanel, from: &str, to: &str, scale_after: Option<(&str, f64)>) -> PricePanel {
    let (a, b): (jiff::civil::Date, jiff::civil::Date) = (from.parse().unwrap(), to.parse().unwrap());
    let rows: Vec<usize> = (0..p.dates().len())
        .filter(|&r| p.dates()[r] >= a && p.dates()[r] <= b)
        .collect();
    let n = p.assets().len();
    let mut v = Vec::with_capacity(rows.len() * n);
    for &r in &rows {
        for c in 0..n {
            let mut x = p.price(r, c).unwrap_or(f64::NAN);
            if let Some((d, s)) = scale_after {
                if p.dates()[r] > d.parse().unwrap() {
                    // a different future: every coin moves by its own factor
                    x *= s * (1.0 + 0.1 * ((r * 7 + c * 13) % 11) as f64 / 11.0);
                }
            }
            v.push(x);
        }
    }
    PricePanel::new(
        rows.iter().map(|&r| p.dates()[r]).collect(),
        p.assets().to_vec(),
        v,
    )
    .unwrap()
}

fn backtest(p: &PricePanel) -> Backtest {
    let spec: BacktestFile = toml::from_str(STRATEGIES).unwrap();
    Backtest::from_spec(spec, "test.toml", MarketData::new(p, None, None).unwrap()).unwrap()
}

#[test]
fn changing_future_prices_does_not_change_past_decisions() {
    let full = panel();
    let base = backtest(&slice(&full, "2019-01-01", "2021-12-31", None));
    let cut = "2021-03-15";
    let alt = backtest(&slice(&full, "2019-01-01", "2021-12-31", Some((cut, 1.7))));
    let (ra, rb) = (base.run(&mut || {}), alt.run(&mut || {}));
    let cut: jiff::civil::Date = cut.parse().unwrap();
    for (a, b) in ra.runs.iter().zip(&rb.runs) {
        let k = a.dates.iter().position(|d| *d > cut).unwrap();
        assert_eq!(&a.nav[..k], &b.nav[..k], "{}: values before the change", a.name);
        let n = base.market.n_assets();
        assert_eq!(&a.weights[..k * n], &b.weights[..k * n], "{}: weights", a.name);
        let before = |r: &ballast::backtest::StrategyRun| {
            r.trades
                .iter()
                .filter(|t| t.date <= cut)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(before(a), before(b), "{}: trades", a.name);
        let ev = |r: &ballast::backtest::StrategyRun| {
            r.rebalances
                .iter()
                .filter(|e| e.date <= cut)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert!(!ev(a).is_empty());
        assert_eq!(ev(a), ev(b), "{}: rebalances", a.name);
        // and the future did change
        assert_ne!(a.nav.last(), b.nav.last());
    }
}

#[test]
fn a_coin_whose_data_ends_is_sold_at_its_last_real_price() {
    let full = panel();
    let p = slice(&full, "2023-01-01", "2025-06-30", None);
    let bt = backtest(&p);
    let res = bt.run(&mut || {});
    let matic = p.asset_index("MATIC").unwrap();
    let last_row = (0..p.dates().len())
        .rev()
        .find(|&r| p.price(r, matic).is_some())
        .unwrap();
    let (last_date, last_price) = (p.dates()[last_row], p.price(last_row, matic).unwrap());
    let run = &res.runs[0];
    let sale = run
        .trades
        .iter()
        .find(|t| t.trade.asset == "MATIC" && t.reason == ballast::backtest::TradeReason::Delisted)
        .expect("MATIC closed");
    assert_eq!(sale.trade.price, last_price);
    assert!(sale.date > last_date, "closed on the first day without a price");
    let n = bt.market.n_assets();
    let k = run.dates.iter().position(|d| *d == sale.date).unwrap();
    assert!(
        run.weights[k * n..]
            .iter()
            .skip(matic)
            .step_by(n)
            .all(|w| *w == 0.0),
        "never held again"
    );
}

#[test]
fn costs_and_attribution_add_up() {
    let full = panel();
    let bt = backtest(&slice(&full, "2019-01-01", "2021-12-31", None));
    let res = bt.run(&mut || {});
    for run in &res.runs {
        // every trade's cost is 15 bps of its notional (no impact configured)
        for t in &run.trades {
            let (cost, value) = (t.trade.cost_usd, t.trade.notional_usd);
            assert!((cost - 15e-4 * value).abs() < 1e-9 * value.max(1.0));
        }
        let total_cost: f64 = run.trades.iter().map(|t| t.trade.cost_usd).sum();
        assert!((total_cost - run.costs.iter().sum::<f64>()).abs() < 1e-6);
        // weights + cash = 1 every day (long-only spot book)
        let n = bt.market.n_assets();
        for k in 0..run.dates.len() {
            let s: f64 = run.weights[k * n..(k + 1) * n].iter().sum::<f64>() + run.cash[k];
            assert!((s - 1.0).abs() < 1e-9, "{} day {k}: {s}", run.name);
        }
        let attr = attribution(&bt.market, run).unwrap();
        for p in &attr {
            let parts: f64 = p.return_contribution.iter().sum::<f64>() + p.interest + p.costs + p.funding;
            assert!(
                (parts - p.sum_of_returns).abs() < 1e-9,
                "{} {}: {parts} vs {}",
                run.name,
                p.period,
                p.sum_of_returns
            );
            let risk: f64 = p.risk_contribution.iter().sum();
            assert!(
                (risk - 1.0).abs() < 1e-9 || risk == 0.0,
                "{} {}: risk shares sum {risk}",
                run.name,
                p.period
            );
        }
        assert_eq!(attr.last().unwrap().period, "all");
    }
}

#[test]
fn probabilistic_and_deflated_sharpe_ratios() {
    // PSR by hand for a series with known moments
    let r: Vec<f64> = (0..1000)
        .map(|k| 0.001 + 0.02 * ((k as f64 * 0.7).sin()))
        .collect();
    let m = ballast::risk::moments(&r).unwrap();
    let sr = m.mean / m.std;
    let z = sr * 999f64.sqrt() / (1.0 - m.skewness * sr + (m.excess_kurtosis + 2.0) / 4.0 * sr * sr).sqrt();
    let want = statrs::distribution::ContinuousCDF::cdf(&statrs::distribution::Normal::standard(), z);
    assert!((probabilistic_sharpe_ratio(&r, 0.0) - want).abs() < 1e-14);
    // the expected maximum grows with the number of trials
    assert!(expected_max_sharpe(0.01, 10) > expected_max_sharpe(0.01, 2));
    assert_eq!(expected_max_sharpe(0.01, 1), 0.0);
    // deflating never raises the PSR against zero for the best trial
    let trials: Vec<Vec<f64>> = (0..6)
        .map(|j| r.iter().map(|x| x + 0.0002 * j as f64).collect())
        .collect();
    let dsr = deflated_sharpe_ratios(&trials);
    assert!(dsr[5] <= probabilistic_sharpe_ratio(&trials[5], 0.0));
}

#[test]
fn pbo_separates_skill_from_luck() {
    // pure noise: the in-sample winner is random out of sample → PBO 1/2 on average over
    // data sets (one data set's splits share its full-sample means, so it can sit far off)
    let mut s = 42u64;
    let mut u = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let mut mean_pbo = 0.0;
    let mut noise: Vec<Vec<f64>> = Vec::new();
    for _ in 0..12 {
        noise = (0..10).map(|_| (0..800).map(|_| 0.02 * u()).collect()).collect();
        let p = probability_of_backtest_overfitting(&noise, 16).unwrap();
        assert_eq!(p.splits, 12870);
        mean_pbo += p.pbo / 12.0;
    }
    assert!((0.35..0.65).contains(&mean_pbo), "noise PBO {mean_pbo}");
    // one strategy with a real edge: it wins in sample and out of sample → PBO near 0
    let mut skill = noise.clone();
    skill[3].iter_mut().for_each(|x| *x += 0.005);
    let p = probability_of_backtest_overfitting(&skill, 16).unwrap();
    assert!(p.pbo < 0.05, "skill PBO {}", p.pbo);
    assert!(probability_of_backtest_overfitting(&noise[..1], 16).is_none());
}

#[test]
fn threshold_policy_rebalances_exactly_when_a_weight_leaves_its_band() {
    let full = panel();
    let bt = backtest(&slice(&full, "2019-01-01", "2021-12-31", None));
    let res = bt.run(&mut || {});
    let run = &res.runs[1]; // threshold 0.05 (+ vol and risk-drift triggers), daily checks
    let n = bt.market.n_assets();
    let mut target: Option<&Vec<f64>> = None;
    let mut ev = run.rebalances.iter().peekable();
    let mut drift_days = 0;
    for (k, d) in run.dates.iter().enumerate() {
        if ev.peek().is_some_and(|e| e.date == *d) {
            target = Some(&ev.next().unwrap().weights);
            continue;
        }
        let Some(t) = target else { continue };
        // no rebalance today: no weight may be more than 5 points off target
        let w = &run.weights[k * n..(k + 1) * n];
        let worst = w.iter().zip(t).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst <= 0.05 + 1e-12, "{d}: drift {worst} without a rebalance");
        drift_days += 1;
    }
    assert!(drift_days > 500, "most days hold");
    let triggers: Vec<_> = run.rebalances.iter().map(|e| e.trigger).collect();
    assert!(triggers.contains(&ballast::backtest::Trigger::WeightDrift));
    assert!(run.rebalances.len() < run.dates.len() / 3);
}

#[test]
fn listed_rebalance_dates_trade_on_the_next_trading_day() {
    let full = panel();
    let p = slice(&full, "2024-06-01", "2026-04-26", None);
    let text = STRATEGIES.replace(
        "rebalance = \"monthly\"",
        "rebalance = { dates = [\"2025-12-12\", \"2025-12-14\", \"2026-01-08\"] }",
    );
    let spec: BacktestFile = toml::from_str(&text).unwrap();
    let bt = Backtest::from_spec(spec, "t.toml", MarketData::new(&p, None, None).unwrap()).unwrap();
    let run = &bt.run(&mut || {}).runs[0];
    let dates: Vec<String> = run
        .rebalances
        .iter()
        .skip(1)
        .map(|e| e.date.to_string())
        .collect();
    // 2026-01-08 has no prices in the export: the next trading day is the 9th
    assert_eq!(dates, ["2025-12-12", "2025-12-14", "2026-01-09"]);
    // dates out of order are a mistake, not something to sort silently
    let text = STRATEGIES.replace(
        "rebalance = \"monthly\"",
        "rebalance = { dates = [\"2025-12-14\", \"2025-12-12\"] }",
    );
    let spec: BacktestFile = toml::from_str(&text).unwrap();
    let e = Backtest::from_spec(spec, "t.toml", MarketData::new(&p, None, None).unwrap()).unwrap_err();
    assert!(e.to_string().contains("ascending order"), "{e}");
}

#[test]
fn momentum_tilt_changes_the_erc_weights_but_not_the_universe() {
    let full = panel();
    let bt = backtest(&slice(&full, "2019-01-01", "2021-12-31", None));
    let res = bt.run(&mut || {});
    let (plain, tilted) = (&res.runs[0], &res.runs[2]);
    assert_eq!(tilted.name, "erc monthly, momentum tilt");
    for (a, b) in plain.rebalances.iter().zip(&tilted.rebalances) {
        assert_eq!(a.date, b.date);
        let held =
            |e: &ballast::backtest::RebalanceEvent| e.weights.iter().map(|w| *w > 0.0).collect::<Vec<_>>();
        assert_eq!(held(a), held(b), "same coins");
        assert!((b.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    assert!(plain
        .rebalances
        .iter()
        .zip(&tilted.rebalances)
        .any(|(a, b)| max_abs(&a.weights, &b.weights) > 0.01));
}

#[test]
fn a_wiped_out_leveraged_book_stops_trading_without_panicking() {
    let full = panel();
    let p = slice(&full, "2019-10-01", "2020-06-30", None);
    let text = r#"
[data]
prices = "unused"
funding = "unused"
[[strategy]]
name = "20x BTC perp"
assets = ["BTC"]
instrument = "perp"
window = 30
rebalance = "daily"
[strategy.allocation]
method = "erc"
vol_target = 5.0
max_leverage = 20.0
"#;
    let spec: BacktestFile = toml::from_str(text).unwrap();
    let bt = Backtest::from_spec(spec, "t.toml", MarketData::new(&p, None, None).unwrap()).unwrap();
    let run = &bt.run(&mut || {}).runs[0];
    let f = run
        .failures
        .iter()
        .find(|f| f.reason.starts_with("portfolio value"))
        .expect("wiped out");
    assert!(
        run.trades.iter().all(|t| t.date <= f.date),
        "no trade after {}: {}",
        f.date,
        f.reason
    );
    // funding data was missing every day the position was held, and that is reported
    assert!(run.funding_missing.iter().any(|(a, d)| a == "BTC" && *d > 0));
}

#[test]
fn trades_to_target_settle_under_heavy_impact_or_refuse() {
    use ballast::rebalance::trades_to_target;
    // a book of 1e6 USD in cash buying two coins; impact b·|x|^1.5 large enough that the
    // fixed point V_net = V − C(x(V_net)) diverges
    let held = [0.0, 0.0];
    let target = [0.5, 0.5];
    for b in [1e-6, 1e-4, 3e-4] {
        let tt = trades_to_target(&held, 1e6, &target, 0.0, |_, x: f64| b * x.abs().powf(1.5)).unwrap();
        let c: f64 = tt.costs.iter().sum();
        assert!(tt.net_value.is_finite() && tt.net_value > 0.0, "b = {b}: {tt:?}");
        assert!(
            (tt.net_value - (1e6 - c)).abs() <= 1e-6,
            "b = {b}: {} vs {}",
            tt.net_value,
            1e6 - c
        );
        for i in 0..2 {
            assert!(
                (tt.trades[i] - 0.5 * tt.net_value).abs() <= 1e-3 * tt.net_value,
                "b = {b}: {tt:?}"
            );
        }
    }
    // costs that exceed any value the book could keep: an error, not NaN
    let e = trades_to_target(
        &held,
        1e6,
        &target,
        0.0,
        |_, x: f64| if x != 0.0 { 2e6 } else { 0.0 },
    )
    .unwrap_err();
    assert!(e.to_string().contains("exceed the book's value"), "{e}");
}
