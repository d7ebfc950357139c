//! EWMA volatility, CCC covariance, EWMA and James–Stein means, volatility-adjusted momentum.

use crate::common::*;
use ballast::estimate::*;

#[test]
fn ewma_volatility_is_the_ewma_covariance_diagonal() {
    let r = reference_returns();
    let v = ewma_volatility(&r, 0.94).unwrap();
    let refs = json("covariance.json");
    let m = matrix(&refs["ewma_riskmetrics"]);
    for (i, vol) in v.iter().enumerate() {
        assert_rel("ewma vol", *vol, (m.get(i, i) * 365.0).sqrt(), 1e-12);
    }
}

#[test]
fn ccc_covariance_has_the_model_vols_and_a_valid_correlation() {
    let r = reference_returns();
    let sub = r
        .select(&["BTC".into(), "ETH".into(), "SOL".into(), "BNB".into()])
        .unwrap();
    for model in [VolModel::Ewma(0.94), VolModel::Garch(GarchDist::Normal)] {
        let c = ccc_covariance(&sub, model).unwrap();
        c.validate().unwrap();
        let corr = c.correlation().unwrap();
        for i in 0..4 {
            for j in 0..4 {
                assert!(corr.get(i, j).abs() <= 1.0 + 1e-12);
            }
        }
        let vols = c.volatilities();
        assert!(vols.iter().all(|v| *v > 0.1 && *v < 3.0), "{model:?}: {vols:?}");
    }
    // with GARCH, the BTC volatility is the GARCH one-step forecast (annualised)
    let c = ccc_covariance(&sub, VolModel::Garch(GarchDist::Normal)).unwrap();
    let y: Vec<f64> = sub.column(0).iter().map(|x| 100.0 * x).collect();
    let f = Garch11::default().fit(&y).unwrap().forecast_variance(1).unwrap()[0];
    assert_rel(
        "BTC ccc vol",
        c.volatilities()[0],
        (f * 365.0).sqrt() / 100.0,
        1e-12,
    );
}

#[test]
fn means_and_momentum() {
    let r = reference_returns();
    let hist = historical_mean(&r).unwrap();
    let js = james_stein_mean(&r).unwrap();
    let grand = hist.iter().sum::<f64>() / hist.len() as f64;
    // shrinkage moves every mean toward the grand mean, never past it
    for (h, j) in hist.iter().zip(&js) {
        assert!(
            (j - grand).abs() <= (h - grand).abs() + 1e-12 && (j - grand) * (h - grand).signum() >= -1e-12,
            "h {h} j {j} grand {grand}"
        );
    }
    let e = ewma_mean(&r, 0.94).unwrap();
    assert!(e.iter().all(|x| x.is_finite()));
    // λ → 1 approaches the plain mean
    let e1 = ewma_mean(&r, 0.999_999).unwrap();
    assert!(max_abs(&e1, &hist) < 1e-3);
    let m = vol_adjusted_momentum(&r, 90).unwrap();
    assert_eq!(m.len(), r.n_assets());
    let j = r.asset_index("BTC").unwrap();
    let last: Vec<f64> = r.column(j)[r.n_periods() - 90..].to_vec();
    let growth = last.iter().fold(1.0, |g, x| g * (1.0 + x)) - 1.0;
    assert!(m[j].signum() == growth.signum());
    assert!(vol_adjusted_momentum(&r, 1).is_err() && vol_adjusted_momentum(&r, 10_000).is_err());
    assert!(ewma_mean(&r, 1.5).is_err());
}

#[test]
fn signal_tilt_keeps_the_sum_and_orders_by_the_signal() {
    use ballast::estimate::signal_tilt;
    let w = [0.4, 0.3, 0.2, 0.1];
    let sig = [0.5, -1.0, 2.0, 0.0];
    assert_eq!(signal_tilt(&w, &sig, 0.0).unwrap(), w.to_vec());
    let t = signal_tilt(&w, &sig, 0.7).unwrap();
    assert!((t.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    let ratio: Vec<f64> = t.iter().zip(&w).map(|(a, b)| a / b).collect();
    // the higher the signal, the larger the scale-up
    let mut by_signal: Vec<usize> = (0..4).collect();
    by_signal.sort_by(|&a, &b| sig[a].total_cmp(&sig[b]));
    assert!(by_signal.windows(2).all(|p| ratio[p[0]] < ratio[p[1]]));
    assert_eq!(signal_tilt(&w, &[1.0; 4], 2.0).unwrap(), w.to_vec());
    assert!(signal_tilt(&w, &sig, -1.0).is_err());
    assert!(signal_tilt(&w, &sig[..3], 1.0).is_err());
}

#[test]
fn drawdown_and_momentum_follow_the_price_path_for_log_returns_too() {
    use ballast::data::{ReturnKind, WindowSpec};
    let panel = ballast::io::read_prices(data_path("crypto_daily_close.csv")).unwrap();
    let w = panel
        .window(&WindowSpec {
            assets: Some(vec!["BTC".into(), "ETH".into(), "SOL".into()]),
            returns: 365,
            ..WindowSpec::default()
        })
        .unwrap();
    let (simple, log) = (w.returns(ReturnKind::Simple), w.returns(ReturnKind::Log));
    let weights = [0.5, 0.3, 0.2];
    let (a, b) = (simple.simple_portfolio(&weights), log.simple_portfolio(&weights));
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-14));
    let dd = |r: &ballast::data::Returns| {
        let cov = SampleCovariance::default().fit(r).unwrap();
        ballast::risk::risk_summary(r, &cov, &weights, &[0.95])
            .unwrap()
            .drawdown
            .max_drawdown
    };
    assert!((dd(&simple) - dd(&log)).abs() < 1e-12);
    let (ms, ml) = (
        vol_adjusted_momentum(&simple, 90).unwrap(),
        vol_adjusted_momentum(&log, 90).unwrap(),
    );
    // the same compounded return; only the volatility differs (of simple vs log returns)
    for j in 0..3 {
        assert_eq!(ms[j].signum(), ml[j].signum());
        assert!((ms[j] / ml[j] - 1.0).abs() < 0.05, "{} vs {}", ms[j], ml[j]);
    }
}

/// The online EWMA with one return a day is the batch RiskMetrics EWMA (skfolio's values in
/// covariance.json) before annualisation; fed prices instead of returns, the same; a return
/// spanning two days weighs as λ² and adds its variance per day; bad input is refused or left
/// out.
#[test]
fn online_ewma_is_the_batch_ewma_and_weighs_time() {
    let r = reference_returns();
    let n = r.n_assets();
    let refs = json("covariance.json");
    let want = matrix(&refs["ewma_riskmetrics"]);
    let mut o = OnlineEwma::new(r.assets().to_vec(), 0.94).unwrap();
    assert!(o.covariance_daily().is_none());
    let mut p = OnlineEwma::new(r.assets().to_vec(), 0.94).unwrap();
    let mut prices = vec![100.0; n];
    p.observe(&prices, 0.0).unwrap();
    for t in 0..r.n_periods() {
        let row: Vec<f64> = (0..n).map(|j| r.column(j)[t]).collect();
        assert!(o.update(&row, 1.0).unwrap());
        for (x, ret) in prices.iter_mut().zip(&row) {
            *x *= 1.0 + ret;
        }
        assert!(p.observe(&prices, (t + 1) as f64).unwrap());
    }
    let (got, via_prices) = (o.covariance_daily().unwrap(), p.covariance_daily().unwrap());
    for i in 0..n {
        for j in 0..n {
            assert_rel("online ewma", got.get(i, j), want.get(i, j), 1e-9);
            assert_rel(
                "online ewma via prices",
                via_prices.get(i, j),
                got.get(i, j),
                1e-9,
            );
        }
    }
    assert_eq!(o.observations(), r.n_periods());
    // time: one return over 2 days on an empty estimate is that return's variance per day
    let mut q = OnlineEwma::new(vec!["A".into()], 0.94).unwrap();
    q.update(&[0.04], 2.0).unwrap();
    assert_rel(
        "per day",
        q.covariance_daily().unwrap().get(0, 0),
        0.04 * 0.04 / 2.0,
        1e-12,
    );
    // then a day at 0: the 2-day return's weight has decayed by λ once more
    q.update(&[0.0], 1.0).unwrap();
    let w2 = 1.0 - 0.94f64.powi(2);
    let expect = 0.94 * w2 * 0.0008 / (0.94 * w2 + 0.06);
    assert_rel("decay", q.covariance_daily().unwrap().get(0, 0), expect, 1e-12);
    // bad input
    assert!(OnlineEwma::new(vec!["A".into()], 1.0).is_err());
    assert!(OnlineEwma::new(Vec::new(), 0.94).is_err());
    assert!(q.update(&[0.01, 0.02], 1.0).is_err());
    assert!(q.update(&[0.01], 0.0).is_err());
    assert!(!q.update(&[f64::NAN], 1.0).unwrap(), "left out");
    assert!(!q.observe(&[-1.0], 5.0).unwrap());
    assert!(q.observe(&[1.0, 2.0], 5.0).is_err());
}
