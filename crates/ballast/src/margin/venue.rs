//! Exposure per venue and the failure of one: a book's value, delta and vega at each venue,
//! each venue's share of the book, and what is left if it defaults (its positions and equity
//! gone, as FTX's customers found).

use super::MarginError;
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

/// Known USD stablecoins and their issuers (a de-peg or an issuer failure hits all of one
/// issuer's coins at once).
pub const STABLECOIN_ISSUERS: &[(&str, &str)] = &[
    ("USDT", "Tether"),
    ("USDC", "Circle"),
    ("EURC", "Circle"),
    ("DAI", "Sky (MakerDAO)"),
    ("USDS", "Sky (MakerDAO)"),
    ("FDUSD", "First Digital"),
    ("TUSD", "Techteryx (TrueUSD)"),
    ("USDE", "Ethena"),
    ("PYUSD", "Paxos"),
    ("USDP", "Paxos"),
    ("BUSD", "Paxos"),
    ("GUSD", "Gemini"),
    ("FRAX", "Frax"),
    ("UST", "Terra"),
];

/// One issuer's share of the book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuerExposure {
    /// The issuer.
    pub issuer: String,
    /// Its coins held.
    pub coins: Vec<String>,
    /// Their value, USD.
    pub value_usd: f64,
    /// Share of the book's value.
    pub share_of_value: f64,
}

/// Stablecoin exposure by issuer of a valued book, with extra USD-stablecoin amounts by coin
/// (e.g. a USDC-settled account's equity). `total_usd` is the book's value.
pub fn stablecoin_exposure(
    greeks: &BookGreeks,
    extra: &BTreeMap<String, f64>,
    total_usd: f64,
) -> Vec<IssuerExposure> {
    let mut by: BTreeMap<&str, (Vec<String>, f64)> = BTreeMap::new();
    let mut add = |coin: &str, usd: f64| {
        if let Some((_, issuer)) = STABLECOIN_ISSUERS
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(coin))
        {
            let e = by.entry(issuer).or_default();
            if !e.0.iter().any(|c| c.eq_ignore_ascii_case(coin)) {
                e.0.push(coin.to_uppercase());
            }
            e.1 += usd;
        }
    };
    for (coin, t) in &greeks.by_underlying {
        add(coin, t.value_usd);
    }
    for (coin, usd) in extra {
        add(coin, *usd);
    }
    by.into_iter()
        .filter(|(_, v)| v.1 != 0.0)
        .map(|(issuer, (coins, value))| IssuerExposure {
            issuer: issuer.to_string(),
            coins,
            value_usd: value,
            share_of_value: if total_usd != 0.0 {
                value / total_usd
            } else {
                f64::NAN
            },
        })
        .collect()
}

/// A venue whose share of the book exceeds its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitBreach {
    /// The venue.
    pub venue: String,
    /// Its share.
    pub share_of_value: f64,
    /// The limit.
    pub limit: f64,
}

/// Venues over their concentration limits (`limits`: venue → largest share of value).
///
/// # Errors
/// [`MarginError::Input`] for a limit outside [0, 1] (naming the venue).
pub fn venue_breaches(
    venues: &[VenueExposure],
    limits: &BTreeMap<String, f64>,
) -> Result<Vec<LimitBreach>, MarginError> {
    if let Some((v, l)) = limits.iter().find(|(_, l)| !(0.0..=1.0).contains(*l)) {
        return Err(MarginError::Input(format!(
            "[margin] venue_limits.{v} = {} must be a share of the book's value in [0, 1], e.g. 0.4",
            crate::message::Num(*l)
        )));
    }
    Ok(venues
        .iter()
        .filter_map(|v| {
            let limit = *limits.get(&v.venue)?;
            (v.share_of_value > limit).then(|| LimitBreach {
                venue: v.venue.clone(),
                share_of_value: v.share_of_value,
                limit,
            })
        })
        .collect())
}
