//! The scenario engine: full revaluation against the book's scalar revaluation, VaR/ES and
//! their Euler contributions, historical moves equal to the data's, Monte Carlo against the
//! delta-normal VaR of a spot book and its error shrinking as 1/√n.

use ballast::book::{position_value, Book, Shock};
use ballast::instrument::Position;
use ballast::market::MarketSnapshot;
use ballast::risk::normal_quantile;
use ballast::scenario::{
    historical_scenarios, monte_carlo_scenarios, tail_risk, HistoricalSpec, McDistribution, McSpec, Revaluer,
    ScenarioSet, VolHistory,
};
use proptest::prelude::*;

fn market() -> MarketSnapshot {
    let mut rows = Vec::new();
    for f in [
        "deribit_BTC_options_2026-04-13.csv",
        "deribit_ETH_options_2026-04-13.csv",
    ] {
        rows.extend(ballast::io::read_option_chain(crate::common::data_path(f)).unwrap());
    }
    let mut m = MarketSnapshot::from_chain_rows(rows).unwrap();
    let fut = crate::common::data_path("deribit_futures_term_structure.csv");
    m.futures = ballast::io::read_futures_prices(fut, m.as_of).unwrap();
    m
}

fn book(names: &[(&str, f64)]) -> Book {
    Book {
        positions: names
            .iter()
            .map(|(n, s)| Position::new(n, *s, "deribit").unwrap())
            .collect(),
        market: market(),
    }
}

fn mixed() -> Book {
    book(&[
        ("BTC", 2.0),
        ("BTC-PERPETUAL", -50_000.0),
        ("BTC-26JUN26", 30_000.0),
        ("BTC-26JUN26-80000-C", -5.0),
        ("BTC-29MAY26-65000-P", 4.0),
        ("ETH-26JUN26-2500-C", -30.0),
        ("ETH-26JUN26-2000-P", 25.0),
        ("ETH-PERPETUAL", 10_000.0),
    ])
}

fn coins() -> Vec<String> {
    vec!["BTC".into(), "ETH".into()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Every position's scenario P&L equals the book's own revaluation (Black-76 at the moved
    /// forward and vol), position by position.
    #[test]
    fn the_engine_revalues_like_the_book(
        sb in -0.6f64..1.5, se in -0.6f64..1.5, vb in -0.6f64..2.0, ve in -0.6f64..2.0,
    ) {
        let b = mixed();
        let set = ScenarioSet { coins: coins(), spot: vec![sb, se], vol: vec![vb, ve], horizon_days: 0.0, basis: Vec::new(), funding: Vec::new(), ..Default::default() };
        let rev = Revaluer::new(&b, &set).unwrap();
        let m = rev.pnl_matrix(&set).unwrap();
        for (k, p) in b.positions.iter().enumerate() {
            let (x, v) = if p.instrument.coin() == "BTC" { (sb, vb) } else { (se, ve) };
            let vol = if let Some(t) = ballast::book::position_ticker(p, &b.market).unwrap() {
                t.vol.unwrap_or(0.0)
            } else {
                0.0
            };
            let shocked = position_value(p, &b.market, Shock { spot: x, vol: vol * v }).unwrap();
            let want = shocked - position_value(p, &b.market, Shock::default()).unwrap();
            let got = m.row(0)[k];
            prop_assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()) + 1e-7, "{}: {got} vs {want}", p.name);
        }
    }
}

#[test]
fn euler_contributions_add_up_and_es_is_beyond_var() {
    let b = mixed();
    let prices = crate::common::daily_prices();
    let dvol = ballast::io::read_prices(crate::common::data_path("deribit_dvol_daily.csv")).unwrap();
    let h = historical_scenarios(
        &prices,
        Some(VolHistory { panel: &dvol }),
        &coins(),
        &HistoricalSpec {
            window: 500,
            with_vol: true,
            ..Default::default()
        },
    )
    .unwrap();
    let rev = Revaluer::new(&b, &h.set).unwrap();
    let t = tail_risk(&rev, &h.set, &[0.95, 0.99], None).unwrap();
    let matrix = rev.pnl_matrix(&h.set).unwrap();
    assert_eq!(matrix.totals(), t.pnl);
    for m in &t.measures {
        let (sv, se): (f64, f64) = (m.var_contributions.iter().sum(), m.es_contributions.iter().sum());
        assert!((sv - m.var).abs() <= 1e-9 * m.var.abs(), "{sv} vs {}", m.var);
        assert!((se - m.es).abs() <= 1e-9 * m.es.abs(), "{se} vs {}", m.es);
        assert!(m.es >= m.var);
        let by: f64 = m.by_underlying.values().map(|c| c.es).sum();
        assert!((by - m.es).abs() <= 1e-9 * m.es.abs());
        // VaR is the historical VaR of the book's P&L as a return series of 1 USD
        let v = ballast::risk::historical_var(&t.pnl, m.confidence).unwrap();
        assert_eq!(v, m.var);
        let es = ballast::risk::historical_cvar(&t.pnl, m.confidence).unwrap();
        assert!((es - m.es).abs() <= 1e-9 * es.abs(), "{es} vs {}", m.es);
        // incremental: VaR/ES of the book less those of the book without the position
        let inc = m.incremental.as_ref().unwrap();
        let np = matrix.positions.len();
        for (p, i) in inc.iter().enumerate() {
            let without: Vec<f64> = (0..matrix.scenarios)
                .map(|s| t.pnl[s] - matrix.pnl[s * np + p])
                .collect();
            let v = ballast::risk::historical_var(&without, m.confidence).unwrap();
            let e = ballast::risk::historical_cvar(&without, m.confidence).unwrap();
            assert!(
                (m.var - v - i.var).abs() <= 1e-6,
                "{p}: {} vs {}",
                m.var - v,
                i.var
            );
            assert!((m.es - e - i.es).abs() <= 1e-6, "{p}: {} vs {}", m.es - e, i.es);
        }
    }
}

#[test]
fn historical_moves_are_the_datas_and_ten_day_moves_overlap() {
    let prices = crate::common::daily_prices();
    for h in [1, 10] {
        let s = historical_scenarios(
            &prices,
            None,
            &coins(),
            &HistoricalSpec {
                window: 50,
                horizon_days: h,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.set.len(), 50);
        let (btc, eth) = (
            prices.asset_index("BTC").unwrap(),
            prices.asset_index("ETH").unwrap(),
        );
        // the rows where both coins have a price (a date missing for one is skipped, not filled)
        let rows: Vec<usize> = (0..prices.dates().len())
            .filter(|r| prices.price(*r, btc).is_some() && prices.price(*r, eth).is_some())
            .collect();
        for (k, d) in s.dates.iter().enumerate() {
            let i = rows.iter().position(|r| prices.dates()[*r] == *d).unwrap();
            let (r, r0) = (rows[i], rows[i - h]);
            let want_b = prices.price(r, btc).unwrap() / prices.price(r0, btc).unwrap() - 1.0;
            let want_e = prices.price(r, eth).unwrap() / prices.price(r0, eth).unwrap() - 1.0;
            assert_eq!(s.set.spot[2 * k], want_b, "{d}");
            assert_eq!(s.set.spot[2 * k + 1], want_e, "{d}");
        }
        assert!(s.set.vol.iter().all(|v| *v == 0.0));
    }
}

/// A spot-only book: full revaluation is linear, so the Monte Carlo VaR is the delta-normal
/// VaR up to sampling error, and that error shrinks as 1/√n.
#[test]
fn monte_carlo_var_of_a_spot_book_is_delta_normal_and_converges() {
    let b = book(&[("BTC", 3.0), ("ETH", 40.0)]);
    let prices = crate::common::daily_prices();
    let hist = historical_scenarios(
        &prices,
        None,
        &coins(),
        &HistoricalSpec {
            window: 730,
            ..Default::default()
        },
    )
    .unwrap();
    let delta: Vec<f64> = b
        .positions
        .iter()
        .map(|p| p.size * b.market.spot(p.instrument.coin()).unwrap())
        .collect();
    // delta-normal: zero mean, the same covariance (ddof 1) as the simulation
    let t = hist.set.len();
    let cov = |i: usize, j: usize| {
        (0..t)
            .map(|s| hist.set.spot[2 * s + i] * hist.set.spot[2 * s + j])
            .sum::<f64>()
            / (t - 1) as f64
    };
    let var_p = delta[0] * delta[0] * cov(0, 0)
        + 2.0 * delta[0] * delta[1] * cov(0, 1)
        + delta[1] * delta[1] * cov(1, 1);
    let c = 0.99;
    let dn = -normal_quantile(1.0 - c) * var_p.sqrt();
    let run = |n: usize, seed: u64| {
        let mc = monte_carlo_scenarios(
            &hist.set,
            &McSpec {
                scenarios: n,
                horizon_days: 1,
                distribution: McDistribution::Gaussian,
                seed,
            },
        )
        .unwrap();
        let rev = Revaluer::new(&b, &mc.set).unwrap();
        tail_risk(&rev, &mc.set, &[c], Some(20))
            .unwrap()
            .measures
            .remove(0)
    };
    let big = run(200_000, 7);
    let se = big.standard_error.unwrap().var;
    assert!(
        (big.var - dn).abs() < 4.0 * se,
        "MC {} vs delta-normal {dn} (SE {se})",
        big.var
    );
    // reproducible
    assert_eq!(run(5_000, 3).var, run(5_000, 3).var);
    // RMS error over seeds at n and 16n: ratio ≈ 4
    let rms = |n: usize| {
        let e: f64 = (0..16).map(|s| (run(n, 100 + s).var - dn).powi(2)).sum::<f64>() / 16.0;
        e.sqrt()
    };
    let ratio = rms(2_000) / rms(32_000);
    assert!(
        (2.5..6.5).contains(&ratio),
        "error ratio {ratio} for 16× the scenarios"
    );
}

#[test]
fn bad_scenarios_and_books_are_refused() {
    let b = mixed();
    let set = |spot: Vec<f64>, vol: Vec<f64>| ScenarioSet {
        coins: coins(),
        spot,
        vol,
        horizon_days: 1.0,
        ..Default::default()
    };
    let e = Revaluer::new(&b, &set(vec![-1.0, 0.0], vec![0.0, 0.0]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("BTC") && e.contains("−100 %"), "{e}");
    let e = Revaluer::new(&b, &set(vec![0.0, f64::NAN], vec![0.0, 0.0]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ETH"), "{e}");
    let only_btc = ScenarioSet {
        coins: vec!["BTC".into()],
        spot: vec![0.1],
        vol: vec![0.0],
        horizon_days: 1.0,
        ..Default::default()
    };
    let e = Revaluer::new(&b, &only_btc).unwrap_err().to_string();
    assert!(e.contains("ETH") && e.contains("do not move"), "{e}");
    // a vol crash to the floor is a warning naming the option
    let rev = Revaluer::new(&b, &set(vec![0.0, 0.0], vec![-0.99, 0.0])).unwrap();
    assert!(rev
        .warnings
        .iter()
        .any(|w| w.position.contains("BTC-26JUN26-80000-C") && w.message.contains("floor")));
    let prices = crate::common::daily_prices();
    let e = historical_scenarios(
        &prices,
        None,
        &coins(),
        &HistoricalSpec {
            with_vol: true,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("implied-vol history"), "{e}");
    let e = historical_scenarios(
        &prices,
        None,
        &coins(),
        &HistoricalSpec {
            window: 90_000,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("fewer than the window"), "{e}");
}

/// Every crisis of the library moves each coin by its real close-to-close move over the event
/// and each vol by DVOL's; a coin not listed then follows its beta to BTC, said so.
#[test]
fn crises_replay_the_datas_moves() {
    use ballast::scenario::{stress_scenarios, UserScenario, CRISES};
    let prices = crate::common::daily_prices();
    let dvol = ballast::io::read_prices(crate::common::data_path("deribit_dvol_daily.csv")).unwrap();
    let coins: Vec<String> = vec!["BTC".into(), "ETH".into(), "SOL".into()];
    let lib = stress_scenarios(&prices, Some(&dvol), &coins, &[]).unwrap();
    let close = |p: &ballast::data::PricePanel, name: &str, d: jiff::civil::Date| {
        let r = p.dates().binary_search(&d).ok()?;
        p.price(r, p.asset_index(name).unwrap())
    };
    let n = coins.len();
    let mut seen = 0;
    for (s, sc) in lib
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == "crisis")
    {
        seen += 1;
        let (d0, d1) = sc.dates.unwrap();
        assert!(CRISES
            .iter()
            .any(|c| c.name == sc.name && c.end == d1.to_string()));
        for (k, c) in coins.iter().enumerate() {
            let got = lib.set.spot[s * n + k];
            match (close(&prices, c, d0), close(&prices, c, d1)) {
                (Some(a), Some(b)) => assert_eq!(got, b / a - 1.0, "{} {c}", sc.name),
                _ => assert!(
                    sc.proxies
                        .iter()
                        .any(|p| p.starts_with(&format!("{c}: not listed yet"))),
                    "{} {c}: {:?}",
                    sc.name,
                    sc.proxies
                ),
            }
        }
        for (k, c) in ["BTC", "ETH"].iter().enumerate() {
            let col = format!("{c}_close");
            if let (Some(a), Some(b)) = (close(&dvol, &col, d0), close(&dvol, &col, d1)) {
                assert_eq!(lib.set.vol[s * n + k], b / a - 1.0, "{} {c} vol", sc.name);
            }
        }
    }
    assert_eq!(seen, CRISES.len());
    // SOL was not listed on Black Thursday (2020-03-12)
    assert!(lib.scenarios[0]
        .proxies
        .iter()
        .any(|p| p.starts_with("SOL: not listed yet")));
    let bad = UserScenario {
        name: "my crash".into(),
        spot: [("DOGE".to_string(), -0.5)].into(),
        ..Default::default()
    };
    let e = stress_scenarios(&prices, Some(&dvol), &coins, &[bad])
        .unwrap_err()
        .to_string();
    assert!(e.contains("my crash") && e.contains("DOGE"), "{e}");
    let bad = UserScenario {
        name: "wipe-out".into(),
        spot: [("BTC".to_string(), -1.5)].into(),
        ..Default::default()
    };
    let e = stress_scenarios(&prices, Some(&dvol), &coins, &[bad])
        .unwrap_err()
        .to_string();
    assert!(e.contains("wipe-out") && e.contains("−1"), "{e}");
    // vol points, tilt and days forward: stored as annual vol, each scenario at its horizon
    let mine = UserScenario {
        name: "vol up a week later".into(),
        vol_points: [("BTC".to_string(), 15.0)].into(),
        tilt_points: [("ETH".to_string(), -5.0)].into(),
        days: 7.0,
        ..Default::default()
    };
    let lib = stress_scenarios(&prices, Some(&dvol), &coins, std::slice::from_ref(&mine)).unwrap();
    let last = lib.set.len() - 1;
    let n = coins.len();
    assert_eq!(lib.days()[last], 7.0);
    assert_eq!(&lib.set.vol_points[last * n..], &[0.15, 0.0, 0.0]);
    assert_eq!(&lib.set.vol_tilt[last * n..], &[0.0, -0.05, 0.0]);
    assert!(lib
        .scenarios
        .iter()
        .any(|s| s.days == 7.0 && s.kind == "hypothetical"));
    for (bad, what) in [
        (
            UserScenario {
                days: 400.0,
                ..mine.clone()
            },
            "days",
        ),
        (
            UserScenario {
                days: f64::NAN,
                ..mine.clone()
            },
            "days",
        ),
        (
            UserScenario {
                vol_points: [("BTC".to_string(), -150.0)].into(),
                ..mine.clone()
            },
            "vol_points",
        ),
        (
            UserScenario {
                tilt_points: [("DOGE".to_string(), 5.0)].into(),
                ..mine.clone()
            },
            "DOGE",
        ),
    ] {
        let e = stress_scenarios(&prices, Some(&dvol), &coins, &[bad])
            .unwrap_err()
            .to_string();
        assert!(e.contains("vol up a week later") && e.contains(what), "{e}");
    }
}

/// Filtered historical simulation: every 1-day draw is a day of the history, standardised by
/// its EWMA volatility and rescaled by the forecast for the next day (all coins from the same
/// day); seeded.
#[test]
fn filtered_historical_draws_are_rescaled_history() {
    use ballast::scenario::filtered_historical_scenarios;
    let prices = crate::common::daily_prices();
    let hist = historical_scenarios(
        &prices,
        None,
        &coins(),
        &HistoricalSpec {
            window: 400,
            ..Default::default()
        },
    )
    .unwrap();
    let spec = McSpec {
        scenarios: 2_000,
        horizon_days: 1,
        distribution: McDistribution::Gaussian,
        seed: 5,
    };
    let fhs = filtered_historical_scenarios(&hist.set, &spec, 0.94).unwrap();
    assert_eq!(
        fhs,
        filtered_historical_scenarios(&hist.set, &spec, 0.94).unwrap()
    );
    // the EWMA of each coin, started from arch's backcast (0.94-weighted first 75 squares)
    let t = hist.set.len();
    let mut ratios = Vec::new();
    for c in 0..2 {
        let r: Vec<f64> = (0..t).map(|s| hist.set.spot[2 * s + c]).collect();
        let (mut num, mut den, mut w) = (0.0, 0.0, 1.0);
        for x in &r[..75] {
            num += w * x * x;
            den += w;
            w *= 0.94;
        }
        let mut v = num / den;
        let mut z = Vec::new();
        for x in &r {
            z.push(x / v.sqrt());
            v = 0.94 * v + 0.06 * x * x;
        }
        ratios.push((z, v.sqrt()));
    }
    for s in 0..fhs.len() {
        let (b, e) = (fhs.spot[2 * s], fhs.spot[2 * s + 1]);
        let day = ratios[0]
            .0
            .iter()
            .position(|z| (z * ratios[0].1 - b).abs() <= 1e-15 * (1.0 + b.abs()))
            .expect("a BTC draw that is a rescaled day of the history");
        assert!(
            (ratios[1].0[day] * ratios[1].1 - e).abs() <= 1e-12,
            "ETH from the same day"
        );
    }
    assert!(filtered_historical_scenarios(&hist.set, &spec, 1.0).is_err());
}

/// Basis and funding: a dated future converges to spot, a perpetual pays its funding on the
/// notional at the moved price — equal to the contracts' closed forms.
#[test]
fn basis_and_funding_moves_pay_their_closed_forms() {
    let b = book(&[("BTC-26JUN26", 50_000.0), ("BTC-PERPETUAL", -100_000.0)]);
    let s = b.market.spot("BTC").unwrap();
    let f = b.market.futures["BTC-26JUN26"];
    let p = b.market.futures["BTC-PERPETUAL"];
    let (m, phi, funding) = (0.1, 1.0, 0.063);
    let set = ScenarioSet {
        coins: vec!["BTC".into()],
        spot: vec![m],
        vol: vec![0.0],
        horizon_days: 0.0,
        basis: vec![phi],
        funding: vec![funding],
        ..Default::default()
    };
    let rev = Revaluer::new(&b, &set).unwrap();
    let row = rev.pnl_matrix(&set).unwrap().row(0).to_vec();
    let s1 = s * (1.0 + m);
    // inverse future: N (1/F − 1/F′) coins at S′, F′ = S′ once the basis is gone
    let want_future = 50_000.0 * (1.0 / f - 1.0 / s1) * s1;
    // inverse perpetual: the move, less the funding on its notional N·S′/P′
    let p1 = p * (1.0 + m);
    let want_perp = -100_000.0 * (1.0 / p - 1.0 / p1) * s1 - funding * (-100_000.0) * s1 / p1;
    assert!(
        (row[0] - want_future).abs() < 1e-9 * want_future.abs(),
        "{} vs {want_future}",
        row[0]
    );
    assert!(
        (row[1] - want_perp).abs() < 1e-9 * want_perp.abs(),
        "{} vs {want_perp}",
        row[1]
    );
    // without basis or funding, the plain move
    let plain = ScenarioSet {
        basis: Vec::new(),
        funding: Vec::new(),
        ..set.clone()
    };
    let rev = Revaluer::new(&b, &plain).unwrap();
    let row = rev.pnl_matrix(&plain).unwrap().row(0).to_vec();
    assert!((row[0] - 50_000.0 * s / f * m).abs() < 1e-9 * 50_000.0);
    let bad = ScenarioSet {
        funding: vec![2.0],
        ..set
    };
    assert!(Revaluer::new(&b, &bad)
        .unwrap_err()
        .to_string()
        .contains("funding"));
}

/// The tilt's weight, written out independently: min(√(30 d / τ), 5) · (1 + min(|ln K/F| / σ√τ, 3)).
fn tilt_weight(tau: f64, strike: f64, forward: f64, vol: f64) -> f64 {
    let term = (30.0 / 365.0 / tau).sqrt().min(5.0);
    term * (1.0 + ((strike / forward).ln().abs() / (vol * tau.sqrt())).min(3.0))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(30))]

    /// A vol-point shift and a skew/term tilt revalue every option at σ(1 + v) + points +
    /// tilt · w, its own weight; delta-one positions only see the spot move.
    #[test]
    fn vol_points_and_tilt_shift_each_option_by_its_weight(
        sb in -0.4f64..0.6, vb in -0.3f64..0.5, pts in -0.1f64..0.3, tilt in -0.05f64..0.2,
    ) {
        let b = mixed();
        let set = ScenarioSet {
            coins: coins(),
            spot: vec![sb, 0.0],
            vol: vec![vb, 0.0],
            vol_points: vec![pts, 0.0],
            vol_tilt: vec![tilt, 0.0],
            ..Default::default()
        };
        let m = Revaluer::new(&b, &set).unwrap().pnl_matrix(&set).unwrap();
        let as_of = b.market.as_of.unwrap();
        for (k, p) in b.positions.iter().enumerate() {
            let btc = p.instrument.coin() == "BTC";
            let shock = match (&p.instrument, ballast::book::position_ticker(p, &b.market).unwrap()) {
                (ballast::instrument::Instrument::Option { expiry, strike, .. }, Some(t)) if btc => {
                    let (vol, f) = (t.vol.unwrap(), t.forward.unwrap());
                    let tau = ballast::pricing::year_fraction(as_of, *expiry);
                    let w = tilt_weight(tau, *strike, f, vol);
                    Shock { spot: sb, vol: vol * vb + pts + tilt * w }
                }
                _ if btc => Shock { spot: sb, vol: 0.0 },
                _ => Shock::default(),
            };
            let want = position_value(p, &b.market, shock).unwrap()
                - position_value(p, &b.market, Shock::default()).unwrap();
            let got = m.row(0)[k];
            prop_assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()) + 1e-7, "{}: {got} vs {want}", p.name);
        }
    }
}

/// Scenarios at several horizons: each row equals a revaluation at its own horizon, and a week
/// of nothing moving costs a short-gamma book its theta (long options lose, short ones earn).
#[test]
fn scenarios_at_their_own_horizons() {
    let b = mixed();
    let set = ScenarioSet {
        coins: coins(),
        spot: vec![0.0, 0.0, -0.2, 0.1, 0.05, 0.0],
        vol: vec![0.0, 0.0, 0.3, 0.0, 0.0, 0.1],
        ..Default::default()
    };
    let days = [7.0, 0.0, 7.0];
    let hp = ballast::scenario::pnl_at_horizons(&b, &set, &days).unwrap();
    for (s, d) in days.iter().enumerate() {
        let one = set.select(&[s], *d);
        let want = Revaluer::new(&b, &one).unwrap().pnl_matrix(&one).unwrap();
        assert_eq!(hp.matrix.row(s), want.row(0), "scenario {s}");
    }
    // a week of decay: long puts lose value, short calls gain
    let row = hp.matrix.row(0);
    let k = |n: &str| b.positions.iter().position(|p| p.name == n).unwrap();
    assert!(row[k("BTC-29MAY26-65000-P")] < 0.0);
    assert!(row[k("BTC-26JUN26-80000-C")] > 0.0);
    assert_eq!(row[k("BTC")], 0.0);
    assert!(ballast::scenario::pnl_at_horizons(&b, &set, &[1.0])
        .unwrap_err()
        .to_string()
        .contains("1 horizons for 3 scenarios"));
}

/// A book's VaR backtest revalues today's book on each past day: for spot BTC alone its
/// returns are BTC's daily returns, so every backtest equals the weights backtest of BTC = 1
/// on the same dates; a book with options gets its vols moved by DVOL.
#[test]
fn a_books_var_backtest_is_its_hypothetical_pnl() {
    use ballast::analysis::{book_var_backtest, var_backtest, BookBacktestRequest, VarBacktestRequest};
    use ballast::risk::{BacktestSettings, VarModel};
    let prices = crate::common::daily_prices();
    let models = [
        VarModel::Historical,
        VarModel::FilteredHistorical,
        VarModel::Gaussian,
    ];
    let settings = BacktestSettings::default();
    let spot = book(&[("BTC", 3.0)]);
    let req = BookBacktestRequest {
        models: &models,
        confidences: &[0.99, 0.95],
        settings,
        end: None,
        equity_usd: None,
    };
    let b = book_var_backtest(&spot, &prices, None, &req).unwrap();
    let w = var_backtest(
        &prices,
        &VarBacktestRequest {
            weights: &[("BTC".to_string(), 1.0)],
            normalize: false,
            models: &models,
            confidences: &[0.99, 0.95],
            settings,
            end: None,
        },
    )
    .unwrap();
    assert_eq!(b.dates, w.dates);
    for (x, y) in b.returns.iter().zip(&w.returns) {
        assert!((x - y).abs() <= 1e-15 * (1.0 + y.abs()), "{x} vs {y}");
    }
    for (x, y) in b.backtests.iter().zip(&w.backtests) {
        assert_eq!(x.exception_dates, y.exception_dates);
        assert!((x.backtest.kupiec.lr - y.backtest.kupiec.lr).abs() < 1e-9);
    }
    // options: vols from DVOL, the P&L history over the book's equity
    let dvol = ballast::io::read_prices(crate::common::data_path("deribit_dvol_daily.csv")).unwrap();
    let r = book_var_backtest(
        &mixed(),
        &prices,
        Some(&dvol),
        &BookBacktestRequest {
            equity_usd: Some(1e6),
            ..req
        },
    )
    .unwrap();
    let h = r.book.as_ref().unwrap();
    assert_eq!(h.equity_usd, 1e6);
    assert_eq!(h.pnl_usd.len(), r.returns.len());
    assert!(h.vol_source.iter().all(|(_, s)| s == "own"));
    assert!(r.dates[0] >= "2021-03-24".parse().unwrap(), "DVOL starts in 2021");
    let e = book_var_backtest(&mixed(), &prices, None, &req)
        .unwrap_err()
        .to_string();
    assert!(e.contains("vol"), "{e}");
}

/// P&L between two snapshots: zero on the same one; spot by its move, inverse contracts by
/// their coin P&L at the new index, a coin-settled option with an unchanged mark by the
/// index's move × its coin value; the totals add up.
#[test]
fn pnl_between_snapshots_has_closed_forms() {
    use ballast::book::pnl_between;
    let b = mixed();
    let same = pnl_between(&b.positions, &b.market, &b.market).unwrap();
    assert!(same.positions.iter().all(|p| p.pnl_usd == 0.0));
    let mut to = b.market.clone();
    let s0 = b.market.spot("BTC").unwrap();
    let s1 = s0 * 1.1;
    to.spot.insert("BTC".into(), s1);
    let (perp0, fut0) = (b.market.futures["BTC-PERPETUAL"], b.market.futures["BTC-26JUN26"]);
    to.futures.insert("BTC-PERPETUAL".into(), perp0 * 1.1);
    to.futures.insert("BTC-26JUN26".into(), fut0 * 1.05);
    let r = pnl_between(&b.positions, &b.market, &to).unwrap();
    let get = |n: &str| r.positions.iter().find(|p| p.position == n).unwrap().pnl_usd;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    assert!(close(get("BTC"), 2.0 * (s1 - s0)));
    assert!(close(
        get("BTC-PERPETUAL"),
        -50_000.0 * (1.0 / perp0 - 1.0 / (perp0 * 1.1)) * s1
    ));
    assert!(close(
        get("BTC-26JUN26"),
        30_000.0 * (1.0 / fut0 - 1.0 / (fut0 * 1.05)) * s1
    ));
    let mark = b
        .market
        .options
        .values()
        .find(|q| q.name == "BTC-29MAY26-65000-P")
        .unwrap()
        .mark_price;
    assert!(
        close(get("BTC-29MAY26-65000-P"), 4.0 * mark * (s1 - s0)),
        "{}",
        get("BTC-29MAY26-65000-P")
    );
    assert_eq!(get("ETH-PERPETUAL"), 0.0);
    let sum: f64 = r.by_underlying.values().sum();
    assert!(close(sum, r.total_usd));
}

/// A trade's P&L from its own price: closed forms per instrument; a trade at today's price has
/// none; a bad price is refused naming the position.
#[test]
fn trade_pnl_has_closed_forms() {
    use ballast::book::trade_pnl;
    use ballast::instrument::Position;
    let b = mixed();
    let mut m = b.market.clone();
    m.futures.insert("BTC_USDC-PERPETUAL".into(), 71_000.0);
    let s = m.spot("BTC").unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    let p = |n: &str, size: f64| Position::new(n, size, "deribit").unwrap();
    assert!(close(trade_pnl(&p("BTC", 2.0), s - 100.0, &m).unwrap(), 200.0));
    assert!(close(
        trade_pnl(&p("BTC_USDC-PERPETUAL", -3.0), 70_000.0, &m).unwrap(),
        -3.0 * 1_000.0
    ));
    let perp = m.futures["BTC-PERPETUAL"];
    assert!(close(
        trade_pnl(&p("BTC-PERPETUAL", 50_000.0), perp * 0.98, &m).unwrap(),
        50_000.0 * (1.0 / (perp * 0.98) - 1.0 / perp) * s
    ));
    let put = m
        .options
        .values()
        .find(|q| q.name == "BTC-29MAY26-65000-P")
        .unwrap()
        .mark_price;
    assert!(close(
        trade_pnl(&p("BTC-29MAY26-65000-P", 4.0), put - 0.001, &m).unwrap(),
        4.0 * 0.001 * s
    ));
    // at today's price: nothing
    assert!(close(
        trade_pnl(&p("BTC-29MAY26-65000-P", 4.0), put, &m).unwrap(),
        0.0
    ));
    assert!(close(
        trade_pnl(&p("BTC-PERPETUAL", 1_000.0), perp, &m).unwrap(),
        0.0
    ));
    for bad in [0.0, -1.0, f64::NAN] {
        let e = trade_pnl(&p("BTC-PERPETUAL", 1.0), bad, &m)
            .unwrap_err()
            .to_string();
        assert!(e.contains("BTC-PERPETUAL") && e.contains("trade price"), "{e}");
    }
    assert!(
        trade_pnl(&p("BTC-29MAY26-65000-P", 1.0), 0.0, &m).is_ok(),
        "a worthless option"
    );
}
