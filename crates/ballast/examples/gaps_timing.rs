//! Times the issue-15 computations on the inputs `scripts/compare_python_gaps.sh` gives the
//! Python peers (the shared data read in place), one JSON line per case, in seconds (median of
//! 15 runs after a warm-up):
//! pairwise covariance of the whole daily panel over 730 and 3,000 days (pandas `DataFrame.cov`),
//! the nearest correlation matrix of the 730-day pairwise correlation (a NumPy Higham loop,
//! statsmodels `corr_nearest`), mean-CVaR at 1.25 × the least CVaR (PyPortfolioOpt
//! `EfficientCVaR.efficient_risk`) and ERC with the majors capped at 16 % (riskparityportfolio's
//! successive convex approximation).
//! Usage: `cargo run --release -p ballast --example gaps_timing -- SHARED_DIR`

use ballast::allocate::{
    constrained_risk_budget, efficient_cvar, min_cvar, Constraints, Group, RiskBudgeting, ScaSettings,
};
use ballast::analysis::WindowRequest;
use ballast::data::ReturnKind;
use ballast::estimate::{historical_mean, nearest_correlation, pairwise_estimate, SampleCovariance};
use std::path::PathBuf;
use std::time::Instant;

fn median(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..15)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[7]
}

fn main() {
    let shared = PathBuf::from(std::env::args().nth(1).expect("usage: gaps_timing SHARED_DIR"));
    let panel = ballast::io::read_prices(shared.join("data/crypto_daily_close.csv")).unwrap();
    for days in [730usize, 3000] {
        let w = WindowRequest {
            window: days,
            ..WindowRequest::default()
        };
        let (_, g) = w.cut_gapped(&panel).unwrap();
        let s = median(|| {
            pairwise_estimate(&g, 60).unwrap();
        });
        println!("{{\"case\": \"pairwise_cov_{days}\", \"seconds\": {s}}}");
    }
    let (_, g) = WindowRequest::default().cut_gapped(&panel).unwrap();
    let corr = pairwise_estimate(&g, 60).unwrap().correlation;
    let s = median(|| {
        nearest_correlation(&corr, 0.0, 1e-14).unwrap();
    });
    println!("{{\"case\": \"nearest_correlation\", \"seconds\": {s}}}");
    let r = ballast::io::read_wide_returns(shared.join("reference/returns.csv"), ReturnKind::Simple, 365.0)
        .unwrap();
    let n = r.n_assets();
    let cons = Constraints::long_only(n);
    let mu = historical_mean(&r).unwrap();
    let target = 1.25 * min_cvar(&r, &cons, 0.95, None).unwrap().cvar;
    let s = median(|| {
        efficient_cvar(&r, &cons, 0.95, &mu, target).unwrap();
    });
    println!("{{\"case\": \"efficient_cvar\", \"seconds\": {s}, \"target_cvar\": {target}}}");
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let mut cons = Constraints::long_only(n);
    let idx = |a: &str| r.assets().iter().position(|x| x == a).unwrap();
    cons.groups.push(Group {
        name: "majors".into(),
        members: ["BTC", "ETH", "BNB", "TRX", "XRP"]
            .iter()
            .map(|a| idx(a))
            .collect(),
        lower: f64::NEG_INFINITY,
        upper: 0.16,
    });
    let b = vec![1.0 / n as f64; n];
    let s = median(|| {
        let w0 = RiskBudgeting::erc().weights(&cov).unwrap().weights;
        constrained_risk_budget(&cov, &b, &cons, None, &w0, &ScaSettings::default()).unwrap();
    });
    println!("{{\"case\": \"erc_group_cap\", \"seconds\": {s}}}");
}
