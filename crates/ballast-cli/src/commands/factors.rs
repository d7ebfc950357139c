//! `ballast factors`, and the factor section of `ballast risk --factors`.

use super::{json, window_line};
use crate::args::{FactorsArgs, Format};
use crate::input;
use crate::table::{fixed, pct, plural, usd, Table};
use anyhow::Result;
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
    let r = ballast::analysis::factors(&panel, &input::window(&a.window), &model)?;
    match a.window.format {
        Format::Json => json(&r),
        Format::Table => Ok(window_line(&r.window) + &model_table(&r.model)),
    }
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
}
