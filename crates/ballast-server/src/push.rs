//! Snapshots of the desk, recomputed on a cadence off the request path (with every book's
//! limits checked and their alerts recorded) and pushed to every WebSocket client. A `watch` channel holds only the latest snapshot (serialized once): a
//! slow client skips to the newest one and never holds the engine back.

use crate::api::App;
use crate::feed::FeedReport;
use crate::limits::Alerter;
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
    /// Its limits breached now.
    pub breached: Vec<String>,
    /// P&L since the start (the positions held now, from the market the book started on:
    /// the file's, or the replay's first day), USD.
    pub pnl_since_start_usd: Option<f64>,
    /// P&L since 00:00 UTC of `day`, USD: the positions held at the day's open from its market,
    /// plus each fill since from its own price.
    pub pnl_today_usd: Option<f64>,
    /// The UTC date of that day.
    pub day: Option<String>,
    /// From the latest risk round (up to a second old): 1-day historical VaR at 99 %, USD.
    pub var_99_usd: Option<f64>,
    /// 1-day historical expected shortfall at 99 %, USD.
    pub es_99_usd: Option<f64>,
    /// The largest maintenance margin / equity of the book's Deribit accounts.
    pub margin_utilisation: Option<f64>,
    /// The smallest index move (fraction) that takes an account to liquidation.
    pub liquidation_distance: Option<f64>,
    /// Each venue's share of the book's gross delta (Σ |delta USD| per underlying at the venue
    /// ÷ the same over every venue): concentration.
    pub venue_share: BTreeMap<String, f64>,
    /// σ of the one-day P&L of the book's delta under the online EWMA covariance, USD.
    pub delta_vol_1d_usd: Option<f64>,
    /// Each underlying's share of that σ (Euler risk contributions; they sum to 1).
    pub risk_contributions: BTreeMap<String, f64>,
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
    /// Alerts raised or cleared by this snapshot.
    pub new_alerts: Vec<crate::store::Alert>,
}

/// The desk's snapshot now: each book's valuation instant first moves to its latest tick
/// ([`crate::desk::Desk::advance_clocks`]), then its live totals are read. The revaluation
/// runs on a blocking thread, never on the async workers.
pub async fn snapshot(app: &Arc<App>, seq: u64) -> DeskSnapshot {
    let risk = app.risk.read().await.clone();
    let shared = app.clone();
    let books = tokio::task::spawn_blocking(move || {
        shared.desk.blocking_write().advance_clocks();
        // copy each book under the lock, value the copies after it
        let copies: Vec<crate::desk::Desk> = {
            let desk = shared.desk.blocking_read();
            desk.ids()
                .iter()
                .filter_map(|(id, _)| desk.single(id).ok())
                .collect()
        };
        copies
            .iter()
            .flat_map(|d| book_views(d, &risk))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    DeskSnapshot {
        seq,
        computed_at: jiff::Timestamp::now().to_string(),
        books,
        feed: crate::feed::FeedState::report_shared(&app.feed, std::time::Instant::now()),
        new_alerts: Vec::new(),
    }
}

/// Every book of `desk` as the snapshot shows it, with the latest risk round's numbers.
fn book_views(
    desk: &crate::desk::Desk,
    risk: &BTreeMap<String, Arc<crate::risk::BookRisk>>,
) -> Vec<BookView> {
    desk.ids()
        .into_iter()
        .map(|(id, name)| {
            let (as_of, spot) = desk
                .market(&id)
                .map(|m| (m.as_of.map(|t| t.to_string()), m.spot.clone()))
                .unwrap_or_default();
            let pnl = desk.pnl_since_start(&id).ok().map(|p| p.total_usd);
            let today = desk.pnl_today(&id).ok().flatten();
            let (total, by_underlying, error) = match desk.totals(&id) {
                Ok(t) if t.errors.is_empty() => (t.total, t.by_underlying.clone(), None),
                Ok(t) => (
                    GreeksTotals::default(),
                    BTreeMap::new(),
                    Some(t.errors.join("; ")),
                ),
                Err(e) => (GreeksTotals::default(), BTreeMap::new(), Some(e.to_string())),
            };
            let r = risk.get(&id);
            let (var, es) = r.and_then(|r| r.var_es()).unzip();
            let rc = r.and_then(|r| r.var.contributions.as_ref());
            BookView {
                delta_vol_1d_usd: rc.map(|c| c.volatility_1d_usd),
                risk_contributions: rc
                    .map(|c| {
                        c.by_underlying
                            .iter()
                            .map(|(k, v)| (k.clone(), v.share))
                            .collect()
                    })
                    .unwrap_or_default(),
                venue_share: desk.venue_shares(&id).unwrap_or_default(),
                var_99_usd: var,
                es_99_usd: es,
                margin_utilisation: r.and_then(|r| r.margin_utilisation()),
                liquidation_distance: r.and_then(|r| r.liquidation_distance()),
                pnl_since_start_usd: pnl,
                pnl_today_usd: today.map(|t| t.1),
                day: today.map(|t| t.0.to_string()),
                id,
                name,
                as_of,
                spot,
                total,
                by_underlying,
                error,
                breached: Vec::new(),
            }
        })
        .collect()
}

/// Check every book's limits against `s`: record the edges, mark what is breached.
async fn check_limits(app: &App, alerter: &mut Alerter, s: &mut DeskSnapshot) {
    for b in &mut s.books {
        let Ok(limits) = app.store.limits(&b.id).await else {
            continue;
        };
        for e in alerter.evaluate(&b.id, &limits, b) {
            if let Ok(a) = app
                .store
                .insert_alert(&b.id, &e.limit, e.state, e.value, e.limit_value)
                .await
            {
                s.new_alerts.push(a);
            }
        }
        b.breached = alerter.breached(&b.id);
    }
}

/// The alerter as the stored alerts left it (each limit's last state).
async fn stored_alerter(app: &App) -> Alerter {
    let ids = app.desk.read().await.ids();
    let mut states = Vec::new();
    for (id, _) in ids {
        let mut last: BTreeMap<String, bool> = BTreeMap::new();
        for a in app.store.alerts(&id).await.unwrap_or_default() {
            last.insert(a.limit, a.state == "raised");
        }
        states.extend(last.into_iter().map(|(l, s)| (id.clone(), l, s)));
    }
    Alerter::with_states(states)
}

/// Recompute the snapshot every `every` and publish it to [`App::snapshots`].
pub fn start(app: Arc<App>, every: Duration) {
    tokio::spawn(async move {
        let mut alerter = stored_alerter(&app).await;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        for seq in 1.. {
            tick.tick().await;
            let mut s = snapshot(&app, seq).await;
            check_limits(&app, &mut alerter, &mut s).await;
            chart_points(&app, &s);
            let text = serde_json::to_string(&s).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            app.snapshots.send_replace(Arc::new(text));
        }
    });
}

/// Add each valued book of `s` to its chart's history.
fn chart_points(app: &App, s: &DeskSnapshot) {
    let Ok(mut charts) = app.charts.lock() else {
        return;
    };
    for b in s.books.iter().filter(|b| b.error.is_none()) {
        let t = b.as_of.as_deref().and_then(|a| a.parse::<jiff::Timestamp>().ok());
        if let (Some(t), Some(pnl)) = (t, b.pnl_since_start_usd) {
            let point = crate::chart::Point {
                t: t.as_millisecond() as f64 / 1000.0,
                pnl,
                delta: b.total.delta_usd,
            };
            crate::chart::push(charts.entry(b.id.clone()).or_default(), point);
        }
    }
}
