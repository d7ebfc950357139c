//! Exposure per venue and the failure of one: a book's value, delta and vega at each venue,
//! each venue's share of the book, and what is left if it defaults (its positions and equity
//! gone, as FTX's customers found).

use crate::book::BookGreeks;
use serde::Serialize;
use std::collections::BTreeMap;

/// One venue's exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VenueExposure {
    /// The venue (`deribit`, `cold-wallet`, ...).
    pub venue: String,
    /// Value of its positions, USD.
    pub value_usd: f64,
    /// Delta, USD.
    pub delta_usd: f64,
    /// Vega, USD per vol point.
    pub vega: f64,
    /// Share of the book's value held there.
    pub share_of_value: f64,
    /// The book's value if this venue defaults, USD.
    pub value_if_default_usd: f64,
}

/// Exposure per venue of a valued book (`greeks`), with extra USD held at venues (cash,
/// account equity not in positions) added to their value.
pub fn venue_exposure(greeks: &BookGreeks, extra_usd: &BTreeMap<String, f64>) -> Vec<VenueExposure> {
    let mut by: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for ((_, venue), t) in &greeks.by_venue {
        let e = by.entry(venue.clone()).or_default();
        e.0 += t.value_usd;
        e.1 += t.delta_usd;
        e.2 += t.vega;
    }
    for (venue, usd) in extra_usd {
        by.entry(venue.clone()).or_default().0 += usd;
    }
    let total: f64 = by.values().map(|v| v.0).sum();
    by.into_iter()
        .map(|(venue, (value, delta, vega))| VenueExposure {
            venue,
            value_usd: value,
            delta_usd: delta,
            vega,
            share_of_value: if total != 0.0 { value / total } else { f64::NAN },
            value_if_default_usd: total - value,
        })
        .collect()
}
