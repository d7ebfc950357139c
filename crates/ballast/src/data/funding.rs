//! Perpetual-swap funding rates (long format `funding_time,symbol,funding_rate[,mark_price]`,
//! as Binance publishes them, read by `crate::io::read_funding`): rates are per 8-hour interval,
//! positive = longs pay shorts.

use jiff::civil::Date;
use std::collections::BTreeMap;

/// Funding per coin and UTC day: the sum of the rates settled that day (three 8-hourly
/// settlements at 00:00, 08:00 and 16:00 UTC on Binance), i.e. the fraction of a long
/// position's notional paid over the day that ends at the day's close.
#[derive(Debug, Clone, Default)]
pub struct FundingRates {
    /// Coin (the symbol without its `USDT`/`USD`/`-PERPETUAL` suffix) → day → summed rate.
    pub daily: BTreeMap<String, BTreeMap<Date, f64>>,
}

impl FundingRates {
    /// The day's summed rate for `coin`, if the file has a settlement that day.
    pub fn on(&self, coin: &str, day: Date) -> Option<f64> {
        self.daily.get(coin)?.get(&day).copied()
    }

    /// First and last day with data for `coin`.
    pub fn coverage(&self, coin: &str) -> Option<(Date, Date)> {
        let d = self.daily.get(coin)?;
        Some((*d.keys().next()?, *d.keys().next_back()?))
    }
}
