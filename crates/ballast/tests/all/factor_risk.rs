//! Factor risk contributions and factor risk budgeting against Riskfolio-Lib
//! (`shared/reference/factor.json`, section `riskfolio`), and their identities.

use crate::common::*;
use ballast::allocate::{AllocationOptions, AllocationSpec, FactorRiskBudgeting, Method, WeightBounds};
use ballast::estimate::{CovarianceSpec, FactorModel, SampleCovariance};
use ballast::risk::factor_risk;
use serde_json::Value;

fn riskfolio() -> Value {
    json("factor.json")["sections"]["riskfolio"].clone()
}

fn model(
    spec: &str,
) -> (
    ballast::estimate::FittedFactorModel,
    ballast::estimate::Covariance,
) {
    let r = reference_returns();
    let m = FactorModel::new(spec.parse().unwrap()).fit(&r).unwrap();
    (m, SampleCovariance::default().fit(&r).unwrap())
}

#[test]
fn factor_risk_contributions_match_riskfolio_for_equal_weights() {
    let (m, cov) = model("explicit:BTC,ETH");
    let n = m.assets.len();
    let fr = factor_risk(&m, &cov.matrix, &vec![1.0 / n as f64; n], Some(1e6)).unwrap();
    let sec = &riskfolio()["equal_weight_factor_risk_contributions"];
    let want = &sec["harness_exact_gradient_vol_daily"];
    let d = 365f64.sqrt();
    assert_rel("RC BTC", fr.risk_contributions[0] / d, f(&want["BTC"]), 1e-10);
    assert_rel("RC ETH", fr.risk_contributions[1] / d, f(&want["ETH"]), 1e-10);
    assert_rel(
        "RC other",
        fr.residual_risk_contribution / d,
        f(&want["other"]),
        1e-9,
    );
    assert_rel("σ", fr.volatility / d, f(&sec["portfolio_vol_daily"]), 1e-12);
    // Riskfolio's own numbers (finite-difference gradient) to its step's accuracy
    let rf = &sec["riskfolio_rc_relative"];
    let rel = fr.relative_contributions();
    for (k, name) in ["BTC", "ETH", "other"].iter().enumerate() {
        assert!(
            (rel[k] - f(&rf[*name])).abs() < 1e-9,
            "{name}: {} vs {}",
            rel[k],
            f(&rf[*name])
        );
    }
    // identities: contributions sum to σ; systematic + idiosyncratic = model variance
    let total: f64 = fr.risk_contributions.iter().sum::<f64>() + fr.residual_risk_contribution;
    assert!((total - fr.volatility).abs() < 1e-14);
    let sys: f64 = fr.systematic_variance.iter().sum();
    assert!((sys + fr.idiosyncratic_variance - fr.model_volatility.powi(2)).abs() < 1e-14);
    let w = vec![1.0 / n as f64; n];
    assert!((m.covariance.matrix.quad_form(&w) - fr.model_volatility.powi(2)).abs() < 1e-14);
    assert_eq!(fr.dollar_exposures.as_ref().unwrap()[0], fr.exposures[0] * 1e6);
}

#[test]
fn any_sign_factor_risk_parity_matches_riskfolio_fc() {
    let (m, cov) = model("explicit:BTC,ETH");
    let a = FactorRiskBudgeting {
        long_only: false,
        ..FactorRiskBudgeting::default()
    }
    .weights(&m, &cov)
    .unwrap();
    let sec = &riskfolio()["risk_parity_over_factors_rp_optimization_FC"];
    let exact = weights_in_order(&sec["harness_exact"]["weights"], &m.assets);
    let e = max_abs(&a.weights, &exact);
    assert!(e < 1e-9, "weights vs the exact solution: {e:.2e}");
    let rf = weights_in_order(&sec["weights"], &m.assets);
    assert!(
        max_abs(&a.weights, &rf) < 1e-6,
        "vs Riskfolio's CLARABEL solution"
    );
    assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-14);
    assert!(
        a.weights.iter().any(|w| *w < 0.0),
        "the FC solution shorts ETH, ETC, AAVE, SNX, YFI"
    );
    let fr = factor_risk(&m, &cov.matrix, &a.weights, None).unwrap();
    let rel = fr.relative_contributions();
    assert!(
        (rel[0] - 0.5).abs() < 1e-10 && (rel[1] - 0.5).abs() < 1e-10,
        "{rel:?}"
    );
    assert!(rel[2].abs() < 1e-12, "no residual risk in the span of B");
}

#[test]
fn long_only_factor_risk_parity_meets_its_budgets() {
    let (m, cov) = model("explicit:BTC,ETH");
    // factors 50/50 of the systematic part, residual free
    let a = FactorRiskBudgeting::default().weights(&m, &cov).unwrap();
    assert!(a.solver.unwrap().converged, "{:?}", a.solver);
    assert!(a.weights.iter().all(|w| *w >= -1e-12));
    assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let rel = factor_risk(&m, &cov.matrix, &a.weights, None)
        .unwrap()
        .relative_contributions();
    assert!(((rel[0] / (rel[0] + rel[1])) - 0.5).abs() < 1e-8, "{rel:?}");
    // three budget lines: BTC 40 %, ETH 40 %, residual 20 % of σ, under a 15 % cap
    let b = FactorRiskBudgeting {
        budgets: Some(vec![0.4, 0.4]),
        residual: Some(0.2),
        bounds: Some(WeightBounds::uniform(m.assets.len(), 0.0, 0.15)),
        ..FactorRiskBudgeting::default()
    }
    .weights(&m, &cov)
    .unwrap();
    let rel = factor_risk(&m, &cov.matrix, &b.weights, None)
        .unwrap()
        .relative_contributions();
    assert!(b.solver.unwrap().converged, "{:?} {rel:?}", b.solver);
    for (got, want) in rel.iter().zip([0.4, 0.4, 0.2]) {
        assert!((got - want).abs() < 1e-8, "{rel:?}");
    }
    assert!(b.weights.iter().all(|w| *w <= 0.15 + 1e-9 && *w >= -1e-12));
}

#[test]
fn factor_risk_parity_runs_through_the_pipeline_and_refuses_bad_requests() {
    let r = reference_returns();
    let opts = |f: &str| AllocationOptions {
        factors: Some(f.parse().unwrap()),
        ..AllocationOptions::new(Method::FactorRiskParity)
    };
    let spec = AllocationSpec::try_from(opts("explicit:BTC,ETH,SOL")).unwrap();
    let a = spec.allocate(&r, &CovarianceSpec::default(), None).unwrap();
    let json = serde_json::to_value(&a).unwrap();
    assert!(a.solver.unwrap().converged);
    assert_eq!(json["factor_model"], "explicit:BTC,ETH,SOL");
    let rc = &json["factor_risk_contributions"];
    let parts: Vec<f64> = ["BTC", "ETH", "SOL"].iter().map(|k| f(&rc[*k])).collect();
    let sys: f64 = parts.iter().sum();
    assert!(
        parts.iter().all(|p| (p / sys - 1.0 / 3.0).abs() < 1e-8),
        "{parts:?}"
    );
    // long-only weights cannot carry PC2 and PC3 risk equal to the market's (λ1 is 14× λ2):
    // an error that says how close they get
    let e = AllocationSpec::try_from(opts("pca:3"))
        .unwrap()
        .allocate(&r, &CovarianceSpec::default(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the closest one reached (PC1") && e.contains("long_only = false"),
        "{e}"
    );
    let any = AllocationSpec::try_from(AllocationOptions {
        long_only: Some(false),
        ..opts("pca:3")
    })
    .unwrap()
    .allocate(&r, &CovarianceSpec::default(), None)
    .unwrap();
    let rel = &serde_json::to_value(&any).unwrap()["factor_risk_contributions"];
    assert!((f(&rel["PC2"]) - 1.0 / 3.0).abs() < 1e-9, "{rel}");
    let err = |o: AllocationOptions| AllocationSpec::try_from(o).unwrap_err().to_string();
    assert!(err(AllocationOptions::new(Method::FactorRiskParity)).contains("needs factors"));
    let mut o = opts("explicit:BTC,ETH");
    o.factor_budgets = Some([("BTC".into(), 0.5), ("SOL".into(), 0.5)].into());
    assert!(err(o).contains("'SOL' is not a factor"));
    let mut o = opts("explicit:BTC,ETH");
    o.factor_budgets = Some([("BTC".into(), 0.5), ("ETH".into(), 0.6)].into());
    assert!(err(o).contains("sum to 1.1"));
    let mut o = opts("explicit:BTC,ETH");
    o.long_only = Some(false);
    o.max_weight = Some(0.2);
    assert!(err(o).contains("long_only = true"));
    let mut o = AllocationOptions::new(Method::Erc);
    o.factors = Some("pca:2".parse().unwrap());
    assert!(err(o).contains("only used with method = factor-risk-parity"));
}

#[test]
fn rolling_betas_are_the_fits_of_each_window() {
    let r = reference_returns();
    let model = FactorModel::new("explicit:BTC,ETH".parse().unwrap());
    let (window, step) = (120, 50);
    let rb = model.rolling(&r, None, window, step).unwrap();
    let t = r.n_periods();
    assert_eq!(rb.dates.len(), (t - window) / step + 1);
    assert_eq!(*rb.dates.last().unwrap(), *r.dates().last().unwrap());
    // every fit is the model fitted on its own window
    for (d, date) in rb.dates.iter().enumerate() {
        let end = r.dates().iter().position(|x| x == date).unwrap() + 1;
        let fit = model.fit(&r.periods(end - window..end).unwrap()).unwrap();
        for i in [0, 5, 20] {
            for k in 0..2 {
                assert_eq!(rb.series(i, k)[d], fit.loadings_of(i)[k]);
            }
        }
    }
    // a book's exposure is Σ w β at every date
    let n = rb.assets.len();
    let w: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 0.1 } else { 0.0 }).collect();
    let e = rb.exposures(&w).unwrap();
    for d in 0..rb.dates.len() {
        let want: f64 = (0..n).map(|i| w[i] * rb.series(i, 1)[d]).sum();
        assert!((e[1][d] - want).abs() < 1e-15);
    }
    let json = serde_json::to_value(&rb).unwrap();
    assert_eq!(
        json["betas"]["SOL"]["ETH"].as_array().unwrap().len(),
        rb.dates.len()
    );
    // bad requests
    let err = |w: usize, s: usize, m: &str| {
        FactorModel::new(m.parse().unwrap())
            .rolling(&r, None, w, s)
            .unwrap_err()
            .to_string()
    };
    assert!(err(2, 1, "market:BTC").contains("between 3"));
    assert!(err(t + 1, 1, "market:BTC").contains("between 3"));
    assert!(err(90, 0, "market:BTC").contains("step"));
    assert!(err(90, 1, "pca:0.8").contains("number of components"));
    assert!(rb.exposures(&[0.5]).is_err());
}

#[test]
fn rolling_principal_components_keep_their_sign() {
    let r = reference_returns();
    let rb = FactorModel::new("pca:2".parse().unwrap())
        .rolling(&r, None, 90, 1)
        .unwrap();
    let (n, k) = (rb.assets.len(), 2);
    for d in 1..rb.dates.len() {
        for f in 0..k {
            let dot: f64 = (0..n)
                .map(|i| rb.betas[(d * n + i) * k + f] * rb.betas[((d - 1) * n + i) * k + f])
                .sum();
            assert!(dot > 0.0, "PC{} flips on {}", f + 1, rb.dates[d]);
        }
    }
}
