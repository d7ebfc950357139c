//! Tail hedges: the least-premium set of out-of-the-money puts (and put spreads) bought at the
//! ask that keeps the book's loss under every chosen stress scenario within a limit — a linear
//! program over the scenarios' fully revalued P&L, solved with Clarabel.

use super::{HedgeError, HedgeTrade};
use crate::book::{position_risk, Book, GreeksTotals};
use crate::instrument::{Instrument, OptionKind, Position};
use crate::message::Num;
use crate::scenario::{pnl_at_horizons, ScenarioSet};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// The request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailHedgeSpec {
    /// The largest loss allowed in any scenario, USD.
    pub max_loss_usd: f64,
    /// Candidate puts expire after this many days (default 7) …
    pub min_days: f64,
    /// … and before this many (default 365).
    pub max_days: f64,
    /// Allow selling puts below bought ones of the same expiry (put spreads: in each expiry,
    /// the puts sold at or above any strike never exceed those bought above it).
    pub spreads: bool,
}

impl Default for TailHedgeSpec {
    fn default() -> Self {
        Self {
            max_loss_usd: 0.0,
            min_days: 7.0,
            max_days: 365.0,
            spreads: true,
        }
    }
}

/// One scenario's loss before and after the hedge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioLoss {
    /// The scenario.
    pub scenario: String,
    /// The book's loss, USD (negative: a gain).
    pub unhedged_loss_usd: f64,
    /// With the hedge (premium and spread paid included), USD.
    pub hedged_loss_usd: f64,
}

/// The hedge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailHedge {
    /// The loss limit, USD.
    pub max_loss_usd: f64,
    /// Net premium paid (asks and fees, less bids received), USD.
    pub premium_usd: f64,
    /// The trades (sizes in coins, prices in coin).
    pub trades: Vec<HedgeTrade>,
    /// Per scenario.
    pub scenarios: Vec<ScenarioLoss>,
    /// The Greeks the trades add, per underlying.
    pub greeks_added: BTreeMap<String, GreeksTotals>,
    /// Candidate puts considered.
    pub candidates: usize,
}

/// A candidate put: its position (1 coin), premium paid per unit bought, received per unit
/// sold, the spread cost of each side against the mark, and its expiry group.
struct Put {
    position: Position,
    ask: f64,
    bid: f64,
    buy_premium: f64,
    sell_premium: f64,
    buy_spread: f64,
    sell_spread: f64,
    group: usize,
    strike: f64,
}

/// The out-of-the-money puts of `coins` with a two-sided quote and an expiry in the window.
fn candidates(book: &Book, coins: &[String], spec: &TailHedgeSpec) -> Vec<Put> {
    let m = &book.market;
    let mut quotes: Vec<_> = m
        .options
        .values()
        .filter(|q| coins.iter().any(|c| c.eq_ignore_ascii_case(q.instrument.coin())))
        .collect();
    quotes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut groups: Vec<(String, jiff::Timestamp)> = Vec::new();
    let mut out = Vec::new();
    for q in quotes {
        let name = &q.name;
        let Instrument::Option {
            kind: OptionKind::Put,
            strike,
            expiry,
            ref coin,
            ..
        } = q.instrument
        else {
            continue;
        };
        let (Some(bid), Some(ask)) = (q.bid.filter(|b| *b > 0.0), q.ask.filter(|a| *a > 0.0)) else {
            continue;
        };
        let Ok(position) = Position::new(name, 1.0, "deribit") else {
            continue;
        };
        let Ok(risk) = position_risk(&position, m) else {
            continue;
        };
        let days = risk.days_to_expiry.unwrap_or(0.0);
        if strike >= q.forward || days < spec.min_days || days > spec.max_days {
            continue;
        }
        let s = risk.spot;
        let fee = |px: f64| 0.0003_f64.min(0.125 * px) * s;
        let g = groups
            .iter()
            .position(|(c, e)| c == coin && *e == expiry)
            .unwrap_or_else(|| {
                groups.push((coin.clone(), expiry));
                groups.len() - 1
            });
        out.push(Put {
            ask,
            bid,
            buy_premium: ask * s + fee(ask),
            sell_premium: (bid * s - fee(bid)).max(0.0),
            buy_spread: (ask - q.mark_price).max(0.0) * s + fee(ask),
            sell_spread: (q.mark_price - bid).max(0.0) * s + fee(bid),
            group: g,
            strike,
            position,
        });
    }
    out
}

/// The least-premium puts that keep the book's loss within `spec.max_loss_usd` in every
/// scenario of `set` (named by `names`, scenario k valued `days[k]` days forward).
///
/// # Formula
/// min Σ_j b_j·ask_j − s_j·bid_j (USD, fees included) over b, s ≥ 0, subject to, for every
/// scenario k, −P&L_k − Σ_j b_j (ΔV_jk − c⁺_j) + Σ_j s_j (ΔV_jk + c⁻_j) ≤ L, and in each
/// expiry, for every strike K, Σ_{K_j ≥ K} s_j ≤ Σ_{K_j > K} b_j (sold puts covered by bought
/// ones above them); ΔV_jk the put's full-revaluation P&L in scenario k, c± the spread and
/// fee paid against the mark.
///
/// # Errors
/// [`HedgeError`]: a limit that is not a finite number ≥ 0; no candidate puts; a position or
/// scenario the engine refuses; a limit no hedge can meet (the message gives the smallest
/// reachable worst loss).
pub fn tail_hedge(
    book: &Book,
    set: &ScenarioSet,
    names: &[String],
    days: &[f64],
    spec: &TailHedgeSpec,
) -> Result<TailHedge, HedgeError> {
    let bad = HedgeError::Tail;
    if !(spec.max_loss_usd.is_finite() && spec.max_loss_usd >= 0.0) {
        return Err(bad(format!(
            "--tail {}: the loss limit must be a number of USD ≥ 0",
            Num(spec.max_loss_usd)
        )));
    }
    if names.len() != set.len() {
        return Err(bad(format!(
            "{} scenario names for {} scenarios",
            names.len(),
            set.len()
        )));
    }
    let engine = |e: crate::scenario::ScenarioError| bad(e.to_string());
    let book_pnl = pnl_at_horizons(book, set, days).map_err(engine)?.matrix.totals();
    let unhedged_worst = book_pnl.iter().map(|p| -p).fold(f64::NEG_INFINITY, f64::max);
    if unhedged_worst <= spec.max_loss_usd {
        // the limit already holds: no hedge
        return Ok(TailHedge {
            max_loss_usd: spec.max_loss_usd,
            premium_usd: 0.0,
            trades: Vec::new(),
            scenarios: names
                .iter()
                .zip(&book_pnl)
                .map(|(n, p)| ScenarioLoss {
                    scenario: n.clone(),
                    unhedged_loss_usd: -p,
                    hedged_loss_usd: -p,
                })
                .collect(),
            greeks_added: BTreeMap::new(),
            candidates: 0,
        });
    }
    let puts = candidates(book, &set.coins, spec);
    if puts.is_empty() {
        return Err(bad(
            "no out-of-the-money put with a two-sided quote in the expiry window to hedge with".into(),
        ));
    }
    let cand = Book {
        positions: puts.iter().map(|p| p.position.clone()).collect(),
        market: book.market.clone(),
    };
    let dv = pnl_at_horizons(&cand, set, days).map_err(engine)?.matrix;
    let lp = Lp {
        puts: &puts,
        dv: &dv.pnl,
        book_pnl: &book_pnl,
        spreads: spec.spreads,
    };
    let all = vec![true; 2 * puts.len()];
    let (b, s) = match lp.solve(Some(spec.max_loss_usd), &all) {
        Ok((b, s)) => {
            // interior-point solutions spread dust over many puts: solve again on the puts
            // that carry the solution (a vertex of the same program)
            let big = b.iter().chain(&s).fold(0.0f64, |m, v| m.max(*v));
            let support: Vec<bool> = b.iter().chain(&s).map(|v| *v > 1e-4 * big).collect();
            lp.solve(Some(spec.max_loss_usd), &support).unwrap_or((b, s))
        }
        Err(_) => {
            let best = lp
                .solve(None, &all)
                .map(|(b, s)| lp.worst_loss(&b, &s))
                .map_or("unknown".to_string(), |w| {
                    format!("{} USD", crate::message::Num(w.ceil()))
                });
            return Err(bad(format!(
                "no put hedge keeps every scenario's loss within {} USD: the smallest reachable worst loss is {best}",
                Num(spec.max_loss_usd)
            )));
        }
    };
    Ok(lp.report(book, &b, &s, names, spec.max_loss_usd))
}

/// The linear program over the candidates' scenario P&L.
struct Lp<'a> {
    puts: &'a [Put],
    /// Candidate P&L, scenarios × candidates.
    dv: &'a [f64],
    book_pnl: &'a [f64],
    spreads: bool,
}

impl Lp<'_> {
    fn losses(&self, b: &[f64], s: &[f64]) -> Vec<f64> {
        let n = self.puts.len();
        self.book_pnl
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let row = &self.dv[k * n..(k + 1) * n];
                -p - (0..n)
                    .map(|j| {
                        b[j] * (row[j] - self.puts[j].buy_spread) - s[j] * (row[j] + self.puts[j].sell_spread)
                    })
                    .sum::<f64>()
            })
            .collect()
    }

    fn worst_loss(&self, b: &[f64], s: &[f64]) -> f64 {
        self.losses(b, s).into_iter().fold(f64::NEG_INFINITY, f64::max)
    }

    /// With a limit: the least premium; without: the least worst loss. Variables (b, s[, t]);
    /// `allowed[j]` false holds variable j at 0.
    fn solve(&self, limit: Option<f64>, allowed: &[bool]) -> Result<(Vec<f64>, Vec<f64>), String> {
        let n = self.puts.len();
        let nv = 2 * n + usize::from(limit.is_none());
        // scale: USD to O(1) by the largest book loss or limit
        let u = self
            .book_pnl
            .iter()
            .fold(limit.unwrap_or(0.0), |a, p| a.max(p.abs()))
            .max(1.0);
        let mut q = vec![0.0; nv];
        match limit {
            Some(_) => {
                for (j, p) in self.puts.iter().enumerate() {
                    q[j] = p.buy_premium / u;
                    q[n + j] = -p.sell_premium / u;
                }
            }
            None => q[2 * n] = 1.0,
        }
        let (mut rows, mut rhs): (Vec<Vec<f64>>, Vec<f64>) = (Vec::new(), Vec::new());
        for (k, p) in self.book_pnl.iter().enumerate() {
            let dv = &self.dv[k * n..(k + 1) * n];
            let mut r = vec![0.0; nv];
            for j in 0..n {
                r[j] = -(dv[j] - self.puts[j].buy_spread) / u;
                r[n + j] = (dv[j] + self.puts[j].sell_spread) / u;
            }
            match limit {
                Some(l) => rhs.push((l + p) / u),
                None => {
                    r[2 * n] = -1.0;
                    rhs.push(p / u);
                }
            }
            rows.push(r);
        }
        // put spreads only: in each expiry, the puts sold at strike K or above never exceed
        // those bought above K (every sold put sits below a bought one: a payoff ≥ 0)
        if self.spreads {
            for pi in self.puts {
                let mut r = vec![0.0; nv];
                for (j, pj) in self.puts.iter().enumerate().filter(|(_, p)| p.group == pi.group) {
                    if pj.strike >= pi.strike {
                        r[n + j] = 1.0;
                    }
                    if pj.strike > pi.strike {
                        r[j] = -1.0;
                    }
                }
                rows.push(r);
                rhs.push(0.0);
            }
        }
        // 0 ≤ b, s ≤ 10⁶ coins
        for j in 0..2 * n {
            let mut r = vec![0.0; nv];
            r[j] = -1.0;
            rows.push(r.clone());
            rhs.push(0.0);
            r[j] = 1.0;
            rows.push(r);
            rhs.push(if allowed[j] && (self.spreads || j < n) {
                1e6
            } else {
                0.0
            });
        }
        let a = CscMatrix::from(&rows);
        let p = CscMatrix::zeros((nv, nv));
        let cones = [NonnegativeConeT(rows.len())];
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(300)
            .build()
            .map_err(|e| format!("{e:?}"))?;
        let mut solver =
            DefaultSolver::new(&p, &q, &a, &rhs, &cones, settings).map_err(|e| format!("{e:?}"))?;
        solver.solve();
        let st = solver.solution.status;
        if !matches!(st, SolverStatus::Solved | SolverStatus::AlmostSolved) {
            return Err(format!("solver status {st:?}"));
        }
        let x = &solver.solution.x;
        let big = x[..2 * n].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let clean = |v: f64| {
            if v.abs() <= 1e-7 * big.max(1e-9) {
                0.0
            } else {
                v.max(0.0)
            }
        };
        Ok((
            (0..n).map(|j| clean(x[j])).collect(),
            (0..n).map(|j| clean(x[n + j])).collect(),
        ))
    }

    fn report(&self, book: &Book, b: &[f64], s: &[f64], names: &[String], limit: f64) -> TailHedge {
        let before = self.losses(&vec![0.0; b.len()], &vec![0.0; b.len()]);
        let after = self.losses(b, s);
        let mut trades = Vec::new();
        let mut greeks: BTreeMap<String, GreeksTotals> = BTreeMap::new();
        let mut premium = 0.0;
        for (j, p) in self.puts.iter().enumerate() {
            for (size, price, prem, spread) in [
                (b[j], p.ask, p.buy_premium, p.buy_spread),
                (-s[j], p.bid, -p.sell_premium, p.sell_spread),
            ] {
                // sizes below 1e-6 coin are the solver's dust
                if size.abs() < 1e-6 {
                    continue;
                }
                premium += size.abs() * prem;
                trades.push(HedgeTrade {
                    instrument: p.position.name.clone(),
                    size,
                    price,
                    cost_usd: size.abs() * spread,
                });
                if let Ok(r) = position_risk(&p.position, &book.market) {
                    greeks
                        .entry(p.position.instrument.coin().to_string())
                        .or_default()
                        .add_scaled(&r, size);
                }
            }
        }
        TailHedge {
            max_loss_usd: limit,
            premium_usd: premium,
            trades,
            scenarios: names
                .iter()
                .zip(before.iter().zip(&after))
                .map(|(n, (u, h))| ScenarioLoss {
                    scenario: n.clone(),
                    unhedged_loss_usd: *u,
                    hedged_loss_usd: *h,
                })
                .collect(),
            greeks_added: greeks,
            candidates: self.puts.len(),
        }
    }
}
