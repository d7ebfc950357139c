//! Factor models against `shared/reference/factor.json` (statsmodels OLS, scikit-learn PCA,
//! Riskfolio-Lib `loadings_matrix`, skfolio `TimeSeriesFactorModel`) on `returns.csv`.
//! Tolerance 1e-10 of each vector's largest entry (BTC regressed on itself has a residual of
//! ~1e-35, which no relative measure can compare).

use crate::common::*;
use ballast::estimate::{BetaAdjustment, FactorModel, FactorModelSpec, FittedFactorModel, ResidualDdof};
use serde_json::Value;

const TOL: f64 = 1e-10;

/// max |a − b| ÷ max |b|; NaN if any entry is NaN.
fn scaled_err(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    max_abs(a, b) / scale
}

fn check(name: &str, got: &[f64], want: &[f64]) {
    let e = scaled_err(got, want);
    assert!(e <= TOL, "{name}: error {e:.2e} of the largest entry > {TOL:.0e}");
}

fn section(name: &str) -> Value {
    json("factor.json")["sections"][name].clone()
}

fn fit(spec: &str, ddof: ResidualDdof) -> FittedFactorModel {
    let r = reference_returns();
    let model = FactorModel {
        residual_ddof: ddof,
        ..FactorModel::new(spec.parse::<FactorModelSpec>().unwrap())
    };
    model.fit(&r).unwrap()
}

fn per_asset(sec: &Value, assets: &[String], key: &str) -> Vec<f64> {
    assets
        .iter()
        .map(|a| f(&sec["per_asset"][a.as_str()][key]))
        .collect()
}

fn check_market(spec: &str, key: &str) {
    let sec = section(key);
    let m = fit(spec, ResidualDdof::Regression);
    let a = &m.assets;
    assert_eq!(m.loadings.len(), a.len());
    check(&format!("{spec} beta"), &m.loadings, &per_asset(&sec, a, "beta"));
    check(
        &format!("{spec} alpha"),
        m.alpha.as_deref().unwrap(),
        &per_asset(&sec, a, "alpha_daily"),
    );
    check(&format!("{spec} R²"), &m.r_squared, &per_asset(&sec, a, "r2"));
    check(
        &format!("{spec} residual T-2"),
        &m.residual_variance,
        &per_asset(&sec, a, "resid_var_daily"),
    );
    assert_eq!(m.ddof, Some(2));
    check(
        &format!("{spec} single-index covariance"),
        m.covariance.matrix.as_slice(),
        matrix(&sec["single_index_cov_annual"]).as_slice(),
    );
    assert_rel(
        "σ²_m",
        m.factor_covariance.get(0, 0) / 365.0,
        f(&sec["sigma2_m_daily_ddof1"]),
        TOL,
    );
    let s = fit(spec, ResidualDdof::Sample);
    check(
        &format!("{spec} residual T-1"),
        &s.residual_variance,
        &per_asset(&sec, a, "resid_var_daily_ddof1"),
    );
    check(
        &format!("{spec} single-index covariance, residual T-1"),
        s.covariance.matrix.as_slice(),
        matrix(&sec["single_index_cov_annual_resid_ddof1"]).as_slice(),
    );
}

#[test]
fn market_model_on_btc_matches_statsmodels() {
    check_market("market:BTC", "market_model_btc");
}

#[test]
fn market_model_on_the_equal_weight_index_matches_statsmodels() {
    check_market("market:equal-weight", "market_model_equal_weight");
}

#[test]
fn pca_matches_numpy_and_sklearn() {
    let sec = section("pca");
    let m = fit("pca:3", ResidualDdof::Sample);
    let eig: Vec<f64> = sec["eigenvalues_all_annual"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    check("eigenvalues", m.eigenvalues.as_deref().unwrap(), &eig);
    let ratio: Vec<f64> = sec["explained_variance_ratio_top5"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    check(
        "explained variance",
        &m.explained_variance_ratio.as_deref().unwrap()[..5],
        &ratio,
    );
    let five = fit("pca:5", ResidualDdof::Sample);
    check(
        "eigenvectors with the sign rule",
        &five.loadings,
        matrix_rect(&sec["eigenvectors_top5"]).as_slice(),
    );
    check(
        "3-factor covariance",
        m.covariance.matrix.as_slice(),
        matrix(&sec["three_factor_cov_annual"]).as_slice(),
    );
    let resid: Vec<f64> = m
        .assets
        .iter()
        .map(|a| f(&sec["three_factor_residual_variances_annual"][a.as_str()]))
        .collect();
    let got: Vec<f64> = m.residual_variance.iter().map(|x| x * 365.0).collect();
    check("3-factor residual variances", &got, &resid);
    // by explained variance: 0.68 needs three components, 0.69 four
    assert_eq!(fit("pca:0.68", ResidualDdof::Sample).n_factors(), 3);
    assert_eq!(fit("pca:0.69", ResidualDdof::Sample).n_factors(), 4);
}

fn matrix_rect(v: &Value) -> Vec<f64> {
    v["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(f).collect::<Vec<_>>())
        .collect()
}

#[test]
fn explicit_factors_match_skfolio_and_riskfolio() {
    let sec = section("skfolio")["linear_regression"].clone();
    let m = fit("explicit:BTC,ETH", ResidualDdof::Sample);
    check("skfolio loadings", &m.loadings, &matrix_rect(&sec["loadings"]));
    let a = &m.assets;
    let intercepts: Vec<f64> = a
        .iter()
        .map(|x| f(&sec["intercepts_daily"][x.as_str()]))
        .collect();
    check("skfolio intercepts", m.alpha.as_deref().unwrap(), &intercepts);
    let idio: Vec<f64> = a
        .iter()
        .map(|x| f(&sec["idio_variances_daily_ddof1"][x.as_str()]))
        .collect();
    check("skfolio idiosyncratic variances", &m.residual_variance, &idio);
    check(
        "skfolio prior covariance",
        m.covariance.per_period().as_slice(),
        matrix(&sec["prior_covariance_daily"]).as_slice(),
    );
    // Riskfolio's loadings_matrix: [const, BTC, ETH] per coin
    let rf = section("riskfolio")["loadings_matrix"].clone();
    let want = matrix_rect(&rf);
    let got: Vec<f64> = (0..a.len())
        .flat_map(|i| {
            let l = m.loadings_of(i);
            [m.alpha.as_ref().unwrap()[i], l[0], l[1]]
        })
        .collect();
    check("Riskfolio loadings_matrix", &got, &want);
}

#[test]
fn factor_model_properties() {
    let r = reference_returns();
    // a coin regressed on itself: beta 1, R² 1, no residual
    let m = fit("market:BTC", ResidualDdof::Sample);
    assert!((m.loadings[0] - 1.0).abs() < 1e-12 && (m.r_squared[0] - 1.0).abs() < 1e-12);
    // the T-1 residual makes the diagonal equal the sample variances (every model)
    let sample = ballast::estimate::SampleCovariance::default().fit(&r).unwrap();
    for spec in [
        "market:BTC",
        "market:equal-weight",
        "explicit:BTC,ETH,SOL",
        "pca:4",
    ] {
        let m = fit(spec, ResidualDdof::Sample);
        check(
            &format!("{spec} diagonal"),
            &m.covariance.matrix.diagonal(),
            &sample.matrix.diagonal(),
        );
        assert!(m.covariance.matrix.is_positive_definite(), "{spec}");
        assert!(
            m.r_squared.iter().all(|x| (-1e-12..=1.0 + 1e-12).contains(x)),
            "{spec}"
        );
    }
    // Blume pulls every beta toward 1; Vasicek toward the cross-sectional mean
    let raw = fit("market:BTC", ResidualDdof::Sample);
    let blume = FactorModel {
        beta_adjustment: BetaAdjustment::Blume,
        ..FactorModel::new("market:BTC".parse().unwrap())
    }
    .fit(&r)
    .unwrap();
    for (b, a) in raw.loadings.iter().zip(&blume.loadings) {
        assert!((a - (0.67 * b + 0.33)).abs() < 1e-15);
    }
    let vas = FactorModel {
        beta_adjustment: BetaAdjustment::Vasicek,
        ..FactorModel::new("market:BTC".parse().unwrap())
    }
    .fit(&r)
    .unwrap();
    let mean = raw.loadings.iter().sum::<f64>() / raw.loadings.len() as f64;
    for (b, v) in raw.loadings.iter().zip(&vas.loadings) {
        assert!((v - mean).abs() <= (b - mean).abs() + 1e-15);
    }
    // exponential weights with a very long half-life converge to the equal-weight fit
    let long = FactorModel {
        half_life: Some(1e5),
        ..FactorModel::new("market:BTC".parse().unwrap())
    }
    .fit(&r)
    .unwrap();
    assert!(scaled_err(&long.loadings, &raw.loadings) < 1e-3);
    let short = FactorModel {
        half_life: Some(30.0),
        ..FactorModel::new("market:BTC".parse().unwrap())
    }
    .fit(&r)
    .unwrap();
    assert!(scaled_err(&short.loadings, &raw.loadings) > 1e-3);
}

#[test]
fn bad_factor_models_are_clear_errors() {
    let r = reference_returns();
    let err = |spec: &str| -> String {
        match spec.parse::<FactorModelSpec>() {
            Err(e) => e.to_string(),
            Ok(s) => FactorModel::new(s).fit(&r).unwrap_err().to_string(),
        }
    };
    assert!(err("market:DOGX").contains("'DOGX' is neither a coin"));
    assert!(err("pca:0").contains("between 1 and"));
    assert!(err("pca:1.5").contains("pca:K"));
    assert!(err("pca:80").contains("at most 39"));
    assert!(err("beta:BTC").contains("not one of"));
    assert!(err("explicit:BTC,BTC").contains("twice"));
    assert!(err("market:BTC,ETH").contains("explicit:BTC,ETH"));
    let few = r.select(&["BTC".to_string(), "ETH".to_string()]).unwrap();
    let e = FactorModel::new("explicit:BTC,ETH,SOL".parse().unwrap())
        .fit(&few)
        .unwrap_err();
    assert!(e.to_string().contains("'SOL' is neither"), "{e}");
    let e = FactorModel {
        beta_adjustment: BetaAdjustment::Blume,
        ..FactorModel::new("pca:2".parse().unwrap())
    }
    .fit(&r)
    .unwrap_err();
    assert!(e.to_string().contains("only used with the market model"), "{e}");
    let e = FactorModel {
        half_life: Some(0.0),
        ..FactorModel::new("market:BTC".parse().unwrap())
    }
    .fit(&r)
    .unwrap_err();
    assert!(e.to_string().contains("half_life"), "{e}");
}
