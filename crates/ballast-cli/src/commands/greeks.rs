//! `ballast greeks --chain FILE`

use crate::args::{GreeksArgs, TableFormat};
use crate::table::Table;
use anyhow::Result;
use ballast::io::read_option_chain;
use ballast::pricing::{quote_greeks, QuoteGreeks, VolSource};
use serde_json::{json, Value};

/// Column names of the CSV/JSON output, in order.
const FIELDS: [&str; 17] = [
    "instrument_name",
    "time_years",
    "forward",
    "iv_from_mark",
    "vol_used",
    "vol_source",
    "price_usd",
    "price_coin",
    "delta",
    "premium_adjusted_delta",
    "gamma",
    "vega",
    "theta",
    "rho",
    "vanna",
    "volga",
    "error",
];

fn row_json(name: &str, r: &Result<QuoteGreeks, String>) -> Value {
    match r {
        Ok(q) => json!({
            "instrument_name": name,
            "time_years": q.time,
            "forward": q.forward,
            "iv_from_mark": q.iv_from_mark.as_ref().ok(),
            "vol_used": q.vol,
            "vol_source": match q.vol_source { VolSource::ImpliedFromMark => "mark_price", VolSource::MarkIv => "mark_iv" },
            "price_usd": q.greeks.price,
            "price_coin": q.price_coin,
            "delta": q.greeks.delta,
            "premium_adjusted_delta": q.premium_adjusted_delta,
            "gamma": q.greeks.gamma,
            "vega": q.greeks.vega,
            "theta": q.greeks.theta,
            "rho": q.greeks.rho,
            "vanna": q.greeks.vanna,
            "volga": q.greeks.volga,
            "iv_error": q.iv_from_mark.as_ref().err().map(|e| e.to_string()),
        }),
        Err(e) => json!({"instrument_name": name, "error": e}),
    }
}

pub fn run(a: &GreeksArgs) -> Result<String> {
    let Some(chain) = &a.chain else {
        let path = a.portfolio.as_ref().expect("clap requires PORTFOLIO or --chain");
        return super::book::greeks(path, a.format);
    };
    let rows = read_option_chain(chain)?;
    let as_of = a.as_of;
    let valued: Vec<(String, Result<QuoteGreeks, String>)> = rows
        .into_iter()
        .map(|r| {
            let v = r.quote.and_then(|q| {
                quote_greeks(&q, as_of).map_err(|e| format!("{}:{}: {e}", chain.display(), r.line))
            });
            (r.instrument_name, v)
        })
        .collect();
    let errors = valued.iter().filter(|(_, v)| v.is_err()).count();
    if errors > 0 {
        eprintln!(
            "{} of {} rows could not be valued (see the error column)",
            errors,
            valued.len()
        );
    }
    Ok(match a.format {
        TableFormat::Json => {
            let list: Vec<Value> = valued.iter().map(|(n, r)| row_json(n, r)).collect();
            serde_json::to_string_pretty(&list)? + "\n"
        }
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(FIELDS)?;
            for (n, r) in &valued {
                let v = row_json(n, r);
                let err = v
                    .get("error")
                    .or_else(|| v.get("iv_error"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let rec: Vec<String> = FIELDS
                    .iter()
                    .map(|f| match (*f, v.get(*f)) {
                        ("error", _) => err.to_string(),
                        (_, Some(Value::String(s))) => s.clone(),
                        (_, Some(Value::Number(x))) => x.to_string(),
                        _ => String::new(),
                    })
                    .collect();
                w.write_record(rec)?;
            }
            String::from_utf8(w.into_inner()?)?
        }
        TableFormat::Table => {
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
            for (n, r) in &valued {
                match r {
                    Ok(q) => t.row([
                        n.clone(),
                        format!("{:.3}", q.time * 365.0),
                        format!("{:.2}", q.forward),
                        format!(
                            "{:.2}%{}",
                            100.0 * q.vol,
                            if q.vol_source == VolSource::MarkIv {
                                "*"
                            } else {
                                ""
                            }
                        ),
                        format!("{:.2}", q.greeks.price),
                        format!("{:.8}", q.price_coin),
                        format!("{:.5}", q.greeks.delta),
                        format!("{:.5}", q.premium_adjusted_delta),
                        format!("{:.3e}", q.greeks.gamma),
                        format!("{:.4}", q.greeks.vega),
                        format!("{:.4}", q.greeks.theta),
                    ]),
                    Err(e) => t.row([n.clone(), format!("error: {e}")]),
                }
            }
            let mut out = format!(
                "Black-76 Greeks (Deribit units: vega USD per vol point, theta USD per day, gamma per USD) — {}\n",
                chain.display()
            );
            out += &t.render();
            out += &format!(
                "  {} options, {} valued, {} errors; * = no IV reproduces the mark, Deribit mark_iv used\n",
                valued.len(),
                valued.len() - errors,
                errors
            );
            out
        }
    })
}
