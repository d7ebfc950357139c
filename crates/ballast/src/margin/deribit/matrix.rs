//! The risk matrix: every position revalued on the standard and extended tables, aggregated
//! per settlement currency and underlying, and turned into margins.

use super::super::MarginError;
use super::kernel::{Group, GroupEval, Prepared, Scratch};
use super::params::{PairParams, PmParams, EXTENDED_MOVES};
use crate::instrument::{parse_deribit_name, Instrument, Margining, Settlement};
use crate::pricing::Black76;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Vol scenarios, in the order of the standard vector: up, same, down.
pub const VOL_SCENARIOS: [&str; 3] = ["up", "same", "down"];

/// The lowest vol a down shock leaves (1 %).
pub const MIN_SHOCKED_VOL: f64 = 0.01;

/// Seconds in Deribit's 365-day year.
const YEAR_SECONDS: f64 = 365.0 * 86_400.0;

/// One instrument's market: its mark, and for options the mark IV and the underlying.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ticker {
    /// Mark price (USD for futures; coin for coin-settled options).
    pub mark_price: f64,
    /// Mark implied vol, annual fraction (options).
    pub mark_iv: Option<f64>,
    /// The option's underlying (the future of its expiry, or the index), USD.
    pub underlying_price: Option<f64>,
}

/// What the model revalues: positions in **base currency** (coins; Deribit's PM convention),
/// index prices per pair (`btc_usd`), tickers, the valuation instant.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PmInput {
    /// Instrument name → size in coins (negative = short).
    pub positions: BTreeMap<String, f64>,
    /// Pair (`btc_usd`) → index price, USD.
    pub index_price: BTreeMap<String, f64>,
    /// Instrument name → ticker.
    pub tickers: BTreeMap<String, Ticker>,
    /// Valuation instant.
    pub now: Option<Timestamp>,
    /// Per settlement currency: margins the matrix does not compute (open orders, MMP, spot),
    /// added to the initial margin as given.
    pub extra_initial: BTreeMap<String, ExtraInitial>,
}

/// Initial-margin add-ons given by the venue.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ExtraInitial {
    /// Margin of open orders.
    pub open_orders_margin: f64,
    /// Market-maker-protection margin.
    pub mmp_margin: f64,
    /// Spot margin.
    pub spot_margin: f64,
}

/// A risk vector: coin P&L per scenario. `standard`: 3 per move (up, same, down), moves from
/// −range to +range; `extended`: the moves of [`EXTENDED_MOVES`], vol up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskVector {
    /// The standard table.
    pub standard: Vec<f64>,
    /// The extended table.
    pub extended: Vec<f64>,
}

/// Where the worst case is, in Deribit's terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstCaseBucket {
    /// 1-based position of the move on its side, in vector order (left: 1 = the largest fall;
    /// right: 1 = the smallest rise); 0 for no move.
    pub bucket: usize,
    /// `left` (falls), `middle` (no move) or `right` (rises).
    pub side: &'static str,
    /// `standard` or `extended`.
    pub source: &'static str,
    /// The vol scenario: 0 up, 1 same, 2 down.
    pub index: usize,
}

/// `risk_matrix_margin_details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskMatrixDetails {
    /// Delta shock (reconstructed, see the module docs).
    pub delta_shock: f64,
    /// Σ |futures position| × max(min move, annualised move × years to expiry).
    pub roll_shock: f64,
    /// The worst scenario.
    pub worst_case_bucket: WorstCaseBucket,
    /// The loss of the worst scenario (positive, coin).
    pub worst_case: f64,
    /// Cross-underlying correlation add-on (0: not modelled).
    pub correlation_contingency: f64,
}

/// `initial_margin_details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InitialMarginDetails {
    /// The risk matrix's parts.
    pub risk_matrix_margin_details: RiskMatrixDetails,
    /// worst case (to 1e-9, as Deribit) + roll shock + delta shock.
    pub risk_matrix_margin: f64,
    /// Given.
    pub spot_margin: f64,
    /// Given.
    pub mmp_margin: f64,
    /// Given.
    pub open_orders_margin: f64,
}

/// One settlement currency's margins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyMargin {
    /// Details.
    pub initial_margin_details: InitialMarginDetails,
    /// risk-matrix margin + spot + MMP + open orders (to 1e-9, as Deribit).
    pub initial_margin: f64,
    /// mm_factor × risk-matrix margin.
    pub maintenance_margin: f64,
}

/// The model's result, under Deribit's key names.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PmResult {
    /// Per instrument.
    pub initial_risk_vectors: BTreeMap<String, RiskVector>,
    /// Per `{settlement}_{underlying}` (`btc_btc`): net losses in full, gains offset.
    pub aggregated_risk_vectors: BTreeMap<String, RiskVector>,
    /// Per settlement currency.
    pub margins: BTreeMap<String, CurrencyMargin>,
}

/// An instrument as the model sees it: lower-case coin and settlement currency.
pub(crate) struct Priced {
    pub coin: String,
    pub settlement: String,
    pub instrument: Instrument,
}

pub(crate) fn classify(name: &str) -> Result<Priced, MarginError> {
    let instrument = parse_deribit_name(name).map_err(|e| MarginError::Instrument(format!("{name}: {e}")))?;
    let coin = instrument.coin().to_lowercase();
    let settlement = match &instrument {
        Instrument::Perpetual { margining, .. } | Instrument::Future { margining, .. } => match margining {
            Margining::Inverse => coin.clone(),
            Margining::Linear => "usdc".into(),
        },
        Instrument::Option { settlement, .. } => match settlement {
            Settlement::Coin => coin.clone(),
            Settlement::Usd => "usdc".into(),
        },
        Instrument::Spot { .. } => {
            return Err(MarginError::Instrument(format!(
                "{name}: spot is collateral, not a position of the risk matrix"
            )))
        }
    };
    Ok(Priced {
        coin,
        settlement,
        instrument,
    })
}

/// Years from `now` to `expiry` (0 for perpetuals).
pub(super) fn years(
    now: Option<Timestamp>,
    expiry: Option<Timestamp>,
    name: &str,
) -> Result<f64, MarginError> {
    match expiry {
        None => Ok(0.0),
        Some(e) => {
            let now = now.ok_or_else(|| {
                MarginError::Input(format!("{name} is dated: the valuation instant is needed"))
            })?;
            let t = (e.as_second() - now.as_second()) as f64 / YEAR_SECONDS
                + (e.subsec_nanosecond() - now.subsec_nanosecond()) as f64 * 1e-9 / YEAR_SECONDS;
            if t <= 0.0 {
                return Err(MarginError::Input(format!(
                    "{name} expired at {e} (valuation {now}): remove it or settle it"
                )));
            }
            Ok(t)
        }
    }
}

/// Vol after a shock: up σ(1 + r_up f) floored at `min_volatility_for_shock_up`, down σ(1 − r_down f)
/// floored at [`MIN_SHOCKED_VOL`], f = (30 / days)^p (short-term p under 30 days).
pub fn shocked_vol(p: &PairParams, vol: f64, days: f64, scenario: usize) -> f64 {
    let power = if days < 30.0 {
        p.short_term_vega_power
    } else {
        p.long_term_vega_power
    };
    let f = (30.0 / days).powf(power);
    match scenario {
        0 => (vol * (1.0 + p.volatility_range_up * f)).max(p.min_volatility_for_shock_up),
        2 => (vol * (1.0 - p.volatility_range_down * f)).max(MIN_SHOCKED_VOL),
        _ => vol,
    }
}

/// An option ready to revalue: its Black-76 inputs at the valuation and its mark vol.
pub(super) struct OptionValuer {
    pub f0: f64,
    pub strike: f64,
    pub t: f64,
    pub vol: f64,
    pub kind: crate::instrument::OptionKind,
}

impl OptionValuer {
    /// The option's time, mark IV and forward (the ticker's underlying, else the index).
    ///
    /// # Errors
    /// Not an option, expired, no ticker, no positive mark IV, or inputs Black-76 rejects.
    pub fn new(name: &str, priced: &Priced, input: &PmInput, index: f64) -> Result<Self, MarginError> {
        let Instrument::Option {
            expiry, strike, kind, ..
        } = priced.instrument
        else {
            return Err(MarginError::Instrument(format!("{name}: not an option")));
        };
        let t = years(input.now, Some(expiry), name)?;
        let tk = input.tickers.get(name).ok_or_else(|| {
            MarginError::Input(format!(
                "{name}: no ticker (mark_iv and underlying_price are needed)"
            ))
        })?;
        let vol = tk
            .mark_iv
            .filter(|v| v.is_finite() && *v > 0.0)
            .ok_or_else(|| MarginError::Input(format!("{name}: no positive mark_iv")))?;
        let f0 = tk.underlying_price.unwrap_or(index);
        Black76::new(f0, strike, t, vol, 0.0, kind)
            .map_err(|e| MarginError::Input(format!("{name}: {e}")))?;
        Ok(Self {
            f0,
            strike,
            t,
            vol,
            kind,
        })
    }
}

/// Round to 1e-9, as Deribit's published margins are.
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// A scenario's net P&L as the aggregate counts it: losses in full, gains × `pnl_offset` up to
/// `max_offsetable_pnl`.
fn offset(net: f64, c: &super::params::CurrencyParams) -> f64 {
    if net < 0.0 {
        net
    } else {
        (c.pnl_offset * net).min(c.max_offsetable_pnl)
    }
}

/// Deribit's portfolio margin of `input` under `params`: per-instrument and aggregated risk
/// vectors and the margins of each settlement currency.
///
/// # Formula
/// Standard table: moves m_k = range·k/B, k = −B..B, × vol up / same / down (σ(1 + r_up f),
/// σ, σ(1 − r_down f), f = (30/days)^p). Inverse futures lose q(1 − 1/(1 + m)) coin; options
/// are revalued by Black-76 in coin. Extended table: [`EXTENDED_MOVES`], vol up, options ×
/// `extended_table_factor`, delta-one moves clamped to ±range. Aggregate per scenario: losses
/// in full, gains × pnl_offset (≤ max_offsetable_pnl); extended losses less the
/// `extended_dampener` (USD). Risk-matrix margin = worst loss (to 1e-9) + roll shock
/// (Σ|q| max(min move, annualised move × T)) + delta shock; maintenance = mm_factor × it;
/// initial = it + open-orders, MMP and spot margins.
///
/// # Errors
/// Bad parameters; an instrument that is not a Deribit future, perpetual or option, or whose
/// pair or currency has no parameters; an expired option; a missing index, mark or IV.
pub fn portfolio_margin(params: &PmParams, input: &PmInput) -> Result<PmResult, MarginError> {
    params.validate()?;
    let prep = Prepared::new(params, input)?;
    Ok(prepared_margin(params, input, &prep, &evaluate(&prep)))
}

/// Every group of `prep` evaluated at the valuation, with the buffers holding its option values
/// (read by [`prepared_margin`] for the per-instrument vectors).
pub(super) fn evaluate(prep: &Prepared<'_>) -> Vec<(GroupEval, Scratch)> {
    (0..prep.groups.len())
        .map(|gi| {
            let mut scratch = Scratch::default();
            (prep.eval(gi, 0.0, &mut scratch), scratch)
        })
        .collect()
}

/// [`portfolio_margin`] of positions already prepared and evaluated ([`evaluate`]).
pub(super) fn prepared_margin(
    params: &PmParams,
    input: &PmInput,
    prep: &Prepared<'_>,
    evals: &[(GroupEval, Scratch)],
) -> PmResult {
    let mut initial = BTreeMap::new();
    let mut aggregated = BTreeMap::new();
    let mut margins: BTreeMap<String, CurrencyMargin> = BTreeMap::new();
    for ((gi, g), (e, scratch)) in prep.groups.iter().enumerate().zip(evals) {
        for (name, v) in prep.position_vectors(gi, scratch) {
            initial.insert(name.to_string(), v);
        }
        let extra = input
            .extra_initial
            .get(&g.settlement)
            .copied()
            .unwrap_or_default();
        let (agg, m) = group_margin(params, g, e, 0.0, extra);
        aggregated.insert(format!("{}_{}", g.settlement, g.coin), agg);
        // several underlyings settled in one currency: their margins add up (no correlation credit)
        match margins.get_mut(&g.settlement) {
            None => {
                margins.insert(g.settlement.clone(), m);
            }
            Some(acc) => add_margin(acc, m),
        }
    }
    PmResult {
        initial_risk_vectors: initial,
        aggregated_risk_vectors: aggregated,
        margins,
    }
}

/// One group's aggregated vector and margins, evaluated with its underlying moved by `m0`.
pub(super) fn group_margin(
    params: &PmParams,
    g: &Group<'_>,
    e: &GroupEval,
    m0: f64,
    extra: ExtraInitial,
) -> (RiskVector, CurrencyMargin) {
    let (cur, pair) = (g.cur, g.pair);
    let index = g.index * (1.0 + m0);
    let usdc = g.settlement == "usdc";
    let usd = |x: f64| if usdc { x } else { x * index };
    let to_cur = |usd_amount: f64| if usdc { usd_amount } else { usd_amount / index };
    let standard: Vec<f64> = e.net.standard.iter().map(|x| offset(*x, cur)).collect();
    let extended: Vec<f64> = e
        .net
        .extended
        .iter()
        .map(|x| {
            if *x < 0.0 {
                -(-x - to_cur(cur.extended_dampener)).max(0.0)
            } else {
                offset(*x, cur)
            }
        })
        .collect();
    let (worst_case, bucket) = worst(&standard, &extended, params.general.buckets_count);
    let excess = (usd(e.delta).abs() - pair.delta_total_liq_shock_threshold).max(0.0);
    let delta_shock = to_cur(pair.max_delta_shock * excess);
    let rmm = round9(worst_case) + e.roll + delta_shock;
    let m = CurrencyMargin {
        initial_margin_details: InitialMarginDetails {
            risk_matrix_margin_details: RiskMatrixDetails {
                delta_shock,
                roll_shock: e.roll,
                worst_case_bucket: bucket,
                worst_case,
                correlation_contingency: 0.0,
            },
            risk_matrix_margin: rmm,
            spot_margin: extra.spot_margin,
            mmp_margin: extra.mmp_margin,
            open_orders_margin: extra.open_orders_margin,
        },
        initial_margin: round9(rmm + extra.spot_margin + extra.mmp_margin + extra.open_orders_margin),
        maintenance_margin: params.general.mm_factor * rmm,
    };
    (RiskVector { standard, extended }, m)
}

fn add_margin(acc: &mut CurrencyMargin, m: CurrencyMargin) {
    let (a, b) = (&mut acc.initial_margin_details, &m.initial_margin_details);
    let (ad, bd) = (&mut a.risk_matrix_margin_details, &b.risk_matrix_margin_details);
    if bd.worst_case > ad.worst_case {
        ad.worst_case_bucket = bd.worst_case_bucket.clone();
    }
    ad.worst_case += bd.worst_case;
    ad.delta_shock += bd.delta_shock;
    ad.roll_shock += bd.roll_shock;
    a.risk_matrix_margin += b.risk_matrix_margin;
    acc.maintenance_margin += m.maintenance_margin;
    acc.initial_margin += m.initial_margin - (b.spot_margin + b.mmp_margin + b.open_orders_margin);
}

/// The largest loss of the aggregated vectors and where it is. Ties go to the middle vol
/// scenario (Deribit's published example picks index 1 among three equal losses), then to the
/// first in vector order.
fn worst(standard: &[f64], extended: &[f64], buckets: usize) -> (f64, WorstCaseBucket) {
    let mut best: (f64, usize) = (f64::NEG_INFINITY, 0);
    for (i, x) in standard.iter().enumerate() {
        let loss = -x;
        let tie_to_middle = loss == best.0 && i / 3 == best.1 / 3 && i % 3 == 1;
        if loss > best.0 || tie_to_middle {
            best = (loss, i);
        }
    }
    let std_best = best;
    let mut ext_best: Option<(f64, usize)> = None;
    for (i, x) in extended.iter().enumerate() {
        if -x > std_best.0 && ext_best.is_none_or(|(l, _)| -x > l) {
            ext_best = Some((-x, i));
        }
    }
    let side_bucket = |k: usize, n_left: usize| -> (&'static str, usize) {
        if k < n_left {
            ("left", k + 1)
        } else if k == n_left {
            ("middle", 0)
        } else {
            ("right", k - n_left)
        }
    };
    match ext_best {
        Some((loss, i)) => {
            let falls = EXTENDED_MOVES.iter().filter(|m| **m < 0.0).count();
            let (side, bucket) = if i < falls {
                ("left", i + 1)
            } else {
                ("right", i - falls + 1)
            };
            (
                loss,
                WorstCaseBucket {
                    bucket,
                    side,
                    source: "extended",
                    index: 0,
                },
            )
        }
        None => {
            let (side, bucket) = side_bucket(std_best.1 / 3, buckets);
            (
                std_best.0.max(0.0),
                WorstCaseBucket {
                    bucket,
                    side,
                    source: "standard",
                    index: std_best.1 % 3,
                },
            )
        }
    }
}
