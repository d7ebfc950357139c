//! Per-asset weight bounds for long-only, fully invested portfolios.

use super::AllocateError;

/// Lower and upper weight bounds, fractions of portfolio value, per asset.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightBounds {
    /// Lower bound per asset.
    pub lower: Vec<f64>,
    /// Upper bound per asset.
    pub upper: Vec<f64>,
}

impl WeightBounds {
    /// The same bounds for every one of `n` assets.
    pub fn uniform(n: usize, lower: f64, upper: f64) -> Self {
        Self {
            lower: vec![lower; n],
            upper: vec![upper; n],
        }
    }

    /// Check the bounds can hold a long-only, fully invested portfolio: 0 ≤ lᵢ ≤ uᵢ,
    /// Σ lᵢ ≤ 1 ≤ Σ uᵢ. The error names the violated constraint.
    pub fn check(&self, assets: &[String]) -> Result<(), AllocateError> {
        let n = assets.len();
        if self.lower.len() != n || self.upper.len() != n {
            return Err(AllocateError::BadParameter(format!(
                "bounds given for {} / {} assets, expected {n}",
                self.lower.len(),
                self.upper.len()
            )));
        }
        for i in 0..n {
            let (l, u) = (self.lower[i], self.upper[i]);
            if !(l.is_finite() && u.is_finite() || l.is_finite() && u == f64::INFINITY) || l < 0.0 {
                return Err(AllocateError::Infeasible(format!(
                    "{}: bounds [{l}, {u}] must be finite with 0 ≤ min_weight",
                    assets[i]
                )));
            }
            if l > u {
                return Err(AllocateError::Infeasible(format!(
                    "{}: min_weight {l} > max_weight {u}",
                    assets[i]
                )));
            }
        }
        let (sl, su): (f64, f64) = (self.lower.iter().sum(), self.upper.iter().sum());
        if sl > 1.0 + 1e-12 {
            return Err(AllocateError::Infeasible(format!(
                "the minimum weights sum to {sl:.6} > 1 over {n} assets"
            )));
        }
        if su < 1.0 - 1e-12 {
            return Err(AllocateError::Infeasible(format!(
                "the maximum weights sum to {su:.6} < 1 over {n} assets: a fully invested portfolio is impossible"
            )));
        }
        Ok(())
    }

    /// Whether any bound can bind (some lower > 0 or upper < 1).
    pub fn is_active(&self) -> bool {
        self.lower.iter().any(|&l| l > 0.0) || self.upper.iter().any(|&u| u < 1.0)
    }

    /// Project weights proportional to `raw` (positive) onto the bounds while keeping Σw = 1:
    /// assets whose proportional share leaves [lᵢ, uᵢ] are fixed at the bound and the rest is
    /// redistributed proportionally to `raw` among the others ("water-filling").
    pub fn fill_proportional(&self, raw: &[f64]) -> Vec<f64> {
        let n = raw.len();
        let mut fixed: Vec<Option<f64>> = vec![None; n];
        loop {
            let budget = 1.0 - fixed.iter().flatten().sum::<f64>();
            let free: f64 = (0..n).filter(|&i| fixed[i].is_none()).map(|i| raw[i]).sum();
            let w: Vec<f64> = (0..n)
                .map(|i| fixed[i].unwrap_or(raw[i] / free * budget))
                .collect();
            // fix the worst violator(s) of one side, then iterate
            let mut changed = false;
            for i in 0..n {
                if fixed[i].is_none() {
                    if w[i] > self.upper[i] {
                        fixed[i] = Some(self.upper[i]);
                        changed = true;
                    } else if w[i] < self.lower[i] {
                        fixed[i] = Some(self.lower[i]);
                        changed = true;
                    }
                }
            }
            if !changed || fixed.iter().all(Option::is_some) {
                return w;
            }
        }
    }
}
