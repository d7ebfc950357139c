//! Working-set (screening) solves of the mean-variance problems equal full solves on a large
//! universe. A group with infinite bounds adds no constraint but turns screening off, which
//! gives the full solve to compare with.

use crate::common::max_abs;
use ballast::allocate::{mean_variance, Constraints, Group, MvObjective};
use ballast::data::{ReturnKind, Returns};
use ballast::estimate::{historical_mean, SampleCovariance};

/// T×N returns from a two-factor model driven by a fixed LCG (no external randomness).
fn returns(t: usize, n: usize) -> Returns {
    let mut s = 0x9E3779B97F4A7C15u64;
    let mut u = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let load: Vec<(f64, f64, f64, f64)> = (0..n)
        .map(|_| (0.6 + 0.6 * u(), 0.5 * u(), 0.02 + 0.03 * (u() + 0.5), 0.002 * u()))
        .collect();
    let mut cols = vec![0.0; t * n];
    for k in 0..t {
        let (m, f) = (0.04 * u(), 0.03 * u());
        for (j, &(b1, b2, idio, drift)) in load.iter().enumerate() {
            cols[j * t + k] = drift + b1 * m + b2 * f + idio * u();
        }
    }
    let d0 = "2020-01-01".parse::<jiff::civil::Date>().unwrap();
    let dates = (0..t)
        .map(|k| d0.checked_add(jiff::Span::new().days(k as i64)).unwrap())
        .collect();
    let assets = (0..n).map(|j| format!("A{j}")).collect();
    Returns::new(dates, assets, cols, ReturnKind::Simple, 365.0).unwrap()
}

#[test]
fn screened_solutions_equal_full_solutions() {
    let r = returns(500, 120);
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let mu = historical_mean(&r).unwrap();
    let n = cov.dim();
    for upper in [1.0, 0.04] {
        let plain = Constraints::long_only(n).with_bounds(0.0, upper);
        let mut full = plain.clone();
        full.groups.push(Group {
            name: "everything, unbounded".into(),
            members: (0..n).collect(),
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        });
        let minv = mean_variance(&mu, &cov, &plain, MvObjective::MinVariance, 0.0).unwrap();
        for obj in [
            MvObjective::MinVariance,
            MvObjective::MaxSharpe,
            MvObjective::EfficientReturn(minv.expected_return + 0.2),
            MvObjective::EfficientRisk(minv.volatility * 1.3),
            MvObjective::Utility(3.0),
        ] {
            let a = mean_variance(&mu, &cov, &plain, obj, 0.0).unwrap();
            let b = mean_variance(&mu, &cov, &full, obj, 0.0).unwrap();
            let err = max_abs(&a.weights, &b.weights);
            assert!(err < 1e-6, "{obj:?} upper {upper}: max |Δw| = {err:.2e}");
            let objective = |p: &ballast::allocate::MvPortfolio| match obj {
                MvObjective::MinVariance | MvObjective::EfficientReturn(_) => p.volatility,
                MvObjective::MaxSharpe => p.sharpe,
                MvObjective::EfficientRisk(_) => p.expected_return,
                MvObjective::Utility(d) => p.expected_return - 0.5 * d * p.volatility * p.volatility,
            };
            let (oa, ob) = (objective(&a), objective(&b));
            assert!(
                (oa - ob).abs() < 1e-9 * ob.abs(),
                "{obj:?}: objective {oa} vs {ob}"
            );
            assert!(a.weights.iter().all(|w| *w >= -1e-9 && *w <= upper + 1e-9));
        }
    }
}
