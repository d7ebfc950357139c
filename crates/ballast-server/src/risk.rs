//! VaR, expected shortfall, margin and distance to liquidation of every book, recomputed on a
//! cadence off the hot path: each round copies a book's positions and market under the read
//! lock, then values them on a blocking thread (the engine's `analysis::book_var`, historical
//! full revaluation at 1 and 10 days, and Deribit portfolio margin with the file's equity);
//! the latest result per book is kept for `GET /api/books/{id}/risk` and `…/margin`, the
//! snapshot and the limits. Each round also feeds the book's spot indices to an online EWMA
//! covariance (seeded with the daily history) and decomposes the book's delta risk by
//! underlying.

use crate::api::App;
use ballast::analysis::{BookVarReport, BookVarRequest, DEFAULT_EWMA_LAMBDA};
use ballast::book::Book;
use ballast::data::PricePanel;
use ballast::estimate::OnlineEwma;
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
    /// The risk contributions of the book's delta per underlying under an EWMA covariance
    /// updated online (seeded with the daily history, then every round's spot indices).
    pub contributions: Option<DeltaRisk>,
    /// Why there is no VaR.
    pub error: Option<String>,
}

/// The book's delta risk per underlying: σ of the one-day P&L of its USD delta exposures x
/// under the online EWMA covariance Σ of daily returns, and its Euler decomposition.
///
/// # Formula
/// σ = √(x′Σx); component_i = x_i (Σx)_i / σ (they sum to σ); share_i = component_i / σ.
#[derive(Debug, Clone, Serialize)]
pub struct DeltaRisk {
    /// The daily decay λ.
    pub lambda: f64,
    /// Returns the covariance has taken in (history, then live).
    pub observations: usize,
    /// σ of the one-day P&L of the delta exposures, USD.
    pub volatility_1d_usd: f64,
    /// Per underlying.
    pub by_underlying: std::collections::BTreeMap<String, Contribution>,
}

/// One underlying's part of [`DeltaRisk`].
#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    /// The book's delta in it, USD.
    pub delta_usd: f64,
    /// Its component of σ, USD.
    pub component_usd: f64,
    /// Its share of σ (the shares sum to 1; a hedge's is negative).
    pub share: f64,
}

/// The daily decay of the online covariance (RiskMetrics).
pub const EWMA_LAMBDA: f64 = 0.94;

/// The online EWMA covariance of `book`'s coins: new (seeded with the daily moves of the
/// inputs' prices, as the VaR takes them) when there is none or the coins changed, then fed
/// the book's spot indices at its valuation instant.
fn feed_ewma(book: &Book, inputs: &RiskInputs, ewma: &mut Option<OnlineEwma>) {
    let mut coins: Vec<String> = book
        .positions
        .iter()
        .map(|p| p.instrument.coin().to_string())
        .filter(|c| book.market.spot.contains_key(c))
        .collect();
    coins.sort();
    coins.dedup();
    if coins.is_empty() {
        *ewma = None;
        return;
    }
    if ewma.as_ref().is_none_or(|e| e.assets() != coins.as_slice()) {
        let Ok(mut fresh) = OnlineEwma::new(coins.clone(), EWMA_LAMBDA) else {
            return;
        };
        if let Some(prices) = &inputs.prices {
            let spec = ballast::scenario::HistoricalSpec {
                window: inputs.window,
                horizon_days: 1,
                end: inputs.end,
                with_vol: false,
            };
            if let Ok(h) = ballast::scenario::historical_scenarios(prices, None, &coins, &spec) {
                let k = h.set.coins.len();
                // the set's columns may be ordered otherwise: map them to `coins`
                let col: Vec<Option<usize>> = coins
                    .iter()
                    .map(|c| h.set.coins.iter().position(|x| x == c))
                    .collect();
                for row in h.set.spot.chunks(k.max(1)) {
                    let r: Vec<f64> = col.iter().map(|j| j.map_or(f64::NAN, |j| row[j])).collect();
                    let _ = fresh.update(&r, 1.0);
                }
            }
        }
        *ewma = Some(fresh);
    }
    if let (Some(e), Some(at)) = (ewma.as_mut(), book.market.as_of) {
        let prices: Vec<f64> = coins.iter().map(|c| book.market.spot[c]).collect();
        let _ = e.observe(&prices, at.as_second() as f64 / 86_400.0);
    }
}

/// The delta risk of `book` under `ewma` (`None`: no covariance yet, or no delta).
fn delta_risk(book: &Book, ewma: &OnlineEwma) -> Option<DeltaRisk> {
    let cov = ewma.covariance_daily()?;
    let g = ballast::book::book_greeks(&book.positions, &book.market).ok()?;
    let x: Vec<f64> = ewma
        .assets()
        .iter()
        .map(|c| g.by_underlying.get(c).map_or(0.0, |t| t.delta_usd))
        .collect();
    let rc = ballast::risk::risk_contributions(&cov, &x).ok()?;
    Some(DeltaRisk {
        lambda: EWMA_LAMBDA,
        observations: ewma.observations(),
        volatility_1d_usd: rc.volatility,
        by_underlying: ewma
            .assets()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.clone(),
                    Contribution {
                        delta_usd: x[i],
                        component_usd: rc.component[i],
                        share: rc.percent[i],
                    },
                )
            })
            .collect(),
    })
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

/// Value `book`'s VaR, delta risk contributions (feeding `ewma` the book's spot indices) and
/// margin from `inputs`.
pub fn compute(book: &Book, inputs: &RiskInputs, ewma: &mut Option<OnlineEwma>) -> BookRisk {
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
    feed_ewma(book, inputs, ewma);
    let contributions = ewma.as_ref().and_then(|e| delta_risk(book, e));
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
            contributions,
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
            contributions: None,
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
        let mut covariances: std::collections::HashMap<String, Option<OnlineEwma>> = Default::default();
        loop {
            tick.tick().await;
            let jobs = app.desk.read().await.risk_jobs();
            for (id, book, inputs) in jobs {
                let as_of = book.market.as_of.map(|t| t.to_string());
                let mut ewma = covariances.remove(&id).flatten();
                let round = tokio::task::spawn_blocking(move || {
                    let r = compute(&book, &inputs, &mut ewma);
                    (r, ewma)
                });
                let r = match round.await {
                    Ok((r, ewma)) => {
                        covariances.insert(id.clone(), ewma);
                        r
                    }
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
