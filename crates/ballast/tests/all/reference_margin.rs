//! Deribit's published portfolio-margin example (`shared/reference/margin/`) and the
//! liquidation-price examples (`shared/reference/liquidation.json`).

use crate::common::*;
use ballast::margin::deribit::{portfolio_margin, replay, shocked_vol, PmInput, SimulateResponse, Ticker};
use ballast::margin::liquidation::{
    binance_inverse, binance_linear, brent, bybit_inverse, bybit_linear, check_brackets, Bracket, Side,
};
use serde_json::Value;

fn deribit_example() -> (String, Value) {
    let path = fixture("margin/deribit_pm_btc_2024-06-17.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let v = serde_json::from_str(&text).unwrap();
    (text, v)
}

#[test]
fn deribits_published_example_is_reproduced_to_the_last_digit() {
    let (text, want) = deribit_example();
    let resp = SimulateResponse::parse(&text).unwrap();
    let r = replay(&resp).unwrap();
    // every vector entry and every margin field Deribit publishes
    let compared = r.differences.len();
    assert!(compared >= 2 * 35 + 35 + 10, "{compared} values compared");
    assert!(r.max_abs_difference < 1e-12, "{:?}", &r.differences[..3]);
    let m = &r.result.margins["btc"];
    let d = &m.initial_margin_details.risk_matrix_margin_details;
    let w = &want["margins"]["btc"];
    let wd = &w["initial_margin_details"]["risk_matrix_margin_details"];
    // to the last bit or two (the vectors are summed in another order)
    assert!((d.worst_case - f(&wd["worst_case"])).abs() < 1e-16);
    assert!((d.roll_shock - f(&wd["roll_shock"])).abs() < 1e-16);
    assert_eq!(d.delta_shock, 0.0);
    assert_eq!(
        serde_json::to_value(&d.worst_case_bucket).unwrap(),
        wd["worst_case_bucket"]
    );
    assert!((m.initial_margin_details.risk_matrix_margin - 0.06284313098).abs() < 1e-15);
    assert!((m.maintenance_margin - 0.050274504784).abs() < 1e-15);
    assert!((m.initial_margin - 0.122861343).abs() < 1e-15);
    // the same through the JSON-RPC envelope
    let envelope = format!("{{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{text}}}");
    let again = replay(&SimulateResponse::parse(&envelope).unwrap()).unwrap();
    assert_eq!(again.max_abs_difference, r.max_abs_difference);
    // Ballast's JSON uses Deribit's keys
    let ours = serde_json::to_value(&r.result).unwrap();
    for k in ["initial_risk_vectors", "aggregated_risk_vectors", "margins"] {
        assert!(ours.get(k).is_some(), "{k}");
    }
    assert!(
        ours["margins"]["btc"]["initial_margin_details"]["risk_matrix_margin_details"]["worst_case_bucket"]
            .is_object()
    );
}

#[test]
fn bad_parameters_and_inputs_are_named() {
    let (text, _) = deribit_example();
    let mut resp = SimulateResponse::parse(&text).unwrap();
    let mut p = resp.model_params.clone();
    p.currency_pair.get_mut("btc_usd").unwrap().price_range = -0.16;
    let e = portfolio_margin(&p, &resp.input()).unwrap_err().to_string();
    assert!(e.contains("currency_pair.btc_usd.price_range"), "{e}");
    p = resp.model_params.clone();
    p.currency.remove("btc");
    let e = portfolio_margin(&p, &resp.input()).unwrap_err().to_string();
    assert!(e.contains("no currency.btc parameters"), "{e}");
    resp.portfolio.position.insert("ETH-PERPETUAL".into(), 1.0);
    let e = replay(&resp).unwrap_err().to_string();
    assert!(e.contains("eth_usd"), "{e}");
    let mut input = SimulateResponse::parse(&text).unwrap().input();
    input.positions.insert("BTC-27JUN24-60000-C".into(), -1.0);
    let e = portfolio_margin(&SimulateResponse::parse(&text).unwrap().model_params, &input)
        .unwrap_err()
        .to_string();
    assert!(e.contains("BTC-27JUN24-60000-C") && e.contains("ticker"), "{e}");
    input.positions.insert("BTC-14JUN24-60000-C".into(), -1.0);
    input.tickers.insert(
        "BTC-14JUN24-60000-C".into(),
        Ticker {
            mark_price: 0.1,
            mark_iv: Some(0.5),
            underlying_price: Some(65000.0),
        },
    );
    input.positions.remove("BTC-27JUN24-60000-C");
    let e = portfolio_margin(&SimulateResponse::parse(&text).unwrap().model_params, &input)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expired"), "{e}");
    assert!(SimulateResponse::parse("{\"result\": {}}")
        .unwrap_err()
        .to_string()
        .contains("pme/simulate"));
}

#[test]
fn options_are_revalued_with_the_vol_shocks() {
    let (text, _) = deribit_example();
    let resp = SimulateResponse::parse(&text).unwrap();
    let params = resp.model_params.clone();
    let pair = &params.currency_pair["btc_usd"];
    // vol shock: +50 % at 30 days, larger for shorter expiries; floors
    assert!((shocked_vol(pair, 0.6, 30.0, 0) - 0.9).abs() < 1e-15);
    assert!((shocked_vol(pair, 0.6, 30.0, 2) - 0.45).abs() < 1e-15);
    assert!(shocked_vol(pair, 0.6, 7.0, 0) > 0.9);
    assert!(shocked_vol(pair, 0.6, 90.0, 0) < 0.9);
    assert_eq!(
        shocked_vol(pair, 0.2, 30.0, 0),
        0.5,
        "floored at min_volatility_for_shock_up"
    );
    let mut input = PmInput {
        now: resp.input().now,
        index_price: resp.index_price.clone(),
        ..PmInput::default()
    };
    let name = "BTC-26JUL24-70000-C";
    input.tickers.insert(
        name.into(),
        Ticker {
            mark_price: 0.02,
            mark_iv: Some(0.55),
            underlying_price: Some(66500.0),
        },
    );
    input.positions.insert(name.into(), 2.0);
    let long = portfolio_margin(&params, &input).unwrap();
    let v = &long.initial_risk_vectors[name];
    // long call: gains when the price rises, vega positive (up ≥ same ≥ down at each move)
    assert!(v.standard[26] > 0.0 && v.standard[0] < 0.0);
    for k in 0..9 {
        assert!(v.standard[3 * k] >= v.standard[3 * k + 1] && v.standard[3 * k + 1] >= v.standard[3 * k + 2]);
    }
    assert_eq!(v.standard[13], 0.0, "no move, same vol: no P&L");
    // a long option loses at most its premium (in coin, under any scenario)
    let premium = v.standard[0].min(v.extended[0]).abs();
    assert!(premium < 2.0 * 0.1, "{premium}");
    // short the same: the mirror image, and a larger margin
    input.positions.insert(name.into(), -2.0);
    let short = portfolio_margin(&params, &input).unwrap();
    for (a, b) in short.initial_risk_vectors[name].standard.iter().zip(&v.standard) {
        assert!((a + b).abs() < 1e-15);
    }
    assert!(short.margins["btc"].maintenance_margin > long.margins["btc"].maintenance_margin);
}

fn side(s: &Value) -> Side {
    if s.as_str() == Some("long") {
        Side::Long
    } else {
        Side::Short
    }
}

fn brackets(v: &Value) -> Vec<Bracket> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| Bracket {
            floor: f(&b["floor"]),
            cap: f(&b["cap"]),
            mmr: f(&b["mmr"]),
            cum: f(&b["cum"]),
        })
        .collect()
}

#[test]
fn binance_and_bybit_liquidation_prices_match_their_examples_and_the_root_finder() {
    let r = json("liquidation.json");
    let lin = &r["linear_usdm"];
    let table = brackets(&lin["bracket_table_btcusdt_125x"]["brackets"]);
    check_brackets(&table).unwrap();
    for case in ["long_1btc_84000_10x", "short_1btc_84000_10x"] {
        let c = &lin[case];
        let i = &c["inputs"];
        let flat = [Bracket {
            floor: 0.0,
            cap: f64::INFINITY,
            mmr: f(&i["mmr"]),
            cum: 0.0,
        }];
        let lp = binance_linear(
            side(&i["side"]),
            f(&i["Q_BTC"]),
            f(&i["entry_price"]),
            f(&i["wallet_balance_isolated_USDT"]),
            &flat,
        )
        .unwrap();
        assert_rel(case, lp.price, f(&c["LP"]), 1e-14);
        assert_eq!(
            format!("{:.2}", lp.price),
            format!("{:.2}", f(&c["LP_rounded_2dp"]))
        );
    }
    for case in ["tiered_long_5btc_60000_20x", "tiered_short_5btc_60000_20x"] {
        let c = &lin[case];
        let i = &c["inputs"];
        let (s, q, ep, wb) = (
            side(&i["side"]),
            f(&i["Q_BTC"]),
            f(&i["entry_price"]),
            f(&i["wallet_balance_isolated_USDT"]),
        );
        let lp = binance_linear(s, q, ep, wb, &table).unwrap();
        assert_rel(case, lp.price, f(&c["LP"]), 1e-13);
        assert_eq!(lp.bracket.mmr, f(&c["bracket_used"]["mmr"]));
        // the root of margin balance − maintenance margin, the tier re-chosen at each price
        let sign = if s == Side::Long { 1.0 } else { -1.0 };
        let mm = |p: f64| {
            let n = q * p;
            let b = table.iter().find(|b| n >= b.floor && n < b.cap).unwrap();
            n * b.mmr - b.cum
        };
        let root = brent(|p| wb + sign * q * (p - ep) - mm(p), ep * 0.5, ep * 1.5, 1e-9).unwrap();
        assert!((root - lp.price).abs() < 5e-3, "{case}: {root} vs {}", lp.price);
    }
    // the data file's BTCUSDT brackets (a later snapshot)
    let file = ballast::io::read_leverage_brackets(data_path("binance_usdm_leverage_brackets.json")).unwrap();
    let c = &lin["tiered_long_5btc_60000_20x_bracket_file"];
    let lp = binance_linear(Side::Long, 5.0, 60000.0, 15000.0, &file["BTCUSDT"]).unwrap();
    assert_rel("bracket file", lp.price, f(&c["LP"]), 1e-13);
    assert_eq!(file.len(), 10);
    // COIN-M
    for (case, c) in r["inverse_coinm"].as_object().unwrap() {
        let i = &c["inputs"];
        let lp = binance_inverse(
            side(&i["side"]),
            f(&i["size_usd"]),
            f(&i["entry_price"]),
            f(&i["wallet_balance_isolated_BTC"]),
            f(&i["mmr"]),
            f(&i["cum_BTC"]),
        )
        .unwrap();
        assert_rel(case, lp, f(&c["LP"]), 1e-13);
    }
    // Bybit: maintenance at the entry value; the root finder agrees with that definition only
    for (case, c) in r["bybit_isolated"]["cases"].as_object().unwrap() {
        let i = &c["inputs"];
        let (s, ep, lev, mmr, ded) = (
            side(&i["side"]),
            f(&i["entry_price"]),
            f(&i["leverage"]),
            f(&i["mmr"]),
            f(&i["mm_deduction"]),
        );
        let sign = if s == Side::Long { 1.0 } else { -1.0 };
        if case.starts_with("usdt") {
            let q = f(&i["Q_BTC"]);
            let lp = bybit_linear(s, q, ep, lev, mmr, ded).unwrap();
            assert_rel(case, lp, f(&c["LP"]), 1e-13);
            let wb = q * ep / lev;
            let root = brent(
                |p| wb + sign * q * (p - ep) - (q * ep * mmr - ded),
                ep * 0.5,
                ep * 1.5,
                1e-9,
            )
            .unwrap();
            assert!((root - lp).abs() < 5e-3, "{case}");
            // Binance's definition on the same inputs gives another price
            let flat = [Bracket {
                floor: 0.0,
                cap: f64::INFINITY,
                mmr,
                cum: ded,
            }];
            let bin = binance_linear(s, q, ep, wb, &flat).unwrap().price;
            assert_rel(case, bin, f(&c["binance_formula_same_inputs"]), 1e-12);
        } else {
            let n = f(&i["size_usd"]);
            let lp = bybit_inverse(s, n, ep, lev, mmr, ded).unwrap();
            assert_rel(case, lp, f(&c["LP"]), 1e-13);
            let pv = n / ep;
            let wb = pv / lev;
            let root = brent(
                |p| wb + sign * n * (1.0 / ep - 1.0 / p) - (pv * mmr - ded),
                ep * 0.5,
                ep * 1.9,
                1e-9,
            )
            .unwrap();
            assert!((root - lp).abs() < 5e-3, "{case}");
        }
    }
}

#[test]
fn inconsistent_bracket_tables_and_bad_positions_are_refused() {
    let mut t = brackets(&json("liquidation.json")["linear_usdm"]["bracket_table_btcusdt_125x"]["brackets"]);
    t[2].cum = 1000.0;
    let e = check_brackets(&t).unwrap_err().to_string();
    assert!(e.contains("bracket 3") && e.contains("inconsistent"), "{e}");
    let ok = [Bracket {
        floor: 0.0,
        cap: f64::INFINITY,
        mmr: 0.004,
        cum: 0.0,
    }];
    assert!(binance_linear(Side::Long, f64::NAN, 84000.0, 8400.0, &ok).is_err());
    assert!(binance_linear(Side::Long, 1.0, -5.0, 8400.0, &ok).is_err());
    assert!(bybit_linear(Side::Short, 1.0, 84000.0, 0.0, 0.004, 0.0).is_err());
    // a long fully collateralised cannot be liquidated
    let lp = binance_linear(Side::Long, 1.0, 84000.0, 90000.0, &ok).unwrap();
    assert_eq!(lp.price, 0.0);
    assert!(brent(|x| x * x + 1.0, -1.0, 1.0, 1e-9).is_err());
}

#[test]
fn an_isolated_position_gets_the_closed_form_and_the_root_finder_agrees() {
    use ballast::margin::liquidation::{Contract, IsolatedPosition, Venue};
    let r = json("liquidation.json");
    let table = brackets(&r["linear_usdm"]["bracket_table_btcusdt_125x"]["brackets"]);
    let flat = |mmr: f64, cum: f64| {
        vec![Bracket {
            floor: 0.0,
            cap: f64::INFINITY,
            mmr,
            cum,
        }]
    };
    let cases = [
        (
            Venue::Binance,
            Contract::Linear,
            Side::Long,
            1.0,
            84000.0,
            10.0,
            flat(0.004, 0.0),
            75903.61445783133,
        ),
        (
            Venue::Binance,
            Contract::Linear,
            Side::Long,
            5.0,
            60000.0,
            20.0,
            table.clone(),
            57313.131313131315,
        ),
        (
            Venue::Binance,
            Contract::Linear,
            Side::Short,
            5.0,
            60000.0,
            20.0,
            table,
            62633.66336633664,
        ),
        (
            Venue::Binance,
            Contract::Inverse,
            Side::Long,
            100000.0,
            50000.0,
            10.0,
            flat(0.004, 0.0),
            45636.36363636363,
        ),
        (
            Venue::Bybit,
            Contract::Linear,
            Side::Long,
            1.0,
            84000.0,
            10.0,
            flat(0.004, 0.0),
            75936.0,
        ),
        (
            Venue::Bybit,
            Contract::Inverse,
            Side::Short,
            60000.0,
            50000.0,
            10.0,
            flat(0.005, 0.0),
            55248.618784530394,
        ),
    ];
    for (venue, contract, side, size, entry, lev, brackets, want) in cases {
        let p = IsolatedPosition {
            venue,
            contract,
            side,
            size,
            entry,
            leverage: Some(lev),
            wallet: None,
            brackets,
        };
        let l = p.liquidation().unwrap();
        assert_rel(
            &format!("{venue:?} {contract:?} {side:?}"),
            l.liquidation_price,
            want,
            1e-12,
        );
        let root = l.root_finder.expect("root");
        assert!(
            (root - want).abs() < 5e-3,
            "{venue:?} {contract:?}: root {root} vs {want}"
        );
    }
}

#[test]
fn a_books_liquidation_move_is_where_equity_meets_the_recomputed_maintenance_margin() {
    use ballast::instrument::Position;
    use ballast::margin::deribit::book_margin;
    use ballast::market::MarketSnapshot;
    let (text, _) = deribit_example();
    let params = SimulateResponse::parse(&text).unwrap().model_params;
    let mut market = MarketSnapshot {
        as_of: Some("2024-06-17T10:22:20Z".parse().unwrap()),
        ..MarketSnapshot::default()
    };
    market.spot.insert("BTC".into(), 65_000.0);
    market.futures.insert("BTC-PERPETUAL".into(), 65_000.0);
    // long 130,000 USD of inverse perpetual = 2 BTC, equity 0.5 BTC
    let positions = vec![
        Position::new("BTC-PERPETUAL", 130_000.0, "deribit").unwrap(),
        Position::new("BTC", 3.0, "cold-wallet").unwrap(),
    ];
    let equity = [("btc".to_string(), 0.5)].into();
    let m = book_margin(&params, &positions, &market, &equity).unwrap();
    assert_eq!(m.not_margined, vec!["BTC (cold-wallet)".to_string()]);
    let acc = &m.accounts[0];
    // 2 BTC: worst case 2(1/0.84 − 1), roll 2 × 1 %, maintenance 0.8 × their sum
    let worst: f64 = 2.0 * (1.0 / 0.84 - 1.0);
    assert!((acc.maintenance_margin - 0.8 * (((worst * 1e9).round() / 1e9) + 0.02)).abs() < 1e-12);
    assert!((acc.margin_utilisation - acc.maintenance_margin / 0.5).abs() < 1e-15);
    let fall = acc.liquidation[0]
        .fall
        .as_ref()
        .expect("a leveraged long liquidates on a fall");
    assert!(acc.liquidation[0].rise.is_none());
    let x = fall.index_move;
    assert!(x < 0.0 && x > -0.5, "{x}");
    // at that move: equity + P&L = the maintenance margin of the position then (2/(1+x) coins)
    let q = 2.0 / (1.0 + x);
    let worst_then = q * (1.0 / 0.84 - 1.0);
    let mm_then = 0.8 * (((worst_then * 1e9).round() / 1e9) + q * 0.01);
    let pnl = 2.0 * (1.0 - 1.0 / (1.0 + x));
    assert!((0.5 + pnl - mm_then).abs() < 1e-8, "{} vs {mm_then}", 0.5 + pnl);
    assert!((fall.index_price - 65_000.0 * (1.0 + x)).abs() < 1e-6);
    let no_equity = book_margin(&params, &positions, &market, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(no_equity.contains("[margin] equity"), "{no_equity}");
}

#[test]
fn deribits_standard_margin_formulas() {
    use ballast::margin::deribit::standard_margin;
    let (text, _) = deribit_example();
    let resp = SimulateResponse::parse(&text).unwrap();
    let mut input = PmInput {
        now: resp.input().now,
        index_price: [("btc_usd".to_string(), 65_000.0)].into(),
        ..PmInput::default()
    };
    let opt = |mark: f64| Ticker {
        mark_price: mark,
        mark_iv: Some(0.5),
        underlying_price: Some(65_000.0),
    };
    input.positions.insert("BTC-PERPETUAL".into(), 2.0);
    for (name, size) in [
        ("BTC-26JUL24-70000-C", -1.0),
        ("BTC-26JUL24-60000-P", -1.0),
        ("BTC-26JUL24-50000-P", -2.0),
        ("BTC-26JUL24-90000-C", 3.0),
    ] {
        input.positions.insert(name.into(), size);
        input.tickers.insert(name.into(), opt(0.02));
    }
    let sm = standard_margin(&resp.model_params, &input).unwrap();
    let get = |n: &str| sm.lines.iter().find(|l| l.instrument == n).unwrap();
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-15, "{a} vs {b}");
    // perpetual: |q|(2 % + |q| m_inc), |q|(1 % + |q| m_inc), m_inc = 0.005 %
    close(get("BTC-PERPETUAL").initial_margin, 2.0 * (0.02 + 2.0 * 5e-5));
    close(get("BTC-PERPETUAL").maintenance_margin, 2.0 * (0.01 + 2.0 * 5e-5));
    // short OTM call: max(0.15 − 5,000/65,000, 0.1) + mark = 0.1 + 0.02
    close(get("BTC-26JUL24-70000-C").initial_margin, 0.12);
    close(get("BTC-26JUL24-70000-C").maintenance_margin, 0.095);
    close(get("BTC-26JUL24-60000-P").initial_margin, 0.12);
    close(get("BTC-26JUL24-60000-P").maintenance_margin, 0.095);
    // a far OTM put: 0.15 − 15,000/65,000 < 0.1 → 0.1; two of them
    close(get("BTC-26JUL24-50000-P").initial_margin, 2.0 * 0.12);
    // long options: the premium is paid, no margin
    close(get("BTC-26JUL24-90000-C").initial_margin, 0.0);
    let t = sm.totals["btc"];
    close(t.initial_margin, 0.0402 + 0.12 + 0.12 + 0.24);
    close(t.maintenance_margin, 0.0202 + 0.095 + 0.095 + 0.19);
    // an ITM short call: 0.15 − 0 = 0.15 + mark
    input.positions.insert("BTC-26JUL24-60000-C".into(), -1.0);
    input.tickers.insert("BTC-26JUL24-60000-C".into(), opt(0.1));
    let sm = standard_margin(&resp.model_params, &input).unwrap();
    let itm = sm
        .lines
        .iter()
        .find(|l| l.instrument == "BTC-26JUL24-60000-C")
        .unwrap();
    close(itm.initial_margin, 0.25);
}
