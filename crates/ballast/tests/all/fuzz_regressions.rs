//! Inputs from fuzzing the loaders and parsers (`fuzz/`, `scripts/fuzz.sh`), and the nasty
//! inputs tried by hand alongside: every text entry point must return a value or a clean
//! error, never panic. Each test calls the same entry point as its fuzz target.

use ballast::allocate::{AllocationSpec, ConstraintsSpec};
use ballast::backtest::BacktestFile;
use ballast::data::{ReturnKind, WindowSpec};
use ballast::instrument::{parse_deribit_name, Position};
use ballast::io::{
    parse_portfolio, parse_toml, read_funding_str, read_futures_prices_str, read_option_chain_str,
    read_prices_str,
};
use ballast::market::MarketSnapshot;
use ballast::pricing::value_chain;

/// As the `prices` fuzz target: parse, then windows of 0 to 7 returns and one over the whole
/// panel (without its empty rows), and their returns.
fn prices(text: &str, file: &str) -> bool {
    let Ok(panel) = read_prices_str(text, file) else {
        return false;
    };
    let compact = panel.without_empty_rows();
    let whole = compact.dates().len().saturating_sub(1);
    let tries = (0..8).map(|n| (&panel, n)).chain([(&compact, whole)]);
    for (p, returns) in tries {
        if let Ok(w) = p.window(&WindowSpec {
            returns,
            ..Default::default()
        }) {
            for kind in [ReturnKind::Simple, ReturnKind::Log] {
                let r = w.returns(kind);
                assert_eq!(r.n_periods(), returns);
                assert_eq!(r.as_column_major().len(), returns * w.assets.len());
            }
        }
    }
    true
}

/// As the `option_chain` fuzz target: parse, value every row, build a snapshot.
fn chain(text: &str) -> Option<Vec<ballast::data::ChainRow>> {
    let rows = read_option_chain_str(text, "chain.csv").ok()?;
    let valued = value_chain(rows.clone(), None, "f");
    assert_eq!(valued.len(), rows.len());
    let _ = MarketSnapshot::from_chain_rows(rows.clone());
    Some(rows)
}

const CHAIN_HEADER: &str = "timestamp,instrument_name,underlying_price,mark_price,mark_iv,interest_rate,index_price,underlying_index\n";

#[test]
fn empty_blank_and_bom_only_files_are_errors() {
    for text in [
        "",
        " ",
        "\n\n",
        " \t\r\n",
        "\u{feff}",
        "\u{feff}\n",
        "\u{feff}date,BTC\n",
    ] {
        assert!(read_prices_str(text, "p.csv").is_err(), "{text:?}");
        assert!(read_option_chain_str(text, "c.csv").is_err(), "{text:?}");
        assert!(read_funding_str(text, "f.csv").is_err(), "{text:?}");
        assert!(read_futures_prices_str(text, "f.csv", None).is_err(), "{text:?}");
    }
    // an empty TOML file is a valid (empty) constraints file, and not a strategy file
    assert!(parse_toml::<ConstraintsSpec>("", "c.toml").is_ok());
    assert!(parse_toml::<BacktestFile>("", "s.toml").is_err());
    assert!(parse_toml::<AllocationSpec>("\u{feff}", "a.toml").is_err());
    assert!(parse_portfolio(" \n\t", "p.toml").is_ok());
}

#[test]
fn lone_and_unbalanced_quotes() {
    for text in [
        "\"",
        "date,BTC\n\"",
        "date,BTC\n\"2024-01-01,1\n2024-01-02,2\n",
        "\"date,BTC\n2024-01-01,1\n",
        "date,\"BTC\n2024-01-01,1\n2024-01-02,2\n",
        "date,BTC\n2024-01-01,\"1\"\"\n",
    ] {
        let _ = prices(text, "p.csv");
        let _ = chain(text);
        let _ = read_funding_str(text, "f.csv");
        let _ = read_futures_prices_str(text, "f.csv", None);
    }
}

#[test]
fn multi_byte_characters_in_dates_are_errors() {
    for date in [
        "2024-01-0\u{e9}",
        "2024-01-01\u{e9}",
        "2024-01-01T\u{1f600}",
        "2024-01-01 00:00:00\u{fffd}",
        "2024-01-01T00:00:00\u{e9}UTC",
        "\u{ff12}\u{ff10}\u{ff12}\u{ff14}-01-01",
        "\u{e9}024-01-01",
        "2024-01-01T00:00:00+\u{e9}",
        "2024-01-01T0\u{e9}",
    ] {
        let text = format!("date,BTC\n{date},1\n2024-01-02,2\n2024-01-03,3\n");
        assert!(!prices(&text, "p.csv"), "{date}");
        let bars = format!("date,open,close\n{date},1,1\n2024-01-02,2,2\n");
        assert!(!prices(&bars, "\u{1f600}.csv"), "{date}");
        let funding = format!("funding_time,symbol,funding_rate\n{date},BTCUSDT,0.0001\n");
        assert!(read_funding_str(&funding, "f.csv").is_err(), "{date}");
    }
}

#[test]
fn odd_file_names_name_a_single_coins_bars() {
    let bars =
        "Date,Open,High,Low,Close,Volume\n2024-01-01,1,1,1,1,1\n2024-01-02,2,2,2,2,2\n2024-01-03,3,3,3,3,3\n";
    for file in [
        "",
        "/",
        ".",
        "..",
        ".csv",
        "_d.csv",
        "-USD.csv",
        "Binance_.csv",
        "\u{e9}.csv",
        "\u{1f600}-USD.csv",
        "Binance_\u{1f600}USDT_d.csv",
        "dir/\u{e9}\u{301}_USDT.csv",
        "a\nb.csv",
        "a\0b",
        "\u{feff}BTC.csv",
    ] {
        let panel = read_prices_str(bars, file);
        assert!(panel.is_ok(), "{file:?}: {panel:?}");
        assert!(prices(bars, file));
    }
}

#[test]
fn huge_tiny_and_non_finite_prices() {
    // prices outside 1e-12 ..= 1e12 USD are refused, so every return stays finite
    for (cell, ok) in [
        ("1e308", false),
        ("1.7976931348623157e308", false),
        ("4.9e-324", false),
        ("1e12", true),
        ("1e-12", true),
        ("1.0000001e12", false),
        ("1e309", false),
        ("-1e309", false),
        ("NaN", false),
        ("inf", false),
        ("-0", false),
        ("0x10", false),
        ("1,5", false),
        ("\u{661}", false),
        (
            "99999999999999999999999999999999999999999999999999999999999999",
            false,
        ),
    ] {
        let text = format!("date,BTC\n2024-01-01,1\n2024-01-02,{cell}\n2024-01-03,1e-12\n");
        assert_eq!(read_prices_str(&text, "p.csv").is_ok(), ok, "{cell}");
        // a window over them: the largest return (1e12 / 1e-12) is finite; no panic either way
        if let Ok(panel) = read_prices_str(&text, "p.csv") {
            for returns in 0..4 {
                let _ = panel
                    .window(&WindowSpec {
                        returns,
                        ..Default::default()
                    })
                    .map(|w| w.returns(ReturnKind::Simple));
            }
        }
    }
}

#[test]
fn extreme_dates_and_windows() {
    let text = "date,BTC\n-009999-01-01,1\n0000-01-01,2\n9999-12-31,3\n";
    let _ = prices(text, "p.csv");
    let text = "date,BTC\n9999-12-30,1\n9999-12-31,2\n";
    assert!(prices(text, "p.csv"));
    let text = "date,symbol,price\n9999-12-31,BTC,1\n0001-01-01,BTC,2\n0001-01-01,ETH,3\n";
    assert!(prices(text, "p.csv"));
}

#[test]
fn chains_with_multi_byte_names_and_extreme_numbers() {
    let rows = [
        "2024-11-01T08:00:00Z,BTC-27D\u{c9}C24-60000-C,70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,\u{1f600}-27DEC24-60000-C,70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-6\u{e9}-C,70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-60000-\u{e7},70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-1e309d-C,70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-4.9e-324-P,70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-1e308-C,1e308,1e308,1e308,1e308,1e308,index_price",
        "2024-11-01T08:00:00Z,BTC-27DEC24-60000-C,4.9e-324,0,1e-308,-1e308,4.9e-324,index_price",
        "9999-12-31T23:59:59Z,BTC-27DEC24-60000-C,70000,0.1,50,0,70000,",
        "-009999-01-01T00:00:00Z,BTC-27DEC99-60000-P,70000,0.9,50,0,,",
        "2024-12-27T08:00:00Z,BTC-27DEC24-60000-C,70000,0.1,50,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-60000-C,70000,0.1234567890123456789,50.12345678901234567,0,70000,",
        "2024-11-01T08:00:00Z,BTC-27DEC24-60000-C,NaN,inf,-inf,NaN,NaN,",
    ];
    for row in rows {
        let text = format!("{CHAIN_HEADER}{row}\n");
        let parsed = chain(&text).expect(row);
        assert_eq!(parsed.len(), 1);
    }
    // all rows of one chain at once: a snapshot of the readable ones
    let text = format!("{CHAIN_HEADER}{}\n", rows.join("\n"));
    assert_eq!(chain(&text).map(|r| r.len()), Some(rows.len()));
}

#[test]
fn funding_and_futures_with_extreme_values() {
    let funding = "funding_time,symbol,funding_rate\n\
                   2024-01-01T00:00:00Z,\u{1f600}USDT,1\n\
                   2024-01-01T08:00:00Z,\u{1f600}USDT,-1\n\
                   2024-01-02T00:00:00Z,USDT,-1e-320\n\
                   2024-01-03T00:00:00Z,-PERPETUAL,0\n";
    assert!(read_funding_str(funding, "f.csv").is_ok());
    // a rate above 100 % per interval is not a funding rate
    let funding = "funding_time,symbol,funding_rate\n2024-01-01T00:00:00Z,BTCUSDT,1e308\n";
    assert!(read_funding_str(funding, "f.csv").is_err());
    let futures = "timestamp,instrument_name,price\n\
                   2024-01-01T00:00:00Z,BTC-PERPETUAL,1e12\n\
                   2024-01-02T00:00:00Z,\u{e9},1e-12\n\
                   2024-01-01T00:00:00Z,\u{e9},1\n";
    assert_eq!(
        read_futures_prices_str(futures, "f.csv", None)
            .map(|m| m.len())
            .ok(),
        Some(2)
    );
    for bad in ["NaN", "inf", "-0", "1e309", "\u{e9}", ""] {
        let funding = format!("funding_time,symbol,funding_rate\n2024-01-01T00:00:00Z,BTC,{bad}\n");
        // a rate of -0 is a rate (0); a price of -0 is not a price
        assert_eq!(read_funding_str(&funding, "f.csv").is_err(), bad != "-0", "{bad}");
        let futures = format!("timestamp,instrument_name,price\n2024-01-01T00:00:00Z,BTC,{bad}\n");
        assert!(read_futures_prices_str(&futures, "f.csv", None).is_err(), "{bad}");
    }
    // timestamps at and past the ends of the representable range: a value or a clean error
    for ts in [
        "9999-12-31T23:59:59Z",
        "-009999-01-01T00:00:00Z",
        "9999-12-30T22:00:00Z",
        "-009999-01-02T01:59:59Z",
        "2024-01-01T00:00:00+25:00",
        "2024-01-01T00:00:00.99999999999999999999Z",
        "1970-01-01T00:00:00\u{e9}",
    ] {
        let funding = format!("funding_time,symbol,funding_rate\n{ts},BTCUSDT,0.0001\n");
        let _ = read_funding_str(&funding, "f.csv");
        let futures = format!("timestamp,instrument_name,price\n{ts},BTC-PERPETUAL,1\n");
        let _ = read_futures_prices_str(&futures, "f.csv", None);
    }
}

#[test]
fn instrument_names_with_multi_byte_characters() {
    for name in [
        "",
        " ",
        "-",
        "--",
        "\u{e9}",
        "BTC-\u{e9}",
        "BTC-5\u{e9}AY26",
        "BTC-\u{1f600}\u{1f600}\u{1f600}-1-C",
        "BTC-1\u{fffd}\u{fffd}26-1-C",
        "BTC-27DEC\u{661}\u{662}-60000-C",
        "BTC-\u{661}7DEC24-60000-C",
        "BTC_\u{e9}-PERPETUAL",
        "\u{e9}_USDC-PERPETUAL",
        "BTC-27DEC24-60000-C\u{301}",
        "BTC-27DEC24-0d-C",
        "BTC-27DEC24-dd-C",
        "BTC-27DEC24-NaN-C",
        "BTC-27DEC24-inf-P",
        "BTC-27DEC24-1e309-P",
        "BTC-31FEB24",
        "BTC-0DEC24",
        "BTC-99DEC24",
    ] {
        assert!(parse_deribit_name(name).is_err(), "{name:?}");
        assert!(Position::new(name, 1.0, "venue").is_err(), "{name:?}");
    }
}

#[test]
fn position_sizes_must_be_finite_and_bounded() {
    for name in ["BTC", "BTC-PERPETUAL", "BTC-27DEC24-60000-C", "\u{e9}"] {
        for size in [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
        ] {
            assert!(Position::new(name, size, "\u{1f600}").is_err(), "{name} {size}");
        }
        for size in [0.0, -0.0, 1e12, -1e12, f64::MIN_POSITIVE, 5e-324] {
            assert_eq!(
                Position::new(name, size, "").is_ok(),
                name != "\u{e9}",
                "{name} {size}"
            );
        }
    }
}

#[test]
fn toml_files_with_nasty_values() {
    for text in [
        "[[position]]\ninstrument = \"ETH-\u{1f600}\"\nsize = nan\n",
        "[[holding]]\nasset = \"BTC\"\nunits = inf\n",
        "cash_usd = -inf\n[data]\nprices = \"\u{e9}.csv\"\nwindow = 18446744073709551615\n",
        "[data]\nprices = \"p.csv\"\nwindow = 18446744073709551616\n",
        "[data]\nprices = \"p.csv\"\nend = 9999-12-31\n",
        "[target]\nmethod = \"erc\"\nvol_target = nan\n",
        "\"\u{feff}\" = 1\n",
        "a = \"\\uD800\"\n",
        "a = 1\n\"",
    ] {
        if let Ok(pf) = parse_portfolio(text, "p.toml") {
            for p in &pf.positions {
                assert!(Position::new(&p.instrument, p.size, "deribit").is_err());
            }
            for h in &pf.holdings {
                assert!(Position::new(&h.asset, h.units, "spot").is_err());
            }
        }
    }
    for text in [
        "method = \"erc\"\nvol_target = nan\n",
        "method = \"erc\"\nvol_target = inf\nmax_leverage = -inf\n",
        "method = \"herc\"\nclusters = 0\n",
        "method = \"herc\"\nclusters = 18446744073709551615\n",
        "method = \"erc\"\nmomentum = { top = 0, lookback = 0 }\n",
        "method = \"erc\"\nmomentum = { top = 18446744073709551615, lookback = 18446744073709551615, tilt = nan }\n",
        "method = \"black-litterman\"\nview_confidences = [nan, inf, -1]\n[views]\n\"\u{e9}-\u{1f600}\" = 1e308\n\"-\" = 1\n",
        "method = \"risk-budget\"\n[budgets]\nBTC = nan\n\"\u{e9}\" = -inf\n",
        "method = \"erc\"\n[constraints]\nbounds = { BTC = [nan, inf] }\n",
    ] {
        let _ = parse_toml::<AllocationSpec>(text, "a.toml");
    }
    let universe = ["BTC", "ETH", "SOL"].map(String::from);
    for text in [
        "min_weight = nan\nmax_weight = inf\n",
        "bounds = { BTC = [1e308, -1e308] }\n",
        "current = { BTC = nan, \"\u{e9}\" = 1 }\n",
        "[[group]]\nname = \"\u{1f600}\"\nassets = []\nmin = inf\n",
        "[[group]]\nname = \"g\"\nassets = [\"BTC\", \"BTC\", \"\u{e9}\"]\nmax = nan\n",
        "max_turnover = -inf\ncost = nan\nl2 = 1e308\nmax_gross = nan\nnet_exposure = inf\n",
    ] {
        if let Ok(c) = parse_toml::<ConstraintsSpec>(text, "c.toml") {
            let _ = c.resolve(&universe);
            let _ = c.resolve_present(&universe);
        }
    }
    let strategy = "[data]\nprices = \"\u{1f600}\"\nstart = 9999-12-31\nend = 0001-01-01\n\
                    [[strategy]]\nname = \"\u{e9}\"\nwindow = 0\nrebalance = { calendar = \"daily\", threshold = nan }\n\
                    [strategy.allocation]\nmethod = \"erc\"\n";
    let _ = parse_toml::<BacktestFile>(strategy, "s.toml");
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_stack_overflow() {
    for depth in [100, 10_000] {
        let arrays = format!("a = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let tables = format!("a = {}{}\n", "{b = ".repeat(depth), "}".repeat(depth));
        let dotted = format!("{} = 1\n", vec!["a"; depth].join("."));
        for text in [arrays, tables, dotted] {
            let _ = parse_portfolio(&text, "p.toml");
            let _ = parse_toml::<BacktestFile>(&text, "s.toml");
            let _ = parse_toml::<ConstraintsSpec>(&text, "c.toml");
            let _ = parse_toml::<AllocationSpec>(&text, "a.toml");
        }
    }
}
