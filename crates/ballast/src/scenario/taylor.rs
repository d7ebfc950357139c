//! The Taylor approximations of scenario P&L that full revaluation replaces: delta only, and
//! delta-gamma-vega-theta, from each position's Greeks at the valuation.

use super::engine::ScenarioSet;
use super::ScenarioError;
use crate::book::{position_risk, position_ticker, Book, BookError};

/// Book P&L per scenario (USD) by Taylor expansion: (delta only, delta-gamma-vega-theta).
///
/// # Formula
/// P&L_p ≈ Δ_p S m + ½ Γ_p (S m)² + ν_p · 100 σ_p v + Θ_p h, with m and v the scenario's
/// relative spot and vol moves of the position's coin, Δ (coins), Γ (per USD), ν (USD per vol
/// point), Θ (USD per day) from [`crate::book::position_risk`] and h the horizon in days.
///
/// # Errors
/// [`ScenarioError`]: a position on a coin the set does not move, or one the snapshot cannot
/// value (named).
pub fn taylor_pnl(book: &Book, set: &ScenarioSet) -> Result<(Vec<f64>, Vec<f64>), ScenarioError> {
    set.validate()?;
    let n = set.coins.len();
    let mut terms = Vec::new();
    for p in &book.positions {
        let at = |e: BookError| ScenarioError::Book(e.at(p));
        let c = set
            .coins
            .iter()
            .position(|x| x.eq_ignore_ascii_case(p.instrument.coin()))
            .ok_or_else(|| {
                ScenarioError::Invalid(format!(
                    "position {}: the scenarios do not move {}",
                    p.name,
                    p.instrument.coin()
                ))
            })?;
        let r = position_risk(p, &book.market).map_err(at)?;
        let vol = position_ticker(p, &book.market)
            .map_err(at)?
            .and_then(|t| t.vol)
            .unwrap_or(0.0);
        // per unit relative move: delta USD, ½Γ S², vega per unit relative vol move
        terms.push((
            c,
            r.delta_usd,
            0.5 * r.gamma * r.spot * r.spot,
            r.vega * 100.0 * vol,
            r.theta,
        ));
    }
    let h = set.horizon_days;
    let (mut delta, mut full) = (Vec::with_capacity(set.len()), Vec::with_capacity(set.len()));
    for s in 0..set.len() {
        let (spot, vol) = (&set.spot[s * n..(s + 1) * n], &set.vol[s * n..(s + 1) * n]);
        let (mut d, mut f) = (0.0, 0.0);
        for &(c, du, g, v, th) in &terms {
            let m = spot[c];
            d += du * m;
            f += du * m + g * m * m + v * vol[c] + th * h;
        }
        delta.push(d);
        full.push(f);
    }
    Ok((delta, full))
}
