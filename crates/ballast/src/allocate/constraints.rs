//! Constraints shared by every solver-based allocator (mean-variance family, min-CVaR).

use super::conic::Conic;
use super::AllocateError;
use crate::data::Returns;
use crate::estimate::{Covariance, FactorModel, FactorModelSpec, FittedFactorModel};
use crate::message::Num;

/// A group limit, e.g. "layer-1 coins ≤ 40 %": lower ≤ Σ_{i∈members} w_i ≤ upper.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Name (for messages).
    pub name: String,
    /// Indices of the member assets (covariance order).
    pub members: Vec<usize>,
    /// Lower limit on the group's total weight.
    pub lower: f64,
    /// Upper limit on the group's total weight.
    pub upper: f64,
}

/// A linear exposure limit, lower ≤ Σ_i loadings_i w_i ≤ upper: e.g. the book's beta to BTC held
/// at 0 (beta-neutral, loadings = each coin's beta).
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureLimit {
    /// Name (for messages), e.g. "beta to BTC".
    pub name: String,
    /// One loading per asset (covariance order).
    pub loadings: Vec<f64>,
    /// Lower limit on the exposure.
    pub lower: f64,
    /// Upper limit on the exposure (equal to `lower` for an equality).
    pub upper: f64,
}

impl ExposureLimit {
    /// One limit per factor of a fitted model: |Σ_i β_ik w_i| ≤ `tolerance` (= 0 with
    /// tolerance 0: beta-neutral), over `assets` (which the model must cover).
    ///
    /// # Errors
    /// [`AllocateError::BadParameter`] when the model lacks one of `assets` or the tolerance is
    /// negative or not finite.
    pub fn beta_neutral(
        model: &FittedFactorModel,
        assets: &[String],
        tolerance: f64,
    ) -> Result<Vec<Self>, AllocateError> {
        if !(tolerance >= 0.0 && tolerance.is_finite()) {
            return Err(AllocateError::BadParameter(format!(
                "beta_tolerance = {} must be a finite number ≥ 0, e.g. 0.05",
                Num(tolerance)
            )));
        }
        let b = model.loadings_for(assets).ok_or_else(|| {
            AllocateError::BadParameter(format!(
                "beta_neutral: the factor model {} does not cover every asset of {}",
                model.model,
                assets.join(",")
            ))
        })?;
        let k = model.n_factors();
        Ok((0..k)
            .map(|f| ExposureLimit {
                name: format!("beta-neutral to {} ({})", model.factors[f], model.model),
                loadings: (0..assets.len()).map(|i| b[i * k + f]).collect(),
                lower: -tolerance,
                upper: tolerance,
            })
            .collect())
    }
}

/// Portfolio constraints. Weights are fractions of portfolio value.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraints {
    /// Per-asset lower bounds (negative allows shorting; −∞ allowed with a gross cap).
    pub lower: Vec<f64>,
    /// Per-asset upper bounds.
    pub upper: Vec<f64>,
    /// Group limits.
    pub groups: Vec<Group>,
    /// Σ w = net exposure: 1 = fully invested (default), 0 = market neutral.
    pub net_exposure: f64,
    /// Σ |w| ≤ this (gross leverage), if set.
    pub max_gross: Option<f64>,
    /// Current weights, for turnover and costs.
    pub current: Option<Vec<f64>>,
    /// Σ |w − current| ≤ this (one-way turnover counted both sides), if set.
    pub max_turnover: Option<f64>,
    /// Proportional transaction cost per unit of |w − current|, in the objective's units
    /// (annual return), e.g. 0.001 for 10 bps.
    pub cost: f64,
    /// L2 regularisation γ‖w‖² added to the objective.
    pub l2: f64,
    /// Linear exposure limits (beta-neutrality to each factor of a model).
    pub exposures: Vec<ExposureLimit>,
}

impl Constraints {
    /// Long-only, fully invested, weights in [0, 1].
    pub fn long_only(n: usize) -> Self {
        Self {
            lower: vec![0.0; n],
            upper: vec![1.0; n],
            groups: Vec::new(),
            net_exposure: 1.0,
            max_gross: None,
            current: None,
            max_turnover: None,
            cost: 0.0,
            l2: 0.0,
            exposures: Vec::new(),
        }
    }

    /// Same bounds [lo, hi] for every asset.
    pub fn with_bounds(mut self, lo: f64, hi: f64) -> Self {
        self.lower.iter_mut().for_each(|l| *l = lo);
        self.upper.iter_mut().for_each(|u| *u = hi);
        self
    }

    /// Check shapes and obvious contradictions, naming what is wrong.
    pub fn validate(&self, assets: &[String]) -> Result<(), AllocateError> {
        let n = assets.len();
        let bad = |m: String| Err(AllocateError::Infeasible(m));
        if self.lower.len() != n || self.upper.len() != n {
            return Err(AllocateError::BadParameter(format!(
                "bounds for {} assets, expected {n}",
                self.lower.len()
            )));
        }
        for i in 0..n {
            if self.lower[i] > self.upper[i] || self.lower[i].is_nan() || self.upper[i].is_nan() {
                return bad(format!(
                    "{}: lower bound {} > upper bound {}",
                    assets[i], self.lower[i], self.upper[i]
                ));
            }
        }
        for g in &self.groups {
            if g.members.iter().any(|&i| i >= n) || g.members.is_empty() {
                return Err(AllocateError::BadParameter(format!(
                    "group '{}' has no valid members",
                    g.name
                )));
            }
            if g.lower > g.upper {
                return bad(format!(
                    "group '{}': lower {} > upper {}",
                    g.name, g.lower, g.upper
                ));
            }
        }
        for e in &self.exposures {
            if e.loadings.len() != n || e.loadings.iter().any(|v| !v.is_finite()) {
                return Err(AllocateError::BadParameter(format!(
                    "{}: {} loadings for {n} assets, or a loading that is not finite",
                    e.name,
                    e.loadings.len()
                )));
            }
            if !(e.lower <= e.upper) {
                return bad(format!(
                    "{}: lower {} > upper {}",
                    e.name,
                    Num(e.lower),
                    Num(e.upper)
                ));
            }
        }
        if let Some(c) = &self.current {
            if c.len() != n || c.iter().any(|v| !v.is_finite()) {
                return Err(AllocateError::BadParameter(
                    "current weights: wrong length or not finite".into(),
                ));
            }
        }
        if (self.max_turnover.is_some() || self.cost > 0.0) && self.current.is_none() {
            return Err(AllocateError::BadParameter(
                "turnover limits and costs are measured from the current weights: give them in the constraints (current = { BTC = 0.5, ETH = 0.5 }); a portfolio file and a backtest use their holdings".into(),
            ));
        }
        for (name, v) in [("max_gross", self.max_gross), ("max_turnover", self.max_turnover)] {
            if let Some(v) = v {
                if !(v >= 0.0 && v.is_finite()) {
                    return Err(AllocateError::BadParameter(format!(
                        "{name} = {} must be a finite number ≥ 0",
                        Num(v)
                    )));
                }
            }
        }
        if !(self.cost >= 0.0 && self.l2 >= 0.0) {
            return Err(AllocateError::BadParameter(
                "costs and L2 penalty must be ≥ 0".into(),
            ));
        }
        let unbounded =
            self.lower.iter().any(|l| l.is_infinite()) || self.upper.iter().any(|u| u.is_infinite());
        if unbounded && self.max_gross.is_none() {
            return Err(AllocateError::BadParameter(
                "unbounded weights need a gross leverage cap (max_gross)".into(),
            ));
        }
        Ok(())
    }

    /// Number of variables: w (n), then t ≥ |w| (n, with a gross cap), then u ≥ |w − w0|
    /// (n, with turnover or costs).
    pub(crate) fn layout(&self, n: usize) -> (usize, Option<usize>, Option<usize>) {
        let mut k = n;
        let t = self.max_gross.map(|_| {
            k += n;
            k - n
        });
        let u = (self.max_turnover.is_some() || self.cost > 0.0).then(|| {
            k += n;
            k - n
        });
        (k, t, u)
    }

    /// Add the constraint rows for w = x[0..n] (and the auxiliary variables of [`layout`]).
    /// With `scale = Some(κ)`, every right-hand side b becomes b·κ (homogenised problems).
    pub(crate) fn apply(&self, c: &mut Conic, n: usize, scale: Option<usize>) {
        let (_, t_off, u_off) = self.layout(n);
        let row = |mut a: Vec<(usize, f64)>, b: f64| -> (Vec<(usize, f64)>, f64) {
            match scale {
                Some(k) => {
                    a.push((k, -b));
                    (a, 0.0)
                }
                None => (a, b),
            }
        };
        let (a, b) = row((0..n).map(|i| (i, 1.0)).collect(), self.net_exposure);
        c.eq(a, b);
        c.labels.push("net exposure".into());
        for i in 0..n {
            if self.upper[i].is_finite() {
                let (a, b) = row(vec![(i, 1.0)], self.upper[i]);
                c.le(a, b);
            }
            if self.lower[i].is_finite() {
                let (a, b) = row(vec![(i, -1.0)], -self.lower[i]);
                c.le(a, b);
            }
        }
        c.labels.push("weight bounds".into());
        for g in &self.groups {
            if g.upper.is_finite() {
                let (a, b) = row(g.members.iter().map(|&i| (i, 1.0)).collect(), g.upper);
                c.le(a, b);
            }
            if g.lower.is_finite() {
                let (a, b) = row(g.members.iter().map(|&i| (i, -1.0)).collect(), -g.lower);
                c.le(a, b);
            }
            c.labels.push(format!("group '{}'", g.name));
        }
        for e in &self.exposures {
            let coef =
                |sign: f64| -> Vec<(usize, f64)> { (0..n).map(|i| (i, sign * e.loadings[i])).collect() };
            if e.lower == e.upper {
                let (a, b) = row(coef(1.0), e.lower);
                c.eq(a, b);
            } else {
                if e.upper.is_finite() {
                    let (a, b) = row(coef(1.0), e.upper);
                    c.le(a, b);
                }
                if e.lower.is_finite() {
                    let (a, b) = row(coef(-1.0), -e.lower);
                    c.le(a, b);
                }
            }
            c.labels.push(e.name.clone());
        }
        if let (Some(t), Some(cap)) = (t_off, self.max_gross) {
            for i in 0..n {
                c.le(vec![(i, 1.0), (t + i, -1.0)], 0.0);
                c.le(vec![(i, -1.0), (t + i, -1.0)], 0.0);
            }
            let (a, b) = row((0..n).map(|i| (t + i, 1.0)).collect(), cap);
            c.le(a, b);
            c.labels.push(format!("gross leverage ≤ {cap}"));
        }
        if let (Some(u), Some(w0)) = (u_off, &self.current) {
            for i in 0..n {
                let (a, b) = row(vec![(i, 1.0), (u + i, -1.0)], w0[i]);
                c.le(a, b);
                let (a, b) = row(vec![(i, -1.0), (u + i, -1.0)], -w0[i]);
                c.le(a, b);
                c.q[u + i] += self.cost;
            }
            if let Some(tau) = self.max_turnover {
                let (a, b) = row((0..n).map(|i| (u + i, 1.0)).collect(), tau);
                c.le(a, b);
                c.labels.push(format!("turnover ≤ {tau}"));
            }
        }
        for i in 0..n {
            if self.l2 > 0.0 {
                c.add_p(i, i, 2.0 * self.l2);
            }
        }
    }
}

/// Constraints as written in a TOML file (`--constraints FILE.toml`) or a portfolio file:
///
/// ```toml
/// min_weight = 0.0          # every asset (default 0)
/// max_weight = 0.30         # every asset (default 1)
/// net_exposure = 1.0        # Σw (1 fully invested, 0 market neutral)
/// max_gross = 1.5           # Σ|w|
/// max_turnover = 0.5        # Σ|w − current|
/// cost = 0.001              # per unit of |w − current|, annual-return units
/// l2 = 0.0                  # γ‖w‖²
/// current = { BTC = 0.5, ETH = 0.5 }
/// bounds = { BTC = [0.05, 0.5] }   # per-asset overrides
/// beta_neutral = "market:BTC"      # Σ β_i w_i = 0 for each factor of this model, fitted on
///                                  # the estimation window (dollar-neutral: net_exposure = 0)
/// beta_tolerance = 0.0             # |Σ β_i w_i| ≤ this instead (default 0)
///
/// [[group]]
/// name = "layer-1"
/// assets = ["BTC", "ETH", "SOL"]
/// max = 0.4
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintsSpec {
    /// Lower bound on every weight (default 0).
    pub min_weight: Option<f64>,
    /// Upper bound on every weight (default 1).
    pub max_weight: Option<f64>,
    /// Σw: 1 fully invested (default), 0 market neutral.
    pub net_exposure: Option<f64>,
    /// Σ|w| cap (needed for shorting).
    pub max_gross: Option<f64>,
    /// Σ|w − current| cap.
    pub max_turnover: Option<f64>,
    #[serde(default)]
    /// Proportional cost per unit of |w − current|, annual-return units.
    pub cost: f64,
    #[serde(default)]
    /// γ of the γ‖w‖² penalty.
    pub l2: f64,
    /// Current weights for turnover and costs (default: the holdings, or all cash).
    pub current: Option<std::collections::BTreeMap<String, f64>>,
    #[serde(default)]
    /// Per-asset [lower, upper] bounds overriding the uniform ones.
    pub bounds: std::collections::BTreeMap<String, [f64; 2]>,
    #[serde(default, rename = "group")]
    /// `[[group]]` limits.
    pub groups: Vec<GroupSpec>,
    /// Hold the book's exposure to every factor of this model at 0 (see
    /// [`ExposureLimit::beta_neutral`]); resolved by the allocation pipeline, which fits the
    /// model on the estimation window.
    pub beta_neutral: Option<FactorModelSpec>,
    /// |exposure| ≤ this instead of = 0 (default 0).
    pub beta_tolerance: Option<f64>,
}

/// `[[group]]`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Name (for messages).
    pub name: String,
    /// Member assets.
    pub assets: Vec<String>,
    /// Lower limit on the members' total weight.
    pub min: Option<f64>,
    /// Upper limit on the members' total weight.
    pub max: Option<f64>,
}

impl ConstraintsSpec {
    /// Resolve asset names against `assets` (covariance order).
    ///
    /// # Errors
    /// An asset name outside `assets` (naming it and the key), and the checks of
    /// [`Constraints::validate`].
    pub fn resolve(&self, assets: &[String]) -> Result<Constraints, AllocateError> {
        self.resolve_over(assets, true)
    }

    /// [`Self::resolve`] over the assets present: names of other assets are left out (a
    /// backtest's universe grows as coins list), and groups with no member present are dropped.
    ///
    /// # Errors
    /// As [`Constraints::validate`].
    pub fn resolve_present(&self, assets: &[String]) -> Result<Constraints, AllocateError> {
        self.resolve_over(assets, false)
    }

    /// The beta-neutrality limits of [`Self::beta_neutral`] over `cov`'s assets, with the factor
    /// model fitted on `returns` (the same assets and window) and `cov`; `None` without one.
    ///
    /// # Errors
    /// The factor model's fitting errors; a bad tolerance.
    pub fn beta_limits(
        &self,
        returns: &Returns,
        cov: &Covariance,
    ) -> Result<Option<(FittedFactorModel, Vec<ExposureLimit>)>, AllocateError> {
        let Some(spec) = &self.beta_neutral else {
            return Ok(None);
        };
        let model = FactorModel::new(spec.clone()).fit_on(returns, cov)?;
        let limits = ExposureLimit::beta_neutral(&model, &cov.assets, self.beta_tolerance.unwrap_or(0.0))?;
        Ok(Some((model, limits)))
    }

    fn resolve_over(&self, assets: &[String], strict: bool) -> Result<Constraints, AllocateError> {
        let idx = |a: &str, what: &str| -> Result<Option<usize>, AllocateError> {
            match assets.iter().position(|x| x == a) {
                Some(i) => Ok(Some(i)),
                None if !strict => Ok(None),
                None => Err(AllocateError::BadParameter(format!(
                    "{what}: unknown asset '{a}' (universe: {})",
                    assets.join(",")
                ))),
            }
        };
        let mut c = Constraints::long_only(assets.len())
            .with_bounds(self.min_weight.unwrap_or(0.0), self.max_weight.unwrap_or(1.0));
        for (a, [lo, hi]) in &self.bounds {
            if let Some(i) = idx(a, "bounds")? {
                c.lower[i] = *lo;
                c.upper[i] = *hi;
            }
        }
        if let Some(n) = self.net_exposure {
            c.net_exposure = n;
        }
        c.max_gross = self.max_gross;
        c.max_turnover = self.max_turnover;
        c.cost = self.cost;
        c.l2 = self.l2;
        if let Some(cur) = &self.current {
            let mut w = vec![0.0; assets.len()];
            for (a, v) in cur {
                if let Some(i) = idx(a, "current")? {
                    w[i] = *v;
                }
            }
            c.current = Some(w);
        }
        for g in &self.groups {
            let members: Vec<usize> = g
                .assets
                .iter()
                .map(|a| idx(a, &format!("group '{}'", g.name)))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            if members.is_empty() && !strict {
                continue;
            }
            c.groups.push(Group {
                name: g.name.clone(),
                members,
                lower: g.min.unwrap_or(f64::NEG_INFINITY),
                upper: g.max.unwrap_or(f64::INFINITY),
            });
        }
        c.validate(assets)?;
        Ok(c)
    }
}
