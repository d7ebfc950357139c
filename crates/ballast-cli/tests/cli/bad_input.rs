//! Bad input: a clear message naming what and where, exit code 1, never a panic.

use crate::common::*;

/// A small valid wide CSV: `rows` days from 2024-01-01, assets A, B, C.
fn wide(rows: usize) -> String {
    let mut s = String::from("date,A,B,C\n");
    let d0 = "2024-01-01".parse::<jiff::civil::Date>().unwrap();
    let (mut a, mut b, mut c) = (100.0_f64, 50.0_f64, 10.0_f64);
    for i in 0..rows {
        let x = i as f64;
        a *= 1.0 + 0.02 * (x * 0.7).sin();
        b *= 1.0 + 0.03 * (x * 1.3 + 1.0).sin();
        c *= 1.0 + 0.05 * (x * 2.1 + 2.0).cos();
        let d = d0.checked_add(jiff::Span::new().days(i as i64)).unwrap();
        s += &format!("{d},{a:.6},{b:.6},{c:.6}\n");
    }
    s
}

fn cov_err(csv: &str, extra: &[&str]) -> String {
    let dir = scratch();
    let p = write(&dir, "prices.csv", csv);
    let mut args = vec!["covariance", "--prices", p.as_str(), "--window", "20"];
    args.extend_from_slice(extra);
    run_err(&args)
}

#[test]
fn valid_small_file_works() {
    let dir = scratch();
    let p = write(&dir, "prices.csv", &wide(40));
    let v = run_json(&["covariance", "--prices", &p, "--window", "20", "--format", "json"]);
    assert_eq!(v["assets"].as_array().unwrap().len(), 3);
}

#[test]
fn long_format_equals_wide() {
    let w = wide(40);
    let mut long = String::from("date,asset,close\n");
    // grouped by asset, as long files often are
    for (k, name) in ["A", "B", "C"].iter().enumerate() {
        for line in w.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            long += &format!("{},{},{}\n", f[0], name, f[k + 1]);
        }
    }
    let dir = scratch();
    let pw = write(&dir, "w.csv", &w);
    let pl = write(&dir, "l.csv", &long);
    let a = run_json(&[
        "covariance",
        "--prices",
        &pw,
        "--window",
        "20",
        "--format",
        "json",
    ]);
    let b = run_json(&[
        "covariance",
        "--prices",
        &pl,
        "--window",
        "20",
        "--format",
        "json",
    ]);
    assert_eq!(a["matrix"], b["matrix"]);
}

#[test]
fn empty_file() {
    let e = cov_err("", &[]);
    assert!(e.contains("empty"), "{e}");
    let e = cov_err("date,A,B\n", &[]);
    assert!(e.contains("no data rows"), "{e}");
}

#[test]
fn malformed_row_names_line() {
    let mut s = wide(40);
    s = s.replacen("2024-01-05,", "2024-01-05,1,", 1);
    let e = cov_err(&s, &[]);
    assert!(e.contains(":6:") && e.contains("fields"), "{e}");
}

#[test]
fn nan_inf_text_and_non_positive_prices_name_the_cell() {
    for (bad, what) in [
        ("NaN", "not a finite number"),
        ("inf", "not a finite number"),
        ("abc", "not a number"),
        ("0", "not positive"),
        ("-3.5", "not positive"),
    ] {
        let lines: Vec<String> = wide(40).lines().map(String::from).collect();
        let mut l = lines.clone();
        let f: Vec<&str> = lines[10].split(',').collect();
        l[10] = format!("{},{},{bad},{}", f[0], f[1], f[3]);
        let e = cov_err(&(l.join("\n") + "\n"), &[]);
        assert!(
            e.contains(":11:3:") && e.contains(what) && e.contains('B'),
            "{bad}: {e}"
        );
    }
}

#[test]
fn unsorted_and_duplicate_dates() {
    let lines: Vec<String> = wide(40).lines().map(String::from).collect();
    let mut l = lines.clone();
    l.swap(5, 6);
    let e = cov_err(&(l.join("\n") + "\n"), &[]);
    assert!(e.contains("one direction") && e.contains(":7"), "{e}");
    let mut l = lines.clone();
    l[6] = l[6].replacen(&l[6][..10].to_string(), &lines[5][..10], 1);
    let e = cov_err(&(l.join("\n") + "\n"), &[]);
    assert!(e.contains("duplicate date"), "{e}");
    let e = cov_err("date,A\nnot-a-date,1\n2024-01-02,2\n", &[]);
    assert!(e.contains("not a date"), "{e}");
}

#[test]
fn unknown_asset_and_window_too_long() {
    let e = cov_err(&wide(40), &["--assets", "A,DOGE"]);
    assert!(e.contains("unknown asset 'DOGE'"), "{e}");
    let dir = scratch();
    let p = write(&dir, "prices.csv", &wide(40));
    let e = run_err(&["covariance", "--prices", &p, "--window", "100"]);
    assert!(e.contains("window of 100 returns"), "{e}");
    let e = run_err(&["covariance", "--prices", &p, "--end", "2023-01-01"]);
    assert!(e.contains("before the first price date"), "{e}");
    let e = usage_err(&["covariance", "--prices", &p, "--end", "yesterday"]);
    assert!(
        e.contains("invalid value 'yesterday' for '--end <YYYY-MM-DD>'"),
        "{e}"
    );
    let e = run_err(&["covariance", "--prices", &p, "--end", "2030-01-01"]);
    assert!(e.contains("after the last price date"), "{e}");
    let e = run_err(&["covariance", "--prices", "/no/such/file.csv"]);
    assert!(e.contains("/no/such/file.csv"), "{e}");
}

#[test]
fn gap_inside_window_names_asset_and_date_unless_dropped() {
    let lines: Vec<String> = wide(40).lines().map(String::from).collect();
    let mut l = lines.clone();
    let f: Vec<&str> = lines[30].split(',').collect();
    l[30] = format!("{},{},,{}", f[0], f[1], f[3]);
    let csv = l.join("\n") + "\n";
    let e = cov_err(&csv, &["--assets", "A,B,C"]);
    assert!(e.contains("'B' has no price on 2024-01-30"), "{e}");
    // without --assets the incomplete coin is left out; with --drop-incomplete too
    let dir = scratch();
    let p = write(&dir, "prices.csv", &csv);
    let v = run_json(&["covariance", "--prices", &p, "--window", "20", "--format", "json"]);
    assert_eq!(v["assets"], serde_json::json!(["A", "C"]));
    let v = run_json(&[
        "covariance",
        "--prices",
        &p,
        "--window",
        "20",
        "--assets",
        "A,B,C",
        "--drop-incomplete",
        "--format",
        "json",
    ]);
    assert_eq!(v["window"]["dropped_incomplete"], serde_json::json!(["B"]));
}

/// Prices whose column C is exactly 2 × A: perfectly collinear returns, a singular sample
/// covariance.
fn collinear() -> String {
    let mut s = String::from("date,A,B,C\n");
    for line in wide(40).lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let a: f64 = f[1].parse().unwrap();
        s += &format!("{},{},{},{}\n", f[0], f[1], f[2], 2.0 * a);
    }
    s
}

#[test]
fn singular_and_constant_covariance() {
    let s = collinear();
    let e = cov_err(&s, &[]);
    assert!(e.contains("not positive definite"), "{e}");
    let mut s = String::from("date,A,B\n");
    for line in wide(40).lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        s += &format!("{},{},7.0\n", f[0], f[1]);
    }
    // every estimator refuses a constant price (shrinkage would lend it risk), with or without
    // the repair, and says to count it as cash
    for est in [
        "sample",
        "ewma",
        "ledoit-wolf",
        "ledoit-wolf-cc",
        "oas",
        "ccc-ewma",
        "ccc-garch",
        "ccc-garch-t",
    ] {
        for repair in [&[][..], &["--repair-psd"][..]] {
            let e = cov_err(&s, &[&["--cov", est][..], repair].concat());
            assert!(
                e.contains("'B' has zero variance") && e.contains("cash_usd"),
                "{est}: {e}"
            );
        }
    }
}

#[test]
fn weights_and_budgets() {
    let dir = scratch();
    let p = write(&dir, "prices.csv", &wide(40));
    let e = run_err(&[
        "risk",
        "--prices",
        &p,
        "--window",
        "20",
        "--weights",
        "A=0.5,B=0.3",
    ]);
    assert!(e.contains("sum to 0.8") && e.contains("--normalize"), "{e}");
    run_json(&[
        "risk",
        "--prices",
        &p,
        "--window",
        "20",
        "--weights",
        "A=0.5,B=0.3",
        "--normalize",
        "--format",
        "json",
    ]);
    let e = run_err(&["risk", "--prices", &p, "--window", "20", "--weights", "A=0.5,B"]);
    assert!(e.contains("'B' is not NAME=VALUE"), "{e}");
    let e = run_err(&["risk", "--prices", &p, "--window", "20", "--weights", "A=0.5,B=x"]);
    assert!(e.contains("not a finite number"), "{e}");
    let e = run_err(&[
        "risk",
        "--prices",
        &p,
        "--window",
        "20",
        "--weights",
        "A=1",
        "--confidence",
        "95",
    ]);
    assert!(e.contains("looks like a percentage"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--window",
        "20",
        "--method",
        "risk-budget",
        "--budgets",
        "A=0.5,B=0.3,C=0.3",
    ]);
    assert!(e.contains("sum to 1.1"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--window",
        "20",
        "--method",
        "risk-budget",
        "--budgets",
        "A=0.5,B=0.5,C=0",
    ]);
    assert!(e.contains("budget of C is 0"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--window",
        "20",
        "--method",
        "risk-budget",
    ]);
    assert!(e.contains("needs --budgets"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        &p,
        "--window",
        "20",
        "--min-weight",
        "0.5",
    ]);
    assert!(e.contains("minimum weights sum to 1.5"), "{e}");
    let e = run_err(&["optimize", "--prices", &p, "--window", "20", "--vol-target", "-1"]);
    assert!(e.contains("--vol-target = -1 must be in (0, 5]"), "{e}");
}

#[test]
fn portfolio_file_errors_name_file_and_key() {
    let dir = scratch();
    let p = write(&dir, "prices.csv", &wide(40));
    let good = format!(
        "cash_usd = 100.0\n[data]\nprices = {p:?}\nwindow = 20\n[[holding]]\nasset = \"A\"\nunits = 1.0\n[[holding]]\nasset = \"B\"\nunits = 2.0\n[target]\nmethod = \"erc\"\n"
    );
    let f = write(&dir, "ok.toml", &good);
    run_json(&["report", &f, "--format", "json"]);
    let f = write(&dir, "typo.toml", &good.replace("cash_usd", "cash_usdt"));
    let e = run_err(&["report", &f]);
    assert!(e.contains("typo.toml") && e.contains("cash_usdt"), "{e}");
    let f = write(
        &dir,
        "unknown.toml",
        &good.replace("asset = \"B\"", "asset = \"ZZZ\""),
    );
    let e = run_err(&["report", &f]);
    assert!(e.contains("unknown asset 'ZZZ'"), "{e}");
    let f = write(&dir, "neg.toml", &good.replace("units = 2.0", "units = -2.0"));
    let e = run_err(&["report", &f]);
    assert!(e.contains("units = -2"), "{e}");
    let f = write(&dir, "method.toml", &good.replace("\"erc\"", "\"max-sharp\""));
    let e = run_err(&["report", &f]);
    assert!(
        e.contains("method.toml") && e.contains("unknown variant `max-sharp`") && e.contains("`max-sharpe`"),
        "{e}"
    );
    let f = write(&dir, "er.toml", &good.replace("\"erc\"", "\"efficient-return\""));
    let e = run_err(&["report", &f]);
    assert!(
        e.contains("method = 'efficient-return' needs target_return"),
        "{e}"
    );
    let e = run_err(&["report", "/no/such/portfolio.toml"]);
    assert!(e.contains("/no/such/portfolio.toml"), "{e}");
}

#[test]
fn singular_covariance_is_an_error_unless_repair_is_asked_for() {
    let p = prices();
    let args = [
        "optimize",
        "--prices",
        p.as_str(),
        "--window",
        "20",
        "--method",
        "min-variance",
    ];
    let e = run_err(&args);
    assert!(
        e.contains("not positive definite") && e.contains("--repair-psd"),
        "{e}"
    );
    let mut ok: Vec<&str> = args.to_vec();
    ok.extend(["--repair-psd", "--format", "json"]);
    let v = allocation(&ok);
    assert!(v["covariance"]["repaired_min_eigenvalue"].is_number());
    let w: f64 = v["weights"].as_object().unwrap().values().map(f).sum();
    assert!((w - 1.0).abs() < 1e-6);
    let e = run_err(&[
        "optimize",
        "--prices",
        p.as_str(),
        "--method",
        "erc",
        "--momentum-top",
        "0",
    ]);
    assert!(e.contains("--momentum-top = 0 must be at least 1"), "{e}");
    let e = run_err(&[
        "optimize",
        "--prices",
        p.as_str(),
        "--method",
        "herc",
        "--max-weight",
        "0.1",
    ]);
    assert!(
        e.contains("'herc' takes no weight bounds (use --method 'hrp'"),
        "{e}"
    );
}

#[test]
fn every_command_says_when_the_covariance_was_repaired() {
    let s = collinear();
    let dir = scratch();
    let p = write(&dir, "prices.csv", &s);
    let base = ["--prices", p.as_str(), "--window", "20", "--repair-psd"];
    let commands: [(&str, &[&str]); 4] = [
        ("optimize", &["--method", "min-variance"]),
        ("risk", &["--weights", "A=0.5,B=0.3,C=0.2"]),
        ("frontier", &["--points", "5"]),
        ("covariance", &[]),
    ];
    for (cmd, extra) in commands {
        let args: Vec<&str> = [&[cmd][..], &base, extra].concat();
        let v = run_json(&[&args[..], &["--format", "json"]].concat());
        let info = match cmd {
            "optimize" => &v["allocation"]["covariance"],
            "covariance" => &v,
            _ => &v["covariance"],
        };
        assert!(info["repaired_min_eigenvalue"].is_number(), "{cmd}: {v}");
        let out = run(&args);
        assert!(out.status.success());
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            table.contains("epaired to the nearest positive-definite"),
            "{cmd}: {table}"
        );
    }
}
