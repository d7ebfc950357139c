//! Implied-volatility smiles and surfaces from option chains.
//!
//! Per expiry, the out-of-the-money quotes (calls at K ≥ F, puts at K < F) give points
//! (k = ln(K/F), σ implied from the mark) to which a raw SVI slice is fitted ([`fit_svi`]),
//! weighted by vega, open interest or equally. From each slice: ATM-forward volatility, the
//! 25-delta call and put volatilities (forward delta N(d1) = 0.25 / 0.75 solved on the fitted
//! smile), the 25-delta risk reversal `RR25 = σ25C − σ25P` and butterfly
//! `BF25 = (σ25C + σ25P)/2 − σATM`. Across expiries, total variance is interpolated linearly
//! in T at fixed k (constant volatility outside the quoted expiries), and calendar arbitrage
//! (w decreasing in T at some k) is reported.

mod svi;

pub use svi::{check_grid, fit_svi, SmilePoint, Svi, SviFit};

use super::{norm_cdf, quote_greeks};
use crate::data::ChainQuote;
use crate::instrument::{Instrument, OptionKind};
use jiff::Timestamp;
use std::collections::BTreeMap;

/// How market points are weighted in the SVI fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SmileWeights {
    /// By vega (USD per vol point) at the market IV: ATM points count most.
    #[default]
    Vega,
    /// By open interest (contracts); all-zero OI falls back to equal weights.
    OpenInterest,
    /// Every point the same.
    Equal,
}

/// A quoted point with its strike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotedPoint {
    /// Strike, USD.
    pub strike: f64,
    /// Call or put.
    pub kind: OptionKind,
    /// Log-moneyness, implied vol and fit weight.
    pub point: SmilePoint,
}

/// One expiry of the surface.
#[derive(Debug, Clone, PartialEq)]
pub struct SmileSlice {
    /// Expiry instant.
    pub expiry: Timestamp,
    /// Years to expiry (median over the slice's quotes).
    pub time: f64,
    /// Forward (median `underlying_price` over the slice's quotes).
    pub forward: f64,
    /// Out-of-the-money points used in the fit.
    pub points: Vec<QuotedPoint>,
    /// The SVI fit, or why there is none (too few points).
    pub fit: Result<SviFit, String>,
    /// Smile metrics from the fit (None without a fit).
    pub metrics: Option<SmileMetrics>,
}

/// ATM volatility, 25-delta vols, risk reversal and butterfly (fractions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmileMetrics {
    /// At-the-money-forward vol.
    pub atm_vol: f64,
    /// 25-delta call vol.
    pub vol_25c: f64,
    /// 25-delta put vol.
    pub vol_25p: f64,
    /// Log-moneyness of the 25-delta call.
    pub k_25c: f64,
    /// Log-moneyness of the 25-delta put.
    pub k_25p: f64,
    /// Risk reversal: 25Δ call − 25Δ put vol.
    pub rr25: f64,
    /// Butterfly: mean of the 25Δ vols − ATM vol.
    pub bf25: f64,
}

/// A fitted surface for one underlying.
#[derive(Debug, Clone, PartialEq)]
pub struct VolSurface {
    /// Underlying coin.
    pub coin: String,
    /// Slices in increasing expiry.
    pub slices: Vec<SmileSlice>,
    /// Consecutive expiries (earlier, later) whose total variance decreases somewhere on the
    /// quoted range: calendar arbitrage.
    pub calendar_arbitrage: Vec<(Timestamp, Timestamp)>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Forward-delta strike: the k where N(d1) = `target`, d1 = (−k + w/2)/√w, by bisection.
fn delta_strike(svi: &Svi, target: f64) -> Option<f64> {
    let f = |k: f64| {
        let w = svi.total_variance(k);
        if w <= 0.0 {
            return f64::NAN;
        }
        norm_cdf((-k + 0.5 * w) / w.sqrt()) - target
    };
    let (mut lo, mut hi) = (-5.0_f64, 5.0_f64);
    let (flo, fhi) = (f(lo), f(hi));
    if !(flo > 0.0 && fhi < 0.0) {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let fm = f(mid);
        if !fm.is_finite() {
            return None;
        }
        if fm > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-14 {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

fn metrics(svi: &Svi, t: f64) -> Option<SmileMetrics> {
    let k_25c = delta_strike(svi, 0.25)?;
    let k_25p = delta_strike(svi, 0.75)?;
    let (atm_vol, vol_25c, vol_25p) = (svi.vol(0.0, t), svi.vol(k_25c, t), svi.vol(k_25p, t));
    Some(SmileMetrics {
        atm_vol,
        vol_25c,
        vol_25p,
        k_25c,
        k_25p,
        rr25: vol_25c - vol_25p,
        bf25: 0.5 * (vol_25c + vol_25p) - atm_vol,
    })
}

/// Fit a surface per underlying from chain quotes (valued at their timestamps or `as_of`).
/// Quotes that cannot be valued (expired, no usable IV) are skipped; slices with fewer than
/// five out-of-the-money points keep an error in [`SmileSlice::fit`].
pub fn fit_surfaces(
    quotes: &[ChainQuote],
    weights: SmileWeights,
    as_of: Option<Timestamp>,
) -> Vec<VolSurface> {
    // coin -> expiry -> (points, times, forwards)
    type Acc = (Vec<QuotedPoint>, Vec<f64>, Vec<f64>, Vec<f64>);
    let mut groups: BTreeMap<String, BTreeMap<Timestamp, Acc>> = BTreeMap::new();
    for q in quotes {
        let Instrument::Option {
            ref coin,
            expiry,
            strike,
            kind,
            ..
        } = q.instrument
        else {
            continue;
        };
        let Ok(v) = quote_greeks(q, as_of) else { continue };
        let otm = match kind {
            OptionKind::Call => strike >= v.forward,
            OptionKind::Put => strike < v.forward,
        };
        if !otm {
            continue;
        }
        let e = groups.entry(coin.clone()).or_default().entry(expiry).or_default();
        let w = match weights {
            SmileWeights::Vega => v.greeks.vega,
            SmileWeights::OpenInterest => q.open_interest.unwrap_or(0.0),
            SmileWeights::Equal => 1.0,
        };
        e.0.push(QuotedPoint {
            strike,
            kind,
            point: SmilePoint {
                k: (strike / v.forward).ln(),
                vol: v.vol,
                weight: w.max(0.0),
            },
        });
        e.1.push(v.time);
        e.2.push(v.forward);
        e.3.push(w);
    }
    groups
        .into_iter()
        .map(|(coin, by_expiry)| {
            let mut slices: Vec<SmileSlice> = by_expiry
                .into_iter()
                .map(|(expiry, (mut points, mut times, mut fwds, ws))| {
                    if ws.iter().all(|w| *w <= 0.0) {
                        points.iter_mut().for_each(|p| p.point.weight = 1.0);
                    }
                    points.sort_by(|a, b| a.strike.total_cmp(&b.strike));
                    let time = median(&mut times);
                    let forward = median(&mut fwds);
                    let pts: Vec<SmilePoint> = points.iter().map(|p| p.point).collect();
                    let fit = fit_svi(&pts, time).ok_or_else(|| {
                        format!(
                            "{} out-of-the-money quotes; an SVI fit needs at least 5",
                            pts.len()
                        )
                    });
                    let metrics = fit.as_ref().ok().and_then(|f| metrics(&f.params, time));
                    SmileSlice {
                        expiry,
                        time,
                        forward,
                        points,
                        fit,
                        metrics,
                    }
                })
                .collect();
            slices.sort_by_key(|s| s.expiry);
            let calendar_arbitrage = calendar_violations(&slices);
            VolSurface {
                coin,
                slices,
                calendar_arbitrage,
            }
        })
        .collect()
}

fn calendar_violations(slices: &[SmileSlice]) -> Vec<(Timestamp, Timestamp)> {
    let fitted: Vec<(&SmileSlice, &SviFit)> = slices
        .iter()
        .filter_map(|s| s.fit.as_ref().ok().map(|f| (s, f)))
        .collect();
    fitted
        .windows(2)
        .filter(|w| {
            let ((sa, fa), (sb, fb)) = (w[0], w[1]);
            // on the strikes both expiries quote, beyond what the fit errors explain:
            // δw ≈ 2σT·δσ for each slice
            let range = |s: &SmileSlice| {
                s.points
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                        (lo.min(p.point.k), hi.max(p.point.k))
                    })
            };
            let ((a0, a1), (b0, b1)) = (range(sa), range(sb));
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            (0..=100)
                .map(|i| lo + (hi - lo) * i as f64 / 100.0)
                .filter(|_| hi > lo)
                .any(|k| {
                    let (wa, wb) = (fa.params.total_variance(k), fb.params.total_variance(k));
                    let tol = 2.0 * fa.params.vol(k, sa.time) * sa.time * fa.rmse
                        + 2.0 * fb.params.vol(k, sb.time) * sb.time * fb.rmse
                        + 1e-8;
                    wb < wa - tol
                })
        })
        .map(|w| (w[0].0.expiry, w[1].0.expiry))
        .collect()
}

impl VolSurface {
    /// Implied volatility at log-moneyness k = ln(K/F_T) and time T (years): total variance
    /// linear in T between the fitted slices around T, constant volatility outside them.
    /// `None` if no slice is fitted.
    pub fn vol(&self, k: f64, t: f64) -> Option<f64> {
        let fitted: Vec<(f64, &Svi)> = self
            .slices
            .iter()
            .filter_map(|s| s.fit.as_ref().ok().map(|f| (s.time, &f.params)))
            .collect();
        let (first, last) = (fitted.first()?, fitted.last()?);
        if t <= first.0 {
            return Some(first.1.vol(k, first.0));
        }
        if t >= last.0 {
            return Some(last.1.vol(k, last.0));
        }
        let i = fitted.partition_point(|(ti, _)| *ti <= t);
        let ((t0, s0), (t1, s1)) = (fitted[i - 1], fitted[i]);
        let x = (t - t0) / (t1 - t0);
        let w = (1.0 - x) * s0.total_variance(k) + x * s1.total_variance(k);
        Some((w.max(0.0) / t).sqrt())
    }
}

/// JSON: `coin`, `slices` [{`expiry`, `time_years`, `forward`, `points`, `svi` {`a`, `b`,
/// `rho`, `m`, `sigma`}, `rmse_vol`, `min_density`, `butterfly_arbitrage_free`, `fit_error`,
/// `atm_vol`, `vol_25d_call`, `vol_25d_put`, `rr25`, `bf25`, `market` [{`strike`, `k`, `iv`,
/// `weight`}]}], `calendar_arbitrage` (pairs of expiries). Fields without a fit are `null`.
impl serde::Serialize for VolSurface {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(serde::Serialize)]
        struct SviJson {
            a: f64,
            b: f64,
            rho: f64,
            m: f64,
            sigma: f64,
        }
        #[derive(serde::Serialize)]
        struct Point {
            strike: f64,
            k: f64,
            iv: f64,
            weight: f64,
        }
        #[derive(serde::Serialize)]
        struct Slice<'a> {
            expiry: Timestamp,
            time_years: f64,
            forward: f64,
            points: usize,
            svi: Option<SviJson>,
            rmse_vol: Option<f64>,
            min_density: Option<f64>,
            butterfly_arbitrage_free: Option<bool>,
            fit_error: Option<&'a str>,
            atm_vol: Option<f64>,
            vol_25d_call: Option<f64>,
            vol_25d_put: Option<f64>,
            rr25: Option<f64>,
            bf25: Option<f64>,
            market: Vec<Point>,
        }
        let slices: Vec<Slice> = self
            .slices
            .iter()
            .map(|sl| {
                let fit = sl.fit.as_ref().ok();
                let m = sl.metrics;
                Slice {
                    expiry: sl.expiry,
                    time_years: sl.time,
                    forward: sl.forward,
                    points: sl.points.len(),
                    svi: fit.map(|f| SviJson {
                        a: f.params.a,
                        b: f.params.b,
                        rho: f.params.rho,
                        m: f.params.m,
                        sigma: f.params.s,
                    }),
                    rmse_vol: fit.map(|f| f.rmse),
                    min_density: fit.map(|f| f.min_density),
                    butterfly_arbitrage_free: fit.map(|f| f.min_density >= 0.0),
                    fit_error: sl.fit.as_ref().err().map(String::as_str),
                    atm_vol: m.map(|m| m.atm_vol),
                    vol_25d_call: m.map(|m| m.vol_25c),
                    vol_25d_put: m.map(|m| m.vol_25p),
                    rr25: m.map(|m| m.rr25),
                    bf25: m.map(|m| m.bf25),
                    market: sl
                        .points
                        .iter()
                        .map(|p| Point {
                            strike: p.strike,
                            k: p.point.k,
                            iv: p.point.vol,
                            weight: p.point.weight,
                        })
                        .collect(),
                }
            })
            .collect();
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("coin", &self.coin)?;
        m.serialize_entry("slices", &slices)?;
        m.serialize_entry("calendar_arbitrage", &self.calendar_arbitrage)?;
        m.end()
    }
}
