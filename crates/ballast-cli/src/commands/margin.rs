//! `ballast margin --replay-deribit RESPONSE.json` and `ballast margin --liquidation VENUE`.

use super::json;
use crate::args::{Format, LiquidationSide, MarginArgs};
use crate::table::{pct, usd, Table};
use anyhow::{bail, Context, Result};
use ballast::margin::deribit::{replay, Replay, SimulateResponse};
use ballast::margin::liquidation::{Bracket, IsolatedPosition, Side};
use serde::Serialize;

pub fn run(a: &MarginArgs) -> Result<String> {
    if let Some(path) = &a.portfolio {
        return book(path, a.what_if.as_deref(), a.format);
    }
    if let Some(path) = &a.replay_deribit {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let resp = SimulateResponse::parse(&text).with_context(|| path.display().to_string())?;
        let r = replay(&resp).with_context(|| path.display().to_string())?;
        return match a.format {
            Format::Json => json(&ReplayJson {
                result: &r.result,
                ballast_vs_deribit: Comparison {
                    values_compared: r.differences.len(),
                    max_abs_difference: r.max_abs_difference,
                    differences: &r.differences,
                },
            }),
            Format::Table => Ok(replay_table(&path.display().to_string(), &resp, &r)),
        };
    }
    liquidation(a)
}

/// The recomputed response under Deribit's keys, and the comparison.
#[derive(Serialize)]
struct ReplayJson<'a> {
    #[serde(flatten)]
    result: &'a ballast::margin::deribit::PmResult,
    ballast_vs_deribit: Comparison<'a>,
}

#[derive(Serialize)]
struct Comparison<'a> {
    values_compared: usize,
    max_abs_difference: f64,
    differences: &'a [ballast::margin::deribit::Difference],
}

fn replay_table(file: &str, resp: &SimulateResponse, r: &Replay) -> String {
    let ts = resp
        .model_params
        .general
        .timestamp
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or("unknown time".to_string(), |t| t.to_string());
    let mut out = format!(
        "Deribit portfolio margin, recomputed — {file}\n{} positions, parameters of {ts}\n\n",
        resp.portfolio.position.len()
    );
    let mut t = Table::new(["margin field", "Deribit", "Ballast", "|difference|"]);
    let mut margins: Vec<_> = r
        .differences
        .iter()
        .filter(|d| d.field.starts_with("margins."))
        .collect();
    margins.sort_by(|a, b| a.field.cmp(&b.field));
    for d in margins {
        let short = d
            .field
            .replace("initial_margin_details.risk_matrix_margin_details.", "")
            .replace("initial_margin_details.", "");
        t.row([
            short,
            format!("{:.12}", d.deribit),
            format!("{:.12}", d.ballast),
            format!("{:.1e}", d.abs_difference),
        ]);
    }
    out += &t.render();
    for (cur, m) in &r.result.margins {
        let d = &m.initial_margin_details.risk_matrix_margin_details;
        let b = &d.worst_case_bucket;
        out += &format!(
            "\n{cur}: worst case {:.10} ({} table, {} side bucket {}, vol scenario {} of up/same/down), roll shock {:.10}, delta shock {:.10}\n",
            d.worst_case, b.source, b.side, b.bucket, b.index, d.roll_shock, d.delta_shock
        );
    }
    let vectors = r
        .differences
        .iter()
        .filter(|d| !d.field.starts_with("margins."))
        .count();
    out += &format!(
        "\n{} values compared ({vectors} risk-vector entries); largest difference {:.1e}{}\n",
        r.differences.len(),
        r.max_abs_difference,
        r.differences
            .first()
            .map(|d| format!(" ({})", d.field))
            .unwrap_or_default()
    );
    out
}

fn liquidation(a: &MarginArgs) -> Result<String> {
    let (Some(venue), Some(side), Some(size), Some(entry)) = (a.liquidation, a.side, a.size, a.entry) else {
        bail!("--liquidation needs --side, --size and --entry (and --leverage or --wallet, and --mmr or --brackets)");
    };
    let brackets = match (&a.brackets, &a.symbol, a.mmr) {
        (Some(file), Some(sym), _) => {
            let all = ballast::io::read_leverage_brackets(file)?;
            all.get(sym).cloned().with_context(|| {
                format!(
                    "{}: no symbol {sym} (it has: {})",
                    file.display(),
                    all.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?
        }
        (None, _, Some(mmr)) => vec![Bracket {
            floor: 0.0,
            cap: f64::INFINITY,
            mmr,
            cum: a.cum,
        }],
        _ => bail!("give the maintenance margin rate: --mmr 0.004, or --brackets FILE --symbol BTCUSDT"),
    };
    let p = IsolatedPosition {
        venue,
        contract: a.contract,
        side: match side {
            LiquidationSide::Long => Side::Long,
            LiquidationSide::Short => Side::Short,
        },
        size,
        entry,
        leverage: a.leverage,
        wallet: a.wallet,
        brackets,
    };
    let l = p.liquidation()?;
    if a.format == Format::Json {
        return json(&l);
    }
    let unit = match a.contract {
        ballast::margin::liquidation::Contract::Linear => ("coins", "USD"),
        ballast::margin::liquidation::Contract::Inverse => ("USD", "coin"),
    };
    let price = if l.liquidation_price.is_finite() && l.liquidation_price > 0.0 {
        format!(
            "{:.2} USD ({} from the entry)",
            l.liquidation_price,
            pct(l.distance)
        )
    } else {
        "none (the wallet covers any move)".into()
    };
    Ok(format!(
        "Liquidation price ({}, {} {}, {size} {} at {entry}, isolated wallet {:.8} {}): {price}\n  maintenance bracket: rate {}, amount {}; root of margin balance − maintenance margin: {}\n",
        ballast::names::variant_name(&venue),
        ballast::names::variant_name(&a.contract),
        if side == LiquidationSide::Long { "long" } else { "short" },
        unit.0,
        l.wallet,
        unit.1,
        pct(l.bracket.mmr),
        l.bracket.cum,
        l.root_finder.map_or("–".into(), |x| format!("{x:.2}"))
    ))
}

/// The JSON of `margin PORTFOLIO`.
#[derive(Serialize)]
struct BookJson<'a> {
    #[serde(flatten)]
    margin: &'a ballast::margin::deribit::BookMargin,
    venues: &'a [ballast::margin::venue::VenueExposure],
    venue_limit_breaches: &'a [ballast::margin::venue::LimitBreach],
    stablecoins: &'a [ballast::margin::venue::IssuerExposure],
    binance: Option<&'a ballast::margin::tiered::TieredAccount>,
}

fn book(path: &std::path::Path, what_if: Option<&str>, format: Format) -> Result<String> {
    let pf = ballast::io::read_portfolio(path)?;
    let section = pf.margin.as_ref().with_context(|| {
        format!(
            "{}: `margin` needs a [margin] section: deribit_params = \"PARAMS.toml\" (or a saved pme/simulate response) and equity = {{ btc = ... }} for Deribit positions, [margin.binance] for Binance ones",
            path.display()
        )
    })?;
    let params = match &section.deribit_params {
        Some(p) => Some(ballast::io::read_pm_params(p)?),
        None => None,
    };
    let book = ballast::io::load_book(&pf)?;
    if let Some(trades) = what_if {
        let params = params.as_ref().with_context(|| {
            format!(
                "{}: --what-if trades Deribit instruments: give [margin] deribit_params = \"PARAMS.toml\"",
                path.display()
            )
        })?;
        let trades = crate::input::parse_pairs(trades, "--what-if")?
            .into_iter()
            .map(|(name, size)| ballast::instrument::Position::new(&name, size, "deribit"))
            .collect::<Result<Vec<_>, _>>()?;
        let (before, after) = ballast::margin::deribit::what_if(
            params,
            &book.positions,
            &trades,
            &book.market,
            &section.equity,
        )
        .with_context(|| path.display().to_string())?;
        return match format {
            Format::Json => json(&WhatIfJson {
                before: &before,
                after: &after,
            }),
            Format::Table => Ok(what_if_table(&before, &after)),
        };
    }
    let m = ballast::margin::deribit::deribit_margin(
        params.as_ref(),
        &book.positions,
        &book.market,
        &section.equity,
    )
    .with_context(|| path.display().to_string())?;
    let greeks = ballast::book::book_greeks(&book.positions, &book.market)?;
    let deribit_usd: f64 = m
        .accounts
        .iter()
        .map(|acc| {
            if acc.currency == "usdc" {
                acc.equity
            } else {
                acc.equity
                    * book
                        .market
                        .spot
                        .get(&acc.currency.to_uppercase())
                        .copied()
                        .unwrap_or(f64::NAN)
            }
        })
        .sum();
    let binance = match &section.binance {
        None => None,
        Some(b) => {
            let brackets = ballast::io::read_leverage_brackets(&b.brackets)?;
            ballast::margin::tiered::binance_account(
                &book.positions,
                &book.market,
                "binance",
                b.equity,
                &brackets,
            )
            .with_context(|| path.display().to_string())?
        }
    };
    let mut equity_usd: std::collections::BTreeMap<String, f64> =
        [("deribit".to_string(), deribit_usd)].into();
    if let Some(b) = &binance {
        equity_usd.insert("binance".into(), b.equity);
    }
    let venues = ballast::margin::venue::venue_exposure(&greeks, &equity_usd);
    let breaches = ballast::margin::venue::venue_breaches(&venues, &section.venue_limits)
        .with_context(|| path.display().to_string())?;
    let usdc_equity: f64 = m
        .accounts
        .iter()
        .filter(|a| a.currency == "usdc")
        .map(|a| a.equity)
        .sum();
    let total: f64 = venues.iter().map(|v| v.value_usd).sum();
    let stablecoins = ballast::margin::venue::stablecoin_exposure(
        &greeks,
        &[("USDC".to_string(), usdc_equity)].into(),
        total,
    );
    if format == Format::Json {
        return json(&BookJson {
            margin: &m,
            venues: &venues,
            venue_limit_breaches: &breaches,
            stablecoins: &stablecoins,
            binance: binance.as_ref(),
        });
    }
    let mut out = format!(
        "Margin — {}, as of {}\n",
        pf.name.as_deref().unwrap_or("book"),
        book.market.as_of.map(|t| t.to_string()).unwrap_or_default()
    );
    if m.accounts.is_empty() {
        out += "\nDeribit portfolio margin: no Deribit positions\n";
    } else {
        out += &deribit_tables(&m);
    }
    if let Some(b) = &binance {
        out += &binance_table(b);
    }
    out += "\nExposure per venue (the book's value if one venue fails: its positions and equity gone)\n";
    let mut v = Table::new([
        "venue",
        "value USD",
        "share",
        "delta USD",
        "vega",
        "value if it fails",
    ]);
    for x in &venues {
        v.row([
            x.venue.clone(),
            usd(x.value_usd),
            pct(x.share_of_value),
            usd(x.delta_usd),
            usd(x.vega),
            usd(x.value_if_default_usd),
        ]);
    }
    out += &v.render();
    for b in &breaches {
        out += &format!(
            "LIMIT BREACHED: {} holds {} of the book's value (limit {})\n",
            b.venue,
            pct(b.share_of_value),
            pct(b.limit)
        );
    }
    if stablecoins.is_empty() {
        out += "\nStablecoin exposure by issuer: none held\n";
    } else {
        out += "\nStablecoin exposure by issuer\n";
        let mut s = Table::new(["issuer", "coins", "value USD", "share"]);
        for x in &stablecoins {
            s.row([
                x.issuer.clone(),
                x.coins.join(", "),
                usd(x.value_usd),
                pct(x.share_of_value),
            ]);
        }
        out += &s.render();
    }
    let in_binance = |n: &String| {
        binance.as_ref().is_some_and(|b| {
            b.positions
                .iter()
                .any(|l| n.eq_ignore_ascii_case(&format!("{} (binance)", l.instrument)))
        })
    };
    let elsewhere: Vec<&String> = m.not_margined.iter().filter(|n| !in_binance(n)).collect();
    if !elsewhere.is_empty() {
        out += &format!(
            "\nNot margined here (collateral, or venues without a margin model): {}\n",
            elsewhere
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(out)
}

/// The Deribit accounts' margins and liquidation moves as tables.
fn deribit_tables(m: &ballast::margin::deribit::BookMargin) -> String {
    let mut out = "\nDeribit portfolio margin\n".to_string();
    let mut t = Table::new([
        "account",
        "equity",
        "initial margin",
        "maintenance",
        "utilisation",
        "free collateral",
        "worst case",
        "standard IM / MM",
    ]);
    for acc in &m.accounts {
        let d = &m.deribit.margins[&acc.currency]
            .initial_margin_details
            .risk_matrix_margin_details;
        let b = &d.worst_case_bucket;
        t.row([
            acc.currency.clone(),
            format!("{:.6}", acc.equity),
            format!("{:.6}", acc.initial_margin),
            format!("{:.6}", acc.maintenance_margin),
            pct(acc.margin_utilisation),
            format!("{:.6}", acc.free_collateral),
            format!(
                "{:.6} ({} {} {}, vol {})",
                d.worst_case,
                b.source,
                b.side,
                b.bucket,
                ["up", "same", "down"][b.index.min(2)]
            ),
            acc.standard_margin.map_or("–".into(), |s| {
                format!("{:.4} / {:.4}", s.initial_margin, s.maintenance_margin)
            }),
        ]);
    }
    out += &t.render();
    out += "\nLiquidation: the index move at which equity falls to the maintenance margin (book revalued, risk matrix recomputed)\n";
    let mut l = Table::new([
        "account",
        "coin",
        "fall",
        "index",
        "σ (daily)",
        "rise",
        "index",
        "σ (daily)",
    ]);
    let cell = |p: &Option<ballast::margin::deribit::LiquidationPoint>| match p {
        Some(p) if p.index_move == 0.0 => [
            "now: equity is below maintenance".into(),
            format!("{:.2}", p.index_price),
            String::new(),
        ],
        Some(p) => [
            pct(p.index_move),
            format!("{:.2}", p.index_price),
            p.sigmas.map_or("–".into(), |s| format!("{s:.1}")),
        ],
        None => ["none".into(), String::new(), String::new()],
    };
    for acc in &m.accounts {
        for u in &acc.liquidation {
            let [a, b, c] = cell(&u.fall);
            let [d, e, f] = cell(&u.rise);
            l.row([acc.currency.clone(), u.coin.clone(), a, b, c, d, e, f]);
        }
    }
    out += &l.render();
    out
}

#[derive(Serialize)]
struct WhatIfJson<'a> {
    before: &'a ballast::margin::deribit::BookMargin,
    after: &'a ballast::margin::deribit::BookMargin,
}

fn what_if_table(
    before: &ballast::margin::deribit::BookMargin,
    after: &ballast::margin::deribit::BookMargin,
) -> String {
    use ballast::margin::deribit::{CurrencyAccount, LiquidationPoint};
    let mut t = Table::new([
        "account",
        "",
        "initial margin",
        "maintenance",
        "utilisation",
        "free collateral",
        "liquidation fall",
        "liquidation rise",
    ]);
    let show = |p: Option<&LiquidationPoint>| {
        p.map_or("none".to_string(), |p| {
            format!("{} ({:.2})", pct(p.index_move), p.index_price)
        })
    };
    let moves = |acc: &CurrencyAccount| {
        (
            acc.liquidation
                .iter()
                .map(|l| show(l.fall.as_ref()))
                .collect::<Vec<_>>()
                .join(", "),
            acc.liquidation
                .iter()
                .map(|l| show(l.rise.as_ref()))
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    for (label, m) in [("before", before), ("after", after)] {
        for acc in &m.accounts {
            let (f, r) = moves(acc);
            t.row([
                acc.currency.clone(),
                label.to_string(),
                format!("{:.6}", acc.initial_margin),
                format!("{:.6}", acc.maintenance_margin),
                pct(acc.margin_utilisation),
                format!("{:.6}", acc.free_collateral),
                f,
                r,
            ]);
        }
    }
    format!(
        "Margin before and after the proposed trades (Deribit portfolio margin)\n\n{}",
        t.render()
    )
}

/// The Binance USDⓈ-M account: positions with their brackets, the account, liquidation moves.
fn binance_table(b: &ballast::margin::tiered::TieredAccount) -> String {
    let mut out = format!(
        "\nBinance USDⓈ-M cross margin (tiered maintenance: notional × MMR − cum) — equity {} USD, maintenance {} USD, utilisation {}\n",
        usd(b.equity),
        usd(b.maintenance_margin),
        pct(b.margin_utilisation)
    );
    let mut t = Table::new([
        "symbol",
        "size",
        "mark",
        "notional USD",
        "bracket",
        "MMR",
        "cum USD",
        "maintenance USD",
    ]);
    for l in &b.positions {
        t.row([
            l.symbol.clone(),
            format!("{:.4}", l.size),
            format!("{:.2}", l.mark_price),
            usd(l.notional),
            l.bracket.to_string(),
            pct(l.mmr),
            usd(l.cum),
            usd(l.maintenance_margin),
        ]);
    }
    out += &t.render();
    let mut l = Table::new(["coin", "fall", "price", "rise", "price"]);
    let cell = |p: &Option<ballast::margin::deribit::LiquidationPoint>| match p {
        Some(p) if p.index_move == 0.0 => [
            "now: margin balance is below maintenance".into(),
            format!("{:.2}", p.index_price),
        ],
        Some(p) => [pct(p.index_move), format!("{:.2}", p.index_price)],
        None => ["none".into(), String::new()],
    };
    for x in &b.liquidation {
        let [a, c] = cell(&x.fall);
        let [d, e] = cell(&x.rise);
        l.row([x.coin.clone(), a, c, d, e]);
    }
    out += "Liquidation (cross margin: the coin's move at which the margin balance meets the maintenance margin, brackets re-chosen there)\n";
    out += &l.render();
    out
}
