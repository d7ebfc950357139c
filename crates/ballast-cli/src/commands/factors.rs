//! `ballast factors`, and the factor section of `ballast risk --factors`.

use super::{json, window_line};
use crate::args::{FactorsArgs, Format};
use crate::input;
use crate::table::{fixed, pct, plural, usd, Table};
use anyhow::{Context, Result};
use ballast::estimate::{FactorModel, FittedFactorModel};
use ballast::risk::FactorRisk;

pub fn run(a: &FactorsArgs) -> Result<String> {
    let model = FactorModel {
        residual_ddof: a.residual_ddof.unwrap_or_default(),
        half_life: a.half_life,
        beta_adjustment: a.beta_adjustment.unwrap_or_default(),
        covariance: input::covariance(&a.cov),
        ..FactorModel::new(a.model.clone())
    };
    let panel = input::panel(&a.window)?;
    let factor_prices = a
        .factor_prices
        .as_ref()
        .map(ballast::io::read_prices)
        .transpose()?;
    if let Some(n) = a.rolling {
        return rolling(a, &panel, &model, n, factor_prices.as_ref());
    }
    let r = ballast::analysis::factors(&panel, &input::window(&a.window), &model, factor_prices.as_ref())?;
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => Ok(window_line(&r.window) + &model_table(&r.model)),
    }
}

/// `factors --rolling N`: betas refitted every `--step` days; a summary table, JSON with every
/// date, and an optional chart.
fn rolling(
    a: &FactorsArgs,
    panel: &ballast::data::PricePanel,
    model: &FactorModel,
    n: usize,
    factor_prices: Option<&ballast::data::PricePanel>,
) -> Result<String> {
    let weights = a
        .weights
        .as_deref()
        .map(|w| input::parse_pairs(w, "--weights"))
        .transpose()?;
    let r = ballast::analysis::rolling_factors(
        panel,
        &input::window(&a.window),
        model,
        n,
        a.step,
        weights.as_deref(),
        factor_prices,
    )?;
    let rb = &r.rolling;
    if let Some(path) = &a.svg {
        if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
            anyhow::bail!(
                "--svg {}: the chart is SVG; give a file name ending in .svg",
                path.display()
            );
        }
        let series: Vec<(String, Vec<f64>)> = match &r.exposures {
            Some(e) => e
                .iter()
                .map(|(f, v)| (format!("book's exposure to {f}"), v.clone()))
                .collect(),
            None => (0..rb.assets.len())
                .map(|i| (rb.assets[i].clone(), rb.series(i, 0)))
                .collect(),
        };
        let caption = if r.exposures.is_some() {
            format!(
                "The book's factor exposures, rolling {n}-day fits of {}",
                rb.model
            )
        } else {
            format!("Betas to {}, rolling {n}-day fits of {}", rb.factors[0], rb.model)
        };
        let svg = crate::backtest_charts::beta_lines(&caption, &rb.dates, &series)?;
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if a.window.format == Format::Json {
        return json(&r);
    }
    let mut out = window_line(&r.window);
    out += &format!(
        "\nRolling {}: {} of {} returns every {} ({} → {})\n",
        rb.model,
        plural(rb.dates.len(), "fit"),
        n,
        plural(rb.step, "day"),
        rb.dates[0],
        rb.dates[rb.dates.len() - 1]
    );
    let mut t = Table::new(["coin", "factor", "β first", "β last", "min", "max", "mean"]);
    // round-off (a coin on itself: ±1e-17) shown as 0, not −0.000
    let show = |x: f64| fixed(if x.abs() < 1e-12 { 0.0 } else { x }, 3);
    let summary = |name: String, f: &str, v: &[f64], t: &mut Table| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
            (l.min(*x), h.max(*x))
        });
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        t.row([
            name,
            f.to_string(),
            show(v[0]),
            show(v[v.len() - 1]),
            show(lo),
            show(hi),
            show(mean),
        ]);
    };
    for (i, c) in rb.assets.iter().enumerate() {
        for (k, f) in rb.factors.iter().enumerate() {
            summary(c.clone(), f, &rb.series(i, k), &mut t);
        }
    }
    if let Some(e) = &r.exposures {
        for (f, v) in e {
            summary("book".into(), f, v, &mut t);
        }
    }
    out += "\n";
    Ok(out + &t.render())
}

fn model_table(m: &FittedFactorModel) -> String {
    let k = m.n_factors();
    let mut out = format!(
        "\nFactor model {}: {} on {} over {}{}\n",
        m.model,
        plural(k, "factor"),
        plural(m.assets.len(), "coin"),
        plural(m.periods, "return"),
        m.ddof
            .map(|d| format!(", residual variance SSR/(T−{d})"))
            .unwrap_or_default()
    );
    if let (Some(e), Some(r)) = (&m.eigenvalues, &m.explained_variance_ratio) {
        let mut acc = 0.0;
        let mut t = Table::new(["component", "eigenvalue (annual)", "explained", "cumulative"]);
        for c in 0..e.len().min(k.max(5)) {
            acc += r[c];
            t.row([format!("PC{}", c + 1), fixed(e[c], 4), pct(r[c]), pct(acc)]);
        }
        out += "\n";
        out += &t.render();
    }
    let mut header: Vec<String> = vec!["coin".into()];
    header.extend(m.factors.iter().map(|f| format!("β {f}")));
    if m.alpha.is_some() {
        header.push("alpha (annual)".into());
    }
    header.extend(["R²".into(), "residual vol (annual)".into()]);
    let mut t = Table::new(header);
    let ppy = m.covariance.periods_per_year;
    for (i, a) in m.assets.iter().enumerate() {
        let mut row = vec![a.clone()];
        row.extend(m.loadings_of(i).iter().map(|b| fixed(*b, 3)));
        if let Some(al) = &m.alpha {
            row.push(pct(al[i] * ppy));
        }
        row.push(fixed(m.r_squared[i], 3));
        row.push(pct((m.residual_variance[i] * ppy).sqrt()));
        t.row(row);
    }
    out += "\n";
    out + &t.render()
}

/// The factor section of `risk`.
pub fn risk_table(f: &FactorRisk) -> String {
    let out = format!(
        "\nFactor risk ({}): systematic {} of the model variance, model volatility {}\n",
        f.model,
        pct(f.systematic_fraction),
        pct(f.model_volatility)
    );
    let rel = f.relative_contributions();
    let mut header = vec!["factor", "exposure (beta)"];
    if f.dollar_exposures.is_some() {
        header.push("dollar exposure");
    }
    header.extend(["systematic variance", "risk contribution"]);
    let mut t = Table::new(header);
    for (k, name) in f.factors.iter().enumerate() {
        let mut row = vec![name.clone(), fixed(f.exposures[k], 4)];
        if let Some(d) = &f.dollar_exposures {
            row.push(usd(d[k]));
        }
        row.extend([fixed(f.systematic_variance[k], 5), pct(rel[k])]);
        t.row(row);
    }
    let mut row = vec!["residual".to_string(), String::new()];
    if f.dollar_exposures.is_some() {
        row.push(String::new());
    }
    row.extend([fixed(f.idiosyncratic_variance, 5), pct(rel[f.factors.len()])]);
    t.row(row);
    out + &t.render()
        + &format!(
            "  risk contribution: Roncalli–Weisang shares of the volatility {} under the window's covariance; the residual is what the loadings of the coins listed do not span (it can be negative); systematic share and variances: the factor model's\n",
            pct(f.volatility)
        )
}
