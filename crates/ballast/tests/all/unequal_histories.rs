//! Estimates over unequal histories on a constructed panel whose pairwise covariance is not
//! positive definite: the repair (nearest correlation, variances kept), its report, and the
//! errors for too little overlap; and the checks of the new options.

use ballast::allocate::{
    constrained_risk_budget, AllocationOptions, AllocationSpec, Constraints, Group, Method, RiskBudgeting,
    ScaSettings,
};
use ballast::analysis::WindowRequest;
use ballast::data::PricePanel;
use ballast::estimate::{nearest_correlation, pairwise_estimate, EstimateError};
use ballast::SymMatrix;

/// B every day; A only on days 0–7 with A = B; C from day 4 with C = −B while A trades and
/// C = B after: ρ_AB = 1, ρ_AC = −1, ρ_BC > 0 cannot all hold, so the pairwise matrix is not PSD.
fn panel() -> PricePanel {
    let rb = [
        0.01, -0.02, 0.03, -0.01, 0.02, -0.03, 0.01, 0.02, -0.01, 0.03, -0.02, 0.01,
    ];
    let n = rb.len() + 1;
    let (mut a, mut b, mut c) = (vec![f64::NAN; n], vec![0.0; n], vec![f64::NAN; n]);
    b[0] = 100.0;
    a[0] = 10.0;
    for t in 1..n {
        b[t] = b[t - 1] * (1.0 + rb[t - 1]);
        if t <= 7 {
            a[t] = a[t - 1] * (1.0 + rb[t - 1]);
        }
    }
    c[4] = 5.0;
    for t in 5..n {
        let r = if t <= 7 { -rb[t - 1] } else { rb[t - 1] };
        c[t] = c[t - 1] * (1.0 + r);
    }
    let d0: jiff::civil::Date = "2025-01-01".parse().unwrap();
    let dates = (0..n)
        .map(|i| d0.checked_add(jiff::Span::new().days(i as i64)).unwrap())
        .collect();
    let mut values = Vec::new();
    for t in 0..n {
        values.extend([a[t], b[t], c[t]]);
    }
    PricePanel::new(dates, vec!["A".into(), "B".into(), "C".into()], values).unwrap()
}

#[test]
fn a_pairwise_covariance_that_is_not_psd_is_repaired_and_reported() {
    let w = WindowRequest {
        window: 12,
        ..WindowRequest::default()
    };
    let (_, g) = w.cut_gapped(&panel()).unwrap();
    assert_eq!(g.counts(), vec![7, 12, 8]);
    let est = pairwise_estimate(&g, 3).unwrap();
    let rep = est.report.repair.expect("repaired");
    assert!(rep.min_eigenvalue_before < 0.0);
    assert!(rep.iterations > 0 && rep.frobenius_distance > 0.0);
    assert!(
        est.covariance.repaired.unwrap() < 0.0,
        "the covariance's own smallest eigenvalue"
    );
    est.covariance
        .validate()
        .expect("positive definite after the repair");
    // variances kept: the diagonal is each coin's own sample variance × 365
    for j in 0..3 {
        let r: Vec<f64> = g.column(j).iter().copied().filter(|v| !v.is_nan()).collect();
        let m = r.iter().sum::<f64>() / r.len() as f64;
        let var = r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (r.len() as f64 - 1.0) * 365.0;
        assert!((est.covariance.matrix.get(j, j) - var).abs() < 1e-12 * var);
    }
    // the raw pairwise correlation is kept as it was (HRP may cluster on it)
    assert!((est.correlation.get(0, 1) - 1.0).abs() < 1e-12);
    assert!((est.correlation.get(0, 2) + 1.0).abs() < 1e-12);
    assert_eq!(est.report.min_overlap, 3);
    assert_eq!(est.report.min_overlap_pair, ["A".to_string(), "C".to_string()]);
}

#[test]
fn too_little_overlap_names_the_pair() {
    let w = WindowRequest {
        window: 12,
        ..WindowRequest::default()
    };
    let (_, g) = w.cut_gapped(&panel()).unwrap();
    let e = pairwise_estimate(&g, 4).unwrap_err();
    assert!(
        matches!(
            e,
            EstimateError::TooLittleOverlap {
                overlap: 3,
                needed: 4,
                ..
            }
        ),
        "{e}"
    );
    let m = e.to_string();
    assert!(
        m.contains("A and C have 3 common returns") && m.contains("min_overlap"),
        "{m}"
    );
    assert!(pairwise_estimate(&g, 1).is_err(), "min_overlap < 2 is refused");
}

#[test]
fn nearest_correlation_refuses_what_is_not_a_correlation_matrix() {
    // off-diagonals beyond ±1 are projected onto correlations
    let wide = SymMatrix::from_rows(&[vec![1.0, 1.5], vec![1.5, 1.0]]).unwrap();
    let x = nearest_correlation(&wide, 0.0, 1e-14).unwrap();
    assert!((x.matrix.get(0, 1) - 1.0).abs() < 1e-10, "{}", x.matrix.get(0, 1));
    let diag = SymMatrix::from_rows(&[vec![2.0, 0.5], vec![0.5, 1.0]]).unwrap();
    assert!(matches!(
        nearest_correlation(&diag, 0.0, 1e-12),
        Err(EstimateError::BadCorrelation { .. })
    ));
    let ok = SymMatrix::from_rows(&[vec![1.0, 0.5], vec![0.5, 1.0]]).unwrap();
    assert!(
        nearest_correlation(&ok, 1.0, 1e-12).is_err(),
        "a floor of 1 leaves no correlation matrix but I"
    );
    assert!(nearest_correlation(&ok, 0.0, 0.0).is_err(), "tolerance 0");
    // property: the result is a correlation matrix no farther from C than any other we try
    let c = SymMatrix::from_rows(&[vec![1.0, 0.9, -0.9], vec![0.9, 1.0, 0.9], vec![-0.9, 0.9, 1.0]]).unwrap();
    let x = nearest_correlation(&c, 0.0, 1e-14).unwrap();
    let d = |m: &SymMatrix| -> f64 {
        m.as_slice()
            .iter()
            .zip(c.as_slice())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    };
    assert!((d(&x.matrix) - x.report.frobenius_distance).abs() < 1e-14);
    for k in 0..50 {
        // other correlation matrices: shrink x toward I and perturb within PSD
        let s = k as f64 / 50.0;
        let mut y = x.matrix.clone();
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    y.set_sym(i, j, x.matrix.get(i, j) * (1.0 - s));
                }
            }
        }
        assert!(d(&y) >= x.report.frobenius_distance - 1e-12);
    }
}

#[test]
fn risk_parity_with_constraints_that_exclude_every_portfolio_says_so() {
    let r = ballast::io::read_wide_returns(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/returns.csv"),
        ballast::data::ReturnKind::Simple,
        365.0,
    )
    .unwrap();
    let cov = ballast::estimate::SampleCovariance::default().fit(&r).unwrap();
    let n = cov.dim();
    let mut cons = Constraints::long_only(n);
    cons.upper = vec![0.02; n]; // 39 × 2 % < 100 %
    let b = vec![1.0 / n as f64; n];
    let w0 = RiskBudgeting::erc().weights(&cov).unwrap().weights;
    let e = constrained_risk_budget(&cov, &b, &cons, None, &w0, &ScaSettings::default()).unwrap_err();
    assert!(e.to_string().contains("infeasible"), "{e}");
    let mut cons = Constraints::long_only(n);
    cons.groups.push(Group {
        name: "g".into(),
        members: vec![0, 1],
        lower: 0.5,
        upper: f64::INFINITY,
    });
    let (w, rep) = constrained_risk_budget(&cov, &b, &cons, None, &w0, &ScaSettings::default()).unwrap();
    assert!(w[0] + w[1] >= 0.5 - 1e-8 && rep.converged && rep.max_deviation > 0.01);
}

fn spec(f: impl FnOnce(&mut AllocationOptions)) -> Result<AllocationSpec, String> {
    let mut o = AllocationOptions::new(Method::Erc);
    f(&mut o);
    AllocationSpec::try_from(o).map_err(|e| e.to_string())
}

#[test]
fn new_options_are_refused_where_they_do_nothing() {
    let e = spec(|o| o.target_cvar = Some(0.05)).unwrap_err();
    assert!(
        e.contains("target_cvar is only used with method = efficient-cvar"),
        "{e}"
    );
    let e = spec(|o| o.market = Some("BTC".parse().unwrap())).unwrap_err();
    assert!(e.contains("market is only used with"), "{e}");
    let e = spec(|o| o.market_caps = Some([("BTC".to_string(), 1.0)].into())).unwrap_err();
    assert!(e.contains("market_caps are only used"), "{e}");
    let e = spec(|o| {
        o.method = Method::BlackLitterman;
        o.views = Some(serde_json::from_str(r#"{"BTC": 0.2}"#).unwrap());
        o.prior = Some(ballast::allocate::BlPrior::MarketCaps);
    })
    .unwrap_err();
    assert!(e.contains("needs market caps"), "{e}");
    let e = spec(|o| {
        o.method = Method::EfficientCvar;
    })
    .unwrap_err();
    assert!(e.contains("needs target_cvar"), "{e}");
    let e = spec(|o| {
        o.method = Method::EfficientCvar;
        o.target_cvar = Some(6.0);
    })
    .unwrap_err();
    assert!(e.contains("looks like a percentage"), "{e}");
    let e = spec(|o| o.constraints = Some(toml::from_str("cost = 0.001").unwrap())).unwrap_err();
    assert!(e.contains("no costs or L2"), "{e}");
    assert!(
        spec(|o| o.target_return = Some(0.2)).is_ok(),
        "erc takes a return floor"
    );
}

#[test]
fn erc_stays_erc_whichever_solver_runs() {
    let r = ballast::io::read_wide_returns(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/returns.csv"),
        ballast::data::ReturnKind::Simple,
        365.0,
    )
    .unwrap();
    for floor in [None, Some(0.2)] {
        let s = spec(|o| {
            o.max_weight = Some(0.3);
            o.target_return = floor;
        })
        .unwrap();
        let a = s
            .allocate(&r, &ballast::estimate::CovarianceSpec::default(), None)
            .unwrap();
        assert_eq!(a.method, Method::Erc, "floor {floor:?}");
    }
}

/// A coin with fewer returns than the minimum is named alone (not paired with itself), and a
/// coin that does not move over its overlap with another is named with it.
#[test]
fn short_and_flat_histories_are_named() {
    let w = WindowRequest {
        window: 12,
        ..WindowRequest::default()
    };
    let (_, g) = w.cut_gapped(&panel()).unwrap();
    // A has 7 returns; A–B overlap 7, A–C 3: with 8 asked for, A itself is too short
    let e = pairwise_estimate(&g, 8).unwrap_err();
    assert!(
        matches!(&e, EstimateError::TooShortHistory { asset, count: 7, needed: 8 } if asset == "A"),
        "{e}"
    );
    assert!(e.to_string().starts_with("A has 7 returns"), "{e}");
    // D moves only before C lists: over their overlap D is flat
    let p = panel();
    let n = p.dates().len();
    let d: Vec<f64> = (0..n).map(|t| if t < 4 { 1.0 + t as f64 } else { 4.0 }).collect();
    let mut values = Vec::new();
    for t in 0..n {
        values.extend((0..3).map(|j| p.value(t, j)));
        values.push(d[t]);
    }
    let q = PricePanel::new(
        p.dates().to_vec(),
        vec!["A".into(), "B".into(), "C".into(), "D".into()],
        values,
    )
    .unwrap();
    let (_, g) = w.cut_gapped(&q).unwrap();
    let e = pairwise_estimate(&g, 3).unwrap_err().to_string();
    assert!(e.contains("D does not move over its"), "{e}");
}

/// efficient-cvar with a target that does not bind reports the weights' own VaR and CVaR;
/// HRP refuses a clustering correlation of the wrong size; SCA refuses a short μ and settings
/// out of range.
#[test]
fn loose_targets_and_mis_sized_inputs() {
    let r = ballast::io::read_wide_returns(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/returns.csv"),
        ballast::data::ReturnKind::Simple,
        365.0,
    )
    .unwrap();
    let n = r.n_assets();
    let cons = Constraints::long_only(n);
    let mu = ballast::estimate::historical_mean(&r).unwrap();
    let p = ballast::allocate::efficient_cvar(&r, &cons, 0.95, &mu, 0.9).unwrap();
    let port = r.portfolio(&p.weights);
    let cvar = ballast::risk::historical_cvar(&port, 0.95).unwrap();
    let var = ballast::risk::historical_var(&port, 0.95).unwrap();
    assert!(p.cvar < 0.9 && (p.cvar - cvar).abs() < 1e-12 && (p.var - var).abs() < 1e-12);

    let cov = ballast::estimate::SampleCovariance::default().fit(&r).unwrap();
    let mut small = SymMatrix::zeros(3);
    for i in 0..3 {
        small.set_sym(i, i, 1.0);
    }
    let cfg = ballast::allocate::HrpConfig {
        correlation: Some(small),
        ..Default::default()
    };
    let e = ballast::allocate::hrp_with(&cov, &cfg).unwrap_err().to_string();
    assert!(e.contains(&format!("3×3 for {n} assets")), "{e}");

    let b = vec![1.0 / n as f64; n];
    let w0 = vec![1.0 / n as f64; n];
    let short = vec![0.1; n - 1];
    let e = constrained_risk_budget(&cov, &b, &cons, Some((&short, 0.1)), &w0, &ScaSettings::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected returns"), "{e}");
    for s in [
        ScaSettings {
            gamma: 1.5,
            ..Default::default()
        },
        ScaSettings {
            max_iterations: 0,
            ..Default::default()
        },
        ScaSettings {
            tau: f64::NAN,
            ..Default::default()
        },
    ] {
        assert!(
            constrained_risk_budget(&cov, &b, &cons, None, &w0, &s).is_err(),
            "{s:?}"
        );
    }
}
