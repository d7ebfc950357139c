//! `ballast factors`, `risk --factors`, `optimize --method factor-risk-parity` and the
//! perpetual hedges of `hedge --beta / --min-variance`, end to end on the shared data.

use crate::common::*;

#[test]
fn factors_json_has_the_documented_keys_and_matches_the_library() {
    let p = prices();
    let v = run_json(&[
        "factors",
        "--prices",
        &p,
        "--assets",
        "BTC,ETH,SOL",
        "--model",
        "market:BTC",
        "--format",
        "json",
    ]);
    for key in [
        "window",
        "model",
        "factors",
        "periods",
        "loadings",
        "alpha",
        "r_squared",
        "residual_variance",
        "ddof",
        "factor_covariance",
        "covariance",
    ] {
        assert!(v.get(key).is_some(), "factors JSON lacks {key}");
    }
    assert_eq!(v["factors"][0], "BTC");
    assert!((v["loadings"]["BTC"]["BTC"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(v["ddof"], 1);
    let pca = run_json(&[
        "factors", "--prices", &p, "--model", "pca:0.7", "--format", "json",
    ]);
    let ratio: f64 = pca["explained_variance_ratio"].as_array().unwrap()
        [..pca["factors"].as_array().unwrap().len()]
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!(ratio >= 0.7, "{ratio}");
    assert!(pca["alpha"].is_null());
}

#[test]
fn risk_with_factors_decomposes_the_book() {
    let p = prices();
    let v = run_json(&[
        "risk",
        "--prices",
        &p,
        "--weights",
        "SOL=0.5,DOGE=0.5",
        "--factors",
        "market:BTC",
        "--value",
        "1000000",
        "--format",
        "json",
    ]);
    let f = &v["factor_risk"];
    let rc = f["relative_risk_contributions"]["BTC"].as_f64().unwrap()
        + f["relative_residual_risk_contribution"].as_f64().unwrap();
    assert!((rc - 1.0).abs() < 1e-12);
    // BTC is not held, yet the book has a beta to it; dollar beta = beta × value
    let beta = f["exposures"]["BTC"].as_f64().unwrap();
    assert!(beta > 1.0, "{beta}");
    assert!((f["dollar_exposures"]["BTC"].as_f64().unwrap() - beta * 1e6).abs() < 1e-6);
    assert!((f["volatility"].as_f64().unwrap() - v["volatility_annual"].as_f64().unwrap()).abs() < 1e-12);
}

#[test]
fn factor_risk_parity_from_the_command_line() {
    let p = prices();
    let v = run_json(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "factor-risk-parity",
        "--factors",
        "explicit:BTC,ETH",
        "--factor-budgets",
        "BTC=0.6,ETH=0.4",
        "--format",
        "json",
    ]);
    let a = &v["allocation"];
    let rc = &a["factor_risk_contributions"];
    let (b, e) = (rc["BTC"].as_f64().unwrap(), rc["ETH"].as_f64().unwrap());
    assert!((b / (b + e) - 0.6).abs() < 1e-8, "{rc}");
    assert_eq!(a["long_only"], true);
    let err = run_err(&["optimize", "--prices", &p, "--method", "factor-risk-parity"]);
    assert!(err.contains("needs --factors"), "{err}");
    let err = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "erc",
        "--long-only",
        "false",
    ]);
    assert!(err.contains("--long-only is only used with"), "{err}");
    let err = usage_err(&["factors", "--prices", &p, "--model", "pca:two"]);
    assert!(err.contains("pca:K"), "{err}");
}

#[test]
fn perpetual_hedges_of_the_example_book() {
    let dir = scratch();
    let pf = write(&dir, "portfolio.toml", &example_portfolio());
    let v = run_json(&[
        "hedge",
        &pf,
        "--min-variance",
        "BTC-PERPETUAL,ETH-PERPETUAL",
        "--format",
        "json",
    ]);
    let h = &v["hedge"];
    assert_eq!(h["kind"], "min-variance");
    for k in 0..2 {
        assert!(
            v["betas_after"][k].as_f64().unwrap().abs() < 1e-10,
            "{}",
            v["betas_after"]
        );
    }
    let oos = &h["out_of_sample"];
    assert!(oos["crisis"]["days"].as_u64().unwrap() > 10, "{oos}");
    assert!(
        oos["crisis"]["mean_hedged"].as_f64().unwrap() > oos["crisis"]["mean_unhedged"].as_f64().unwrap()
    );
    // the beta hedge on BTC alone, to a target beta of 0.5
    let b = run_json(&["hedge", &pf, "--beta", "0.5", "--format", "json"]);
    assert!((b["betas_after"][0].as_f64().unwrap() - 0.5).abs() < 1e-10);
    let value = b["value_usd"].as_f64().unwrap();
    let ratio = b["hedge"]["hedge_ratios"][0].as_f64().unwrap();
    assert!((b["notional_usd"][0].as_f64().unwrap() - ratio * value).abs() < 1e-6);
    // bad input
    let e = run_err(&["hedge", &pf, "--beta", "0,0", "--perps", "BTC-PERPETUAL"]);
    assert!(e.contains("one per perpetual"), "{e}");
    let e = run_err(&["hedge", &pf, "--min-variance", "BTC-PERPETUAL,BTC-PERPETUAL"]);
    assert!(e.contains("collinear"), "{e}");
    let e = run_err(&["hedge", &pf, "--min-variance", "NOPE-PERPETUAL"]);
    assert!(e.contains("NOPE"), "{e}");
    let e = run_err(&[
        "hedge",
        &pf,
        "--min-variance",
        "BTC-PERPETUAL",
        "--crisis-quantile",
        "0.9",
    ]);
    assert!(e.contains("--crisis-quantile"), "{e}");
}

#[test]
fn rolling_betas_and_a_books_exposures_over_time() {
    let p = prices();
    let dir = scratch();
    let svg = dir.join("betas.svg");
    let base = [
        "factors",
        "--prices",
        &p,
        "--assets",
        "BTC,ETH,SOL,DOGE",
        "--model",
        "market:BTC",
        "--rolling",
        "90",
        "--step",
        "30",
    ];
    let mut args = base.to_vec();
    let svg_s = svg.to_string_lossy().to_string();
    args.extend([
        "--weights",
        "SOL=0.6,DOGE=0.4",
        "--svg",
        &svg_s,
        "--format",
        "json",
    ]);
    let v = run_json(&args);
    let dates = v["dates"].as_array().unwrap();
    assert_eq!(dates.len(), (730 - 90) / 30 + 1);
    assert_eq!(v["window"]["last_return"], *dates.last().unwrap());
    let sol = v["betas"]["SOL"]["BTC"].as_array().unwrap();
    let doge = v["betas"]["DOGE"]["BTC"].as_array().unwrap();
    let book = v["exposures"]["BTC"].as_array().unwrap();
    for d in 0..dates.len() {
        let want = 0.6 * f(&sol[d]) + 0.4 * f(&doge[d]);
        assert!((f(&book[d]) - want).abs() < 1e-12);
    }
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let table = String::from_utf8(run(&base).stdout).unwrap();
    assert!(
        table.contains("Rolling market:BTC: 22 fits of 90 returns every 30 days"),
        "{table}"
    );
    let e = run_err(&[
        "factors",
        "--prices",
        &p,
        "--model",
        "market:BTC",
        "--rolling",
        "90",
        "--weights",
        "NOPE=1",
    ]);
    assert!(
        e.contains("NOPE") && e.contains("not a coin of the window"),
        "{e}"
    );
    let e = usage_err(&["factors", "--prices", &p, "--model", "market:BTC", "--step", "5"]);
    assert!(e.contains("--rolling"), "{e}");
}

#[test]
fn the_report_has_a_factor_section_before_and_after_the_trades() {
    let dir = scratch();
    let book = |risk: &str| {
        format!(
            "cash_usd = 1000.0\n[data]\nprices = \"{}\"\nwindow = 365\n[[holding]]\nasset = \"SOL\"\nunits = 1000.0\n[[holding]]\nasset = \"DOGE\"\nunits = 500000.0\n[target]\nmethod = \"erc\"\n[risk]\n{risk}\n",
            prices().replace('\\', "/")
        )
    };
    // a book without BTC still has a beta to BTC (cut from the price file on the same dates)
    let v = run_json(&["report", &write(&dir, "a.toml", &book("")), "--format", "json"]);
    let fr = &v["factor_risk"];
    assert_eq!(fr["model"], "market:BTC");
    let beta = f(&fr["exposures"]["BTC"]);
    assert!(beta > 0.8 && beta < 2.5, "{beta}");
    let usd = f(&fr["dollar_exposures"]["BTC"]);
    assert_rel("dollar beta", usd, beta * f(&v["value_usd"]), 1e-12);
    assert!(v["factor_risk_after"]["exposures"]["BTC"].is_number());
    let text = String::from_utf8(run(&["report", &write(&dir, "a.toml", &book(""))]).stdout).unwrap();
    assert!(
        text.contains("Factor risk (market:BTC)") && text.contains("Factor exposure after trades"),
        "{text}"
    );
    let two = run_json(&[
        "report",
        &write(&dir, "b.toml", &book("factors = \"explicit:BTC,ETH\"")),
        "--format",
        "json",
    ]);
    assert_eq!(two["factor_risk"]["factors"].as_array().unwrap().len(), 2);
    let none = run_json(&[
        "report",
        &write(&dir, "c.toml", &book("factors = \"none\"")),
        "--format",
        "json",
    ]);
    assert!(none["factor_risk"].is_null());
    let e = run_err(&["report", &write(&dir, "d.toml", &book("factors = \"beta:BTC\""))]);
    assert!(e.contains("[risk] factors") && e.contains("beta:BTC"), "{e}");
    let e = run_err(&[
        "report",
        &write(&dir, "e.toml", &book("factors = \"market:NOPE\"")),
    ]);
    assert!(e.contains("[risk] factors") && e.contains("NOPE"), "{e}");
}

#[test]
fn a_derivatives_books_delta_exposures_have_factor_risk() {
    let book = root().join("examples/derivatives.toml").display().to_string();
    let p = prices();
    let g = |model: &str| {
        run_json(&[
            "greeks",
            &book,
            "--factors",
            model,
            "--prices",
            &p,
            "--window",
            "365",
            "--format",
            "json",
        ])
    };
    let two = g("explicit:BTC,ETH");
    let fr = &two["factor_risk"];
    // the window ends on the valuation date
    assert_eq!(fr["window"]["last_return"], "2026-04-13");
    // each coin on itself has beta 1: the dollar betas are the delta exposures
    for c in ["BTC", "ETH"] {
        let delta = f(&two["by_underlying"][c]["delta_usd"]);
        assert_rel(c, f(&fr["delta_usd"][c]), delta, 1e-12);
        assert_rel(c, f(&fr["factor_risk"]["exposures"][c]), delta, 1e-9);
    }
    // market model: dollar beta = delta_BTC + β_ETH · delta_ETH, β from `ballast factors`
    let one = g("market:BTC");
    let m = run_json(&[
        "factors",
        "--prices",
        &p,
        "--assets",
        "BTC,ETH",
        "--model",
        "market:BTC",
        "--window",
        "365",
        "--end",
        "2026-04-13",
        "--format",
        "json",
    ]);
    let beta_eth = f(&m["loadings"]["ETH"]["BTC"]);
    let want = f(&fr["delta_usd"]["BTC"]) + beta_eth * f(&fr["delta_usd"]["ETH"]);
    assert_rel(
        "dollar beta",
        f(&one["factor_risk"]["factor_risk"]["exposures"]["BTC"]),
        want,
        1e-12,
    );
    let rc = &one["factor_risk"]["factor_risk"];
    let total = f(&rc["risk_contributions"]["BTC"]) + f(&rc["residual_risk_contribution"]);
    assert_rel("RCs sum to σ", total, f(&rc["volatility"]), 1e-12);
    let e = usage_err(&["greeks", &book, "--factors", "market:BTC"]);
    assert!(e.contains("--prices"), "{e}");
}

#[test]
fn explicit_factors_from_a_factor_file() {
    let p = prices();
    let dir = scratch();
    // the factor file repeats BTC's closes under another name, on every date of the window
    let panel = ballast::io::read_prices(&p).unwrap();
    let btc = panel.asset_index("BTC").unwrap();
    let mut csv = String::from("date,MKT\n");
    for (r, d) in panel.dates().iter().enumerate() {
        if let Some(x) = panel.price(r, btc) {
            csv += &format!("{d},{x}\n");
        }
    }
    let file = write(&dir, "factors.csv", &csv);
    let fit = |model: &str, extra: &[&str]| {
        let mut args = vec!["factors", "--prices", &p, "--assets", "ETH,SOL", "--model", model];
        args.extend_from_slice(extra);
        args.extend(["--format", "json"]);
        run_json(&args)
    };
    let from_file = fit("market:MKT", &["--factor-prices", &file]);
    let from_coin = fit("market:BTC", &[]);
    for c in ["ETH", "SOL"] {
        assert_eq!(from_file["loadings"][c]["MKT"], from_coin["loadings"][c]["BTC"]);
        assert_eq!(
            from_file["residual_variance"][c],
            from_coin["residual_variance"][c]
        );
    }
    // risk --factors takes it too
    let r = run_json(&[
        "risk",
        "--prices",
        &p,
        "--weights",
        "ETH=0.5,SOL=0.5",
        "--factors",
        "market:MKT",
        "--factor-prices",
        &file,
        "--format",
        "json",
    ]);
    assert!(r["factor_risk"]["exposures"]["MKT"].as_f64().unwrap() > 0.5);
    // a gap on a date of the window is an error naming the date, never filled
    let gappy: String = csv
        .lines()
        .filter(|l| !l.starts_with("2026-03-01"))
        .collect::<Vec<_>>()
        .join("\n");
    let gap = write(&dir, "gap.csv", &gappy);
    let e = run_err(&[
        "factors",
        "--prices",
        &p,
        "--assets",
        "ETH",
        "--model",
        "market:MKT",
        "--factor-prices",
        &gap,
    ]);
    assert!(
        e.contains("no price for 'MKT' on 2026-03-01") && e.contains("never filled"),
        "{e}"
    );
    let e = run_err(&[
        "factors",
        "--prices",
        &p,
        "--assets",
        "ETH",
        "--model",
        "market:NOPE",
        "--factor-prices",
        &file,
    ]);
    assert!(e.contains("NOPE") && e.contains("its columns: MKT"), "{e}");
}

#[test]
fn hedge_instruments_and_chart_files_are_checked() {
    let pf = root().join("examples/portfolio.toml").display().to_string();
    let e = run_err(&["hedge", &pf, "--min-variance", "BTC-26JUN26"]);
    assert!(
        e.contains("--min-variance") && e.contains("not a perpetual"),
        "{e}"
    );
    let e = run_err(&["hedge", &pf, "--min-variance", "FOO-PERPETUAL"]);
    assert!(e.contains("hedge instrument FOO"), "{e}");
    let e = run_err(&[
        "hedge",
        &pf,
        "--min-variance",
        "BTC-PERPETUAL",
        "--perps",
        "ETH-PERPETUAL",
    ]);
    assert!(e.contains("--perps is for --beta"), "{e}");
    let p = prices();
    let png = scratch().join("x.png").display().to_string();
    let e = run_err(&[
        "factors",
        "--prices",
        &p,
        "--model",
        "market:BTC",
        "--rolling",
        "90",
        "--svg",
        &png,
    ]);
    assert!(e.contains(".svg"), "{e}");
    let e = run_err(&[
        "factors",
        "--prices",
        &p,
        "--model",
        "market:BTC",
        "--cov",
        "ewma",
    ]);
    assert!(e.contains("--cov") && e.contains("pca:K"), "{e}");
}
