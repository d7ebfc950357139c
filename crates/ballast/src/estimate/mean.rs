//! Expected-return estimators, annualised.

use super::EstimateError;
use crate::data::Returns;

/// Historical arithmetic mean × periods per year (PyPortfolioOpt
/// `mean_historical_return(compounding=False, frequency=365)`). Length N, annual.
///
/// Errors: fewer than 1 period.
pub fn historical_mean(returns: &Returns) -> Result<Vec<f64>, EstimateError> {
    let t = returns.n_periods();
    if t == 0 {
        return Err(EstimateError::TooFewObservations {
            estimator: "historical mean",
            needed: 1,
            got: 0,
        });
    }
    Ok((0..returns.n_assets())
        .map(|j| returns.column(j).iter().sum::<f64>() / t as f64 * returns.periods_per_year())
        .collect())
}
