//! Deribit's public JSON-RPC WebSocket messages, parsed into ticks: `ticker.{instrument}.*`,
//! `markprice.options.{index}` and `deribit_price_index.{index}` notifications, heartbeats
//! (a `test_request` must be answered with `public/test`, or Deribit closes the socket) and
//! subscription results. Numbers may come in scientific notation (`6.4e4`). A price that is
//! not a positive finite number makes the whole message bad (counted, never applied).
//!
//! Source: Deribit API v2 documentation, "Subscriptions" and "public/set_heartbeat".

use serde::Serialize;
use serde_json::Value;

/// A market-data tick, in the exchange's units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Tick {
    /// A spot index (`deribit_price_index.btc_usd`): USD per coin.
    Index {
        /// The coin (`BTC`).
        coin: String,
        /// USD per coin.
        price: f64,
        /// Exchange time, ms since the epoch.
        timestamp: i64,
    },
    /// One instrument's ticker (`ticker.BTC-26JUN26-80000-C.100ms`).
    Ticker {
        /// Instrument name.
        instrument: String,
        /// Mark price: coin per option, USD for futures and perpetuals.
        mark_price: f64,
        /// Mark implied volatility, percent (options).
        mark_iv: Option<f64>,
        /// The option's underlying (forward) price, USD.
        underlying_price: Option<f64>,
        /// The spot index, USD.
        index_price: Option<f64>,
        /// Exchange time, ms since the epoch.
        timestamp: i64,
    },
    /// Every option's mark of one index (`markprice.options.btc_usd`): (instrument, mark in
    /// coin, implied vol as a fraction).
    MarkPrices {
        /// The coin.
        coin: String,
        /// (instrument, mark price, iv).
        marks: Vec<(String, f64, f64)>,
        /// Exchange time, ms since the epoch.
        timestamp: i64,
    },
}

impl Tick {
    /// The channel family it came from (for staleness).
    pub fn channel(&self) -> String {
        match self {
            Tick::Index { coin, .. } => format!("deribit_price_index.{}_usd", coin.to_lowercase()),
            Tick::Ticker { instrument, .. } => format!("ticker.{instrument}"),
            Tick::MarkPrices { coin, .. } => format!("markprice.options.{}_usd", coin.to_lowercase()),
        }
    }

    /// Exchange time, ms.
    pub fn timestamp(&self) -> i64 {
        match self {
            Tick::Index { timestamp, .. }
            | Tick::Ticker { timestamp, .. }
            | Tick::MarkPrices { timestamp, .. } => *timestamp,
        }
    }
}

/// What one message is.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Market data.
    Tick(Tick),
    /// Deribit asks for a `public/test` call now.
    TestRequest,
    /// A heartbeat that needs no answer.
    Heartbeat,
    /// The answer to one of our requests (subscribe, set_heartbeat, test).
    Response,
    /// A channel we do not use (order books, trades…).
    Ignored(String),
    /// Not a message we can read, or impossible values (why).
    Bad(String),
}

fn positive(v: &Value, what: &str) -> Result<f64, String> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("{what} {v} is not a positive number")),
    }
}

fn optional_positive(v: &Value, what: &str) -> Result<Option<f64>, String> {
    if v.is_null() {
        Ok(None)
    } else {
        positive(v, what).map(Some)
    }
}

fn coin_of_index(index: &str) -> String {
    index.split('_').next().unwrap_or(index).to_uppercase()
}

/// Parse one message as received.
pub fn parse(text: &str) -> Message {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Message::Bad(format!("not JSON: {e}")),
    };
    match v["method"].as_str() {
        Some("heartbeat") => {
            return if v["params"]["type"] == "test_request" {
                Message::TestRequest
            } else {
                Message::Heartbeat
            }
        }
        Some("subscription") => {}
        _ if v.get("result").is_some() || v.get("error").is_some() => return Message::Response,
        _ => return Message::Bad("neither a subscription, a heartbeat nor a response".into()),
    }
    let channel = v["params"]["channel"].as_str().unwrap_or("");
    let data = &v["params"]["data"];
    match tick(channel, data) {
        Ok(Some(t)) => Message::Tick(t),
        Ok(None) => Message::Ignored(channel.to_string()),
        Err(e) => Message::Bad(format!("{channel}: {e}")),
    }
}

fn tick(channel: &str, d: &Value) -> Result<Option<Tick>, String> {
    let ts = || d["timestamp"].as_i64().ok_or("no timestamp".to_string());
    if let Some(index) = channel.strip_prefix("deribit_price_index.") {
        return Ok(Some(Tick::Index {
            coin: coin_of_index(index),
            price: positive(&d["price"], "price")?,
            timestamp: ts()?,
        }));
    }
    if let Some(index) = channel.strip_prefix("markprice.options.") {
        let items = d.as_array().ok_or("data is not a list")?;
        let mut marks = Vec::with_capacity(items.len());
        let mut latest = 0;
        for it in items {
            let name = it["instrument_name"]
                .as_str()
                .ok_or("an item without instrument_name")?;
            // a mark of 0 is a real (worthless) option; a negative one is not
            let mark = it["mark_price"].as_f64().filter(|m| m.is_finite() && *m >= 0.0);
            let mark = mark.ok_or_else(|| format!("{name}: mark_price {} is not ≥ 0", it["mark_price"]))?;
            marks.push((name.to_string(), mark, positive(&it["iv"], "iv")?));
            latest = latest.max(it["timestamp"].as_i64().unwrap_or(0));
        }
        return Ok(Some(Tick::MarkPrices {
            coin: coin_of_index(index),
            marks,
            timestamp: latest,
        }));
    }
    if channel.starts_with("ticker.") {
        let instrument = d["instrument_name"]
            .as_str()
            .ok_or("no instrument_name")?
            .to_string();
        let mark = d["mark_price"].as_f64().filter(|m| m.is_finite() && *m >= 0.0);
        return Ok(Some(Tick::Ticker {
            mark_price: mark
                .ok_or_else(|| format!("{instrument}: mark_price {} is not ≥ 0", d["mark_price"]))?,
            mark_iv: optional_positive(&d["mark_iv"], "mark_iv")?,
            underlying_price: optional_positive(&d["underlying_price"], "underlying_price")?,
            index_price: optional_positive(&d["index_price"], "index_price")?,
            timestamp: ts()?,
            instrument,
        }));
    }
    Ok(None)
}

/// The JSON-RPC request that answers a `test_request`.
pub fn test_reply(id: u64) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"public/test","params":{{}}}}"#)
}

/// The JSON-RPC request subscribing to `channels`.
pub fn subscribe(id: u64, channels: &[String]) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "public/subscribe", "params": {"channels": channels}})
        .to_string()
}

/// The JSON-RPC request asking for heartbeats every `seconds` (Deribit's minimum is 10).
pub fn set_heartbeat(id: u64, seconds: u64) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"public/set_heartbeat","params":{{"interval":{}}}}}"#,
        seconds.max(10)
    )
}
