//! A portfolio file's derivatives book: positions and the market snapshot they are valued on
//! (built by `crate::io::load_book`).

use crate::instrument::Position;
use crate::market::MarketSnapshot;

/// Positions (spot holdings first, then `[[position]]`s) and their market.
#[derive(Debug, Clone)]
pub struct Book {
    /// The positions, in file order.
    pub positions: Vec<Position>,
    /// What they are valued on.
    pub market: MarketSnapshot,
}
