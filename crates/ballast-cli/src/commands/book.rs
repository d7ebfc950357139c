//! `ballast greeks PORTFOLIO.toml`: Greeks of a derivatives book and scenario P&L; `ballast hedge`.

use super::json;
use crate::args::{Format, GreeksArgs, HedgeArgs, TableFormat};
use crate::table::{plural, usd, Table};
use anyhow::{bail, Result};
use ballast::analysis::{book_factor_risk, BookFactorRisk, WindowRequest};
use ballast::book::{book_greeks, scenario_pnl, BookGreeks, GreeksTotals, ScenarioPnl, STANDARD_SHOCKS};
use ballast::estimate::FactorModel;
use ballast::hedge::{HedgeGreek, HedgeSpec};
use ballast::instrument::Instrument;
use ballast::io::{load_book, read_portfolio};
use serde::Serialize;
use std::path::Path;

fn shock_label(spot: f64, vol: f64) -> String {
    if vol != 0.0 {
        format!("vol {:+.0}", vol * 100.0)
    } else {
        format!("spot {:+.0}%", spot * 100.0)
    }
}

/// The JSON of `greeks PORTFOLIO`: the book's Greeks and its scenario P&L (and, with
/// `--factors`, the factor risk of its delta exposures).
#[derive(Serialize)]
struct BookJson<'a> {
    #[serde(flatten)]
    greeks: &'a BookGreeks,
    scenarios: &'a [ScenarioPnl],
    #[serde(skip_serializing_if = "Option::is_none")]
    factor_risk: Option<&'a BookFactorRisk>,
}

pub fn greeks(path: &Path, a: &GreeksArgs) -> Result<String> {
    let format = a.format;
    if format == TableFormat::Csv {
        bail!("--format csv is for --chain; use table or json for a portfolio");
    }
    let pf = read_portfolio(path)?;
    let book = load_book(&pf)?;
    let g = book_greeks(&book.positions, &book.market)?;
    let sc = scenario_pnl(&book.positions, &book.market, &STANDARD_SHOCKS)?;
    let factor = match (&a.factors, &a.prices) {
        (Some(spec), Some(prices)) => {
            let panel = ballast::io::read_prices(prices)?;
            // the window ends on the valuation date: no later prices
            let window = WindowRequest {
                window: a.window,
                end: g.as_of.map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date()),
                ..WindowRequest::default()
            };
            Some(book_factor_risk(
                &panel,
                &window,
                &FactorModel::new(spec.clone()),
                &g,
            )?)
        }
        _ => None,
    };
    if format != TableFormat::Table {
        return json(&BookJson {
            greeks: &g,
            scenarios: &sc,
            factor_risk: factor.as_ref(),
        });
    }
    let as_of = g.as_of.map(|t| t.to_string()).unwrap_or_default();
    let mut out = format!(
        "Portfolio Greeks — {}   as of {as_of}\nSpot: {}\n(delta in coins = dU/dS; gamma per USD; vega USD per vol point; theta USD per day; options at the IV of their mark)\n\n",
        pf.name.as_deref().unwrap_or("book"),
        g.spot.iter().map(|(c, s)| format!("{c} {s:.2}")).collect::<Vec<_>>().join(", ")
    );
    out += &positions_table(&g);
    let mut rows: Vec<(String, &GreeksTotals)> =
        g.by_underlying.iter().map(|(k, v)| (k.clone(), v)).collect();
    rows.push(("total (USD)".into(), &g.total));
    out += "\nBy underlying\n";
    out += &totals_table("underlying", rows);
    out += "\nBy expiry bucket\n";
    out += &totals_table(
        "underlying / expiry",
        g.by_expiry
            .iter()
            .map(|((c, b), v)| (format!("{c} {b}"), v))
            .collect(),
    );
    out += "\nBy venue\n";
    out += &totals_table(
        "underlying / venue",
        g.by_venue
            .iter()
            .map(|((c, ven), v)| (format!("{c} {ven}"), v))
            .collect(),
    );
    out +=
        "\nScenario P&L (USD, full revaluation; spot moves shift every forward of the coin by the same %)\n";
    out += &scenario_table(&g, &sc);
    if let Some(f) = &factor {
        out += &factor_table(f);
    }
    Ok(out)
}

/// The factor risk of the delta exposures, in USD.
fn factor_table(b: &BookFactorRisk) -> String {
    let f = &b.factor_risk;
    let mut out = format!(
        "\nFactor risk of the delta exposures ({}; {} returns {} → {}; first order: gamma and vega left out)\n",
        f.model, b.window.returns, b.window.first_return, b.window.last_return
    );
    out += &format!(
        "  delta USD: {}; volatility {} USD a year, systematic {} of the model variance\n",
        b.delta_usd
            .iter()
            .map(|(c, d)| format!("{c} {}", usd(*d)))
            .collect::<Vec<_>>()
            .join(", "),
        usd(f.volatility),
        crate::table::pct(f.systematic_fraction)
    );
    let rel = f.relative_contributions();
    let mut t = Table::new(["factor", "dollar beta USD", "risk contribution USD/yr", "share"]);
    for (k, name) in f.factors.iter().enumerate() {
        t.row([
            name.clone(),
            usd(f.exposures[k]),
            usd(f.risk_contributions[k]),
            crate::table::pct(rel[k]),
        ]);
    }
    t.row([
        "residual".into(),
        String::new(),
        usd(f.residual_risk_contribution),
        crate::table::pct(rel[f.factors.len()]),
    ]);
    out + &t.render()
}

/// One row per position: size, value and Greeks.
pub(crate) fn positions_table(g: &BookGreeks) -> String {
    let mut t = Table::new([
        "position",
        "venue",
        "size",
        "value USD",
        "delta",
        "delta USD",
        "adj delta",
        "gamma",
        "vega",
        "theta",
    ]);
    for l in &g.lines {
        let (p, r) = (&l.position, &l.risk);
        t.row([
            p.name.clone(),
            p.venue.clone(),
            format!("{}", p.size),
            usd(r.value_usd),
            format!("{:.4}", r.delta),
            usd(r.delta_usd),
            format!("{:.4}", r.delta_premium_adjusted),
            if r.gamma == 0.0 {
                "0".into()
            } else {
                format!("{:.3e}", r.gamma)
            },
            format!("{:.2}", r.vega),
            format!("{:.2}", r.theta),
        ]);
    }
    t.render()
}

/// Totals by a grouping; coin-denominated Greeks that do not add across coins show "—".
pub(crate) fn totals_table(title: &str, rows: Vec<(String, &GreeksTotals)>) -> String {
    let coins = |x: f64| {
        if x.is_finite() {
            format!("{x:.4}")
        } else {
            "—".into()
        }
    };
    let mut t = Table::new([
        title,
        "value USD",
        "delta",
        "delta USD",
        "adj delta",
        "Δ USD per 1%",
        "vega",
        "theta",
    ]);
    for (k, v) in rows {
        t.row([
            k,
            usd(v.value_usd),
            coins(v.delta),
            usd(v.delta_usd),
            coins(v.delta_premium_adjusted),
            usd(v.gamma_usd_1pct),
            format!("{:.2}", v.vega),
            format!("{:.2}", v.theta),
        ]);
    }
    t.render()
}

/// Scenario P&L per underlying and in total.
fn scenario_table(g: &BookGreeks, sc: &[ScenarioPnl]) -> String {
    let mut header = vec!["scenario".to_string()];
    header.extend(g.by_underlying.keys().cloned());
    header.push("total".into());
    let mut t = Table::new(header);
    for s in sc {
        let mut r = vec![shock_label(s.shock.spot, s.shock.vol)];
        r.extend(
            g.by_underlying
                .keys()
                .map(|k| usd(s.by_underlying.get(k).copied().unwrap_or(0.0))),
        );
        r.push(usd(s.total));
        t.row(r);
    }
    t.render()
}

pub fn hedge(a: &HedgeArgs) -> Result<String> {
    if a.beta.is_some() || a.min_variance.is_some() {
        return super::factor_hedge::run(a);
    }
    if let Some(loss) = a.tail {
        return super::stress::tail_hedge(a, loss);
    }
    let mut targets: Vec<(HedgeGreek, f64)> = Vec::new();
    for &greek in &a.neutral {
        if !targets.iter().any(|t| t.0 == greek) {
            targets.push((greek, 0.0));
        }
    }
    if let Some(b) = &a.band {
        for (k, v) in crate::input::parse_pairs(b, "--band")? {
            let Some(t) = targets.iter_mut().find(|t| t.0.name() == k) else {
                bail!(
                    "--band {k}: not among the --neutral Greeks ({})",
                    a.neutral.iter().map(|g| g.name()).collect::<Vec<_>>().join(",")
                );
            };
            t.1 = v;
        }
    }
    let pf = read_portfolio(&a.portfolio)?;
    let book = load_book(&pf)?;
    let g = book_greeks(&book.positions, &book.market)?;
    let spec = HedgeSpec {
        targets,
        using: a.using.clone(),
        futures_fee_bps: a.fee_bps,
    };
    let report = ballast::hedge::hedge(&g.lines, &book.market, &spec).map_err(|e| {
        anyhow::anyhow!(e
            .to_string()
            .replace("fee_bps = ", "--fee-bps = ")
            .replace("band for ", "--band "))
    })?;
    match a.format {
        Format::Json => json(&report),
        Format::Table => {
            let mut out = format!(
                "Hedge — {}: {} neutral (bands {})\n",
                pf.name.as_deref().unwrap_or("book"),
                spec.targets
                    .iter()
                    .map(|(g, _)| g.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                spec.targets
                    .iter()
                    .map(|(g, b)| format!("{}={}", g.name(), b))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for h in &report.hedges {
                out += &format!(
                    "\n{} ({})\n",
                    h.coin,
                    plural(h.candidates, "candidate instrument")
                );
                if h.trades.is_empty() {
                    out += "  already inside the bands — no trade\n";
                } else {
                    let mut t = Table::new(["instrument", "side", "size", "price", "cost USD"]);
                    for tr in &h.trades {
                        // options trade in coins at a price in coin; inverse perps and
                        // futures in USD notional at a USD price
                        let (size, price) = match ballast::instrument::parse_deribit_name(&tr.instrument) {
                            Ok(Instrument::Option { coin, .. }) => (
                                format!("{:.4} {coin}", tr.size.abs()),
                                format!("{} {coin}", tr.price),
                            ),
                            _ => (format!("{} USD", usd(tr.size.abs())), format!("{} USD", tr.price)),
                        };
                        t.row([
                            tr.instrument.clone(),
                            if tr.size > 0.0 { "buy" } else { "sell" }.into(),
                            size,
                            price,
                            usd(tr.cost_usd),
                        ]);
                    }
                    out += &t.render();
                    out += &format!("  total cost {} USD\n", usd(h.cost_usd));
                }
                let mut t = Table::new(["", "delta", "delta USD", "gamma", "vega", "theta"]);
                for (name, x) in [("before", &h.before), ("after", &h.after)] {
                    t.row([
                        name.to_string(),
                        signless(format!("{:.6}", x.delta)),
                        usd(x.delta_usd),
                        signless(format!("{:.3e}", x.gamma)),
                        signless(format!("{:.4}", x.vega)),
                        signless(format!("{:.2}", x.theta)),
                    ]);
                }
                out += &t.render();
            }
            Ok(out)
        }
    }
}

/// A number that rounds to zero without its sign ("-0.0000" → "0.0000").
fn signless(s: String) -> String {
    let mantissa = s.split('e').next().unwrap_or("");
    if s.starts_with('-') && !mantissa.contains(|c: char| ('1'..='9').contains(&c)) {
        s[1..].to_string()
    } else {
        s
    }
}
