//! A derivatives book: positions (spot, perpetuals, futures, options) valued on a market
//! snapshot — position values and Greeks ([`position_risk`]), totals per underlying, expiry
//! bucket and venue ([`book_greeks`]), and scenario P&L by full revaluation ([`scenario_pnl`]).
//!
//! Convention: a spot move of x shifts every forward and futures price of that coin by the same
//! x (proportional moves, fixed basis), so Greeks are with respect to the **spot index** S and
//! scenario P&L is a full revaluation. Units are Deribit's (see [`crate::pricing`]).

mod greeks;
mod live;
mod pnl;
mod position;
mod scenario;

pub use greeks::{book_greeks, expiry_bucket, BookGreeks, GreeksTotals, PositionLine};
pub use live::LiveBook;
pub use pnl::{pnl_between, trade_pnl, BookPnl, PositionPnl};
pub(crate) use position::{linear_price, option_setup};
pub use position::{position_risk, position_ticker, position_value, PositionRisk, PositionTicker, Shock};
pub use scenario::{scenario_pnl, ScenarioPnl, STANDARD_SHOCKS};

use crate::instrument::Position;
use crate::market::{MarketError, MarketSnapshot};
use crate::pricing::PricingError;

/// # Errors
/// From valuing a book.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// An option that cannot be priced (expired, bad volatility, ...).
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// Market data the position needs is missing from the snapshot.
    #[error(transparent)]
    Market(#[from] MarketError),
    /// The error of one position, naming it.
    #[error("position {name}: {error}")]
    Position {
        /// The position's instrument name.
        name: String,
        /// What went wrong.
        error: Box<BookError>,
    },
}

impl BookError {
    /// This error, naming the position it is about.
    pub(crate) fn at(self, p: &Position) -> Self {
        BookError::Position {
            name: p.name.clone(),
            error: Box::new(self),
        }
    }
}

/// Positions (spot holdings first, then derivatives) and the market they are valued on (built
/// from a portfolio file by `crate::io::load_book`).
#[derive(Debug, Clone)]
pub struct Book {
    /// The positions, in file order.
    pub positions: Vec<Position>,
    /// What they are valued on.
    pub market: MarketSnapshot,
}
