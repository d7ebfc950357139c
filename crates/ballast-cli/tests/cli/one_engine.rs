//! One engine: `ballast optimize` and a portfolio file's `[target]` run the same request through
//! the same library call, so their allocations serialise to the same bytes; every option takes
//! effect or is an error, whichever method it is given to.

use crate::common::*;

const ASSETS: &str = "BTC,ETH,SOL,BNB,XRP,DOGE,LINK,AVAX";

/// (flags for `optimize`, the same request as `[target]` TOML)
fn requests() -> Vec<(Vec<&'static str>, &'static str)> {
    vec![
        (vec!["--method", "equal-weight"], "method = \"equal-weight\""),
        (vec!["--method", "inverse-vol", "--max-weight", "0.3"], "method = \"inverse-vol\"\nmax_weight = 0.3"),
        (
            vec!["--method", "erc", "--vol-target", "0.4", "--risk-free", "0.03"],
            "method = \"erc\"\nvol_target = 0.4\nrisk_free = 0.03",
        ),
        (
            vec!["--method", "risk-budget", "--budgets", "BTC=0.3,ETH=0.2,SOL=0.1,BNB=0.1,XRP=0.1,DOGE=0.1,LINK=0.05,AVAX=0.05"],
            "method = \"risk-budget\"\nbudgets = { BTC = 0.3, ETH = 0.2, SOL = 0.1, BNB = 0.1, XRP = 0.1, DOGE = 0.1, LINK = 0.05, AVAX = 0.05 }",
        ),
        (vec!["--method", "min-variance", "--max-weight", "0.4"], "method = \"min-variance\"\nmax_weight = 0.4"),
        (
            vec!["--method", "max-sharpe", "--mu", "ewma", "--vol-target", "0.5"],
            "method = \"max-sharpe\"\nmu = \"ewma\"\nvol_target = 0.5",
        ),
        (vec!["--method", "max-sharpe", "--mu", "james-stein"], "method = \"max-sharpe\"\nmu = \"james-stein\""),
        (vec!["--method", "efficient-return", "--target-return", "0.2"], "method = \"efficient-return\"\ntarget_return = 0.2"),
        (vec!["--method", "efficient-risk", "--target-vol", "0.6"], "method = \"efficient-risk\"\ntarget_vol = 0.6"),
        (vec!["--method", "utility", "--risk-aversion", "3"], "method = \"utility\"\nrisk_aversion = 3"),
        (
            vec!["--method", "hrp", "--linkage", "ward", "--leaf-order", "optimal", "--max-weight", "0.25"],
            "method = \"hrp\"\nlinkage = \"ward\"\nleaf_order = \"optimal\"\nmax_weight = 0.25",
        ),
        (vec!["--method", "herc", "--clusters", "3"], "method = \"herc\"\nclusters = 3"),
        (vec!["--method", "min-cvar", "--beta", "0.9"], "method = \"min-cvar\"\nbeta = 0.9"),
        (
            vec!["--method", "black-litterman", "--views", "BTC=0.2,ETH-SOL=0.1", "--view-confidences", "0.6,0.3"],
            "method = \"black-litterman\"\nview_confidences = [0.6, 0.3]\n[target.views]\nBTC = 0.2\n\"ETH-SOL\" = 0.1",
        ),
        // views out of name order: confidences pair with the views as written, on both paths
        (
            vec!["--method", "black-litterman", "--views", "SOL=0.5,BTC=0.1", "--view-confidences", "0.9,0.1"],
            "method = \"black-litterman\"\nview_confidences = [0.9, 0.1]\n[target.views]\nSOL = 0.5\nBTC = 0.1",
        ),
        (
            vec!["--method", "erc", "--momentum-top", "5", "--momentum-tilt", "0.5", "--momentum-lookback", "60"],
            "method = \"erc\"\nmomentum = { top = 5, tilt = 0.5, lookback = 60 }",
        ),
    ]
}

fn portfolio(target: &str) -> String {
    let mut s = format!(
        "cash_usd = 1000.0\n[data]\nprices = {:?}\nwindow = 365\nestimator = \"ledoit-wolf\"\n",
        prices()
    );
    for a in ASSETS.split(',') {
        s += &format!("[[holding]]\nasset = \"{a}\"\nunits = 1.0\n");
    }
    s + "[target]\n" + target + "\n"
}

#[test]
fn optimize_and_a_portfolio_target_give_byte_identical_allocations_for_every_method() {
    let dir = scratch();
    let p = prices();
    let mut failed = 0;
    for (k, (flags, toml)) in requests().into_iter().enumerate() {
        let mut args = vec![
            "optimize",
            "--prices",
            &p,
            "--assets",
            ASSETS,
            "--window",
            "365",
            "--cov",
            "ledoit-wolf",
            "--format",
            "json",
        ];
        args.extend(flags.iter().copied());
        let f = write(&dir, &format!("p{k}.toml"), &portfolio(toml));
        let out = run(&args);
        if !out.status.success() {
            // a request the data cannot satisfy (e.g. max-Sharpe when no coin beats the
            // risk-free rate) fails the same way on both paths
            let e = String::from_utf8_lossy(&out.stderr).to_string();
            let why = e.trim_start_matches("error: ").trim().to_string();
            let r = run_err(&["report", &f]);
            assert!(
                r.contains(&why),
                "{flags:?}: optimize says {why}, report says {r}"
            );
            failed += 1;
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let a = &v["allocation"];
        let r = run_json(&["report", &f, "--format", "json"]);
        let (x, y) = (a.to_string(), r["target"].to_string());
        assert_eq!(x, y, "{flags:?}: optimize and [target] differ");
        assert!(a["status"].is_string() && a["weights"].is_object(), "{flags:?}");
    }
    assert!(failed <= 2, "{failed} requests failed on this data");
}

#[test]
fn the_vol_target_applies_to_every_method() {
    let p = prices();
    for method in [
        vec!["--method", "min-variance"],
        vec!["--method", "max-sharpe"],
        vec!["--method", "efficient-return", "--target-return", "0.1"],
        vec!["--method", "efficient-risk", "--target-vol", "0.9"],
        vec!["--method", "utility", "--risk-aversion", "2"],
        vec!["--method", "min-cvar"],
        vec!["--method", "black-litterman", "--views", "BTC=0.2"],
        vec!["--method", "equal-weight"],
        vec!["--method", "hrp"],
        vec!["--method", "herc"],
    ] {
        let mut args = vec![
            "optimize",
            "--prices",
            &p,
            "--assets",
            ASSETS,
            "--vol-target",
            "0.3",
            "--format",
            "json",
        ];
        args.extend(method.iter().copied());
        let a = allocation(&args);
        assert_rel(&format!("{method:?}"), f(&a["volatility_annual"]), 0.3, 1e-9);
        assert!(
            f(&a["cash"]) > 0.0 && a["vol_target"]["scale"].is_number(),
            "{method:?}"
        );
    }
}

#[test]
fn bounds_from_a_constraints_file_bind_every_method_that_takes_bounds() {
    let dir = scratch();
    let p = prices();
    let c = write(&dir, "c.toml", "max_weight = 0.2\n");
    for method in [
        "inverse-vol",
        "erc",
        "hrp",
        "min-variance",
        "max-sharpe",
        "min-cvar",
    ] {
        let a = allocation(&[
            "optimize",
            "--prices",
            &p,
            "--assets",
            ASSETS,
            "--method",
            method,
            "--constraints",
            &c,
            "--format",
            "json",
        ]);
        let w: Vec<f64> = a["weights"].as_object().unwrap().values().map(f).collect();
        assert!(w.iter().all(|x| *x <= 0.2 + 1e-6), "{method}: {w:?}");
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{method}");
    }
    // a file's bounds and the flags are merged; giving the same bound twice is an error
    let c = write(&dir, "lo.toml", "min_weight = 0.05\n");
    let a = allocation(&[
        "optimize",
        "--prices",
        &p,
        "--assets",
        ASSETS,
        "--method",
        "erc",
        "--constraints",
        &c,
        "--max-weight",
        "0.2",
        "--format",
        "json",
    ]);
    let w: Vec<f64> = a["weights"].as_object().unwrap().values().map(f).collect();
    assert!(w.iter().all(|x| *x >= 0.05 - 1e-9 && *x <= 0.2 + 1e-9), "{w:?}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--assets",
        ASSETS,
        "--method",
        "erc",
        "--constraints",
        &c,
        "--min-weight",
        "0.01",
    ]);
    assert!(e.contains("give --min-weight / --max-weight once"), "{e}");
    // what a method cannot honour is refused, never ignored
    let g = write(
        &dir,
        "g.toml",
        "[[group]]\nname = \"majors\"\nassets = [\"BTC\", \"ETH\"]\nmax = 0.3\n",
    );
    for method in ["inverse-vol", "hrp", "herc", "equal-weight"] {
        let args = [
            "optimize",
            "--prices",
            &p,
            "--assets",
            ASSETS,
            "--method",
            method,
            "--constraints",
            &g,
        ];
        let e = run_err(&args);
        assert!(e.contains("need a solver-based method"), "{method}: {e}");
    }
    // risk parity honours the group (successive convex approximation) and says how far the
    // risk contributions end from their budgets
    for method in ["erc", "risk-budget"] {
        let mut args = vec![
            "optimize",
            "--prices",
            &p,
            "--assets",
            ASSETS,
            "--method",
            method,
            "--constraints",
            &g,
            "--format",
            "json",
        ];
        if method == "risk-budget" {
            args.extend([
                "--budgets",
                "BTC=0.3,ETH=0.2,SOL=0.1,BNB=0.1,XRP=0.1,DOGE=0.1,LINK=0.05,AVAX=0.05",
            ]);
        }
        let a = allocation(&args);
        let majors = a["weights"]["BTC"].as_f64().unwrap() + a["weights"]["ETH"].as_f64().unwrap();
        assert!(majors <= 0.3 + 1e-8, "{method}: BTC + ETH = {majors}");
        assert!(a["sca_converged"].as_bool().unwrap() && a["max_budget_deviation"].as_f64().unwrap() > 0.0);
    }
    for method in ["herc", "equal-weight"] {
        let e = run_err(&[
            "optimize",
            "--prices",
            &p,
            "--assets",
            ASSETS,
            "--method",
            method,
            "--max-weight",
            "0.3",
        ]);
        assert!(e.contains("takes no weight bounds"), "{method}: {e}");
    }
}

#[test]
fn options_a_method_does_not_use_are_errors() {
    let p = prices();
    for (method, flag, value, users) in [
        ("erc", "--target-vol", "0.3", "efficient-risk"),
        ("erc", "--linkage", "ward", "hrp | herc"),
        ("hrp", "--clusters", "3", "herc"),
        ("max-sharpe", "--beta", "0.9", "min-cvar"),
        ("min-variance", "--tau", "0.1", "black-litterman"),
        ("erc", "--risk-aversion", "2", "utility | black-litterman"),
        ("herc", "--leaf-order", "optimal", "hrp"),
        ("erc", "--max-leverage", "2", "--vol-target"),
        ("black-litterman", "--mu", "ewma", "posterior"),
        ("max-sharpe", "--mu-lambda", "0.9", "ewma"),
        (
            "max-sharpe",
            "--momentum-tilt",
            "0.5",
            "already uses expected returns",
        ),
    ] {
        let mut args = vec![
            "optimize", "--prices", &p, "--assets", ASSETS, "--method", method, flag, value,
        ];
        if method == "black-litterman" {
            args.extend(["--views", "BTC=0.2"]);
        }
        let e = run_err(&args);
        assert!(e.contains(users), "{method} {flag}: {e}");
    }
}
