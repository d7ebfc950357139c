//! The risk matrix's vectorised revaluation against the scalar Black-76 formulas, and the
//! liquidation search against an independently moved book.

use ballast::instrument::Position;
use ballast::margin::deribit::{
    book_margin, portfolio_margin, shocked_vol, PmInput, PmParams, Ticker, EXTENDED_MOVES,
};
use ballast::market::MarketSnapshot;
use ballast::pricing::{Black76, OptionKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The shipped parameters, with a `usdc` currency (a copy of `btc`'s) for linear contracts.
fn params() -> PmParams {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/deribit_pm_params.toml"
    );
    let mut p: PmParams = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let usdc = p.currency["btc"].clone();
    p.currency.insert("usdc".into(), usdc);
    p
}

const EXPIRY: &str = "2026-06-26T08:00:00Z";

fn black76(f: f64, k: f64, t: f64, v: f64, call: bool, linear: bool) -> f64 {
    let kind = if call { OptionKind::Call } else { OptionKind::Put };
    let b = Black76::new(f, k, t, v, 0.0, kind).unwrap();
    if linear {
        b.price()
    } else {
        b.price_coin()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Every entry of an option's risk vector is size × (Black-76 at the moved forward and the
    /// shocked vol − Black-76 at the mark), coin-settled and linear, calls and puts, deep in and
    /// out of the money, from hours to a year before expiry.
    #[test]
    fn option_vectors_are_black76_revaluations(
        ratio in 0.3f64..3.0,
        hours in 2.0f64..9000.0,
        iv in 0.05f64..2.5,
        size in -20.0f64..20.0,
        call: bool,
        linear: bool,
    ) {
        let p = params();
        let pair = &p.currency_pair["btc_usd"];
        let f = 64_321.5;
        let k = (f * ratio).round();
        let expiry: jiff::Timestamp = EXPIRY.parse().unwrap();
        let now = expiry.checked_sub(jiff::SignedDuration::from_secs_f64(hours * 3600.0)).unwrap();
        let name = format!(
            "{}-26JUN26-{k}-{}",
            if linear { "BTC_USDC" } else { "BTC" },
            if call { "C" } else { "P" }
        );
        let input = PmInput {
            now: Some(now),
            positions: [(name.clone(), size)].into(),
            index_price: [("btc_usd".to_string(), 64_000.0)].into(),
            tickers: [(name.clone(), Ticker { mark_price: 0.0, mark_iv: Some(iv), underlying_price: Some(f) })].into(),
            ..PmInput::default()
        };
        let r = portfolio_margin(&p, &input).unwrap();
        let v = &r.initial_risk_vectors[&name];
        let t = hours / (365.0 * 24.0);
        let days = t * 365.0;
        let base = black76(f, k, t, iv, call, linear);
        let scale = if linear { f } else { 1.0 };
        let tol = 2e-13 * scale * (1.0 + size.abs());
        let moves = p.standard_moves(pair);
        prop_assert_eq!(v.standard.len(), 3 * moves.len());
        for (j, m) in moves.iter().enumerate() {
            for s in 0..3 {
                let want = size * (black76(f * (1.0 + m), k, t, shocked_vol(pair, iv, days, s), call, linear) - base);
                let got = v.standard[3 * j + s];
                prop_assert!((got - want).abs() <= tol, "move {m} vol {s}: {got} vs {want}");
            }
        }
        let up = shocked_vol(pair, iv, days, 0);
        for (j, m) in EXTENDED_MOVES.iter().enumerate() {
            let want = size * (black76(f * (1.0 + m), k, t, up, call, linear) - base) * pair.extended_table_factor;
            let got = v.extended[j];
            prop_assert!((got - want).abs() <= tol, "extended {m}: {got} vs {want}");
        }
    }
}

fn market(spot: &[(&str, f64)], futures: &[(&str, f64)]) -> MarketSnapshot {
    let mut m = MarketSnapshot {
        as_of: Some("2026-04-13T10:00:00Z".parse().unwrap()),
        ..MarketSnapshot::default()
    };
    for (c, p) in spot {
        m.spot.insert(c.to_string(), *p);
    }
    for (n, p) in futures {
        m.futures.insert(n.to_string(), *p);
    }
    m
}

/// The bundled Deribit BTC snapshot of 2026-04-13.
fn btc_chain() -> MarketSnapshot {
    let rows = ballast::io::read_option_chain(crate::common::data_path("deribit_BTC_options_2026-04-13.csv"))
        .unwrap();
    let mut m = MarketSnapshot::from_chain_rows(rows).unwrap();
    let fut = crate::common::data_path("deribit_futures_term_structure.csv");
    m.futures = ballast::io::read_futures_prices(fut, m.as_of).unwrap();
    m
}

#[test]
fn an_option_books_liquidation_is_where_the_independently_moved_book_meets_maintenance() {
    let p = params();
    let mkt = btc_chain();
    // short puts, a long call and a long inverse perpetual: liquidates on a fall
    let positions = vec![
        Position::new("BTC-PERPETUAL", 140_000.0, "deribit").unwrap(),
        Position::new("BTC-26JUN26-60000-P", -3.0, "deribit").unwrap(),
        Position::new("BTC-29MAY26-65000-P", -2.0, "deribit").unwrap(),
        Position::new("BTC-26JUN26-80000-C", 1.0, "deribit").unwrap(),
    ];
    let rich: BTreeMap<String, f64> = [("btc".to_string(), 100.0)].into();
    let mm0 = book_margin(&p, &positions, &mkt, &rich).unwrap().accounts[0].maintenance_margin;
    let eq = 1.4 * mm0;
    let equity: BTreeMap<String, f64> = [("btc".to_string(), eq)].into();
    let m = book_margin(&p, &positions, &mkt, &equity).unwrap();
    let x = m.accounts[0].liquidation[0]
        .fall
        .as_ref()
        .expect("liquidates on a fall")
        .index_move;
    assert!(x < 0.0 && x > -0.9, "{x}");
    // move everything by hand: index, forwards, inverse size (fixed USD notional)
    let (base, _) = ballast::margin::deribit::pm_input(&positions, &mkt).unwrap();
    let mut moved = base.clone();
    let index = base.index_price["btc_usd"];
    moved.index_price.insert("btc_usd".into(), index * (1.0 + x));
    let mut pnl = 0.0;
    for (name, q) in &base.positions {
        let t = &base.tickers[name];
        if let Some(iv) = t.mark_iv {
            let f0 = t.underlying_price.unwrap();
            moved.tickers.get_mut(name).unwrap().underlying_price = Some(f0 * (1.0 + x));
            let (strike, call, tt) = option_terms(name, &base);
            pnl += q
                * (black76(f0 * (1.0 + x), strike, tt, iv, call, false)
                    - black76(f0, strike, tt, iv, call, false));
        } else {
            moved.positions.insert(name.clone(), q / (1.0 + x));
            moved.tickers.get_mut(name).unwrap().mark_price = t.mark_price * (1.0 + x);
            pnl += q * (1.0 - 1.0 / (1.0 + x));
        }
    }
    let mm = portfolio_margin(&p, &moved).unwrap().margins["btc"].maintenance_margin;
    assert!(
        (eq + pnl - mm).abs() < 1e-8,
        "equity + P&L {} vs maintenance {mm}",
        eq + pnl
    );
}

/// Strike, call?, years to expiry of a Deribit option name at the input's instant.
fn option_terms(name: &str, input: &PmInput) -> (f64, bool, f64) {
    let ballast::instrument::Instrument::Option {
        expiry, strike, kind, ..
    } = ballast::instrument::parse_deribit_name(name).unwrap()
    else {
        panic!("{name} is not an option")
    };
    let now = input.now.unwrap();
    let t = (expiry.as_second() - now.as_second()) as f64 / (365.0 * 86_400.0);
    (strike, kind == OptionKind::Call, t)
}

#[test]
fn a_usdc_accounts_liquidation_counts_the_margin_of_its_other_underlyings() {
    let p = params();
    let mkt = market(
        &[("BTC", 70_000.0), ("ETH", 2_000.0)],
        &[("BTC_USDC-PERPETUAL", 70_000.0), ("ETH_USDC-PERPETUAL", 2_000.0)],
    );
    let btc = vec![Position::new("BTC_USDC-PERPETUAL", 1.0, "deribit").unwrap()];
    let mut both = btc.clone();
    both.push(Position::new("ETH_USDC-PERPETUAL", -20.0, "deribit").unwrap());
    let equity: BTreeMap<String, f64> = [("usdc".to_string(), 20_000.0)].into();
    let alone = book_margin(&p, &btc, &mkt, &equity).unwrap();
    let with_eth = book_margin(&p, &both, &mkt, &equity).unwrap();
    let x_alone = alone.accounts[0].liquidation[0].fall.as_ref().unwrap().index_move;
    let acc = &with_eth.accounts[0];
    let btc_liq = acc.liquidation.iter().find(|l| l.coin == "BTC").unwrap();
    let x = btc_liq.fall.as_ref().unwrap().index_move;
    // the ETH short's margin uses part of the equity: BTC liquidates on a smaller fall
    assert!(x > x_alone, "{x} vs alone {x_alone}");
    let eth_mm = book_margin(&p, &both[1..], &mkt, &equity).unwrap().accounts[0].maintenance_margin;
    // at BTC's liquidation: 20,000 + P&L = BTC's margin there + ETH's margin (ETH unmoved)
    let moved = market(
        &[("BTC", 70_000.0 * (1.0 + x)), ("ETH", 2_000.0)],
        &[("BTC_USDC-PERPETUAL", 70_000.0 * (1.0 + x))],
    );
    let btc_mm = book_margin(&p, &btc, &moved, &equity).unwrap().accounts[0].maintenance_margin;
    let pnl = 70_000.0 * x;
    assert!(
        (20_000.0 + pnl - btc_mm - eth_mm).abs() < 1e-6,
        "{}",
        20_000.0 + pnl - btc_mm - eth_mm
    );
}

fn binance_brackets() -> BTreeMap<String, Vec<ballast::margin::liquidation::Bracket>> {
    ballast::io::read_leverage_brackets(crate::common::data_path("binance_usdm_leverage_brackets.json"))
        .unwrap()
}

#[test]
fn binance_cross_margin_liquidation_equals_binances_closed_form_for_one_position() {
    use ballast::margin::liquidation::{binance_linear, Side};
    use ballast::margin::tiered::binance_account;
    let brackets = binance_brackets();
    let table = &brackets["BTCUSDT"];
    // small and large positions (the large one changes bracket on the way), long and short
    for (qty, wallet) in [
        (1.0, 8_400.0),
        (-1.0, 8_400.0),
        (150.0, 2_000_000.0),
        (-150.0, 2_500_000.0),
    ] {
        let mkt = market(&[("BTC", 84_000.0)], &[("BTC_USDT-PERPETUAL", 84_000.0)]);
        let book = vec![Position::new("BTC_USDT-PERPETUAL", qty, "binance").unwrap()];
        let acc = binance_account(&book, &mkt, "binance", wallet, &brackets)
            .unwrap()
            .unwrap();
        let line = &acc.positions[0];
        let (i, mm) = ballast::margin::tiered::tiered_maintenance(84_000.0 * qty.abs(), table).unwrap();
        assert_eq!(line.bracket, i + 1);
        assert!(
            (line.maintenance_margin - (84_000.0 * qty.abs() * table[i].mmr - table[i].cum)).abs() < 1e-9
        );
        assert!((acc.maintenance_margin - mm).abs() < 1e-9);
        let side = if qty > 0.0 { Side::Long } else { Side::Short };
        let closed = binance_linear(side, qty.abs(), 84_000.0, wallet, table).unwrap();
        let liq = &acc.liquidation[0];
        let found = if qty > 0.0 { &liq.fall } else { &liq.rise };
        let p = found
            .as_ref()
            .expect("a leveraged position liquidates")
            .index_price;
        assert!(
            (p - closed.price).abs() < 0.01,
            "qty {qty}: root {p} vs closed form {}",
            closed.price
        );
    }
}

#[test]
fn binance_cross_margin_counts_every_position_and_refuses_what_it_cannot_margin() {
    use ballast::margin::tiered::binance_account;
    let brackets = binance_brackets();
    let mkt = market(
        &[("BTC", 84_000.0), ("ETH", 2_000.0)],
        &[("BTC_USDT-PERPETUAL", 84_000.0), ("ETH_USDT-PERPETUAL", 2_000.0)],
    );
    let btc = Position::new("BTC_USDT-PERPETUAL", 2.0, "binance").unwrap();
    let eth = Position::new("ETH_USDT-PERPETUAL", -40.0, "binance").unwrap();
    let alone = binance_account(std::slice::from_ref(&btc), &mkt, "binance", 30_000.0, &brackets)
        .unwrap()
        .unwrap();
    let both = binance_account(&[btc.clone(), eth.clone()], &mkt, "binance", 30_000.0, &brackets)
        .unwrap()
        .unwrap();
    let sum: f64 = both.positions.iter().map(|l| l.maintenance_margin).sum();
    assert!((both.maintenance_margin - sum).abs() < 1e-9);
    let fall = |a: &ballast::margin::tiered::TieredAccount| {
        a.liquidation
            .iter()
            .find(|l| l.coin == "BTC")
            .unwrap()
            .fall
            .as_ref()
            .unwrap()
            .index_move
    };
    // the ETH short's maintenance margin uses equity: BTC liquidates on a smaller fall; at that
    // fall, equity + BTC's P&L = BTC's maintenance there + ETH's
    let x = fall(&both);
    assert!(x > fall(&alone), "{x}");
    let table = &brackets["BTCUSDT"];
    let (_, btc_mm) = ballast::margin::tiered::tiered_maintenance(2.0 * 84_000.0 * (1.0 + x), table).unwrap();
    let eth_mm = both
        .positions
        .iter()
        .find(|l| l.symbol == "ETHUSDT")
        .unwrap()
        .maintenance_margin;
    assert!((30_000.0 + 2.0 * 84_000.0 * x - btc_mm - eth_mm).abs() < 1e-3);
    // nothing at the venue: no account; spot there is collateral
    let spot = Position::new("BTC", 1.0, "binance").unwrap();
    assert!(binance_account(&[spot], &mkt, "binance", 1.0, &brackets)
        .unwrap()
        .is_none());
    // an option at the venue, a symbol without brackets, a negative equity: named errors
    let e = binance_account(
        &[Position::new("BTC-PERPETUAL", 1e4, "binance").unwrap()],
        &mkt,
        "binance",
        1.0,
        &brackets,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("BTC-PERPETUAL") && e.contains("linear perpetuals"),
        "{e}"
    );
    let mut few = brackets.clone();
    few.remove("ETHUSDT");
    let e = binance_account(std::slice::from_ref(&eth), &mkt, "binance", 1.0, &few)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ETHUSDT"), "{e}");
    let e = binance_account(&[eth], &mkt, "binance", -5.0, &brackets)
        .unwrap_err()
        .to_string();
    assert!(e.contains("equity"), "{e}");
}
