//! Extreme numbers on every numeric flag of every command: the binary answers (exit 0) or
//! refuses cleanly (exit 1 with an `error:` message, or exit 2 for clap's usage errors), never
//! panics, never prints NaN, and never hangs on a size argument.

use crate::common::{data, prices, root};
use std::process::Output;

/// Integers at and around every boundary a size argument can have.
const SIZES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "500",
    "501",
    "3650",
    "3651",
    "10000",
    "10001",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
];

/// Reals: zero, tiny, huge, negative, non-finite and malformed.
const REALS: &[&str] = &[
    "0", "1e-300", "0.5", "1", "1.5", "100", "1e308", "-1", "-1e308", "NaN", "inf", "-inf", "1e999",
];

fn check(args: &[String], out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "ballast {args:?} exited with {code:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "ballast {args:?}: {stderr}");
    assert!(
        !stderr.contains("cannot be used multiple times"),
        "the sweep must not repeat a flag: {args:?}"
    );
    let longest_number = stderr
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_number <= 24,
        "ballast {args:?}: numbers in messages should be readable: {stderr}"
    );
    assert!(
        stderr.len() < 2000,
        "ballast {args:?}: a message should be short: {stderr}"
    );
    if code == Some(0) {
        assert!(
            !stdout.contains("NaN") && !stdout.contains("inf"),
            "ballast {args:?} printed a non-number: {stdout}"
        );
    } else {
        assert!(stderr.starts_with("error"), "ballast {args:?}: {stderr}");
    }
}

/// Run `base + [flag, value]` for every value, a few processes at a time.
fn sweep(cases: Vec<Vec<String>>) {
    std::thread::scope(|s| {
        for chunk in cases.chunks(cases.len().div_ceil(4).max(1)) {
            s.spawn(move || {
                for args in chunk {
                    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ballast"))
                        .args(args)
                        .current_dir(root())
                        .output()
                        .expect("run ballast");
                    check(args, &out);
                }
            });
        }
    });
}

fn cases(base: &[String], flags: &[&str], values: &[&str]) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for flag in flags {
        for v in values {
            let mut a = base.to_vec();
            a.push(format!("--{flag}={v}"));
            all.push(a);
        }
    }
    all
}

/// `base` followed by `extra`.
fn with(base: &[String], extra: &[&str]) -> Vec<String> {
    let mut a = base.to_vec();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// Four coins, JSON output, no window (each command's default).
fn unwindowed(command: &str) -> Vec<String> {
    let p = prices();
    [
        command,
        "--prices",
        &p,
        "--assets",
        "BTC,ETH,SOL,BNB",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec()
}

/// A window of 120 returns on four coins keeps every run quick.
fn window_args(command: &str) -> Vec<String> {
    with(&unwindowed(command), &["--window", "120"])
}

#[test]
fn size_arguments_at_every_boundary() {
    let mut all = Vec::new();
    for cmd in ["optimize", "covariance", "frontier"] {
        all.extend(cases(&unwindowed(cmd), &["window"], SIZES));
    }
    let garch = with(&unwindowed("garch"), &["--asset", "BTC"]);
    all.extend(cases(&garch, &["window"], SIZES));
    all.extend(cases(&with(&garch, &["--window", "500"]), &["horizon"], SIZES));
    let risk = with(&unwindowed("risk"), &["--weights", "BTC=0.5,ETH=0.5"]);
    all.extend(cases(&risk, &["window"], SIZES));
    all.extend(cases(&window_args("frontier"), &["points"], SIZES));
    for method in ["hrp", "herc"] {
        let base = with(&window_args("optimize"), &["--method", method]);
        all.extend(cases(&base, &["clusters"], SIZES));
    }
    all.extend(cases(
        &window_args("optimize"),
        &["momentum-top", "momentum-lookback"],
        SIZES,
    ));
    sweep(all);
}

#[test]
fn real_arguments_at_every_extreme() {
    let mut all = Vec::new();
    let optimize = window_args("optimize");
    all.extend(cases(
        &optimize,
        &["vol-target", "min-weight", "max-weight", "momentum-tilt"],
        REALS,
    ));
    all.extend(cases(
        &with(&optimize, &["--vol-target", "0.3"]),
        &["max-leverage"],
        REALS,
    ));
    all.extend(cases(
        &with(&optimize, &["--cov", "ewma"]),
        &["ewma-lambda"],
        REALS,
    ));
    let mv = |method: &str| with(&optimize, &["--method", method]);
    all.extend(cases(&mv("max-sharpe"), &["risk-free"], REALS));
    all.extend(cases(&mv("efficient-return"), &["target-return"], REALS));
    all.extend(cases(&mv("efficient-risk"), &["target-vol"], REALS));
    all.extend(cases(&mv("utility"), &["risk-aversion"], REALS));
    all.extend(cases(
        &with(&mv("max-sharpe"), &["--mu", "ewma"]),
        &["mu-lambda"],
        REALS,
    ));
    all.extend(cases(&mv("min-cvar"), &["beta"], REALS));
    let bl = with(&mv("black-litterman"), &["--views", "BTC=0.2"]);
    all.extend(cases(&with(&bl, &["--view-confidences", "0.5"]), &["tau"], REALS));
    all.extend(cases(&bl, &["view-confidences"], REALS));
    let risk = with(&window_args("risk"), &["--weights", "BTC=0.5,ETH=0.5"]);
    all.extend(cases(&risk, &["value", "confidence"], REALS));
    all.extend(cases(&window_args("frontier"), &["risk-free"], REALS));
    let derivatives = root().join("examples/derivatives.toml").display().to_string();
    let hedge = ["hedge", &derivatives, "--neutral", "delta", "--format", "json"].map(String::from);
    all.extend(cases(&hedge, &["fee-bps"], REALS));
    let band: Vec<String> = REALS.iter().map(|v| format!("delta={v}")).collect();
    let band: Vec<&str> = band.iter().map(String::as_str).collect();
    all.extend(cases(&hedge, &["band"], &band));
    sweep(all);
}

#[test]
fn sizes_in_files_at_every_boundary() {
    let dir = crate::common::scratch();
    let prices = prices();
    let mut all = Vec::new();
    for w in SIZES {
        let text = format!(
            "[data]\nprices = '{prices}'\nwindow = {w}\n\n[[holding]]\nasset = 'BTC'\nunits = 1\n\n\
             [[holding]]\nasset = 'ETH'\nunits = 10\n\n[target]\nmethod = 'erc'\n"
        );
        let p = crate::common::write(&dir, &format!("w{}.toml", all.len()), &text);
        all.push(vec!["report".to_string(), p, "--format".into(), "json".into()]);
    }
    for units in REALS {
        let text = format!(
            "[data]\nprices = '{prices}'\nwindow = 120\n\n[[holding]]\nasset = 'BTC'\nunits = {units}\n\n\
             [[holding]]\nasset = 'ETH'\nunits = 10\n\n[target]\nmethod = 'erc'\n"
        );
        let p = crate::common::write(&dir, &format!("u{}.toml", all.len()), &text);
        all.push(vec!["report".to_string(), p, "--format".into(), "json".into()]);
    }
    for size in REALS {
        let text = format!(
            "[market]\nchains = ['{}']\nas_of = '2026-04-13T10:27:34Z'\n\n\
             [[position]]\ninstrument = 'BTC-PERPETUAL'\nsize = {size}\n",
            data("deribit_BTC_options_2026-04-13.csv")
        );
        let p = crate::common::write(&dir, &format!("s{}.toml", all.len()), &text);
        all.push(vec!["greeks".to_string(), p, "--format".into(), "json".into()]);
    }
    sweep(all);
}
