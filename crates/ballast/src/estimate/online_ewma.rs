//! An exponentially weighted covariance updated one observation at a time, for a live service:
//! prices arrive at irregular instants, and each return is weighed by the time it spans.

use super::EstimateError;
use crate::linalg::SymMatrix;

/// Most coins an [`OnlineEwma`] follows.
pub const MAX_ONLINE_ASSETS: usize = 1_000;

/// RiskMetrics' zero-mean exponentially weighted covariance in continuous time, in daily
/// units.
///
/// # Formula
/// A return r over Δt days (simple, per coin) decays the past by d = λ^Δt and adds its
/// variance rate: S ← d·S + (1 − d)·r r′ / Δt, W ← d·W + (1 − d); the covariance of one-day
/// returns is S / W. With one observation a day this is [`super::Ewma`] (J.P. Morgan,
/// RiskMetrics — Technical Document, 1996) before annualisation: the weights
/// (1 − λ) λ^(T−t) / (1 − λ^T).
#[derive(Debug, Clone)]
pub struct OnlineEwma {
    assets: Vec<String>,
    lambda: f64,
    /// Row-major N×N.
    sum: Vec<f64>,
    weight: f64,
    observations: usize,
    /// The last prices and their instant (days).
    last: Option<(Vec<f64>, f64)>,
}

impl OnlineEwma {
    /// A covariance of `assets`' returns with daily decay `lambda` (RiskMetrics: 0.94), no
    /// observation yet.
    ///
    /// # Errors
    /// [`EstimateError::BadParameter`]: λ outside (0, 1), no asset or more than
    /// [`MAX_ONLINE_ASSETS`].
    pub fn new(assets: Vec<String>, lambda: f64) -> Result<Self, EstimateError> {
        if !(lambda > 0.0 && lambda < 1.0) {
            return Err(EstimateError::BadParameter {
                estimator: "online ewma",
                name: "lambda",
                value: lambda,
                expected: "0 < lambda < 1, e.g. 0.94",
            });
        }
        if assets.is_empty() || assets.len() > MAX_ONLINE_ASSETS {
            return Err(EstimateError::BadParameter {
                estimator: "online ewma",
                name: "assets",
                value: assets.len() as f64,
                expected: "1 to 1000 coins",
            });
        }
        let n = assets.len();
        Ok(Self {
            assets,
            lambda,
            sum: vec![0.0; n * n],
            weight: 0.0,
            observations: 0,
            last: None,
        })
    }

    /// The coins, in the covariance's order.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// Returns taken in so far.
    pub fn observations(&self) -> usize {
        self.observations
    }

    /// Take in one vector of simple returns spanning `days` (> 0); a return that is not finite
    /// (a coin without a price on one side) leaves the whole observation out.
    ///
    /// # Errors
    /// [`EstimateError::BadParameter`]: a length other than the assets', or `days` not a
    /// positive finite number.
    pub fn update(&mut self, returns: &[f64], days: f64) -> Result<bool, EstimateError> {
        let n = self.assets.len();
        if returns.len() != n || !(days > 0.0 && days.is_finite()) {
            return Err(EstimateError::BadParameter {
                estimator: "online ewma",
                name: "update",
                value: days,
                expected: "one return per asset over a positive number of days",
            });
        }
        if returns.iter().any(|r| !r.is_finite()) {
            return Ok(false);
        }
        let d = self.lambda.powf(days);
        let w = (1.0 - d) / days;
        for i in 0..n {
            for j in 0..n {
                let s = &mut self.sum[i * n + j];
                *s = d * *s + w * returns[i] * returns[j];
            }
        }
        self.weight = d * self.weight + (1.0 - d);
        self.observations += 1;
        Ok(true)
    }

    /// Take in prices observed at `at_days` (any epoch, in days): the return since the last
    /// prices, if any and earlier. Returns whether a return was taken in.
    ///
    /// # Errors
    /// A length other than the assets'.
    pub fn observe(&mut self, prices: &[f64], at_days: f64) -> Result<bool, EstimateError> {
        if prices.len() != self.assets.len() {
            return Err(EstimateError::BadParameter {
                estimator: "online ewma",
                name: "prices",
                value: prices.len() as f64,
                expected: "one price per asset",
            });
        }
        let usable = prices.iter().all(|p| p.is_finite() && *p > 0.0) && at_days.is_finite();
        if !usable {
            return Ok(false);
        }
        let taken = match &self.last {
            Some((p0, t0)) if at_days > *t0 => {
                let r: Vec<f64> = prices.iter().zip(p0).map(|(p, q)| p / q - 1.0).collect();
                self.update(&r, at_days - t0)?
            }
            Some(_) => return Ok(false),
            None => false,
        };
        self.last = Some((prices.to_vec(), at_days));
        Ok(taken)
    }

    /// The covariance of one-day returns (N×N), `None` before the first observation.
    pub fn covariance_daily(&self) -> Option<SymMatrix> {
        if !(self.weight > 0.0) {
            return None;
        }
        let s: Vec<f64> = self.sum.iter().map(|x| x / self.weight).collect();
        SymMatrix::from_row_major(self.assets.len(), s)
    }
}
