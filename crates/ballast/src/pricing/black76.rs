//! Black (1976): European option on a forward F, discounted at rate r.
//!
//! `d1 = (ln(F/K) + σ²T/2) / (σ√T)`, `d2 = d1 − σ√T`, `D = e^{−rT}`;
//! call `D (F Φ(d1) − K Φ(d2))`, put `D (K Φ(−d2) − F Φ(−d1))` (evaluated without cancellation
//! by Jäckel's normalised Black function).
//! Greeks hold F fixed (Deribit, QuantLib `BlackCalculator(F, ...)`).

use super::{check_inputs, norm_cdf, norm_pdf, Greeks, OptionKind, PricingError};
use implied_vol::{DefaultSpecialFn, PriceBlackScholes};

/// A Black-76 option: forward, strike (same currency), T in years, σ annual, r continuous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Black76 {
    /// Forward, USD.
    pub forward: f64,
    /// Strike, USD.
    pub strike: f64,
    /// Years to expiry, > 0.
    pub time: f64,
    /// Annual volatility (0.55 = 55 %).
    pub vol: f64,
    /// Continuously compounded discount rate (0 for Deribit).
    pub rate: f64,
    /// Call or put.
    pub kind: OptionKind,
}

impl Black76 {
    /// Validated constructor.
    ///
    /// # Errors
    /// [`PricingError`]: non-positive forward, strike or volatility, T ≤ 0 (expired), a
    /// non-finite rate.
    pub fn new(
        forward: f64,
        strike: f64,
        time: f64,
        vol: f64,
        rate: f64,
        kind: OptionKind,
    ) -> Result<Self, PricingError> {
        check_inputs(forward, strike, time, vol, rate)?;
        Ok(Self {
            forward,
            strike,
            time,
            vol,
            rate,
            kind,
        })
    }

    /// (d1, d2, σ√T).
    #[inline]
    fn d1_d2(&self) -> (f64, f64, f64) {
        let sd = self.vol * self.time.sqrt();
        let d1 = (self.forward / self.strike).ln() / sd + 0.5 * sd;
        (d1, d1 - sd, sd)
    }

    /// Discounted price in the currency of F and K (USD for Deribit).
    ///
    /// Computed with Jäckel's normalised Black function (`implied-vol` crate), which keeps full
    /// relative precision for far out-of-the-money options where `F Φ(d1) − K Φ(d2)` cancels.
    pub fn price(&self) -> f64 {
        let undiscounted = PriceBlackScholes::builder()
            .forward(self.forward)
            .strike(self.strike)
            .volatility(self.vol)
            .expiry(self.time)
            .is_call(self.kind == OptionKind::Call)
            .build_unchecked()
            .calculate::<DefaultSpecialFn>();
        (-self.rate * self.time).exp() * undiscounted
    }

    /// Price in coin: USD price / F (Deribit's `mark_price` unit).
    pub fn price_coin(&self) -> f64 {
        self.price() / self.forward
    }

    /// Price and all Greeks in Deribit's units (see the module table).
    pub fn greeks(&self) -> Greeks {
        let (d1, d2, sd) = self.d1_d2();
        let (f, t, sigma) = (self.forward, self.time, self.vol);
        let df = (-self.rate * t).exp();
        let w = self.kind.sign();
        let nd1 = norm_cdf(w * d1);
        let pdf = norm_pdf(d1);
        // Closed form where it cannot cancel badly (its two terms within a factor 10 of the
        // price: error ≤ ~10 ulp); Jäckel's normalised Black elsewhere (far wings).
        let big = f * nd1;
        let closed = df * w * (big - self.strike * norm_cdf(w * d2));
        let price = if closed > 0.1 * df * big {
            closed
        } else {
            self.price()
        };
        let vega_1 = df * f * pdf * t.sqrt(); // per 1.00 of vol
        let gamma = df * pdf / (f * sd);
        // dV/dt with F fixed, per year: rV − ½σ²F²Γ
        let theta_year = self.rate * price - 0.5 * sigma * sigma * f * f * gamma;
        Greeks {
            price,
            delta: df * w * nd1,
            gamma,
            vega: vega_1 / 100.0,
            theta: theta_year / super::DAYS_PER_YEAR,
            rho: -t * price / 100.0,
            vanna: -df * pdf * d2 / sigma / 100.0,
            volga: vega_1 * d1 * d2 / sigma / 1e4,
        }
    }

    /// Premium-adjusted delta of a coin-settled option: `delta − price / F` (the coin delta a
    /// Deribit position really carries, since its premium is paid in the coin).
    pub fn premium_adjusted_delta(&self) -> f64 {
        let g = self.greeks();
        g.delta - g.price / self.forward
    }
}
