//! `ballast stress PORTFOLIO`

use super::json;
use crate::args::{Format, StressArgs};
use crate::table::{pct, usd0 as usd, Table};
use anyhow::{Context, Result};
use ballast::analysis::StressReport;

/// The book and its histories (the library's loader, in the CLI's error type).
pub(crate) fn load_book_data(
    pf: &ballast::portfolio::PortfolioFile,
) -> Result<(
    ballast::book::Book,
    ballast::data::PricePanel,
    Option<ballast::data::PricePanel>,
)> {
    let d = ballast::io::load_book_data(pf)?;
    Ok((d.book, d.prices, d.vol_history))
}

pub fn run(a: &StressArgs) -> Result<String> {
    let pf = ballast::io::read_portfolio(&a.portfolio)?;
    let (book, prices, vol) = load_book_data(&pf)?;
    let r = ballast::analysis::stress(&book, &prices, vol.as_ref(), &pf.stress, a.equity)
        .with_context(|| a.portfolio.display().to_string())?;
    let mut written = None;
    if let Some(path) = &a.svg {
        crate::chart::prepare_svg_path(path)?;
        std::fs::write(path, crate::var_chart::stress_grid(&r)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written = Some(path.display().to_string());
    }
    match a.format {
        Format::Json => json(&r),
        Format::Table => Ok(table(&r, pf.name.as_deref().unwrap_or("book"), written)),
    }
}

pub(crate) fn table(r: &StressReport, name: &str, written: Option<String>) -> String {
    let mut out = format!(
        "Stress tests of {name} — every position revalued{}\n\n",
        r.equity_usd
            .map_or(String::new(), |e| format!("; equity {} USD", usd(e)))
    );
    let coins: Vec<String> = r
        .scenarios
        .first()
        .map(|s| s.spot_moves.keys().cloned().collect())
        .unwrap_or_default();
    let mut head = vec!["scenario".to_string(), "dates".into()];
    head.extend(coins.iter().flat_map(|c| [c.clone(), format!("{c} vol")]));
    head.extend(["P&L USD".into(), "% equity".into(), "worst position".into()]);
    let mut t = Table::new(head);
    for s in &r.scenarios {
        let mut row = vec![
            s.scenario.name.clone(),
            match (s.scenario.dates, s.scenario.days) {
                (Some((a, b)), _) => format!("{a}…{b}"),
                (None, d) if d > 0.0 => format!("{d} days later"),
                _ => "–".into(),
            },
        ];
        row.extend(coins.iter().flat_map(|c| {
            let mut vol = pct(s.vol_moves[c]);
            if let Some(p) = s.vol_points.get(c) {
                vol = format!("{p:+} pts");
            }
            if let Some(t) = s.tilt_points.get(c) {
                vol = format!("tilt {t:+} pts");
            }
            [pct(s.spot_moves[c]), vol]
        }));
        row.push(usd(s.pnl_usd));
        row.push(s.pnl_fraction.map_or("–".into(), pct));
        row.push(
            s.worst_positions
                .first()
                .map_or("–".into(), |(p, v)| format!("{p} {}", usd(*v))),
        );
        t.row(row);
    }
    out += &t.render();
    out += &format!("\nWorst scenario: {}\n", r.worst);
    out += "\nSpot × implied-vol grid (every coin moved together; P&L USD)\n";
    let mut g =
        Table::new(std::iter::once("spot \\ vol".to_string()).chain(r.grid.vol.iter().map(|v| pct(*v))));
    for (s, row) in r.grid.spot.iter().zip(&r.grid.pnl_usd) {
        g.row(std::iter::once(pct(*s)).chain(row.iter().map(|x| usd(*x))));
    }
    out += &g.render();
    let proxies: Vec<String> = r
        .scenarios
        .iter()
        .flat_map(|s| {
            s.scenario
                .proxies
                .iter()
                .map(move |p| format!("{}: {p}", s.scenario.name))
        })
        .collect();
    if !proxies.is_empty() {
        out += "\nProxies (moves not in the data):\n";
        for p in proxies {
            out += &format!("  {p}\n");
        }
    }
    for w in &r.warnings {
        out += &format!("warning: {}: {}\n", w.position, w.message);
    }
    if let Some(p) = written {
        out += &format!("wrote {p}\n");
    }
    out
}

/// `ballast hedge PORTFOLIO --tail LOSS`
pub fn tail_hedge(a: &crate::args::HedgeArgs, loss: f64) -> Result<String> {
    let pf = ballast::io::read_portfolio(&a.portfolio)?;
    let (book, prices, vol) = load_book_data(&pf)?;
    let spec = ballast::hedge::TailHedgeSpec {
        max_loss_usd: loss,
        spreads: !a.no_spreads,
        ..Default::default()
    };
    let h = ballast::analysis::tail_hedge(&book, &prices, vol.as_ref(), &pf.stress, &spec)
        .with_context(|| a.portfolio.display().to_string())?;
    if a.format == Format::Json {
        return json(&h);
    }
    let mut out = format!(
        "Tail hedge — {}: loss at most {} USD in every crisis, hypothetical shock, grid down-move and [[stress]] scenario\n",
        pf.name.as_deref().unwrap_or("book"),
        usd(h.max_loss_usd),
    );
    if h.trades.is_empty() {
        out += "The book already keeps every scenario's loss within the limit: no hedge needed.\n";
    } else {
        out += &format!(
            "Net premium {} USD ({} candidate puts; sizes unrounded, in coins)\n\n",
            usd(h.premium_usd),
            h.candidates
        );
        let mut t = Table::new(["trade", "instrument", "size", "price (coin)", "spread + fee USD"]);
        for x in &h.trades {
            t.row([
                if x.size > 0.0 { "buy" } else { "sell" }.to_string(),
                x.instrument.clone(),
                format!("{:.4}", x.size.abs()),
                format!("{:.4}", x.price),
                usd(x.cost_usd),
            ]);
        }
        out += &t.render();
    }
    out += "\nLoss per scenario (USD; negative: a gain)\n";
    let mut s = Table::new(["scenario", "unhedged", "hedged"]);
    for x in &h.scenarios {
        s.row([
            x.scenario.clone(),
            usd(x.unhedged_loss_usd),
            usd(x.hedged_loss_usd),
        ]);
    }
    out += &s.render();
    if !h.greeks_added.is_empty() {
        out += "\nGreeks added\n";
        let mut g = Table::new(["coin", "delta (coins)", "gamma", "vega USD/pt", "theta USD/day"]);
        for (coin, x) in &h.greeks_added {
            g.row([
                coin.clone(),
                format!("{:.4}", x.delta),
                format!("{:.3e}", x.gamma),
                format!("{:.2}", x.vega),
                format!("{:.2}", x.theta),
            ]);
        }
        out += &g.render();
    }
    Ok(out)
}
