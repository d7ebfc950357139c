//! `report` of a book that holds derivatives: its Greeks, its VaR and expected shortfall by
//! full revaluation, and its stress tests, in one result.

use super::{book_var, stress, BookVarReport, BookVarRequest, StressReport};
use crate::book::{book_greeks, Book, BookGreeks};
use crate::scenario::UserScenario;
use crate::Result;
use serde::Serialize;

/// What `report` returns for a derivatives book.
#[derive(Debug, Clone, Serialize)]
pub struct BookReport {
    /// Position values and Greeks, totals per underlying, expiry and venue.
    pub greeks: BookGreeks,
    /// VaR and ES by every method at 1 and 10 days.
    pub var: BookVarReport,
    /// The stress tests.
    pub stress: StressReport,
}

/// Greeks, [`book_var`] and [`stress`] of `book` (the stress scenarios with `user`'s).
///
/// # Errors
/// Those of the three.
pub fn book_report(book: &Book, req: &BookVarRequest, user: &[UserScenario]) -> Result<BookReport> {
    Ok(BookReport {
        greeks: book_greeks(&book.positions, &book.market)?,
        var: book_var(book, req)?,
        stress: stress(book, req.prices, req.vol_history, user, req.equity_usd)?,
    })
}
