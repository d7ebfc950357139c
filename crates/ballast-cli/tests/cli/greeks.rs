//! `ballast greeks --chain`, `surface` and `hedge` on the Deribit chains of `shared/data`,
//! against `shared/reference/options/*_refs.csv` (QuantLib Black-76 at σ = mark_iv, py_vollib
//! implied vols; conventions in that folder's README).

use crate::common::*;
use std::collections::HashMap;

fn refs(name: &str) -> HashMap<String, HashMap<String, String>> {
    let p = reference_path(&format!("options/{name}"));
    let mut rdr = csv::Reader::from_path(p).unwrap();
    let h = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let m: HashMap<String, String> = h
                .iter()
                .zip(r.iter())
                .map(|(a, b)| (a.into(), b.into()))
                .collect();
            (m["instrument_name"].clone(), m)
        })
        .collect()
}

#[test]
fn chain_greeks_match_quantlib_at_the_implied_vol() {
    for (chain, refs_file) in [
        (
            &data("deribit_BTC_options_2020-05-14.csv"),
            "deribit_BTC_options_2020-05-14_refs.csv",
        ),
        (
            &data("deribit_BTC_options_2026-04-13.csv"),
            "deribit_BTC_options_2026-04-13_refs.csv",
        ),
        (
            &data("deribit_ETH_options_2026-04-13.csv"),
            "deribit_ETH_options_2026-04-13_refs.csv",
        ),
    ] {
        let v = run_json(&["greeks", "--chain", chain, "--format", "json"]);
        let list = v.as_array().unwrap();
        let r = refs(refs_file);
        assert_eq!(list.len(), r.len());
        let mut checked = 0;
        for o in list {
            let name = o["instrument_name"].as_str().unwrap();
            let want = &r[name];
            let num = |k: &str| want[k].parse::<f64>().unwrap();
            if !o["error"].is_null() {
                continue;
            }
            assert_rel(&format!("{name} T"), f(&o["time_years"]), num("T"), 1e-11); // fixture: 12 digits
                                                                                    // where the mark inverts, its IV equals the peers' (py_vollib) to their digits (on
                                                                                    // the same forward: options priced on the index take the row's index instead)
            if let (Some(iv), Ok(pv)) = (o["iv_from_mark"].as_f64(), want["pv_iv_from_mark"].parse::<f64>()) {
                if f(&o["vega"]) > 1e-3 * num("F") / 100.0 && f(&o["forward"]) == num("F") {
                    assert!(
                        (iv - pv).abs() < 1e-9 * pv.max(0.01) + 1e-9,
                        "{name} iv {iv} vs {pv}"
                    );
                }
            }
            // at σ = mark_iv on the same forward, the Greeks are QuantLib's
            if o["vol_source"] == "mark_iv" && f(&o["forward"]) == num("F") {
                for (k, q) in [
                    ("price_usd", "ql_price_usd"),
                    ("delta", "ql_delta"),
                    ("vega", "ql_vega_pct"),
                    ("theta", "ql_theta_day"),
                ] {
                    let (a, b) = (f(&o[k]), num(q));
                    assert!(
                        (a - b).abs() <= 1e-10 * b.abs() + 1e-12 * num("F"),
                        "{name} {k}: {a} vs {b}"
                    );
                }
                checked += 1;
            }
            let adj = f(&o["delta"]) - f(&o["price_coin"]);
            assert!((f(&o["premium_adjusted_delta"]) - adj).abs() < 1e-15);
        }
        assert!(checked > 200, "{chain}: only {checked} rows checked");
    }
}

#[test]
fn chain_csv_and_table_formats() {
    let out = run(&[
        "greeks",
        "--chain",
        &data("deribit_ETH_options_2026-04-13.csv"),
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rdr.headers().unwrap().get(0), Some("instrument_name"));
    assert_eq!(rdr.records().count(), 720);
    let out = run(&["greeks", "--chain", &data("deribit_ETH_options_2026-04-13.csv")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("720 options: 720 valued") && text.contains(", 0 not valued"),
        "{text}"
    );
    // CSV columns are the JSON keys, `iv_error` and `error` apart
    let out = run(&[
        "greeks",
        "--chain",
        &data("deribit_ETH_options_2026-04-13.csv"),
        "--format",
        "csv",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert!(header.ends_with(&["iv_error", "error"]), "{header:?}");
}

#[test]
fn bad_rows_get_their_own_error_and_the_rest_is_valued() {
    let header = "timestamp,instrument_name,underlying,expiry,strike,option_type,underlying_price,index_price,mark_price,mark_iv,delta,gamma,vega,theta,interest_rate,open_interest";
    let good = "2026-04-13T10:27:34.877Z,BTC-26JUN26-80000-C,BTC,2026-06-26T08:00:00Z,80000.0,call,71500.0,70780.0,0.05,50.0,,,,,,";
    let text = [
        header,
        good,
        "2026-04-13T10:27:34.877Z,BTC-26JUN26-80000-X,BTC,,80000.0,call,71500.0,70780.0,0.05,50.0,,,,,,",
        "2026-04-13T10:27:34.877Z,BTC-10APR26-80000-C,BTC,,80000.0,call,71500.0,70780.0,0.05,50.0,,,,,,",
        "2026-04-13T10:27:34.877Z,BTC-26JUN26-70000-C,BTC,,70000.0,call,,70780.0,0.05,50.0,,,,,,",
        "2026-04-13T10:27:34.877Z,BTC-26JUN26-90000-C,BTC,,90000.0,call,71500.0,70780.0,0.0,0.0,,,,,,",
        "2026-04-13T10:27:34.877Z,BTC-26JUN26-60000-C,BTC,,60000.0,call,71500.0,70780.0,0.01,,,,,,,",
        "2026-04-13T10:27:34.877Z,BTC-26JUN26-60000-P,BTC,,60000.0,put,71500.0,70780.0,1.5,,,,,,,",
    ]
    .join("\n");
    let dir = scratch();
    let p = write(&dir, "chain.csv", &text);
    let v = run_json(&["greeks", "--chain", &p, "--format", "json"]);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 7);
    assert!(list[0]["error"].is_null() && f(&list[0]["vega"]) > 0.0);
    let err = |i: usize| list[i]["error"].as_str().unwrap_or_default().to_string();
    assert!(
        err(1).contains("neither C nor P") && err(1).contains(":3:"),
        "{}",
        err(1)
    );
    assert!(err(2).contains("expired"), "{}", err(2));
    assert!(err(3).contains("missing forward"), "{}", err(3));
    assert!(
        err(4).contains("below intrinsic") || err(4).contains("volatility"),
        "{}",
        err(4)
    );
    assert!(err(5).contains("below intrinsic"), "{}", err(5));
    assert!(err(6).contains("no-arbitrage maximum"), "{}", err(6));
    // the same file valued after the June expiry: every row is an error, no panic
    // after every expiry nothing can be valued: an error, not a table of errors
    let e = run_err(&["greeks", "--chain", &p, "--as-of", "2026-07-01T00:00:00Z"]);
    assert!(e.contains("no option of") && e.contains("expired"), "{e}");
    let e = usage_err(&["greeks", "--chain", &p, "--as-of", "tomorrow"]);
    assert!(e.contains("--as-of"), "{e}");
    let e = run_err(&["greeks", "--chain", "/no/such/chain.csv"]);
    assert!(e.contains("/no/such/chain.csv"), "{e}");
    let q = write(
        &dir,
        "nocol.csv",
        "instrument_name,mark_price\nBTC-26JUN26-80000-C,0.05\n",
    );
    let e = run_err(&["greeks", "--chain", &q]);
    assert!(e.contains("no 'underlying_price' column"), "{e}");
}

#[test]
fn surface_command_prints_json_and_writes_the_chart() {
    let dir = scratch();
    let svg = dir.join("smiles.svg").display().to_string();
    let v = run_json(&[
        "surface",
        &data("deribit_ETH_options_2026-04-13.csv"),
        "--svg",
        &svg,
        "--format",
        "json",
    ]);
    let s = &v.as_array().unwrap()[0];
    assert_eq!(s["coin"], "ETH");
    let slices = s["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 11);
    for sl in slices {
        assert_eq!(sl["butterfly_arbitrage_free"], true);
        let (c, p) = (f(&sl["vol_25d_call"]), f(&sl["vol_25d_put"]));
        assert!((f(&sl["rr25"]) - (c - p)).abs() < 1e-12);
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") && text.contains("ETH smiles"),
        "not an SVG chart"
    );
    let out = run(&["surface", &data("deribit_BTC_options_2020-05-14.csv")]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("RR25") && table.contains("2020-12-25"), "{table}");
}

#[test]
fn portfolio_greeks_and_hedge_on_the_example_book() {
    let v = run_json(&["greeks", "examples/derivatives.toml", "--format", "json"]);
    assert_eq!(v["positions"].as_array().unwrap().len(), 10);
    let btc = &v["by_underlying"]["BTC"];
    let sum: f64 = v["positions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["underlying"] == "BTC")
        .map(|p| f(&p["delta"]))
        .sum();
    assert!((f(&btc["delta"]) - sum).abs() < 1e-9);
    let scen = v["scenarios"].as_array().unwrap();
    assert_eq!(scen.len(), 8);
    assert!(scen.iter().any(|s| f(&s["spot_shock"]) == -0.1));
    // the hedge leaves every chosen Greek within its band
    let h = run_json(&[
        "hedge",
        "examples/derivatives.toml",
        "--neutral",
        "delta,gamma,vega",
        "--band",
        "delta=0.01,vega=1",
        "--format",
        "json",
    ]);
    for x in h["hedges"].as_array().unwrap() {
        let a = &x["after"];
        assert!(f(&a["delta"]).abs() <= 0.01 + 1e-6, "{x}");
        assert!(f(&a["gamma"]).abs() <= 1e-9, "{x}");
        assert!(f(&a["vega"]).abs() <= 1.0 + 1e-6, "{x}");
    }
    let e = run_err(&[
        "hedge",
        "examples/derivatives.toml",
        "--neutral",
        "vega",
        "--using",
        "BTC-PERPETUAL,ETH-PERPETUAL",
    ]);
    assert!(e.contains("no hedge instrument carries vega"), "{e}");
    let e = usage_err(&["hedge", "examples/derivatives.toml", "--neutral", "rho"]);
    assert!(e.contains("[possible values: delta, gamma, vega]"), "{e}");
    let e = run_err(&["greeks", "examples/portfolio.toml"]);
    assert!(e.contains("[market]"), "{e}");
}

#[test]
fn absurd_chain_rows_are_errors_and_an_unvaluable_chain_fails() {
    let text = std::fs::read_to_string(data("deribit_BTC_options_2026-04-13.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let col = |name: &str| header.split(',').position(|h| h == name).unwrap();
    let (iv, rate) = (col("mark_iv"), col("interest_rate"));
    let set = |line: &str, k: usize, v: &str| {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        f[k] = v.into();
        f.join(",")
    };
    let rows: Vec<&str> = lines.take(2).collect();
    let dir = scratch();
    let mixed = format!("{header}\n{}\n{}\n", rows[0], set(rows[1], iv, "1e308"));
    let p = write(&dir, "mixed.csv", &mixed);
    let v = run_json(&["greeks", "--chain", &p, "--format", "json"]);
    let e = v[1]["error"].as_str().unwrap();
    assert!(e.contains("mark_iv 1e308") && e.contains("percent"), "{e}");
    assert!(v[0]["error"].is_null());
    let none = format!(
        "{header}\n{}\n{}\n",
        set(rows[0], iv, "-5"),
        set(rows[1], rate, "7")
    );
    let p = write(&dir, "none.csv", &none);
    let e = run_err(&["greeks", "--chain", &p]);
    assert!(e.contains("no option of") && e.contains("could be valued"), "{e}");
}
