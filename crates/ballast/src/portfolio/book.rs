//! A portfolio file's derivatives book: positions and the market snapshot they are valued on.

use super::PortfolioFile;
use crate::data::{read_futures_prices, read_option_chain};
use crate::instrument::Position;
use crate::market::MarketSnapshot;
use crate::Result;

/// Positions (spot holdings first, then `[[position]]`s) and their market.
#[derive(Debug, Clone)]
pub struct Book {
    pub positions: Vec<Position>,
    pub market: MarketSnapshot,
}

/// Build the book: read `[market] chains` (and `futures`), parse every position name.
///
/// Errors: no `[market]` section or chain, unreadable files, malformed instrument names (naming
/// the position), a bad `as_of`.
pub fn load_book(pf: &PortfolioFile) -> Result<Book> {
    let market = pf.market.as_ref().ok_or_else(|| {
        pf.invalid("Greeks need a [market] section with chains = [\"...options.csv\"]".into())
    })?;
    if market.chains.is_empty() {
        return Err(pf
            .invalid("[market] chains is empty: give at least one Deribit option chain".into())
            .into());
    }
    let mut rows = Vec::new();
    for c in &market.chains {
        rows.extend(read_option_chain(pf.resolve(c))?);
    }
    let mut snap = MarketSnapshot::from_chain_rows(rows)?;
    if let Some(s) = &market.as_of {
        snap.as_of =
            Some(s.parse().map_err(|_| {
                pf.invalid(format!("[market] as_of = '{s}' is not an ISO 8601 UTC timestamp"))
            })?);
    }
    for (coin, px) in &market.spot {
        if !(px.is_finite() && *px > 0.0) {
            return Err(pf
                .invalid(format!("[market] spot {coin} = {px} must be > 0"))
                .into());
        }
        snap.spot.insert(coin.clone(), *px);
    }
    if let Some(f) = &market.futures {
        snap.futures = read_futures_prices(pf.resolve(f), snap.as_of)?;
    }
    let mut positions = Vec::new();
    for h in &pf.holdings {
        positions.push(Position::new(
            &h.asset,
            h.units,
            h.venue.as_deref().unwrap_or("spot"),
        )?);
    }
    for p in &pf.positions {
        let pos = Position::new(&p.instrument, p.size, p.venue.as_deref().unwrap_or("deribit"))
            .map_err(|e| pf.invalid(format!("[[position]] {}: {e}", p.instrument)))?;
        positions.push(pos);
    }
    if positions.is_empty() {
        return Err(pf
            .invalid("no [[holding]] or [[position]] to value".into())
            .into());
    }
    Ok(Book {
        positions,
        market: snap,
    })
}
