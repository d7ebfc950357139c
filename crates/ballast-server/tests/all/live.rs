//! The live client against a local WebSocket server that speaks Deribit's protocol from the
//! recorded messages: it asks for heartbeats, subscribes, answers a test_request, applies the
//! ticks, and after the server drops the connection reconnects and subscribes again.

use ballast_server::api::App;
use ballast_server::runner::{run_live, LiveSpec};
use ballast_server::{BookSpec, Store};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as Ws;

fn index(price: f64, ts: i64) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"deribit_price_index.btc_usd","data":{{"index_name":"btc_usd","price":{price},"timestamp":{ts}}}}}}}"#
    )
}

/// Read requests until one with `method`; return it.
async fn expect<S>(ws: &mut S, method: &str) -> Value
where
    S: StreamExt<Item = Result<Ws, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {method} within 10 s"))
            .expect("open")
            .expect("a message");
        if let Ws::Text(t) = m {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["method"] == method {
                return v;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_client_keeps_the_session_alive() {
    let dir = std::env::temp_dir().join(format!("ballast-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pf = ballast::io::read_portfolio(crate::root().join("examples/derivatives.toml")).unwrap();
    let book = ballast::io::load_book(&pf).unwrap();
    let store = Store::open(&dir.join("live.db")).unwrap();
    let app = Arc::new(
        App::load(
            vec![BookSpec {
                id: "d".into(),
                name: "d".into(),
                book,
                risk: None,
                limits: Default::default(),
            }],
            store,
        )
        .await
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (instruments, coins) = app.desk.read().await.instruments();
    let spec = LiveSpec {
        url,
        tls: None,
        channels: LiveSpec::channels(&instruments, &coins),
        heartbeat: 10,
        backoff: (Duration::from_millis(100), Duration::from_secs(1)),
    };
    tokio::spawn(run_live(app.clone(), spec.clone()));
    let recorded: Vec<String> =
        std::fs::read_to_string(crate::data("ws/deribit_options_2021-07-22_cryptofeed.jsonl"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
    let far = 1_776_100_000_000;
    for (session, price) in [(0, 81_000.0), (1, 82_000.0)] {
        let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("a connection")
            .unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let hb = expect(&mut ws, "public/set_heartbeat").await;
        assert!(hb["params"]["interval"].as_u64().unwrap() >= 10);
        ws.send(Ws::Text(
            format!(r#"{{"jsonrpc":"2.0","id":{},"result":"ok"}}"#, hb["id"]).into(),
        ))
        .await
        .unwrap();
        let sub = expect(&mut ws, "public/subscribe").await;
        let channels: Vec<String> = serde_json::from_value(sub["params"]["channels"].clone()).unwrap();
        assert_eq!(
            channels, spec.channels,
            "session {session}: everything subscribed"
        );
        ws.send(Ws::Text(
            format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{}}}"#,
                sub["id"], sub["params"]["channels"]
            )
            .into(),
        ))
        .await
        .unwrap();
        ws.send(Ws::Text(
            r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#.into(),
        ))
        .await
        .unwrap();
        expect(&mut ws, "public/test").await;
        // the recorded messages (2021 instruments: unknown to the book), then a new index
        for m in recorded.iter().take(40) {
            ws.send(Ws::Text(m.clone().into())).await.unwrap();
        }
        ws.send(Ws::Text(index(price, far + session).into()))
            .await
            .unwrap();
        for _ in 0..100 {
            if app.desk.read().await.market("d").unwrap().spot["BTC"] == price {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            app.desk.read().await.market("d").unwrap().spot["BTC"],
            price,
            "session {session}"
        );
        // the exchange drops the connection
        drop(ws);
    }
    let c = app.feed.lock().unwrap().report(std::time::Instant::now()).counts;
    assert!(c.reconnects >= 1, "{c:?}");
    assert_eq!(c.test_requests, 2);
    assert!(c.unknown_instrument > 0 && c.ignored > 0, "{c:?}");
    assert_eq!(c.bad, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `wss://`: the live client verifies the server's certificate (here against the test
/// authority in `tests/tls`, in production against the Mozilla roots), then speaks the same
/// protocol over TLS; an untrusted certificate is refused (no data flows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_client_speaks_tls() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(tls_dir.join("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(tls_dir.join("server.key")).unwrap();
    let server =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));

    let dir = std::env::temp_dir().join(format!("ballast-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pf = ballast::io::read_portfolio(crate::root().join("examples/derivatives.toml")).unwrap();
    let book = ballast::io::load_book(&pf).unwrap();
    let app = Arc::new(
        App::load(
            vec![BookSpec {
                id: "d".into(),
                name: "d".into(),
                book,
                risk: None,
                limits: Default::default(),
            }],
            Store::open(&dir.join("tls.db")).unwrap(),
        )
        .await
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // a client that does not trust the test authority never gets a session
    let untrusted = LiveSpec {
        url: format!("wss://localhost:{port}"),
        tls: Some(ballast_server::runner::tls_config(None).unwrap()),
        channels: vec!["deribit_price_index.btc_usd".into()],
        heartbeat: 10,
        backoff: (Duration::from_millis(100), Duration::from_secs(1)),
    };
    let refused = tokio::spawn(run_live(app.clone(), untrusted));
    let (tcp, _) = listener.accept().await.unwrap();
    assert!(
        acceptor.accept(tcp).await.is_err(),
        "the handshake fails on an untrusted certificate"
    );
    refused.abort();
    // the trusted one: handshake, heartbeat, subscription, data
    let spec = LiveSpec {
        tls: Some(ballast_server::runner::tls_config(Some(&tls_dir.join("ca.pem"))).unwrap()),
        ..wss_spec(port)
    };
    tokio::spawn(run_live(app.clone(), spec));
    let tls = loop {
        let (tcp, _) = listener.accept().await.unwrap();
        if let Ok(s) = acceptor.accept(tcp).await {
            break s;
        }
    };
    let mut ws = tokio_tungstenite::accept_async(tls).await.unwrap();
    let hb = expect(&mut ws, "public/set_heartbeat").await;
    assert!(hb["params"]["interval"].as_u64().unwrap() >= 10);
    expect(&mut ws, "public/subscribe").await;
    ws.send(Ws::Text(index(83_000.0, 1_776_100_000_000).into()))
        .await
        .unwrap();
    for _ in 0..100 {
        if app.desk.read().await.market("d").unwrap().spot["BTC"] == 83_000.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.desk.read().await.market("d").unwrap().spot["BTC"], 83_000.0);
    // a CA file without a certificate is refused, naming the file
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "nothing here\n").unwrap();
    let e = ballast_server::runner::tls_config(Some(&empty)).unwrap_err();
    assert!(e.contains("empty.pem") && e.contains("no certificate"), "{e}");
}

fn wss_spec(port: u16) -> LiveSpec {
    LiveSpec {
        url: format!("wss://localhost:{port}"),
        tls: None,
        channels: vec!["deribit_price_index.btc_usd".into()],
        heartbeat: 10,
        backoff: (Duration::from_millis(100), Duration::from_secs(1)),
    }
}
