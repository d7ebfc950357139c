//! Full revaluation of a book under joint scenarios: the book parsed once into columns, each
//! scenario a pass over them (options through the branch-free Black-76 kernel, a coin's
//! options contiguous), scenarios in parallel.

use super::ScenarioError;
use crate::book::{linear_price, option_setup, Book, BookError};
use crate::instrument::{Instrument, Margining, Settlement};
use crate::message::Num;
use crate::pricing::{avx2_fma, black76_coin_bf, DAYS_PER_YEAR};
use rayon::prelude::*;
use serde::Serialize;

/// Largest number of scenarios in one set.
pub const MAX_SCENARIOS: usize = 10_000_000;

/// Largest number of P&L entries (scenarios × positions) a [`PnlMatrix`] may hold (400 MB).
pub const MAX_MATRIX_ENTRIES: usize = 50_000_000;

/// Joint moves of every coin: scenario s moves coin c's spot (and with it every forward and
/// futures price of the coin) by `spot[s·n + c]` (relative) and its implied volatilities by
/// `vol[s·n + c]` (relative: 0.1 = vols × 1.1), `horizon_days` after the valuation.
///
/// # Formula
/// An option of coin c with mark volatility σ, log-moneyness k = ln(K/F) and τ years left
/// after the horizon is revalued at the volatility
///
/// σ′ = max(σ·(1 + vol) + vol_points + vol_tilt · w, 1 %),
/// w = min(√(30 days / τ), 5) · (1 + min(|k| / (σ√τ), 3)),
///
/// so `vol_points` is a parallel shift of the surface (annual vol, 0.05 = 5 vol points) and
/// `vol_tilt` a shift of `vol_tilt` at the 30-day at-the-money point that grows toward the
/// short end (as 1/√τ, up to 5×) and the wings (with the strike's distance in standard
/// deviations, up to 4×): the skew steepening and inverted term structure of a crypto sell-off.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScenarioSet {
    /// The coins moved, in column order.
    pub coins: Vec<String>,
    /// Relative spot moves, scenarios × coins, row-major.
    pub spot: Vec<f64>,
    /// Relative implied-vol moves, scenarios × coins, row-major.
    pub vol: Vec<f64>,
    /// Days between the valuation and the scenario (options decay over them).
    pub horizon_days: f64,
    /// Fraction of each coin's dated-futures basis that disappears, scenarios × coins (1:
    /// futures converge to spot; empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub basis: Vec<f64>,
    /// Perpetual funding paid over the scenario, a fraction of notional, scenarios × coins
    /// (positive: longs pay shorts; 0.063 = 0.3 % every 8 hours for a week; empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub funding: Vec<f64>,
    /// Parallel implied-vol shift (annual vol: 0.05 = +5 vol points), scenarios × coins
    /// (empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vol_points: Vec<f64>,
    /// Skew and term tilt at the 30-day at-the-money point (annual vol), scenarios × coins
    /// (empty: none); see the formula above.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vol_tilt: Vec<f64>,
}

/// The tilt's weight w of an option (see [`ScenarioSet`]): `tau` years left, `sst` = σ√τ.
pub(crate) fn tilt_weight(tau: f64, k: f64, sst: f64) -> f64 {
    let term = (30.0 / DAYS_PER_YEAR / tau.max(1e-12)).sqrt().min(5.0);
    let wing = if sst > 0.0 { (k.abs() / sst).min(3.0) } else { 3.0 };
    term * (1.0 + wing)
}

impl ScenarioSet {
    /// Number of scenarios.
    pub fn len(&self) -> usize {
        self.spot.len() / self.coins.len().max(1)
    }

    /// No scenarios.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scenarios `rows` (in that order) `horizon_days` after the valuation.
    ///
    /// # Panics
    /// A row beyond the set.
    pub fn select(&self, rows: &[usize], horizon_days: f64) -> ScenarioSet {
        let n = self.coins.len();
        let pick = |v: &[f64]| -> Vec<f64> {
            if v.is_empty() {
                return Vec::new();
            }
            rows.iter()
                .flat_map(|s| &v[s * n..(s + 1) * n])
                .copied()
                .collect()
        };
        ScenarioSet {
            coins: self.coins.clone(),
            spot: pick(&self.spot),
            vol: pick(&self.vol),
            horizon_days,
            basis: pick(&self.basis),
            funding: pick(&self.funding),
            vol_points: pick(&self.vol_points),
            vol_tilt: pick(&self.vol_tilt),
        }
    }

    /// Check shapes and values.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`]: no coins, mismatched lengths, more than [`MAX_SCENARIOS`],
    /// a spot move ≤ −100 % or non-finite, a vol move ≤ −100 % or non-finite, a vol-point
    /// shift outside [−1, 5] or a tilt outside [−1, 1] (annual vol), a negative or absurd
    /// horizon (> 3,650 days).
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let n = self.coins.len();
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        if n == 0 {
            return bad("a scenario set needs at least one coin".into());
        }
        if self.spot.len() % n != 0 || self.vol.len() != self.spot.len() {
            return bad(format!(
                "scenario moves: {} spot and {} vol values for {n} coins",
                self.spot.len(),
                self.vol.len()
            ));
        }
        if self.len() > MAX_SCENARIOS {
            return bad(format!("{} scenarios: at most {MAX_SCENARIOS}", self.len()));
        }
        if !(self.horizon_days >= 0.0 && self.horizon_days <= 3650.0) {
            return bad(format!(
                "horizon {} days: between 0 and 3650",
                Num(self.horizon_days)
            ));
        }
        for (what, v, lo, hi) in [
            ("basis", &self.basis, -10.0, 1.0),
            ("funding", &self.funding, -1.0, 1.0),
            ("vol-point shift", &self.vol_points, -1.0, 5.0),
            ("vol tilt", &self.vol_tilt, -1.0, 1.0),
        ] {
            if !v.is_empty() && v.len() != self.spot.len() {
                return bad(format!(
                    "scenario {what}: {} values for {} moves",
                    v.len(),
                    self.spot.len()
                ));
            }
            if let Some(k) = v.iter().position(|x| !(x.is_finite() && (lo..=hi).contains(x))) {
                return bad(format!(
                    "scenario {}: {} {what} {} must be between {lo} and {hi}",
                    k / n,
                    self.coins[k % n],
                    Num(v[k])
                ));
            }
        }
        for (k, (s, v)) in self.spot.iter().zip(&self.vol).enumerate() {
            let (row, coin) = (k / n, &self.coins[k % n]);
            if !(s.is_finite() && *s > -1.0) {
                return bad(format!(
                    "scenario {row}: {coin} spot move {} must be finite and above −100 %",
                    Num(*s)
                ));
            }
            if !(v.is_finite() && *v > -1.0) {
                return bad(format!(
                    "scenario {row}: {coin} implied-vol move {} must be finite and above −100 % (relative)",
                    Num(*v)
                ));
            }
        }
        Ok(())
    }
}

/// A coin's options as columns (structure of arrays).
#[derive(Debug, Default)]
struct OptionCols {
    /// Position index of each option.
    pos: Vec<usize>,
    /// ln(F/K).
    x0: Vec<f64>,
    /// K/F.
    kf0: Vec<f64>,
    /// F/K.
    fk0: Vec<f64>,
    /// σ√T′ at the mark volatility, T′ the time left after the horizon.
    sst: Vec<f64>,
    /// The vol floor × √T′.
    floor_sst: Vec<f64>,
    /// √T′ (a vol-point shift × it adds to σ√T′).
    rt: Vec<f64>,
    /// The tilt's weight × √T′.
    tilt_rt: Vec<f64>,
    /// +1 call, −1 put.
    w: Vec<f64>,
    /// USD per unit of coin price: size × F × e^(−rT′) × (S/F for coin-settled options).
    scale: Vec<f64>,
    /// size × Black-76 at the valuation (USD, × S/F for coin-settled), subtracted.
    base: Vec<f64>,
}

/// A delta-one position: P&L = `usd_per_move` × the coin's move, plus its basis and funding
/// P&L when a scenario moves them.
#[derive(Debug, Clone, Copy)]
struct DeltaOne {
    pos: usize,
    coin: usize,
    usd_per_move: f64,
    /// Spot index S and contract price P (USD); size (coins, or USD notional if inverse).
    spot: f64,
    price: f64,
    size: f64,
    /// Linear (size in coins) or inverse (USD notional).
    linear: bool,
    /// A dated future (basis moves) or a perpetual (funding); neither for spot.
    future: bool,
    perpetual: bool,
}

impl DeltaOne {
    /// P&L (USD) when the coin moves by `m`, a fraction `basis` of the futures basis
    /// disappears and perpetuals pay `funding` of their notional.
    fn pnl(&self, m: f64, basis: f64, funding: f64) -> f64 {
        if !(self.future && basis != 0.0 || self.perpetual && funding != 0.0) {
            return self.usd_per_move * m;
        }
        let (s1, p) = (self.spot * (1.0 + m), self.price);
        // the contract's new price: the moved spot times what is left of the basis
        let p1 = if self.future {
            s1 * (1.0 + (1.0 - basis) * (p / self.spot - 1.0))
        } else {
            p * (1.0 + m)
        };
        let (move_pnl, notional) = if self.linear {
            (self.size * (p1 - p), self.size * p1)
        } else {
            (self.size * (1.0 / p - 1.0 / p1) * s1, self.size * s1 / p1)
        };
        move_pnl - if self.perpetual { funding * notional } else { 0.0 }
    }
}

/// Per coin, the lowest vol scale, vol-point shift and tilt of a set's scenarios.
struct VolLows {
    scale: Vec<f64>,
    points: Vec<f64>,
    tilt: Vec<f64>,
}

/// A warning about a position (a vol floored, an option expiring inside the horizon).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionWarning {
    /// The position's instrument name.
    pub position: String,
    /// What happens.
    pub message: String,
}

/// A book prepared for revaluation on one [`ScenarioSet`]'s coins and horizon.
#[derive(Debug)]
pub struct Revaluer {
    names: Vec<String>,
    coin_of: Vec<usize>,
    d1: Vec<DeltaOne>,
    options: Vec<OptionCols>,
    coins: Vec<String>,
    /// Positions the set's scenarios may push to the vol floor, or expiring before the horizon.
    pub warnings: Vec<PositionWarning>,
}

/// The lowest implied volatility a scenario may reach (annual, 1 %).
pub const VOL_FLOOR: f64 = 0.01;

impl Revaluer {
    /// Prepare `book` for `set` (its coins, its horizon).
    ///
    /// # Errors
    /// [`ScenarioError`]: an invalid set; a position on a coin the set does not move (named);
    /// a position the snapshot cannot value (named); an option expired at the valuation.
    pub fn new(book: &Book, set: &ScenarioSet) -> Result<Self, ScenarioError> {
        set.validate()?;
        let m = &book.market;
        let horizon = set.horizon_days / DAYS_PER_YEAR;
        let mut r = Revaluer {
            names: Vec::new(),
            coin_of: Vec::new(),
            d1: Vec::new(),
            options: (0..set.coins.len()).map(|_| OptionCols::default()).collect(),
            coins: set.coins.clone(),
            warnings: Vec::new(),
        };
        // per coin, the lowest vol scale, shift and tilt any scenario applies (a bound for the
        // floor warnings)
        let n = set.coins.len();
        let lowest = |v: &[f64], add: f64| {
            let mut m = vec![if v.is_empty() { add } else { f64::INFINITY }; n];
            for (k, x) in v.iter().enumerate() {
                m[k % n] = m[k % n].min(add + x);
            }
            m
        };
        let low = VolLows {
            scale: lowest(&set.vol, 1.0),
            points: lowest(&set.vol_points, 0.0),
            tilt: lowest(&set.vol_tilt, 0.0),
        };
        for (pos, p) in book.positions.iter().enumerate() {
            let at = |e: BookError| ScenarioError::Book(e.at(p));
            let coin = p.instrument.coin();
            let c = set
                .coins
                .iter()
                .position(|x| x.eq_ignore_ascii_case(coin))
                .ok_or_else(|| {
                    ScenarioError::Invalid(format!(
                        "position {}: the scenarios do not move {coin} (they move {})",
                        p.name,
                        set.coins.join(", ")
                    ))
                })?;
            r.names.push(p.name.clone());
            r.coin_of.push(c);
            let d = match &p.instrument {
                Instrument::Spot { .. } => {
                    let spot = m.spot(coin).map_err(|e| at(e.into()))?;
                    DeltaOne {
                        pos,
                        coin: c,
                        usd_per_move: p.size * spot,
                        spot,
                        price: spot,
                        size: p.size,
                        linear: true,
                        future: false,
                        perpetual: false,
                    }
                }
                Instrument::Perpetual { margining, .. } | Instrument::Future { margining, .. } => {
                    let px = linear_price(p, m).map_err(at)?;
                    let linear = matches!(margining, Margining::Linear);
                    // a linear contract needs no index (its price moves with the coin)
                    let spot = match m.spot(coin) {
                        Ok(s) => s,
                        Err(_) if linear => px,
                        Err(e) => return Err(at(e.into())),
                    };
                    DeltaOne {
                        pos,
                        coin: c,
                        // inverse: USD notional N, N·(S/P) USD per unit move (the coin P&L
                        // N(1/P − 1/P′) at the moved spot)
                        usd_per_move: if linear { p.size * px } else { p.size * spot / px },
                        spot,
                        price: px,
                        size: p.size,
                        linear,
                        future: matches!(p.instrument, Instrument::Future { .. }),
                        perpetual: matches!(p.instrument, Instrument::Perpetual { .. }),
                    }
                }
                Instrument::Option { .. } => {
                    r.push_option(pos, c, p, book, horizon, &low).map_err(at)?;
                    continue;
                }
            };
            r.d1.push(d);
        }
        Ok(r)
    }

    fn push_option(
        &mut self,
        pos: usize,
        c: usize,
        p: &crate::instrument::Position,
        book: &Book,
        horizon: f64,
        low: &VolLows,
    ) -> Result<(), BookError> {
        let s = option_setup(p, &book.market)?;
        let o = &s.o;
        let left = o.time - horizon;
        // an option expiring inside the horizon: intrinsic at the moved forward
        let t = left.max(1e-12);
        let sqrt_t = t.sqrt();
        let tilt = tilt_weight(t, (o.strike / o.forward).ln(), o.vol * sqrt_t);
        let lowest = o.vol * low.scale[c] + low.points[c] + tilt * low.tilt[c].min(0.0);
        if lowest < VOL_FLOOR {
            self.warnings.push(PositionWarning {
                position: p.name.clone(),
                message: format!(
                    "implied vol {} can fall to {} in some scenarios, below the floor of {}: floored there",
                    Num(o.vol),
                    Num(lowest),
                    Num(VOL_FLOOR)
                ),
            });
        }
        if left <= 0.0 {
            self.warnings.push(PositionWarning {
                position: p.name.clone(),
                message: format!(
                    "expires {:.2} days before the horizon: valued at its intrinsic value at the moved forward",
                    -left * DAYS_PER_YEAR
                ),
            });
        }
        let conv = match s.settlement {
            Settlement::Coin => s.s / o.forward,
            Settlement::Usd => 1.0,
        };
        let col = &mut self.options[c];
        col.pos.push(pos);
        col.x0.push((o.forward / o.strike).ln());
        col.kf0.push(o.strike / o.forward);
        col.fk0.push(o.forward / o.strike);
        col.sst.push(o.vol * sqrt_t);
        col.floor_sst.push(VOL_FLOOR * sqrt_t);
        col.rt.push(sqrt_t);
        col.tilt_rt.push(tilt * sqrt_t);
        col.w.push(o.kind.sign());
        col.scale.push(p.size * o.forward * (-o.rate * t).exp() * conv);
        col.base.push(p.size * o.price() * conv);
        Ok(())
    }

    /// The positions' names, in book order (the columns of a [`PnlMatrix`]).
    pub fn positions(&self) -> &[String] {
        &self.names
    }

    /// The coins, in the set's order.
    pub fn coins(&self) -> &[String] {
        &self.coins
    }

    /// Index of each position's coin.
    pub fn coin_of(&self) -> &[usize] {
        &self.coin_of
    }

    /// Number of positions.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// No positions.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The P&L (USD) of every position in scenario `s` of `set` into `out` (one per position);
    /// `vals` is scratch.
    pub(crate) fn row(&self, set: &ScenarioSet, s: usize, out: &mut [f64], vals: &mut Vec<f64>) {
        let n = set.coins.len();
        let (spot, vol) = (&set.spot[s * n..(s + 1) * n], &set.vol[s * n..(s + 1) * n]);
        let at = |v: &[f64], c: usize| if v.is_empty() { 0.0 } else { v[s * n + c] };
        for d in &self.d1 {
            out[d.pos] = d.pnl(spot[d.coin], at(&set.basis, d.coin), at(&set.funding, d.coin));
        }
        for (c, cols) in self.options.iter().enumerate() {
            if cols.pos.is_empty() {
                continue;
            }
            vals.resize(cols.pos.len(), 0.0);
            let shift = (at(&set.vol_points, c), at(&set.vol_tilt, c));
            values(cols, 1.0 + spot[c], 1.0 + vol[c], shift, vals);
            for (k, v) in vals.iter().enumerate() {
                out[cols.pos[k]] = v - cols.base[k];
            }
        }
    }

    /// The P&L of every position in every scenario of `set` (which must be the set the
    /// revaluer was prepared for: same coins and horizon).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`]: another set's coins, or more than [`MAX_MATRIX_ENTRIES`]
    /// entries (use [`super::tail_risk`], which streams).
    pub fn pnl_matrix(&self, set: &ScenarioSet) -> Result<PnlMatrix, ScenarioError> {
        self.check_set(set)?;
        let (ns, np) = (set.len(), self.len());
        if ns.saturating_mul(np.max(1)) > MAX_MATRIX_ENTRIES {
            return Err(ScenarioError::Invalid(format!(
                "{ns} scenarios × {np} positions is more than {MAX_MATRIX_ENTRIES} P&L entries to hold: use the streaming tail measures instead"
            )));
        }
        let mut pnl = vec![0.0; ns * np];
        if np > 0 {
            pnl.par_chunks_mut(np)
                .enumerate()
                .for_each_init(Vec::new, |vals, (s, out)| self.row(set, s, out, vals));
        }
        Ok(PnlMatrix {
            positions: self.names.clone(),
            scenarios: ns,
            pnl,
        })
    }

    pub(crate) fn check_set(&self, set: &ScenarioSet) -> Result<(), ScenarioError> {
        if set.coins != self.coins {
            return Err(ScenarioError::Invalid(
                "the scenario set is not the one the book was prepared for (other coins)".into(),
            ));
        }
        Ok(())
    }
}

/// Option values (USD, scaled) of `o` with the forward × `g`, the vols × `vs` and shifted by
/// `shift` = (vol points, tilt) (floored).
fn values(o: &OptionCols, g: f64, vs: f64, shift: (f64, f64), out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        unsafe { values_avx2(o, g, vs, shift, out) };
        return;
    }
    values_plain::<false>(o, g, vs, shift, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn values_avx2(o: &OptionCols, g: f64, vs: f64, shift: (f64, f64), out: &mut [f64]) {
    values_plain::<true>(o, g, vs, shift, out)
}

#[inline(always)]
fn values_plain<const FMA: bool>(
    o: &OptionCols,
    g: f64,
    vs: f64,
    (points, tilt): (f64, f64),
    out: &mut [f64],
) {
    let (lg, inv_g) = (g.ln(), 1.0 / g);
    let n = out.len();
    let (x0, kf0, fk0, w) = (&o.x0[..n], &o.kf0[..n], &o.fk0[..n], &o.w[..n]);
    let (sst, floor, scale) = (&o.sst[..n], &o.floor_sst[..n], &o.scale[..n]);
    let (rt, tilt_rt) = (&o.rt[..n], &o.tilt_rt[..n]);
    let shifted = points != 0.0 || tilt != 0.0;
    for i in 0..n {
        let mut sd = sst[i] * vs;
        if shifted {
            sd += rt[i] * points + tilt_rt[i] * tilt;
        }
        let sd = sd.max(floor[i]);
        let p = black76_coin_bf::<FMA>(x0[i] + lg, sd, 1.0 / sd, kf0[i] * inv_g, fk0[i] * g, w[i]);
        out[i] = p * scale[i] * g;
    }
}

/// P&L (USD) of every position in every scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PnlMatrix {
    /// Position names (columns).
    pub positions: Vec<String>,
    /// Number of scenarios (rows).
    pub scenarios: usize,
    /// Row-major scenarios × positions.
    pub pnl: Vec<f64>,
}

impl PnlMatrix {
    /// Scenario `s`'s P&L per position.
    pub fn row(&self, s: usize) -> &[f64] {
        let n = self.positions.len();
        &self.pnl[s * n..(s + 1) * n]
    }

    /// The book's P&L in each scenario.
    pub fn totals(&self) -> Vec<f64> {
        (0..self.scenarios).map(|s| self.row(s).iter().sum()).collect()
    }
}
