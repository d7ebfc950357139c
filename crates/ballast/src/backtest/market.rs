//! What a backtest sees of the market: daily closes (gaps stay gaps), USD volumes for the
//! impact term, perpetual funding, and the trading-cost model.

use super::config::CostSpec;
use super::BacktestError;
use crate::data::{FundingRates, PricePanel};
use jiff::civil::Date;

/// Prices, volumes and funding on the price panel's dates and coins.
#[derive(Debug, Clone)]
pub struct MarketData {
    /// Daily closes, USD; missing = no price (not listed yet, delisted, or a gap). Dates with
    /// no price for any coin (gaps in the source export) are dropped, as the estimation
    /// windows do: the next return spans the gap.
    pub prices: PricePanel,
    /// Row-major T×N daily traded USD volume on the price dates; NaN = unknown. `None`
    /// without a volume file.
    pub volumes: Option<Vec<f64>>,
    /// Perpetual funding per coin and day.
    pub funding: Option<FundingRates>,
}

impl MarketData {
    /// Align the optional volume panel to the price panel (by date and coin name).
    ///
    /// # Errors
    /// [`BacktestError::Invalid`] for a price panel without a single price.
    pub fn new(
        prices: &PricePanel,
        volumes: Option<&PricePanel>,
        funding: Option<FundingRates>,
    ) -> Result<Self, BacktestError> {
        let prices = prices.without_empty_rows();
        if prices.dates().is_empty() {
            return Err(BacktestError::Invalid(
                "the price file has no price at all".into(),
            ));
        }
        let n = prices.assets().len();
        let vols = volumes.map(|v| {
            let mut out = vec![f64::NAN; prices.dates().len() * n];
            let cols: Vec<Option<usize>> = prices.assets().iter().map(|a| v.asset_index(a).ok()).collect();
            for (r, d) in prices.dates().iter().enumerate() {
                if let Ok(vr) = v.dates().binary_search(d) {
                    for (c, vc) in cols.iter().enumerate() {
                        if let Some(vc) = vc {
                            out[r * n + c] = v.value(vr, *vc);
                        }
                    }
                }
            }
            out
        });
        Ok(Self {
            prices,
            volumes: vols,
            funding,
        })
    }

    /// The trading dates.
    pub fn dates(&self) -> &[Date] {
        self.prices.dates()
    }

    /// The coins.
    pub fn assets(&self) -> &[String] {
        self.prices.assets()
    }

    /// Number of coins.
    pub fn n_assets(&self) -> usize {
        self.prices.assets().len()
    }

    /// Close of coin `i` on row `t`, NaN when it has none.
    #[inline]
    pub fn price(&self, t: usize, i: usize) -> f64 {
        self.prices.value(t, i)
    }

    /// Daily volatility of asset `i` (s.d. of up to 30 simple returns ending at `t`) and its
    /// mean daily USD volume over the same days; `None` when unknown.
    pub fn impact_inputs(&self, t: usize, i: usize) -> Option<(f64, f64)> {
        let vols = self.volumes.as_ref()?;
        let n = self.n_assets();
        let lo = t.saturating_sub(30);
        let mut r = Vec::with_capacity(30);
        let (mut vsum, mut vn) = (0.0, 0);
        for s in lo + 1..=t {
            let (a, b) = (self.price(s - 1, i), self.price(s, i));
            if a.is_finite() && b.is_finite() {
                r.push(b / a - 1.0);
            }
            let v = vols[s * n + i];
            if v.is_finite() && v > 0.0 {
                vsum += v;
                vn += 1;
            }
        }
        if r.len() < 5 || vn == 0 {
            return None;
        }
        let sd = crate::risk::moments(&r).ok()?.std;
        Some((sd, vsum / vn as f64))
    }
}

/// Cost in USD of trading `x` USD (signed) of a coin with daily volatility `sigma` and daily
/// USD volume `volume` (`impact` = `Some((sigma, volume))`).
///
/// # Formula
/// (fee + half-spread)·|x| + b·σ·|x|^{3/2}/√V — the impact form of cvxportfolio (Boyd et al.
/// 2017, "Multi-period trading via convex optimization", §2.3).
pub fn trade_cost(c: &CostSpec, x: f64, impact: Option<(f64, f64)>) -> f64 {
    let ax = x.abs();
    let linear = ax * (c.fee_bps + c.half_spread_bps) * 1e-4;
    let nonlinear = match impact {
        Some((sigma, volume)) if c.impact > 0.0 && volume > 0.0 => {
            c.impact * sigma * ax.powf(1.5) / volume.sqrt()
        }
        _ => 0.0,
    };
    linear + nonlinear
}
