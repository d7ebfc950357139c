//! Risk measures against `shared/reference/risk_measures.json` (Riskfolio-Lib, skfolio,
//! empyrical, scipy) to 1e-12 relative, for an equal-weight and a 50/30/20 BTC/ETH/SOL
//! portfolio of `returns.csv`: losses positive, historical VaR = −k-th worst return with
//! k = ⌈(1 − c)T⌉ (Rockafellar–Uryasev CVaR), Gaussian with ddof 1, Cornish–Fisher with
//! population moments, 365-day annualisation.

use crate::common::*;
use ballast::estimate::SampleCovariance;
use ballast::risk::*;

const TOL: f64 = 1e-12;

fn portfolios() -> Vec<(String, serde_json::Value)> {
    let refs = json("risk_measures.json");
    refs["portfolios"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn var_cvar_moments_drawdown_match_peers() {
    let r = reference_returns();
    for (name, p) in portfolios() {
        let w = weights_in_order(&p["weights"], r.assets());
        let rp = r.portfolio(&w);
        assert_eq!(rp.len(), p["T"].as_u64().unwrap() as usize);
        let m = moments(&rp).unwrap();
        assert_rel(&format!("{name} mean"), m.mean, f(&p["mean_daily"]), TOL);
        assert_rel(&format!("{name} std"), m.std, f(&p["std_daily_ddof1"]), TOL);
        assert_rel(&format!("{name} skew"), m.skewness, f(&p["skew_biased"]), 1e-11);
        assert_rel(
            &format!("{name} kurt"),
            m.excess_kurtosis,
            f(&p["excess_kurtosis_biased"]),
            1e-11,
        );
        for (c, byc) in p["by_confidence"].as_object().unwrap() {
            let c: f64 = c.parse().unwrap();
            let ctx = |k: &str| format!("{name} {c} {k}");
            assert_rel(&ctx("z"), normal_quantile(1.0 - c), f(&byc["z"]), 1e-14);
            assert_rel(
                &ctx("hist var"),
                historical_var(&rp, c).unwrap(),
                f(&byc["hist_ru_var"]),
                TOL,
            );
            assert_rel(
                &ctx("hist var skfolio"),
                historical_var(&rp, c).unwrap(),
                f(&byc["skfolio_value_at_risk"]),
                TOL,
            );
            assert_rel(
                &ctx("hist cvar"),
                historical_cvar(&rp, c).unwrap(),
                f(&byc["hist_ru_cvar"]),
                TOL,
            );
            assert_rel(
                &ctx("hist cvar riskfolio"),
                historical_cvar(&rp, c).unwrap(),
                f(&byc["riskfolio_CVaR_Hist"]),
                TOL,
            );
            assert_rel(
                &ctx("gaussian var"),
                gaussian_var(&rp, c).unwrap(),
                f(&byc["gaussian_var"]),
                TOL,
            );
            assert_rel(
                &ctx("gaussian cvar"),
                gaussian_cvar(&rp, c).unwrap(),
                f(&byc["gaussian_cvar"]),
                TOL,
            );
            assert_rel(
                &ctx("cornish-fisher var"),
                cornish_fisher_var(&rp, c).unwrap(),
                f(&byc["cornish_fisher_var_biased"]),
                TOL,
            );
        }
        let dd = max_drawdown(&rp);
        assert_rel(
            &format!("{name} mdd"),
            dd.max_drawdown,
            f(&p["max_drawdown"]),
            TOL,
        );
        assert_rel(
            &format!("{name} mdd riskfolio"),
            dd.max_drawdown,
            f(&p["riskfolio_MDD_Rel"]),
            TOL,
        );
        assert_rel(
            &format!("{name} mdd empyrical"),
            -dd.max_drawdown,
            f(&p["empyrical"]["max_drawdown"]),
            TOL,
        );
    }
}

#[test]
fn annual_volatility_matches_empyrical() {
    let r = reference_returns();
    let cov = SampleCovariance::default().fit(&r).unwrap();
    for (name, p) in portfolios() {
        let w = weights_in_order(&p["weights"], r.assets());
        let vol = portfolio_volatility(&cov.matrix, &w).unwrap();
        assert_rel(
            &format!("{name} vol"),
            vol,
            f(&p["empyrical"]["annual_volatility"]),
            TOL,
        );
        let s = risk_summary(&r, &cov, &w, &[0.95, 0.99]).unwrap();
        assert_rel(
            &format!("{name} summary vol"),
            s.volatility_annual,
            f(&p["empyrical"]["annual_volatility"]),
            TOL,
        );
        let sum: f64 = s.risk_contributions.iter().sum();
        assert!((sum - 1.0).abs() < 1e-14);
    }
}
