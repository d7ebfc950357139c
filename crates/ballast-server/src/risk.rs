//! VaR, expected shortfall, margin and distance to liquidation of every book, recomputed on a
//! cadence off the hot path: each round copies a book's positions and market under the read
//! lock, then values them on a blocking thread (the engine's `analysis::book_var`, historical
//! full revaluation at 1 and 10 days, and Deribit portfolio margin with the file's equity);
//! the latest result per book is kept for `GET /api/books/{id}/risk` and `…/margin`, the
//! snapshot and the limits.

use crate::api::App;
use ballast::analysis::{BookVarReport, BookVarRequest, DEFAULT_EWMA_LAMBDA};
use ballast::book::Book;
use ballast::data::PricePanel;
use ballast::io::MarginInputs;
use ballast::margin::deribit::BookMargin;
use jiff::civil::Date;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The confidence of the VaR and ES the snapshot shows and limits cap.
pub const CONFIDENCE: f64 = 0.99;

/// What a book's risk is computed from, beyond its positions and market (a portfolio file's
/// `[data]`, `[market] vol_history` and `[margin]`).
#[derive(Debug, Clone)]
pub struct RiskInputs {
    /// Daily prices: the historical moves of the VaR (`None`: no VaR).
    pub prices: Option<PricePanel>,
    /// Deribit DVOL: the implied-vol moves (needed when the book holds options).
    pub vol_history: Option<PricePanel>,
    /// Historical moves per horizon.
    pub window: usize,
    /// The last day of the moves (`None`: the prices' last).
    pub end: Option<Date>,
    /// `[margin]`: Deribit's parameters and the equity per settlement currency (`None`: no
    /// margin).
    pub margin: Option<MarginInputs>,
}

/// A book's VaR as served (`GET /api/books/{id}/risk`).
#[derive(Debug, Clone, Serialize)]
pub struct RiskView {
    /// When it was computed (UTC).
    pub computed_at: String,
    /// The market instant it values.
    pub as_of: Option<String>,
    /// Seconds the computation took.
    pub seconds: f64,
    /// The engine's report (`ballast var --scenarios 0`'s JSON): historical VaR and ES at
    /// 99 %, 1 and 10 days, with contributions by position and underlying.
    pub var: Option<BookVarReport>,
    /// Why there is no VaR.
    pub error: Option<String>,
}

/// A book's margin as served (`GET /api/books/{id}/margin`).
#[derive(Debug, Clone, Serialize)]
pub struct MarginView {
    /// When it was computed (UTC).
    pub computed_at: String,
    /// The market instant it values.
    pub as_of: Option<String>,
    /// Seconds the computation took.
    pub seconds: f64,
    /// The engine's margin (`ballast margin`'s `accounts`, `deribit`, `not_margined`), with the
    /// file's equity.
    pub margin: Option<BookMargin>,
    /// Why there is no margin.
    pub error: Option<String>,
}

/// The latest risk of one book.
#[derive(Debug, Clone)]
pub struct BookRisk {
    /// VaR and ES.
    pub var: RiskView,
    /// Margin and liquidation.
    pub margin: MarginView,
}

impl BookRisk {
    /// 1-day historical VaR and ES at [`CONFIDENCE`], USD.
    pub fn var_es(&self) -> Option<(f64, f64)> {
        let r = self.var.var.as_ref()?;
        let b = r
            .results
            .iter()
            .find(|b| b.method == "historical" && b.horizon_days == 1)?;
        let l = b.lines.iter().find(|l| l.confidence == CONFIDENCE)?;
        Some((l.var_usd, l.es_usd))
    }

    /// The largest margin utilisation (maintenance margin / equity) of the book's accounts:
    /// infinite for an account with margin and no equity (`null` in JSON; it breaches any
    /// limit); `None` without margin.
    pub fn margin_utilisation(&self) -> Option<f64> {
        let m = self.margin.margin.as_ref()?;
        m.accounts
            .iter()
            .map(|a| a.margin_utilisation)
            .filter(|u| !u.is_nan())
            .reduce(f64::max)
    }

    /// The smallest index move, as a fraction, that takes an account to liquidation (fall or
    /// rise): infinite when there is none within the search (−98 % … +500 %; `null` in JSON,
    /// inside any floor), `None` without margin.
    pub fn liquidation_distance(&self) -> Option<f64> {
        let m = self.margin.margin.as_ref()?;
        let nearest = m
            .accounts
            .iter()
            .flat_map(|a| &a.liquidation)
            .flat_map(|l| [l.fall.as_ref(), l.rise.as_ref()])
            .flatten()
            .map(|p| p.index_move.abs())
            .filter(|d| !d.is_nan())
            .reduce(f64::min);
        Some(nearest.unwrap_or(f64::INFINITY))
    }
}

/// Value `book`'s VaR and margin from `inputs`.
pub fn compute(book: &Book, inputs: &RiskInputs) -> BookRisk {
    let now = || jiff::Timestamp::now().to_string();
    let as_of = book.market.as_of.map(|t| t.to_string());
    let t0 = Instant::now();
    let var = match &inputs.prices {
        Some(prices) => ballast::analysis::book_var(
            book,
            &BookVarRequest {
                prices,
                vol_history: inputs.vol_history.as_ref(),
                confidences: &[CONFIDENCE],
                window: inputs.window,
                end: inputs.end,
                monte_carlo: None,
                equity_usd: None,
                lambda: DEFAULT_EWMA_LAMBDA,
            },
        )
        .map_err(|e| e.to_string()),
        None => Err("no [data] prices in the book's portfolio file: no historical moves for a VaR".into()),
    };
    let var_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let margin = match &inputs.margin {
        Some(m) => ballast::margin::deribit::deribit_margin(
            m.params.as_ref(),
            &book.positions,
            &book.market,
            &m.equity,
        )
        .map_err(|e| e.to_string()),
        None => Err("no [margin] section in the book's portfolio file".into()),
    };
    let (var, var_error) = split(var);
    let (margin, margin_error) = split(margin);
    BookRisk {
        var: RiskView {
            computed_at: now(),
            as_of: as_of.clone(),
            seconds: var_seconds,
            var,
            error: var_error,
        },
        margin: MarginView {
            computed_at: now(),
            as_of,
            seconds: t1.elapsed().as_secs_f64(),
            margin,
            error: margin_error,
        },
    }
}

/// A round that produced nothing, and why.
fn failed(as_of: Option<String>, why: String) -> BookRisk {
    let now = jiff::Timestamp::now().to_string();
    BookRisk {
        var: RiskView {
            computed_at: now.clone(),
            as_of: as_of.clone(),
            seconds: 0.0,
            var: None,
            error: Some(why.clone()),
        },
        margin: MarginView {
            computed_at: now,
            as_of,
            seconds: 0.0,
            margin: None,
            error: Some(why),
        },
    }
}

fn split<T>(r: Result<T, String>) -> (Option<T>, Option<String>) {
    match r {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    }
}

/// Recompute every book's risk every `every` (a round that takes longer delays the next; the
/// engine's tick path never waits for it).
pub fn start(app: Arc<App>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let jobs = app.desk.read().await.risk_jobs();
            for (id, book, inputs) in jobs {
                let as_of = book.market.as_of.map(|t| t.to_string());
                let r = match tokio::task::spawn_blocking(move || compute(&book, &inputs)).await {
                    Ok(r) => r,
                    // a panic in the engine is a bug: say so rather than serve stale risk
                    Err(e) => failed(
                        as_of,
                        format!("the risk round failed: {e} (a bug: please report it)"),
                    ),
                };
                app.risk.write().await.insert(id, Arc::new(r));
            }
        }
    });
}
