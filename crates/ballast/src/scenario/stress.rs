//! Stress scenarios: the crypto crises replayed from the data (each coin's real move over the
//! event, DVOL's move for the vols), hypothetical shocks, a spot × vol grid, and the user's own.

use super::engine::ScenarioSet;
use super::ScenarioError;
use crate::data::PricePanel;
use crate::message::Num;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A crisis of the built-in library: the event's first and last day (UTC closes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crisis {
    /// Its name.
    pub name: &'static str,
    /// First day of the move (the close before it is the start).
    pub start: &'static str,
    /// Last day.
    pub end: &'static str,
}

/// The built-in crises.
pub const CRISES: [Crisis; 8] = [
    Crisis {
        name: "Black Thursday",
        start: "2020-03-12",
        end: "2020-03-12",
    },
    Crisis {
        name: "May 2021 crash",
        start: "2021-05-19",
        end: "2021-05-19",
    },
    Crisis {
        name: "LUNA/UST collapse",
        start: "2022-05-07",
        end: "2022-05-12",
    },
    Crisis {
        name: "Celsius and 3AC",
        start: "2022-06-13",
        end: "2022-06-18",
    },
    Crisis {
        name: "FTX collapse",
        start: "2022-11-08",
        end: "2022-11-10",
    },
    Crisis {
        name: "USDC de-peg",
        start: "2023-03-10",
        end: "2023-03-11",
    },
    Crisis {
        name: "Yen carry unwind",
        start: "2024-08-05",
        end: "2024-08-05",
    },
    Crisis {
        name: "October 2025 liquidation cascade",
        start: "2025-10-10",
        end: "2025-10-10",
    },
];

/// Stablecoins: pegged at 1 USD unless a scenario de-pegs them.
pub const STABLECOINS: [&str; 7] = ["USDT", "USDC", "DAI", "BUSD", "TUSD", "FDUSD", "USDE"];

/// A user's stress scenario (`[[stress]]` in a portfolio file).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserScenario {
    /// Its name.
    pub name: String,
    /// Relative spot moves by coin (`BTC = -0.4`); coins not named do not move.
    #[serde(default)]
    pub spot: BTreeMap<String, f64>,
    /// Relative implied-vol moves by coin (`BTC = 0.5`: vols × 1.5).
    #[serde(default)]
    pub vol: BTreeMap<String, f64>,
    /// Parallel implied-vol shifts by coin, in vol points (`BTC = 10`: every vol + 0.10).
    #[serde(default)]
    pub vol_points: BTreeMap<String, f64>,
    /// Skew and term tilts by coin, in vol points at the 30-day at-the-money point, growing
    /// toward the wings and the short end (see [`super::ScenarioSet`]).
    #[serde(default)]
    pub tilt_points: BTreeMap<String, f64>,
    /// Days forward (options decay over them; 0 … 365).
    #[serde(default)]
    pub days: f64,
}

/// One stress scenario: a row of the set, where it comes from, and its stated proxies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressScenario {
    /// Name.
    pub name: String,
    /// `crisis`, `hypothetical`, `grid` or `user`.
    pub kind: &'static str,
    /// The dates of a crisis move (the close before, the last close).
    pub dates: Option<(Date, Date)>,
    /// Moves not read from the data, and why (a coin not yet listed: its beta to BTC).
    pub proxies: Vec<String>,
    /// Days forward at which the book is revalued (0: now).
    pub days: f64,
}

/// A library of stress scenarios over some coins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressSet {
    /// The moves, one row per scenario (each at its scenario's `days`:
    /// [`super::pnl_at_horizons`]).
    pub set: ScenarioSet,
    /// What each row is.
    pub scenarios: Vec<StressScenario>,
}

impl StressSet {
    /// Each scenario's horizon, days.
    pub fn days(&self) -> Vec<f64> {
        self.scenarios.iter().map(|s| s.days).collect()
    }
}

/// The coins' daily returns on the dates where both they and BTC have a close.
fn paired_returns(prices: &PricePanel, c: usize, btc: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    for r in 0..prices.dates().len() {
        match (prices.price(r, c), prices.price(r, btc)) {
            (Some(x), Some(b)) => {
                if let Some((px, pb)) = prev {
                    out.push((x / px - 1.0, b / pb - 1.0));
                }
                prev = Some((x, b));
            }
            _ => prev = None,
        }
    }
    out
}

/// OLS beta of y on x over the pairs (x = BTC's return), with an intercept.
fn beta(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 30 {
        return None;
    }
    let n = pairs.len() as f64;
    let (my, mx) = pairs
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    let (sxy, sxx) = pairs.iter().fold((0.0, 0.0), |a, p| {
        (a.0 + (p.0 - my) * (p.1 - mx), a.1 + (p.1 - mx) * (p.1 - mx))
    });
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The close on `d` of column `c`, or None.
fn close(prices: &PricePanel, c: usize, d: Date) -> Option<f64> {
    let r = prices.dates().binary_search(&d).ok()?;
    prices.price(r, c)
}

/// The last row strictly before `d`.
fn row_before(dates: &[Date], d: Date) -> Option<usize> {
    dates.partition_point(|x| *x < d).checked_sub(1)
}

/// The built-in crises, the hypothetical shocks, the spot × vol grid and `user`'s scenarios
/// over `coins`, from the daily closes `prices` and the implied-vol index `vol` (DVOL).
///
/// # Formula
/// Crisis move of coin c: P_c(end) / P_c(the close before start) − 1; a coin without both
/// closes moves by β_c × BTC's move, β_c its OLS beta to BTC over its own daily history (stated
/// as a proxy); a stablecoin without closes does not move (pegged, stated). Vol move: DVOL's
/// relative change over the same dates (a coin without an index follows BTC's; before DVOL
/// existed, BTC's move × the beta of DVOL's daily change to BTC's return).
///
/// # Errors
/// [`ScenarioError::Invalid`]: BTC missing from the prices (the proxies need it); a coin with
/// no history at all that is not a stablecoin; a user scenario on a coin the book does not
/// hold or with a move ≤ −100 % (naming the scenario).
pub fn stress_scenarios(
    prices: &PricePanel,
    vol: Option<&PricePanel>,
    coins: &[String],
    user: &[UserScenario],
) -> Result<StressSet, ScenarioError> {
    let bad = |m: String| ScenarioError::Invalid(m);
    let btc = prices.asset_index("BTC").map_err(|_| {
        bad(
            "stress scenarios need BTC's closes (the proxies of coins not yet listed are betas to BTC)"
                .into(),
        )
    })?;
    let stable = |c: &str| STABLECOINS.iter().any(|s| s.eq_ignore_ascii_case(c));
    // per coin: its column, and its beta to BTC (all its history; crisis days: BTC ≤ −5 %)
    let mut cols = Vec::new();
    let mut betas = Vec::new();
    for c in coins {
        let col = prices.asset_index(c).ok();
        if col.is_none() && !stable(c) {
            return Err(bad(format!(
                "{c} has no closes in the price data: stress scenarios need its history (or a beta to BTC)"
            )));
        }
        let pairs = col.map(|k| paired_returns(prices, k, btc)).unwrap_or_default();
        let crisis: Vec<(f64, f64)> = pairs.iter().copied().filter(|p| p.1 <= -0.05).collect();
        betas.push((
            beta(&pairs).unwrap_or(if stable(c) { 0.0 } else { 1.0 }),
            beta(&crisis),
        ));
        cols.push(col);
    }
    let vol_col = |coin: &str| {
        vol.and_then(|v| {
            let names = v.assets();
            names.iter().position(|a| {
                a.eq_ignore_ascii_case(&format!("{coin}_close")) || a.eq_ignore_ascii_case(coin)
            })
        })
    };
    let btc_vol = vol_col("BTC");
    // beta of DVOL's daily relative change to BTC's return (for crises before DVOL)
    let dvol_beta = match (vol, btc_vol) {
        (Some(v), Some(k)) => {
            let mut pairs = Vec::new();
            for w in v.dates().windows(2) {
                if let (Some(a), Some(b), Some(pa), Some(pb)) = (
                    close(v, k, w[0]),
                    close(v, k, w[1]),
                    close(prices, btc, w[0]),
                    close(prices, btc, w[1]),
                ) {
                    pairs.push((b / a - 1.0, pb / pa - 1.0));
                }
            }
            beta(&pairs)
        }
        _ => None,
    };
    let n = coins.len();
    let (mut spot, mut vols, mut scenarios) = (Vec::new(), Vec::new(), Vec::new());
    // the basis and funding moves of each row (0 but for their own scenarios), and the
    // vol-point shifts and tilts (row, per coin)
    let mut extra: Vec<(usize, f64, f64)> = Vec::new();
    let mut surface: Vec<(usize, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut push = |s: Vec<f64>, v: Vec<f64>, sc: StressScenario| -> usize {
        spot.extend(s);
        vols.extend(v);
        scenarios.push(sc);
        scenarios.len() - 1
    };
    for crisis in CRISES {
        let (start, end): (Date, Date) = (
            crisis.start.parse().expect("a date"),
            crisis.end.parse().expect("a date"),
        );
        let dates = prices.dates();
        let Some(r0) = row_before(dates, start) else {
            continue;
        };
        let d0 = dates[r0];
        let (Some(b0), Some(b1)) = (close(prices, btc, d0), close(prices, btc, end)) else {
            continue;
        };
        let btc_move = b1 / b0 - 1.0;
        let mut proxies = Vec::new();
        let mut s = Vec::with_capacity(n);
        for (k, c) in coins.iter().enumerate() {
            let real = cols[k].and_then(|col| Some(close(prices, col, end)? / close(prices, col, d0)? - 1.0));
            s.push(match real {
                Some(m) => m,
                None if stable(c) => {
                    proxies.push(format!("{c}: no closes, held at its peg"));
                    0.0
                }
                None => {
                    proxies.push(format!(
                        "{c}: not listed yet, {:.2} × BTC's move (beta over its history)",
                        betas[k].0
                    ));
                    betas[k].0 * btc_move
                }
            });
        }
        let mut v = Vec::with_capacity(n);
        for c in coins {
            let own = vol_col(c);
            let idx = own.or(btc_vol);
            let m = match (vol, idx) {
                (Some(vp), Some(ix)) => match (close(vp, ix, d0), close(vp, ix, end)) {
                    (Some(a), Some(b)) => {
                        if own.is_none() {
                            proxies.push(format!("{c} vols: BTC's DVOL move"));
                        }
                        Some(b / a - 1.0)
                    }
                    _ => None,
                },
                _ => None,
            };
            v.push(m.unwrap_or_else(|| {
                let b = dvol_beta.unwrap_or(-1.0);
                proxies.push(format!(
                    "{c} vols: no DVOL then, {b:.2} × BTC's move (DVOL's daily beta)"
                ));
                (b * btc_move).max(-0.9)
            }));
        }
        push(
            s,
            v,
            StressScenario {
                name: crisis.name.to_string(),
                kind: "crisis",
                dates: Some((d0, end)),
                proxies,
                days: 0.0,
            },
        );
    }
    let hypothetical = |name: &str| StressScenario {
        name: name.to_string(),
        kind: "hypothetical",
        dates: None,
        proxies: Vec::new(),
        days: 0.0,
    };
    let is_btc = |c: &str| c.eq_ignore_ascii_case("BTC");
    let only = |f: &dyn Fn(&str) -> f64| coins.iter().map(|c| f(c)).collect::<Vec<f64>>();
    push(
        only(&|c| if is_btc(c) { -0.3 } else { 0.0 }),
        vec![0.0; n],
        hypothetical("BTC −30 % alone"),
    );
    push(
        only(&|c| if is_btc(c) { 0.3 } else { 0.0 }),
        vec![0.0; n],
        hypothetical("BTC +30 % alone"),
    );
    push(
        only(&|c| if is_btc(c) || stable(c) { 0.0 } else { -0.5 }),
        vec![0.0; n],
        hypothetical("every alt −50 %"),
    );
    push(vec![0.0; n], vec![0.5; n], hypothetical("implied vols +50 %"));
    push(vec![0.0; n], vec![-0.25; n], hypothetical("implied vols −25 %"));
    let spike: Vec<f64> = coins
        .iter()
        .zip(&betas)
        .map(|(c, (b, crisis))| {
            if is_btc(c) {
                -0.3
            } else if stable(c) {
                0.0
            } else {
                -0.3 * crisis.unwrap_or(*b)
            }
        })
        .collect();
    push(spike, vec![0.5; n], StressScenario {
        name: "correlation spike (BTC −30 %, crisis betas, vols +50 %)".into(),
        kind: "hypothetical",
        dates: None,
        proxies: vec!["crisis-day beta: OLS on the days BTC fell 5 % or more (its full-history beta when fewer than 30)".into()],
        days: 0.0,
    });
    if coins.iter().any(|c| stable(c)) {
        push(
            only(&|c| if stable(c) { -0.1 } else { 0.0 }),
            vec![0.0; n],
            hypothetical("stablecoins de-peg to 0.90"),
        );
    }
    for (name, basis, funding) in [
        ("dated futures converge to spot (basis gone)", 1.0, 0.0),
        ("funding +0.3 % every 8 h for a week (longs pay)", 0.0, 0.063),
        ("funding −0.3 % every 8 h for a week (shorts pay)", 0.0, -0.063),
    ] {
        let row = push(vec![0.0; n], vec![0.0; n], hypothetical(name));
        extra.push((row, basis, funding));
    }
    let not_stable = |x: f64| only(&|c| if stable(c) { 0.0 } else { x });
    let row = push(
        vec![0.0; n],
        vec![0.0; n],
        hypothetical("implied vols +10 points (parallel)"),
    );
    surface.push((row, not_stable(0.10), vec![0.0; n]));
    let row = push(
        vec![0.0; n],
        vec![0.0; n],
        hypothetical("skew and term tilt: +10 vol points at 30-day ATM, more in the wings and short end"),
    );
    surface.push((row, vec![0.0; n], not_stable(0.10)));
    push(
        vec![0.0; n],
        vec![0.0; n],
        StressScenario {
            days: 7.0,
            ..hypothetical("a week passes, nothing moves (theta)")
        },
    );
    for s in [-0.5, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.5] {
        for v in GRID_VOLS {
            let moves = only(&|c| if stable(c) { 0.0 } else { s });
            push(
                moves,
                vec![v; n],
                StressScenario {
                    name: format!("grid: spot {:+.0} %, vol {:+.0} %", 100.0 * s, 100.0 * v),
                    kind: "grid",
                    dates: None,
                    proxies: Vec::new(),
                    days: 0.0,
                },
            );
        }
    }
    for u in user {
        let m = user_moves(u, coins)?;
        let row = push(
            m[0].clone(),
            m[1].clone(),
            StressScenario {
                name: u.name.clone(),
                kind: "user",
                dates: None,
                proxies: Vec::new(),
                days: u.days,
            },
        );
        if m[2].iter().chain(&m[3]).any(|x| *x != 0.0) {
            surface.push((row, m[2].clone(), m[3].clone()));
        }
    }
    let rows = spot.len() / n;
    let (mut basis, mut funding) = (vec![0.0; rows * n], vec![0.0; rows * n]);
    for (row, b, f) in extra {
        for c in 0..n {
            if !stable(&coins[c]) {
                basis[row * n + c] = b;
                funding[row * n + c] = f;
            }
        }
    }
    let (mut vol_points, mut vol_tilt) = (Vec::new(), Vec::new());
    if !surface.is_empty() {
        (vol_points, vol_tilt) = (vec![0.0; rows * n], vec![0.0; rows * n]);
        for (row, p, t) in surface {
            vol_points[row * n..(row + 1) * n].copy_from_slice(&p);
            vol_tilt[row * n..(row + 1) * n].copy_from_slice(&t);
        }
    }
    let set = ScenarioSet {
        coins: coins.to_vec(),
        spot,
        vol: vols,
        horizon_days: 0.0,
        basis,
        funding,
        vol_points,
        vol_tilt,
    };
    set.validate()?;
    Ok(StressSet { set, scenarios })
}

/// A user scenario's moves per coin: spot, vol (relative), vol points and tilt (annual vol).
fn user_moves(u: &UserScenario, coins: &[String]) -> Result<[Vec<f64>; 4], ScenarioError> {
    let bad = |m: String| ScenarioError::Invalid(m);
    if !(u.days.is_finite() && (0.0..=365.0).contains(&u.days)) {
        return Err(bad(format!(
            "stress scenario '{}': days = {} must be between 0 and 365 (days forward)",
            u.name,
            Num(u.days)
        )));
    }
    let n = coins.len();
    let mut out = [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let fraction = "a fraction above −1 and at most 10 (−0.4 for −40 %, 2 for +200 %)";
    // (moves, key, lowest, highest, unit, the rule in words)
    type Check<'a> = (&'a BTreeMap<String, f64>, &'a str, f64, f64, f64, &'a str);
    let checks: [Check; 4] = [
        (&u.spot, "spot", -1.0, 10.0, 1.0, fraction),
        (&u.vol, "vol", -1.0, 10.0, 1.0, fraction),
        (
            &u.vol_points,
            "vol_points",
            -100.0,
            500.0,
            0.01,
            "vol points from −100 to 500 (10 for +10 points)",
        ),
        (
            &u.tilt_points,
            "tilt_points",
            -100.0,
            100.0,
            0.01,
            "vol points between −100 and 100",
        ),
    ];
    for (k, (map, what, lo, hi, unit, rule)) in checks.into_iter().enumerate() {
        for (coin, m) in map {
            let c = coins
                .iter()
                .position(|c| c.eq_ignore_ascii_case(coin))
                .ok_or_else(|| {
                    bad(format!(
                    "stress scenario '{}': {what} move of {coin}, which the book does not hold (it holds {})",
                    u.name,
                    coins.join(", ")
                ))
                })?;
            let open_low = k < 2;
            if !(m.is_finite() && (*m > lo || !open_low && *m >= lo) && *m <= hi) {
                return Err(bad(format!(
                    "stress scenario '{}': {what} move of {coin} = {} must be {rule}",
                    u.name,
                    Num(*m)
                )));
            }
            out[k][c] = m * unit;
        }
    }
    Ok(out)
}

/// The grid's relative vol moves (columns).
pub const GRID_VOLS: [f64; 6] = [-0.5, -0.25, 0.0, 0.25, 0.5, 1.0];
