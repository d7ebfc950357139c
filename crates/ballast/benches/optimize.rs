//! Solver-based allocators and volatility models. Run: `cargo bench -p ballast --bench optimize`.
//! Mean-variance at N = 50 and 200 (PyPortfolioOpt takes about 12/13 ms and 38/30 ms for
//! min-volatility / max-Sharpe there); GARCH(1,1) on 2,000 points (arch: 8 ms normal, 21 ms t).

mod support;

use ballast::allocate::{
    constrained_risk_budget, efficient_cvar, hrp, mean_variance, min_cvar, Constraints, Group, Linkage,
    MvObjective, RiskBudgeting, ScaSettings,
};
use ballast::estimate::{historical_mean, Garch11, GarchDist, SampleCovariance};
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

fn inputs(n: usize) -> (Vec<f64>, ballast::estimate::Covariance, ballast::data::Returns) {
    let r = if n <= 39 {
        let all = support::real_returns();
        let a = all.assets()[..n].to_vec();
        all.select(&a).unwrap()
    } else {
        support::synthetic_returns(1000, n, 3)
    };
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let mu = historical_mean(&r).unwrap();
    (mu, cov, r)
}

const SIZES: &[usize] = &[39, 50, 200];

#[divan::bench(args = SIZES)]
fn min_variance(bencher: Bencher, n: usize) {
    let (mu, cov, _) = inputs(n);
    let c = Constraints::long_only(n);
    bencher.bench(|| mean_variance(black_box(&mu), &cov, &c, MvObjective::MinVariance, 0.0).unwrap());
}

#[divan::bench(args = SIZES)]
fn max_sharpe(bencher: Bencher, n: usize) {
    let (mu, cov, _) = inputs(n);
    let c = Constraints::long_only(n);
    bencher.bench(|| mean_variance(black_box(&mu), &cov, &c, MvObjective::MaxSharpe, 0.0).unwrap());
}

#[divan::bench(args = SIZES)]
fn hrp_single(bencher: Bencher, n: usize) {
    let (_, cov, _) = inputs(n);
    bencher.bench(|| hrp(black_box(&cov), Linkage::Single).unwrap());
}

#[divan::bench(args = [39, 50])]
fn min_cvar_95(bencher: Bencher, n: usize) {
    let (_, _, r) = inputs(n);
    let c = Constraints::long_only(n);
    bencher.bench(|| min_cvar(black_box(&r), &c, 0.95, None).unwrap());
}

/// Highest return with CVaR_0.95 at most 1.25 × its minimum (the 39-coin panel).
#[divan::bench]
fn efficient_cvar_95(bencher: Bencher) {
    let (mu, _, r) = inputs(39);
    let c = Constraints::long_only(39);
    let target = 1.25 * min_cvar(&r, &c, 0.95, None).unwrap().cvar;
    bencher.bench(|| efficient_cvar(black_box(&r), &c, 0.95, &mu, target).unwrap());
}

/// ERC with the five largest coins capped at 16 % together (successive convex approximation).
#[divan::bench]
fn erc_group_cap(bencher: Bencher) {
    let (_, cov, _) = inputs(39);
    let mut c = Constraints::long_only(39);
    c.groups.push(Group {
        name: "majors".into(),
        members: ["BTC", "ETH", "BNB", "TRX", "XRP"]
            .iter()
            .map(|a| cov.assets.iter().position(|x| x == a).unwrap())
            .collect(),
        lower: f64::NEG_INFINITY,
        upper: 0.16,
    });
    let b = vec![1.0 / 39.0; 39];
    let w0 = RiskBudgeting::erc().weights(&cov).unwrap().weights;
    bencher.bench(|| {
        constrained_risk_budget(black_box(&cov), &b, &c, None, &w0, &ScaSettings::default()).unwrap()
    });
}

fn garch_series() -> Vec<f64> {
    let r = support::synthetic_returns(2000, 1, 9);
    r.column(0).iter().map(|x| 100.0 * x).collect()
}

#[divan::bench(sample_count = 20)]
fn garch_normal_2000(bencher: Bencher) {
    let y = garch_series();
    bencher.bench(|| {
        Garch11 {
            dist: GarchDist::Normal,
        }
        .fit(black_box(&y))
        .unwrap()
    });
}

#[divan::bench(sample_count = 20)]
fn garch_t_2000(bencher: Bencher) {
    let y = garch_series();
    bencher.bench(|| {
        Garch11 {
            dist: GarchDist::StudentT,
        }
        .fit(black_box(&y))
        .unwrap()
    });
}
