//! Black–Scholes–Merton on spot S with rate r and continuous dividend / borrow yield q:
//! F = S e^{(r−q)T}, price = e^{−rT} Black(F).

use super::{check_inputs, norm_cdf, norm_pdf, OptionKind, PricingError};

/// A BSM option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bsm {
    /// Spot, USD.
    pub spot: f64,
    /// Strike, USD.
    pub strike: f64,
    /// Years to expiry, > 0.
    pub time: f64,
    /// Annual volatility.
    pub vol: f64,
    /// Risk-free rate, continuous.
    pub rate: f64,
    /// Dividend (or borrow / staking) yield, continuous.
    pub dividend: f64,
    /// Call or put.
    pub kind: OptionKind,
}

/// BSM price and Greeks: `delta` dV/dS, `gamma` per 1 USD of spot, `vega` per vol point,
/// `theta` per calendar day (dV/dt/365), `rho` per 1 % of r, `dividend_rho` per 1 % of q,
/// `vanna` per vol point, `volga` per vol point².
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BsmGreeks {
    /// Price, USD.
    pub price: f64,
    /// dV/dS.
    pub delta: f64,
    /// Per USD.
    pub gamma: f64,
    /// USD per vol point.
    pub vega: f64,
    /// USD per day.
    pub theta: f64,
    /// USD per 1 % of rate.
    pub rho: f64,
    /// USD per 1 % of dividend/borrow yield.
    pub dividend_rho: f64,
    /// Per vol point.
    pub vanna: f64,
    /// Per vol point².
    pub volga: f64,
}

impl Bsm {
    /// Validated constructor (see [`super::Black76::new`] for the errors; q must be finite).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        spot: f64,
        strike: f64,
        time: f64,
        vol: f64,
        rate: f64,
        dividend: f64,
        kind: OptionKind,
    ) -> Result<Self, PricingError> {
        check_inputs(spot, strike, time, vol, rate)?;
        if !dividend.is_finite() {
            return Err(PricingError::BadRate(dividend));
        }
        Ok(Self {
            spot,
            strike,
            time,
            vol,
            rate,
            dividend,
            kind,
        })
    }

    /// Discounted price.
    pub fn price(&self) -> f64 {
        self.greeks().price
    }

    /// Price and Greeks (units of [`crate::pricing`]).
    pub fn greeks(&self) -> BsmGreeks {
        let (s, k, t, sigma, r, q) = (
            self.spot,
            self.strike,
            self.time,
            self.vol,
            self.rate,
            self.dividend,
        );
        let sd = sigma * t.sqrt();
        let d1 = ((s / k).ln() + (r - q) * t) / sd + 0.5 * sd;
        let d2 = d1 - sd;
        let (dr, dq) = ((-r * t).exp(), (-q * t).exp());
        let w = self.kind.sign();
        let (nd1, nd2) = (norm_cdf(w * d1), norm_cdf(w * d2));
        let pdf = norm_pdf(d1);
        let price = w * (s * dq * nd1 - k * dr * nd2);
        let vega_1 = s * dq * pdf * t.sqrt();
        let theta_year =
            -s * dq * pdf * sigma / (2.0 * t.sqrt()) - w * r * k * dr * nd2 + w * q * s * dq * nd1;
        BsmGreeks {
            price,
            delta: w * dq * nd1,
            gamma: dq * pdf / (s * sd),
            vega: vega_1 / 100.0,
            theta: theta_year / super::DAYS_PER_YEAR,
            rho: w * k * t * dr * nd2 / 100.0,
            dividend_rho: -w * t * s * dq * nd1 / 100.0,
            vanna: -dq * pdf * d2 / sigma / 100.0,
            volga: vega_1 * d1 * d2 / sigma / 1e4,
        }
    }
}
