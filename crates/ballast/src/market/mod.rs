//! Market snapshot: what a book is valued on at one instant — spot index per coin, option
//! quotes (forward, mark, implied volatility), forwards per expiry and perpetual / futures
//! prices.

use crate::data::{ChainQuote, ChainRow};
use crate::instrument::Instrument;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// # Errors
/// Building or querying a snapshot.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MarketError {
    #[error("no spot price for {0} (give [market] spot = {{ {0} = ... }} or a chain with index_price)")]
    /// No spot index for the coin.
    NoSpot(String),
    #[error("{0} is not in the option chain(s) of the snapshot")]
    /// An option not in the snapshot's chains.
    UnknownOption(String),
    #[error("no forward for {coin} expiring {expiry}: no option or future of that expiry in the snapshot")]
    /// No forward for the coin's expiry.
    NoForward {
        /// The coin.
        coin: String,
        /// The expiry.
        expiry: Timestamp,
    },
    #[error("the snapshot has no option quotes")]
    /// No option quote at all.
    Empty,
    #[error("{0}")]
    /// A price or quote that cannot be used (what, and what was expected).
    BadQuote(String),
}

/// Market data at one instant.
#[derive(Debug, Clone, Default)]
pub struct MarketSnapshot {
    /// Valuation instant.
    pub as_of: Option<Timestamp>,
    /// Spot index, USD per coin.
    pub spot: BTreeMap<String, f64>,
    /// Option quotes by Deribit instrument name.
    pub options: HashMap<String, ChainQuote>,
    /// Forward (USD) per (coin, expiry), from the option chains' `underlying_price`.
    pub forwards: BTreeMap<(String, Timestamp), f64>,
    /// Perpetual and futures prices (USD) by instrument name.
    pub futures: HashMap<String, f64>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

impl MarketSnapshot {
    /// Build from chain rows (unreadable rows are skipped). Spot = median `index_price` per
    /// coin; forward per expiry = median `underlying_price`; `as_of` = the latest quote time.
    pub fn from_chain_rows(rows: impl IntoIterator<Item = ChainRow>) -> Result<Self, MarketError> {
        let mut snap = MarketSnapshot::default();
        let mut idx: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut fwd: BTreeMap<(String, Timestamp), Vec<f64>> = BTreeMap::new();
        for q in rows.into_iter().filter_map(|r| r.quote.ok()) {
            if let Instrument::Option { ref coin, expiry, .. } = q.instrument {
                if let Some(i) = q.index_price {
                    idx.entry(coin.clone()).or_default().push(i);
                }
                fwd.entry((coin.clone(), expiry)).or_default().push(q.forward);
                snap.as_of = snap.as_of.max(Some(q.timestamp));
                let name = instrument_key(&q.instrument);
                snap.options.insert(name, q);
            }
        }
        if snap.options.is_empty() {
            return Err(MarketError::Empty);
        }
        snap.spot = idx
            .into_iter()
            .filter_map(|(c, v)| median(v).map(|m| (c, m)))
            .collect();
        snap.forwards = fwd
            .into_iter()
            .filter_map(|(k, v)| median(v).map(|m| (k, m)))
            .collect();
        Ok(snap)
    }

    /// Spot index of `coin`.
    pub fn spot(&self, coin: &str) -> Result<f64, MarketError> {
        self.spot
            .get(coin)
            .copied()
            .ok_or_else(|| MarketError::NoSpot(coin.into()))
    }

    /// Forward of `coin` for `expiry`: a future's price if given, else the option chain's.
    pub fn forward(&self, coin: &str, expiry: Timestamp) -> Result<f64, MarketError> {
        self.forwards
            .get(&(coin.to_string(), expiry))
            .copied()
            .ok_or_else(|| MarketError::NoForward {
                coin: coin.into(),
                expiry,
            })
    }

    /// The option quote for an instrument.
    pub fn option(&self, instrument: &Instrument) -> Result<&ChainQuote, MarketError> {
        let key = instrument_key(instrument);
        self.options.get(&key).ok_or(MarketError::UnknownOption(key))
    }
}

/// A canonical key for an option (coin, expiry, strike, call/put), independent of how the
/// strike was written in the name.
pub fn instrument_key(i: &Instrument) -> String {
    match i {
        Instrument::Option {
            coin,
            expiry,
            strike,
            kind,
            ..
        } => format!(
            "{coin} {} {strike} {}",
            expiry.strftime("%Y-%m-%d %H:%M UTC"),
            if *kind == crate::instrument::OptionKind::Call {
                "call"
            } else {
                "put"
            }
        ),
        other => format!("{other:?}"),
    }
}
