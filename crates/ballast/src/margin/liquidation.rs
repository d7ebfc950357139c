//! Liquidation prices of one isolated perpetual position (one-way mode, no fees), by the
//! venues' published closed forms and by root-finding on margin balance − maintenance margin.
//!
//! | venue | maintenance margin | liquidation when |
//! |---|---|---|
//! | Binance USDⓈ-M | Q·P·MMR − cum, bracket of the notional **at the liquidation price** | WB + s·Q(P − EP) = Q·P·MMR − cum |
//! | Binance COIN-M | (N/P)·MMR − cum (coin) | WB + s·N(1/EP − 1/P) = (N/P)·MMR − cum |
//! | Bybit (USDT, inverse) | at the **entry** position value | WB + s·Q(P − EP) = Q·EP·MMR − ded |
//!
//! s = +1 long, −1 short; Q coins (linear), N USD notional (inverse); WB the isolated wallet
//! balance. Sources: Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M / COIN-M Futures
//! Contracts"; Bybit Help Center "Liquidation Price (USDT Contract)" and "… under Isolated Mode"
//! (worked examples in `shared/reference/liquidation.json`).

use super::MarginError;
use crate::message::Num;
use serde::{Deserialize, Serialize};

/// Long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// +1.
    Long,
    /// −1.
    Short,
}

impl Side {
    fn sign(self) -> f64 {
        match self {
            Side::Long => 1.0,
            Side::Short => -1.0,
        }
    }
}

/// One leverage bracket (Binance's `notionalFloor`, `notionalCap`, `maintMarginRatio`, `cum`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bracket {
    /// Lowest notional of the bracket (USD), inclusive.
    pub floor: f64,
    /// Highest notional, exclusive.
    pub cap: f64,
    /// Maintenance margin rate.
    pub mmr: f64,
    /// Maintenance amount (USD).
    pub cum: f64,
}

/// Check a bracket table: contiguous from 0, rates increasing, and cum_n = cum_(n−1) +
/// floor_n (MMR_n − MMR_(n−1)) to 1e-6 USD (which makes the maintenance margin continuous).
///
/// # Errors
/// [`MarginError::Params`] naming the first bracket that breaks a rule.
pub fn check_brackets(b: &[Bracket]) -> Result<(), MarginError> {
    let bad = |m: String| Err(MarginError::Params(m));
    if b.is_empty() || b[0].floor != 0.0 || b[0].cum != 0.0 {
        return bad("a bracket table starts at notional 0 with cum 0".into());
    }
    for (n, x) in b.iter().enumerate() {
        if !(x.cap > x.floor && x.mmr > 0.0 && x.mmr < 1.0 && x.cum.is_finite()) {
            return bad(format!(
                "bracket {}: floor {} cap {} mmr {} must have cap > floor and mmr in (0, 1)",
                n + 1,
                Num(x.floor),
                Num(x.cap),
                Num(x.mmr)
            ));
        }
        if n > 0 {
            let p = &b[n - 1];
            if x.floor != p.cap {
                return bad(format!(
                    "bracket {} starts at {} but bracket {n} ends at {}",
                    n + 1,
                    Num(x.floor),
                    Num(p.cap)
                ));
            }
            let want = p.cum + x.floor * (x.mmr - p.mmr);
            if (x.cum - want).abs() > 1e-6 {
                return bad(format!(
                    "bracket {}: cum = {} but floor × ΔMMR + previous cum = {}: the table is inconsistent",
                    n + 1,
                    Num(x.cum),
                    Num(want)
                ));
            }
        }
    }
    Ok(())
}

fn check(what: &str, v: f64) -> Result<(), MarginError> {
    if v.is_finite() && v > 0.0 && v < 1e15 {
        Ok(())
    } else {
        Err(MarginError::Input(format!(
            "{what} = {} must be a positive number",
            Num(v)
        )))
    }
}

/// A liquidation price and the bracket it used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Liquidation {
    /// The price, USD (0 or ∞ when none: the position cannot be liquidated).
    pub price: f64,
    /// The bracket of the notional at that price.
    pub bracket: Bracket,
}

/// Binance USDⓈ-M, isolated: LP = (WB + cum − s·Q·EP) / (Q·MMR − s·Q) in the one bracket that
/// contains the notional Q·LP (exactly one is self-consistent, as cum makes the maintenance
/// margin continuous).
///
/// # Errors
/// Non-positive size, entry or wallet; a bad bracket table; no self-consistent bracket (a
/// position the table does not cover).
pub fn binance_linear(
    side: Side,
    qty: f64,
    entry: f64,
    wallet: f64,
    brackets: &[Bracket],
) -> Result<Liquidation, MarginError> {
    check("quantity", qty)?;
    check("entry price", entry)?;
    check("wallet balance", wallet)?;
    check_brackets(brackets)?;
    let s = side.sign();
    for b in brackets {
        let lp = (wallet + b.cum - s * qty * entry) / (qty * b.mmr - s * qty);
        let notional = qty * lp.max(0.0);
        if lp > 0.0 && notional >= b.floor && notional < b.cap {
            return Ok(Liquidation {
                price: lp,
                bracket: *b,
            });
        }
    }
    // a long whose wallet covers a fall to zero has no liquidation price
    let first = brackets[0];
    if side == Side::Long && (wallet + first.cum - qty * entry) >= 0.0 {
        return Ok(Liquidation {
            price: 0.0,
            bracket: first,
        });
    }
    Err(MarginError::Input(format!(
        "no bracket holds the notional at the liquidation price of {} {} at {} (the largest bracket ends at {})",
        Num(qty),
        if side == Side::Long { "long" } else { "short" },
        Num(entry),
        Num(brackets[brackets.len() - 1].cap)
    )))
}

/// Binance COIN-M, isolated: LP = (N·MMR + s·N) / (WB + cum + s·N/EP), N the USD notional,
/// WB and cum in coin.
///
/// # Errors
/// Non-positive inputs; an MMR outside (0, 1).
pub fn binance_inverse(
    side: Side,
    notional: f64,
    entry: f64,
    wallet_coin: f64,
    mmr: f64,
    cum_coin: f64,
) -> Result<f64, MarginError> {
    check("notional", notional)?;
    check("entry price", entry)?;
    check("wallet balance", wallet_coin)?;
    if !(mmr > 0.0 && mmr < 1.0) {
        return Err(MarginError::Input(format!(
            "mmr = {} must be in (0, 1)",
            Num(mmr)
        )));
    }
    let s = side.sign();
    let lp = (notional * mmr + s * notional) / (wallet_coin + cum_coin + s * notional / entry);
    Ok(if lp > 0.0 { lp } else { f64::INFINITY })
}

/// Bybit USDT contract, isolated, wallet = initial margin: LP = EP − s·(IM − MM)/Q with IM =
/// Q·EP/leverage and MM = Q·EP·MMR − deduction (at the entry price).
///
/// # Errors
/// Non-positive inputs.
pub fn bybit_linear(
    side: Side,
    qty: f64,
    entry: f64,
    leverage: f64,
    mmr: f64,
    deduction: f64,
) -> Result<f64, MarginError> {
    check("quantity", qty)?;
    check("entry price", entry)?;
    check("leverage", leverage)?;
    let (im, mm) = (qty * entry / leverage, qty * entry * mmr - deduction);
    Ok((entry - side.sign() * (im - mm) / qty).max(0.0))
}

/// Bybit inverse contract, isolated: LP = N / (PV + s·(IM − MM)), PV = N/EP coin, IM =
/// PV/leverage, MM = PV·MMR − deduction.
///
/// # Errors
/// Non-positive inputs.
pub fn bybit_inverse(
    side: Side,
    notional: f64,
    entry: f64,
    leverage: f64,
    mmr: f64,
    deduction: f64,
) -> Result<f64, MarginError> {
    check("notional", notional)?;
    check("entry price", entry)?;
    check("leverage", leverage)?;
    let pv = notional / entry;
    let (im, mm) = (pv / leverage, pv * mmr - deduction);
    let d = pv + side.sign() * (im - mm);
    Ok(if d > 0.0 { notional / d } else { f64::INFINITY })
}

/// A move and the function's value there, `(x, f(x))`.
pub(crate) type Point = (f64, f64);

/// Accuracy of a liquidation move (fraction of the index): 1e-9 × 100,000 USD = 0.01 cent.
pub(crate) const LIQUIDATION_TOL: f64 = 1e-9;

/// Falls tried, in order, to bracket a liquidation (fractions of the index): finer near the
/// index, coarser far away; Brent's method refines inside the first bracket. (Equity can dip
/// below maintenance and recover between two far moves, so the grid is not made coarser.)
pub(crate) const FALL_GRID: [f64; 11] = [0.02, 0.05, 0.08, 0.12, 0.16, 0.22, 0.3, 0.4, 0.55, 0.75, 0.98];

/// Rises tried, in order.
pub(crate) const RISE_GRID: [f64; 13] = [
    0.02, 0.05, 0.08, 0.12, 0.16, 0.22, 0.3, 0.45, 0.7, 1.0, 1.5, 2.5, 5.0,
];

/// The first step along `grid` (fractions, signed by `sign`: −1 falls, +1 rises) at which
/// `excess` (equity less maintenance margin, `f0` at no move) reaches 0: the last move where it
/// was positive and the first where it is not, each with its value; `None` if it stays positive
/// on the whole grid.
pub(crate) fn grid_bracket(
    mut excess: impl FnMut(f64) -> f64,
    f0: f64,
    grid: &[f64],
    sign: f64,
) -> Option<(Point, Point)> {
    let mut prev = (0.0, f0);
    for m in grid.iter().map(|m| sign * m) {
        let fm = excess(m);
        if fm <= 0.0 {
            return Some((prev, (m, fm)));
        }
        prev = (m, fm);
    }
    None
}

/// The first crossing of [`grid_bracket`], refined by Brent's method to [`LIQUIDATION_TOL`]
/// inside that bracket.
///
/// # Errors
/// As [`brent`] (only if `excess` is not continuous in the bracket).
pub(crate) fn first_crossing(
    excess: impl Fn(f64) -> f64,
    f0: f64,
    grid: &[f64],
    sign: f64,
) -> Result<Option<f64>, MarginError> {
    grid_bracket(&excess, f0, grid, sign)
        .map(|(prev, next)| brent_bracketed(&excess, prev, next, LIQUIDATION_TOL))
        .transpose()
}

/// The root of `f` in [lo, hi] (f(lo), f(hi) of opposite signs) by Brent's method (Brent 1973,
/// *Algorithms for Minimization without Derivatives*, ch. 4), to an absolute tolerance `tol`.
///
/// # Errors
/// [`MarginError::Input`] when f does not change sign on the interval.
pub fn brent(f: impl Fn(f64) -> f64, lo: f64, hi: f64, tol: f64) -> Result<f64, MarginError> {
    let (f_lo, f_hi) = (f(lo), f(hi));
    brent_bracketed(f, (lo, f_lo), (hi, f_hi), tol)
}

/// [`brent`] when f is already known at both ends, `(x, f(x))` (saves two evaluations of an
/// expensive f).
///
/// # Errors
/// As [`brent`].
pub fn brent_bracketed(
    f: impl Fn(f64) -> f64,
    lo: (f64, f64),
    hi: (f64, f64),
    tol: f64,
) -> Result<f64, MarginError> {
    brent_bracket(f, lo, hi, tol).map(|(root, _)| root.0)
}

/// [`brent_bracketed`], returning the root with its value and the other end of the final
/// bracket with its value (f changes sign between them, or f(root) = 0).
///
/// # Errors
/// As [`brent`].
pub(crate) fn brent_bracket(
    f: impl Fn(f64) -> f64,
    (lo, f_lo): (f64, f64),
    (hi, f_hi): (f64, f64),
    tol: f64,
) -> Result<(Point, Point), MarginError> {
    let (mut a, mut b) = (lo, hi);
    let (mut fa, mut fb) = (f_lo, f_hi);
    if fa == 0.0 {
        return Ok(((a, fa), (a, fa)));
    }
    if fb == 0.0 {
        return Ok(((b, fb), (b, fb)));
    }
    if !(fa * fb < 0.0) {
        return Err(MarginError::Input(format!(
            "no liquidation price between {} and {}: equity stays above (or below) maintenance there",
            Num(lo),
            Num(hi)
        )));
    }
    let (mut c, mut fc) = (a, fa);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..200 {
        if fb.signum() == fc.signum() {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let m = 0.5 * (c - b);
        if m.abs() <= tol1 || fb == 0.0 {
            return Ok(((b, fb), (c, fc)));
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(m) };
        fb = f(b);
    }
    Ok(((b, fb), (c, fc)))
}

/// Which venue's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Venue {
    /// Binance: maintenance margin at the liquidation price, tier re-chosen there.
    Binance,
    /// Bybit: maintenance margin at the entry position value.
    Bybit,
}

/// Linear (USDT/USDC-margined, size in coins) or inverse (coin-margined, size in USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Contract {
    /// Size in coins, P&L in USD.
    Linear,
    /// Size in USD, P&L in coin.
    Inverse,
}

/// One isolated perpetual position.
#[derive(Debug, Clone, PartialEq)]
pub struct IsolatedPosition {
    /// The venue's rules.
    pub venue: Venue,
    /// Linear or inverse.
    pub contract: Contract,
    /// Long or short.
    pub side: Side,
    /// Coins (linear) or USD notional (inverse).
    pub size: f64,
    /// Entry price, USD.
    pub entry: f64,
    /// Leverage: the wallet is the initial margin, notional / leverage (when `wallet` is not
    /// given).
    pub leverage: Option<f64>,
    /// Isolated wallet balance (USD for linear, coin for inverse), instead of the leverage.
    pub wallet: Option<f64>,
    /// Maintenance tiers (one bracket [0, ∞) for a flat rate). Amounts in USD (linear) or coin
    /// (inverse).
    pub brackets: Vec<Bracket>,
}

/// A liquidation price with the checks behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiquidationReport {
    /// The venue's closed form.
    pub liquidation_price: f64,
    /// The root of margin balance − maintenance margin (venue's definition), by Brent's method.
    pub root_finder: Option<f64>,
    /// Distance from the entry, fraction (negative = a fall).
    pub distance: f64,
    /// The bracket used (Binance: at the liquidation notional; Bybit: at entry).
    pub bracket: Bracket,
    /// Wallet balance used.
    pub wallet: f64,
}

impl IsolatedPosition {
    /// The wallet: given, or notional / leverage.
    fn wallet(&self) -> Result<f64, MarginError> {
        match (self.wallet, self.leverage) {
            (Some(w), _) => {
                check("wallet", w)?;
                Ok(w)
            }
            (None, Some(l)) => {
                if !(1.0..=1000.0).contains(&l) {
                    return Err(MarginError::Input(format!(
                        "leverage = {} must be in [1, 1000]",
                        Num(l)
                    )));
                }
                Ok(match self.contract {
                    Contract::Linear => self.size * self.entry / l,
                    Contract::Inverse => self.size / self.entry / l,
                })
            }
            (None, None) => Err(MarginError::Input(
                "give the leverage or the isolated wallet balance".into(),
            )),
        }
    }

    /// The bracket holding `notional` (USD for linear; for inverse, the coin notional).
    fn bracket_at(&self, notional: f64) -> Bracket {
        *self
            .brackets
            .iter()
            .find(|b| notional >= b.floor && notional < b.cap)
            .unwrap_or(&self.brackets[self.brackets.len() - 1])
    }

    /// Margin balance − maintenance margin at price `p`, by the venue's definition.
    fn excess(&self, p: f64, wallet: f64) -> f64 {
        let s = self.side.sign();
        match self.contract {
            Contract::Linear => {
                let mb = wallet + s * self.size * (p - self.entry);
                let at = if self.venue == Venue::Binance {
                    p
                } else {
                    self.entry
                };
                let b = self.bracket_at(self.size * at);
                mb - (self.size * at * b.mmr - b.cum)
            }
            Contract::Inverse => {
                let mb = wallet + s * self.size * (1.0 / self.entry - 1.0 / p);
                let at = if self.venue == Venue::Binance {
                    p
                } else {
                    self.entry
                };
                let b = self.bracket_at(self.size / at);
                mb - (self.size / at * b.mmr - b.cum)
            }
        }
    }

    /// The liquidation price by the venue's closed form, checked by root-finding.
    ///
    /// # Errors
    /// Non-positive or absurd inputs, no leverage nor wallet, a bad bracket table, no bracket
    /// that holds the position.
    pub fn liquidation(&self) -> Result<LiquidationReport, MarginError> {
        check("size", self.size)?;
        check("entry price", self.entry)?;
        check_brackets(&self.brackets)?;
        let wallet = self.wallet()?;
        let (price, bracket) = match (self.venue, self.contract) {
            (Venue::Binance, Contract::Linear) => {
                let l = binance_linear(self.side, self.size, self.entry, wallet, &self.brackets)?;
                (l.price, l.bracket)
            }
            (Venue::Binance, Contract::Inverse) => {
                // the tier of the coin notional at the liquidation price: one is self-consistent
                let mut found = None;
                for b in &self.brackets {
                    let lp = binance_inverse(self.side, self.size, self.entry, wallet, b.mmr, b.cum)?;
                    let n = self.size / lp;
                    if lp.is_finite() && n >= b.floor && n < b.cap {
                        found = Some((lp, *b));
                        break;
                    }
                }
                found.unwrap_or((f64::INFINITY, self.brackets[0]))
            }
            (Venue::Bybit, c) => {
                let notional = match c {
                    Contract::Linear => self.size * self.entry,
                    Contract::Inverse => self.size / self.entry,
                };
                let b = self.bracket_at(notional);
                // the wallet is the initial margin: notional / leverage
                let lev = notional / wallet;
                let lp = match c {
                    Contract::Linear => bybit_linear(self.side, self.size, self.entry, lev, b.mmr, b.cum)?,
                    Contract::Inverse => bybit_inverse(self.side, self.size, self.entry, lev, b.mmr, b.cum)?,
                };
                (lp, b)
            }
        };
        let root_finder = (price.is_finite() && price > 0.0).then(|| {
            let (lo, hi) = (price * 0.5, (price * 1.5).max(self.entry * 1.01));
            brent(|p| self.excess(p, wallet), lo, hi, 1e-9).ok()
        });
        Ok(LiquidationReport {
            liquidation_price: price,
            root_finder: root_finder.flatten(),
            distance: price / self.entry - 1.0,
            bracket,
            wallet,
        })
    }
}
