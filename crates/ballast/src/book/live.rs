//! A book kept valued as market data arrives: each tick reprices only the positions it
//! touches and updates the totals by difference, so a tick costs what it moves, not what the
//! book holds.
//!
//! - [`LiveBook::set_spot`]: a spot index tick. Every price of that coin moves by the same
//!   factor S′/S (the book's fixed-basis convention, as in [`super::position_value`]): every
//!   forward, futures price and option forward of the coin scales by it, and each option held
//!   is revalued at its forward F′ = F·S′/S and unchanged volatility (sticky strike):
//!   mark′ = max(mark + B(F′, σ) − B(F, σ), 0), [`super::position_value`] under that spot
//!   shock (floored at zero: where the mark sat under the model, a large move could take it
//!   negative). A quote not held keeps its mark in coin until its own tick.
//! - [`LiveBook::set_option_quote`]: one option's mark, mark IV and forward (a ticker or one
//!   line of the whole chain's marks); the positions on it are re-resolved on the snapshot
//!   (the volatility chosen as [`crate::pricing::quote_greeks`] chooses it).
//! - [`LiveBook::set_future_price`]: one perpetual's or future's mark.
//! - [`LiveBook::advance`]: the valuation instant moves (options decay); every position is
//!   revalued from the snapshot and the totals summed afresh (no drift from differencing).
//!
//! A tick whose prices cannot value a position it touches (a zero mark, a non-positive
//! forward) is refused whole: the book and its snapshot stay as they were. A position the
//! snapshot cannot value at all (no quote, expired) is kept, valued at zero, and reported by
//! [`LiveBook::errors`].

use super::greeks::{expiry_bucket, BookGreeks, GreeksTotals, PositionLine};
use super::position::{option_risk, option_setup, OptionSetup};
use super::{position_risk, BookError, PositionRisk};
use crate::instrument::{Instrument, Position};
use crate::market::{instrument_key, MarketError, MarketSnapshot};
use crate::pricing::Black76;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// One position's cached valuation.
#[derive(Debug, Clone)]
struct Line {
    /// Its value and Greeks (zero while it cannot be valued).
    risk: PositionRisk,
    /// An option's Black-76 resolution (what an index tick reprices).
    setup: Option<OptionSetup>,
    /// Why it cannot be valued.
    error: Option<String>,
}

/// A book valued incrementally on a market snapshot it owns.
#[derive(Debug, Clone)]
pub struct LiveBook {
    positions: Vec<Position>,
    market: MarketSnapshot,
    lines: Vec<Line>,
    /// Positions per coin.
    by_coin: HashMap<String, Vec<usize>>,
    /// Option positions per quote key ([`instrument_key`]).
    by_option: HashMap<String, Vec<usize>>,
    /// Perpetual and futures positions per instrument name.
    by_future: HashMap<String, Vec<usize>>,
    /// The snapshot's option quote keys per coin (an index tick moves their forwards).
    quotes_by_coin: HashMap<String, Vec<String>>,
    /// The snapshot's perpetual and futures names per coin (an index tick moves their prices).
    futures_by_coin: HashMap<String, Vec<String>>,
    /// Sums over the valued positions (coin fields summed too; hidden in [`Self::total`]).
    total: GreeksTotals,
    by_underlying: BTreeMap<String, GreeksTotals>,
}

impl LiveBook {
    /// Value `positions` on `market`.
    pub fn new(positions: Vec<Position>, market: MarketSnapshot) -> LiveBook {
        let mut b = LiveBook {
            lines: Vec::with_capacity(positions.len()),
            by_coin: HashMap::new(),
            by_option: HashMap::new(),
            by_future: HashMap::new(),
            quotes_by_coin: HashMap::new(),
            futures_by_coin: HashMap::new(),
            total: GreeksTotals::default(),
            by_underlying: BTreeMap::new(),
            positions,
            market,
        };
        for (i, p) in b.positions.iter().enumerate() {
            b.by_coin
                .entry(p.instrument.coin().to_string())
                .or_default()
                .push(i);
            match &p.instrument {
                Instrument::Option { .. } => b
                    .by_option
                    .entry(instrument_key(&p.instrument))
                    .or_default()
                    .push(i),
                Instrument::Perpetual { .. } | Instrument::Future { .. } => {
                    b.by_future.entry(p.name.clone()).or_default().push(i)
                }
                Instrument::Spot { .. } => {}
            }
        }
        for (key, q) in &b.market.options {
            b.quotes_by_coin
                .entry(q.instrument.coin().to_string())
                .or_default()
                .push(key.clone());
        }
        let names: Vec<String> = b.market.futures.keys().cloned().collect();
        for name in names {
            b.index_future(&name);
        }
        b.revalue();
        b
    }

    /// File a futures price's name under its coin (names that do not parse are left alone).
    fn index_future(&mut self, name: &str) {
        if let Ok(p) = Position::new(name, 1.0, "deribit") {
            let list = self
                .futures_by_coin
                .entry(p.instrument.coin().to_string())
                .or_default();
            if !list.iter().any(|n| n == name) {
                list.push(name.to_string());
            }
        }
    }

    /// The positions, in the order given.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// The snapshot as the ticks have left it.
    pub fn market(&self) -> &MarketSnapshot {
        &self.market
    }

    /// USD-additive totals over the valued positions (coin-denominated fields NaN, as in
    /// [`BookGreeks::total`]).
    pub fn total(&self) -> GreeksTotals {
        GreeksTotals {
            delta: f64::NAN,
            delta_premium_adjusted: f64::NAN,
            gamma: f64::NAN,
            ..self.total
        }
    }

    /// Totals per underlying.
    pub fn by_underlying(&self) -> &BTreeMap<String, GreeksTotals> {
        &self.by_underlying
    }

    /// Value and Greeks of position `i` (zero if it cannot be valued), `None` past the end.
    pub fn risk(&self, i: usize) -> Option<&PositionRisk> {
        self.lines.get(i).map(|l| &l.risk)
    }

    /// The positions that cannot be valued, and why.
    pub fn errors(&self) -> Vec<(&Position, &str)> {
        self.positions
            .iter()
            .zip(&self.lines)
            .filter_map(|(p, l)| l.error.as_deref().map(|e| (p, e)))
            .collect()
    }

    /// Every position with its value and Greeks, aggregated as [`super::book_greeks`] does.
    ///
    /// # Errors
    /// [`BookError::Position`] naming the first position that cannot be valued.
    pub fn greeks(&self) -> Result<BookGreeks, BookError> {
        for (p, l) in self.positions.iter().zip(&self.lines) {
            if l.error.is_some() {
                position_risk(p, &self.market).map_err(|e| e.at(p))?;
            }
        }
        let mut out = BookGreeks {
            as_of: self.market.as_of,
            spot: self.market.spot.clone(),
            by_underlying: self.by_underlying.clone(),
            total: self.total(),
            ..BookGreeks::default()
        };
        for (p, l) in self.positions.iter().zip(&self.lines) {
            let coin = p.instrument.coin().to_string();
            out.by_expiry
                .entry((coin.clone(), expiry_bucket(l.risk.days_to_expiry)))
                .or_default()
                .add_scaled(&l.risk, 1.0);
            out.by_venue
                .entry((coin, p.venue.clone()))
                .or_default()
                .add_scaled(&l.risk, 1.0);
            out.lines.push(PositionLine {
                position: p.clone(),
                risk: l.risk,
            });
        }
        Ok(out)
    }

    /// Move the valuation instant to `as_of` and revalue every position from the snapshot.
    pub fn advance(&mut self, as_of: Timestamp) {
        self.market.as_of = Some(as_of);
        self.revalue();
    }

    /// Revalue every position from the snapshot and sum the totals afresh.
    pub fn revalue(&mut self) {
        self.lines = self
            .positions
            .iter()
            .map(|p| {
                value_line(p, &self.market).unwrap_or_else(|e| Line {
                    risk: PositionRisk::default(),
                    setup: None,
                    error: Some(e.to_string()),
                })
            })
            .collect();
        self.total = GreeksTotals::default();
        self.by_underlying.clear();
        for (p, l) in self.positions.iter().zip(&self.lines) {
            self.total.add_scaled(&l.risk, 1.0);
            self.by_underlying
                .entry(p.instrument.coin().to_string())
                .or_default()
                .add_scaled(&l.risk, 1.0);
        }
    }

    /// Replace position `i`'s valuation, updating the totals by difference.
    fn replace(&mut self, i: usize, line: Line) {
        let old = std::mem::replace(&mut self.lines[i], line);
        let new = &self.lines[i].risk;
        self.total.add_scaled(&old.risk, -1.0);
        self.total.add_scaled(new, 1.0);
        if let Some(u) = self.by_underlying.get_mut(self.positions[i].instrument.coin()) {
            u.add_scaled(&old.risk, -1.0);
            u.add_scaled(new, 1.0);
        }
    }

    /// Revalue positions `idx` from the snapshot; all or nothing.
    fn revalue_from_market(&mut self, idx: &[usize]) -> Result<usize, BookError> {
        let mut new = Vec::with_capacity(idx.len());
        for &i in idx {
            let p = &self.positions[i];
            new.push(value_line(p, &self.market).map_err(|e| e.at(p))?);
        }
        for (&i, l) in idx.iter().zip(new) {
            self.replace(i, l);
        }
        Ok(idx.len())
    }

    /// A spot index tick: `coin` is now worth `price` USD. Returns how many positions were
    /// repriced (0: the book holds nothing on `coin`). A coin the snapshot had no index for
    /// gets one, and the positions on it are valued afresh.
    ///
    /// # Formula
    /// With k = S′/S: every forward, futures price and option quote's forward of the coin in
    /// the snapshot × k (a quote not held keeps its mark in coin until its own tick); each
    /// option held at F′ = kF and its volatility σ: mark′ (USD on the forward basis) =
    /// max(mark + B(F′, σ) − B(F, σ), 0); its Greeks are Black-76's at (F′, σ).
    ///
    /// # Errors
    /// A price that is not a positive finite number; an option that Black-76 cannot value at
    /// the moved forward. Nothing changes then.
    pub fn set_spot(&mut self, coin: &str, price: f64) -> Result<usize, BookError> {
        if !(price.is_finite() && price > 0.0) {
            return Err(
                MarketError::BadQuote(format!("{coin} index {price}: expected a positive price")).into(),
            );
        }
        let Some(&old) = self.market.spot.get(coin) else {
            // a first index for the coin: the positions on it that needed one are valued now
            let Some(idx) = self.by_coin.get(coin).cloned() else {
                return Ok(0);
            };
            self.market.spot.insert(coin.to_string(), price);
            for &i in &idx {
                let line = value_line(&self.positions[i], &self.market).unwrap_or_else(|e| Line {
                    risk: PositionRisk::default(),
                    setup: None,
                    error: Some(e.to_string()),
                });
                self.replace(i, line);
            }
            return Ok(idx.len());
        };
        let k = price / old;
        let idx = self.by_coin.get(coin).cloned().unwrap_or_default();
        // the options first: all or nothing
        let mut moved: Vec<(usize, OptionSetup)> = Vec::new();
        for &i in &idx {
            if let Some(s) = self.lines[i].setup {
                let o = Black76::new(s.o.forward * k, s.o.strike, s.o.time, s.o.vol, s.o.rate, s.o.kind)
                    .map_err(|e| BookError::from(e).at(&self.positions[i]))?;
                // kept unfloored (the moves add up whatever their path); valued and quoted
                // floored at zero below
                let mark_usd = s.mark_usd + o.price() - s.o.price();
                moved.push((
                    i,
                    OptionSetup {
                        o,
                        s: price,
                        mark_usd,
                        ..s
                    },
                ));
            }
        }
        self.market.spot.insert(coin.to_string(), price);
        for ((c, _), f) in self.market.forwards.iter_mut() {
            if c == coin {
                *f *= k;
            }
        }
        // every futures price and option forward of the coin, once each (the options held
        // get their repriced marks below)
        for name in self.futures_by_coin.get(coin).into_iter().flatten() {
            if let Some(px) = self.market.futures.get_mut(name) {
                *px *= k;
            }
        }
        for key in self.quotes_by_coin.get(coin).into_iter().flatten() {
            if let Some(q) = self.market.options.get_mut(key) {
                q.forward *= k;
            }
        }
        for (i, s) in moved {
            let p = &self.positions[i];
            // never below nothing: where the mark sat under the model, a large move could
            // take mark + B(F′) − B(F) negative
            let floored = OptionSetup {
                mark_usd: s.mark_usd.max(0.0),
                ..s
            };
            if let Some(q) = self.market.options.get_mut(&instrument_key(&p.instrument)) {
                q.forward = s.o.forward;
                q.mark_price = floored.mark_usd / s.o.forward;
            }
            let risk = option_risk(p.size, &floored);
            self.replace(
                i,
                Line {
                    risk,
                    setup: Some(s),
                    error: None,
                },
            );
        }
        // spot, perpetuals and futures valued before stay valued: the spot and their prices
        // exist and the instant has not moved
        for &i in &idx {
            let l = &self.lines[i];
            if l.setup.is_none() && l.error.is_none() {
                if let Ok(risk) = position_risk(&self.positions[i], &self.market) {
                    self.replace(
                        i,
                        Line {
                            risk,
                            setup: None,
                            error: None,
                        },
                    );
                }
            }
        }
        Ok(idx.len())
    }

    /// One option quote's update: its mark (coin per option for a coin-settled option, as
    /// Deribit quotes it), its mark IV (annual fraction) and its forward (USD), each if
    /// given, at exchange time `at`. Returns how many positions were repriced (0: the book
    /// holds no position on it; the snapshot's quote, if any, is updated all the same).
    ///
    /// # Errors
    /// [`MarketError::UnknownOption`] for a quote the snapshot does not have; a negative or
    /// non-finite mark (0 is a worthless option, valued at its mark IV); an IV or forward
    /// that is not a positive finite number; prices with which a position on it cannot be
    /// valued. Nothing changes then.
    pub fn set_option_quote(
        &mut self,
        instrument: &Instrument,
        mark: f64,
        iv: Option<f64>,
        forward: Option<f64>,
        at: Option<Timestamp>,
    ) -> Result<usize, BookError> {
        let key = instrument_key(instrument);
        let bad = |what: &str, v: f64| -> BookError {
            MarketError::BadQuote(format!("{key}: {what} {v}, expected a positive finite number")).into()
        };
        if !(mark.is_finite() && mark >= 0.0) {
            return Err(
                MarketError::BadQuote(format!("{key}: mark {mark}, expected a finite number ≥ 0")).into(),
            );
        }
        for (what, v) in [("mark IV", iv), ("forward", forward)] {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(bad(what, v));
            }
        }
        let Some(q) = self.market.options.get_mut(&key) else {
            return Err(MarketError::UnknownOption(key).into());
        };
        let before = q.clone();
        q.mark_price = mark;
        q.mark_iv = iv.or(q.mark_iv);
        q.forward = forward.unwrap_or(q.forward);
        if let Some(t) = at {
            q.timestamp = t;
        }
        let idx = self.by_option.get(&key).cloned().unwrap_or_default();
        self.revalue_from_market(&idx).inspect_err(|_| {
            self.market.options.insert(key.clone(), before);
        })
    }

    /// A perpetual's or future's mark price (USD). Returns how many positions were repriced
    /// (0: none held; the snapshot's price, if it has one, is updated all the same).
    ///
    /// # Errors
    /// A price that is not a positive finite number. Nothing changes then.
    pub fn set_future_price(&mut self, name: &str, price: f64) -> Result<usize, BookError> {
        if !(price.is_finite() && price > 0.0) {
            return Err(MarketError::BadQuote(format!(
                "{name}: price {price}, expected a positive finite number"
            ))
            .into());
        }
        let before = self.market.futures.insert(name.to_string(), price);
        if before.is_none() {
            self.index_future(name);
        }
        let idx = self.by_future.get(name).cloned().unwrap_or_default();
        self.revalue_from_market(&idx).inspect_err(|_| {
            match before {
                Some(b) => self.market.futures.insert(name.to_string(), b),
                None => self.market.futures.remove(name),
            };
        })
    }
}

/// Value one position from the snapshot (an option through its Black-76 resolution, kept).
fn value_line(p: &Position, m: &MarketSnapshot) -> Result<Line, BookError> {
    Ok(match p.instrument {
        Instrument::Option { .. } => {
            let s = option_setup(p, m)?;
            Line {
                risk: option_risk(p.size, &s),
                setup: Some(s),
                error: None,
            }
        }
        _ => Line {
            risk: position_risk(p, m)?,
            setup: None,
            error: None,
        },
    })
}
