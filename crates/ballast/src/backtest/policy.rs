//! When to rebalance: calendar check dates and drift triggers.

use super::config::{RebalanceRules, RebalanceSpec};
use super::BacktestError;
use crate::rebalance::Band;
use jiff::civil::Date;

/// Check-date calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    Daily,
    /// First trading day of each ISO week.
    Weekly,
    /// First trading day of each month.
    Monthly,
    /// First trading day of each quarter.
    Quarterly,
}

impl Calendar {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "daily" => Self::Daily,
            "weekly" => Self::Weekly,
            "monthly" => Self::Monthly,
            "quarterly" => Self::Quarterly,
            _ => return None,
        })
    }

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
}

/// A resolved rebalancing policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub calendar: Calendar,
    /// Explicit check dates (sorted), replacing the calendar when given.
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
    pub fn from_spec(spec: &RebalanceSpec, what: &str) -> Result<Self, BacktestError> {
        let bad = |m: String| Err(BacktestError::Invalid(format!("{what}: rebalance: {m}")));
        let rules = match spec {
            RebalanceSpec::Calendar(c) => RebalanceRules {
                calendar: Some(c.clone()),
                ..RebalanceRules::default()
            },
            RebalanceSpec::Rules(r) => r.clone(),
        };
        let has_triggers =
            rules.threshold.is_some() || rules.risk_drift.is_some() || rules.vol_trigger.is_some();
        let cal_name = rules
            .calendar
            .clone()
            .unwrap_or_else(|| if has_triggers { "daily" } else { "monthly" }.into());
        let Some(calendar) = Calendar::parse(&cal_name) else {
            return bad(format!(
                "calendar '{cal_name}' is unknown (daily | weekly | monthly | quarterly)"
            ));
        };
        let dates = match &rules.dates {
            None => None,
            Some(_) if rules.calendar.is_some() => {
                return bad("give either calendar or dates, not both".into())
            }
            Some(list) if list.is_empty() => return bad("dates = [] has no dates".into()),
            Some(list) => {
                let mut d = list
                    .iter()
                    .map(|x| {
                        x.parse::<Date>().map_err(|_| {
                            BacktestError::Invalid(format!(
                                "{what}: rebalance: dates: '{x}' is not a date (YYYY-MM-DD)"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                d.sort();
                d.dedup();
                Some(d)
            }
        };
        let positive = |name: &str, v: Option<f64>| match v {
            Some(x) if !(x > 0.0 && x.is_finite()) => Err(BacktestError::Invalid(format!(
                "{what}: rebalance: {name} = {x} must be > 0"
            ))),
            _ => Ok(()),
        };
        positive("threshold", rules.threshold)?;
        positive("risk_drift", rules.risk_drift)?;
        positive("vol_trigger", rules.vol_trigger)?;
        if !(rules.min_trade >= 0.0 && rules.min_trade < 1.0) {
            return bad(format!("min_trade = {} must be in [0, 1)", rules.min_trade));
        }
        let threshold = match (rules.threshold, rules.threshold_type.as_deref()) {
            (None, Some(_)) => return bad("threshold_type without threshold".into()),
            (None, None) => None,
            (Some(b), None | Some("absolute")) => Some(Band::Absolute(b)),
            (Some(b), Some("relative")) => Some(Band::Relative(b)),
            (Some(_), Some(t)) => {
                return bad(format!("threshold_type '{t}' is unknown (absolute | relative)"))
            }
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
        let listed;
        let cal = match (&self.dates, self.calendar) {
            (Some(d), _) => {
                listed = format!("{} listed dates", d.len());
                listed.as_str()
            }
            (None, Calendar::Daily) => "daily",
            (None, Calendar::Weekly) => "weekly",
            (None, Calendar::Monthly) => "monthly",
            (None, Calendar::Quarterly) => "quarterly",
        };
        if !self.has_triggers() {
            return cal.into();
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Initial,
    Calendar,
    WeightDrift,
    RiskDrift,
    Volatility,
}

impl Trigger {
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

/// Does any weight breach the band around its target?
pub fn weights_breach(band: Band, current: &[f64], target: &[f64]) -> bool {
    current.iter().zip(target).any(|(w, t)| match band {
        Band::Absolute(b) => (w - t).abs() > b,
        Band::Relative(b) => {
            if *t == 0.0 {
                w.abs() > 0.0
            } else {
                ((w - t) / t).abs() > b
            }
        }
    })
}

/// A percentage without float noise: 5.000000001 → "5", 2.5 → "2.5".
fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
