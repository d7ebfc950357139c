//! A replay in Deribit's own words: the daily option-chain snapshots of `../shared/data`
//! (`deribit_options_snapshots/`) and the futures term structure turned, day by day, into the
//! messages Deribit would have sent — `deribit_price_index.{coin}_usd`, `ticker.{instrument}.100ms`
//! for every instrument the books hold, `markprice.options.{coin}_usd` for the whole chain —
//! so the replay runs through the same parser as the live socket. Built at start-up from the
//! files in place (never copied).

use ballast::data::ChainRow;
use ballast::instrument::{Instrument, Position};
use serde_json::json;
use std::path::Path;

/// Why a replay cannot be built.
#[derive(Debug, thiserror::Error)]
#[error("replay: {0}")]
pub struct ReplayError(pub String);

/// The replay's messages: (exchange time ms, message text), in time order.
pub type Messages = Vec<(i64, String)>;

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplaySpec<'a> {
    /// The folder of `deribit_{COIN}_options_{YYYY-MM-DD}.csv` snapshots.
    pub snapshots: &'a Path,
    /// Deribit's futures term structure (`deribit_futures_term_structure.csv`), if any.
    pub futures: Option<&'a Path>,
    /// Instruments the books hold (each gets its ticker).
    pub instruments: &'a [String],
    /// Coins (each gets its index and its chain's marks).
    pub coins: &'a [String],
    /// First day (the books' valuation day).
    pub from: jiff::civil::Date,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| v[v.len() / 2])
}

fn subscription(channel: &str, data: serde_json::Value) -> String {
    json!({"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": data}})
        .to_string()
}

/// The days from `spec.from` on, until the day before the first of the books' options
/// expires (a replay never values an expired option).
///
/// # Errors
/// [`ReplayError`]: an unreadable folder or file, no snapshot from `from` on.
pub fn build(spec: &ReplaySpec) -> Result<Messages, ReplayError> {
    let bad = |m: String| ReplayError(m);
    let first_expiry = spec
        .instruments
        .iter()
        .filter_map(|n| Position::new(n, 1.0, "deribit").ok())
        .filter_map(|p| match p.instrument {
            Instrument::Option { expiry, .. } => Some(expiry),
            _ => None,
        })
        .min();
    let mut days: Vec<jiff::civil::Date> = Vec::new();
    let entries =
        std::fs::read_dir(spec.snapshots).map_err(|e| bad(format!("{}: {e}", spec.snapshots.display())))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(d) = name
            .strip_suffix(".csv")
            .and_then(|s| s.rsplit('_').next())
            .and_then(|s| s.parse().ok())
        {
            if d >= spec.from && !days.contains(&d) {
                days.push(d);
            }
        }
    }
    days.sort();
    let mut out: Messages = Vec::new();
    for d in days {
        let mut day: Messages = Vec::new();
        for coin in spec.coins {
            let path = spec.snapshots.join(format!("deribit_{coin}_options_{d}.csv"));
            if !path.exists() {
                continue;
            }
            let rows = ballast::io::read_option_chain(&path).map_err(|e| bad(e.to_string()))?;
            day.extend(day_messages(coin, &rows, spec));
        }
        let Some(t) = day.iter().map(|m| m.0).max() else {
            continue;
        };
        let t_ts = jiff::Timestamp::from_millisecond(t).map_err(|e| bad(e.to_string()))?;
        if first_expiry.is_some_and(|x| t_ts >= x) {
            break;
        }
        if let Some(f) = spec.futures {
            let prices = ballast::io::read_futures_prices(f, Some(t_ts)).map_err(|e| bad(e.to_string()))?;
            for n in spec.instruments {
                if let Some(p) = prices.get(n) {
                    let data = json!({"instrument_name": n, "mark_price": p, "timestamp": t});
                    day.push((t, subscription(&format!("ticker.{n}.100ms"), data)));
                }
            }
        }
        day.sort_by_key(|m| m.0);
        out.extend(day);
    }
    if out.is_empty() {
        return Err(bad(format!(
            "no snapshot of {} in {} from {} on",
            spec.coins.join(", "),
            spec.snapshots.display(),
            spec.from
        )));
    }
    Ok(out)
}

/// One coin's snapshot as Deribit messages: its index, the books' tickers, the chain's marks.
fn day_messages(coin: &str, rows: &[ChainRow], spec: &ReplaySpec) -> Messages {
    let quotes: Vec<_> = rows.iter().filter_map(|r| r.quote.as_ref().ok()).collect();
    let Some(t) = quotes.iter().map(|q| q.timestamp.as_millisecond()).max() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let index_name = format!("{}_usd", coin.to_lowercase());
    if let Some(i) = median(quotes.iter().filter_map(|q| q.index_price).collect()) {
        let data = json!({"index_name": index_name, "price": i, "timestamp": t});
        out.push((
            t,
            subscription(&format!("deribit_price_index.{index_name}"), data),
        ));
    }
    let mut marks = Vec::new();
    for q in &quotes {
        let iv = q.mark_iv.unwrap_or(0.0);
        if iv > 0.0 {
            marks.push(
                json!({"instrument_name": q.name, "mark_price": q.mark_price, "iv": iv, "timestamp": t}),
            );
        }
        if spec.instruments.contains(&q.name) {
            let data = json!({
                "instrument_name": q.name, "mark_price": q.mark_price, "mark_iv": iv * 100.0,
                "underlying_price": q.forward, "index_price": q.index_price, "timestamp": t,
            });
            out.push((t, subscription(&format!("ticker.{}.100ms", q.name), data)));
        }
    }
    out.push((
        t,
        subscription(&format!("markprice.options.{index_name}"), json!(marks)),
    ));
    out
}
