//! The beta-neutral overlay: perpetual swaps on the factor coins, sized at every rebalance so
//! that the book's exposure Σ_i β_ik w_i to each factor k of the model (OLS betas on the
//! estimation window) equals the target. A coin regressed on itself has β = 1 and no other
//! loading, so the hedge on factor coin k is h_k = target − Σ_i β_ik w_i (a fraction of
//! value, negative = short). Between rebalances the hedge's units stay fixed and its notional
//! drifts with the price; its P&L is marked into cash every day, it pays (or earns) the perp's
//! funding on its notional, and resizing it pays the strategy's trading costs.

use super::{BacktestTrade, Book, Day, StrategyRun, TradeReason};
use crate::backtest::config::BetaNeutralSpec;
use crate::backtest::market::{trade_cost, MarketData};
use crate::data::{ReturnKind, Returns, WindowSpec};
use crate::estimate::{FactorModel, FactorModelSpec, MarketFactor};
use crate::message::Num;
use crate::rebalance::Trade;

/// A strategy's beta-neutral overlay, resolved against the price panel.
#[derive(Debug, Clone, PartialEq)]
pub struct BetaHedge {
    /// The factor model (`market:BTC`, `explicit:BTC,ETH`).
    pub model: FactorModelSpec,
    /// Panel indices of the factor coins, whose perpetuals are the hedges (model order).
    pub coins: Vec<usize>,
    /// Exposure to each factor after the hedge.
    pub target: f64,
}

impl BetaHedge {
    /// Resolve `[strategy.beta_neutral]` against the panel's coins.
    ///
    /// # Errors
    /// A model whose factors are not coins (equal-weight index, PCA: no perpetual to trade),
    /// a factor coin not in the price file, a target outside [−10, 10].
    pub fn from_spec(spec: &BetaNeutralSpec, m: &MarketData) -> Result<Self, String> {
        let names = match &spec.model {
            FactorModelSpec::Market(MarketFactor::Coin(c)) => vec![c.clone()],
            FactorModelSpec::Explicit(f) => f.clone(),
            other => {
                return Err(format!(
                    "beta_neutral model = \"{other}\": the hedges are perpetuals on the factors, so the factors must be coins (market:BTC or explicit:BTC,ETH)"
                ))
            }
        };
        let coins = names
            .iter()
            .map(|c| {
                m.assets()
                    .iter()
                    .position(|a| a == c)
                    .ok_or_else(|| format!("beta_neutral: factor coin '{c}' is not in the price file"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !(spec.target.is_finite() && spec.target.abs() <= 10.0) {
            return Err(format!(
                "beta_neutral target = {} must be a beta in [-10, 10] (0: neutral)",
                Num(spec.target)
            ));
        }
        Ok(Self {
            model: spec.model.clone(),
            coins,
            target: spec.target,
        })
    }

    /// The hedge weights (perp notional / value, one per factor coin) for `weights` over the
    /// coins of `returns` (the estimation window ending at row `t`), and the exposures before
    /// the hedge.
    ///
    /// # Errors
    /// A factor coin without a full window at `t`; the factor model's fitting errors.
    pub(super) fn size(
        &self,
        m: &MarketData,
        t: usize,
        returns: &Returns,
        weights: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>), String> {
        let names: Vec<String> = self.coins.iter().map(|&i| m.assets()[i].clone()).collect();
        let factors = m
            .prices
            .window(&WindowSpec {
                assets: Some(names.clone()),
                returns: returns.n_periods(),
                end: Some(m.dates()[t]),
                ..WindowSpec::default()
            })
            .map_err(|e| format!("beta hedge: {e}"))?
            .returns(ReturnKind::Simple);
        if factors.dates() != returns.dates() {
            return Err(format!(
                "beta hedge: {} has gaps in the estimation window: no beta to hedge",
                names.join(", ")
            ));
        }
        let model = FactorModel::new(self.model.clone())
            .fit_with_factors(returns, Some(&factors))
            .map_err(|e| format!("beta hedge: {e}"))?;
        let k = model.n_factors();
        let exposures: Vec<f64> = (0..k)
            .map(|f| {
                (0..weights.len())
                    .map(|i| model.loadings_of(i)[f] * weights[i])
                    .sum()
            })
            .collect();
        let hedge = exposures.iter().map(|x| self.target - x).collect();
        Ok((hedge, exposures))
    }
}

/// The hedge perpetual's name in trades.
fn perp(coin: &str) -> String {
    format!("{coin}-PERP")
}

impl Book<'_> {
    /// Mark the hedge from the last price to today's, into cash; a hedge coin with no price
    /// today is closed at its last real price. Runs before [`Book::mark`] updates the prices.
    pub(super) fn mark_hedge(&mut self, t: usize, day: &mut Day, run: &mut StrategyRun) {
        for k in 0..self.hedge_units.len() {
            let i = self.hedge_coins[k];
            let (p, last) = (self.m.price(t, i), self.last_px[i]);
            if self.hedge_units[k] == 0.0 {
                continue;
            }
            if p.is_finite() {
                self.cash += self.hedge_units[k] * (p - last);
            } else {
                let value = self.hedge_units[k] * last;
                let cost = trade_cost(&self.s.costs, value, None);
                self.cash -= cost;
                day.cost += cost;
                day.traded += value.abs();
                run.trades.push(BacktestTrade {
                    date: self.m.dates()[t],
                    trade: Trade::of_value(&perp(&self.m.assets()[i]), -value, last, cost),
                    reason: TradeReason::Delisted,
                });
                self.hedge_units[k] = 0.0;
            }
        }
    }

    /// Funding on the hedge's notional (a short hedge earns it when the rate is positive).
    pub(super) fn pay_hedge_funding(&mut self, t: usize, day: &mut Day) {
        let mut paid = 0.0;
        for k in 0..self.hedge_units.len() {
            let i = self.hedge_coins[k];
            if self.hedge_units[k] == 0.0 {
                continue;
            }
            let rate = self
                .m
                .funding
                .as_ref()
                .and_then(|f| f.on(&self.m.assets()[i], self.m.dates()[t]));
            match rate {
                Some(r) => paid += self.hedge_units[k] * self.last_px[i] * r,
                None => self.missing_funding[i] += 1,
            }
        }
        day.funding += paid;
        self.cash -= paid;
    }

    /// Resize the hedge to `weights` (one per hedge coin, fractions of today's value), paying
    /// the trading costs.
    pub(super) fn rehedge(
        &mut self,
        t: usize,
        weights: &[f64],
        reason: TradeReason,
        day: &mut Day,
        run: &mut StrategyRun,
    ) {
        let nav = self.nav();
        for (k, w) in weights.iter().enumerate() {
            let i = self.hedge_coins[k];
            let px = self.last_px[i];
            if !(px.is_finite() && px > 0.0) {
                continue;
            }
            let x = w * nav - self.hedge_units[k] * px;
            if x == 0.0 || (reason == TradeReason::Rebalance && x.abs() < self.s.policy.min_trade * nav) {
                continue;
            }
            let impact = if self.s.costs.impact > 0.0 {
                self.m.impact_inputs(t, i)
            } else {
                None
            };
            let cost = trade_cost(&self.s.costs, x, impact);
            self.hedge_units[k] = if *w == 0.0 {
                0.0
            } else {
                self.hedge_units[k] + x / px
            };
            self.cash -= cost;
            day.cost += cost;
            day.traded += x.abs();
            run.trades.push(BacktestTrade {
                date: self.m.dates()[t],
                trade: Trade::of_value(&perp(&self.m.assets()[i]), x, px, cost),
                reason,
            });
        }
    }

    /// The hedge's notional per coin of the panel, as fractions of `nav`.
    pub(super) fn hedge_weights(&self, nav: f64) -> Vec<f64> {
        let mut w = vec![0.0; self.units.len()];
        for (k, &i) in self.hedge_coins.iter().enumerate() {
            if self.hedge_units[k] != 0.0 {
                w[i] += self.hedge_units[k] * self.last_px[i] / nav;
            }
        }
        w
    }
}
