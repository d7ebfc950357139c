//! `ballast greeks --chain FILE`

use super::json;
use crate::args::{GreeksArgs, TableFormat};
use crate::table::{plural, Table};
use anyhow::Result;
use ballast::io::read_option_chain;
use ballast::pricing::{value_chain, ChainGreeksRecord, QuoteGreeks, VolSource, DAYS_PER_YEAR};

/// Widest error text shown in the table (the full text is in JSON and CSV).
const ERROR_WIDTH: usize = 60;

pub fn run(a: &GreeksArgs) -> Result<String> {
    let Some(chain) = &a.chain else {
        let Some(path) = a.portfolio.as_ref() else {
            anyhow::bail!("give a portfolio file or --chain FILE");
        };
        return super::book::greeks(path, a);
    };
    let file = chain.display().to_string();
    let valued = value_chain(read_option_chain(chain)?, a.as_of, &file);
    let records: Vec<ChainGreeksRecord> = valued.iter().map(|(n, v)| ChainGreeksRecord::new(n, v)).collect();
    let errors = valued.iter().filter(|(_, v)| v.is_err()).count();
    if errors == valued.len() {
        let first = valued.iter().find_map(|(_, v)| v.as_ref().err());
        anyhow::bail!(
            "no option of {file} could be valued ({}); first error: {}",
            plural(errors, "row"),
            first.map_or("the chain is empty", String::as_str)
        );
    }
    if errors > 0 {
        eprintln!(
            "{} of {} could not be valued (see the error column)",
            plural(errors, "row"),
            valued.len()
        );
    }
    match a.format {
        TableFormat::Json => json(&records),
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in &records {
                w.serialize(r)?;
            }
            Ok(String::from_utf8(
                w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
            )?)
        }
        TableFormat::Table => Ok(table(&file, &valued, errors)),
    }
}

fn table(file: &str, valued: &[(String, Result<QuoteGreeks, String>)], errors: usize) -> String {
    let mut t = Table::new([
        "instrument",
        "T days",
        "forward",
        "IV",
        "price USD",
        "price coin",
        "delta",
        "adj delta",
        "gamma",
        "vega",
        "theta",
    ]);
    // a value that is not a number prints as "–", never as NaN
    let fin = |x: f64, text: String| if x.is_finite() { text } else { "–".into() };
    let mut from_mark = 0;
    for (n, r) in valued {
        match r {
            Ok(q) => {
                from_mark += usize::from(q.vol_source == VolSource::ImpliedFromMark);
                t.row([
                    n.clone(),
                    format!("{:.3}", q.time * DAYS_PER_YEAR),
                    format!("{:.2}", q.forward),
                    format!(
                        "{:.2}%{}",
                        100.0 * q.vol,
                        if q.vol_source == VolSource::ImpliedFromMark {
                            "†"
                        } else {
                            ""
                        }
                    ),
                    fin(q.greeks.price, format!("{:.2}", q.greeks.price)),
                    fin(q.price_coin, format!("{:.8}", q.price_coin)),
                    fin(q.greeks.delta, format!("{:.5}", q.greeks.delta)),
                    fin(
                        q.premium_adjusted_delta,
                        format!("{:.5}", q.premium_adjusted_delta),
                    ),
                    fin(q.greeks.gamma, format!("{:.3e}", q.greeks.gamma)),
                    fin(q.greeks.vega, format!("{:.4}", q.greeks.vega)),
                    fin(q.greeks.theta, format!("{:.4}", q.greeks.theta)),
                ])
            }
            Err(e) => {
                // the file and line are in the message; keep the table narrow
                let short: String = e.chars().take(ERROR_WIDTH).collect();
                let ellipsis = if e.chars().count() > ERROR_WIDTH {
                    "…"
                } else {
                    ""
                };
                t.row([n.clone(), format!("error: {short}{ellipsis}")])
            }
        }
    }
    let mut out = format!(
        "Black-76 Greeks (Deribit units: vega USD per vol point, theta USD per day, gamma per USD) — {file}\n"
    );
    out += &t.render_fitted(0);
    out += &format!(
        "  {}: {} valued ({} at the IV of the mark price †, the rest at mark_iv), {} not valued\n",
        plural(valued.len(), "option"),
        valued.len() - errors,
        from_mark,
        errors
    );
    out
}
