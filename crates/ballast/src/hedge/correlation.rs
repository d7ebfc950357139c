//! Correlation hedges of a basket with a few liquid instruments (BTC and ETH perpetuals): the
//! minimum-variance hedge, the beta hedge that sets the book's market exposure to a target, and
//! how either would have done out of sample on crisis days and calm days.
//!
//! # Formula
//! Book return p_t, instrument returns h_t (H of them), Σ their sample covariance (ddof 1).
//! Minimum-variance hedge ratios (instrument notional per unit of book value, negative = short):
//! x = −Σ_hh⁻¹ Σ_hp (= minus the OLS slopes of p on [1, h]); hedged variance
//! σ²_p − Σ_ph Σ_hh⁻¹ Σ_hp; variance reduction 1 − hedged/unhedged (= the regression's R²).
//! Beta hedge: x = target − e with e the book's exposures to the instruments' factors (Bᵀw of a
//! market or explicit factor model on the instruments).
//!
//! Out of sample: for each day t after the first `fit_window` days, the ratios are refitted on the
//! `fit_window` days before t and applied to day t. Crisis days are those whose first
//! instrument's return is at or below its `crisis_quantile` quantile over the out-of-sample days
//! (the crashes, when correlations rise toward 1); the rest are calm.

use super::HedgeError;
use crate::linalg::SymMatrix;
use serde::Serialize;

/// The hedge ratios of a book against instruments, in-sample and out of sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrelationHedge {
    /// `min-variance` or `beta`.
    pub kind: &'static str,
    /// The hedge instruments (the coins whose perpetuals carry the hedge).
    pub instruments: Vec<String>,
    /// Notional per unit of book value (negative = short).
    pub hedge_ratios: Vec<f64>,
    /// Annual volatility of the book.
    pub unhedged_vol_annual: f64,
    /// Annual volatility of the book with the hedge.
    pub hedged_vol_annual: f64,
    /// 1 − hedged variance / unhedged variance.
    pub variance_reduction: f64,
    /// Each instrument alone (minimum-variance ratio, hedged volatility, variance reduction).
    pub single_instrument: Vec<SingleHedge>,
    /// Walk-forward behaviour, when the history allows it.
    pub out_of_sample: Option<OutOfSample>,
}

/// A one-instrument minimum-variance hedge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SingleHedge {
    /// The instrument.
    pub instrument: String,
    /// Notional per unit of book value.
    pub hedge_ratio: f64,
    /// Annual volatility hedged.
    pub hedged_vol_annual: f64,
    /// 1 − hedged/unhedged variance.
    pub variance_reduction: f64,
}

/// Walk-forward results, all days and by regime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutOfSample {
    /// Days each refit uses.
    pub fit_window: usize,
    /// Quantile of the first instrument's return that marks a crisis day.
    pub crisis_quantile: f64,
    /// Return at that quantile (daily).
    pub crisis_threshold: f64,
    /// Every out-of-sample day.
    pub all: RegimeStats,
    /// Crisis days.
    pub crisis: RegimeStats,
    /// Calm days.
    pub calm: RegimeStats,
}

/// How the hedge did over a set of days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegimeStats {
    /// Days.
    pub days: usize,
    /// Correlation of the book with the first instrument over these days.
    pub correlation: f64,
    /// Annualised volatility unhedged / hedged (√365 × daily standard deviation, ddof 1).
    pub unhedged_vol_annual: f64,
    /// Hedged.
    pub hedged_vol_annual: f64,
    /// 1 − hedged/unhedged variance.
    pub variance_reduction: f64,
    /// Mean daily return unhedged.
    pub mean_unhedged: f64,
    /// Mean daily return hedged.
    pub mean_hedged: f64,
    /// Worst day unhedged (a loss is negative).
    pub worst_unhedged: f64,
    /// Worst day hedged.
    pub worst_hedged: f64,
}

fn err<T>(m: String) -> Result<T, HedgeError> {
    Err(HedgeError::Correlation(m))
}

/// Sample covariance (ddof 1) of the columns [h_1..h_H, p] over rows `from..to`.
fn covariance(p: &[f64], h: &[Vec<f64>], from: usize, to: usize) -> SymMatrix {
    let cols: Vec<&[f64]> = h
        .iter()
        .map(|c| &c[from..to])
        .chain(std::iter::once(&p[from..to]))
        .collect();
    let n = to - from;
    let means: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / n as f64).collect();
    let mut s = SymMatrix::zeros(cols.len());
    for a in 0..cols.len() {
        for b in a..cols.len() {
            let v: f64 = (0..n)
                .map(|t| (cols[a][t] - means[a]) * (cols[b][t] - means[b]))
                .sum();
            s.set_sym(a, b, v / (n - 1) as f64);
        }
    }
    s
}

/// x = −Σ_hh⁻¹ Σ_hp from the joint covariance (instruments first, the book last).
fn min_variance_ratios(s: &SymMatrix, names: &[String]) -> Result<Vec<f64>, HedgeError> {
    let k = names.len();
    let idx: Vec<usize> = (0..k).collect();
    let shh = s.select(&idx);
    let shp: Vec<f64> = (0..k).map(|i| s.get(i, k)).collect();
    match shh.solve(&shp) {
        Some(x) => Ok(x.iter().map(|v| -v).collect()),
        None => err(format!(
            "the hedge instruments {} are collinear or constant over the window: their covariance is singular; drop one",
            names.join(", ")
        )),
    }
}

/// The OLS slopes of the book on the instruments over days `from..to` (the book's betas to
/// them; minus the minimum-variance hedge ratios).
///
/// # Errors
/// Collinear or constant instruments, a range of fewer than H + 2 days or out of bounds.
pub fn ols_slopes(
    book: &[f64],
    names: &[String],
    hedges: &[Vec<f64>],
    from: usize,
    to: usize,
) -> Result<Vec<f64>, HedgeError> {
    if to > book.len() || from + names.len() + 2 > to || hedges.iter().any(|h| h.len() < to) {
        return err(format!(
            "days {from}..{to}: too few or out of range for {} instruments",
            names.len()
        ));
    }
    Ok(min_variance_ratios(&covariance(book, hedges, from, to), names)?
        .iter()
        .map(|x| -x)
        .collect())
}

/// Variance of p + xᵀh under `s`.
fn hedged_variance(s: &SymMatrix, x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.push(1.0);
    s.quad_form(&v)
}

/// The minimum-variance hedge of book returns `book` (T) with instrument returns `hedges`
/// (H series of length T), ratios fitted on the whole history, and the walk-forward
/// out-of-sample test when the history is longer than `fit_window` + 30 days.
///
/// # Errors
/// [`HedgeError::Correlation`]: no instrument, series of different lengths, non-finite
/// returns, fewer than H + 3 days, collinear or constant instruments, a `crisis_quantile`
/// outside (0, 0.5], a `fit_window` under H + 3 days.
pub fn min_variance_hedge(
    book: &[f64],
    names: &[String],
    hedges: &[Vec<f64>],
    fit_window: usize,
    crisis_quantile: f64,
    periods_per_year: f64,
) -> Result<CorrelationHedge, HedgeError> {
    check(book, names, hedges, fit_window, crisis_quantile)?;
    let t = book.len();
    let s = covariance(book, hedges, 0, t);
    let x = min_variance_ratios(&s, names)?;
    let single = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let one = covariance(book, &hedges[i..=i], 0, t);
            let r = min_variance_ratios(&one, std::slice::from_ref(n))?;
            let v = hedged_variance(&one, &r);
            Ok(SingleHedge {
                instrument: n.clone(),
                hedge_ratio: r[0],
                hedged_vol_annual: (v.max(0.0) * periods_per_year).sqrt(),
                variance_reduction: 1.0 - v / one.get(1, 1),
            })
        })
        .collect::<Result<Vec<_>, HedgeError>>()?;
    let refit = |from: usize, to: usize| min_variance_ratios(&covariance(book, hedges, from, to), names);
    report(
        "min-variance",
        book,
        names,
        hedges,
        &s,
        x,
        single,
        fit_window,
        crisis_quantile,
        periods_per_year,
        refit,
    )
}

/// The beta hedge: ratios `target − exposures` (exposures of the book to the instruments'
/// factors, from a factor model), with the same in-sample and walk-forward report as
/// [`min_variance_hedge`]; `refit_exposures(from, to)` gives the exposures fitted on days
/// `from..to` for the walk-forward test.
///
/// # Errors
/// As [`min_variance_hedge`]; a target or exposures of the wrong length or not finite.
#[allow(clippy::too_many_arguments)]
pub fn beta_hedge(
    book: &[f64],
    names: &[String],
    hedges: &[Vec<f64>],
    exposures: &[f64],
    target: &[f64],
    fit_window: usize,
    crisis_quantile: f64,
    periods_per_year: f64,
    refit_exposures: impl Fn(usize, usize) -> Result<Vec<f64>, HedgeError>,
) -> Result<CorrelationHedge, HedgeError> {
    check(book, names, hedges, fit_window, crisis_quantile)?;
    if exposures.len() != names.len() || target.len() != names.len() {
        return err(format!(
            "{} exposures and {} targets for {} instruments",
            exposures.len(),
            target.len(),
            names.len()
        ));
    }
    if let Some(b) = target.iter().find(|b| !(b.is_finite() && b.abs() <= 10.0)) {
        return err(format!(
            "target beta {b} must be a number in [-10, 10] (0 = market neutral)"
        ));
    }
    let s = covariance(book, hedges, 0, book.len());
    let x: Vec<f64> = target.iter().zip(exposures).map(|(t, e)| t - e).collect();
    let refit = |from: usize, to: usize| -> Result<Vec<f64>, HedgeError> {
        let e = refit_exposures(from, to)?;
        Ok(target.iter().zip(&e).map(|(t, e)| t - e).collect())
    };
    report(
        "beta",
        book,
        names,
        hedges,
        &s,
        x,
        Vec::new(),
        fit_window,
        crisis_quantile,
        periods_per_year,
        refit,
    )
}

fn check(
    book: &[f64],
    names: &[String],
    hedges: &[Vec<f64>],
    fit_window: usize,
    q: f64,
) -> Result<(), HedgeError> {
    if names.is_empty() || names.len() != hedges.len() {
        return err("give at least one hedge instrument (e.g. BTC-PERPETUAL,ETH-PERPETUAL)".into());
    }
    let t = book.len();
    if hedges.iter().any(|h| h.len() != t) {
        return err("the book and the hedge instruments have return series of different lengths".into());
    }
    if book.iter().chain(hedges.iter().flatten()).any(|x| !x.is_finite()) {
        return err(
            "a return of the book or of a hedge instrument is missing or not finite in the window".into(),
        );
    }
    let need = names.len() + 3;
    if t < need {
        return err(format!(
            "{t} days of returns; a hedge on {} instruments needs at least {need}",
            names.len()
        ));
    }
    if fit_window < need || fit_window > 100_000 {
        return err(format!(
            "fit_window = {fit_window} days must be between {need} and 100000"
        ));
    }
    if !(q > 0.0 && q <= 0.5) {
        return err(format!(
            "crisis_quantile = {q} must be in (0, 0.5], e.g. 0.05 for the worst 5 % of days"
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn report(
    kind: &'static str,
    book: &[f64],
    names: &[String],
    hedges: &[Vec<f64>],
    s: &SymMatrix,
    x: Vec<f64>,
    single: Vec<SingleHedge>,
    fit_window: usize,
    q: f64,
    ppy: f64,
    refit: impl Fn(usize, usize) -> Result<Vec<f64>, HedgeError>,
) -> Result<CorrelationHedge, HedgeError> {
    let k = names.len();
    let unhedged = s.get(k, k);
    let hedged = hedged_variance(s, &x).max(0.0);
    let t = book.len();
    let out_of_sample = if t >= fit_window + 30 {
        let mut pairs = Vec::with_capacity(t - fit_window);
        for day in fit_window..t {
            let r = refit(day - fit_window, day)?;
            let hedged: f64 = book[day] + r.iter().zip(hedges).map(|(xi, h)| xi * h[day]).sum::<f64>();
            pairs.push((day, book[day], hedged));
        }
        Some(walk_forward(&pairs, &hedges[0], fit_window, q, ppy))
    } else {
        None
    };
    Ok(CorrelationHedge {
        kind,
        instruments: names.to_vec(),
        hedge_ratios: x,
        unhedged_vol_annual: (unhedged * ppy).sqrt(),
        hedged_vol_annual: (hedged * ppy).sqrt(),
        variance_reduction: 1.0 - hedged / unhedged,
        single_instrument: single,
        out_of_sample,
    })
}

/// Split the out-of-sample days (day, unhedged, hedged) into crisis and calm.
fn walk_forward(
    pairs: &[(usize, f64, f64)],
    market: &[f64],
    fit_window: usize,
    q: f64,
    ppy: f64,
) -> OutOfSample {
    let mut m: Vec<f64> = pairs.iter().map(|p| market[p.0]).collect();
    m.sort_by(f64::total_cmp);
    let threshold = m[((q * m.len() as f64).ceil() as usize).clamp(1, m.len()) - 1];
    let stats = |keep: &dyn Fn(f64) -> bool| {
        let sel: Vec<&(usize, f64, f64)> = pairs.iter().filter(|p| keep(market[p.0])).collect();
        regime(&sel, market, ppy)
    };
    OutOfSample {
        fit_window,
        crisis_quantile: q,
        crisis_threshold: threshold,
        all: stats(&|_| true),
        crisis: stats(&|r| r <= threshold),
        calm: stats(&|r| r > threshold),
    }
}

fn regime(sel: &[&(usize, f64, f64)], market: &[f64], ppy: f64) -> RegimeStats {
    let n = sel.len();
    let mean = |f: &dyn Fn(&(usize, f64, f64)) -> f64| sel.iter().map(|p| f(p)).sum::<f64>() / n as f64;
    let (mu, mh, mm) = (mean(&|p| p.1), mean(&|p| p.2), mean(&|p| market[p.0]));
    let var = |f: &dyn Fn(&(usize, f64, f64)) -> f64, m: f64| {
        sel.iter().map(|p| (f(p) - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)
    };
    let (vu, vh, vm) = (var(&|p| p.1, mu), var(&|p| p.2, mh), var(&|p| market[p.0], mm));
    let cov: f64 = sel.iter().map(|p| (p.1 - mu) * (market[p.0] - mm)).sum::<f64>() / (n as f64 - 1.0);
    RegimeStats {
        days: n,
        correlation: cov / (vu * vm).sqrt(),
        unhedged_vol_annual: (vu * ppy).sqrt(),
        hedged_vol_annual: (vh * ppy).sqrt(),
        variance_reduction: 1.0 - vh / vu,
        mean_unhedged: mu,
        mean_hedged: mh,
        worst_unhedged: sel.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
        worst_hedged: sel.iter().map(|p| p.2).fold(f64::INFINITY, f64::min),
    }
}
