//! Deribit option-chain snapshots (the layout of `deribit_*_options_*.csv`).
//!
//! Required columns: `instrument_name`, `underlying_price` (USD forward of that expiry),
//! `mark_price` (coin), and `timestamp` (ISO 8601 UTC). Optional: `mark_iv` (percent),
//! `index_price`, `underlying_index`, `interest_rate`, `open_interest`, `best_bid_price` /
//! `best_ask_price` (coin), and Deribit's own `delta`, `gamma`, `vega`, `theta`. Expiry, strike
//! and call/put come from the instrument name (08:00 UTC expiry). A malformed row becomes a
//! [`ChainRow`] with an error naming the line; the rest of the chain is still read
//! (`crate::io::read_option_chain`).
//!
//! An option Deribit prices on the spot index (`underlying_index` = `index_price`, the shortest
//! expiries) gets its row's `index_price` as forward: the index at the time of the row's quote,
//! which is when Deribit computed its Greeks (a snapshot's `underlying_price` can be minutes
//! older).

use crate::instrument::Instrument;
use jiff::Timestamp;

/// One option quote of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainQuote {
    /// The instrument name as quoted.
    pub name: String,
    /// The parsed instrument (always `Instrument::Option`).
    pub instrument: Instrument,
    /// Quote time.
    pub timestamp: Timestamp,
    /// Forward for the option's expiry, USD per coin (`underlying_price`; the row's
    /// `index_price` for options priced on the index).
    pub forward: f64,
    /// Whether Deribit prices this option on the spot index (`underlying_index` =
    /// `index_price`).
    pub priced_on_index: bool,
    /// Mark price in coin per option on one coin (`mark_price`).
    pub mark_price: f64,
    /// Spot index, USD per coin (`index_price`), if given.
    pub index_price: Option<f64>,
    /// Deribit mark implied volatility as a fraction (`mark_iv` / 100).
    pub mark_iv: Option<f64>,
    /// Rounding unit of `mark_price` in the file, coin (1e-8 for 8 decimals).
    pub mark_tick: f64,
    /// Rounding unit of `mark_iv` in the file, as a fraction (1e-4 for 2 decimals of percent).
    pub iv_tick: f64,
    /// Continuously compounded rate (`interest_rate`, empty → 0).
    pub rate: f64,
    /// Open interest, contracts.
    pub open_interest: Option<f64>,
    /// Best bid in coin.
    pub bid: Option<f64>,
    /// Best ask in coin.
    pub ask: Option<f64>,
    /// Deribit's published delta.
    pub deribit_delta: Option<f64>,
    /// Deribit's published gamma, per USD.
    pub deribit_gamma: Option<f64>,
    /// Deribit's published vega, USD per vol point.
    pub deribit_vega: Option<f64>,
    /// Deribit's published theta, USD per day.
    pub deribit_theta: Option<f64>,
}

/// A chain row: the quote, or why the row could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainRow {
    /// 1-based line in the file.
    pub line: u64,
    /// The instrument name as written.
    pub instrument_name: String,
    /// The quote, or what is wrong with the row (naming file and line).
    pub quote: Result<ChainQuote, String>,
}
