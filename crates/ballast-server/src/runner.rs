//! The feed's tasks: a replay played at a speed, and the live Deribit socket kept alive —
//! heartbeats set and answered, everything resubscribed after a reconnect with backoff, a
//! socket that stops delivering data treated as dead (a half-open socket looks healthy to
//! pings).

use crate::api::App;
use crate::feed::{deribit, FeedState};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as Ws;

/// Play `messages` (exchange time ms, text) into `app` at `speed` exchange seconds per
/// second, then start over (markets back to the files', channels forgotten), until the
/// process ends.
pub async fn run_replay(app: Arc<App>, messages: crate::feed::replay::Messages, speed: f64) {
    let Some(t0) = messages.first().map(|m| m.0) else {
        return;
    };
    if let Ok(mut f) = app.feed.lock() {
        *f = FeedState::new("replay", Duration::from_secs(30));
    }
    loop {
        let start = tokio::time::Instant::now();
        for (t, text) in &messages {
            let due = std::time::Duration::from_secs_f64(((t - t0) as f64 / 1000.0 / speed).max(0.0));
            tokio::time::sleep_until(start + due).await;
            let arrived = std::time::Instant::now();
            let mut desk = app.desk.write().await;
            if let Ok(mut f) = app.feed.lock() {
                f.process(&mut desk, text, arrived);
                f.record_latency(arrived.elapsed().as_secs_f64() * 1e6);
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        app.desk.write().await.reset_markets();
        if let Ok(mut f) = app.feed.lock() {
            f.restart();
        }
    }
}

/// How to follow Deribit live.
#[derive(Debug, Clone)]
pub struct LiveSpec {
    /// WebSocket URL: `wss://www.deribit.com/ws/api/v2` (TLS), or `ws://…` (a local relay).
    pub url: String,
    /// The TLS client for `wss://` ([`tls_config`]); `None`: the Mozilla roots (webpki-roots).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Channels to subscribe to (resubscribed after every reconnect).
    pub channels: Vec<String>,
    /// Heartbeat interval asked of Deribit, seconds (≥ 10).
    pub heartbeat: u64,
    /// First and longest wait between reconnects.
    pub backoff: (Duration, Duration),
}

/// A TLS client (rustls with ring) trusting the Mozilla root certificates (webpki-roots) and,
/// with `extra_ca`, the certificates of that PEM file (a relay's or a test's own authority).
///
/// # Errors
/// An unreadable file, or one with no certificate (said with the file's name).
pub fn tls_config(extra_ca: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect())
            .map_err(|e| format!("{}: cannot read PEM certificates: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "{}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
                path.display()
            ));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("{}: not a usable CA certificate: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

impl LiveSpec {
    /// The channels for `instruments` (tickers) and `coins` (index, whole-chain marks).
    pub fn channels(instruments: &[String], coins: &[String]) -> Vec<String> {
        let mut c: Vec<String> = instruments.iter().map(|i| format!("ticker.{i}.100ms")).collect();
        for coin in coins {
            let index = format!("{}_usd", coin.to_lowercase());
            c.push(format!("deribit_price_index.{index}"));
            c.push(format!("markprice.options.{index}"));
        }
        c
    }
}

/// Follow the socket until the process ends: connect, ask for heartbeats, subscribe, apply
/// every message; on a close, an error or no data for 3 heartbeat intervals, reconnect after
/// a backoff that doubles up to its cap (and resets once data flows).
pub async fn run_live(app: Arc<App>, spec: LiveSpec) {
    if let Ok(mut f) = app.feed.lock() {
        *f = FeedState::new("deribit", Duration::from_secs(spec.heartbeat * 3));
    }
    let mut wait = spec.backoff.0;
    let mut first = true;
    loop {
        if !first {
            if let Ok(mut f) = app.feed.lock() {
                f.counts.reconnects += 1;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(spec.backoff.1);
        }
        first = false;
        if session(&app, &spec).await {
            wait = spec.backoff.0;
        }
    }
}

/// One connection; returns whether data flowed.
async fn session(app: &App, spec: &LiveSpec) -> bool {
    let connector = match (&spec.tls, spec.url.starts_with("wss://")) {
        (Some(c), true) => Some(tokio_tungstenite::Connector::Rustls(c.clone())),
        (None, true) => match tls_config(None) {
            Ok(c) => Some(tokio_tungstenite::Connector::Rustls(c)),
            Err(_) => return false,
        },
        (_, false) => None,
    };
    let connect = tokio_tungstenite::connect_async_tls_with_config(spec.url.as_str(), None, false, connector);
    let Ok((mut socket, _)) = connect.await else {
        return false;
    };
    let hello = [
        deribit::set_heartbeat(1, spec.heartbeat),
        deribit::subscribe(2, &spec.channels),
    ];
    for m in hello {
        if socket.send(Ws::Text(m.into())).await.is_err() {
            return false;
        }
    }
    let silence = Duration::from_secs(spec.heartbeat * 3);
    let mut flowed = false;
    loop {
        let next = match tokio::time::timeout(silence, socket.next()).await {
            Ok(Some(Ok(m))) => m,
            // closed, broken, or silent for too long: reconnect
            _ => return flowed,
        };
        let text = match next {
            Ws::Text(t) => t.to_string(),
            Ws::Close(_) => return flowed,
            _ => continue,
        };
        let reply = {
            let arrived = Instant::now();
            let mut desk = app.desk.write().await;
            match app.feed.lock() {
                Ok(mut f) => {
                    let r = f.process(&mut desk, &text, arrived);
                    f.record_latency(arrived.elapsed().as_secs_f64() * 1e6);
                    r
                }
                Err(_) => None,
            }
        };
        flowed = true;
        if let Some(r) = reply {
            if socket.send(Ws::Text(r.into())).await.is_err() {
                return flowed;
            }
        }
    }
}
