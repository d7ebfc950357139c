//! Hedging: the cheapest trades that bring chosen Greeks of each underlying inside bands.
//!
//! **Problem** (per underlying, a linear program solved with Clarabel):
//!
//! minimise Σ_j (a_j x⁺_j + b_j x⁻_j) over x⁺, x⁻ ≥ 0, subject to, for every chosen Greek k,
//! `|G_k + Σ_j (x⁺_j − x⁻_j) g_jk| ≤ band_k`,
//!
//! where g_jk is Greek k of one unit of hedge instrument j (delta in coins, gamma per USD, vega
//! USD per vol point) and a_j / b_j are the costs of buying / selling one unit: for options the
//! distance from the mark to the ask / bid plus Deribit's taker fee (0.03 % of the underlying,
//! capped at 12.5 % of the premium), for perpetuals and futures a fee in basis points of
//! notional. Rows and columns are scaled to O(1) before solving.
//!
//! A Greek that no candidate instrument carries, while the book is outside its band, is an
//! error naming it (not a silent partial hedge); so is an infeasible program.

mod correlation;
mod tail;

pub use correlation::{
    beta_hedge, min_variance_hedge, ols_slopes, CorrelationHedge, OutOfSample, RegimeStats, SingleHedge,
};
pub use tail::{tail_hedge, ScenarioLoss, TailHedge, TailHedgeSpec};

use crate::book::{position_risk, GreeksTotals, PositionLine, PositionRisk};
use crate::instrument::{Instrument, Position};
use crate::market::MarketSnapshot;
use crate::message::Num;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus};
use std::collections::BTreeMap;

/// A Greek to neutralise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum HedgeGreek {
    /// Delta, coins of underlying.
    Delta,
    /// Gamma, per USD of spot.
    Gamma,
    /// Vega, USD per vol point.
    Vega,
}

impl HedgeGreek {
    /// The name (`"delta"`).
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }

    fn of(self, t: &GreeksTotals) -> f64 {
        match self {
            HedgeGreek::Delta => t.delta,
            HedgeGreek::Gamma => t.gamma,
            HedgeGreek::Vega => t.vega,
        }
    }
}

/// # Errors
/// From hedging.
#[derive(Debug, thiserror::Error)]
pub enum HedgeError {
    #[error("{coin}: no hedge instrument carries {greek} (book {greek} = {value:.6}); add an instrument that does with --using")]
    /// A Greek outside its band that no candidate carries.
    Unreachable {
        /// The underlying.
        coin: String,
        /// The Greek.
        greek: &'static str,
        /// The book's value of it.
        value: f64,
    },
    #[error("{coin}: the {greeks} targets cannot be met with the instruments given ({status})")]
    /// Targets that cannot be met together.
    Infeasible {
        /// The underlying.
        coin: String,
        /// The Greeks targeted.
        greeks: String,
        /// The solver's status.
        status: String,
    },
    #[error("hedge instrument {0}: {1}")]
    /// A candidate instrument that cannot be used (name, reason).
    BadInstrument(String, String),
    #[error("{0}")]
    /// A correlation hedge that cannot be computed (the message says why).
    Correlation(String),
    #[error("band for {0} must be a finite number ≥ 0")]
    /// A negative or non-finite band (the Greek).
    BadBand(&'static str),
    #[error("{0}")]
    /// A tail hedge that cannot be built (the message says why).
    Tail(String),
    #[error("fee_bps = {} must be in [0, 10000) basis points", Num(*.0))]
    /// A futures fee outside [0, 10 000) bps.
    BadFee(f64),
}

/// Hedge request.
#[derive(Debug, Clone)]
pub struct HedgeSpec {
    /// Greeks to neutralise and their bands (absolute: delta in coins, gamma per USD, vega USD/pt).
    pub targets: Vec<(HedgeGreek, f64)>,
    /// Candidate instruments by name; `None` = the coin's perpetual plus every option of the coin
    /// with a two-sided quote and more than a day to expiry.
    pub using: Option<Vec<String>>,
    /// Fee on perpetual/future notional, basis points (default 5).
    pub futures_fee_bps: f64,
}

/// One hedge trade.
#[derive(Debug, Clone, PartialEq)]
pub struct HedgeTrade {
    /// Deribit instrument name.
    pub instrument: String,
    /// Signed size (options: coins; inverse perps/futures: USD notional). Positive = buy.
    pub size: f64,
    /// Execution price: options in coin (ask or bid), perps/futures in USD.
    pub price: f64,
    /// Cost in USD (spread to mark plus fees).
    pub cost_usd: f64,
}

/// JSON: `instrument`, `side` (buy | sell), `size` (positive), `signed_size`, `price`,
/// `cost_usd`.
impl serde::Serialize for HedgeTrade {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("instrument", &self.instrument)?;
        m.serialize_entry("side", if self.size > 0.0 { "buy" } else { "sell" })?;
        m.serialize_entry("size", &self.size.abs())?;
        m.serialize_entry("signed_size", &self.size)?;
        m.serialize_entry("price", &self.price)?;
        m.serialize_entry("cost_usd", &self.cost_usd)?;
        m.end()
    }
}

/// The Greeks a hedge moves (of one underlying).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HedgedGreeks {
    /// Coins of underlying.
    pub delta: f64,
    /// USD.
    pub delta_usd: f64,
    /// Per USD.
    pub gamma: f64,
    /// USD per vol point.
    pub vega: f64,
    /// USD per day.
    pub theta: f64,
}

impl From<&GreeksTotals> for HedgedGreeks {
    fn from(t: &GreeksTotals) -> Self {
        Self {
            delta: t.delta,
            delta_usd: t.delta_usd,
            gamma: t.gamma,
            vega: t.vega,
            theta: t.theta,
        }
    }
}

/// The hedge of one underlying.
#[derive(Debug, Clone)]
pub struct CoinHedge {
    /// The underlying.
    pub coin: String,
    /// Its Greeks before the trades.
    pub before: GreeksTotals,
    /// After.
    pub after: GreeksTotals,
    /// The trades (empty when already inside the bands).
    pub trades: Vec<HedgeTrade>,
    /// Their cost, USD.
    pub cost_usd: f64,
    /// Instruments considered.
    pub candidates: usize,
}

/// JSON: `underlying`, `before` and `after` ({`delta`, `delta_usd`, `gamma`, `vega`,
/// `theta`}), `cost_usd`, `candidates`, `trades`.
impl serde::Serialize for CoinHedge {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("underlying", &self.coin)?;
        m.serialize_entry("before", &HedgedGreeks::from(&self.before))?;
        m.serialize_entry("after", &HedgedGreeks::from(&self.after))?;
        m.serialize_entry("cost_usd", &self.cost_usd)?;
        m.serialize_entry("candidates", &self.candidates)?;
        m.serialize_entry("trades", &self.trades)?;
        m.end()
    }
}

/// A Greek target: the Greek and its band.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Target {
    /// The Greek.
    pub greek: HedgeGreek,
    /// Allowed residual (absolute).
    pub band: f64,
}

/// The hedges of a book.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HedgeReport {
    /// The targets.
    pub targets: Vec<Target>,
    /// One hedge per underlying.
    pub hedges: Vec<CoinHedge>,
}

struct Candidate {
    position: Position,
    greeks: [f64; 3],
    buy_cost: f64,
    sell_cost: f64,
    buy_price: f64,
    sell_price: f64,
    risk: PositionRisk,
}

fn greeks3(r: &PositionRisk) -> [f64; 3] {
    [r.delta, r.gamma, r.vega]
}

fn candidate(
    name: &str,
    m: &MarketSnapshot,
    fee_bps: f64,
    explicit: bool,
) -> Result<Option<Candidate>, HedgeError> {
    let bad = |e: String| HedgeError::BadInstrument(name.into(), e);
    let position = Position::new(name, 1.0, "deribit").map_err(|e| bad(e.to_string()))?;
    let risk = match position_risk(&position, m) {
        Ok(r) => r,
        Err(e) if explicit => return Err(bad(e.to_string())),
        Err(_) => return Ok(None),
    };
    let s = risk.spot;
    match &position.instrument {
        Instrument::Option { .. } => {
            let q = m.option(&position.instrument).map_err(|e| bad(e.to_string()))?;
            let (Some(bid), Some(ask)) = (q.bid.filter(|b| *b > 0.0), q.ask.filter(|a| *a > 0.0)) else {
                return if explicit {
                    Err(bad(
                        "no two-sided quote (best_bid_price/best_ask_price) to trade at".into(),
                    ))
                } else {
                    Ok(None)
                };
            };
            if risk.days_to_expiry.unwrap_or(0.0) <= 1.0 && !explicit {
                return Ok(None);
            }
            let mark = q.mark_price;
            let fee = |px: f64| (0.0003_f64).min(0.125 * px) * s;
            Ok(Some(Candidate {
                greeks: greeks3(&risk),
                buy_cost: ((ask - mark).max(0.0)) * s + fee(ask),
                sell_cost: ((mark - bid).max(0.0)) * s + fee(bid),
                buy_price: ask,
                sell_price: bid,
                position,
                risk,
            }))
        }
        Instrument::Perpetual { .. } | Instrument::Future { .. } => {
            // unit = 1 USD of notional (inverse) or 1 coin (linear)
            let notional = if matches!(
                position.instrument,
                Instrument::Perpetual {
                    margining: crate::instrument::Margining::Linear,
                    ..
                } | Instrument::Future {
                    margining: crate::instrument::Margining::Linear,
                    ..
                }
            ) {
                s
            } else {
                1.0
            };
            let c = fee_bps / 1e4 * notional;
            let px = m.futures.get(name).copied().unwrap_or(s);
            Ok(Some(Candidate {
                greeks: greeks3(&risk),
                buy_cost: c,
                sell_cost: c,
                buy_price: px,
                sell_price: px,
                position,
                risk,
            }))
        }
        Instrument::Spot { .. } => Err(bad(
            "spot cannot be used on the derivatives venue; use BTC-PERPETUAL".into(),
        )),
    }
}

/// Hedge every underlying of `book` that has a chosen Greek outside its band.
///
/// # Errors
/// [`HedgeError`]: a negative band, a Greek no candidate carries, an infeasible program, a
/// candidate instrument that cannot be valued or traded.
pub fn hedge(book: &[PositionLine], m: &MarketSnapshot, spec: &HedgeSpec) -> Result<HedgeReport, HedgeError> {
    for (g, b) in &spec.targets {
        if !(b.is_finite() && *b >= 0.0) {
            return Err(HedgeError::BadBand(g.name()));
        }
    }
    if !(spec.futures_fee_bps.is_finite() && (0.0..10_000.0).contains(&spec.futures_fee_bps)) {
        return Err(HedgeError::BadFee(spec.futures_fee_bps));
    }
    let mut totals: BTreeMap<String, GreeksTotals> = BTreeMap::new();
    for l in book {
        totals
            .entry(l.position.instrument.coin().to_string())
            .or_default()
            .add_scaled(&l.risk, 1.0);
    }
    // candidate universe
    let names: Vec<(String, bool)> = match &spec.using {
        Some(list) => list.iter().map(|n| (n.clone(), true)).collect(),
        None => {
            let mut v: Vec<(String, bool)> =
                totals.keys().map(|c| (format!("{c}-PERPETUAL"), false)).collect();
            let mut opts: Vec<String> = m
                .options
                .values()
                .filter(|q| totals.contains_key(q.instrument.coin()))
                .map(|q| q.name.clone())
                .collect();
            opts.sort();
            v.extend(opts.into_iter().map(|n| (n, false)));
            v
        }
    };
    let mut cands: Vec<Candidate> = Vec::new();
    for (n, explicit) in &names {
        if let Some(c) = candidate(n, m, spec.futures_fee_bps, *explicit)? {
            cands.push(c);
        }
    }
    let mut out = Vec::new();
    for (coin, before) in &totals {
        let coin_cands: Vec<&Candidate> = cands
            .iter()
            .filter(|c| c.position.instrument.coin() == coin)
            .collect();
        out.push(hedge_coin(coin, before, &coin_cands, spec)?);
    }
    Ok(HedgeReport {
        targets: spec
            .targets
            .iter()
            .map(|&(greek, band)| Target { greek, band })
            .collect(),
        hedges: out,
    })
}

fn hedge_coin(
    coin: &str,
    before: &GreeksTotals,
    cands: &[&Candidate],
    spec: &HedgeSpec,
) -> Result<CoinHedge, HedgeError> {
    // which targets are active (outside band), and can they be reached at all?
    let mut rows: Vec<(HedgeGreek, f64, f64)> = Vec::new(); // (greek, value, band)
    for &(g, band) in &spec.targets {
        let v = g.of(before);
        let carried = cands.iter().any(|c| c.greeks[g as usize].abs() > 0.0);
        if v.abs() > band && !carried {
            return Err(HedgeError::Unreachable {
                coin: coin.into(),
                greek: g.name(),
                value: v,
            });
        }
        rows.push((g, v, band));
    }
    let mut trades = Vec::new();
    let mut after = *before;
    if !cands.is_empty() && rows.iter().any(|(_, v, b)| v.abs() > *b) {
        let infeasible = |status: String| HedgeError::Infeasible {
            coin: coin.into(),
            greeks: greek_list(spec),
            status,
        };
        // Interior-point solutions spread dust over many instruments: solve once on every
        // candidate, then again on those that carry the solution (a vertex of the same LP).
        let x = solve_lp(&rows, cands).map_err(&infeasible)?;
        let biggest = x
            .iter()
            .zip(cands)
            .map(|(x, c)| (x * c.buy_cost.max(c.sell_cost)).abs())
            .fold(0.0, f64::max);
        let support: Vec<usize> = (0..cands.len())
            .filter(|&j| {
                (x[j] * cands[j].buy_cost.max(cands[j].sell_cost)).abs() > 1e-4 * biggest
                    || biggest == 0.0 && x[j] != 0.0
            })
            .collect();
        let sub: Vec<&Candidate> = support.iter().map(|&j| cands[j]).collect();
        let (mut x, used) = match solve_lp(&rows, &sub) {
            Ok(xs) => (xs, sub),
            Err(_) => (x, cands.to_vec()),
        };
        polish(&rows, &used, &mut x);
        for (c, &x) in used.iter().zip(&x) {
            if x == 0.0 {
                continue;
            }
            let (price, unit_cost) = if x > 0.0 {
                (c.buy_price, c.buy_cost)
            } else {
                (c.sell_price, c.sell_cost)
            };
            trades.push(HedgeTrade {
                instrument: c.position.name.clone(),
                size: x,
                price,
                cost_usd: unit_cost * x.abs(),
            });
            after.add_scaled(&c.risk, x);
        }
    }
    Ok(CoinHedge {
        coin: coin.into(),
        before: *before,
        after,
        cost_usd: trades.iter().map(|t| t.cost_usd).sum(),
        trades,
        candidates: cands.len(),
    })
}

/// Remove the interior-point solver's feasibility slack: move x by the least-norm correction
/// that puts every Greek exactly on its nearest band edge (or on target for band 0).
/// Skipped when the traded instruments' Greeks are linearly dependent.
fn polish(rows: &[(HedgeGreek, f64, f64)], used: &[&Candidate], x: &mut [f64]) {
    let live: Vec<usize> = (0..x.len()).filter(|&j| x[j] != 0.0).collect();
    let k = rows.len();
    if live.is_empty() || k == 0 {
        return;
    }
    // residual per Greek and its wanted value (clamped into the band)
    let g = |r: usize, j: usize| used[j].greeks[rows[r].0 as usize];
    let mut d = vec![0.0; k];
    let mut scale = vec![0.0; k];
    for r in 0..k {
        let (_, v, band) = rows[r];
        let res = v + live.iter().map(|&j| x[j] * g(r, j)).sum::<f64>();
        d[r] = res.clamp(-band, band) - res;
        scale[r] = live
            .iter()
            .map(|&j| (x[j] * g(r, j)).abs())
            .fold(v.abs(), f64::max)
            .max(1e-300);
    }
    // least-norm δ on the live set: (M Mᵀ) y = d, δ = Mᵀ y, with rows scaled to O(1)
    let m: Vec<Vec<f64>> = (0..k)
        .map(|r| live.iter().map(|&j| g(r, j) / scale[r]).collect())
        .collect();
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|r| {
            let mut row: Vec<f64> = (0..k)
                .map(|c| m[r].iter().zip(&m[c]).map(|(p, q)| p * q).sum())
                .collect();
            row.push(d[r] / scale[r]);
            row
        })
        .collect();
    // Gaussian elimination with partial pivoting on the k×(k+1) system
    for c in 0..k {
        let piv = (c..k)
            .max_by(|&p, &q| a[p][c].abs().total_cmp(&a[q][c].abs()))
            .expect("k ≥ 1");
        if a[piv][c].abs() < 1e-12 {
            return;
        }
        a.swap(c, piv);
        for r in 0..k {
            if r != c {
                let f = a[r][c] / a[c][c];
                for cc in c..=k {
                    a[r][cc] -= f * a[c][cc];
                }
            }
        }
    }
    let y: Vec<f64> = (0..k).map(|r| a[r][k] / a[r][r]).collect();
    for (i, &j) in live.iter().enumerate() {
        x[j] += (0..k).map(|r| m[r][i] * y[r]).sum::<f64>();
    }
}

/// Solve the hedge LP on `cands`; returns signed trade sizes (exact zeros for dust below
/// 1e-12 of the scaled solution).
fn solve_lp(rows: &[(HedgeGreek, f64, f64)], cands: &[&Candidate]) -> Result<Vec<f64>, String> {
    let n = cands.len();
    let idx = |g: HedgeGreek| g as usize;
    // row scales: the book's value or the largest unit Greek
    let scale: Vec<f64> = rows
        .iter()
        .map(|(g, v, _)| {
            cands
                .iter()
                .map(|c| c.greeks[idx(*g)].abs())
                .fold(v.abs(), f64::max)
                .max(1e-300)
        })
        .collect();
    // column scales: unit Greeks normalised by the row scales
    let col: Vec<f64> = cands
        .iter()
        .map(|c| {
            rows.iter()
                .zip(&scale)
                .map(|((g, _, _), s)| (c.greeks[idx(*g)] / s).abs())
                .fold(0.0, f64::max)
                .max(1e-12)
        })
        .collect();
    // variables z⁺_j, z⁻_j ≥ 0 with x_j = (z⁺_j − z⁻_j) / col_j; costs scaled to O(1)
    let cost_scale = cands
        .iter()
        .zip(&col)
        .map(|(c, cs)| c.buy_cost.max(c.sell_cost) / cs)
        .fold(0.0, f64::max)
        .max(1e-12);
    let mut q: Vec<f64> = cands
        .iter()
        .zip(&col)
        .map(|(c, cs)| c.buy_cost / cs / cost_scale)
        .collect();
    q.extend(
        cands
            .iter()
            .zip(&col)
            .map(|(c, cs)| c.sell_cost / cs / cost_scale),
    );
    // A z ≤ b: for each Greek ±(value + Σ ĝ (z⁺ − z⁻)) ≤ band, then −z ≤ 0
    let mut a_rows: Vec<Vec<f64>> = Vec::new();
    let mut b = Vec::new();
    for ((g, v, band), s) in rows.iter().zip(&scale) {
        let coef: Vec<f64> = cands
            .iter()
            .zip(&col)
            .map(|(c, cs)| c.greeks[idx(*g)] / s / cs)
            .collect();
        let band = band.max(1e-9 * s) / s;
        let v = v / s;
        let mut up = coef.clone();
        up.extend(coef.iter().map(|x| -x));
        b.push(band - v);
        b.push(band + v);
        let down: Vec<f64> = up.iter().map(|x| -x).collect();
        a_rows.push(up);
        a_rows.push(down);
    }
    for j in 0..2 * n {
        let mut r = vec![0.0; 2 * n];
        r[j] = -1.0;
        a_rows.push(r);
        b.push(0.0);
    }
    let a = CscMatrix::from(&a_rows);
    let p = CscMatrix::zeros((2 * n, 2 * n));
    let cones = [NonnegativeConeT(a_rows.len())];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(200)
        .build()
        .map_err(|e| format!("{e:?}"))?;
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings).map_err(|e| format!("{e:?}"))?;
    solver.solve();
    let st = solver.solution.status;
    if !matches!(st, SolverStatus::Solved | SolverStatus::AlmostSolved) {
        return Err(format!("solver status {st:?}"));
    }
    let z = &solver.solution.x;
    let zmax = z.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    Ok((0..n)
        .map(|j| {
            let d = z[j] - z[n + j];
            if d.abs() <= 1e-12 * zmax {
                0.0
            } else {
                d / col[j]
            }
        })
        .collect())
}

fn greek_list(spec: &HedgeSpec) -> String {
    spec.targets
        .iter()
        .map(|(g, _)| g.name())
        .collect::<Vec<_>>()
        .join(",")
}
