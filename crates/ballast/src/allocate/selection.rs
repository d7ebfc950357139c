//! What a request allocates over: the coins kept, their returns and covariance — from one
//! common window ([`AllocationSpec::select`]) or each pair over its overlap
//! ([`AllocationSpec::select_pairwise`]).

use super::pipeline::bad;
use super::{AllocateError, AllocationMethod, AllocationSpec, BlPrior, HrpCorrelation};
use crate::data::{GappedReturns, Returns};
use crate::estimate::{
    own_history_means, pairwise_estimate, vol_adjusted_momentum, Covariance, CovarianceSpec, ExpectedReturns,
    PairwiseEstimate, DEFAULT_MIN_OVERLAP,
};

/// The assets a request allocates over (after any momentum selection), with their returns and
/// fitted covariance.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Returns of the selected assets on one common window (T×K); `None` when the estimates are
    /// pairwise (coins with unequal histories have no common window).
    pub returns: Option<Returns>,
    /// Their annualised covariance (K×K).
    pub covariance: Covariance,
    /// Volatility-adjusted momentum of every asset of the universe, when the request uses it.
    pub scores: Option<Vec<f64>>,
    /// Expected returns estimated with the selection (pairwise: each coin over its own
    /// history); `None` = estimate them from `returns`.
    pub mu: Option<Vec<f64>>,
    /// The pairwise estimate behind `covariance`, when there is one.
    pub pairwise: Option<PairwiseEstimate>,
    /// The whole universe's returns when momentum kept only some coins: the market of CAPM
    /// expected returns and of a market-implied δ is the universe's, not the kept coins'.
    pub universe: Option<Returns>,
}

impl Selection {
    /// The common-window returns, or an error saying that `what` needs them.
    ///
    /// # Errors
    /// [`AllocateError::BadParameter`] when the selection is pairwise.
    pub fn common_returns(&self, what: &str) -> Result<&Returns, AllocateError> {
        self.returns.as_ref().ok_or_else(|| {
            AllocateError::BadParameter(format!(
                "{what} needs every coin's return on every date of one window (historical scenarios); history = pairwise has no such window: use history = common"
            ))
        })
    }
}

impl AllocationSpec {
    /// Momentum selection (the `top` coins by volatility-adjusted momentum, if asked) and the
    /// covariance of what is kept: the block of the whole universe's estimate, so that the
    /// kept coins' risk is measured as it is for every other coin of the universe (a
    /// shrinkage estimator refitted on the kept coins alone would shrink differently).
    ///
    /// # Errors
    /// A momentum look-back longer than the window; the estimator's errors.
    pub fn select(&self, returns: &Returns, estimator: &CovarianceSpec) -> Result<Selection, AllocateError> {
        let scores = match self.momentum {
            Some(mo) => {
                if mo.lookback > returns.n_periods() {
                    return bad(format!(
                        "momentum lookback = {} days is longer than the window of {} returns",
                        mo.lookback,
                        returns.n_periods()
                    ));
                }
                Some(vol_adjusted_momentum(returns, mo.lookback)?)
            }
            None => None,
        };
        let fitted = estimator.fit(returns)?;
        let mut universe = None;
        let (kept_returns, covariance) = match (self.momentum.and_then(|m| m.top), &scores) {
            (Some(k), Some(s)) if k < returns.n_assets() => {
                let mut order: Vec<usize> = (0..s.len()).collect();
                order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
                order.truncate(k);
                order.sort_unstable();
                let names: Vec<String> = order.iter().map(|&i| returns.assets()[i].clone()).collect();
                let kept = returns
                    .select(&names)
                    .map_err(|e| AllocateError::BadParameter(e.to_string()))?;
                let block = fitted.select(&names).ok_or_else(|| {
                    AllocateError::BadParameter("momentum: the kept coins are not in the covariance".into())
                })?;
                universe = Some(returns.clone());
                (kept, block)
            }
            _ => (returns.clone(), fitted),
        };
        Ok(Selection {
            returns: Some(kept_returns),
            covariance,
            scores,
            mu: None,
            pairwise: None,
            universe,
        })
    }

    /// The selection for estimates over unequal histories (`history = "pairwise"`): every coin of
    /// `returns`, the pairwise-complete sample covariance (repaired to positive definite when
    /// needed) and each coin's expected return over its own returns.
    ///
    /// # Errors
    /// A request that needs a common window (momentum; expected returns other than historical
    /// or geometric); those of [`pairwise_estimate`] (too little overlap, naming the pair).
    pub fn select_pairwise(
        &self,
        returns: &GappedReturns,
        estimator: &CovarianceSpec,
    ) -> Result<Selection, AllocateError> {
        estimator.estimator()?;
        if self.momentum.is_some() {
            return Err(AllocateError::BadParameter(
                "momentum ranks coins over a common look-back; with history = pairwise leave momentum out, or use history = common".into(),
            ));
        }
        let uses_mu = match &self.method {
            AllocationMethod::BlackLitterman { prior, .. } => *prior == BlPrior::Mu,
            _ => true,
        };
        let mu = match (&self.mu, uses_mu) {
            (ExpectedReturns::Historical, _) => own_history_means(returns, false),
            (ExpectedReturns::Geometric, _) => own_history_means(returns, true),
            (_, false) => own_history_means(returns, false),
            (other, true) => {
                return Err(AllocateError::BadParameter(format!(
                    "mu = '{}' needs one common window; with history = pairwise use mu = historical or geometric (each coin over its own history)",
                    other.method().name()
                )))
            }
        };
        let est = pairwise_estimate(returns, estimator.min_overlap.unwrap_or(DEFAULT_MIN_OVERLAP))?;
        Ok(Selection {
            returns: None,
            covariance: est.covariance.clone(),
            scores: None,
            mu: Some(mu),
            pairwise: Some(est),
            universe: None,
        })
    }

    /// The correlation HRP clusters on, when it is not the covariance's own.
    pub(crate) fn cluster_correlation<'a>(
        &self,
        sel: &'a Selection,
    ) -> Result<Option<&'a crate::SymMatrix>, AllocateError> {
        let wanted = match &self.method {
            AllocationMethod::Hrp { correlation, .. } => *correlation,
            _ => HrpCorrelation::Covariance,
        };
        match (wanted, &sel.pairwise) {
            (HrpCorrelation::Covariance, _) => Ok(None),
            (HrpCorrelation::Pairwise, Some(p)) => Ok(Some(&p.correlation)),
            (HrpCorrelation::Pairwise, None) => Err(AllocateError::BadParameter(
                "hrp_correlation = pairwise needs history = pairwise (with one common window the pairwise correlation is the covariance's own)".into(),
            )),
        }
    }
}
