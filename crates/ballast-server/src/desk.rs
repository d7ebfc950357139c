//! The desk: its books (a portfolio file's positions plus every committed fill), valued on the
//! market snapshot by the Ballast engine.

use crate::feed::Tick;
use crate::store::{Fill, FillRequest};
use ballast::book::{book_greeks, position_risk, Book, BookGreeks};
use ballast::instrument::Position;
use ballast::market::MarketSnapshot;
use serde::Serialize;
use std::collections::BTreeMap;

/// Largest |size| of a fill (coins or USD) and largest price.
pub const MAX_FILL: f64 = 1e12;

/// A book as configured: its id (in URLs), name, positions and market.
#[derive(Debug, Clone)]
pub struct BookSpec {
    /// URL-safe id (`[a-z0-9_-]`, 1–64 characters).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The book from the portfolio file (positions and market snapshot).
    pub book: Book,
}

/// One net position of a book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetPosition {
    /// Instrument name.
    pub instrument: String,
    /// Venue.
    pub venue: String,
    /// Net size: the file's plus the fills'.
    pub size: f64,
    /// Of which from fills.
    pub from_fills: f64,
}

/// A book's positions (`GET /api/books/{id}/portfolio`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Portfolio {
    /// Book id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Net positions (zero ones left out).
    pub positions: Vec<NetPosition>,
    /// Fills applied.
    pub fills: usize,
}

/// A book's line in `GET /api/books`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookSummary {
    /// Book id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Net positions.
    pub positions: usize,
    /// Fills applied.
    pub fills: usize,
}

#[derive(Debug, Clone)]
struct BookState {
    spec: BookSpec,
    /// The market as the file gave it (a replay starting over returns to it).
    original: MarketSnapshot,
    /// (instrument, venue) → size from fills.
    fills: BTreeMap<(String, String), f64>,
    fill_count: usize,
}

/// Every book of the desk.
#[derive(Debug, Clone, Default)]
pub struct Desk {
    books: BTreeMap<String, BookState>,
}

/// Why a request about a book fails.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No such book.
    #[error("no book '{0}' (GET /api/books lists them)")]
    UnknownBook(String),
    /// A fill that cannot be booked (what is wrong and how to fix it).
    #[error("{0}")]
    BadFill(String),
    /// The engine cannot value the book.
    #[error(transparent)]
    Engine(#[from] ballast::book::BookError),
}

impl Desk {
    /// A desk of `books`.
    ///
    /// # Errors
    /// Two books with one id, or an id that is not URL-safe.
    pub fn new(books: Vec<BookSpec>) -> Result<Desk, DeskError> {
        let mut d = Desk::default();
        for spec in books {
            let ok = !spec.id.is_empty()
                && spec.id.len() <= 64
                && spec
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !ok {
                return Err(DeskError::BadFill(format!(
                    "book id '{}': 1–64 characters among a–z, 0–9, - and _",
                    spec.id
                )));
            }
            if d.books.contains_key(&spec.id) {
                return Err(DeskError::BadFill(format!("two books with the id '{}'", spec.id)));
            }
            d.books.insert(
                spec.id.clone(),
                BookState {
                    original: spec.book.market.clone(),
                    spec,
                    fills: BTreeMap::new(),
                    fill_count: 0,
                },
            );
        }
        Ok(d)
    }

    /// The books' ids and names.
    pub fn ids(&self) -> Vec<(String, String)> {
        self.books
            .values()
            .map(|b| (b.spec.id.clone(), b.spec.name.clone()))
            .collect()
    }

    /// That book `id` exists.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn check_book(&self, id: &str) -> Result<(), DeskError> {
        self.get(id).map(|_| ())
    }

    fn get(&self, id: &str) -> Result<&BookState, DeskError> {
        self.books
            .get(id)
            .ok_or_else(|| DeskError::UnknownBook(id.to_string()))
    }

    /// Check a fill before it is stored: a known book, a key of 1–128 visible characters, an
    /// instrument Ballast parses and the market snapshot can value, a finite non-zero size and
    /// a positive price, both at most [`MAX_FILL`].
    ///
    /// # Errors
    /// [`DeskError`] saying what is wrong.
    pub fn check_fill(&self, book: &str, f: &FillRequest) -> Result<(), DeskError> {
        let b = self.get(book)?;
        let bad = |m: String| Err(DeskError::BadFill(m));
        if f.key.is_empty() || f.key.len() > 128 || f.key.chars().any(|c| c.is_control()) {
            return bad("key: 1 to 128 printable characters (the client's idempotency key)".into());
        }
        if !(f.size.is_finite() && f.size != 0.0 && f.size.abs() <= MAX_FILL) {
            return bad(format!(
                "size {}: a finite non-zero number of at most {MAX_FILL:e} in absolute value (positive buys)",
                f.size
            ));
        }
        if !(f.price.is_finite() && f.price > 0.0 && f.price <= MAX_FILL) {
            return bad(format!(
                "price {}: a positive number of at most {MAX_FILL:e}",
                f.price
            ));
        }
        let venue = f.venue.as_deref().unwrap_or("deribit");
        if venue.is_empty() || venue.len() > 32 {
            return bad("venue: 1 to 32 characters".into());
        }
        let p = Position::new(&f.instrument, f.size, venue)
            .map_err(|e| DeskError::BadFill(format!("instrument '{}': {e}", f.instrument)))?;
        position_risk(&p, &b.spec.book.market).map_err(|e| {
            DeskError::BadFill(format!(
                "instrument '{}': the market snapshot cannot value it ({e})",
                f.instrument
            ))
        })?;
        Ok(())
    }

    /// Apply a committed fill.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn apply(&mut self, f: &Fill) -> Result<(), DeskError> {
        let b = self
            .books
            .get_mut(&f.book)
            .ok_or_else(|| DeskError::UnknownBook(f.book.clone()))?;
        *b.fills
            .entry((f.instrument.clone(), f.venue.clone()))
            .or_default() += f.size;
        b.fill_count += 1;
        Ok(())
    }

    /// The net positions of `book`.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn portfolio(&self, book: &str) -> Result<Portfolio, DeskError> {
        let b = self.get(book)?;
        let mut net: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
        for p in &b.spec.book.positions {
            net.entry((p.name.clone(), p.venue.clone())).or_default().0 += p.size;
        }
        for (k, s) in &b.fills {
            let e = net.entry(k.clone()).or_default();
            e.0 += s;
            e.1 += s;
        }
        Ok(Portfolio {
            id: b.spec.id.clone(),
            name: b.spec.name.clone(),
            positions: net
                .into_iter()
                .filter(|(_, (s, _))| *s != 0.0)
                .map(|((instrument, venue), (size, from_fills))| NetPosition {
                    instrument,
                    venue,
                    size,
                    from_fills,
                })
                .collect(),
            fills: b.fill_count,
        })
    }

    /// Every book's summary.
    pub fn summaries(&self) -> Vec<BookSummary> {
        self.books
            .keys()
            .filter_map(|id| self.portfolio(id).ok())
            .map(|p| BookSummary {
                id: p.id,
                name: p.name,
                positions: p.positions.len(),
                fills: p.fills,
            })
            .collect()
    }

    /// The book `id` as the engine's [`Book`]: its net positions on its market.
    ///
    /// # Errors
    /// [`DeskError`]: unknown book; a position that no longer parses.
    pub fn book(&self, id: &str) -> Result<Book, DeskError> {
        let p = self.portfolio(id)?;
        let market: MarketSnapshot = self.get(id)?.spec.book.market.clone();
        let positions = p
            .positions
            .iter()
            .map(|n| {
                Position::new(&n.instrument, n.size, &n.venue)
                    .map_err(|e| DeskError::BadFill(format!("{}: {e}", n.instrument)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Book { positions, market })
    }

    /// The Greeks of book `id` (the engine's [`BookGreeks`]).
    ///
    /// # Errors
    /// [`DeskError`]: unknown book; a position the snapshot cannot value.
    pub fn greeks(&self, id: &str) -> Result<BookGreeks, DeskError> {
        let b = self.book(id)?;
        Ok(book_greeks(&b.positions, &b.market)?)
    }
}

/// Which of a market's prices a tick moved.
fn apply_to_market(m: &mut MarketSnapshot, t: &Tick) -> bool {
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).ok();
    let mut moved = false;
    let option =
        |m: &mut MarketSnapshot, name: &str, mark: f64, iv: Option<f64>, fwd: Option<f64>, ms: i64| {
            let Ok(p) = Position::new(name, 1.0, "deribit") else {
                return false;
            };
            let Some(q) = m.options.get_mut(&ballast::market::instrument_key(&p.instrument)) else {
                return false;
            };
            q.mark_price = mark;
            if let Some(v) = iv {
                q.mark_iv = Some(v);
            }
            if let Some(f) = fwd {
                q.forward = f;
            }
            if let Some(ts) = at(ms) {
                q.timestamp = ts;
            }
            true
        };
    match t {
        Tick::Index { coin, price, .. } => {
            if let Some(s) = m.spot.get_mut(coin) {
                *s = *price;
                moved = true;
            }
        }
        Tick::Ticker {
            instrument,
            mark_price,
            mark_iv,
            underlying_price,
            timestamp,
            ..
        } => {
            if m.futures.contains_key(instrument) {
                m.futures.insert(instrument.clone(), *mark_price);
                moved = true;
            } else {
                moved = option(
                    m,
                    instrument,
                    *mark_price,
                    mark_iv.map(|v| v / 100.0),
                    *underlying_price,
                    *timestamp,
                );
            }
        }
        Tick::MarkPrices { marks, timestamp, .. } => {
            for (name, mark, iv) in marks {
                moved |= option(m, name, *mark, Some(*iv), None, *timestamp);
            }
        }
    }
    if moved {
        // the valuation instant moves with the data: options decay
        if let Some(ts) = at(t.timestamp()) {
            m.as_of = m.as_of.max(Some(ts));
        }
    }
    moved
}

impl Desk {
    /// Apply a market-data tick to every book's snapshot: a spot index, a futures or
    /// perpetual mark, an option's mark, implied vol and forward (an option's whole chain for
    /// a `markprice.options` tick). The valuation instant moves to the tick's time.
    ///
    /// Returns whether any book knew what the tick moves (`false`: an unknown instrument).
    pub fn apply_tick(&mut self, t: &Tick) -> bool {
        let mut known = false;
        for b in self.books.values_mut() {
            known |= apply_to_market(&mut b.spec.book.market, t);
        }
        known
    }

    /// Every book's market back to its file's snapshot.
    pub fn reset_markets(&mut self) {
        for b in self.books.values_mut() {
            b.spec.book.market = b.original.clone();
        }
    }

    /// The instruments the books hold and the coins they are on (what to subscribe to).
    pub fn instruments(&self) -> (Vec<String>, Vec<String>) {
        let mut names: Vec<String> = Vec::new();
        let mut coins: Vec<String> = Vec::new();
        for id in self.books.keys() {
            if let Ok(p) = self.portfolio(id) {
                for n in p.positions {
                    if let Ok(pos) = Position::new(&n.instrument, 1.0, &n.venue) {
                        let coin = pos.instrument.coin().to_string();
                        if !coins.contains(&coin) {
                            coins.push(coin);
                        }
                        if !matches!(pos.instrument, ballast::instrument::Instrument::Spot { .. })
                            && !names.contains(&n.instrument)
                        {
                            names.push(n.instrument);
                        }
                    }
                }
            }
        }
        (names, coins)
    }

    /// The P&L of book `id`'s positions from the market it started on (the file's; a replay's
    /// first day) to now ([`ballast::book::pnl_between`]).
    ///
    /// # Errors
    /// [`DeskError`]: unknown book; a position either snapshot cannot value.
    pub fn pnl_since_start(&self, id: &str) -> Result<ballast::book::BookPnl, DeskError> {
        let b = self.book(id)?;
        Ok(ballast::book::pnl_between(
            &b.positions,
            &self.get(id)?.original,
            &b.market,
        )?)
    }

    /// The market snapshot of book `id`.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn market(&self, id: &str) -> Result<&MarketSnapshot, DeskError> {
        Ok(&self.get(id)?.spec.book.market)
    }
}
