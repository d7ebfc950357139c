//! `ballast margin --replay-deribit RESPONSE.json` and `ballast margin --liquidation VENUE`.

use super::json;
use crate::args::{Format, LiquidationSide, MarginArgs};
use crate::table::{pct, Table};
use anyhow::{bail, Context, Result};
use ballast::margin::deribit::{replay, Replay, SimulateResponse};
use ballast::margin::liquidation::{Bracket, IsolatedPosition, Side};
use serde::Serialize;

pub fn run(a: &MarginArgs) -> Result<String> {
    if let Some(path) = &a.replay_deribit {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let resp = SimulateResponse::parse(&text).with_context(|| path.display().to_string())?;
        let r = replay(&resp).with_context(|| path.display().to_string())?;
        return match a.format {
            Format::Json => json(&ReplayJson {
                result: &r.result,
                ballast_vs_deribit: Comparison {
                    values_compared: r.differences.len(),
                    max_abs_difference: r.max_abs_difference,
                    differences: &r.differences,
                },
            }),
            Format::Table => Ok(replay_table(&path.display().to_string(), &resp, &r)),
        };
    }
    liquidation(a)
}

/// The recomputed response under Deribit's keys, and the comparison.
#[derive(Serialize)]
struct ReplayJson<'a> {
    #[serde(flatten)]
    result: &'a ballast::margin::deribit::PmResult,
    ballast_vs_deribit: Comparison<'a>,
}

#[derive(Serialize)]
struct Comparison<'a> {
    values_compared: usize,
    max_abs_difference: f64,
    differences: &'a [ballast::margin::deribit::Difference],
}

fn replay_table(file: &str, resp: &SimulateResponse, r: &Replay) -> String {
    let ts = resp
        .model_params
        .general
        .timestamp
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or("unknown time".to_string(), |t| t.to_string());
    let mut out = format!(
        "Deribit portfolio margin, recomputed — {file}\n{} positions, parameters of {ts}\n\n",
        resp.portfolio.position.len()
    );
    let mut t = Table::new(["margin field", "Deribit", "Ballast", "|difference|"]);
    let mut margins: Vec<_> = r
        .differences
        .iter()
        .filter(|d| d.field.starts_with("margins."))
        .collect();
    margins.sort_by(|a, b| a.field.cmp(&b.field));
    for d in margins {
        let short = d
            .field
            .replace("initial_margin_details.risk_matrix_margin_details.", "")
            .replace("initial_margin_details.", "");
        t.row([
            short,
            format!("{:.12}", d.deribit),
            format!("{:.12}", d.ballast),
            format!("{:.1e}", d.abs_difference),
        ]);
    }
    out += &t.render();
    for (cur, m) in &r.result.margins {
        let d = &m.initial_margin_details.risk_matrix_margin_details;
        let b = &d.worst_case_bucket;
        out += &format!(
            "\n{cur}: worst case {:.10} ({} table, {} side bucket {}, vol scenario {} of up/same/down), roll shock {:.10}, delta shock {:.10}\n",
            d.worst_case, b.source, b.side, b.bucket, b.index, d.roll_shock, d.delta_shock
        );
    }
    let vectors = r
        .differences
        .iter()
        .filter(|d| !d.field.starts_with("margins."))
        .count();
    out += &format!(
        "\n{} values compared ({vectors} risk-vector entries); largest difference {:.1e}{}\n",
        r.differences.len(),
        r.max_abs_difference,
        r.differences
            .first()
            .map(|d| format!(" ({})", d.field))
            .unwrap_or_default()
    );
    out
}

fn liquidation(a: &MarginArgs) -> Result<String> {
    let (Some(venue), Some(side), Some(size), Some(entry)) = (a.liquidation, a.side, a.size, a.entry) else {
        bail!("--liquidation needs --side, --size and --entry (and --leverage or --wallet, and --mmr or --brackets)");
    };
    let brackets = match (&a.brackets, &a.symbol, a.mmr) {
        (Some(file), Some(sym), _) => {
            let all = ballast::io::read_leverage_brackets(file)?;
            all.get(sym).cloned().with_context(|| {
                format!(
                    "{}: no symbol {sym} (it has: {})",
                    file.display(),
                    all.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?
        }
        (None, _, Some(mmr)) => vec![Bracket {
            floor: 0.0,
            cap: f64::INFINITY,
            mmr,
            cum: a.cum,
        }],
        _ => bail!("give the maintenance margin rate: --mmr 0.004, or --brackets FILE --symbol BTCUSDT"),
    };
    let p = IsolatedPosition {
        venue,
        contract: a.contract,
        side: match side {
            LiquidationSide::Long => Side::Long,
            LiquidationSide::Short => Side::Short,
        },
        size,
        entry,
        leverage: a.leverage,
        wallet: a.wallet,
        brackets,
    };
    let l = p.liquidation()?;
    if a.format == Format::Json {
        return json(&l);
    }
    let unit = match a.contract {
        ballast::margin::liquidation::Contract::Linear => ("coins", "USD"),
        ballast::margin::liquidation::Contract::Inverse => ("USD", "coin"),
    };
    let price = if l.liquidation_price.is_finite() && l.liquidation_price > 0.0 {
        format!(
            "{:.2} USD ({} from the entry)",
            l.liquidation_price,
            pct(l.distance)
        )
    } else {
        "none (the wallet covers any move)".into()
    };
    Ok(format!(
        "Liquidation price ({}, {} {}, {size} {} at {entry}, isolated wallet {:.8} {}): {price}\n  maintenance bracket: rate {}, amount {}; root of margin balance − maintenance margin: {}\n",
        ballast::names::variant_name(&venue),
        ballast::names::variant_name(&a.contract),
        if side == LiquidationSide::Long { "long" } else { "short" },
        unit.0,
        l.wallet,
        unit.1,
        pct(l.bracket.mmr),
        l.bracket.cum,
        l.root_finder.map_or("–".into(), |x| format!("{x:.2}"))
    ))
}
