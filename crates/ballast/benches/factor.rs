//! Factor models and factor risk budgeting. Run: `cargo bench -p ballast --bench factor`.
//! Targets (issue "factor risk"): a fit for T = 730, N = 40, k = 5 under 1 ms; factor risk
//! parity for N = 200, k = 10 under 5 ms.

mod support;

use ballast::allocate::FactorRiskBudgeting;
use ballast::estimate::{FactorModel, SampleCovariance};
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

#[divan::bench(args = ["market:BTC", "explicit:BTC,ETH,SOL,BNB,XRP", "pca:5"])]
fn fit_real_730x39(bencher: Bencher, model: &str) {
    let r = support::real_returns();
    let m = FactorModel::new(model.parse().unwrap());
    bencher.bench(|| m.fit(black_box(&r)).unwrap());
}

/// Synthetic T = 730, N = 200 returns; explicit factors = the first k coins.
fn factor_setup(
    k: usize,
) -> (
    ballast::estimate::FittedFactorModel,
    ballast::estimate::Covariance,
) {
    let r = support::synthetic_returns(730, 200, 7);
    let names: Vec<String> = r.assets()[..k].to_vec();
    let m = FactorModel::new(format!("explicit:{}", names.join(",")).parse().unwrap())
        .fit(&r)
        .unwrap();
    (m, SampleCovariance::default().fit(&r).unwrap())
}

#[divan::bench(args = [10])]
fn factor_risk_parity_any_sign_200(bencher: Bencher, k: usize) {
    let (m, cov) = factor_setup(k);
    let solver = FactorRiskBudgeting {
        long_only: false,
        ..FactorRiskBudgeting::default()
    };
    bencher.bench(|| solver.weights(black_box(&m), black_box(&cov)).unwrap());
}

#[divan::bench(args = [10])]
fn fit_explicit_730x200(bencher: Bencher, k: usize) {
    let r = support::synthetic_returns(730, 200, 7);
    let names: Vec<String> = r.assets()[..k].to_vec();
    let m = FactorModel::new(format!("explicit:{}", names.join(",")).parse().unwrap());
    bencher.bench(|| m.fit(black_box(&r)).unwrap());
}
