//! Replaying a saved `private/pme/simulate` response: its positions, prices and parameters are
//! run through [`portfolio_margin`] and every margin field and risk-vector entry is compared
//! with Deribit's.

use super::super::MarginError;
use super::matrix::{portfolio_margin, ExtraInitial, PmInput, PmResult, RiskVector, Ticker};
use super::params::PmParams;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The parts of a `private/pme/simulate` result Ballast reads (other keys are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct SimulateResponse {
    /// The parameters.
    pub model_params: PmParams,
    /// `{position: {instrument: size in coins}}`.
    pub portfolio: Portfolio,
    /// Pair → index price.
    pub index_price: BTreeMap<String, f64>,
    /// Instrument → ticker.
    #[serde(default)]
    pub ticker: BTreeMap<String, TickerJson>,
    /// Deribit's per-instrument vectors.
    #[serde(default)]
    pub initial_risk_vectors: BTreeMap<String, VectorJson>,
    /// Deribit's aggregated vectors.
    #[serde(default)]
    pub aggregated_risk_vectors: BTreeMap<String, VectorJson>,
    /// Deribit's margins, per currency.
    #[serde(default)]
    pub margins: BTreeMap<String, serde_json::Value>,
}

/// `portfolio`.
#[derive(Debug, Clone, Deserialize)]
pub struct Portfolio {
    /// Instrument → size in base currency.
    pub position: BTreeMap<String, f64>,
}

/// A ticker entry.
#[derive(Debug, Clone, Deserialize)]
pub struct TickerJson {
    /// Mark price.
    pub mark_price: f64,
    /// Mark IV in percent (Deribit's unit), options.
    #[serde(default)]
    pub mark_iv: Option<f64>,
    /// The option's underlying price.
    #[serde(default)]
    pub underlying_price: Option<f64>,
}

/// A risk vector as Deribit writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct VectorJson {
    /// The standard table.
    pub standard: Vec<f64>,
    /// The extended table.
    pub extended: Vec<f64>,
}

impl SimulateResponse {
    /// Parse a saved response: the JSON-RPC envelope (`{"result": …}`) or the result itself.
    ///
    /// # Errors
    /// [`MarginError::Input`] for JSON that is not a simulate response, naming what is missing.
    pub fn parse(text: &str) -> Result<Self, MarginError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| MarginError::Input(format!("not JSON: {e}")))?;
        let body = match v.get("result") {
            Some(r) => r.clone(),
            None => v,
        };
        serde_json::from_value(body).map_err(|e| {
            MarginError::Input(format!(
                "not a private/pme/simulate response (or its result): {e}"
            ))
        })
    }

    /// The model's input: positions, index, tickers (IV from percent), the parameters' time,
    /// and the add-ons Deribit reports (open orders, MMP, spot).
    pub fn input(&self) -> PmInput {
        let now = self
            .model_params
            .general
            .timestamp
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
        let extra_initial = self
            .margins
            .iter()
            .map(|(cur, m)| {
                let d = &m["initial_margin_details"];
                let get = |k: &str| d[k].as_f64().unwrap_or(0.0);
                (
                    cur.clone(),
                    ExtraInitial {
                        open_orders_margin: get("open_orders_margin"),
                        mmp_margin: get("mmp_margin"),
                        spot_margin: get("spot_margin"),
                    },
                )
            })
            .collect();
        PmInput {
            positions: self.portfolio.position.clone(),
            index_price: self.index_price.clone(),
            tickers: self
                .ticker
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        Ticker {
                            mark_price: t.mark_price,
                            mark_iv: t.mark_iv.map(|v| v / 100.0),
                            underlying_price: t.underlying_price,
                        },
                    )
                })
                .collect(),
            now,
            extra_initial,
        }
    }
}

/// One compared value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Where (`margins.btc.maintenance_margin`, `initial_risk_vectors.BTC-PERPETUAL.standard[4]`).
    pub field: String,
    /// Deribit's value.
    pub deribit: f64,
    /// Ballast's.
    pub ballast: f64,
    /// |Ballast − Deribit|.
    pub abs_difference: f64,
}

/// A replay: Ballast's result and every comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// Ballast's recomputation, under Deribit's keys.
    pub result: PmResult,
    /// Every value compared, largest difference first.
    pub differences: Vec<Difference>,
    /// The largest difference.
    pub max_abs_difference: f64,
}

fn compare_vectors(
    out: &mut Vec<Difference>,
    what: &str,
    deribit: &BTreeMap<String, VectorJson>,
    ours: &BTreeMap<String, RiskVector>,
) -> Result<(), MarginError> {
    for (k, d) in deribit {
        let o = ours.get(k).ok_or_else(|| {
            MarginError::Input(format!("{what}.{k}: Deribit has it, Ballast computed none"))
        })?;
        for (table, dv, ov) in [
            ("standard", &d.standard, &o.standard),
            ("extended", &d.extended, &o.extended),
        ] {
            if dv.len() != ov.len() {
                return Err(MarginError::Input(format!(
                    "{what}.{k}.{table}: Deribit has {} scenarios, Ballast {} (different buckets_count?)",
                    dv.len(),
                    ov.len()
                )));
            }
            for (i, (a, b)) in dv.iter().zip(ov).enumerate() {
                out.push(Difference {
                    field: format!("{what}.{k}.{table}[{i}]"),
                    deribit: *a,
                    ballast: *b,
                    abs_difference: (a - b).abs(),
                });
            }
        }
    }
    Ok(())
}

/// Recompute a saved response and compare it with Deribit's numbers.
///
/// # Errors
/// The model's errors on the response's inputs; vectors of different lengths.
pub fn replay(resp: &SimulateResponse) -> Result<Replay, MarginError> {
    let result = portfolio_margin(&resp.model_params, &resp.input())?;
    let mut d = Vec::new();
    compare_vectors(
        &mut d,
        "initial_risk_vectors",
        &resp.initial_risk_vectors,
        &result.initial_risk_vectors,
    )?;
    compare_vectors(
        &mut d,
        "aggregated_risk_vectors",
        &resp.aggregated_risk_vectors,
        &result.aggregated_risk_vectors,
    )?;
    for (cur, theirs) in &resp.margins {
        let Some(ours) = result.margins.get(cur) else {
            continue;
        };
        let ours = serde_json::to_value(ours).map_err(|e| MarginError::Input(e.to_string()))?;
        let mut fields = Vec::new();
        numbers(theirs, String::new(), &mut fields);
        for (path, a) in fields {
            if let Some(b) = lookup(&ours, &path).and_then(serde_json::Value::as_f64) {
                d.push(Difference {
                    field: format!("margins.{cur}.{path}"),
                    deribit: a,
                    ballast: b,
                    abs_difference: (a - b).abs(),
                });
            }
        }
    }
    d.sort_by(|a, b| b.abs_difference.total_cmp(&a.abs_difference));
    let max_abs_difference = d.first().map_or(0.0, |x| x.abs_difference);
    Ok(Replay {
        result,
        differences: d,
        max_abs_difference,
    })
}

/// Every number of a JSON tree with its dotted path.
fn numbers(v: &serde_json::Value, path: String, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.push((path, x));
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                numbers(x, p, out);
            }
        }
        _ => {}
    }
}

fn lookup<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(v, |acc, k| acc.get(k))
}
