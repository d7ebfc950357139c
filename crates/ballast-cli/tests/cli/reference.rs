//! The CLI's JSON against the peer references in `shared/reference/` (covariance.json,
//! risk_measures.json, risk_parity.json, mean_variance.json, hrp.json, min_cvar.json,
//! garch.json, black_litterman.json, var_backtest.json; conventions in that folder's README): the default window
//! (730 returns ending on the last date, every complete coin) of `shared/data/
//! crypto_daily_close.csv` is exactly the references' input (`returns.csv`).

use crate::common::*;

#[test]
fn covariance_json_matches_every_reference_estimator() {
    let refs = reference("covariance.json");
    let p = prices();
    for (est, key) in [
        ("sample", "sample_ddof1"),
        ("ewma", "ewma_riskmetrics"),
        ("ledoit-wolf", "ledoit_wolf_sklearn"),
        ("ledoit-wolf-cc", "ledoit_wolf_pypfopt_constant_correlation"),
        ("oas", "oas_sklearn"),
    ] {
        let v = run_json(&[
            "covariance",
            "--prices",
            &p,
            "--estimator",
            est,
            "--format",
            "json",
        ]);
        assert_eq!(v["periods_per_year"], 365.0);
        assert_eq!(v["assets"], refs[key]["assets"], "{est}: assets");
        assert_eq!(v["window"]["returns"], 730);
        let got = v["matrix"].as_array().unwrap();
        let want = refs[key]["matrix"].as_array().unwrap();
        for (gr, wr) in got.iter().zip(want) {
            for (g, w) in gr.as_array().unwrap().iter().zip(wr.as_array().unwrap()) {
                assert_rel(est, f(g) / 365.0, f(w), 1e-12);
            }
        }
    }
}

#[test]
fn risk_json_matches_risk_measures() {
    let refs = reference("risk_measures.json");
    let p = prices();
    for (name, port) in refs["portfolios"].as_object().unwrap() {
        let weights: Vec<String> = port["weights"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, w)| f(w) != 0.0)
            .map(|(a, w)| format!("{a}={}", f(w)))
            .collect();
        let wl = weights.join(",");
        let v = run_json(&[
            "risk",
            "--prices",
            &p,
            "--weights",
            &wl,
            "--normalize",
            "--format",
            "json",
        ]);
        assert_rel(
            &format!("{name} vol"),
            f(&v["volatility_annual"]),
            f(&port["empyrical"]["annual_volatility"]),
            1e-12,
        );
        assert_rel(
            &format!("{name} mdd"),
            f(&v["max_drawdown"]),
            f(&port["max_drawdown"]),
            1e-12,
        );
        for c in ["0.95", "0.99"] {
            let r = &port["by_confidence"][c];
            assert_rel(
                "hist var",
                f(&v["var"]["historical"][c]),
                f(&r["hist_ru_var"]),
                1e-12,
            );
            assert_rel(
                "gauss var",
                f(&v["var"]["gaussian"][c]),
                f(&r["gaussian_var"]),
                1e-12,
            );
            assert_rel(
                "cf var",
                f(&v["var"]["cornish_fisher"][c]),
                f(&r["cornish_fisher_var_biased"]),
                1e-12,
            );
            assert_rel(
                "hist cvar",
                f(&v["cvar"]["historical"][c]),
                f(&r["hist_ru_cvar"]),
                1e-12,
            );
            assert_rel(
                "gauss cvar",
                f(&v["cvar"]["gaussian"][c]),
                f(&r["gaussian_cvar"]),
                1e-12,
            );
        }
        let rc: f64 = v["risk_contributions"].as_object().unwrap().values().map(f).sum();
        assert!((rc - 1.0).abs() < 1e-12);
        assert_eq!(v["window"]["first_return"], "2024-04-19");
        assert_eq!(v["window"]["last_return"], "2026-04-26");
    }
}

#[test]
fn optimize_json_matches_risk_parity_reference() {
    let refs = reference("risk_parity.json");
    let p = prices();
    let erc = allocation(&["optimize", "--prices", &p, "--method", "erc", "--format", "json"]);
    let want = &refs["cases"]["erc"]["reference_newton_harness"]["weights"];
    let w = erc["weights"].as_object().unwrap();
    assert_eq!(w.len(), 39);
    for (a, x) in w {
        assert!((f(x) - f(&want[a])).abs() <= 1e-8, "erc {a}");
    }
    for x in erc["risk_contributions"].as_object().unwrap().values() {
        assert!((f(x) - 1.0 / 39.0).abs() <= 1e-10);
    }
    // unequal budgets, given on the command line in universe order
    let budgets = refs["cases"]["budget_unequal"]["budgets"].as_object().unwrap();
    let arg: Vec<String> = budgets.iter().map(|(a, b)| format!("{a}={}", f(b))).collect();
    let arg = arg.join(",");
    let rb = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "risk-budget",
        "--budgets",
        &arg,
        "--format",
        "json",
    ]);
    let want = &refs["cases"]["budget_unequal"]["reference_newton_harness"]["weights"];
    for (a, x) in rb["weights"].as_object().unwrap() {
        assert!((f(x) - f(&want[a])).abs() <= 1e-8, "risk budget {a}");
    }
    for (a, x) in rb["risk_contributions"].as_object().unwrap() {
        assert!((f(x) - f(&budgets[a])).abs() <= 1e-10, "risk budget RC {a}");
    }
    assert_rel(
        "rb vol",
        f(&rb["volatility_annual"]),
        f(&refs["cases"]["budget_unequal"]["reference_newton_harness"]["portfolio_vol_annual"]),
        1e-9,
    );
}

#[test]
fn optimize_inverse_vol_and_vol_target() {
    let p = prices();
    let v = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--assets",
        "BTC,ETH,SOL",
        "--method",
        "inverse-vol",
        "--format",
        "json",
    ]);
    let refs = reference("covariance.json");
    let vols: Vec<f64> = ["BTC", "ETH", "SOL"]
        .iter()
        .map(|a| f(&refs["vol_annual_ddof1"][a]))
        .collect();
    let inv: f64 = vols.iter().map(|s| 1.0 / s).sum();
    for (a, s) in ["BTC", "ETH", "SOL"].iter().zip(&vols) {
        assert_rel(a, f(&v["weights"][a]), (1.0 / s) / inv, 1e-12);
    }
    let t = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--assets",
        "BTC,ETH,SOL",
        "--vol-target",
        "0.3",
        "--format",
        "json",
    ]);
    assert_rel("vol target", f(&t["volatility_annual"]), 0.3, 1e-12);
    let total: f64 = t["weights"].as_object().unwrap().values().map(f).sum();
    assert_rel("cash", f(&t["cash"]), 1.0 - total, 1e-12);
}

#[test]
fn mean_variance_json_matches_pypfopt() {
    let refs = reference("mean_variance.json");
    let p = prices();
    for (method, case, extra) in [
        ("min-variance", "min_volatility", vec![]),
        ("max-sharpe", "max_sharpe", vec![]),
        (
            "min-variance",
            "min_volatility_max30",
            vec!["--max-weight", "0.3"],
        ),
        ("max-sharpe", "max_sharpe_max30", vec!["--max-weight", "0.3"]),
    ] {
        let mut args = vec![
            "optimize",
            "--prices",
            p.as_str(),
            "--method",
            method,
            "--format",
            "json",
        ];
        args.extend(extra);
        let v = allocation(&args);
        let c = &refs["cases"][case];
        for (a, w) in v["weights"].as_object().unwrap() {
            assert!((f(w) - f(&c["weights"][a])).abs() < 1e-6, "{case} {a}");
        }
        assert_rel(case, f(&v["sharpe"]), f(&c["sharpe"]), 1e-6);
        assert_eq!(v["status"], "solved");
        for k in [
            "expected_return_annual",
            "volatility_annual",
            "risk_contributions",
            "solver",
        ] {
            assert!(v.get(k).is_some(), "{case}: missing {k}");
        }
    }
    let target = f(&refs["cases"]["efficient_return"]["target_return"]).to_string();
    let v = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "efficient-return",
        "--target-return",
        &target,
        "--format",
        "json",
    ]);
    assert_rel(
        "efficient return vol",
        f(&v["volatility_annual"]),
        f(&refs["cases"]["efficient_return"]["vol_annual"]),
        1e-8,
    );
}

#[test]
fn constraints_file_and_frontier_chart() {
    let dir = scratch();
    let cfile = write(
        &dir,
        "c.toml",
        "max_weight = 0.25\n[[group]]\nname = \"majors\"\nassets = [\"BTC\", \"ETH\"]\nmax = 0.1\n",
    );
    let p = prices();
    let v = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "utility",
        "--risk-aversion",
        "2",
        "--constraints",
        &cfile,
        "--format",
        "json",
    ]);
    let w = &v["weights"];
    assert!(f(&w["BTC"]) + f(&w["ETH"]) <= 0.1 + 1e-8);
    assert!(w.as_object().unwrap().values().all(|x| f(x) <= 0.25 + 1e-8));
    let bad = write(
        &dir,
        "bad.toml",
        "[[group]]\nname = \"x\"\nassets = [\"NOPE\"]\nmax = 0.1\n",
    );
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "min-variance",
        "--constraints",
        &bad,
    ]);
    assert!(e.contains("unknown asset 'NOPE'"), "{e}");
    let typo = write(&dir, "typo.toml", "max_wieght = 0.2\n");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "min-variance",
        "--constraints",
        &typo,
    ]);
    assert!(e.contains("max_wieght"), "{e}");
    let e = run_err(&["optimize", "--prices", &p, "--method", "efficient-return"]);
    assert!(e.contains("--target-return"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "max-sharpe",
        "--risk-free",
        "50",
    ]);
    assert!(
        e.contains("--risk-free = 50 must be in [-1, 1]") && e.contains("0.5 for 50 %"),
        "{e}"
    );
    let svg = dir.join("f.svg").display().to_string();
    let v = run_json(&[
        "frontier", "--prices", &p, "--points", "8", "--out", &svg, "--format", "json",
    ]);
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), 8);
    assert!(pts
        .windows(2)
        .all(|w| f(&w[1]["volatility_annual"]) >= f(&w[0]["volatility_annual"]) - 1e-9));
    assert!(std::fs::read_to_string(&svg)
        .unwrap()
        .contains("Efficient frontier"));
}

#[test]
fn hrp_and_min_cvar_json_match_the_peers() {
    let p = prices();
    let hrp_refs = reference("hrp.json");
    for link in ["single", "complete", "average", "ward"] {
        let v = allocation(&[
            "optimize",
            "--prices",
            &p,
            "--method",
            "hrp",
            "--linkage",
            link,
            "--format",
            "json",
        ]);
        assert_eq!(v["status"], "closed-form");
        assert!(v["expected_return_annual"].is_number() && v["sharpe"].is_number());
        let want = &hrp_refs["cases"][link]["pypfopt_HRPOpt"]["weights"];
        for (a, w) in v["weights"].as_object().unwrap() {
            assert!((f(w) - f(&want[a])).abs() < 1e-12, "hrp {link} {a}");
        }
    }
    let cvar = reference("min_cvar.json");
    let v = allocation(&[
        "optimize", "--prices", &p, "--method", "min-cvar", "--beta", "0.95", "--format", "json",
    ]);
    assert_rel(
        "min-cvar",
        f(&v["cvar"]),
        f(&cvar["peers"]["riskfolio_optimization"]["hist_cvar_of_weights"]),
        1e-8,
    );
}

#[test]
fn garch_json_matches_arch() {
    let refs = reference("garch.json");
    let p = prices();
    for (dist, key) in [("normal", "normal"), ("t", "t")] {
        let v = run_json(&[
            "garch", "--prices", &p, "--asset", "BTC", "--dist", dist, "--format", "json",
        ]);
        let want = &refs["fits"][key];
        assert!(f(&v["loglikelihood"]) >= f(&want["loglikelihood"]) - 1e-9);
        assert!((f(&v["params"]["alpha"]) - f(&want["params"]["alpha[1]"])).abs() < 1e-4);
        assert_rel(
            &format!("{dist} annualised 1-day vol"),
            f(&v["volatility_1day_annualised"]),
            f(&want["forecast_vol_annualised"]),
            1e-3,
        );
    }
    let e = run_err(&["garch", "--prices", &p, "--asset", "NOPE"]);
    assert!(e.contains("unknown asset 'NOPE'"), "{e}");
    let e = run_err(&["garch", "--prices", &p, "--asset", "BTC", "--window", "6"]);
    assert!(e.contains("at least 100"), "{e}");
}

#[test]
fn black_litterman_json_matches_pypfopt() {
    let refs = reference("black_litterman.json");
    let p = prices();
    for (case, extra) in [
        ("omega_default", vec![]),
        ("omega_idzorek", vec!["--view-confidences", "0.6,0.3"]),
    ] {
        let mut args = vec![
            "optimize",
            "--prices",
            p.as_str(),
            "--method",
            "black-litterman",
            "--views",
            "BTC=0.2,ETH-SOL=0.1",
            "--format",
            "json",
        ];
        args.extend(extra);
        let v = allocation(&args);
        let want = &refs["cases"][case]["posterior_returns"];
        for (a, x) in v["posterior_returns"].as_object().unwrap() {
            assert_rel(&format!("{case} {a}"), f(x), f(&want[a]), 1e-10);
        }
    }
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "black-litterman",
        "--views",
        "BTC=0.2,NOPE-SOL=0.1",
    ]);
    assert!(e.contains("unknown asset 'NOPE'"), "{e}");
    let e = run_err(&["optimize", "--prices", &p, "--method", "black-litterman"]);
    assert!(e.contains("--views"), "{e}");
}

#[test]
fn hrp_scipy_leaf_order_matches_skfolio_and_herc_runs() {
    let p = prices();
    let refs = reference("hrp.json");
    for link in ["single", "complete", "average", "ward"] {
        let v = allocation(&[
            "optimize",
            "--prices",
            &p,
            "--method",
            "hrp",
            "--linkage",
            link,
            "--leaf-order",
            "scipy",
            "--format",
            "json",
        ]);
        let want = &refs["cases"][link]["skfolio_HierarchicalRiskParity"]["weights"];
        for (a, w) in v["weights"].as_object().unwrap() {
            assert!((f(w) - f(&want[a])).abs() < 1e-12, "hrp scipy order {link} {a}");
        }
    }
    let v = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "hrp",
        "--leaf-order",
        "optimal",
        "--max-weight",
        "0.05",
        "--format",
        "json",
    ]);
    let w: Vec<f64> = v["weights"].as_object().unwrap().values().map(f).collect();
    assert!(w.iter().all(|x| *x <= 0.05 + 1e-12));
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let v = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "herc",
        "--linkage",
        "ward",
        "--clusters",
        "4",
        "--format",
        "json",
    ]);
    assert_eq!(v["method"], "herc");
    let w: Vec<f64> = v["weights"].as_object().unwrap().values().map(f).collect();
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12 && w.iter().all(|x| *x > 0.0));
}

#[test]
fn return_estimators_ccc_covariance_and_momentum_selection_run() {
    let p = prices();
    for mu in ["historical", "ewma", "james-stein"] {
        let v = allocation(&[
            "optimize",
            "--prices",
            &p,
            "--method",
            "max-sharpe",
            "--mu",
            mu,
            "--format",
            "json",
        ]);
        assert!(f(&v["sharpe"]).is_finite(), "{mu}");
    }
    for cov in ["ccc-ewma", "ccc-garch", "ccc-garch-t"] {
        let v = allocation(&[
            "optimize",
            "--prices",
            &p,
            "--assets",
            "BTC,ETH,SOL,BNB",
            "--method",
            "erc",
            "--cov",
            cov,
            "--format",
            "json",
        ]);
        assert!(f(&v["volatility_annual"]) > 0.1, "{cov}");
    }
    let v = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--method",
        "erc",
        "--momentum-top",
        "5",
        "--format",
        "json",
    ]);
    let held = v["weights"]
        .as_object()
        .unwrap()
        .values()
        .filter(|w| f(w) > 0.0)
        .count();
    assert_eq!(held, 5);
}

#[test]
fn var_backtest_json_matches_the_reference() {
    let r = reference("var_backtest.json");
    let end = r["series"]["return_dates"][1].as_str().unwrap();
    let prices = data("crypto_daily_close.csv");
    let v = run_json(&[
        "var-backtest",
        "--prices",
        &prices,
        "--weights",
        "BTC=1",
        "--end",
        end,
        "--model",
        "historical,filtered-historical",
        "--confidence",
        "0.99",
        "--format",
        "json",
    ]);
    for b in v["backtests"].as_array().unwrap() {
        let key = if b["model"] == "historical" {
            "historical"
        } else {
            "fhs_ewma"
        };
        let want = &r[key]["0.99"];
        let s = &want["tests"]["stdlib"];
        assert_eq!(b["exceptions"], want["n_exceptions"], "{key}");
        assert_eq!(b["exception_dates"], want["exception_dates"], "{key}");
        assert_rel("LR_pof", f(&b["kupiec"]["lr"]), f(&s["LR_pof"]), 1e-9);
        assert_rel(
            "LR_ind",
            f(&b["christoffersen_independence"]["lr"]),
            f(&s["LR_ind"]),
            1e-9,
        );
        assert_rel(
            "p_cc",
            f(&b["conditional_coverage"]["p_value"]),
            f(&s["p_cc"]),
            1e-9,
        );
        assert_eq!(
            b["traffic_light"]["zone"], want["traffic_light_last_250"]["zone"],
            "{key}"
        );
    }
}

#[test]
fn var_backtest_refuses_bad_input_and_writes_charts() {
    let prices = data("crypto_daily_close.csv");
    let base = ["var-backtest", "--prices", prices.as_str()];
    let err = |extra: &[&str]| run_err(&[&base[..], extra].concat());
    let e = err(&["--weights", "BTC=1", "--window", "5000"]);
    assert!(e.contains("3166 returns") && e.contains("--window"), "{e}");
    let e = err(&["--weights", "BTC=1", "--window", "18446744073709551615"]);
    assert!(e.contains("between 2 and 10000"), "{e}");
    let e = err(&[
        "--weights",
        "BTC=1",
        "--model",
        "filtered-historical",
        "--lambda",
        "1.2",
    ]);
    assert!(e.contains("λ") && e.contains("0.94"), "{e}");
    let e = err(&["--weights", "NOPE=1"]);
    assert!(e.contains("NOPE"), "{e}");
    let e = err(&["--weights", "BTC=1", "--confidence", "99"]);
    assert!(e.contains("percentage"), "{e}");
    let e = usage_err(&[&base[..], &["--weights", "BTC=1", "--model", "bootstrap"]].concat());
    assert!(e.contains("monte-carlo"), "{e}");
    let mc = ["--weights", "BTC=1", "--model", "monte-carlo", "--window", "2500"];
    let e = err(&[&mc[..], &["--draws", "5"]].concat());
    assert!(e.contains("draws") && e.contains("100"), "{e}");
    let e = err(&[&mc[..], &["--dof", "1.5"]].concat());
    assert!(e.contains("ν") && e.contains("above 2"), "{e}");
    let v = run_json(&[&base[..], &mc[..], &["--draws", "2000", "--format", "json"]].concat());
    let b = &v["backtests"][0];
    assert_eq!(b["model"], "monte-carlo");
    assert_eq!(b["observations"], 3166 - 2500);
    assert!(f(&b["next_var"]) > 0.0, "{b}");
    let dir = scratch();
    let out = dir.join("charts").display().to_string();
    let o = run(&[
        &base[..],
        &[
            "--weights",
            "BTC=0.6,ETH=0.4",
            "--model",
            "gaussian",
            "--out",
            &out,
        ],
    ]
    .concat());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("BTC 60.00%, ETH 40.00%"), "{text}");
    for c in ["0.99", "0.95"] {
        let svg = std::fs::read_to_string(dir.join(format!("charts/var_backtest_gaussian_{c}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("exceptions"), "{c}");
    }
}

#[test]
fn var_backtest_of_a_portfolio_file_uses_its_holdings() {
    let file = root().join("examples/portfolio.toml").display().to_string();
    let v = run_json(&[
        "var-backtest",
        "--portfolio",
        &file,
        "--model",
        "gaussian",
        "--format",
        "json",
    ]);
    let w: f64 = v["weights"].as_array().unwrap().iter().map(f).sum();
    assert!((w - 1.0).abs() < 1e-12);
    assert!(v["assets"].as_array().unwrap().iter().any(|a| a == "BTC"));
    let e = run_err(&["var-backtest", "--portfolio", &file, "--equity", "1000"]);
    assert!(e.contains("--equity") && e.contains("[[position]]"), "{e}");
}

#[test]
fn var_backtest_of_a_book_revalues_it_on_past_days() {
    let (dir, file) = (scratch(), example_with_data("derivatives.toml"));
    let path = dir.join("book.toml");
    std::fs::write(&path, file).unwrap();
    let path = path.display().to_string();
    let out = dir.join("charts").display().to_string();
    let args = [
        "var-backtest",
        "--portfolio",
        &path,
        "--model",
        "historical",
        "--equity",
        "500000",
    ];
    let v = run_json(&[&args[..], &["--format", "json", "--out", &out]].concat());
    let book = &v["book"];
    assert_eq!(f(&book["equity_usd"]), 500_000.0);
    let (pnl, returns) = (
        book["pnl_usd"].as_array().unwrap(),
        v["returns"].as_array().unwrap(),
    );
    assert_eq!(pnl.len(), returns.len());
    for (p, r) in pnl.iter().zip(returns) {
        assert!((f(p) / 500_000.0 - f(r)).abs() < 1e-15, "{p} {r}");
    }
    assert_eq!(v["backtests"].as_array().unwrap().len(), 2);
    let svg = std::fs::read_to_string(dir.join("charts/var_backtest_historical_0.99.svg")).unwrap();
    assert!(
        svg.contains("hypothetical P&amp;L") || svg.contains("hypothetical P&L"),
        "title"
    );
    let e = run_err(&[&args[..5], &["--equity", "-5"]].concat());
    assert!(e.contains("equity"), "{e}");
}
