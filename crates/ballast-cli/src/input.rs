//! Loading and parsing shared by the commands.

use crate::args::{Estimator, MuArg, WindowArgs};
use anyhow::{bail, Context, Result};
use ballast::io::read_prices;
use ballast::data::{Incomplete, PriceWindow, ReturnKind, Returns, WindowSpec};
use ballast::estimate::{
    ewma_mean, historical_mean, james_stein_mean, Covariance, CovarianceEstimator, EstimateError,
};
use jiff::civil::Date;

/// Everything a window-based command needs.
pub struct Loaded {
    pub window: PriceWindow,
    pub returns: Returns,
}

pub fn parse_date(s: &str, what: &str) -> Result<Date> {
    s.parse::<Date>()
        .with_context(|| format!("{what} '{s}' is not a date (expected YYYY-MM-DD)"))
}

/// Load the price file and cut the window. `assets` overrides `--assets`.
pub fn load(args: &WindowArgs, assets: Option<Vec<String>>) -> Result<Loaded> {
    let panel = read_prices(&args.prices)?;
    let end = args.end.as_deref().map(|s| parse_date(s, "--end")).transpose()?;
    let assets = assets.or_else(|| args.assets.clone());
    if let Some(a) = &assets {
        if let Some(bad) = a.iter().find(|s| s.trim().is_empty()) {
            bail!("--assets contains an empty name ('{bad}')");
        }
    }
    let window = panel
        .window(&WindowSpec {
            assets: assets.map(|v| v.into_iter().map(|s| s.trim().to_string()).collect()),
            returns: args.window,
            end,
            incomplete: if args.drop_incomplete {
                Incomplete::Drop
            } else {
                Incomplete::Error
            },
        })
        .with_context(|| format!("{}: cannot build the window", args.prices.display()))?;
    let kind = if args.log_returns {
        ReturnKind::Log
    } else {
        ReturnKind::Simple
    };
    let returns = window.returns(kind);
    Ok(Loaded { window, returns })
}

/// Fit the estimator and check the result is usable (finite, positive definite).
pub fn covariance(returns: &Returns, est: Estimator, ewma_lambda: f64) -> Result<Covariance> {
    covariance_or_repair(returns, est, ewma_lambda, false)
}

/// [`covariance`], but with `repair` a matrix that is not positive definite is replaced by its
/// nearest positive-definite repair (a warning on stderr says so) instead of being an error.
pub fn covariance_or_repair(
    returns: &Returns,
    est: Estimator,
    ewma_lambda: f64,
    repair: bool,
) -> Result<Covariance> {
    let e = CovarianceEstimator::from_name(est.name(), Some(ewma_lambda)).expect("known estimator");
    let mut cov = e.fit(returns)?;
    if let Err(EstimateError::NotPositiveDefinite { min_eigenvalue }) = cov.validate() {
        if !repair {
            bail!(
                "{} covariance of {} assets over {} returns is not positive definite (smallest \
                 eigenvalue {min_eigenvalue:.3e}); use a shrinkage estimator (--cov ledoit-wolf, oas), \
                 fewer assets than return periods, or --repair-psd for its nearest positive-definite repair",
                est.name(),
                cov.dim(),
                returns.n_periods()
            );
        }
        {
            let (fixed, min_eig) = cov.nearest_positive_definite()?;
            eprintln!(
                "warning: the {} covariance is not positive definite (smallest eigenvalue {min_eig:.3e}); \
                 using its nearest positive-definite repair (--repair-psd)",
                est.name()
            );
            cov = fixed;
        }
    }
    cov.validate().with_context(|| {
        format!(
            "{} covariance of {} assets over {} returns",
            est.name(),
            cov.dim(),
            returns.n_periods()
        )
    })?;
    Ok(cov)
}

/// Parse `A=x,B=y` into ordered pairs. Errors name the bad item.
pub fn parse_pairs(s: &str, flag: &str) -> Result<Vec<(String, f64)>> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            bail!("{flag}: '{item}' is not ASSET=VALUE");
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            bail!("{flag}: '{item}' has no asset name");
        }
        let x: f64 = v
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
            .with_context(|| format!("{flag}: {k}={v}: '{v}' is not a finite number"))?;
        if out.iter().any(|(a, _)| a == k) {
            bail!("{flag}: {k} is given twice");
        }
        out.push((k.to_string(), x));
    }
    if out.is_empty() {
        bail!("{flag}: no ASSET=VALUE pairs given");
    }
    Ok(out)
}

/// Annualised expected returns by the chosen estimator.
pub fn expected_returns(returns: &Returns, mu: MuArg, lambda: f64) -> Result<Vec<f64>> {
    Ok(match mu {
        MuArg::Historical => historical_mean(returns)?,
        MuArg::Ewma => ewma_mean(returns, lambda)?,
        MuArg::JamesStein => james_stein_mean(returns)?,
    })
}
