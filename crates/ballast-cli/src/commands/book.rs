//! `ballast greeks PORTFOLIO.toml`: Greeks of a derivatives book and scenario P&L.

use crate::args::{Format, HedgeArgs, TableFormat};
use crate::table::{usd, Table};
use anyhow::{bail, Context, Result};
use ballast::hedge::{HedgeGreek, HedgeSpec};
use ballast::io::{load_book, read_portfolio};
use ballast::risk::{book_greeks, scenario_pnl, GreeksTotals, STANDARD_SHOCKS};
use serde_json::{json, Value};
use std::path::Path;

fn totals_json(t: &GreeksTotals) -> Value {
    let f = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
    json!({
        "value_usd": t.value_usd,
        "delta": f(t.delta),
        "delta_usd": t.delta_usd,
        "delta_premium_adjusted": f(t.delta_premium_adjusted),
        "gamma": f(t.gamma),
        "gamma_usd_1pct": t.gamma_usd_1pct,
        "vega": t.vega,
        "theta": t.theta,
    })
}

fn shock_label(spot: f64, vol: f64) -> String {
    if vol != 0.0 {
        format!("vol {:+.0}", vol * 100.0)
    } else {
        format!("spot {:+.0}%", spot * 100.0)
    }
}

pub fn greeks(path: &Path, format: TableFormat) -> Result<String> {
    let pf = read_portfolio(path)?;
    let book = load_book(&pf)?;
    let g = book_greeks(&book.positions, &book.market).with_context(|| path.display().to_string())?;
    let sc = scenario_pnl(&book.positions, &book.market, &STANDARD_SHOCKS)?;
    let as_of = book.market.as_of.map(|t| t.to_string()).unwrap_or_default();
    Ok(match format {
        TableFormat::Json | TableFormat::Csv => {
            let v = json!({
                "as_of": as_of,
                "spot": book.market.spot,
                "positions": g.lines.iter().map(|(p, r)| json!({
                    "instrument": p.name, "underlying": p.instrument.coin(), "venue": p.venue, "size": p.size,
                    "value_usd": r.value_usd, "delta": r.delta, "delta_usd": r.delta_usd,
                    "delta_premium_adjusted": r.delta_premium_adjusted, "gamma": r.gamma,
                    "vega": r.vega, "theta": r.theta, "days_to_expiry": r.days_to_expiry,
                })).collect::<Vec<_>>(),
                "by_underlying": g.by_underlying.iter().map(|(k, t)| (k.clone(), totals_json(t))).collect::<serde_json::Map<_, _>>(),
                "by_expiry": g.by_expiry.iter().map(|((c, b), t)| {
                    let mut v = totals_json(t); v["underlying"] = json!(c); v["bucket"] = json!(b); v
                }).collect::<Vec<_>>(),
                "by_venue": g.by_venue.iter().map(|((c, ven), t)| {
                    let mut v = totals_json(t); v["underlying"] = json!(c); v["venue"] = json!(ven); v
                }).collect::<Vec<_>>(),
                "total": totals_json(&g.total),
                "scenarios": sc.iter().map(|s| json!({
                    "spot_shock": s.shock.spot, "vol_shock": s.shock.vol, "pnl_usd": s.total,
                    "by_underlying": s.by_underlying,
                })).collect::<Vec<_>>(),
            });
            if format == TableFormat::Csv {
                anyhow::bail!("--format csv is for --chain; use table or json for a portfolio");
            }
            serde_json::to_string_pretty(&v)? + "\n"
        }
        TableFormat::Table => {
            let mut out = format!(
                "Portfolio Greeks — {}   as of {as_of}\nSpot: {}\n(delta in coins = dU/dS; gamma per USD; vega USD per vol point; theta USD per day; options at the IV of their mark)\n\n",
                pf.name.as_deref().unwrap_or("book"),
                book.market.spot.iter().map(|(c, s)| format!("{c} {s:.2}")).collect::<Vec<_>>().join(", ")
            );
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
            for (p, r) in &g.lines {
                t.row([
                    p.name.clone(),
                    p.venue.clone(),
                    format!("{}", p.size),
                    usd(r.value_usd),
                    format!("{:.4}", r.delta),
                    usd(r.delta_usd),
                    format!("{:.4}", r.delta_premium_adjusted),
                    format!("{:.3e}", r.gamma),
                    format!("{:.2}", r.vega),
                    format!("{:.2}", r.theta),
                ]);
            }
            out += &t.render();
            let totals_table = |title: &str, rows: Vec<(String, &GreeksTotals)>| {
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
                        if v.delta.is_finite() {
                            format!("{:.4}", v.delta)
                        } else {
                            "—".into()
                        },
                        usd(v.delta_usd),
                        if v.delta_premium_adjusted.is_finite() {
                            format!("{:.4}", v.delta_premium_adjusted)
                        } else {
                            "—".into()
                        },
                        usd(v.gamma_usd_1pct),
                        format!("{:.2}", v.vega),
                        format!("{:.2}", v.theta),
                    ]);
                }
                t.render()
            };
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
            out += "\nScenario P&L (USD, full revaluation; spot moves shift every forward of the coin by the same %)\n";
            let mut header = vec!["scenario".to_string()];
            header.extend(g.by_underlying.keys().cloned());
            header.push("total".into());
            let mut t = Table::new(header);
            for s in &sc {
                let mut r = vec![shock_label(s.shock.spot, s.shock.vol)];
                r.extend(
                    g.by_underlying
                        .keys()
                        .map(|k| usd(s.by_underlying.get(k).copied().unwrap_or(0.0))),
                );
                r.push(usd(s.total));
                t.row(r);
            }
            out += &t.render();
            out
        }
    })
}

pub fn hedge(a: &HedgeArgs) -> Result<String> {
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
            if v < 0.0 {
                bail!("--band {k}={v}: bands must be ≥ 0");
            }
            t.1 = v;
        }
    }
    if !(a.fee_bps.is_finite() && a.fee_bps >= 0.0) {
        bail!("--fee-bps {} must be ≥ 0", a.fee_bps);
    }
    let pf = read_portfolio(&a.portfolio)?;
    let book = load_book(&pf)?;
    let g = book_greeks(&book.positions, &book.market).with_context(|| a.portfolio.display().to_string())?;
    let spec = HedgeSpec {
        targets,
        using: a.using.clone(),
        futures_fee_bps: a.fee_bps,
    };
    let result = ballast::hedge::hedge(&g.lines, &book.market, &spec)?;
    let greeks = |t: &GreeksTotals| json!({"delta": t.delta, "delta_usd": t.delta_usd, "gamma": t.gamma, "vega": t.vega, "theta": t.theta});
    Ok(match a.format {
        Format::Json => {
            let v: Vec<Value> = result
                .iter()
                .map(|h| {
                    json!({
                        "underlying": h.coin,
                        "before": greeks(&h.before),
                        "after": greeks(&h.after),
                        "cost_usd": h.cost_usd,
                        "candidates": h.candidates,
                        "trades": h.trades.iter().map(|t| json!({
                            "instrument": t.instrument, "side": if t.size > 0.0 { "buy" } else { "sell" },
                            "size": t.size.abs(), "signed_size": t.size, "price": t.price, "cost_usd": t.cost_usd,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(
                &json!({"targets": spec.targets.iter().map(|(g, b)| json!({"greek": g.name(), "band": b})).collect::<Vec<_>>(), "hedges": v}),
            )? + "\n"
        }
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
            for h in &result {
                out += &format!("\n{} ({} candidate instruments)\n", h.coin, h.candidates);
                if h.trades.is_empty() {
                    out += "  already inside the bands — no trade\n";
                } else {
                    let mut t = Table::new(["instrument", "side", "size", "price", "cost USD"]);
                    for tr in &h.trades {
                        t.row([
                            tr.instrument.clone(),
                            if tr.size > 0.0 {
                                "buy".into()
                            } else {
                                "sell".into()
                            },
                            format!("{:.4}", tr.size.abs()),
                            format!("{}", tr.price),
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
                        format!("{:.6}", x.delta),
                        usd(x.delta_usd),
                        format!("{:.3e}", x.gamma),
                        format!("{:.4}", x.vega),
                        format!("{:.2}", x.theta),
                    ]);
                }
                out += &t.render();
            }
            out
        }
    })
}
