//! `ballast serve`: durable fills across a SIGKILL, every authentication refusal, bad bodies.
//! The service runs on a loopback port the OS picks; requests are plain HTTP/1.1 over a
//! `TcpStream` (no client library).

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running `ballast serve`: its process, address and read-only token.
struct Server {
    child: Child,
    addr: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &Path) -> Server {
    start_with(db, "examples/derivatives.toml")
}

fn start_with(db: &Path, portfolio: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["serve", portfolio, "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ballast serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let token = lines.next().unwrap().unwrap();
    let token = token.strip_prefix("token: ").expect("a token line").to_string();
    // keep reading what it prints
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, addr, token }
}

/// One request: (status, body as JSON).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, Value)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let auth = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {text:?}")))?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

fn token(db: &Path, scope: &str) -> String {
    let o = run(&[
        "token",
        "create",
        "--scope",
        scope,
        "--db",
        &db.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    text.lines()
        .next()
        .unwrap()
        .strip_prefix("token: ")
        .unwrap()
        .to_string()
}

/// A burst of fills from 4 clients, the server killed with SIGKILL in the middle, restarted:
/// every acknowledged fill is there exactly once, and the positions are the sums of the fills.
#[test]
fn acknowledged_fills_survive_sigkill_exactly_once() {
    let dir = scratch();
    let db = dir.join("desk.db");
    let write_token = token(&db, "read-write");
    let mut server = start(&db);
    let acked: Arc<Mutex<BTreeMap<String, (String, f64)>>> = Arc::default();
    let killed: Arc<std::sync::atomic::AtomicBool> = Arc::default();
    let instruments = ["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC", "BTC-26JUN26"];
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (addr, auth, acked) = (server.addr.clone(), bearer(&write_token), acked.clone());
            let killed = killed.clone();
            std::thread::spawn(move || {
                for i in 0..100_000 {
                    let key = format!("c{c}-{i}");
                    let (inst, size) = (
                        instruments[i % 4],
                        (1 + i % 7) as f64 * if c % 2 == 0 { 10.0 } else { -10.0 },
                    );
                    let body =
                        format!(r#"{{"key":"{key}","instrument":"{inst}","size":{size},"price":1000}}"#);
                    match http(&addr, "POST", "/api/books/derivatives/fills", Some(&auth), &body) {
                        Ok((201, _)) => {
                            acked.lock().unwrap().insert(key, (inst.to_string(), size));
                        }
                        Ok((s, v)) => panic!("fill {key}: {s} {v}"),
                        Err(_) if killed.load(std::sync::atomic::Ordering::SeqCst) => return i,
                        Err(e) => panic!("fill {key} failed before the kill: {e}"),
                    }
                }
                panic!("the server was never killed");
            })
        })
        .collect();
    // let the burst run, then kill the server mid-stream
    let t0 = std::time::Instant::now();
    while acked.lock().unwrap().len() < 200 {
        assert!(
            t0.elapsed() < Duration::from_secs(120) && clients.iter().all(|c| !c.is_finished()),
            "the burst stopped before 200 fills were acknowledged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    killed.store(true, std::sync::atomic::Ordering::SeqCst);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let sent: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200 && sent >= acked.len());

    let server = start(&db);
    let auth = bearer(&server.token);
    let (s, fills) = http(
        &server.addr,
        "GET",
        "/api/books/derivatives/fills",
        Some(&auth),
        "",
    )
    .unwrap();
    assert_eq!(s, 200);
    let mut stored: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for f in fills.as_array().unwrap() {
        let key = f["key"].as_str().unwrap().to_string();
        let prev = stored.insert(
            key.clone(),
            (
                f["instrument"].as_str().unwrap().into(),
                f["size"].as_f64().unwrap(),
            ),
        );
        assert!(prev.is_none(), "fill {key} stored twice");
    }
    for (key, fill) in &acked {
        assert_eq!(
            stored.get(key),
            Some(fill),
            "acknowledged fill {key} lost or changed"
        );
    }
    // at most the requests in flight at the kill were committed without an acknowledgement
    assert!(
        stored.len() <= acked.len() + 4,
        "{} stored, {} acknowledged",
        stored.len(),
        acked.len()
    );
    let (_, p) = http(
        &server.addr,
        "GET",
        "/api/books/derivatives/portfolio",
        Some(&auth),
        "",
    )
    .unwrap();
    for inst in instruments {
        let want: f64 = stored.values().filter(|(i, _)| i == inst).map(|(_, s)| s).sum();
        let got: f64 = p["positions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["instrument"] == inst && q["venue"] == "deribit")
            .map(|q| q["from_fills"].as_f64().unwrap())
            .sum();
        assert!(
            (got - want).abs() < 1e-9,
            "{inst}: {got} from fills, {want} stored"
        );
    }
    assert_eq!(p["fills"].as_u64().unwrap() as usize, stored.len());
    // a retry of an acknowledged fill after the restart is acknowledged, not booked again
    let (key, (inst, size)) = acked.iter().next().unwrap();
    let body = format!(r#"{{"key":"{key}","instrument":"{inst}","size":{size},"price":1000}}"#);
    let (s, v) = http(
        &server.addr,
        "POST",
        "/api/books/derivatives/fills",
        Some(&bearer(&write_token)),
        &body,
    )
    .unwrap();
    assert_eq!((s, &v["duplicate"]), (200, &Value::Bool(true)), "{v}");
}

/// Each refusal has its status and a JSON error that says what to do.
#[test]
fn the_api_refuses_what_it_must() {
    let dir = scratch();
    let db = dir.join("desk.db");
    let write_token = token(&db, "read-write");
    let server = start(&db);
    let a = &server.addr;
    let (read, write) = (bearer(&server.token), bearer(&write_token));
    let books = "/api/books";
    let fills = "/api/books/derivatives/fills";
    let fill = r#"{"key":"k1","instrument":"BTC-PERPETUAL","size":100,"price":70000}"#;
    let (other_fill, unknown) = (
        fill.replace("100", "200"),
        format!("Bearer blst_{}", "0".repeat(64)),
    );
    // (method, path, Authorization, body, status, what the error says)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("GET", "/api/health", None, "", 200, ""),
        ("GET", books, None, "", 401, "Authorization"),
        ("GET", books, Some("Bearer"), "", 401, "Bearer blst_"),
        ("GET", books, Some("Basic dXNlcjpwYXNz"), "", 401, "Bearer blst_"),
        ("GET", books, Some(&unknown), "", 401, "unknown or revoked"),
        ("POST", fills, Some(&read), fill, 403, "read-write"),
        ("POST", fills, Some(&write), "{not json", 400, "not a fill"),
        (
            "POST",
            fills,
            Some(&write),
            r#"{"key":"k","instrument":"BTC","size":1,"price":1,"extra":1}"#,
            400,
            "unknown field",
        ),
        (
            "POST",
            fills,
            Some(&write),
            r#"{"key":"k","instrument":"BTC","size":0,"price":1}"#,
            422,
            "size",
        ),
        (
            "POST",
            fills,
            Some(&write),
            r#"{"key":"k","instrument":"BTC","size":1e300,"price":1}"#,
            422,
            "size",
        ),
        (
            "POST",
            fills,
            Some(&write),
            r#"{"key":"k","instrument":"BTC","size":1,"price":-1}"#,
            422,
            "price",
        ),
        (
            "POST",
            fills,
            Some(&write),
            r#"{"key":"","instrument":"BTC","size":1,"price":1}"#,
            422,
            "key",
        ),
        (
            "POST",
            fills,
            Some(&write),
            r#"{"key":"k","instrument":"DOGE-PERPETUAL","size":1,"price":1}"#,
            422,
            "DOGE",
        ),
        ("POST", "/api/books/nope/fills", Some(&write), fill, 404, "nope"),
        ("GET", "/api/books/nope/greeks", Some(&read), "", 404, "nope"),
        ("GET", "/api/everything", Some(&read), "", 404, "no such route"),
        ("DELETE", fills, Some(&write), "", 405, "method"),
        ("POST", fills, Some(&write), fill, 201, ""),
        ("POST", fills, Some(&write), &other_fill, 409, "k1"),
    ];
    for (method, path, auth, body, status, says) in cases {
        let (s, v) = http(a, method, path, auth, body)
            .unwrap_or_else(|e| panic!("{method} {path} {auth:?} {body}: {e}"));
        assert_eq!(s, status, "{method} {path} {auth:?} {body}: {v}");
        if status >= 400 {
            let e = v["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no JSON error: {v}"));
            assert!(e.contains(says), "{method} {path}: {e}");
        }
    }
    let big = format!(r#"{{"key":"{}"}}"#, "x".repeat(70_000));
    let (s, v) = http(a, "POST", fills, Some(&write), &big).unwrap();
    assert_eq!(s, 413, "{v}");
    // a revoked token is refused from then on
    let o = run(&["token", "list", "--db", &db.display().to_string()]);
    let list = String::from_utf8(o.stdout).unwrap();
    let id = list
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let o = run(&["token", "revoke", &id, "--db", &db.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (s, v) = http(a, "GET", books, Some(&write), "").unwrap();
    assert_eq!(s, 401, "{v}");
    let e = run_err(&["token", "revoke", &id, "--db", &db.display().to_string()]);
    assert!(e.contains("no live token"), "{e}");
    // the Greeks are the engine's, with the fill
    let (s, g) = http(a, "GET", "/api/books/derivatives/greeks", Some(&read), "").unwrap();
    assert_eq!(s, 200);
    assert!(g["positions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["instrument"] == "BTC-PERPETUAL"));
}

/// Read one unmasked server frame's payload (text or binary).
fn read_frame(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut h = [0u8; 2];
    s.read_exact(&mut h)?;
    let len = match h[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            s.read_exact(&mut b)?;
            u16::from_be_bytes(b) as usize
        }
        127 => {
            let mut b = [0u8; 8];
            s.read_exact(&mut b)?;
            u64::from_be_bytes(b) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload)?;
    Ok(payload)
}

/// The WebSocket pushes the desk's snapshot (the engine's Greeks, the feed's state) now and
/// again every second; it refuses a missing token; the dashboard page is served.
#[test]
fn the_websocket_pushes_snapshots_and_the_dashboard_is_served() {
    let dir = scratch();
    let server = start(&dir.join("desk.db"));
    let a = &server.addr;
    let (s, v) = http(a, "GET", "/ws", None, "").unwrap();
    assert_eq!(s, 401, "{v}");
    let mut ws = TcpStream::connect(a).unwrap();
    ws.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        ws,
        "GET /ws?token={} HTTP/1.1\r\nHost: {a}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.token
    )
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        ws.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "the RFC 6455 accept key: {head}"
    );
    let mut seqs = Vec::new();
    while seqs.len() < 2 {
        let snap: Value = serde_json::from_slice(&read_frame(&mut ws).unwrap()).unwrap();
        if snap.get("books").is_none() {
            continue; // the service's first, empty state
        }
        let b = &snap["books"][0];
        assert_eq!(b["id"], "derivatives");
        assert!(b["total"]["delta_usd"].as_f64().unwrap().is_finite(), "{b}");
        assert_eq!(snap["feed"]["source"], "none");
        // no market data: nothing has moved since the start
        assert_eq!(b["pnl_since_start_usd"].as_f64(), Some(0.0), "{b}");
        seqs.push(snap["seq"].as_u64().unwrap());
    }
    assert!(seqs[1] > seqs[0], "{seqs:?}");
    // the Greeks pushed are the API's
    let (_, g) = http(
        a,
        "GET",
        "/api/books/derivatives/greeks",
        Some(&bearer(&server.token)),
        "",
    )
    .unwrap();
    assert!(g["total"]["vega"].as_f64().unwrap().is_finite());
    let mut page = TcpStream::connect(a).unwrap();
    write!(page, "GET / HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n\r\n").unwrap();
    let mut html = String::new();
    page.read_to_string(&mut html).unwrap();
    assert!(
        html.starts_with("HTTP/1.1 200")
            && html.contains("Ballast — live risk")
            && html.contains("/ws?token=")
    );
}

/// Limits through the API; an alert raised once when one breaks (not again each second),
/// cleared once when back inside; bad limits refused.
#[test]
fn limits_raise_and_clear_alerts_once() {
    let dir = scratch();
    let db = dir.join("desk.db");
    let w = bearer(&token(&db, "read-write"));
    let server = start(&db);
    let (a, r) = (&server.addr, bearer(&server.token));
    let path = "/api/books/derivatives/limits";
    for (body, status) in [
        (r#"{"delta_usd.BTC": 1}"#, 403),
        (r#"{"delta.BTC": 1}"#, 422),
        (r#"{"vega": -5}"#, 422),
        (r#"{"vega": "5"}"#, 400),
    ] {
        let auth = if status == 403 { &r } else { &w };
        let (s, v) = http(a, "PUT", path, Some(auth), body).unwrap();
        assert_eq!(s, status, "{body}: {v}");
    }
    let alerts = |n: usize| -> Vec<Value> {
        for _ in 0..100 {
            let (_, v) = http(a, "GET", "/api/books/derivatives/alerts", Some(&r), "").unwrap();
            let v = v.as_array().unwrap().clone();
            if v.len() >= n {
                return v;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("fewer than {n} alerts after 10 s");
    };
    let (s, _) = http(a, "PUT", path, Some(&w), r#"{"delta_usd.BTC": 1, "vega": 1e12}"#).unwrap();
    assert_eq!(s, 200);
    let raised = alerts(1);
    assert_eq!(
        (raised[0]["limit"].as_str(), raised[0]["state"].as_str()),
        (Some("delta_usd.BTC"), Some("raised"))
    );
    assert!(raised[0]["value"].as_f64().unwrap() > 1.0);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(alerts(1).len(), 1, "raised once, not every second");
    let (s, _) = http(a, "PUT", path, Some(&w), r#"{"delta_usd.BTC": 1e12}"#).unwrap();
    assert_eq!(s, 200);
    let both = alerts(2);
    assert_eq!(both[1]["state"], "cleared");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(alerts(2).len(), 2);
}

/// The risk round: VaR and margin served equal `ballast var` and `ballast margin` of the same
/// file, the snapshot carries them, and `[risk.limits]` from the file are set and judged.
#[test]
fn risk_and_margin_each_second_equal_the_cli() {
    let dir = scratch();
    let text = std::fs::read_to_string(root().join("examples/derivatives.toml")).unwrap();
    let text = text
        .replace("../../shared", &root().join("../shared").display().to_string())
        .replace(
            "\"deribit_pm_params.toml\"",
            &format!("\"{}\"", root().join("examples/deribit_pm_params.toml").display()),
        );
    let file = write(
        &dir,
        "served.toml",
        &format!("{text}\n[risk.limits]\nvar_99_usd = 1.0\nliquidation_distance = 0.01\n"),
    );
    let db = dir.join("desk.db");
    let server = start_with(&db, &file);
    let (a, r) = (&server.addr, bearer(&server.token));
    let mut risk = Value::Null;
    for _ in 0..300 {
        let (s, v) = http(a, "GET", "/api/books/served/risk", Some(&r), "").unwrap();
        if s == 200 {
            risk = v;
            break;
        }
        assert_eq!(s, 503, "{v}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(risk["error"].is_null(), "{risk}");
    let one_day = |v: &Value| -> f64 {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["method"] == "historical" && b["horizon_days"] == 1)
            .unwrap()["lines"][0]["var_usd"]
            .as_f64()
            .unwrap()
    };
    let cli = run_json(&[
        "var",
        &file,
        "--scenarios",
        "0",
        "--confidence",
        "0.99",
        "--format",
        "json",
    ]);
    let (got, want) = (one_day(&risk["var"]), one_day(&cli));
    assert!((got / want - 1.0).abs() < 1e-9, "{got} vs {want}");
    // delta risk contributions under the online EWMA covariance: seeded with the 730 daily
    // moves, Euler components summing to σ, the deltas `ballast greeks`'
    let rc = &risk["contributions"];
    assert!(rc["observations"].as_u64().unwrap() >= 730, "{rc}");
    let sigma = rc["volatility_1d_usd"].as_f64().unwrap();
    let greeks = run_json(&["greeks", &file, "--format", "json"]);
    let (mut comp, mut share) = (0.0, 0.0);
    for (coin, c) in rc["by_underlying"].as_object().unwrap() {
        comp += c["component_usd"].as_f64().unwrap();
        share += c["share"].as_f64().unwrap();
        let want = greeks["by_underlying"][coin]["delta_usd"].as_f64().unwrap();
        let got = c["delta_usd"].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-9 * want.abs(), "{coin}: {got} vs {want}");
    }
    assert!(
        sigma > 0.0 && (comp / sigma - 1.0).abs() < 1e-9 && (share - 1.0).abs() < 1e-9,
        "{rc}"
    );
    let (s, m) = http(a, "GET", "/api/books/served/margin", Some(&r), "").unwrap();
    assert_eq!(s, 200, "{m}");
    let cli = run_json(&["margin", &file, "--format", "json"]);
    for (x, y) in m["margin"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .zip(cli["accounts"].as_array().unwrap())
    {
        assert_eq!(x["currency"], y["currency"]);
        let (p, q) = (
            x["maintenance_margin"].as_f64().unwrap(),
            y["maintenance_margin"].as_f64().unwrap(),
        );
        assert!((p - q).abs() <= 1e-12 * q.abs(), "{p} vs {q}");
    }
    assert_eq!(m["margin"]["accounts"].as_array().unwrap().len(), 2);
    // the file's limits are the book's, and the VaR one is breached once
    let (_, limits) = http(a, "GET", "/api/books/served/limits", Some(&r), "").unwrap();
    assert_eq!(limits["var_99_usd"], 1.0, "{limits}");
    let mut raised = Vec::new();
    for _ in 0..100 {
        let (_, v) = http(a, "GET", "/api/books/served/alerts", Some(&r), "").unwrap();
        raised = v.as_array().unwrap().clone();
        if !raised.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        (raised[0]["limit"].as_str(), raised[0]["state"].as_str()),
        (Some("var_99_usd"), Some("raised"))
    );
    assert!((raised[0]["value"].as_f64().unwrap() / want - 1.0).abs() < 1e-9);
    // the OpenAPI document is served without a token, and each of its operations is a route
    let (s, doc) = http(a, "GET", "/api/openapi.json", None, "").unwrap();
    assert_eq!(s, 200);
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let url = path.replace("{id}", "served");
            let (s, v) = http(a, &method.to_uppercase(), &url, Some(&r), "{}").unwrap();
            assert!(
                s != 405 && !v["error"].as_str().unwrap_or("").starts_with("no such route"),
                "{method} {url}: {s} {v}"
            );
        }
    }
    // a bad file limit stops the start with the book and the name
    let bad = write(&dir, "bad.toml", &format!("{text}\n[risk.limits]\nvar = 1.0\n"));
    let e = run_err(&[
        "serve",
        &bad,
        "--listen",
        "127.0.0.1:0",
        "--db",
        &dir.join("b.db").display().to_string(),
    ]);
    assert!(e.contains("book 'bad' [risk.limits]: limit 'var'"), "{e}");
}
