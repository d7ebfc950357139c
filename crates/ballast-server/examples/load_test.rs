//! A bounded load test of the service on loopback that stops by itself: the 1,000-position
//! benchmark book (900 BTC/ETH options, 100 inverse perpetuals, with its VaR and margin each
//! second) fed by a local server speaking Deribit's protocol at `--rate` messages a second
//! (default 10,000: option tickers, an index tick in every 10, and faults — NaN and negative
//! prices, unknown instruments, duplicates, out-of-order ticks, a dropped connection halfway),
//! while `--api` requests a second (default 200) hit the HTTP API and `--clients` WebSocket
//! clients (default 20, one of them slow) take the pushed snapshots, for `--seconds` (default
//! 60), after the first risk round. RSS is sampled each second. It fails (exit 1) on any 5xx or transport error, a client
//! that stops receiving, less than 90 % of the rate sent or 99 % of it read, RSS growing by
//! more than 200 MB, or a tick handling p99 over 1 ms. Latency is from a message's arrival
//! (read off the socket) to the desk updated, waiting for the desk's lock included.
//!
//! Run: `cargo run --release -p ballast-server --example load_test [-- --seconds 60]`.

#[path = "../../ballast/benches/support/scenario_book.rs"]
#[allow(dead_code)]
mod scenario_book;
#[path = "../../ballast/benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use ballast_server::api::App;
use ballast_server::risk::RiskInputs;
use ballast_server::runner::{run_live, LiveSpec};
use ballast_server::{BookSpec, Scope, Store};
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as Ws;

struct Args {
    seconds: u64,
    rate: u64,
    api: u64,
    clients: usize,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 60,
        rate: 10_000,
        api: 200,
        clients: 20,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for w in v.chunks(2) {
        let n: u64 = w.get(1).and_then(|x| x.parse().ok()).unwrap_or_else(|| {
            eprintln!("usage: load_test [--seconds N] [--rate N] [--api N] [--clients N]");
            std::process::exit(2)
        });
        match w[0].as_str() {
            "--seconds" => a.seconds = n.clamp(1, 3600),
            "--rate" => a.rate = n.clamp(1, 1_000_000),
            "--api" => a.api = n.clamp(1, 10_000),
            "--clients" => a.clients = (n as usize).clamp(1, 1000),
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2)
            }
        }
    }
    a
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The `i`-th message of the stream (exchange time `ts`): mostly option tickers, an index tick
/// in every 10, and a fault in every 500.
fn message(i: u64, ts: i64, held: &[(String, f64, f64, f64)], spot: (f64, f64)) -> String {
    let sub = |ch: &str, data: String| {
        format!(r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"{ch}","data":{data}}}}}"#)
    };
    let w = 1.0 + 0.002 * ((i as f64) * 0.013).sin();
    match i % 500 {
        1 => {
            return sub(
                "deribit_price_index.btc_usd",
                format!(r#"{{"index_name":"btc_usd","price":NaN,"timestamp":{ts}}}"#),
            )
        }
        2 => {
            return sub(
                "deribit_price_index.eth_usd",
                format!(r#"{{"index_name":"eth_usd","price":-5,"timestamp":{ts}}}"#),
            )
        }
        3 => {
            return sub(
                "ticker.BTC-1JAN30-1000-C.100ms",
                format!(r#"{{"instrument_name":"BTC-1JAN30-1000-C","mark_price":0.1,"timestamp":{ts}}}"#),
            )
        }
        4 => {
            return sub(
                "deribit_price_index.btc_usd",
                format!(
                    r#"{{"index_name":"btc_usd","price":{},"timestamp":{}}}"#,
                    spot.0,
                    ts - 60_000
                ),
            )
        }
        _ => {}
    }
    if i % 10 == 0 {
        let (c, s) = if i % 20 == 0 {
            ("btc", spot.0)
        } else {
            ("eth", spot.1)
        };
        return sub(
            &format!("deribit_price_index.{c}_usd"),
            format!(r#"{{"index_name":"{c}_usd","price":{},"timestamp":{ts}}}"#, s * w),
        );
    }
    let (name, mark, iv, fwd) = &held[(i as usize * 7) % held.len()];
    sub(
        &format!("ticker.{name}.100ms"),
        format!(
            r#"{{"instrument_name":"{name}","mark_price":{},"mark_iv":{},"underlying_price":{},"timestamp":{ts}}}"#,
            mark * w,
            iv * 100.0,
            fwd * w
        ),
    )
}

/// A local exchange: answers the handshake, then streams `rate` messages a second until
/// `until`; drops the first connection halfway (the client must reconnect and resubscribe).
async fn exchange(
    listener: TcpListener,
    rate: u64,
    until: Instant,
    held: Vec<(String, f64, f64, f64)>,
    spot: (f64, f64),
    sent: Arc<AtomicU64>,
) {
    let half = until - (until - Instant::now()) / 2;
    let mut i = 0u64;
    let mut ts = 1_776_100_000_000i64;
    let mut first = true;
    while Instant::now() < until {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
            continue;
        };
        // the handshake: set_heartbeat and subscribe, each answered
        for _ in 0..2 {
            let Some(Ok(Ws::Text(t))) = ws.next().await else {
                break;
            };
            let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
            let _ = ws
                .send(Ws::Text(
                    format!(r#"{{"jsonrpc":"2.0","id":{},"result":"ok"}}"#, v["id"]).into(),
                ))
                .await;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let per = (rate / 100).max(1);
        'stream: while Instant::now() < until {
            tick.tick().await;
            for _ in 0..per {
                i += 1;
                ts += 1;
                let m = message(i, ts, &held, spot);
                if ws.feed(Ws::Text(m.into())).await.is_err() {
                    break 'stream;
                }
                sent.fetch_add(1, Relaxed);
                if i % 1000 == 0 {
                    // the same tick again
                    let _ = ws.feed(Ws::Text(message(i, ts, &held, spot).into())).await;
                    sent.fetch_add(1, Relaxed);
                }
            }
            if ws.flush().await.is_err() {
                break;
            }
            if first && Instant::now() >= half {
                first = false;
                break; // the exchange drops the connection
            }
        }
        drop(ws);
    }
}

/// One HTTP/1.1 request on a fresh connection: the status code.
async fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> std::io::Result<u16> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let book = scenario_book::book();
    let m0 = book.market.clone();
    let held: Vec<(String, f64, f64, f64)> = book
        .positions
        .iter()
        .filter(|p| matches!(p.instrument, ballast::instrument::Instrument::Option { .. }))
        .map(|p| {
            let q = &m0.options[&ballast::market::instrument_key(&p.instrument)];
            (p.name.clone(), q.mark_price, q.mark_iv.unwrap_or(0.5), q.forward)
        })
        .collect();
    let spot = (m0.spot["BTC"], m0.spot["ETH"]);
    let data = |f: &str| support::data_path(f);
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let risk = RiskInputs {
        prices: Some(ballast::io::read_prices(data("crypto_daily_close.csv")).expect("prices")),
        vol_history: Some(ballast::io::read_prices(data("deribit_dvol_daily.csv")).expect("DVOL")),
        window: 730,
        end: Some("2026-04-13".parse().unwrap()),
        margin: Some(ballast::io::MarginInputs {
            params: Some(
                ballast::io::read_pm_params(root.join("examples/deribit_pm_params.toml")).expect("params"),
            ),
            equity: [("btc".to_string(), 500.0), ("eth".to_string(), 8000.0)].into(),
        }),
    };
    let dir = std::env::temp_dir().join(format!("ballast-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&dir.join("load.db")).unwrap();
    let (_, read) = store.create_token(Scope::Read, "load").unwrap();
    let (_, write) = store.create_token(Scope::ReadWrite, "load").unwrap();
    let spec = BookSpec {
        id: "bench".into(),
        name: "bench".into(),
        book,
        risk: Some(Arc::new(risk)),
        limits: [("delta_usd.BTC".to_string(), 1e6)].into(),
    };
    let app = Arc::new(App::load(vec![spec], store).await.unwrap());
    ballast_server::push::start(app.clone(), Duration::from_secs(1));
    ballast_server::risk::start(app.clone(), Duration::from_secs(1));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(ballast_server::serve(listener, app.clone()));
    let feed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (instruments, coins) = app.desk.read().await.instruments();
    let live = LiveSpec {
        url: format!("ws://{}", feed.local_addr().unwrap()),
        tls: None,
        channels: LiveSpec::channels(&instruments, &coins),
        heartbeat: 10,
        backoff: (Duration::from_millis(100), Duration::from_secs(1)),
    };
    // the first risk round done (the API answers 503 for the book's risk until then)
    let ready_by = Instant::now() + Duration::from_secs(120);
    while !app.risk.read().await.contains_key("bench") {
        if Instant::now() > ready_by {
            println!("load test FAILED: no risk round in 120 s");
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = Instant::now();
    let until = start + Duration::from_secs(a.seconds);
    let sent = Arc::new(AtomicU64::new(0));
    tokio::spawn(exchange(feed, a.rate, until, held, spot, sent.clone()));
    tokio::spawn(run_live(app.clone(), live));

    // WebSocket clients: the last one slow (reads every 3 s)
    let received: Vec<Arc<AtomicU64>> = (0..a.clients).map(|_| Arc::new(AtomicU64::new(0))).collect();
    for (k, n) in received.iter().enumerate() {
        let (n, url, slow) = (
            n.clone(),
            format!("ws://{addr}/ws?token={read}"),
            k + 1 == a.clients,
        );
        tokio::spawn(async move {
            let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url.as_str()).await else {
                return;
            };
            while let Some(Ok(m)) = ws.next().await {
                if matches!(m, Ws::Text(_)) {
                    n.fetch_add(1, Relaxed);
                }
                if slow {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
            }
        });
    }
    // the API
    let (ok, bad, fail, transport) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let routes = [
        "/api/health",
        "/api/books",
        "/api/books/bench/portfolio",
        "/api/books/bench/greeks",
        "/api/books/bench/risk",
        "/api/books/bench/margin",
        "/api/books/bench/alerts",
        "/api/books/nope/greeks",
    ];
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / a.api as f64));
    let mut rss = vec![rss_mb()];
    let mut next_rss = start + Duration::from_secs(1);
    let mut i = 0usize;
    while Instant::now() < until {
        every.tick().await;
        i += 1;
        let (addr, read, write) = (addr.clone(), read.clone(), write.clone());
        let (ok, bad, fail, transport) = (ok.clone(), bad.clone(), fail.clone(), transport.clone());
        let path = routes[i % routes.len()];
        tokio::spawn(async move {
            let r = if i % 50 == 0 {
                let body =
                    format!(r#"{{"key":"load-{i}","instrument":"BTC-PERPETUAL","size":10,"price":70000}}"#);
                http(&addr, "POST", "/api/books/bench/fills", &write, &body).await
            } else {
                http(&addr, "GET", path, &read, "").await
            };
            // 404 is right only for the unknown book asked on purpose
            let unknown = path.contains("/nope/") && i % 50 != 0;
            match r {
                Ok(s) if s < 400 && !unknown || s == 404 && unknown => ok.fetch_add(1, Relaxed),
                Ok(s) if s < 500 => bad.fetch_add(1, Relaxed),
                Ok(_) => fail.fetch_add(1, Relaxed),
                Err(_) => transport.fetch_add(1, Relaxed),
            };
        });
        if Instant::now() >= next_rss {
            rss.push(rss_mb());
            next_rss += Duration::from_secs(1);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    rss.push(rss_mb());
    let report = app.feed.lock().unwrap().report(Instant::now());
    let c = &report.counts;
    let lat = &report.latency;
    let got: Vec<u64> = received.iter().map(|n| n.load(Relaxed)).collect();
    let (fast_min, slow) = (
        got[..got.len() - 1].iter().copied().min().unwrap_or(0),
        got[got.len() - 1],
    );
    let (rss_first, rss_max) = (rss[1.min(rss.len() - 1)], rss.iter().copied().fold(0.0, f64::max));
    let rss_last = rss[rss.len() - 1];
    println!(
        "{} s on loopback, 2 worker threads; the 1,000-position book with VaR and margin each second",
        a.seconds
    );
    println!(
        "feed: {} messages sent, {} received, {} applied; skipped {} bad, {} unknown instrument, {} duplicate, {} out of order; {} reconnects",
        sent.load(Relaxed), c.messages, c.applied, c.bad, c.unknown_instrument, c.duplicate, c.out_of_order, c.reconnects
    );
    println!(
        "tick handling (arrival → desk updated, incl. waiting for the lock), last {}: p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs",
        lat.count, lat.p50_us, lat.p99_us, lat.p999_us, lat.max_us
    );
    println!(
        "API: {i} requests: {} answered (2xx, or 404 for the unknown book asked on purpose), {} other 4xx, {} 5xx, {} transport errors",
        ok.load(Relaxed),
        bad.load(Relaxed),
        fail.load(Relaxed),
        transport.load(Relaxed)
    );
    println!(
        "WebSocket: {} clients, the fast ones got ≥ {fast_min} snapshots each, the slow one {slow}",
        a.clients
    );
    println!("RSS: {rss_first:.0} MB after 1 s, {rss_max:.0} MB at most, {rss_last:.0} MB at the end");
    let mut failures = Vec::new();
    if fail.load(Relaxed) > 0 || bad.load(Relaxed) > 0 || transport.load(Relaxed) > 0 {
        failures.push("API errors");
    }
    if fast_min + 3 < a.seconds || slow + 2 < a.seconds / 3 {
        failures.push("a WebSocket client stopped receiving");
    }
    let sent_n = sent.load(Relaxed);
    if (sent_n as f64) < 0.9 * (a.rate * a.seconds) as f64 {
        failures.push("the exchange sent less than 90 % of the asked rate");
    }
    if (c.messages as f64) < 0.99 * sent_n as f64 {
        failures.push("the service read less than 99 % of the messages sent");
    }
    if c.reconnects < 1 || c.bad == 0 || c.unknown_instrument == 0 || c.duplicate == 0 || c.out_of_order == 0
    {
        failures.push("the faults were not all seen and counted");
    }
    if c.applied < sent.load(Relaxed) / 2 {
        failures.push("fewer than half the messages applied");
    }
    if !(rss_last - rss_first < 200.0) {
        failures.push("RSS grew by more than 200 MB");
    }
    if !(lat.p99_us < 1000.0) {
        failures.push("tick handling p99 over 1 ms");
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        println!("load test passed");
    } else {
        println!("load test FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}
