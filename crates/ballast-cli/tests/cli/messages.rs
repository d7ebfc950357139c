//! Messages a user reads: options a command does not use, what to give when something is
//! missing, flags named as flags, data files named with the setting that names them, and the
//! fix for common slips.

use crate::common::*;

#[test]
fn options_a_command_does_not_use_are_errors() {
    let p = prices();
    let e = run_err(&[
        "risk",
        "--prices",
        &p,
        "--weights",
        "BTC=0.5,ETH=0.5",
        "--assets",
        "SOL",
    ]);
    assert!(e.contains("--assets") && e.contains("weights"), "{e}");
    let e = run_err(&["garch", "--prices", &p, "--asset", "BTC", "--assets", "SOL"]);
    assert!(e.contains("--assets") && e.contains("'BTC'"), "{e}");
}

#[test]
fn turnover_and_costs_without_current_weights_say_what_to_give() {
    let dir = scratch();
    let c = write(&dir, "c.toml", "max_turnover = 0.5\n");
    let p = prices();
    for cmd in ["optimize", "frontier"] {
        let mut args = vec![
            cmd,
            "--prices",
            p.as_str(),
            "--assets",
            "BTC,ETH,SOL",
            "--constraints",
            c.as_str(),
        ];
        if cmd == "optimize" {
            args.extend(["--method", "min-variance"]);
        }
        let e = run_err(&args);
        assert!(
            e.contains("current weights") && e.contains("current = {"),
            "{cmd}: {e}"
        );
    }
}

#[test]
fn confidence_levels_are_checked_once_for_every_path() {
    let p = prices();
    let base = ["risk", "--prices", p.as_str(), "--weights", "BTC=1"];
    let e = run_err(&[&base[..], &["--confidence", "0.99,0.95,0.99"]].concat());
    assert!(e.contains("0.99 is given twice"), "{e}");
    let e = run_err(&[&base[..], &["--confidence", "95"]].concat());
    assert!(e.contains("looks like a percentage") && e.contains("0.95"), "{e}");
    let out = run(&[&base[..], &["--confidence", "0.57,0.995"]].concat());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(" 57%") && table.contains("99.5%"), "{table}");
    let dir = scratch();
    let text = example_portfolio().replace("confidence = [0.95, 0.99]", "confidence = [95]");
    let f = write(&dir, "p.toml", &text);
    let e = run_err(&["report", &f]);
    assert!(e.contains("p.toml") && e.contains("[risk] confidence"), "{e}");
}

#[test]
fn flag_commands_name_options_as_flags_in_every_message() {
    let p = prices();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--tau", "0.1"],
            "--views / --tau / --view-confidences is only used",
        ),
        (
            &["--method", "herc", "--clusters", "50", "--assets", "BTC,ETH"],
            "--clusters = 50",
        ),
        (
            &["--cov", "sample", "--ewma-lambda", "0.9"],
            "--ewma-lambda is only used",
        ),
        (
            &[
                "--momentum-top",
                "3",
                "--momentum-lookback",
                "1000",
                "--window",
                "365",
            ],
            "--momentum-lookback = 1000",
        ),
        (&["--method", "risk-budget"], "needs --budgets"),
        (
            &["--vol-target", "0.4", "--max-leverage", "500"],
            "--max-leverage = 500",
        ),
    ];
    for (extra, want) in cases {
        let e = run_err(&[&["optimize", "--prices", p.as_str()][..], extra].concat());
        assert!(e.contains(want), "{extra:?}: {e}");
        assert!(
            !e.contains("looks like a percentage") || extra[0] != "--vol-target",
            "{e}"
        );
    }
    // a file keeps its keys
    let dir = scratch();
    let text = example_portfolio().replace("max_leverage = 1.0", "max_leverage = 500");
    let f = write(&dir, "p.toml", &text);
    let e = run_err(&["report", &f]);
    assert!(e.contains("max_leverage = 500") && !e.contains("--"), "{e}");
}

#[test]
fn a_bad_data_file_is_named_with_the_setting_that_names_it() {
    let dir = scratch();
    let text = std::fs::read_to_string(root().join("examples/portfolio.toml")).unwrap();
    // a path written relative to the working directory instead of the file
    let f = write(&dir, "p.toml", &text.replace("../../shared", "../shared"));
    let e = run_err(&["report", &f]);
    assert!(
        e.contains("p.toml: [data] prices: ") && e.contains("relative path is read from the folder"),
        "{e}"
    );
    let s = format!(
        "[data]\nprices = {:?}\nfunding = {:?}\n[[strategy]]\nname = \"x\"\n[strategy.allocation]\nmethod = \"erc\"\n",
        prices(),
        prices()
    );
    let f = write(&dir, "s.toml", &s);
    let e = run_err(&["backtest", &f]);
    assert!(
        e.contains("s.toml: [data] funding: ") && e.contains("funding_time"),
        "{e}"
    );
}

#[test]
fn new_user_slips_get_the_fix() {
    let p = prices();
    let e = run_err(&["risk", "--prices", &p, "--weights", "BTC=50%,ETH=50%"]);
    assert!(e.contains("write fractions") && e.contains("BTC=0.5"), "{e}");
    let e = usage_err(&["optimize", "--prices", &p, "--window", "-5"]);
    assert!(e.contains("invalid value '-5' for '--window"), "{e}");
    let out = run(&["optimize", "--prices", &p, "--momentum-top", "100"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("the 39 assets with the best 90-day momentum"),
        "{table}"
    );
    let out = run(&["optimize", "--prices", &p, "--momentum-top", "8"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("(31 assets left out by momentum)"), "{table}");
    let dir = scratch();
    let e = run_err(&[
        "frontier",
        "--prices",
        &p,
        "--points",
        "5",
        "--out",
        &dir.join("f.png").display().to_string(),
    ]);
    assert!(e.contains("give a file name ending in .svg"), "{e}");
}
