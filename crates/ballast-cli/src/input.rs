//! From command-line flags to the library's typed requests.

use crate::args::{CovArgs, OptimizeArgs, WindowArgs};
use anyhow::{bail, Context, Result};
use ballast::allocate::{AllocationOptions, AllocationSpec, MomentumSpec, Views};
use ballast::analysis::WindowRequest;
use ballast::data::PricePanel;
use ballast::estimate::CovarianceSpec;
use ballast::io::{read_prices_with, PriceField};
use ballast::names::field_names;
use std::collections::BTreeMap;

/// The price panel of `--prices`.
pub fn panel(w: &WindowArgs) -> Result<PricePanel> {
    Ok(read_prices_with(
        &w.prices,
        w.price_field.unwrap_or(PriceField::Close),
    )?)
}

/// The window of the window flags.
pub fn window(w: &WindowArgs) -> WindowRequest {
    WindowRequest {
        assets: w.assets.clone(),
        window: w.window,
        end: w.end,
        drop_incomplete: w.drop_incomplete,
        log_returns: w.log_returns,
    }
}

/// The covariance of the covariance flags.
pub fn covariance(c: &CovArgs) -> CovarianceSpec {
    CovarianceSpec {
        estimator: c.estimator,
        ewma_lambda: c.ewma_lambda,
        repair_psd: c.repair_psd,
        history: c.history,
        min_overlap: c.min_overlap,
    }
}

/// Parse `A=x,B=y` into ordered pairs. Errors name the flag and the bad item.
pub fn parse_pairs(s: &str, flag: &str) -> Result<Vec<(String, f64)>> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let Some((k, v)) = item.split_once('=') else {
            bail!("{flag}: '{item}' is not NAME=VALUE");
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            bail!("{flag}: '{item}' has no name");
        }
        if let Some(p) = v.strip_suffix('%').and_then(|p| p.trim().parse::<f64>().ok()) {
            bail!(
                "{flag}: {k}={v}: write fractions, not percentages: {k}={}",
                p / 100.0
            );
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
        bail!("{flag}: no NAME=VALUE pairs given");
    }
    Ok(out)
}

/// The allocation request of `ballast optimize`'s flags: the same options a portfolio file's
/// `[target]` and a strategy's `[strategy.allocation]` take, checked by the same code.
pub fn allocation(a: &OptimizeArgs) -> Result<AllocationSpec> {
    let map = |s: &Option<String>, flag: &str| -> Result<Option<BTreeMap<String, f64>>> {
        s.as_deref()
            .map(|s| Ok(parse_pairs(s, flag)?.into_iter().collect()))
            .transpose()
    };
    // views keep the order written, so --view-confidences pair with them as given
    let views = a
        .views
        .as_deref()
        .map(|v| parse_pairs(v, "--views").map(Views))
        .transpose()?;
    let view_confidences = a.view_confidences.clone();
    let momentum = (a.momentum_top.is_some() || a.momentum_tilt.is_some() || a.momentum_lookback.is_some())
        .then(|| MomentumSpec {
            top: a.momentum_top,
            tilt: a.momentum_tilt.unwrap_or(0.0),
            lookback: a.momentum_lookback.unwrap_or(90),
        });
    let constraints = a
        .constraints
        .as_ref()
        .map(ballast::io::read_constraints)
        .transpose()?;
    let options = AllocationOptions {
        budgets: map(&a.budgets, "--budgets")?,
        min_weight: a.min_weight,
        max_weight: a.max_weight,
        constraints,
        risk_free: a.risk_free,
        target_return: a.target_return,
        target_cvar: a.target_cvar,
        target_vol: a.target_vol,
        risk_aversion: a.risk_aversion,
        prior: a.prior,
        market: a.market.clone(),
        market_caps: a
            .market_caps
            .as_ref()
            .map(ballast::io::read_market_caps)
            .transpose()?,
        mu: a.mu,
        mu_lambda: a.mu_lambda,
        linkage: a.linkage,
        leaf_order: a.leaf_order,
        hrp_correlation: a.hrp_correlation,
        clusters: a.clusters,
        beta: a.beta,
        views,
        view_confidences,
        tau: a.tau,
        vol_target: a.vol_target,
        max_leverage: a.max_leverage,
        momentum,
        factors: a.factors.clone(),
        factor_budgets: map(&a.factor_budgets, "--factor-budgets")?,
        long_only: a.long_only,
        ..AllocationOptions::new(a.method)
    };
    Ok(AllocationSpec::try_from(options)?)
}

/// A request error in the spelling of the flags: the library names options as files do
/// (`target_vol`, `ewma_lambda`); on the command line they are `--target-vol`. The keys are the
/// library's own (`names::field_names` of the request types), so a new option needs no edit
/// here. A key with an underscore is unambiguous and always renamed; a one-word key (`views`,
/// `tau`) only where it stands as a key: before ` =`, ` is`, ` /`, `,`, `)` or after `needs `.
pub fn flag_names(message: &str) -> String {
    let keys: Vec<&str> = field_names::<AllocationOptions>()
        .iter()
        .chain(field_names::<CovarianceSpec>())
        .copied()
        .chain(["points"])
        .filter(|k| !matches!(*k, "method" | "constraints" | "momentum" | "estimator"))
        .collect();
    let mut out = String::with_capacity(message.len() + 16);
    let mut rest = message;
    while let Some(start) = rest.find(|c: char| c.is_ascii_lowercase() || c == '_') {
        let (before, word_on) = rest.split_at(start);
        out.push_str(before);
        let len = word_on
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(word_on.len());
        let (word, after) = word_on.split_at(len);
        let attached = out.ends_with(|c: char| c.is_alphanumeric() || c == '-' || c == '\'');
        let as_key = word.contains('_')
            || [" =", " is", " /", ",", ")"].iter().any(|p| after.starts_with(p))
            || out.ends_with("needs ")
            || out.ends_with("/ ");
        if !attached && as_key && keys.contains(&word) {
            out.push_str("--");
            out.push_str(&word.replace('_', "-"));
        } else {
            out.push_str(word);
        }
        rest = after;
    }
    out.push_str(rest);
    out.replace("method = '", "--method '")
        .replace(
            "momentum needs top = K (select the K best coins) and/or tilt = κ > 0",
            "momentum needs --momentum-top K and/or --momentum-tilt κ > 0",
        )
        .replace("momentum tilt works with", "--momentum-tilt works with")
        .replace("momentum lookback = ", "--momentum-lookback = ")
        .replace("momentum top = ", "--momentum-top = ")
        .replace("momentum tilt = ", "--momentum-tilt = ")
}
