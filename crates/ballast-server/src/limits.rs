//! Risk limits and their alerts: edge-triggered with hysteresis — raised once when a measure
//! goes above its limit, cleared once when it is back under [`CLEAR_AT`] × the limit, never
//! repeated while it stays on one side.

use crate::push::BookView;
use ballast::book::GreeksTotals;
use std::collections::{BTreeMap, HashMap};

/// A breached limit clears below this fraction of it.
pub const CLEAR_AT: f64 = 0.95;

/// Largest limit value.
pub const MAX_LIMIT: f64 = 1e15;

/// The measures a limit can cap (absolute values; per underlying with `.COIN`, e.g.
/// `delta_usd.BTC`, or the book's total without).
pub const MEASURES: [&str; 4] = ["delta_usd", "gamma_usd_1pct", "vega", "theta"];

/// Check a limit's name and value.
///
/// # Errors
/// What is wrong, and the names that exist.
pub fn check(name: &str, value: f64) -> Result<(), String> {
    let measure = name.split('.').next().unwrap_or("");
    let coin_ok = name
        .split_once('.')
        .is_none_or(|(_, c)| !c.is_empty() && c.len() <= 16 && c.chars().all(|x| x.is_ascii_alphanumeric()));
    if !MEASURES.contains(&measure) || !coin_ok {
        return Err(format!(
            "limit '{name}': expected one of {} (the book's total) or with an underlying, e.g. delta_usd.BTC",
            MEASURES.join(", ")
        ));
    }
    if !(value.is_finite() && value > 0.0 && value <= MAX_LIMIT) {
        return Err(format!(
            "limit '{name}' = {value}: a positive number of USD of at most {MAX_LIMIT:e} (the largest absolute value allowed)"
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

/// The absolute value a limit caps in a book (`None`: an underlying the book does not hold,
/// or a book that could not be valued).
pub fn measure(name: &str, b: &BookView) -> Option<f64> {
    if b.error.is_some() {
        return None;
    }
    let (m, coin) = match name.split_once('.') {
        Some((m, c)) => (m, Some(c)),
        None => (name, None),
    };
    let t = match coin {
        Some(c) => b.by_underlying.get(&c.to_uppercase())?,
        None => &b.total,
    };
    Some(pick(t, m).abs())
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
            let state = if !*was && value > limit {
                "raised"
            } else if *was && value < CLEAR_AT * limit {
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

    #[test]
    fn names_and_values_are_checked() {
        assert!(check("delta_usd.BTC", 1e5).is_ok());
        assert!(check("vega", 1e3).is_ok());
        for (n, v) in [
            ("delta", 1.0),
            ("delta_usd.", 1.0),
            ("vega.B-TC", 1.0),
            ("vega", 0.0),
            ("vega", f64::NAN),
            ("vega", 1e16),
        ] {
            assert!(check(n, v).is_err(), "{n} {v}");
        }
    }
}
