//! Risk limits and their alerts: edge-triggered with hysteresis — raised once when a measure
//! crosses its limit, cleared once when it is back inside by 5 % ([`CLEAR_AT`]), never
//! repeated while it stays on one side.
//!
//! Caps (breached above the limit): the Greeks' absolute values ([`GREEKS`], of the book's
//! total or, with `.COIN`, of one underlying, e.g. `delta_usd.BTC`); the risk round's 1-day
//! 99 % VaR and ES (`var_99_usd`, `es_99_usd`), the largest margin utilisation
//! (`margin_utilisation`, maintenance margin / equity), and a venue's share of the book's gross
//! delta (`venue_share.VENUE`, a fraction: concentration). A floor (breached below the limit):
//! `liquidation_distance`, the smallest index move (fraction) to an account's liquidation.

use crate::push::BookView;
use ballast::book::GreeksTotals;
use std::collections::{BTreeMap, HashMap};

/// A breached limit clears once the measure is back inside by this factor (a cap below
/// `CLEAR_AT` × the limit, a floor above the limit / `CLEAR_AT`).
pub const CLEAR_AT: f64 = 0.95;

/// Largest limit value.
pub const MAX_LIMIT: f64 = 1e15;

/// The Greeks a limit can cap (absolute values; per underlying with `.COIN`).
pub const GREEKS: [&str; 4] = ["delta_usd", "gamma_usd_1pct", "vega", "theta"];

/// The book-level measures of the risk round (no `.COIN`).
pub const RISK: [&str; 4] = [
    "var_99_usd",
    "es_99_usd",
    "margin_utilisation",
    "liquidation_distance",
];

/// Every measure name, for messages.
pub fn names() -> String {
    GREEKS
        .iter()
        .map(|g| format!("{g}[.COIN]"))
        .chain(RISK.iter().map(|r| r.to_string()))
        .chain(["venue_share.VENUE".to_string()])
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether limit `name` is a floor (breached below it).
pub fn is_floor(name: &str) -> bool {
    name == "liquidation_distance"
}

/// Check a limit's name and value.
///
/// # Errors
/// What is wrong, and the names that exist.
pub fn check(name: &str, value: f64) -> Result<(), String> {
    let (measure, suffix) = match name.split_once('.') {
        Some((m, c)) => (m, Some(c)),
        None => (name, None),
    };
    // a coin: letters and digits; a venue: also - and _
    let coin_ok = |s: &str| !s.is_empty() && s.len() <= 16 && s.chars().all(|x| x.is_ascii_alphanumeric());
    let venue_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.chars()
                .all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '-')
    };
    let known = match suffix {
        None => GREEKS.contains(&measure) || RISK.contains(&measure),
        Some(c) => (GREEKS.contains(&measure) && coin_ok(c)) || (measure == "venue_share" && venue_ok(c)),
    };
    if !known {
        return Err(format!("limit '{name}': expected one of {}", names()));
    }
    let fraction = matches!(measure, "venue_share" | "liquidation_distance");
    let top = if fraction { 1.0 } else { MAX_LIMIT };
    if !(value.is_finite() && value > 0.0 && value <= top) {
        return Err(format!(
            "limit '{name}' = {value}: {}",
            if fraction {
                "a fraction in (0, 1], e.g. 0.25".to_string()
            } else {
                format!(
                    "a positive number of at most {MAX_LIMIT:e} (USD, or a fraction for margin_utilisation)"
                )
            }
        ));
    }
    Ok(())
}

fn pick(t: &GreeksTotals, measure: &str) -> f64 {
    match measure {
        "delta_usd" => t.delta_usd,
        "gamma_usd_1pct" => t.gamma_usd_1pct,
        "vega" => t.vega,
        _ => t.theta,
    }
}

/// The value a limit watches in a book (`None`: an underlying the book does not hold, a risk
/// measure not computed, a book that could not be valued; a venue it does not use has a share
/// of 0).
pub fn measure(name: &str, b: &BookView) -> Option<f64> {
    if b.error.is_some() {
        return None;
    }
    let (m, suffix) = match name.split_once('.') {
        Some((m, c)) => (m, Some(c)),
        None => (name, None),
    };
    match (m, suffix) {
        ("var_99_usd", None) => b.var_99_usd,
        ("es_99_usd", None) => b.es_99_usd,
        ("margin_utilisation", None) => b.margin_utilisation,
        ("liquidation_distance", None) => b.liquidation_distance,
        // a venue the book no longer uses holds none of it
        ("venue_share", Some(v)) => Some(b.venue_share.get(&v.to_lowercase()).copied().unwrap_or(0.0)),
        (g, Some(c)) => Some(pick(b.by_underlying.get(&c.to_uppercase())?, g).abs()),
        (g, None) => Some(pick(&b.total, g).abs()),
    }
}

/// A change of a limit's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The limit.
    pub limit: String,
    /// `raised` or `cleared`.
    pub state: &'static str,
    /// The measured value.
    pub value: f64,
    /// The limit.
    pub limit_value: f64,
}

/// Which limits are breached now, per book.
#[derive(Debug, Clone, Default)]
pub struct Alerter {
    breached: HashMap<(String, String), bool>,
}

impl Alerter {
    /// Start from stored states (book, limit, last state), so a restart does not raise again.
    pub fn with_states(states: impl IntoIterator<Item = (String, String, bool)>) -> Alerter {
        Alerter {
            breached: states.into_iter().map(|(b, l, s)| ((b, l), s)).collect(),
        }
    }

    /// The edges of `book`'s limits at `view`.
    pub fn evaluate(&mut self, book: &str, limits: &BTreeMap<String, f64>, view: &BookView) -> Vec<Edge> {
        let mut out = Vec::new();
        for (name, &limit) in limits {
            let Some(value) = measure(name, view) else {
                continue;
            };
            let was = self
                .breached
                .entry((book.to_string(), name.clone()))
                .or_insert(false);
            let (outside, back_inside) = if is_floor(name) {
                (value < limit, value > limit / CLEAR_AT)
            } else {
                (value > limit, value < CLEAR_AT * limit)
            };
            let state = if !*was && outside {
                "raised"
            } else if *was && back_inside {
                "cleared"
            } else {
                continue;
            };
            *was = state == "raised";
            out.push(Edge {
                limit: name.clone(),
                state,
                value,
                limit_value: limit,
            });
        }
        out
    }

    /// The limits of `book` breached now.
    pub fn breached(&self, book: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .breached
            .iter()
            .filter(|((b, _), s)| b == book && **s)
            .map(|((_, l), _)| l.clone())
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(delta: f64) -> BookView {
        BookView {
            id: "b".into(),
            name: "b".into(),
            as_of: None,
            spot: BTreeMap::new(),
            total: GreeksTotals {
                delta_usd: delta,
                ..Default::default()
            },
            by_underlying: [(
                "BTC".to_string(),
                GreeksTotals {
                    delta_usd: delta,
                    ..Default::default()
                },
            )]
            .into(),
            error: None,
            breached: Vec::new(),
            pnl_since_start_usd: None,
            pnl_today_usd: None,
            day: None,
            var_99_usd: Some(delta * 0.1),
            es_99_usd: None,
            margin_utilisation: None,
            liquidation_distance: Some(delta.abs() / 1000.0),
            venue_share: BTreeMap::new(),
            delta_vol_1d_usd: None,
            risk_contributions: BTreeMap::new(),
        }
    }

    /// Raised once above the limit, not again while above, cleared once under 95 %, not
    /// while between 95 % and 100 %.
    #[test]
    fn edges_with_hysteresis() {
        let mut a = Alerter::default();
        let limits: BTreeMap<String, f64> = [("delta_usd.BTC".to_string(), 100.0)].into();
        let states: Vec<Vec<&str>> = [50.0, 101.0, 150.0, -120.0, 97.0, 99.0, 94.0, 94.0, 99.0, 101.0]
            .iter()
            .map(|d| {
                a.evaluate("b", &limits, &view(*d))
                    .iter()
                    .map(|e| e.state)
                    .collect()
            })
            .collect();
        let want: Vec<Vec<&str>> = vec![
            vec![],
            vec!["raised"],
            vec![],
            vec![],
            vec![],
            vec![],
            vec!["cleared"],
            vec![],
            vec![],
            vec!["raised"],
        ];
        assert_eq!(states, want);
        assert_eq!(a.breached("b"), vec!["delta_usd.BTC".to_string()]);
        // restarted from the stored state: still breached, nothing raised again
        let mut b = Alerter::with_states([("b".into(), "delta_usd.BTC".into(), true)]);
        assert!(b.evaluate("b", &limits, &view(150.0)).is_empty());
    }

    /// A floor (distance to liquidation) is breached below its limit and cleared above
    /// limit / 0.95; a risk measure not computed yet is not judged.
    #[test]
    fn floors_and_risk_measures() {
        let mut a = Alerter::default();
        let limits: BTreeMap<String, f64> = [
            ("liquidation_distance".to_string(), 0.1),
            ("var_99_usd".to_string(), 10.0),
            ("es_99_usd".to_string(), 1.0),
        ]
        .into();
        // distance = |delta| / 1000, VaR = delta / 10
        let steps: Vec<Vec<(String, &str)>> = [150.0, 90.0, 96.0, 106.0]
            .iter()
            .map(|d| {
                a.evaluate("b", &limits, &view(*d))
                    .into_iter()
                    .map(|e| (e.limit, e.state))
                    .collect()
            })
            .collect();
        assert_eq!(steps[0], vec![("var_99_usd".to_string(), "raised")]);
        assert_eq!(
            steps[1],
            vec![
                ("liquidation_distance".to_string(), "raised"),
                ("var_99_usd".to_string(), "cleared")
            ]
        );
        assert!(steps[2].is_empty(), "{:?}", steps[2]);
        assert_eq!(
            steps[3],
            vec![
                ("liquidation_distance".to_string(), "cleared"),
                ("var_99_usd".to_string(), "raised")
            ]
        );
    }

    #[test]
    fn names_and_values_are_checked() {
        assert!(check("delta_usd.BTC", 1e5).is_ok());
        assert!(check("vega", 1e3).is_ok());
        assert!(check("var_99_usd", 5e4).is_ok() && check("margin_utilisation", 0.8).is_ok());
        assert!(check("liquidation_distance", 0.2).is_ok() && check("venue_share.deribit", 0.6).is_ok());
        for (n, v) in [
            ("delta", 1.0),
            ("delta_usd.", 1.0),
            ("vega.B-TC", 1.0),
            ("vega", 0.0),
            ("vega", f64::NAN),
            ("vega", 1e16),
            ("var_99_usd.BTC", 1.0),
            ("venue_share", 0.5),
            ("venue_share.deribit", 1.5),
            ("liquidation_distance", 2.0),
        ] {
            assert!(check(n, v).is_err(), "{n} {v}");
        }
    }
}
