//! Snapshots of the desk, recomputed on a cadence off the request path and pushed to every
//! WebSocket client. A `watch` channel holds only the latest snapshot (serialized once): a
//! slow client skips to the newest one and never holds the engine back.

use crate::api::App;
use crate::feed::FeedReport;
use ballast::book::GreeksTotals;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// One book in a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct BookView {
    /// Book id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The valuation instant (the latest tick's time).
    pub as_of: Option<String>,
    /// Spot index per coin, USD.
    pub spot: BTreeMap<String, f64>,
    /// USD-additive totals (value, delta USD, gamma USD per 1 %, vega per vol point, theta
    /// per day).
    pub total: GreeksTotals,
    /// Totals per underlying.
    pub by_underlying: BTreeMap<String, GreeksTotals>,
    /// Why the book could not be valued, if it could not.
    pub error: Option<String>,
}

/// What `/ws` pushes.
#[derive(Debug, Clone, Serialize)]
pub struct DeskSnapshot {
    /// Increasing number of the snapshot.
    pub seq: u64,
    /// When it was computed (UTC).
    pub computed_at: String,
    /// Every book.
    pub books: Vec<BookView>,
    /// The feed.
    pub feed: FeedReport,
}

/// The desk's snapshot now.
pub async fn snapshot(app: &App, seq: u64) -> DeskSnapshot {
    let desk = app.desk.read().await;
    let books = desk
        .ids()
        .into_iter()
        .map(|(id, name)| {
            let (as_of, spot) = desk
                .market(&id)
                .map(|m| (m.as_of.map(|t| t.to_string()), m.spot.clone()))
                .unwrap_or_default();
            match desk.greeks(&id) {
                Ok(g) => BookView {
                    id,
                    name,
                    as_of,
                    spot,
                    total: g.total,
                    by_underlying: g.by_underlying,
                    error: None,
                },
                Err(e) => BookView {
                    id,
                    name,
                    as_of,
                    spot,
                    total: GreeksTotals::default(),
                    by_underlying: BTreeMap::new(),
                    error: Some(e.to_string()),
                },
            }
        })
        .collect();
    drop(desk);
    let feed = match app.feed.lock() {
        Ok(f) => f.report(std::time::Instant::now()),
        Err(p) => p.into_inner().report(std::time::Instant::now()),
    };
    DeskSnapshot {
        seq,
        computed_at: jiff::Timestamp::now().to_string(),
        books,
        feed,
    }
}

/// Recompute the snapshot every `every` and publish it to [`App::snapshots`].
pub fn start(app: Arc<App>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        for seq in 1.. {
            tick.tick().await;
            let s = snapshot(&app, seq).await;
            let text = serde_json::to_string(&s).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            app.snapshots.send_replace(Arc::new(text));
        }
    });
}
