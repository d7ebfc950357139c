//! A book's trading day: the market and positions at its open (00:00 UTC of the valuation
//! instant's date, as first seen) and the fills since, for the P&L since the day began.

use ballast::book::{pnl_between, trade_pnl, BookError, LiveBook};
use ballast::instrument::Position;
use ballast::market::MarketSnapshot;
use jiff::civil::Date;

/// Most fills one day keeps (a day with more starts its P&L over from the book as it is).
pub const MAX_DAY_FILLS: usize = 1_000_000;

/// One trading day of a book.
#[derive(Debug, Clone)]
pub struct TradingDay {
    /// The UTC date.
    pub date: Date,
    open: MarketSnapshot,
    positions: Vec<Position>,
    fills: Vec<(Position, f64)>,
}

impl TradingDay {
    /// The day of `live`'s valuation instant, opening on its market and positions now
    /// (`None` without a valuation instant).
    pub fn open(live: &LiveBook) -> Option<TradingDay> {
        let date = live.market().as_of?.to_zoned(jiff::tz::TimeZone::UTC).date();
        Some(TradingDay {
            date,
            open: live.market().clone(),
            positions: live.positions().to_vec(),
            fills: Vec::new(),
        })
    }

    /// A new day when `live`'s valuation instant has moved to another date, else this one.
    pub fn roll(self, live: &LiveBook) -> Option<TradingDay> {
        match TradingDay::open(live) {
            Some(d) if d.date != self.date => Some(d),
            _ => Some(self),
        }
    }

    /// Record a fill of `p` at `price` (the instrument's quote) done today.
    pub fn fill(&mut self, p: Position, price: f64, live: &LiveBook) {
        if self.fills.len() >= MAX_DAY_FILLS {
            if let Some(d) = TradingDay::open(live) {
                *self = d;
            }
            return;
        }
        self.fills.push((p, price));
    }

    /// The P&L since the day's open, USD: the positions held at the open from the open's
    /// market to `now` ([`pnl_between`]) plus each fill since from its own price
    /// ([`trade_pnl`]).
    ///
    /// # Errors
    /// A position or fill one of the snapshots cannot value.
    pub fn pnl(&self, now: &MarketSnapshot) -> Result<f64, BookError> {
        let mut total = pnl_between(&self.positions, &self.open, now)?.total_usd;
        for (p, price) in &self.fills {
            total += trade_pnl(p, *price, now)?;
        }
        Ok(total)
    }
}
