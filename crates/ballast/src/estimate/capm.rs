//! The market: an index of the universe (one coin, equal weights or market-cap weights), the
//! expected returns CAPM gives against it, and the risk aversion it implies.

use super::mean::annual_mean;
use super::EstimateError;
use crate::data::Returns;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which series stands for the market: `"BTC"` (any coin of the universe, by name),
/// `"equal-weight"` (the cross-sectional mean return each day, PyPortfolioOpt's proxy when no
/// market is given) or `"cap-weighted"` (Σ w_i r_i with w ∝ the market caps given, constant
/// weights: rebalanced daily).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MarketIndex {
    /// One coin.
    Asset(String),
    /// Equal weights.
    EqualWeight,
    /// Market-cap weights (`market_caps`).
    CapWeighted,
}

impl Default for MarketIndex {
    fn default() -> Self {
        Self::Asset("BTC".into())
    }
}

impl std::str::FromStr for MarketIndex {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Ok(match s {
            "equal-weight" => Self::EqualWeight,
            "cap-weighted" => Self::CapWeighted,
            "" => return Err("the market is empty: give a coin (BTC), equal-weight or cap-weighted".into()),
            coin => Self::Asset(coin.to_string()),
        })
    }
}

impl std::fmt::Display for MarketIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Asset(a) => f.write_str(a),
            Self::EqualWeight => f.write_str("equal-weight"),
            Self::CapWeighted => f.write_str("cap-weighted"),
        }
    }
}

impl Serialize for MarketIndex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MarketIndex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Market-cap weights of `assets`: caps normalised to sum to 1.
///
/// # Errors
/// [`EstimateError::Factor`] naming a coin without a cap, or a cap that is not finite and > 0.
pub fn cap_weights(assets: &[String], caps: &BTreeMap<String, f64>) -> Result<Vec<f64>, EstimateError> {
    let mut w = Vec::with_capacity(assets.len());
    for a in assets {
        match caps.get(a) {
            Some(&c) if c.is_finite() && c > 0.0 => w.push(c),
            Some(&c) => {
                return Err(EstimateError::Factor(format!(
                    "market cap of {a} = {c} must be a positive number of USD"
                )))
            }
            None => {
                return Err(EstimateError::Factor(format!(
                    "the market caps have no entry for {a} (they cover {}); add one, or leave {a} out of the assets",
                    caps.keys().cloned().collect::<Vec<_>>().join(", ")
                )))
            }
        }
    }
    let total: f64 = w.iter().sum();
    Ok(w.iter().map(|c| c / total).collect())
}

/// The market's return each period (length T).
///
/// # Errors
/// A market coin that is not in `returns`; `cap-weighted` without caps or with a coin missing.
pub fn market_returns(
    returns: &Returns,
    index: &MarketIndex,
    caps: Option<&BTreeMap<String, f64>>,
) -> Result<Vec<f64>, EstimateError> {
    let (t, n) = (returns.n_periods(), returns.n_assets());
    let weights = match index {
        MarketIndex::Asset(a) => {
            let j = returns.assets().iter().position(|x| x == a).ok_or_else(|| {
                EstimateError::Factor(format!(
                    "the market {a} is not among the coins of the window ({}); name one of them, or use equal-weight or cap-weighted",
                    returns.assets().join(",")
                ))
            })?;
            return Ok(returns.column(j).to_vec());
        }
        MarketIndex::EqualWeight => vec![1.0 / n as f64; n],
        MarketIndex::CapWeighted => {
            let caps = caps.ok_or_else(|| {
                EstimateError::Factor(
                    "a cap-weighted market needs market caps: a [market_caps] table or --market-caps FILE"
                        .into(),
                )
            })?;
            cap_weights(returns.assets(), caps)?
        }
    };
    let mut m = vec![0.0; t];
    for (j, w) in weights.iter().enumerate() {
        for (mt, r) in m.iter_mut().zip(returns.column(j)) {
            *mt += w * r;
        }
    }
    Ok(m)
}

/// CAPM expected returns and what they rest on. JSON: `market`, `betas`, `market_return`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capm {
    /// Each asset's β to the market: cov(r_i, r_m) / var(r_m).
    pub betas: Vec<f64>,
    /// The market's annual expected return (geometric with `compounding`, else arithmetic).
    pub market_return: f64,
    /// Annual expected returns r_f + β_i (E(r_m) − r_f).
    pub expected: Vec<f64>,
}

/// CAPM expected returns against `market` (PyPortfolioOpt `capm_return`).
///
/// # Formula
/// β_i = cov(r_i, r_m) / var(r_m) (sample, ddof = 1); E(r_m) = (Π(1 + r_m))^(365/T) − 1 with
/// `compounding` (PyPortfolioOpt's default) or 365·r̄_m; μ_i = r_f + β_i (E(r_m) − r_f).
///
/// # Errors
/// `market` of another length than the returns; a constant market.
pub fn capm_returns(
    returns: &Returns,
    market: &[f64],
    risk_free: f64,
    compounding: bool,
) -> Result<Capm, EstimateError> {
    let t = returns.n_periods();
    if market.len() != t || t < 2 {
        return Err(EstimateError::TooFewObservations {
            estimator: "CAPM",
            needed: t.max(2),
            got: market.len(),
        });
    }
    let mm = market.iter().sum::<f64>() / t as f64;
    let var_m: f64 = market.iter().map(|x| (x - mm) * (x - mm)).sum();
    if !(var_m > 0.0) {
        return Err(EstimateError::ConstantSeries);
    }
    let betas: Vec<f64> = (0..returns.n_assets())
        .map(|j| {
            let c = returns.column(j);
            let mc = c.iter().sum::<f64>() / t as f64;
            c.iter()
                .zip(market)
                .map(|(x, y)| (x - mc) * (y - mm))
                .sum::<f64>()
                / var_m
        })
        .collect();
    let market_return = annual_mean(market, returns.kind(), returns.periods_per_year(), compounding);
    let expected = betas
        .iter()
        .map(|b| risk_free + b * (market_return - risk_free))
        .collect();
    Ok(Capm {
        betas,
        market_return,
        expected,
    })
}

/// The market-implied risk aversion δ = (E(r_m) − r_f) / σ²_m (PyPortfolioOpt
/// `market_implied_risk_aversion`; Black & Litterman 1992): annual arithmetic mean and sample
/// variance (ddof = 1) of the market's returns, × `periods_per_year`.
///
/// # Errors
/// Fewer than 2 periods; a constant market; δ ≤ 0 (the market did not beat the risk-free rate
/// over the window: no positive risk aversion is implied), with the numbers.
pub fn market_implied_risk_aversion(
    market: &[f64],
    periods_per_year: f64,
    risk_free: f64,
) -> Result<f64, EstimateError> {
    let t = market.len();
    if t < 2 {
        return Err(EstimateError::TooFewObservations {
            estimator: "market-implied risk aversion",
            needed: 2,
            got: t,
        });
    }
    let m = market.iter().sum::<f64>() / t as f64;
    let var = market.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (t as f64 - 1.0) * periods_per_year;
    if !(var > 0.0) {
        return Err(EstimateError::ConstantSeries);
    }
    let excess = m * periods_per_year - risk_free;
    let delta = excess / var;
    if !(delta > 0.0) {
        return Err(EstimateError::Factor(format!(
            "the market's mean return over the window ({:.2} % a year) is not above the risk-free rate ({:.2} %), so it implies no positive risk aversion; give risk_aversion as a number, or use another window or market",
            m * periods_per_year * 100.0,
            risk_free * 100.0
        )));
    }
    Ok(delta)
}
