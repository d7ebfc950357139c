use crate::{data, root};
use ballast_server::feed::{parse, replay, FeedState, Message, Tick};
use ballast_server::{BookSpec, Desk};
use std::time::{Duration, Instant};

fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(data(&format!("ws/{name}")))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// The recorded Deribit sessions parse as what they are: every option ticker a tick with its
/// mark and IV, order books ignored, the subscription result a response, test_requests
/// recognised.
#[test]
fn recorded_deribit_messages_parse() {
    let msgs = lines("deribit_options_2021-04-05_cryptofeed.jsonl");
    let parsed: Vec<Message> = msgs.iter().map(|m| parse(m)).collect();
    let tickers = parsed
        .iter()
        .filter(|m| matches!(m, Message::Tick(Tick::Ticker { .. })))
        .count();
    let ignored = parsed
        .iter()
        .filter(|m| matches!(m, Message::Ignored(c) if c.starts_with("book.")))
        .count();
    assert_eq!((tickers, ignored), (273, 187));
    assert_eq!(parsed[0], Message::Response);
    assert!(!parsed.iter().any(|m| matches!(m, Message::Bad(_))));
    // a ticker's fields, as the exchange sent them
    let first = parsed.iter().position(|m| matches!(m, Message::Tick(_))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&msgs[first]).unwrap();
    let d = &v["params"]["data"];
    match &parsed[first] {
        Message::Tick(Tick::Ticker {
            instrument,
            mark_price,
            mark_iv,
            underlying_price,
            timestamp,
            ..
        }) => {
            assert_eq!(instrument, d["instrument_name"].as_str().unwrap());
            assert_eq!(*mark_price, d["mark_price"].as_f64().unwrap());
            assert_eq!(*mark_iv, d["mark_iv"].as_f64());
            assert_eq!(*underlying_price, d["underlying_price"].as_f64());
            assert_eq!(*timestamp, d["timestamp"].as_i64().unwrap());
        }
        other => panic!("{other:?}"),
    }
    let hb = lines("deribit_docs_example.jsonl");
    assert!(hb.iter().any(|m| parse(m) == Message::TestRequest));
}

/// Scientific notation is a number; NaN, negative or zero prices and broken JSON are bad
/// messages, never applied.
#[test]
fn numbers_and_impossible_values() {
    let index = |price: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.btc_usd","data":{{"index_name":"btc_usd","price":{price},"timestamp":1}}}}}}"#
        )
    };
    assert_eq!(
        parse(&index("6.4e4")),
        Message::Tick(Tick::Index {
            coin: "BTC".into(),
            price: 64000.0,
            timestamp: 1
        })
    );
    for bad in ["-1", "0", "NaN", "\"70000\"", "null"] {
        assert!(matches!(parse(&index(bad)), Message::Bad(_)), "{bad}");
    }
    assert!(matches!(parse("{\"jsonrpc\":"), Message::Bad(_)));
    assert!(matches!(parse("[1,2]"), Message::Bad(_)));
}

fn desk() -> Desk {
    let path = root().join("examples/derivatives.toml");
    let pf = ballast::io::read_portfolio(&path).unwrap();
    let book = ballast::io::load_book(&pf).unwrap();
    Desk::new(vec![BookSpec {
        id: "derivatives".into(),
        name: "d".into(),
        book,
        risk: None,
        limits: Default::default(),
    }])
    .unwrap()
}

/// Ticks move the books; out-of-order, duplicate, unknown and bad ones are skipped and
/// counted; a test_request gets its public/test reply.
#[test]
fn ticks_apply_and_skips_are_counted() {
    let mut d = desk();
    let mut f = FeedState::new("test", Duration::from_secs(30));
    let now = Instant::now();
    let index = |price: f64, ts: i64| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.btc_usd","data":{{"index_name":"btc_usd","price":{price},"timestamp":{ts}}}}}}}"#
        )
    };
    let far = 1_776_100_000_000; // after the snapshot
    let s0 = d.market("derivatives").unwrap().spot["BTC"];
    f.process(&mut d, &index(80_000.0, far), now);
    assert_eq!(d.market("derivatives").unwrap().spot["BTC"], 80_000.0);
    // P&L since the start: the 3 BTC held move with the index
    let pnl = d.pnl_since_start("derivatives").unwrap();
    let btc = pnl
        .positions
        .iter()
        .find(|p| p.position == "BTC")
        .unwrap()
        .pnl_usd;
    assert!((btc - 3.0 * (80_000.0 - s0)).abs() < 1e-6, "{btc}");
    let before = d.greeks("derivatives").unwrap().total.delta_usd;
    f.process(&mut d, &index(79_000.0, far - 1), now); // older: skipped
    f.process(&mut d, &index(80_000.0, far), now); // the same again: skipped
    f.process(&mut d, &index(-5.0, far + 1), now); // impossible: skipped
    assert_eq!(d.market("derivatives").unwrap().spot["BTC"], 80_000.0);
    let ticker = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.SOL-PERPETUAL.100ms","data":{"instrument_name":"SOL-PERPETUAL","mark_price":150,"timestamp":5}}}"#;
    f.process(&mut d, ticker, now);
    let reply = f.process(
        &mut d,
        r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#,
        now,
    );
    assert!(reply.unwrap().contains("public/test"));
    let c = &f.report(now).counts;
    assert_eq!(
        (
            c.applied,
            c.out_of_order,
            c.duplicate,
            c.bad,
            c.unknown_instrument,
            c.test_requests
        ),
        (1, 1, 1, 1, 1, 1)
    );
    assert_eq!(d.greeks("derivatives").unwrap().total.delta_usd, before);
    // liveness by data: a channel with nothing for longer than the threshold is stale
    let later = f.report(now + Duration::from_secs(31));
    assert!(later.stale && later.channels["deribit_price_index.btc_usd"].stale);
}

/// The replay of the daily snapshots speaks Deribit's protocol: every message parses, the
/// index each day is the snapshot's, and the book is valued on every day of it.
#[test]
fn the_snapshot_replay_moves_the_book_every_day() {
    let mut d = desk();
    let (instruments, coins) = d.instruments();
    let spec = replay::ReplaySpec {
        snapshots: &data("deribit_options_snapshots"),
        futures: Some(&data("deribit_futures_term_structure.csv")),
        instruments: &instruments,
        coins: &coins,
        from: "2026-04-13".parse().unwrap(),
    };
    let msgs = replay::build(&spec).unwrap();
    assert!(msgs.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    let mut f = FeedState::new("replay", Duration::from_secs(30));
    let mut spots = Vec::new();
    for (_, m) in &msgs {
        assert!(!matches!(parse(m), Message::Bad(_)), "{m}");
        f.process(&mut d, m, Instant::now());
        if m.contains("deribit_price_index.btc_usd") {
            d.advance_clocks();
            d.greeks("derivatives").unwrap();
            spots.push(d.market("derivatives").unwrap().spot["BTC"]);
        }
    }
    let c = f.report(Instant::now()).counts;
    assert_eq!((c.bad, c.out_of_order), (0, 0));
    assert!(spots.len() >= 18, "{} days", spots.len());
    // the last day is before the book's first option expiry (29 May 2026)
    let last = jiff::Timestamp::from_millisecond(msgs.last().unwrap().0).unwrap();
    assert!(last < "2026-05-29T08:00:00Z".parse().unwrap());
    // the 2026-04-20 index is that snapshot's median index price
    let rows = ballast::io::read_option_chain(data(
        "deribit_options_snapshots/deribit_BTC_options_2026-04-20.csv",
    ))
    .unwrap();
    let mut idx: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.quote.as_ref().ok()?.index_price)
        .collect();
    idx.sort_by(f64::total_cmp);
    assert!(spots.contains(&idx[idx.len() / 2]));
}

/// The P&L since 00:00 UTC: the positions held at the day's open from its market plus each
/// fill since from its own price; a tick on the next day opens a new day.
#[test]
fn the_days_pnl_takes_fills_at_their_own_prices() {
    let mut d = desk();
    let mut f = FeedState::new("test", Duration::from_secs(30));
    let now = Instant::now();
    let (date, zero) = d.pnl_today("derivatives").unwrap().unwrap();
    assert_eq!((date.to_string().as_str(), zero), ("2026-04-13", 0.0));
    let m0 = d.market("derivatives").unwrap().clone();
    let perp0 = m0.futures["BTC-PERPETUAL"];
    let fill_price = perp0 * 0.995;
    d.apply(&ballast_server::Fill {
        seq: 1,
        book: "derivatives".into(),
        key: "k1".into(),
        instrument: "BTC-PERPETUAL".into(),
        size: 10_000.0,
        price: fill_price,
        venue: "deribit".into(),
        received: "2026-04-13T11:00:00Z".into(),
    })
    .unwrap();
    let open: Vec<_> = ballast::io::load_book(
        &ballast::io::read_portfolio(crate::root().join("examples/derivatives.toml")).unwrap(),
    )
    .unwrap()
    .positions;
    // noon: BTC up 1 %
    let noon = jiff::Timestamp::from_second(1_776_081_600).unwrap(); // 2026-04-13T12:00:00Z
    let s1 = m0.spot["BTC"] * 1.01;
    let tick = format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.btc_usd","data":{{"index_name":"btc_usd","price":{s1},"timestamp":{}}}}}}}"#,
        noon.as_millisecond()
    );
    f.process(&mut d, &tick, now);
    d.advance_clocks();
    let m1 = d.market("derivatives").unwrap().clone();
    let held = ballast::book::pnl_between(&open, &m0, &m1).unwrap().total_usd;
    let fill = 10_000.0 * (1.0 / fill_price - 1.0 / (perp0 * 1.01)) * s1;
    let (date, pnl) = d.pnl_today("derivatives").unwrap().unwrap();
    assert_eq!(date.to_string(), "2026-04-13");
    assert!(
        (pnl - (held + fill)).abs() < 1e-6 * (1.0 + pnl.abs()),
        "{pnl} vs {held} + {fill}"
    );
    assert!(fill > 0.0 && held != 0.0);
    // the next day opens on the market as it is: nothing made yet
    let next = format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.btc_usd","data":{{"index_name":"btc_usd","price":{},"timestamp":{}}}}}}}"#,
        s1 * 1.001,
        noon.as_millisecond() + 14 * 3_600_000
    );
    f.process(&mut d, &next, now);
    d.advance_clocks();
    let (date, pnl) = d.pnl_today("derivatives").unwrap().unwrap();
    assert_eq!((date.to_string().as_str(), pnl), ("2026-04-14", 0.0));
}
