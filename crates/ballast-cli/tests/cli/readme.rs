//! README.md stays true: every command of its tour runs as written, the tour visits every
//! command, and its lists of names are the library's.

use crate::common::{root, scratch};
use ballast::allocate::{BlPrior, HrpCorrelation, LeafOrder, Linkage, Method};
use ballast::backtest::{Calendar, InstrumentKind};
use ballast::estimate::{CovarianceMethod, GarchDist, History, MuMethod};
use ballast::hedge::HedgeGreek;
use ballast::io::PriceField;
use ballast::names::variant_names;
use ballast::pricing::surface::SmileWeights;
use ballast::rebalance::BandKind;

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The text of `## {title}` up to the next `## ` heading.
fn section(text: &str, title: &str) -> String {
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has no '## {title}' section"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |k| k + 3);
    rest[..end].to_string()
}

/// The `ballast ...` commands of the sh blocks of `text`, continuation lines joined.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.trim();
        if current.is_empty() && (line.starts_with('#') || line.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => current += head,
            None => {
                current += line;
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out.into_iter().filter(|c| c.starts_with("ballast ")).collect()
}

#[test]
fn every_tour_command_runs_as_written() {
    let text = readme();
    let tour = commands(&section(&text, "A short tour"));
    assert!(tour.len() >= 15, "the tour has {} commands", tour.len());
    // a folder that does not exist yet, as out/ on a fresh clone
    let dir = scratch().join("fresh");
    let mut visited = std::collections::BTreeSet::new();
    for cmd in &tour {
        let args: Vec<String> = cmd
            .split_whitespace()
            .skip(1)
            // files the tour writes go to a scratch folder instead of out/
            .map(|a| match a.strip_prefix("out/") {
                Some(rest) => dir.join(rest).display().to_string(),
                None => a.to_string(),
            })
            .collect();
        visited.insert(args[0].clone());
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ballast"))
            .args(&args)
            .current_dir(root())
            .output()
            .expect("run ballast");
        assert!(
            out.status.success(),
            "README tour command failed: {cmd}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{cmd} printed nothing");
    }
    for command in [
        "report",
        "optimize",
        "risk",
        "covariance",
        "frontier",
        "garch",
        "greeks",
        "hedge",
        "factors",
        "surface",
        "backtest",
    ] {
        assert!(
            visited.contains(command),
            "the tour never runs `ballast {command}`"
        );
    }
    for file in ["frontier.svg", "smiles.svg", "backtest/tearsheet.html"] {
        assert!(dir.join(file).exists(), "the tour should write out/{file}");
    }
}

#[test]
fn the_lists_of_names_are_the_libraries() {
    let text = readme();
    let names = section(&text, "Names");
    let lists: [(&str, &[&str]); 15] = [
        ("allocation method", variant_names::<Method>()),
        ("covariance estimator", variant_names::<CovarianceMethod>()),
        ("expected returns", variant_names::<MuMethod>()),
        ("history", variant_names::<History>()),
        ("Black-Litterman prior", variant_names::<BlPrior>()),
        ("HRP correlation", variant_names::<HrpCorrelation>()),
        ("linkage", variant_names::<Linkage>()),
        ("leaf order", variant_names::<LeafOrder>()),
        ("GARCH innovations", variant_names::<GarchDist>()),
        ("price field", variant_names::<PriceField>()),
        ("smile fit weights", variant_names::<SmileWeights>()),
        ("hedged Greeks", variant_names::<HedgeGreek>()),
        ("band type", variant_names::<BandKind>()),
        ("rebalancing calendar", variant_names::<Calendar>()),
        ("backtest instrument", variant_names::<InstrumentKind>()),
    ];
    for (concept, list) in lists {
        assert!(!list.is_empty(), "{concept}: no names");
        let line = names
            .lines()
            .find(|l| l.starts_with(&format!("- {concept} ")))
            .unwrap_or_else(|| panic!("README's Names has no line for {concept}"));
        let want: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
        assert!(
            line.ends_with(&format!(": {}", want.join(", "))),
            "README's {concept} names differ from the library's ({}): {line}",
            list.join(", ")
        );
    }
    // the method table lists every method, in the library's order
    let rows: Vec<&str> = names
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert_eq!(rows, variant_names::<Method>());
    // the example files' comments give the same lists
    let example = std::fs::read_to_string(root().join("examples/portfolio.toml")).unwrap();
    let flat: String = example
        .lines()
        .map(|l| l.split_once('#').map_or("", |c| c.1).trim())
        .collect::<Vec<_>>()
        .join(" ");
    for list in [variant_names::<Method>(), variant_names::<CovarianceMethod>()] {
        assert!(
            flat.contains(&list.join(" | ")),
            "examples/portfolio.toml: {}",
            list.join(" | ")
        );
    }
}
