//! Scenarios at several horizons in one matrix: a stress library whose scenarios move time
//! by different numbers of days (a week of theta, a user's "ten days later").

use super::engine::{PnlMatrix, PositionWarning, Revaluer, ScenarioSet};
use super::ScenarioError;
use crate::book::Book;

/// A [`PnlMatrix`] whose scenarios each have their own horizon, with the positions' coins and
/// the warnings of every horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonPnl {
    /// P&L per scenario (in the set's order) and position.
    pub matrix: PnlMatrix,
    /// Index of each position's coin in the set's coins.
    pub coin_of: Vec<usize>,
    /// Positions floored or expiring at some horizon (each message once).
    pub warnings: Vec<PositionWarning>,
}

/// The P&L of every position of `book` in every scenario of `set`, scenario s valued
/// `days[s]` days after the valuation (the set's own `horizon_days` is ignored): one
/// [`Revaluer`] per distinct horizon.
///
/// # Errors
/// As [`Revaluer::new`] and [`Revaluer::pnl_matrix`]; `days` not one per scenario, or a
/// horizon outside 0…3,650 days.
pub fn pnl_at_horizons(book: &Book, set: &ScenarioSet, days: &[f64]) -> Result<HorizonPnl, ScenarioError> {
    set.validate()?;
    if days.len() != set.len() {
        return Err(ScenarioError::Invalid(format!(
            "{} horizons for {} scenarios",
            days.len(),
            set.len()
        )));
    }
    let mut horizons: Vec<f64> = days.to_vec();
    horizons.sort_by(f64::total_cmp);
    horizons.dedup();
    if horizons.is_empty() {
        horizons.push(0.0);
    }
    let np = book.positions.len();
    let mut pnl = vec![0.0; set.len() * np];
    let (mut coin_of, mut warnings) = (Vec::new(), Vec::<PositionWarning>::new());
    for h in horizons {
        let rows: Vec<usize> = (0..set.len()).filter(|s| days[*s] == h).collect();
        let sub = set.select(&rows, h);
        let rev = Revaluer::new(book, &sub)?;
        let m = rev.pnl_matrix(&sub)?;
        for (k, s) in rows.iter().enumerate() {
            pnl[s * np..(s + 1) * np].copy_from_slice(m.row(k));
        }
        coin_of = rev.coin_of().to_vec();
        for w in &rev.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
    }
    Ok(HorizonPnl {
        matrix: PnlMatrix {
            positions: book.positions.iter().map(|p| p.name.clone()).collect(),
            scenarios: set.len(),
            pnl,
        },
        coin_of,
        warnings,
    })
}
