//! `ballast surface CHAIN.csv`

use crate::args::{Format, SurfaceArgs};
use crate::table::Table;
use anyhow::{bail, Result};
use ballast::io::read_option_chain;
use ballast::pricing::surface::{fit_surfaces, VolSurface};
use ballast::pricing::DAYS_PER_YEAR;

fn date(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

pub fn run(a: &SurfaceArgs) -> Result<String> {
    let rows = read_option_chain(&a.chain)?;
    let as_of = a.as_of;
    let bad = rows.iter().filter(|r| r.quote.is_err()).count();
    if bad > 0 {
        eprintln!(
            "{bad} rows of {} could not be read and are left out",
            a.chain.display()
        );
    }
    let quotes: Vec<_> = rows.into_iter().filter_map(|r| r.quote.ok()).collect();
    let surfaces = fit_surfaces(&quotes, a.weights, as_of);
    if surfaces.is_empty() {
        bail!(
            "{}: no option could be valued (expired, or no usable implied volatility)",
            a.chain.display()
        );
    }
    if let Some(path) = &a.svg {
        crate::chart::smiles_svg(path, &surfaces)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(match a.format {
        Format::Json => super::json(&surfaces)?,
        Format::Table => surfaces.iter().map(to_table).collect::<Vec<_>>().join("\n") + "\n",
    })
}

fn to_table(s: &VolSurface) -> String {
    let mut t = Table::new([
        "expiry",
        "T days",
        "forward",
        "pts",
        "ATM vol",
        "25Δ call",
        "25Δ put",
        "RR25",
        "BF25",
        "fit RMSE",
        "g(k)≥0",
    ]);
    let pct = |x: f64| format!("{:.2}%", 100.0 * x);
    let pts = |x: f64| format!("{:+.2}", 100.0 * x);
    for sl in &s.slices {
        let mut r = vec![
            date(sl.expiry),
            format!("{:.2}", sl.time * DAYS_PER_YEAR),
            format!("{:.2}", sl.forward),
            sl.points.len().to_string(),
        ];
        match (&sl.fit, sl.metrics) {
            (Ok(f), Some(m)) => r.extend([
                pct(m.atm_vol),
                pct(m.vol_25c),
                pct(m.vol_25p),
                pts(m.rr25),
                pts(m.bf25),
                format!("{:.2}", 100.0 * f.rmse),
                if f.min_density >= 0.0 {
                    "yes".into()
                } else {
                    format!("no ({:.1e})", f.min_density)
                },
            ]),
            // the fit without its smile measures (as in JSON: null)
            (Ok(f), None) => r.extend([
                "—".into(),
                "—".into(),
                "—".into(),
                "—".into(),
                "—".into(),
                format!("{:.2}", 100.0 * f.rmse),
                String::new(),
            ]),
            (Err(e), _) => r.push(format!("no fit: {e}")),
        }
        t.row(r);
    }
    let mut out = format!(
        "{} implied-volatility surface: raw SVI per expiry (RR/BF and RMSE in vol points)\n",
        s.coin
    );
    out += &t.render();
    if s.calendar_arbitrage.is_empty() {
        out += "  no calendar arbitrage between consecutive expiries\n";
    } else {
        for (x, y) in &s.calendar_arbitrage {
            out += &format!(
                "  calendar arbitrage: total variance of {} falls below {}\n",
                date(*y),
                date(*x)
            );
        }
    }
    out
}
