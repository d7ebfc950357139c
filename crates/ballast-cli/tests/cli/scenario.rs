//! `ballast var`: VaR and ES of a book by full revaluation, on the shipped derivatives book.

use crate::common::*;

#[test]
fn book_var_by_full_revaluation_adds_up() {
    let file = root().join("examples/derivatives.toml").display().to_string();
    let v = run_json(&["var", &file, "--scenarios", "20000", "--format", "json"]);
    let results = v["results"].as_array().unwrap();
    let methods: Vec<(String, u64)> = results
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["horizon_days"].as_u64().unwrap(),
            )
        })
        .collect();
    for m in [
        "historical",
        "filtered-historical",
        "monte-carlo",
        "delta",
        "delta-gamma-vega",
    ] {
        for h in [1, 10] {
            assert!(methods.contains(&(m.to_string(), h)), "{m} {h}: {methods:?}");
        }
    }
    for r in results {
        for l in r["lines"].as_array().unwrap() {
            let (var, es) = (f(&l["var_usd"]), f(&l["es_usd"]));
            assert!(es >= var && var > 0.0, "{r}");
            if let Some(parts) = l["by_position"].as_array() {
                let sv: f64 = parts.iter().map(|p| f(&p["var_usd"])).sum();
                let se: f64 = parts.iter().map(|p| f(&p["es_usd"])).sum();
                assert!(
                    (sv - var).abs() < 1e-6 * var && (se - es).abs() < 1e-6 * es,
                    "{l}"
                );
            }
            if r["horizon_days"] == 10 && r["method"] != "delta-normal" {
                assert!(f(&l["sqrt_time_var_usd"]) > 0.0);
            }
        }
    }
    // a spot-only book is linear: full revaluation and delta give the same historical VaR
    let spot_only: String = example_with_data("derivatives.toml")
        .split("[[position]]")
        .next()
        .unwrap()
        .to_string();
    let dir = scratch();
    let v = run_json(&[
        "var",
        &write(&dir, "spot.toml", &spot_only),
        "--scenarios",
        "0",
        "--format",
        "json",
    ]);
    let get = |m: &str| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["method"] == m && r["horizon_days"] == 1)
            .unwrap()["lines"]
            .clone()
    };
    let (full, delta) = (get("historical"), get("delta"));
    for (a, b) in full.as_array().unwrap().iter().zip(delta.as_array().unwrap()) {
        assert_rel("spot VaR", f(&a["var_usd"]), f(&b["var_usd"]), 1e-12);
        assert_rel("spot ES", f(&a["es_usd"]), f(&b["es_usd"]), 1e-12);
    }
    assert!(v["vol_source"][0][1] == "none", "{}", v["vol_source"]);
}

#[test]
fn stress_runs_the_library_and_the_files_scenarios() {
    let mine = example_with_data("derivatives.toml")
        + "\n[[stress]]\nname = \"ETH alone −40 %\"\nspot = { ETH = -0.4 }\nvol = { ETH = 0.6 }\n"
        + "\n[[stress]]\nname = \"vols up a week later\"\nvol_points = { BTC = 5 }\ntilt_points = { ETH = 8 }\ndays = 7\n";
    let dir = scratch();
    let path = write(&dir, "book.toml", &mine);
    let svg = dir.join("grid.svg").display().to_string();
    let v = run_json(&["stress", &path, "--format", "json", "--svg", &svg]);
    let scenarios = v["scenarios"].as_array().unwrap();
    let kinds = |k: &str| scenarios.iter().filter(|s| s["kind"] == k).count();
    assert_eq!(kinds("crisis"), 8);
    assert!(kinds("hypothetical") >= 6);
    let user = scenarios.iter().find(|s| s["name"] == "ETH alone −40 %").unwrap();
    assert_eq!(user["spot_moves"]["ETH"], -0.4);
    assert_eq!(user["spot_moves"]["BTC"], 0.0);
    let later = scenarios
        .iter()
        .find(|s| s["name"] == "vols up a week later")
        .unwrap();
    assert_eq!((f(&later["days"]), f(&later["vol_points"]["BTC"])), (7.0, 5.0));
    assert_eq!(f(&later["tilt_points"]["ETH"]), 8.0);
    assert!(later["vol_points"].get("ETH").is_none());
    for s in scenarios {
        let by: f64 = s["by_underlying"].as_object().unwrap().values().map(f).sum();
        assert!((by - f(&s["pnl_usd"])).abs() < 1e-6 * (1.0 + by.abs()), "{s}");
    }
    let worst = scenarios
        .iter()
        .min_by(|a, b| f(&a["pnl_usd"]).total_cmp(&f(&b["pnl_usd"])))
        .unwrap();
    assert_eq!(v["worst"], worst["name"]);
    let grid = &v["grid"];
    assert_eq!(
        grid["pnl_usd"].as_array().unwrap().len(),
        grid["spot"].as_array().unwrap().len()
    );
    // no move, no P&L
    let zero_row = grid["spot"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| f(x) == 0.0)
        .unwrap();
    let zero_col = grid["vol"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| f(x) == 0.0)
        .unwrap();
    assert!(f(&grid["pnl_usd"][zero_row][zero_col]).abs() < 1e-6);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let bad = mine.replace("spot = { ETH = -0.4 }", "spot = { XRP = -0.4 }");
    let e = run_err(&["stress", &write(&dir, "bad.toml", &bad)]);
    assert!(e.contains("ETH alone −40 %") && e.contains("XRP"), "{e}");
    let bad = mine.replace("days = 7", "days = 400");
    let e = run_err(&["stress", &write(&dir, "bad.toml", &bad)]);
    assert!(e.contains("vols up a week later") && e.contains("days"), "{e}");
    let bad = mine.replace("days = 7", "weeks = 1");
    let e = run_err(&["stress", &write(&dir, "bad.toml", &bad)]);
    assert!(e.contains("weeks"), "{e}");
}

#[test]
fn tail_hedge_caps_every_scenario_and_revalues_like_stress() {
    let text = example_with_data("derivatives.toml");
    let dir = scratch();
    let path = write(&dir, "book.toml", &text);
    let limit = 5000.0;
    let h = run_json(&["hedge", &path, "--tail", "5000", "--format", "json"]);
    assert!(f(&h["premium_usd"]) > 0.0);
    let trades = h["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    for s in h["scenarios"].as_array().unwrap() {
        assert!(f(&s["hedged_loss_usd"]) <= limit * (1.0 + 1e-6), "{s}");
    }
    assert!(h["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| f(&s["unhedged_loss_usd"]) > limit));
    // the hedged book through `stress`: the same P&L, less the spread and fees paid
    let mut hedged = text.clone();
    let mut spread = 0.0;
    for t in trades {
        hedged += &format!(
            "\n[[position]]\ninstrument = \"{}\"\nsize = {}\n",
            t["instrument"].as_str().unwrap(),
            f(&t["signed_size"])
        );
        spread += f(&t["cost_usd"]);
    }
    let st = run_json(&["stress", &write(&dir, "hedged.toml", &hedged), "--format", "json"]);
    for s in h["scenarios"].as_array().unwrap() {
        let name = s["scenario"].as_str().unwrap();
        let pnl = if let Some(x) = st["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
        {
            f(&x["pnl_usd"])
        } else {
            // a grid row: "grid: spot -10 %, vol -50 %"
            let g = &st["grid"];
            let (sp, vo) = name
                .trim_start_matches("grid: spot ")
                .split_once(" %, vol ")
                .unwrap();
            let sp: f64 = sp.parse::<f64>().unwrap() / 100.0;
            let vo: f64 = vo.trim_end_matches(" %").parse::<f64>().unwrap() / 100.0;
            let i = g["spot"]
                .as_array()
                .unwrap()
                .iter()
                .position(|x| (f(x) - sp).abs() < 1e-12)
                .unwrap();
            let j = g["vol"]
                .as_array()
                .unwrap()
                .iter()
                .position(|x| (f(x) - vo).abs() < 1e-12)
                .unwrap();
            f(&g["pnl_usd"][i][j])
        };
        let want = -pnl + spread;
        assert!(
            (f(&s["hedged_loss_usd"]) - want).abs() < 1e-6 * (1.0 + want.abs()),
            "{name}: {} vs {want}",
            s["hedged_loss_usd"]
        );
    }
    // a scenario puts cannot help: implied vols halve (puts lose too)
    let vol_crash = text + "\n[[stress]]\nname = \"vol crash\"\nvol = { BTC = -0.5, ETH = -0.5 }\n";
    let e = run_err(&["hedge", &write(&dir, "crash.toml", &vol_crash), "--tail", "1000"]);
    assert!(e.contains("smallest reachable worst loss"), "{e}");
    let e = run_err(&["hedge", &path, "--tail", "-1"]);
    assert!(e.contains("≥ 0"), "{e}");
}

#[test]
fn report_of_a_derivatives_book() {
    let file = root().join("examples/derivatives.toml").display().to_string();
    let dir = scratch();
    let out = dir.join("charts").display().to_string();
    let o = run(&["report", &file, "--out", &out]);
    let text = String::from_utf8(o.stdout).unwrap();
    for part in [
        "BTC-26JUN26-80000-C",
        "Per underlying",
        "filtered-historical",
        "monte-carlo",
        "Worst scenario",
        "Spot × implied-vol grid",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
    assert!(std::fs::read_to_string(dir.join("charts/stress_grid.svg"))
        .unwrap()
        .contains("<svg"));
    let v = run_json(&["report", &file, "--format", "json"]);
    assert!(v["greeks"]["positions"].as_array().unwrap().len() >= 8);
    assert!(!v["var"]["results"].as_array().unwrap().is_empty());
    assert!(v["stress"]["worst"].is_string());
    // --out is for derivatives books
    let e = run_err(&[
        "report",
        &root().join("examples/portfolio.toml").display().to_string(),
        "--out",
        &out,
    ]);
    assert!(e.contains("derivatives"), "{e}");
}

/// With `[data] stablecoins`, a USDC holding moves by its real closes in the USDC de-peg.
#[test]
fn the_usdc_depeg_moves_usdc_by_its_real_closes() {
    let text = example_with_data("derivatives.toml");
    let stable = data("stablecoin_daily.csv").replace('\\', "/");
    let text =
        text.replace(
            "end = \"2026-04-13\"",
            &format!("end = \"2026-04-13\"\nstablecoins = \"{stable}\""),
        )
        .replace(
            "as_of = \"2026-04-13T10:27:34.877Z\"",
            "as_of = \"2026-04-13T10:27:34.877Z\"\nspot = { USDC = 1.0 }",
        ) + "\n[[holding]]\nasset = \"USDC\"\nunits = 100000.0\n";
    let dir = scratch();
    let v = run_json(&["stress", &write(&dir, "usdc.toml", &text), "--format", "json"]);
    let s = v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "USDC de-peg")
        .unwrap();
    // USDC closed at 0.9715 on 2023-03-11 (stablecoin_daily.csv): about −2.9 % from 2023-03-09
    let m = f(&s["spot_moves"]["USDC"]);
    assert!((-0.04..-0.02).contains(&m), "USDC moved {m}");
    assert!((f(&s["by_underlying"]["USDC"]) - 100_000.0 * m).abs() < 1e-6);
}
