//! The backtest tear sheet: one self-contained HTML file (inline CSS and SVG, no scripts, no
//! network).

use crate::commands::backtest::Outputs;
use crate::table::{fixed, pct, usd0 as usd};
use ballast::backtest::metrics::Performance;
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Two decimals, "–" when undefined.
fn fixed2(x: f64) -> String {
    fixed(x, 2)
}

const STYLE: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1060px;color:#222}
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #eee}th{background:#f6f6f6}
td:first-child,th:first-child{text-align:left}.neg{color:#b22}.pos{color:#262}
.chart{margin:12px 0}.note{color:#555;font-size:13px}.warn{color:#a60;font-size:13px}";

fn signed(x: f64) -> String {
    let class = if x < 0.0 { "neg" } else { "pos" };
    format!("<td class=\"{class}\">{}</td>", pct(x))
}

fn perf_row(name: &str, p: &Performance) -> String {
    format!(
        "<tr><td>{}</td>{}{}<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(name),
        signed(p.annual_return),
        signed(p.total_return),
        pct(p.annual_volatility),
        fixed2(p.sharpe),
        fixed2(p.sortino),
        fixed2(p.calmar),
        pct(p.drawdown.max_drawdown),
        p.drawdown.longest_underwater_days,
        pct(p.var_95),
        pct(p.cvar_95),
        usd(p.final_value),
    )
}

/// Render the tear sheet; `svgs` are (file, title, svg text) in display order.
pub fn html(o: &Outputs, svgs: &[(String, String, String)]) -> String {
    let r = o.report;
    let title = r.name.clone().unwrap_or_else(|| "Backtest".into());
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"sub\">{} → {} · {} days · start value {} USD · walk-forward, decisions use data up to each close only · 365 days a year · source {}</p>",
        esc(&title),
        r.start,
        r.end,
        r.days,
        usd(r.initial_value),
        esc(&r.source)
    );
    h += "<h2>Performance</h2><table><tr><th>strategy</th><th>CAGR</th><th>total</th><th>volatility</th><th>Sharpe</th><th>Sortino</th><th>Calmar</th><th>max drawdown</th><th>longest under water (days)</th><th>VaR 95 % (1 day)</th><th>CVaR 95 %</th><th>final USD</th></tr>";
    for st in &r.strategies {
        h += &perf_row(&st.name, &st.performance);
    }
    if let Some((b, p)) = &r.benchmark {
        h += &perf_row(&format!("{b} (benchmark)"), p);
    }
    h += "</table>";
    h += "<h2>Trading, costs and overfitting checks</h2><table><tr><th>strategy</th><th>rebalancing</th><th>rebalances</th><th>turnover / year</th><th>mean distance from target</th><th>costs USD</th><th>cost drag / year</th><th>funding USD</th><th>hit rate</th><th>skew</th><th>excess kurtosis</th><th>worst drawdown</th><th>PSR</th><th>DSR</th></tr>";
    for st in &r.strategies {
        let p = &st.performance;
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {} ({})</td><td>{}</td><td>{}</td></tr>",
            esc(&st.name),
            esc(&st.rebalance_policy),
            p.rebalances,
            fixed2(p.turnover_annual),
            pct(p.target_tracking),
            usd(p.costs_usd),
            pct(p.cost_drag_annual),
            usd(p.funding_usd),
            pct(p.hit_rate),
            fixed2(p.skewness),
            fixed2(p.excess_kurtosis),
            p.drawdown.peak,
            p.drawdown.trough,
            p.drawdown.recovery.map_or("not recovered".to_string(), |d| format!("recovered {d}")),
            fixed2(st.psr),
            fixed2(st.dsr),
        );
    }
    h += "</table><p class=\"note\">PSR: probability that the strategy's true Sharpe ratio is above zero given its length, skewness and kurtosis. DSR: the same against the Sharpe ratio the best of all the strategies tried here would reach by luck (Bailey &amp; López de Prado 2014).";
    if let Some(p) = &r.pbo {
        let _ = write!(
            h,
            " Probability of backtest overfitting (combinatorially symmetric cross-validation, {} blocks, {} splits): <b>{:.1} %</b> — how often the in-sample best strategy ranks in the bottom half out of sample (Bailey et al. 2017).",
            p.blocks,
            p.splits,
            100.0 * p.pbo
        );
    }
    h += "</p>";
    for st in &r.strategies {
        if let Some(f) = st.failures.first() {
            let _ = write!(
                h,
                "<p class=\"warn\">{}: {} rebalance(s) could not be computed; positions were kept (first on {}: {}).</p>",
                esc(&st.name),
                st.failures.len(),
                f.date,
                esc(&f.reason)
            );
        }
        if !st.funding_missing.is_empty() {
            let list: Vec<String> = st
                .funding_missing
                .iter()
                .map(|(a, d)| format!("{a} ({d} days)"))
                .collect();
            let _ = write!(
                h,
                "<p class=\"warn\">{}: no funding data while holding {} — counted as zero.</p>",
                esc(&st.name),
                esc(&list.join(", "))
            );
        }
    }
    h += "<h2>Charts</h2>";
    for (_, t, svg) in svgs {
        let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
        let _ = write!(h, "<div class=\"chart\" title=\"{}\">{body}</div>", esc(t));
    }
    h += "<h2>Return attribution by year</h2><p class=\"note\">Sum over the days of weight at the previous close × the coin's return (arithmetic); the five largest contributors each year, then cash interest, costs and funding.</p>";
    let assets = &r.assets;
    for st in &r.strategies {
        let _ = write!(h, "<h3>{}</h3><table><tr><th>period</th><th>Σ daily returns</th><th>top contributors</th><th>interest</th><th>costs</th><th>funding</th></tr>", esc(&st.name));
        for p in &st.attribution {
            let mut idx: Vec<usize> = (0..assets.len())
                .filter(|&i| p.return_contribution[i] != 0.0)
                .collect();
            idx.sort_by(|&a, &b| {
                p.return_contribution[b]
                    .abs()
                    .total_cmp(&p.return_contribution[a].abs())
            });
            let top: Vec<String> = idx
                .iter()
                .take(5)
                .map(|&i| format!("{} {:+.1}%", assets[i], 100.0 * p.return_contribution[i]))
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td>{}<td>{}</td>{}{}{}</tr>",
                p.period,
                signed(p.sum_of_returns),
                esc(&top.join(", ")),
                signed(p.interest),
                signed(p.costs),
                signed(p.funding)
            );
        }
        h += "</table>";
    }
    h += "<p class=\"note\">Generated by Ballast. Metrics follow empyrical's conventions with 365 periods a year; losses are positive numbers.</p></body></html>\n";
    h
}
