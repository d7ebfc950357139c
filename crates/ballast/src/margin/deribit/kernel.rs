//! The risk matrix's computation. Positions are parsed and checked once into groups (one per
//! settlement currency and underlying); a group's options are held as columns and revalued on
//! every scenario by one branch-free Black-76 loop over them (AVX2 + FMA where the CPU has
//! it), delta-one contracts in closed form. A group can be evaluated with the whole underlying
//! moved first (the liquidation search), without parsing anything again.

use super::super::MarginError;
use super::matrix::{classify, years, OptionValuer, PmInput, RiskVector};
use super::params::{CurrencyParams, PairParams, PmParams, EXTENDED_MOVES};
use crate::instrument::Instrument;
use crate::pricing::{avx2_fma, black76_coin_bf};

/// The step of the finite-difference delta (fraction of the forward).
const DELTA_STEP: f64 = 1e-4;

/// A group's options as columns (structure of arrays).
#[derive(Default)]
struct OptionCols {
    /// ln(F/K) at the valuation's forward.
    x0: Vec<f64>,
    /// K/F.
    kf0: Vec<f64>,
    /// F/K.
    fk0: Vec<f64>,
    /// σ√T for the vol scenarios up, same, down.
    sd: [Vec<f64>; 3],
    /// 1/(σ√T), the same order.
    inv_sd: [Vec<f64>; 3],
    /// +1 call, −1 put.
    w: Vec<f64>,
    /// 1 for coin-settled options, 0 for linear ones.
    coin: Vec<f64>,
    /// The forward (USD) for linear options, 0 for coin-settled ones: value = price/F × (coin + lin_f·g).
    lin_f: Vec<f64>,
    /// Size, coins.
    size: Vec<f64>,
    /// Value per option at the valuation (no move, mark vol).
    base0: Vec<f64>,
    /// Mark IV.
    vol: Vec<f64>,
}

impl OptionCols {
    fn len(&self) -> usize {
        self.x0.len()
    }
}

/// A delta-one contract (perpetual or dated future).
struct DeltaOne {
    /// Size, coins.
    size: f64,
    /// USDC-settled: P&L q·F·m in USD; inverse: q(1 − 1/(1 + m)) coin.
    linear: bool,
    /// The mark (linear P&L), USD.
    mark: f64,
    /// Roll-shock rate max(min move, annualised move × T).
    roll_rate: f64,
}

impl DeltaOne {
    /// P&L of the contract, moved first by `g0` = 1 + m0 (an inverse contract keeps its USD
    /// notional: q/g0 coins), when the price moves again by `m`.
    fn pnl(&self, g0: f64, m: f64) -> f64 {
        if self.linear {
            self.size * self.mark * g0 * m
        } else {
            self.size / g0 * (1.0 - 1.0 / (1.0 + m))
        }
    }
}

/// One settlement currency's positions on one underlying.
pub(crate) struct Group<'a> {
    /// Settlement currency (`btc`, `usdc`).
    pub settlement: String,
    /// Underlying coin (`btc`).
    pub coin: String,
    /// Index price, USD.
    pub index: f64,
    pub pair: &'a PairParams,
    pub cur: &'a CurrencyParams,
    opts: OptionCols,
    opt_names: Vec<&'a str>,
    d1: Vec<DeltaOne>,
    d1_names: Vec<&'a str>,
}

impl Group<'_> {
    /// The options' mark IVs.
    pub fn mark_ivs(&self) -> Vec<f64> {
        self.opts.vol.clone()
    }
}

/// A group evaluated: net P&L vectors before aggregation, delta, roll shock, and the P&L of the
/// move the group was evaluated at (0 at the valuation).
pub(crate) struct GroupEval {
    pub net: RiskVector,
    pub delta: f64,
    pub roll: f64,
    pub pnl: f64,
}

/// Buffers reused across evaluations: option values, scenario-major.
#[derive(Default)]
pub(crate) struct Scratch {
    vals: Vec<f64>,
}

/// The positions of an input, parsed, checked and grouped.
pub(crate) struct Prepared<'a> {
    pub groups: Vec<Group<'a>>,
    /// Standard-table moves, −range … +range, per group's pair (same count everywhere).
    moves: Vec<Vec<f64>>,
}

impl<'a> Prepared<'a> {
    /// # Errors
    /// As [`super::portfolio_margin`].
    pub fn new(params: &'a PmParams, input: &'a PmInput) -> Result<Self, MarginError> {
        let mut groups: Vec<Group<'a>> = Vec::new();
        for (name, &size) in &input.positions {
            if !size.is_finite() || size.abs() > crate::instrument::MAX_POSITION_SIZE {
                return Err(MarginError::Input(format!(
                    "{name}: size {size} is not a finite size"
                )));
            }
            let priced = classify(name)?;
            let pair_key = format!("{}_usd", priced.coin);
            let pair = params.pair(&pair_key)?;
            let cur = params.currency(&priced.settlement)?;
            let index = *input
                .index_price
                .get(&pair_key)
                .filter(|p| p.is_finite() && **p > 0.0)
                .ok_or_else(|| {
                    MarginError::Input(format!("{name}: no positive index price for {pair_key}"))
                })?;
            let gi = match groups
                .iter()
                .position(|g| g.settlement == priced.settlement && g.coin == priced.coin)
            {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        settlement: priced.settlement.clone(),
                        coin: priced.coin.clone(),
                        index,
                        pair,
                        cur,
                        opts: OptionCols::default(),
                        opt_names: Vec::new(),
                        d1: Vec::new(),
                        d1_names: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[gi];
            let linear = priced.settlement == "usdc";
            match priced.instrument {
                Instrument::Option { .. } => {
                    let o = OptionValuer::new(name, &priced, input, index)?;
                    let c = &mut g.opts;
                    let days = o.t * 365.0;
                    let sqrt_t = o.t.sqrt();
                    for s in 0..3 {
                        let sd = super::shocked_vol(pair, o.vol, days, s) * sqrt_t;
                        c.sd[s].push(sd);
                        c.inv_sd[s].push(1.0 / sd);
                    }
                    c.x0.push((o.f0 / o.strike).ln());
                    c.kf0.push(o.strike / o.f0);
                    c.fk0.push(o.f0 / o.strike);
                    c.w.push(o.kind.sign());
                    c.coin.push(if linear { 0.0 } else { 1.0 });
                    c.lin_f.push(if linear { o.f0 } else { 0.0 });
                    c.size.push(size);
                    c.vol.push(o.vol);
                    g.opt_names.push(name);
                }
                Instrument::Perpetual { .. } | Instrument::Future { .. } => {
                    let t = years(input.now, priced.instrument.expiry(), name)?;
                    g.d1.push(DeltaOne {
                        size,
                        linear,
                        mark: input.tickers.get(name).map_or(index, |t| t.mark_price),
                        roll_rate: cur.min_annualised_move.max(cur.annualised_move_risk * t),
                    });
                    g.d1_names.push(name);
                }
                Instrument::Spot { .. } => unreachable!("classify rejects spot"),
            }
        }
        let moves = groups.iter().map(|g| params.standard_moves(g.pair)).collect();
        let mut prep = Self { groups, moves };
        // values at the valuation, for the P&L of a moved group
        let mut col = Vec::new();
        for g in &mut prep.groups {
            col.resize(g.opts.len(), 0.0);
            column(&g.opts, 1.0, 1, &mut col);
            g.opts.base0 = col.clone();
        }
        Ok(prep)
    }

    /// Evaluate group `gi` with its underlying first moved by `m0` (0: at the valuation).
    pub fn eval(&self, gi: usize, m0: f64, scratch: &mut Scratch) -> GroupEval {
        self.eval_some(gi, m0, None, scratch)
    }

    /// [`Self::eval`] on the scenarios where `only` (one flag per scenario, standard then
    /// extended) is true; the others are left out as unbounded gains (`+∞`), so the margin
    /// from this evaluation is never above the full one and equals it when the worst scenario
    /// is kept. Delta, roll shock and P&L are always exact.
    pub fn eval_some(&self, gi: usize, m0: f64, only: Option<&[bool]>, scratch: &mut Scratch) -> GroupEval {
        let g = &self.groups[gi];
        let moves = &self.moves[gi];
        let (o, n) = (&g.opts, g.opts.len());
        let g0 = 1.0 + m0;
        let n_std = moves.len() * 3;
        // columns: standard (move-major, vol up/same/down), extended (vol up), base, ±h
        let n_cols = n_std + EXTENDED_MOVES.len() + 3;
        scratch.vals.resize(n_cols * n, 0.0);
        let mut cols = scratch.vals.chunks_exact_mut(n.max(1));
        let scenarios = moves
            .iter()
            .flat_map(|m| (0..3).map(move |s| (*m, s)))
            .chain(EXTENDED_MOVES.iter().map(|m| (*m, 0)))
            .chain([(0.0, 1), (DELTA_STEP, 1), (-DELTA_STEP, 1)]);
        let kept = |c: usize| only.is_none_or(|k| k.get(c).copied().unwrap_or(true));
        if n > 0 {
            for (c, (m, s)) in scenarios.enumerate() {
                let out = cols.next().expect("one column per scenario");
                if kept(c) {
                    column(o, g0 * (1.0 + m), s, out);
                }
            }
        }
        let vals = &scratch.vals;
        let col = |c: usize| &vals[c * n..(c + 1) * n];
        let base = col(n_std + EXTENDED_MOVES.len());
        let net_options = |c: usize| -> f64 {
            if !kept(c) {
                return f64::INFINITY;
            }
            col(c)
                .iter()
                .zip(base)
                .zip(&o.size)
                .map(|((v, b), q)| q * (v - b))
                .sum()
        };
        let d1_sum = |m: f64| g.d1.iter().map(|d| d.pnl(g0, m)).sum::<f64>();
        let range = g.pair.price_range;
        let standard = (0..n_std)
            .map(|c| net_options(c) + d1_sum(moves[c / 3]))
            .collect();
        let extended = EXTENDED_MOVES
            .iter()
            .enumerate()
            .map(|(j, m)| {
                if !kept(n_std + j) {
                    return f64::INFINITY;
                }
                net_options(n_std + j) * g.pair.extended_table_factor + d1_sum(m.clamp(-range, range))
            })
            .collect();
        let (up, down) = (col(n_cols - 2), col(n_cols - 1));
        let opt_delta: f64 = up
            .iter()
            .zip(down)
            .zip(&o.size)
            .map(|((u, d), q)| q * (u - d) / (2.0 * DELTA_STEP))
            .sum();
        // dP&L/dm at the moved price: q/g0 coins for inverse contracts, q·F·g0 USD for linear ones
        let d1_delta: f64 =
            g.d1.iter()
                .map(|d| {
                    if d.linear {
                        d.size * d.mark * g0
                    } else {
                        d.size / g0
                    }
                })
                .sum();
        let roll =
            g.d1.iter()
                .map(|d| {
                    let q = if d.linear {
                        d.size.abs() * g.index * g0
                    } else {
                        d.size.abs() / g0
                    };
                    q * d.roll_rate
                })
                .sum();
        let opt_pnl: f64 = base
            .iter()
            .zip(&o.base0)
            .zip(&o.size)
            .map(|((b, b0), q)| q * (b - b0))
            .sum();
        let d1_pnl: f64 = g.d1.iter().map(|d| d.pnl(1.0, m0)).sum();
        GroupEval {
            net: RiskVector { standard, extended },
            delta: opt_delta + d1_delta,
            roll,
            pnl: opt_pnl + d1_pnl,
        }
    }

    /// Each position's risk vector of group `gi` after [`Self::eval`] at no move, by name.
    pub fn position_vectors(&self, gi: usize, scratch: &Scratch) -> Vec<(&'a str, RiskVector)> {
        let g = &self.groups[gi];
        let moves = &self.moves[gi];
        let n = g.opts.len();
        let n_std = moves.len() * 3;
        let col = |c: usize, i: usize| scratch.vals[c * n + i];
        let base_c = n_std + EXTENDED_MOVES.len();
        let mut out = Vec::with_capacity(n + g.d1.len());
        for (i, name) in g.opt_names.iter().enumerate() {
            let (q, b) = (g.opts.size[i], col(base_c, i));
            out.push((
                *name,
                RiskVector {
                    standard: (0..n_std).map(|c| q * (col(c, i) - b)).collect(),
                    extended: (0..EXTENDED_MOVES.len())
                        .map(|j| q * (col(n_std + j, i) - b) * g.pair.extended_table_factor)
                        .collect(),
                },
            ));
        }
        let range = g.pair.price_range;
        for (d, name) in g.d1.iter().zip(&g.d1_names) {
            out.push((
                *name,
                RiskVector {
                    standard: moves.iter().flat_map(|m| [d.pnl(1.0, *m); 3]).collect(),
                    extended: EXTENDED_MOVES
                        .iter()
                        .map(|m| d.pnl(1.0, m.clamp(-range, range)))
                        .collect(),
                },
            ));
        }
        out
    }
}

/// Value per option (coin; USD for linear options) of every option of `o` with the forward
/// multiplied by `g`, in vol scenario `s` (0 up, 1 same, 2 down), into `out`.
fn column(o: &OptionCols, g: f64, s: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        unsafe { column_avx2(o, g, s, out) };
        return;
    }
    column_plain::<false>(o, g, s, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn column_avx2(o: &OptionCols, g: f64, s: usize, out: &mut [f64]) {
    column_plain::<true>(o, g, s, out)
}

#[inline(always)]
fn column_plain<const FMA: bool>(o: &OptionCols, g: f64, s: usize, out: &mut [f64]) {
    let (lg, inv_g) = (g.ln(), 1.0 / g);
    let n = out.len();
    let (x0, kf0, fk0, w) = (&o.x0[..n], &o.kf0[..n], &o.fk0[..n], &o.w[..n]);
    let (sd, inv_sd) = (&o.sd[s][..n], &o.inv_sd[s][..n]);
    let (coin, lin_f) = (&o.coin[..n], &o.lin_f[..n]);
    for i in 0..n {
        let p = black76_coin_bf::<FMA>(x0[i] + lg, sd[i], inv_sd[i], kf0[i] * inv_g, fk0[i] * g, w[i]);
        out[i] = p * (coin[i] + lin_f[i] * g);
    }
}
