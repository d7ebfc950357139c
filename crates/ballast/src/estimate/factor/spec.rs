//! The names of a factor model's settings, as files and flags write them.

use super::{EstimateError, MAX_FACTORS};
use serde::{Deserialize, Serialize};

/// The market factor of a market model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketFactor {
    /// A coin of the universe (`market:BTC`).
    Coin(String),
    /// The equal-weighted mean of the universe's daily returns (`market:equal-weight`).
    EqualWeight,
}

/// How many principal components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PcaComponents {
    /// Exactly k (`pca:3`).
    Count(usize),
    /// The fewest whose eigenvalues explain at least this fraction of the trace (`pca:0.8`).
    Explained(f64),
}

/// Which factors: `market:BTC`, `market:equal-weight`, `explicit:BTC,ETH`, `pca:3`, `pca:0.8`.
/// Parses from and prints as that text (in TOML and JSON too).
#[derive(Debug, Clone, PartialEq)]
pub enum FactorModelSpec {
    /// One market factor.
    Market(MarketFactor),
    /// Several named factors: coins of the universe or columns of a factor file.
    Explicit(Vec<String>),
    /// Principal components of the covariance.
    Pca(PcaComponents),
}

impl FactorModelSpec {
    /// The factors' names before fitting (PCA: `PC1..PCk` when k is given).
    pub fn factor_names(&self) -> Vec<String> {
        match self {
            Self::Market(MarketFactor::Coin(c)) => vec![c.clone()],
            Self::Market(MarketFactor::EqualWeight) => vec!["equal-weight".into()],
            Self::Explicit(f) => f.clone(),
            Self::Pca(PcaComponents::Count(k)) => (1..=*k).map(|i| format!("PC{i}")).collect(),
            Self::Pca(PcaComponents::Explained(_)) => Vec::new(),
        }
    }
}

const SYNTAX: &str = "market:BTC, market:equal-weight, explicit:BTC,ETH, pca:3 (three components) or pca:0.8 (enough to explain 80 % of the variance)";

impl std::str::FromStr for FactorModelSpec {
    type Err = EstimateError;

    fn from_str(s: &str) -> Result<Self, EstimateError> {
        let bad = |m: String| EstimateError::Factor(m);
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| bad(format!("factor model '{s}' is not one of {SYNTAX}")))?;
        let rest = rest.trim();
        match kind.trim() {
            "market" => {
                if rest.is_empty() {
                    return Err(bad(format!(
                        "'{s}': name the market, e.g. market:BTC or market:equal-weight"
                    )));
                }
                if rest.contains(',') {
                    return Err(bad(format!(
                        "'{s}': a market model has one factor; for several use explicit:{rest}"
                    )));
                }
                Ok(Self::Market(if rest == "equal-weight" {
                    MarketFactor::EqualWeight
                } else {
                    MarketFactor::Coin(rest.to_string())
                }))
            }
            "explicit" => {
                let names: Vec<String> = rest
                    .split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect();
                if names.is_empty() {
                    return Err(bad(format!("'{s}': list the factors, e.g. explicit:BTC,ETH")));
                }
                if names.len() > MAX_FACTORS {
                    return Err(bad(format!(
                        "'{s}': {} factors; at most {MAX_FACTORS}",
                        names.len()
                    )));
                }
                for (k, n) in names.iter().enumerate() {
                    if names[..k].contains(n) {
                        return Err(bad(format!("'{s}': factor {n} is listed twice")));
                    }
                }
                Ok(Self::Explicit(names))
            }
            "pca" => {
                if let Ok(k) = rest.parse::<usize>() {
                    if k == 0 || k > MAX_FACTORS {
                        return Err(bad(format!(
                            "'{s}': the number of components must be between 1 and {MAX_FACTORS}"
                        )));
                    }
                    return Ok(Self::Pca(PcaComponents::Count(k)));
                }
                match rest.parse::<f64>() {
                    Ok(f) if f > 0.0 && f < 1.0 => Ok(Self::Pca(PcaComponents::Explained(f))),
                    _ => Err(bad(format!(
                        "'{s}': write pca:K with K a whole number of components (pca:3), or a fraction of variance to explain in (0, 1) (pca:0.8)"
                    ))),
                }
            }
            other => Err(bad(format!("factor model kind '{other}' is not one of {SYNTAX}"))),
        }
    }
}

impl std::fmt::Display for FactorModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Market(MarketFactor::Coin(c)) => write!(f, "market:{c}"),
            Self::Market(MarketFactor::EqualWeight) => f.write_str("market:equal-weight"),
            Self::Explicit(v) => write!(f, "explicit:{}", v.join(",")),
            Self::Pca(PcaComponents::Count(k)) => write!(f, "pca:{k}"),
            Self::Pca(PcaComponents::Explained(x)) => write!(f, "pca:{x}"),
        }
    }
}

impl Serialize for FactorModelSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FactorModelSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Degrees of freedom of a regression's residual variance SSR/(T − ddof).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ResidualDdof {
    /// ddof = 1, as Riskfolio-Lib and skfolio (`var(ε, ddof=1)`): the factor-model covariance's
    /// diagonal equals the sample variances.
    #[default]
    Sample,
    /// ddof = K + 1 (the parameters fitted), statsmodels' OLS `scale`.
    Regression,
}

impl ResidualDdof {
    /// The ddof for a regression on `k` factors with intercept.
    pub fn ddof(self, k: usize) -> usize {
        match self {
            Self::Sample => 1,
            Self::Regression => k + 1,
        }
    }
}

/// Shrinkage of market-model betas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BetaAdjustment {
    /// The OLS betas.
    #[default]
    None,
    /// Blume (1975), as Bloomberg's adjusted beta: 0.67 β + 0.33 (toward 1).
    Blume,
    /// Vasicek (1973): β* = (β̄ s²_i + β_i s²) / (s²_i + s²), toward the cross-sectional mean β̄,
    /// with s²_i the squared standard error of β_i (residual ddof 2) and s² the cross-sectional
    /// variance of the betas (ddof 1): a noisy beta moves further.
    Vasicek,
}
