//! What users of the Python peers look for, against `tests/peers/python_gaps.json` (made by
//! `scripts/peers_python_gaps.sh` in a throwaway venv; conventions in `tests/peers/README.md`):
//! pairwise-complete covariance and own-history means over unequal histories (pandas,
//! PyPortfolioOpt), HRP clustered on the pairwise correlation (`HRPOpt`), the nearest
//! correlation matrix (Higham 2002), geometric and CAPM expected returns, market-implied risk
//! aversion and market-cap / zero / estimator priors for Black–Litterman, mean-CVaR at a risk
//! target (`EfficientCVaR.efficient_risk`) and risk parity under linear constraints
//! (riskparityportfolio's successive convex approximation). Peers use `frequency=365` here, so
//! no 252-day bridge is needed.

use crate::common::*;
use ballast::allocate::{
    constrained_risk_budget, efficient_cvar, min_cvar, AllocationOptions, AllocationSpec, Constraints, Group,
    Method, MethodDetails, RiskAversion, RiskBudgeting, ScaSettings,
};
use ballast::analysis::{optimize, WindowRequest};
use ballast::estimate::{
    capm_returns, geometric_mean, historical_mean, market_implied_risk_aversion, market_returns,
    nearest_correlation, own_history_means, pairwise_estimate, CovarianceSpec, History, MarketIndex,
    SampleCovariance,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn peers() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/python_gaps.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("python_gaps.json")).unwrap()
}

fn in_order(v: &Value, assets: &[String]) -> Vec<f64> {
    weights_in_order(v, assets)
}

fn caps() -> BTreeMap<String, f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/market_caps.csv");
    ballast::io::read_market_caps(path).unwrap()
}

fn rows_of(m: &ballast::SymMatrix) -> Vec<f64> {
    m.as_slice().to_vec()
}

#[test]
fn pairwise_covariance_and_means_match_pandas_and_pypfopt() {
    let refs = peers();
    let panel = daily_prices();
    for l in [730usize, 1095] {
        let r = &refs["pairwise"][l.to_string()];
        let window = WindowRequest {
            window: l,
            ..WindowRequest::default()
        };
        let (info, g) = window.cut_gapped(&panel).unwrap();
        assert_eq!(
            info.first_return.to_string(),
            r["dates"]["first"].as_str().unwrap()
        );
        assert_eq!(info.last_return.to_string(), r["dates"]["last"].as_str().unwrap());
        let assets: Vec<String> = r["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().into())
            .collect();
        assert_eq!(
            g.assets(),
            assets.as_slice(),
            "{l}: every coin kept, in file order"
        );
        let counts = g.counts();
        for (a, c) in assets.iter().zip(&counts) {
            assert_eq!(
                *c as u64,
                r["counts"][a.as_str()].as_u64().unwrap(),
                "{l}: count of {a}"
            );
        }
        let est = pairwise_estimate(&g, 60).unwrap();
        assert!(
            est.report.repair.is_none(),
            "{l}: the pairwise covariance is positive definite here"
        );
        assert_eq!(
            est.report.min_overlap as u64,
            r["min_overlap"]["count"].as_u64().unwrap()
        );
        assert!(est.report.min_overlap_pair.contains(&"MATIC".to_string()));
        let want = matrix(&r["cov_pairwise_annual"]);
        let err = max_rel(&rows_of(&est.covariance.matrix), &rows_of(&want));
        assert!(err < 1e-11, "{l}: pairwise covariance vs pandas, rel {err:e}");
        let want = matrix(&r["pypfopt_sample_cov"]);
        assert!(max_rel(&rows_of(&est.covariance.matrix), &rows_of(&want)) < 1e-11);
        let want = matrix(&r["corr_pairwise"]);
        let err = max_abs(&rows_of(&est.correlation), &rows_of(&want));
        assert!(err < 1e-13, "{l}: pairwise correlation vs pandas, abs {err:e}");
        for (key, geometric) in [("mean_arithmetic", false), ("mean_geometric", true)] {
            let got = own_history_means(&g, geometric);
            let err = max_rel(&got, &in_order(&r[key], &assets));
            assert!(err < 1e-11, "{l} {key}: rel {err:e}");
        }
    }
}

#[test]
fn hrp_on_pairwise_correlation_matches_hrpopt() {
    let refs = peers();
    let panel = daily_prices();
    for (name, link) in [("single", "single"), ("ward", "ward")] {
        let r = &refs["pairwise"]["730"]["hrp"][name];
        let mut o = AllocationOptions::new(Method::Hrp);
        o.linkage = Some(serde_json::from_value(Value::String(link.into())).unwrap());
        o.hrp_correlation = Some(ballast::allocate::HrpCorrelation::Pairwise);
        let spec = AllocationSpec::try_from(o).unwrap();
        let cov = CovarianceSpec {
            history: History::Pairwise,
            ..CovarianceSpec::default()
        };
        let rep = optimize(&panel, &WindowRequest::default(), &cov, &spec).unwrap();
        let a = &rep.allocation;
        let err = max_abs(&a.weights, &in_order(&r["weights"], &a.assets));
        assert!(err < 1e-12, "{name}: HRP weights vs HRPOpt, abs {err:e}");
        let order: Vec<&str> = r["leaf_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let got = &a.hierarchy.as_ref().unwrap().leaf_order;
        assert_eq!(got, &order, "{name}: leaf order");
        assert_eq!(a.pairwise.as_ref().unwrap().min_overlap, 144);
    }
}

#[test]
fn nearest_correlation_matches_higham_and_the_sdp() {
    let refs = peers();
    let nc = &refs["nearest_correlation"];
    let c = matrix(&refs["pairwise"]["730"]["corr_pairwise"]);
    for (key, delta) in [("delta_0", 0.0), ("delta_1e-8", 1e-8)] {
        let got = nearest_correlation(&c, delta, 1e-14).unwrap();
        let h = &nc[key]["harness_higham"];
        let err = max_abs(&rows_of(&got.matrix), &rows_of(&matrix(&h["matrix"])));
        assert!(err < 1e-11, "{key}: vs Higham harness, abs {err:e}");
        assert_rel(
            key,
            got.report.frobenius_distance,
            f(&h["frobenius_distance"]),
            1e-11,
        );
        // the convex program's optimum, solved independently (Clarabel SDP, ~3e-9)
        let sdp = f(&nc[key]["cvxpy_sdp"]["frobenius_distance"]);
        assert!(
            (got.report.frobenius_distance - sdp).abs() < 1e-8,
            "{key}: vs SDP"
        );
        let eig = got.matrix.eigenvalues().unwrap();
        assert!(eig[0] >= delta - 1e-12, "{key}: smallest eigenvalue {}", eig[0]);
        assert!((0..c.dim()).all(|i| got.matrix.get(i, i) == 1.0));
        assert_rel(
            "min eigenvalue before",
            got.report.min_eigenvalue_before,
            -0.11065582784438695,
            1e-9,
        );
    }
    // already a correlation matrix: returned unchanged, no iteration
    let good = matrix(&refs["nearest_correlation"]["delta_0"]["harness_higham"]["matrix"]);
    let pd = nearest_correlation(
        &good.eigenvalue_floor(1e-6).unwrap().to_correlation().unwrap(),
        0.0,
        1e-14,
    )
    .unwrap();
    assert_eq!(pd.report.iterations, 0);
    assert_eq!(pd.report.frobenius_distance, 0.0);
    // statsmodels' corr_nearest (same projections, its own stopping rule) agrees
    let sm = f(&nc["statsmodels"]["frobenius_distance"]);
    assert!(
        (nearest_correlation(&c, 0.0, 1e-14)
            .unwrap()
            .report
            .frobenius_distance
            - sm)
            .abs()
            < 1e-12
    );
}

#[test]
fn geometric_means_match_mean_historical_return_compounding() {
    let refs = peers();
    let r = reference_returns();
    let got = geometric_mean(&r).unwrap();
    let err = max_rel(
        &got,
        &in_order(&refs["geometric_mean"]["compounding"], r.assets()),
    );
    assert!(err < 1e-12, "geometric: rel {err:e}");
    let got = historical_mean(&r).unwrap();
    assert!(max_rel(&got, &in_order(&refs["geometric_mean"]["arithmetic"], r.assets())) < 1e-12);
    // the volatility drag: geometric ≤ compounded arithmetic
    let g = geometric_mean(&r).unwrap();
    assert!(g.iter().zip(&got).all(|(g, a)| *g <= a.exp_m1() + 1e-12));
}

#[test]
fn capm_matches_pypfopt_for_each_market() {
    let refs = peers();
    let r = reference_returns();
    let caps = caps();
    let rf = f(&refs["capm"]["risk_free_rate"]);
    for (key, market, compounding) in [
        ("btc_compounding", MarketIndex::Asset("BTC".into()), true),
        ("btc_arithmetic", MarketIndex::Asset("BTC".into()), false),
        ("equal_weight_compounding", MarketIndex::EqualWeight, true),
        ("cap_weighted_compounding", MarketIndex::CapWeighted, true),
    ] {
        let want = &refs["capm"][key];
        let m = market_returns(&r, &market, Some(&caps)).unwrap();
        let got = capm_returns(&r, &m, rf, compounding).unwrap();
        assert_rel(key, got.market_return, f(&want["market_expected_return"]), 1e-12);
        let err = max_rel(&got.betas, &in_order(&want["betas"], r.assets()));
        assert!(err < 1e-11, "{key}: betas rel {err:e}");
        let err = max_abs(&got.expected, &in_order(&want["expected_returns"], r.assets()));
        assert!(err < 1e-13, "{key}: expected returns abs {err:e}");
    }
    let mut no_cap = caps.clone();
    no_cap.remove("SOL");
    let e = market_returns(&r, &MarketIndex::CapWeighted, Some(&no_cap))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no entry for SOL"), "{e}");
}

fn bl_spec(prior: &str, delta: Option<RiskAversion>, rf: f64, mu: Option<&str>) -> AllocationSpec {
    let mut o = AllocationOptions::new(Method::BlackLitterman);
    o.views = Some(serde_json::from_value(serde_json::json!({"BTC": 0.2, "ETH-SOL": 0.1})).unwrap());
    o.prior = Some(serde_json::from_value(Value::String(prior.into())).unwrap());
    o.risk_aversion = delta;
    o.risk_free = Some(rf);
    o.mu = mu.map(|m| serde_json::from_value(Value::String(m.into())).unwrap());
    if prior == "market-caps" {
        o.market_caps = Some(caps());
    }
    AllocationSpec::try_from(o).unwrap()
}

#[test]
fn market_implied_risk_aversion_and_bl_priors_match_pypfopt() {
    let refs = peers();
    let bl = &refs["black_litterman"];
    let r = reference_returns();
    let btc = market_returns(&r, &MarketIndex::Asset("BTC".into()), None).unwrap();
    let idx = market_returns(&r, &MarketIndex::CapWeighted, Some(&caps())).unwrap();
    for (rf, key) in [(0.0, "rf_0"), (0.03, "rf_0.03")] {
        assert_rel(
            "δ BTC",
            market_implied_risk_aversion(&btc, 365.0, rf).unwrap(),
            f(&bl["delta_btc"][key]),
            1e-12,
        );
        assert_rel(
            "δ cap index",
            market_implied_risk_aversion(&idx, 365.0, rf).unwrap(),
            f(&bl["delta_cap_index"][key]),
            1e-12,
        );
    }
    let sample = CovarianceSpec::default();
    for (case, spec) in [
        (
            "market_caps",
            bl_spec("market-caps", Some(RiskAversion::MarketImplied), 0.0, None),
        ),
        (
            "market_caps_rf",
            bl_spec("market-caps", Some(RiskAversion::MarketImplied), 0.03, None),
        ),
        ("zero_prior", bl_spec("zero", None, 0.0, None)),
        ("geometric_prior", bl_spec("mu", None, 0.0, Some("geometric"))),
    ] {
        let want = &bl["cases"][case];
        let a = spec.allocate(&r, &sample, None).unwrap();
        let MethodDetails::BlackLitterman {
            prior,
            posterior,
            unconstrained,
            risk_aversion,
            posterior_covariance,
            ..
        } = &a.details
        else {
            panic!("{case}: no Black-Litterman details")
        };
        assert_rel(case, *risk_aversion, f(&want["delta"]), 1e-12);
        let assets = &a.assets;
        let pi = in_order(&want["pi"], assets);
        assert!(max_abs(prior, &pi) < 1e-13, "{case}: prior");
        let err = max_abs(posterior, &in_order(&want["posterior_returns"], assets));
        assert!(err < 1e-12, "{case}: posterior returns abs {err:e}");
        let err = max_abs(unconstrained, &in_order(&want["bl_weights"], assets));
        assert!(err < 1e-9, "{case}: bl_weights abs {err:e}");
        let flat: Vec<f64> = posterior_covariance.matrix.concat();
        let err = max_rel(&flat, &rows_of(&matrix(&bl["posterior_cov"])));
        assert!(err < 1e-12, "{case}: posterior covariance rel {err:e}");
        let err = max_abs(&a.weights, &in_order(&want["max_sharpe_weights"], assets));
        assert!(err < 2e-6, "{case}: max-Sharpe weights abs {err:e}");
        let sharpe = f(&want["max_sharpe_performance"]["sharpe"]);
        assert!(
            a.sharpe.unwrap() >= sharpe - 1e-9,
            "{case}: Sharpe {} < peer {sharpe}",
            a.sharpe.unwrap()
        );
    }
}

#[test]
fn efficient_cvar_matches_pypfopt_efficient_risk() {
    let refs = peers();
    let e = &refs["efficient_cvar"];
    let r = reference_returns();
    let n = r.n_assets();
    let cons = Constraints::long_only(n);
    let least = min_cvar(&r, &cons, 0.95, None).unwrap();
    assert_rel(
        "min CVaR",
        least.cvar,
        f(&e["arithmetic"]["min_cvar_tight_tolerance_check"]["harness_cvar"]),
        1e-8,
    );
    for (key, mu) in [
        ("arithmetic", historical_mean(&r).unwrap()),
        ("geometric", geometric_mean(&r).unwrap()),
    ] {
        for mult in ["1.25x", "2x"] {
            let want = &e[key]["efficient_risk"][mult];
            let target = f(&want["target_cvar"]);
            let p = efficient_cvar(&r, &cons, 0.95, &mu, target).unwrap();
            assert!(
                (p.cvar - target).abs() < 1e-9,
                "{key} {mult}: the CVaR constraint binds"
            );
            let ret: f64 = p.weights.iter().zip(&mu).map(|(w, m)| w * m).sum();
            let peer_ret = f(&want["tight_tolerance_check"]["expected_return"]);
            assert!(
                ret >= peer_ret - 1e-7,
                "{key} {mult}: return {ret} < peer {peer_ret}"
            );
            assert_rel(&format!("{key} {mult} return"), ret, peer_ret, 1e-7);
            let err = max_abs(&p.weights, &in_order(&want["weights"], r.assets()));
            assert!(err < 5e-6, "{key} {mult}: weights abs {err:e}");
            let hist = ballast::risk::historical_cvar(&r.portfolio(&p.weights), 0.95).unwrap();
            assert!(
                (hist - p.cvar).abs() < 1e-9,
                "{key} {mult}: LP CVaR = historical CVaR"
            );
        }
        let below = f(&e[key]["below_min_cvar"]["target_cvar"]);
        let msg = efficient_cvar(&r, &cons, 0.95, &mu, below)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("below the least one-day CVaR") && msg.contains("0.0461"),
            "{msg}"
        );
    }
}

#[test]
fn constrained_risk_parity_matches_riskparityportfolio_sca() {
    let refs = peers();
    let rp = &refs["risk_parity_constrained"];
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    let n = cov.dim();
    let b = vec![1.0 / n as f64; n];
    let start = RiskBudgeting::erc().weights(&cov).unwrap().weights;
    let mu = historical_mean(&r).unwrap();
    let idx = |a: &str| cov.assets.iter().position(|x| x == a).unwrap();
    for case in ["unconstrained", "group_cap", "return_floor", "box"] {
        let want = &rp["cases"][case];
        let c = &want["constraint"];
        let mut cons = Constraints::long_only(n);
        let mut floor = None;
        match case {
            "group_cap" => cons.groups.push(Group {
                name: "majors".into(),
                members: c["group"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| idx(a.as_str().unwrap()))
                    .collect(),
                lower: f64::NEG_INFINITY,
                upper: f(&c["cap"]),
            }),
            "return_floor" => floor = Some((mu.as_slice(), f(&c["target_return"]))),
            "box" => cons.upper = vec![f(&c["upper"]); n],
            _ => {}
        }
        let (w, rep) =
            constrained_risk_budget(&cov, &b, &cons, floor, &start, &ScaSettings::default()).unwrap();
        assert!(rep.converged, "{case}: converged");
        let err = max_abs(&w, &in_order(&want["weights"], &cov.assets));
        let tol = if case == "unconstrained" { 1e-6 } else { 1e-8 };
        assert!(err < tol, "{case}: weights abs {err:e}");
        if case != "unconstrained" {
            assert_rel(case, rep.objective, f(&want["objective"]), 1e-6);
            assert!((rep.max_deviation - f(&want["max_abs_rc_rel_minus_budget"])).abs() < 1e-8);
        }
    }
}
