//! When to rebalance: calendar check dates and drift triggers.

use super::config::{Calendar, RebalanceRules, RebalanceSpec};
use super::BacktestError;
use crate::message::Num;
use crate::rebalance::{Band, BandKind};
use jiff::civil::Date;

impl Calendar {
    /// Is `date` a check date, given the previous trading date?
    pub fn is_check(self, previous: Date, date: Date) -> bool {
        match self {
            Self::Daily => true,
            Self::Weekly => {
                let week = |d: Date| {
                    let i = d.iso_week_date();
                    (i.year(), i.week())
                };
                week(previous) != week(date)
            }
            Self::Monthly => (previous.year(), previous.month()) != (date.year(), date.month()),
            Self::Quarterly => {
                (previous.year(), (previous.month() - 1) / 3) != (date.year(), (date.month() - 1) / 3)
            }
        }
    }

    /// The name (`"monthly"`).
    pub fn name(self) -> &'static str {
        crate::names::variant_name(&self)
    }
}

/// A resolved rebalancing policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Check dates.
    pub calendar: Calendar,
    /// Explicit check dates (ascending), replacing the calendar when given.
    pub dates: Option<Vec<Date>>,
    /// Drift band on the weights.
    pub threshold: Option<Band>,
    /// Band on |RC_i − budget_i| (percent risk contributions).
    pub risk_drift: Option<f64>,
    /// Band on |σ_EWMA / σ_target − 1|.
    pub vol_trigger: Option<f64>,
    /// Minimum trade, fraction of portfolio value.
    pub min_trade: f64,
}

impl Policy {
    /// Whether the policy has drift triggers (otherwise every check date rebalances).
    pub fn has_triggers(&self) -> bool {
        self.threshold.is_some() || self.risk_drift.is_some() || self.vol_trigger.is_some()
    }

    /// Resolve a strategy's `rebalance` entry; `what` names it in errors.
    ///
    /// # Errors
    /// [`BacktestError::Invalid`]: both a calendar and dates, an empty or unsorted date list,
    /// a non-positive band, a minimum trade outside [0, 1), a threshold type without a
    /// threshold.
    pub fn from_spec(spec: &RebalanceSpec, what: &str) -> Result<Self, BacktestError> {
        let bad = |m: String| Err(BacktestError::Invalid(format!("{what}: rebalance: {m}")));
        let rules = match spec {
            RebalanceSpec::Calendar(c) => RebalanceRules {
                calendar: Some(*c),
                ..RebalanceRules::default()
            },
            RebalanceSpec::Rules(r) => r.clone(),
        };
        let has_triggers =
            rules.threshold.is_some() || rules.risk_drift.is_some() || rules.vol_trigger.is_some();
        let calendar = rules.calendar.unwrap_or(if has_triggers {
            Calendar::Daily
        } else {
            Calendar::Monthly
        });
        let dates = match &rules.dates {
            None => None,
            Some(_) if rules.calendar.is_some() => {
                return bad("give either calendar or dates, not both".into())
            }
            Some(list) if list.is_empty() => return bad("dates = [] has no dates".into()),
            Some(list) => {
                if let Some(w) = list.windows(2).find(|w| w[1] <= w[0]) {
                    return bad(format!(
                        "dates must be listed in ascending order without repeats: {} comes after {}",
                        w[1], w[0]
                    ));
                }
                Some(list.clone())
            }
        };
        for (name, v) in [
            ("threshold", rules.threshold),
            ("risk_drift", rules.risk_drift),
            ("vol_trigger", rules.vol_trigger),
        ] {
            if let Some(x) = v {
                if x == 0.0 {
                    return bad(format!(
                        "{name} = 0 would fire on every check: give a fraction > 0 (e.g. 0.05)"
                    ));
                }
                if let Err(e) = Band::check_width(name, x) {
                    return bad(e.to_string());
                }
            }
        }
        if !(rules.min_trade >= 0.0 && rules.min_trade < 1.0) {
            return bad(format!("min_trade = {} must be in [0, 1)", Num(rules.min_trade)));
        }
        let threshold = match (rules.threshold, rules.threshold_type) {
            (None, Some(_)) => return bad("threshold_type without threshold".into()),
            (None, None) => None,
            (Some(b), kind) => Some(Band::new(kind.unwrap_or(BandKind::Absolute), b)),
        };
        Ok(Self {
            calendar,
            dates,
            threshold,
            risk_drift: rules.risk_drift,
            vol_trigger: rules.vol_trigger,
            min_trade: rules.min_trade,
        })
    }

    /// Is row date `date` (previous row `previous`) a check date?
    pub fn is_check(&self, previous: Date, date: Date) -> bool {
        match &self.dates {
            // the first trading day on or after a listed date
            Some(list) => list.iter().any(|d| previous < *d && *d <= date),
            None => self.calendar.is_check(previous, date),
        }
    }

    /// A short description, e.g. `monthly` or `daily: drift > 5 pts`.
    pub fn describe(&self) -> String {
        let cal = match &self.dates {
            Some(d) => format!("{} listed date{}", d.len(), if d.len() == 1 { "" } else { "s" }),
            None => self.calendar.name().to_string(),
        };
        if !self.has_triggers() {
            return cal;
        }
        let mut t = Vec::new();
        match self.threshold {
            Some(Band::Absolute(b)) => t.push(format!("drift > {} pts", trim(b * 100.0))),
            Some(Band::Relative(b)) => t.push(format!("drift > {} % of target", trim(b * 100.0))),
            None => {}
        }
        if let Some(r) = self.risk_drift {
            t.push(format!("RC off budget > {} pts", trim(r * 100.0)));
        }
        if let Some(v) = self.vol_trigger {
            t.push(format!("vol off target > {} %", trim(v * 100.0)));
        }
        format!("{cal}: {}", t.join(" or "))
    }
}

/// Why a rebalance fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// The first investment.
    Initial,
    /// A calendar (or listed) date without triggers.
    Calendar,
    /// A weight left its band.
    WeightDrift,
    /// A risk contribution left its band.
    RiskDrift,
    /// The volatility left its band.
    Volatility,
}

impl Trigger {
    /// A label for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Calendar => "calendar",
            Self::WeightDrift => "weight drift",
            Self::RiskDrift => "risk-contribution drift",
            Self::Volatility => "volatility",
        }
    }
}

/// A percentage without float noise: 5.000000001 → "5", 2.5 → "2.5".
fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
