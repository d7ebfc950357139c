//! Margin as exchanges compute it: Deribit's portfolio margin ([`deribit`]), and liquidation
//! prices of isolated perpetual positions ([`liquidation`]), Binance's tiered cross margin of
//! linear perpetuals in a book ([`tiered`]), exposure per venue ([`venue`]).

pub mod accounts;
pub mod deribit;
pub mod liquidation;
pub mod tiered;
pub mod venue;

/// # Errors
/// From margin models.
#[derive(Debug, thiserror::Error)]
pub enum MarginError {
    /// A parameter missing or out of range (naming the key).
    #[error("margin parameters: {0}")]
    Params(String),
    /// An instrument the model does not cover.
    #[error("instrument {0}")]
    Instrument(String),
    /// Missing or bad market data or positions.
    #[error("{0}")]
    Input(String),
}
