//! Instruments: spot coins, perpetual swaps, dated futures and European options, with Deribit's
//! naming and conventions.
//!
//! | instrument | margin / settlement | size unit | P&L |
//! |---|---|---|---|
//! | `Spot` | — | coins | units × ΔP (USD) |
//! | `LinearPerp`, linear `Future` | USDT/USDC | coins | size × ΔP (USD) |
//! | `InversePerp`, inverse `Future` (Deribit BTC/ETH) | coin | USD notional | size × (1/entry − 1/exit) (coin) |
//! | `Option` coin-settled (Deribit) | coin | coins of underlying | premium and payoff in coin |
//! | `Option` USD-settled | USD | coins of underlying | premium and payoff in USD |
//!
//! Deribit options and dated futures expire at **08:00 UTC** on the date in their name.

mod deribit;

use crate::message::Num;

pub use deribit::{parse_deribit_name, DERIBIT_EXPIRY_HOUR_UTC};

use jiff::Timestamp;

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionKind {
    /// Call.
    Call,
    /// Put.
    Put,
}

impl OptionKind {
    /// +1 for a call, −1 for a put.
    pub fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }
}

/// Currency in which premium and P&L are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Settlement {
    /// In the underlying coin (Deribit BTC/ETH options, inverse futures).
    Coin,
    /// In USD (or a USD stablecoin).
    Usd,
}

/// Linear (USD-margined, size in coins) or inverse (coin-margined, size in USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Margining {
    /// USD-margined, size in coins.
    Linear,
    /// Coin-margined, size in USD notional.
    Inverse,
}

/// A tradable instrument.
#[derive(Debug, Clone, PartialEq)]
pub enum Instrument {
    /// Spot coin.
    /// Spot coin.
    Spot {
        /// The coin.
        coin: String,
    },
    /// Perpetual swap.
    /// Perpetual swap.
    Perpetual {
        /// Underlying coin.
        coin: String,
        /// Linear or inverse.
        margining: Margining,
    },
    /// Dated future expiring at `expiry`.
    Future {
        /// Underlying coin.
        coin: String,
        /// Expiry (08:00 UTC on Deribit).
        expiry: Timestamp,
        /// Linear or inverse.
        margining: Margining,
    },
    /// European option on the coin's forward (Deribit: the future of the same expiry).
    Option {
        /// Underlying coin.
        coin: String,
        /// Expiry (08:00 UTC on Deribit).
        expiry: Timestamp,
        /// Strike in USD.
        strike: f64,
        /// Call or put.
        kind: OptionKind,
        /// Coin or USD settlement.
        settlement: Settlement,
    },
}

impl Instrument {
    /// The underlying coin.
    pub fn coin(&self) -> &str {
        match self {
            Instrument::Spot { coin }
            | Instrument::Perpetual { coin, .. }
            | Instrument::Future { coin, .. }
            | Instrument::Option { coin, .. } => coin,
        }
    }

    /// Expiry, for dated instruments.
    pub fn expiry(&self) -> Option<Timestamp> {
        match self {
            Instrument::Future { expiry, .. } | Instrument::Option { expiry, .. } => Some(*expiry),
            _ => None,
        }
    }
}

/// The largest position size accepted (in the units of [`Position::size`]): 10¹² coins or
/// USD, beyond any real book, small enough that values and Greeks stay finite.
pub const MAX_POSITION_SIZE: f64 = 1e12;

/// A position in one instrument.
///
/// `size` units: **options** — coins of underlying (1 Deribit contract = 1 coin); **inverse**
/// perpetuals/futures — USD notional; **linear** perpetuals/futures and **spot** — coins.
/// Negative = short.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// The name as written (Deribit name, or a coin for spot).
    pub name: String,
    /// The instrument.
    pub instrument: Instrument,
    /// Size (see the struct docs for units); negative = short.
    pub size: f64,
    /// Where it is held.
    pub venue: String,
}

impl Position {
    /// Parse `name` (a Deribit name, or a bare coin such as `BTC` for spot).
    ///
    /// # Errors
    /// [`InstrumentError::BadName`] for a name that is neither a coin nor a Deribit name;
    /// [`InstrumentError::BadSize`] for a size that is NaN, infinite or larger in magnitude
    /// than [`MAX_POSITION_SIZE`].
    pub fn new(name: &str, size: f64, venue: &str) -> Result<Self, InstrumentError> {
        let name = name.trim();
        let instrument = if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
            Instrument::Spot { coin: name.into() }
        } else {
            parse_deribit_name(name)?
        };
        if !size.is_finite() || size.abs() > MAX_POSITION_SIZE {
            return Err(InstrumentError::BadSize {
                name: name.into(),
                size,
            });
        }
        Ok(Self {
            name: name.into(),
            instrument,
            size,
            venue: venue.into(),
        })
    }
}

/// # Errors
/// From instrument names.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InstrumentError {
    #[error("'{name}' is not a Deribit instrument name ({reason}); expected e.g. BTC-PERPETUAL, BTC-28MAR25, BTC-27DEC24-60000-C")]
    /// A name that is not a Deribit instrument name.
    BadName {
        /// The name.
        name: String,
        /// Which part is malformed.
        reason: String,
    },
    #[error("position '{name}' has size {}; a size must be a finite number of at most 1e12 in magnitude (coins, or USD for inverse contracts), negative for a short", Num(*size))]
    /// A size that is NaN, infinite or absurdly large.
    BadSize {
        /// The position's name.
        name: String,
        /// The size given.
        size: f64,
    },
}
