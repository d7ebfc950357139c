//! Beta-neutral and dollar-neutral books in the solver-based methods: the constraint holds, the
//! solution is the closed-form one when only equalities bind, and impossible requests say why.

use crate::common::*;
use ballast::allocate::{AllocationOptions, AllocationSpec, ConstraintsSpec, Method};
use ballast::estimate::{CovarianceSpec, FactorModel, SampleCovariance};
use ballast::SymMatrix;

fn coins() -> Vec<String> {
    ["BTC", "ETH", "SOL", "BNB", "XRP", "DOGE", "ADA", "LINK"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn spec(method: Method, c: ConstraintsSpec) -> AllocationSpec {
    AllocationSpec::try_from(AllocationOptions {
        constraints: Some(c),
        ..AllocationOptions::new(method)
    })
    .unwrap()
}

fn long_short(model: &str) -> ConstraintsSpec {
    ConstraintsSpec {
        min_weight: Some(-10.0),
        max_weight: Some(10.0),
        beta_neutral: Some(model.parse().unwrap()),
        ..ConstraintsSpec::default()
    }
}

/// min w'Σw s.t. Aᵀw = b: w = Σ⁻¹A (AᵀΣ⁻¹A)⁻¹ b (A has two columns).
fn closed_form(cov: &SymMatrix, a: [&[f64]; 2], b: [f64; 2]) -> Vec<f64> {
    let x: Vec<Vec<f64>> = a.iter().map(|col| cov.solve(col).unwrap()).collect();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>();
    let m = [
        [dot(a[0], &x[0]), dot(a[0], &x[1])],
        [dot(a[1], &x[0]), dot(a[1], &x[1])],
    ];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let l0 = (m[1][1] * b[0] - m[0][1] * b[1]) / det;
    let l1 = (m[0][0] * b[1] - m[1][0] * b[0]) / det;
    (0..cov.dim()).map(|i| l0 * x[0][i] + l1 * x[1][i]).collect()
}

#[test]
fn beta_neutral_min_variance_is_the_closed_form_portfolio() {
    let r = reference_returns().select(&coins()).unwrap();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let model = FactorModel::new("market:BTC".parse().unwrap()).fit(&r).unwrap();
    let beta: Vec<f64> = (0..8).map(|i| model.loadings_of(i)[0]).collect();
    let ones = vec![1.0; 8];
    let want = closed_form(&cov.matrix, [&ones, &beta], [1.0, 0.0]);
    assert!(
        want.iter().all(|w| w.abs() < 10.0),
        "bounds must not bind: {want:?}"
    );
    let a = spec(Method::MinVariance, long_short("market:BTC"))
        .allocate(&r, &CovarianceSpec::default(), None)
        .unwrap();
    assert!(max_abs(&a.weights, &want) < 1e-7, "{:?} vs {want:?}", a.weights);
    let exposure: f64 = beta.iter().zip(&a.weights).map(|(b, w)| b * w).sum();
    assert!(exposure.abs() < 1e-9, "{exposure}");
    let report = a.beta_neutral.as_ref().unwrap();
    assert_eq!(report.model, "market:BTC");
    assert!((report.exposures["BTC"] - exposure).abs() < 1e-12);
    let json = serde_json::to_value(&a).unwrap();
    assert!(f(&json["beta_neutral"]["exposures"]["BTC"]).abs() < 1e-9);
    // the constraint costs variance: the unconstrained long-short minimum is lower
    let free = spec(
        Method::MinVariance,
        ConstraintsSpec {
            beta_neutral: None,
            ..long_short("market:BTC")
        },
    )
    .allocate(&r, &CovarianceSpec::default(), None)
    .unwrap();
    assert!(free.volatility_annual < a.volatility_annual);
}

#[test]
fn every_factor_of_the_model_is_neutralised_in_every_solver() {
    let r = reference_returns().select(&coins()).unwrap();
    let model = FactorModel::new("explicit:BTC,ETH".parse().unwrap())
        .fit(&r)
        .unwrap();
    let dollar_neutral = ConstraintsSpec {
        min_weight: Some(-1.0),
        max_weight: Some(1.0),
        net_exposure: Some(0.0),
        max_gross: Some(2.0),
        beta_neutral: Some("explicit:BTC,ETH".parse().unwrap()),
        ..ConstraintsSpec::default()
    };
    for method in [
        Method::Utility,
        Method::MaxSharpe,
        Method::MinCvar,
        Method::EfficientRisk,
    ] {
        let mut o = AllocationOptions {
            constraints: Some(dollar_neutral.clone()),
            ..AllocationOptions::new(method)
        };
        if method == Method::Utility {
            o.risk_aversion = Some(ballast::allocate::RiskAversion::Given(3.0));
        }
        if method == Method::MinCvar {
            // the least-CVaR neutral book is no book: ask for a return
            o.target_return = Some(0.2);
        }
        if method == Method::EfficientRisk {
            o.target_vol = Some(0.3);
        }
        let a = AllocationSpec::try_from(o)
            .unwrap()
            .allocate(&r, &CovarianceSpec::default(), None)
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        for k in 0..2 {
            let x: f64 = (0..8).map(|i| model.loadings_of(i)[k] * a.weights[i]).sum();
            assert!(x.abs() < 1e-7, "{method}: exposure to factor {k} = {x}");
        }
        let gross: f64 = a.weights.iter().map(|w| w.abs()).sum();
        assert!(gross <= 2.0 + 1e-7 && gross > 0.1, "{method}: gross {gross}");
        assert!(
            a.weights.iter().sum::<f64>().abs() < 1e-7,
            "{method}: not dollar-neutral"
        );
    }
}

#[test]
fn a_tolerance_bounds_the_exposure_instead() {
    let r = reference_returns().select(&coins()).unwrap();
    let c = ConstraintsSpec {
        beta_tolerance: Some(0.2),
        ..long_short("market:BTC")
    };
    let a = spec(Method::MinVariance, c)
        .allocate(&r, &CovarianceSpec::default(), None)
        .unwrap();
    let x = a.beta_neutral.as_ref().unwrap().exposures["BTC"];
    // the minimum-variance book wants beta > 0.2: the limit binds at its upper end
    assert!((x - 0.2).abs() < 1e-7, "{x}");
}

#[test]
fn impossible_neutral_books_say_why() {
    let r = reference_returns().select(&coins()).unwrap();
    let err = |m: Method, c: ConstraintsSpec| {
        AllocationSpec::try_from(AllocationOptions {
            constraints: Some(c),
            ..AllocationOptions::new(m)
        })
        .and_then(|s| s.allocate(&r, &CovarianceSpec::default(), None))
        .unwrap_err()
        .to_string()
    };
    let long_only = ConstraintsSpec {
        beta_neutral: Some("market:BTC".parse().unwrap()),
        ..ConstraintsSpec::default()
    };
    let e = err(Method::MinVariance, long_only.clone());
    assert!(
        e.contains("infeasible") && e.contains("beta-neutral to BTC") && e.contains("allow shorts"),
        "{e}"
    );
    // risk parity under linear constraints (successive convex approximation) says the same
    let e = err(Method::Erc, long_only);
    assert!(e.contains("infeasible") && e.contains("allow shorts"), "{e}");
    let e = err(
        Method::Hrp,
        ConstraintsSpec {
            beta_neutral: Some("market:BTC".parse().unwrap()),
            ..ConstraintsSpec::default()
        },
    );
    assert!(e.contains("solver-based method"), "{e}");
    let e = err(
        Method::MinVariance,
        ConstraintsSpec {
            net_exposure: Some(0.0),
            max_gross: Some(2.0),
            ..long_short("market:BTC")
        },
    );
    assert!(e.contains("holds no position"), "{e}");
    let e = err(
        Method::MinVariance,
        ConstraintsSpec {
            beta_tolerance: Some(0.1),
            ..ConstraintsSpec::default()
        },
    );
    assert!(e.contains("beta_tolerance needs beta_neutral"), "{e}");
    let e = err(Method::MinVariance, long_short("market:NOPE"));
    assert!(e.contains("NOPE"), "{e}");
    let e = err(
        Method::MinVariance,
        ConstraintsSpec {
            beta_tolerance: Some(f64::NAN),
            ..long_short("market:BTC")
        },
    );
    assert!(e.contains("beta_tolerance"), "{e}");
}
