//! VaR and expected shortfall of a book's scenario P&L, with Euler contributions per position
//! and per underlying, streamed over the scenarios (no P&L matrix held).

use super::engine::PnlMatrix;
use super::engine::{Revaluer, ScenarioSet};
use super::ScenarioError;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// VaR and ES at one confidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailMeasure {
    /// Confidence level c.
    pub confidence: f64,
    /// Value at risk, USD (a positive loss): the k-th largest loss, k = ⌈(1 − c)·n⌉.
    pub var: f64,
    /// Expected shortfall, USD: VaR + Σ max(L − VaR, 0) / ((1 − c)·n) (Rockafellar–Uryasev).
    pub es: f64,
    /// Index of the VaR scenario.
    pub var_scenario: usize,
    /// Monte Carlo standard errors (batch means), `None` for a deterministic set.
    pub standard_error: Option<StandardError>,
    /// Each position's loss in the VaR scenario (Euler component VaR; sums to `var`).
    pub var_contributions: Vec<f64>,
    /// Each position's loss averaged over the tail with the ES weights (Euler component ES;
    /// sums to `es`).
    pub es_contributions: Vec<f64>,
    /// Component VaR and ES per underlying coin (sums of its positions').
    pub by_underlying: BTreeMap<String, Components>,
    /// Incremental VaR and ES per position: the book's less the book's without it (`None`
    /// above [`INCREMENTAL_ENTRIES`] scenarios × positions).
    pub incremental: Option<Vec<Components>>,
}

/// The largest scenarios × positions for which [`tail_risk`] computes incremental VaR/ES
/// (each position's removal re-ranks every scenario).
pub const INCREMENTAL_ENTRIES: usize = 2_000_000;

/// Component VaR and ES of a group of positions.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Components {
    /// Share of VaR, USD.
    pub var: f64,
    /// Share of ES, USD.
    pub es: f64,
}

/// Monte Carlo standard errors of VaR and ES: the spread of the estimates over `batches`
/// equal batches of the scenarios, / √batches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StandardError {
    /// Of VaR, USD.
    pub var: f64,
    /// Of ES, USD.
    pub es: f64,
    /// Number of batches.
    pub batches: usize,
}

/// The tail of a book's scenario P&L.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailRisk {
    /// Scenarios revalued.
    pub scenarios: usize,
    /// Positions, in book order (the contributions' order).
    pub positions: Vec<String>,
    /// The book's mean P&L over the scenarios, USD.
    pub mean_pnl: f64,
    /// Per confidence.
    pub measures: Vec<TailMeasure>,
    /// The book's P&L in each scenario, USD.
    #[serde(skip)]
    pub pnl: Vec<f64>,
}

/// Number of tail scenarios k = ⌈(1 − c)·n⌉ in [1, n], and the weight of the k-th.
fn tail_weights(alpha: f64, n: usize) -> (usize, f64) {
    let an = alpha * n as f64;
    let k = crate::risk::tail_count(alpha, n);
    (k, (an - (k - 1) as f64).max(0.0))
}

/// VaR and ES of `losses` at tail probability α: (var, es, index of the VaR scenario, the
/// indices of the k − 1 larger losses).
fn var_es(losses: &[f64], alpha: f64) -> (f64, f64, usize, Vec<usize>) {
    let n = losses.len();
    let (k, last_w) = tail_weights(alpha, n);
    let mut idx: Vec<usize> = (0..n).collect();
    // the k largest losses first (ties broken by index, so the choice is reproducible)
    let cmp = |a: &usize, b: &usize| losses[*b].total_cmp(&losses[*a]).then(a.cmp(b));
    idx.select_nth_unstable_by(k - 1, cmp);
    idx.truncate(k);
    idx.sort_unstable_by(cmp);
    let at = idx[k - 1];
    let var = losses[at];
    let sum: f64 = idx[..k - 1].iter().map(|i| losses[*i]).sum();
    let es = (sum + last_w * var) / (alpha * n as f64);
    idx.truncate(k - 1);
    (var, es, at, idx)
}

/// Incremental VaR and ES of each position: the book's less the book's without it. Positions
/// in blocks, so each block reads its slice of every row of the matrix once.
///
/// Only scenarios that can reach the tail are ranked: with M = max |P&L| of the position, the k
/// largest losses without it are all among the scenarios whose book loss is at least
/// L₍ₖ₎ − 2M (each of the book's k largest drops by at most M, any other rises by at most M).
fn incremental_measures(m: &PnlMatrix, losses: &[f64], alpha: f64, (var, es): (f64, f64)) -> Vec<Components> {
    const BLOCK: usize = 16;
    let (n, np) = (losses.len(), m.positions.len());
    let (k, last_w) = tail_weights(alpha, n);
    let an = alpha * n as f64;
    // the scenarios by book loss, largest first
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|a, b| losses[*b].total_cmp(&losses[*a]));
    let sorted: Vec<f64> = order.iter().map(|s| losses[*s]).collect();
    let kth = sorted[k - 1];
    let blocks: Vec<usize> = (0..np).step_by(BLOCK).collect();
    blocks
        .par_iter()
        .flat_map_iter(|&p0| {
            let b = BLOCK.min(np - p0);
            let mut reach = vec![0.0f64; b];
            for s in 0..n {
                for (r, x) in reach.iter_mut().zip(&m.pnl[s * np + p0..s * np + p0 + b]) {
                    *r = r.max(x.abs());
                }
            }
            let (order, sorted) = (&order, &sorted);
            reach.into_iter().enumerate().map(move |(j, mx)| {
                let c = sorted.partition_point(|l| *l >= kth - 2.0 * mx).max(k);
                let mut without: Vec<f64> = order[..c]
                    .iter()
                    .map(|s| losses[*s] + m.pnl[s * np + p0 + j])
                    .collect();
                let (larger, v, _) = without.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
                let v = *v;
                let e = (larger.iter().sum::<f64>() + last_w * v) / an;
                Components {
                    var: var - v,
                    es: es - e,
                }
            })
        })
        .collect()
}

/// VaR, ES and their Euler contributions of the book prepared in `rev` over the scenarios of
/// `set`, at each confidence; with `batches`, batch-means standard errors (Monte Carlo sets).
///
/// # Formula
/// L_s = −Σ_p P&L_{s,p}; VaR = L₍ₖ₎ (k-th largest), k = ⌈αn⌉, α = 1 − c;
/// ES = (Σ_{k−1 largest} L + (αn − k + 1)·VaR) / (αn); the contributions apply the same
/// weights to each position's loss, so they sum to VaR and ES exactly.
///
/// # Errors
/// [`ScenarioError::Invalid`]: another set's coins, no scenarios, a confidence outside (0, 1),
/// fewer than 2 or more scenarios per batch than batches allow.
pub fn tail_risk(
    rev: &Revaluer,
    set: &ScenarioSet,
    confidences: &[f64],
    batches: Option<usize>,
) -> Result<TailRisk, ScenarioError> {
    rev.check_set(set)?;
    let n = set.len();
    if n == 0 {
        return Err(ScenarioError::Invalid("no scenarios".into()));
    }
    crate::risk::check_confidences(confidences).map_err(|e| ScenarioError::Invalid(e.to_string()))?;
    if let Some(b) = batches {
        if b < 2 || n / b < 2 {
            return Err(ScenarioError::Invalid(format!(
                "{b} batches of {n} scenarios: need at least 2 batches of 2"
            )));
        }
    }
    let np = rev.len();
    // small enough for the incremental measures: the matrix, computed once; else the book's
    // P&L streamed
    let (pnl, matrix) = if n.saturating_mul(np) <= INCREMENTAL_ENTRIES && np > 0 {
        let m = rev.pnl_matrix(set)?;
        (m.totals(), Some(m))
    } else {
        let pnl: Vec<f64> = (0..n)
            .into_par_iter()
            .map_init(
                || (vec![0.0; np], Vec::new()),
                |(row, vals), s| {
                    rev.row(set, s, row, vals);
                    row.iter().sum::<f64>()
                },
            )
            .collect();
        (pnl, None)
    };
    let losses: Vec<f64> = pnl.iter().map(|x| -x).collect();
    let mut measures = Vec::new();
    for &c in confidences {
        let alpha = 1.0 - c;
        let (var, es, at, worse) = var_es(&losses, alpha);
        let (_, last_w) = tail_weights(alpha, n);
        let an = alpha * n as f64;
        // the tail scenarios' rows, weighted as in ES
        let mut tail: Vec<(usize, f64)> = worse.iter().map(|i| (*i, 1.0 / an)).collect();
        tail.push((at, last_w / an));
        let (es_c, var_c) = tail
            .par_iter()
            .map_init(
                || (vec![0.0; np], Vec::new()),
                |(row, vals), &(s, w)| {
                    rev.row(set, s, row, vals);
                    let es: Vec<f64> = row.iter().map(|x| -x * w).collect();
                    let var: Vec<f64> = if s == at {
                        row.iter().map(|x| -x).collect()
                    } else {
                        vec![0.0; np]
                    };
                    (es, var)
                },
            )
            .reduce(
                || (vec![0.0; np], vec![0.0; np]),
                |(mut a, mut b), (c, d)| {
                    a.iter_mut().zip(&c).for_each(|(x, y)| *x += y);
                    b.iter_mut().zip(&d).for_each(|(x, y)| *x += y);
                    (a, b)
                },
            );
        let mut by_underlying: BTreeMap<String, Components> = BTreeMap::new();
        for (p, coin) in rev.coin_of().iter().enumerate() {
            let e = by_underlying.entry(rev.coins()[*coin].clone()).or_default();
            e.var += var_c[p];
            e.es += es_c[p];
        }
        let incremental = matrix
            .as_ref()
            .map(|m| incremental_measures(m, &losses, alpha, (var, es)));
        measures.push(TailMeasure {
            incremental,
            confidence: c,
            var,
            es,
            var_scenario: at,
            standard_error: batches.map(|b| batch_error(&losses, alpha, b)),
            var_contributions: var_c,
            es_contributions: es_c,
            by_underlying,
        });
    }
    Ok(TailRisk {
        scenarios: n,
        positions: rev.positions().to_vec(),
        mean_pnl: pnl.iter().sum::<f64>() / n as f64,
        measures,
        pnl,
    })
}

/// Batch-means standard errors of VaR and ES.
fn batch_error(losses: &[f64], alpha: f64, batches: usize) -> StandardError {
    let size = losses.len() / batches;
    let (vars, ess): (Vec<f64>, Vec<f64>) = (0..batches)
        .map(|b| {
            let (v, e, _, _) = var_es(&losses[b * size..(b + 1) * size], alpha);
            (v, e)
        })
        .unzip();
    let se = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64;
        (var / x.len() as f64).sqrt()
    };
    StandardError {
        var: se(&vars),
        es: se(&ess),
        batches,
    }
}
