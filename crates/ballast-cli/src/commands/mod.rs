//! One module per subcommand; each returns the text to print.

pub mod backtest;
pub mod book;
pub mod covariance;
pub mod garch;
pub mod greeks;
pub mod optimize;
pub mod report;
pub mod risk;
pub mod surface;

use ballast::data::Returns;
use serde_json::{json, Map, Value};

/// `{"first_return": date, "last_return": date, "returns": T}` (+ the first price date).
pub fn window_json(r: &Returns, first_price: jiff::civil::Date) -> Value {
    json!({
        "first_price": first_price.to_string(),
        "first_return": r.dates().first().map(|d| d.to_string()),
        "last_return": r.dates().last().map(|d| d.to_string()),
        "returns": r.n_periods(),
        "periods_per_year": r.periods_per_year(),
    })
}

/// `{asset: value}` in asset order.
pub fn by_asset(assets: &[String], values: &[f64]) -> Value {
    Value::Object(
        assets
            .iter()
            .zip(values)
            .map(|(a, v)| (a.clone(), json!(v)))
            .collect::<Map<String, Value>>(),
    )
}

/// Confidence as a stable JSON key: 0.95 → "0.95".
pub fn conf_key(c: f64) -> String {
    let s = format!("{c}");
    if s.contains('.') {
        s
    } else {
        format!("{c:.1}")
    }
}

/// The window line printed above tables.
pub fn window_line(r: &Returns, first_price: jiff::civil::Date) -> String {
    format!(
        "Window: {} returns from {} to {} (prices from {}), {} per year\n",
        r.n_periods(),
        r.dates().first().map(|d| d.to_string()).unwrap_or_default(),
        r.dates().last().map(|d| d.to_string()).unwrap_or_default(),
        first_price,
        r.periods_per_year()
    )
}

/// JSON of a [`ballast::risk::RiskSummary`]: `var`/`cvar` as `{method: {confidence: loss}}`;
/// with `value_usd`, also `var_usd`/`cvar_usd` in the same shape.
pub fn risk_json(
    s: &ballast::risk::RiskSummary,
    assets: &[String],
    dates: &[jiff::civil::Date],
    first_price: jiff::civil::Date,
    value_usd: Option<f64>,
) -> Value {
    let tails = |list: &[ballast::risk::TailLoss], scale: f64| {
        let mut m = Map::new();
        for t in list {
            let e = m
                .entry(t.method.key().to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            e.as_object_mut()
                .unwrap()
                .insert(conf_key(t.confidence), json!(t.loss * scale));
        }
        Value::Object(m)
    };
    let point = |k: usize| if k == 0 { first_price } else { dates[k - 1] };
    let mut out = json!({
        "volatility_annual": s.volatility_annual,
        "var": tails(&s.var, 1.0),
        "cvar": tails(&s.cvar, 1.0),
        "max_drawdown": s.drawdown.max_drawdown,
        "max_drawdown_peak": point(s.drawdown.peak).to_string(),
        "max_drawdown_trough": point(s.drawdown.trough).to_string(),
        "risk_contributions": by_asset(assets, &s.risk_contributions),
        "volatility_contributions_annual": by_asset(assets, &s.component_contributions),
        "daily_moments": {
            "mean": s.moments.mean,
            "std": s.moments.std,
            "skewness": s.moments.skewness,
            "excess_kurtosis": s.moments.excess_kurtosis,
        },
    });
    if let Some(v) = value_usd {
        out["var_usd"] = tails(&s.var, v);
        out["cvar_usd"] = tails(&s.cvar, v);
    }
    out
}

/// Table rows of VaR/CVaR per method and confidence (fraction, and USD with `value_usd`).
pub fn tail_table(s: &ballast::risk::RiskSummary, value_usd: Option<f64>) -> String {
    use crate::table::{pct, usd, Table};
    let mut header = vec!["1-day loss".to_string()];
    let confs: Vec<f64> = {
        let mut c: Vec<f64> = s.var.iter().map(|t| t.confidence).collect();
        c.dedup();
        c
    };
    for c in &confs {
        header.push(format!("{}%", 100.0 * c));
        if value_usd.is_some() {
            header.push(format!("{}% USD", 100.0 * c));
        }
    }
    let mut t = Table::new(header);
    let rows: [(&str, &[ballast::risk::TailLoss], ballast::risk::VarMethod); 5] = [
        ("VaR historical", &s.var, ballast::risk::VarMethod::Historical),
        ("VaR Gaussian", &s.var, ballast::risk::VarMethod::Gaussian),
        (
            "VaR Cornish-Fisher",
            &s.var,
            ballast::risk::VarMethod::CornishFisher,
        ),
        ("CVaR historical", &s.cvar, ballast::risk::VarMethod::Historical),
        ("CVaR Gaussian", &s.cvar, ballast::risk::VarMethod::Gaussian),
    ];
    for (name, list, m) in rows {
        let mut r = vec![name.to_string()];
        for c in &confs {
            let l = list
                .iter()
                .find(|t| t.method == m && t.confidence == *c)
                .map(|t| t.loss)
                .unwrap_or(f64::NAN);
            r.push(pct(l));
            if let Some(v) = value_usd {
                r.push(usd(l * v));
            }
        }
        t.row(r);
    }
    t.render()
}
