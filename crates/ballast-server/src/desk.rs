//! The desk: its books (a portfolio file's positions plus every committed fill), each kept
//! valued by the engine's [`LiveBook`]: a tick reprices only the positions it touches, and
//! the valuation instant (options' time to expiry) moves on the service's cadence
//! ([`Desk::advance_clocks`]), not on every tick.

use crate::feed::Tick;
use crate::store::{Fill, FillRequest};
use ballast::book::{position_risk, Book, BookGreeks, GreeksTotals, LiveBook};
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
    /// What its VaR and margin are computed from (`None`: Greeks and P&L only).
    pub risk: Option<std::sync::Arc<crate::risk::RiskInputs>>,
    /// Its limits from the file (`[risk.limits]`), set at start-up when not empty.
    pub limits: BTreeMap<String, f64>,
}

/// One net position of a book.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
    /// The net positions valued on the market as the ticks left it.
    live: LiveBook,
    /// The latest tick's time, not yet the valuation instant.
    clock: Option<jiff::Timestamp>,
    /// The trading day (the P&L since 00:00 UTC).
    day: Option<crate::day::TradingDay>,
}

/// What a tick did to the desk.
#[derive(Debug, Clone, PartialEq)]
pub enum TickOutcome {
    /// At least one book's market moved.
    Applied,
    /// No book knows what it moves.
    Unknown,
    /// A book knows the instrument but the engine refused the prices (why).
    Refused(String),
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
            let live = LiveBook::new(spec.book.positions.clone(), spec.book.market.clone());
            let day = crate::day::TradingDay::open(&live);
            d.books.insert(
                spec.id.clone(),
                BookState {
                    original: spec.book.market.clone(),
                    spec,
                    fills: BTreeMap::new(),
                    fill_count: 0,
                    live,
                    clock: None,
                    day,
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
        position_risk(&p, b.live.market()).map_err(|e| {
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
        let positions = net_positions(b)?;
        b.live = LiveBook::new(positions, b.live.market().clone());
        if let Ok(p) = Position::new(&f.instrument, f.size, &f.venue) {
            if let Some(d) = b.day.as_mut() {
                d.fill(p, f.price, &b.live);
            }
        }
        Ok(())
    }

    /// The net positions of `book`.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn portfolio(&self, book: &str) -> Result<Portfolio, DeskError> {
        let b = self.get(book)?;
        Ok(Portfolio {
            id: b.spec.id.clone(),
            name: b.spec.name.clone(),
            positions: net(b),
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
        let b = self.get(id)?;
        Ok(Book {
            positions: b.live.positions().to_vec(),
            market: b.live.market().clone(),
        })
    }

    /// The Greeks of book `id` (the engine's [`BookGreeks`]), from its live valuation.
    ///
    /// # Errors
    /// [`DeskError`]: unknown book; a position the snapshot cannot value.
    pub fn greeks(&self, id: &str) -> Result<BookGreeks, DeskError> {
        Ok(self.get(id)?.live.greeks()?)
    }

    /// Book `id`'s totals as the last tick left them.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn totals(&self, id: &str) -> Result<LiveTotals<'_>, DeskError> {
        let l = &self.get(id)?.live;
        let errors = l
            .errors()
            .into_iter()
            .map(|(p, e)| format!("position {}: {e}", p.name))
            .collect();
        Ok(LiveTotals {
            total: l.total(),
            by_underlying: l.by_underlying(),
            errors,
        })
    }
}

/// A book's live totals ([`Desk::totals`]).
#[derive(Debug, Clone)]
pub struct LiveTotals<'a> {
    /// USD-additive totals (coin-denominated fields NaN).
    pub total: GreeksTotals,
    /// Totals per underlying.
    pub by_underlying: &'a BTreeMap<String, GreeksTotals>,
    /// The positions it cannot value (`position NAME: why`).
    pub errors: Vec<String>,
}

/// A book's net positions: the file's plus the fills' (zero ones left out).
fn net(b: &BookState) -> Vec<NetPosition> {
    let mut net: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for p in &b.spec.book.positions {
        net.entry((p.name.clone(), p.venue.clone())).or_default().0 += p.size;
    }
    for (k, s) in &b.fills {
        let e = net.entry(k.clone()).or_default();
        e.0 += s;
        e.1 += s;
    }
    net.into_iter()
        .filter(|(_, (s, _))| *s != 0.0)
        .map(|((instrument, venue), (size, from_fills))| NetPosition {
            instrument,
            venue,
            size,
            from_fills,
        })
        .collect()
}

/// The net positions parsed.
fn net_positions(b: &BookState) -> Result<Vec<Position>, DeskError> {
    net(b)
        .iter()
        .map(|n| {
            Position::new(&n.instrument, n.size, &n.venue)
                .map_err(|e| DeskError::BadFill(format!("{}: {e}", n.instrument)))
        })
        .collect()
}

/// Apply tick `t` to one live book: whether it knew what the tick moves, or why the engine
/// refused it.
fn apply_to_book(live: &mut LiveBook, t: &Tick) -> Result<bool, String> {
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).ok();
    let option = |live: &mut LiveBook, name: &str, mark: f64, iv: Option<f64>, fwd: Option<f64>, ms: i64| {
        let Ok(p) = Position::new(name, 1.0, "deribit") else {
            return Ok(false);
        };
        match live.set_option_quote(&p.instrument, mark, iv, fwd, at(ms)) {
            Ok(_) => Ok(true),
            Err(ballast::book::BookError::Market(ballast::market::MarketError::UnknownOption(_))) => {
                Ok(false)
            }
            Err(e) => Err(e.to_string()),
        }
    };
    match t {
        Tick::Index { coin, price, .. } => {
            let known = live.market().spot.contains_key(coin);
            live.set_spot(coin, *price).map_err(|e| e.to_string())?;
            Ok(known)
        }
        Tick::Ticker {
            instrument,
            mark_price,
            mark_iv,
            underlying_price,
            timestamp,
            ..
        } => {
            if live.market().futures.contains_key(instrument) {
                live.set_future_price(instrument, *mark_price)
                    .map_err(|e| e.to_string())?;
                Ok(true)
            } else {
                option(
                    live,
                    instrument,
                    *mark_price,
                    mark_iv.map(|v| v / 100.0),
                    *underlying_price,
                    *timestamp,
                )
            }
        }
        Tick::MarkPrices { marks, timestamp, .. } => {
            // one line refused leaves the rest of the chain applied
            let mut known = false;
            let mut refused = None;
            for (name, mark, iv) in marks {
                match option(live, name, *mark, Some(*iv), None, *timestamp) {
                    Ok(k) => known |= k,
                    Err(e) => refused = Some(e),
                }
            }
            match refused {
                Some(e) if !known => Err(e),
                _ => Ok(known),
            }
        }
    }
}

impl Desk {
    /// Apply a market-data tick to every book: a spot index (every price of the coin moves
    /// with it), a futures or perpetual mark, an option's mark, implied vol and forward (an
    /// option's whole chain for a `markprice.options` tick). Only the positions it touches
    /// are repriced; the tick's time becomes the valuation instant at the next
    /// [`Desk::advance_clocks`].
    pub fn apply_tick(&mut self, t: &Tick) -> TickOutcome {
        let mut known = false;
        let mut refused = None;
        let at = jiff::Timestamp::from_millisecond(t.timestamp()).ok();
        for b in self.books.values_mut() {
            match apply_to_book(&mut b.live, t) {
                Ok(true) => {
                    known = true;
                    b.clock = b.clock.max(at);
                }
                Ok(false) => {}
                Err(e) => refused = Some(e),
            }
        }
        match (known, refused) {
            (true, _) => TickOutcome::Applied,
            (false, Some(e)) => TickOutcome::Refused(e),
            (false, None) => TickOutcome::Unknown,
        }
    }

    /// Move every book's valuation instant to its latest tick's time (if later) and revalue
    /// it from scratch: options decay, and the totals are summed afresh. The service calls
    /// it on its cadence.
    pub fn advance_clocks(&mut self) {
        for b in self.books.values_mut() {
            if let Some(t) = b.clock.take() {
                if b.live.market().as_of.is_none_or(|a| t > a) {
                    b.live.advance(t);
                    b.day = match b.day.take() {
                        Some(d) => d.roll(&b.live),
                        None => crate::day::TradingDay::open(&b.live),
                    };
                }
            }
        }
    }

    /// Each venue's share of book `id`'s gross delta: Σ over underlyings of |delta USD| at the
    /// venue ÷ the same over every venue (lower-case venue names; empty without delta).
    ///
    /// # Errors
    /// [`DeskError`]: unknown book; a position the snapshot cannot value.
    pub fn venue_shares(&self, id: &str) -> Result<BTreeMap<String, f64>, DeskError> {
        let g = self.get(id)?.live.greeks()?;
        let mut gross: BTreeMap<String, f64> = BTreeMap::new();
        for ((_, venue), t) in &g.by_venue {
            *gross.entry(venue.to_lowercase()).or_default() += t.delta_usd.abs();
        }
        let all: f64 = gross.values().sum();
        if !(all > 0.0) {
            return Ok(BTreeMap::new());
        }
        Ok(gross.into_iter().map(|(v, x)| (v, x / all)).collect())
    }

    /// A desk of book `id` alone, copied: the snapshot values it after releasing the desk's
    /// lock, so the feed never waits for that work.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn single(&self, id: &str) -> Result<Desk, DeskError> {
        let b = self.get(id)?.clone();
        Ok(Desk {
            books: BTreeMap::from([(id.to_string(), b)]),
        })
    }

    /// Whether book `id` has risk inputs (a VaR and margin round runs for it).
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn has_risk(&self, id: &str) -> Result<bool, DeskError> {
        Ok(self.get(id)?.spec.risk.is_some())
    }

    /// Each book with risk inputs, copied for a risk round: (id, its net positions on its
    /// market now, the inputs).
    pub fn risk_jobs(&self) -> Vec<(String, Book, std::sync::Arc<crate::risk::RiskInputs>)> {
        self.books
            .values()
            .filter_map(|b| {
                let inputs = b.spec.risk.clone()?;
                let book = Book {
                    positions: b.live.positions().to_vec(),
                    market: b.live.market().clone(),
                };
                Some((b.spec.id.clone(), book, inputs))
            })
            .collect()
    }

    /// Every book's market back to its file's snapshot.
    pub fn reset_markets(&mut self) {
        for b in self.books.values_mut() {
            let positions = b.live.positions().to_vec();
            b.live = LiveBook::new(positions, b.original.clone());
            b.clock = None;
            b.day = crate::day::TradingDay::open(&b.live);
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
        let b = self.get(id)?;
        Ok(ballast::book::pnl_between(
            b.live.positions(),
            &b.original,
            b.live.market(),
        )?)
    }

    /// The P&L of book `id` since 00:00 UTC of its valuation date (the day's open as first
    /// seen: the book's start, or the first revaluation after midnight), USD, and the date:
    /// the positions held at the open from the open's market, plus each fill since from its
    /// own price.
    ///
    /// # Errors
    /// [`DeskError`]: unknown book; a position or fill the snapshots cannot value.
    pub fn pnl_today(&self, id: &str) -> Result<Option<(jiff::civil::Date, f64)>, DeskError> {
        let b = self.get(id)?;
        match &b.day {
            Some(d) => Ok(Some((d.date, d.pnl(b.live.market())?))),
            None => Ok(None),
        }
    }

    /// The market snapshot of book `id`.
    ///
    /// # Errors
    /// [`DeskError::UnknownBook`].
    pub fn market(&self, id: &str) -> Result<&MarketSnapshot, DeskError> {
        Ok(self.get(id)?.live.market())
    }
}
