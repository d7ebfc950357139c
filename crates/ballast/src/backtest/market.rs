//! What a backtest sees of the market: daily closes (gaps stay gaps), USD volumes for the
//! impact term, perpetual funding, and the trading-cost model.

use super::config::CostSpec;
use super::BacktestError;
use crate::data::{FundingRates, PricePanel};
use jiff::civil::Date;

/// Prices, volumes and funding on the price panel's dates and coins.
#[derive(Debug, Clone)]
pub struct MarketData {
    pub dates: Vec<Date>,
    pub assets: Vec<String>,
    /// Row-major T×N closes, USD; NaN = no price (not listed yet, delisted, or a gap).
    pub prices: Vec<f64>,
    /// Row-major T×N daily traded USD volume; NaN = unknown. `None` without a volume file.
    pub volumes: Option<Vec<f64>>,
    pub funding: Option<FundingRates>,
}

impl MarketData {
    /// Align the optional volume panel to the price panel (by date and coin name). Dates with
    /// no price for any coin (gaps in the source export) are dropped, as the estimation
    /// windows do: the next return spans the gap.
    pub fn new(
        prices: &PricePanel,
        volumes: Option<&PricePanel>,
        funding: Option<FundingRates>,
    ) -> Result<Self, BacktestError> {
        let n = prices.assets().len();
        let rows: Vec<usize> = (0..prices.dates().len())
            .filter(|&r| (0..n).any(|c| prices.price(r, c).is_some()))
            .collect();
        let dates: Vec<Date> = rows.iter().map(|&r| prices.dates()[r]).collect();
        let t = rows.len();
        let mut px = vec![f64::NAN; t * n];
        for (k, &r) in rows.iter().enumerate() {
            for c in 0..n {
                px[k * n + c] = prices.price(r, c).unwrap_or(f64::NAN);
            }
        }
        let vols = volumes.map(|v| {
            let mut out = vec![f64::NAN; t * n];
            let cols: Vec<Option<usize>> = prices.assets().iter().map(|a| v.asset_index(a).ok()).collect();
            let mut vr = 0;
            for (r, d) in dates.iter().enumerate() {
                while vr < v.dates().len() && v.dates()[vr] < *d {
                    vr += 1;
                }
                if vr < v.dates().len() && v.dates()[vr] == *d {
                    for (c, vc) in cols.iter().enumerate() {
                        if let Some(vc) = vc {
                            out[r * n + c] = v.price(vr, *vc).unwrap_or(f64::NAN);
                        }
                    }
                }
            }
            out
        });
        Ok(Self {
            dates,
            assets: prices.assets().to_vec(),
            prices: px,
            volumes: vols,
            funding,
        })
    }

    pub fn n_assets(&self) -> usize {
        self.assets.len()
    }

    #[inline]
    pub fn price(&self, t: usize, i: usize) -> f64 {
        self.prices[t * self.assets.len() + i]
    }

    /// Daily volatility of asset `i` (s.d. of up to 30 simple returns ending at `t`) and its
    /// mean daily USD volume over the same days; `None` when unknown.
    pub fn impact_inputs(&self, t: usize, i: usize) -> Option<(f64, f64)> {
        let vols = self.volumes.as_ref()?;
        let n = self.assets.len();
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
        let m = r.iter().sum::<f64>() / r.len() as f64;
        let sd = (r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (r.len() - 1) as f64).sqrt();
        Some((sd, vsum / vn as f64))
    }
}

/// Cost in USD of trading `x` USD (signed) of a coin with daily volatility `sigma` and daily
/// USD volume `volume`: (fee + half-spread)·|x| + b·σ·|x|^{3/2}/√V (the impact form of
/// cvxportfolio, Boyd et al. 2017, "Multi-period trading via convex optimization", §2.3).
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
