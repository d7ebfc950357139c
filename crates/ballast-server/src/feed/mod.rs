//! Market data in: Deribit's WebSocket messages ([`deribit`]) from a live socket or a replay
//! ([`replay`]), applied to the desk's books tick by tick, with per-channel liveness judged by
//! data arriving (not pings) and every message that is skipped counted by why.

pub mod deribit;
pub mod replay;

pub use deribit::{parse, Message, Tick};

use crate::desk::Desk;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One channel's liveness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelState {
    /// Exchange time of its last tick, ms since the epoch.
    pub last_exchange_ms: i64,
    /// Seconds since its last tick arrived (wall clock).
    pub age_seconds: f64,
    /// No data for longer than the feed's staleness threshold.
    pub stale: bool,
}

/// Counts of what the feed received and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedCounts {
    /// Messages received.
    pub messages: u64,
    /// Ticks applied to at least one book.
    pub applied: u64,
    /// Ticks on instruments no book knows (skipped).
    pub unknown_instrument: u64,
    /// Ticks older than the channel's last (skipped).
    pub out_of_order: u64,
    /// Ticks repeating the channel's last one (skipped).
    pub duplicate: u64,
    /// Messages that are not JSON or carry impossible values — NaN, negative or zero prices —
    /// or prices the engine cannot value a position with (skipped).
    pub bad: u64,
    /// Channels we do not use (order books, trades).
    pub ignored: u64,
    /// `test_request` heartbeats answered.
    pub test_requests: u64,
    /// Reconnections.
    pub reconnects: u64,
}

/// The feed's state: counts, each channel's last tick, the last bad message.
#[derive(Debug, Clone)]
pub struct FeedState {
    /// Where the data comes from (`replay`, `deribit`, `none`).
    pub source: String,
    /// Counts.
    pub counts: FeedCounts,
    /// A channel is stale after this long without data.
    pub stale_after: Duration,
    last: BTreeMap<String, (i64, Instant, Tick)>,
    /// The last message skipped as bad, and why.
    pub last_bad: Option<String>,
    /// The latest messages' handling times, µs (a ring of [`LATENCY_WINDOW`]).
    latency: Vec<f64>,
    latency_next: usize,
}

/// How many of the latest messages' handling times the feed keeps for its percentiles.
pub const LATENCY_WINDOW: usize = 10_000;

impl Latency {
    /// The percentiles of `samples` (µs).
    pub fn of(mut v: Vec<f64>) -> Latency {
        if v.is_empty() {
            return Latency::default();
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((p * v.len() as f64) as usize).min(v.len() - 1)];
        Latency {
            count: v.len(),
            p50_us: q(0.5),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: v[v.len() - 1],
        }
    }
}

/// Percentiles of the latest messages' handling times (waiting for the desk, parsing,
/// repricing what they touch), µs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Messages measured (at most [`LATENCY_WINDOW`], the latest).
    pub count: usize,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest.
    pub max_us: f64,
}

/// [`FeedState`] as served (`GET /api/health`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedReport {
    /// Source.
    pub source: String,
    /// Counts.
    pub counts: FeedCounts,
    /// Liveness per channel.
    pub channels: BTreeMap<String, ChannelState>,
    /// Any channel stale (or no data yet).
    pub stale: bool,
    /// The last bad message's reason.
    pub last_bad: Option<String>,
    /// Handling time of the latest messages.
    pub latency: Latency,
}

impl FeedState {
    /// A feed from `source`, stale after `stale_after` without data.
    pub fn new(source: &str, stale_after: Duration) -> FeedState {
        FeedState {
            source: source.to_string(),
            counts: FeedCounts::default(),
            stale_after,
            last: BTreeMap::new(),
            last_bad: None,
            latency: Vec::new(),
            latency_next: 0,
        }
    }

    /// Forget the channels' last ticks (a replay starting over).
    pub fn restart(&mut self) {
        self.last.clear();
    }

    /// Read one message and apply what it carries to `desk`; returns the reply the exchange
    /// expects, if any (`public/test` for a `test_request`).
    pub fn process(&mut self, desk: &mut Desk, text: &str, now: Instant) -> Option<String> {
        self.counts.messages += 1;
        let tick = match parse(text) {
            Message::Tick(t) => t,
            Message::TestRequest => {
                self.counts.test_requests += 1;
                return Some(deribit::test_reply(self.counts.messages));
            }
            Message::Heartbeat | Message::Response => return None,
            Message::Ignored(_) => {
                self.counts.ignored += 1;
                return None;
            }
            Message::Bad(why) => {
                self.counts.bad += 1;
                self.last_bad = Some(why);
                return None;
            }
        };
        let channel = tick.channel();
        if let Some((ts, _, prev)) = self.last.get(&channel) {
            if tick.timestamp() < *ts {
                self.counts.out_of_order += 1;
                return None;
            }
            if *prev == tick {
                self.counts.duplicate += 1;
                return None;
            }
        }
        match desk.apply_tick(&tick) {
            crate::desk::TickOutcome::Applied => self.counts.applied += 1,
            crate::desk::TickOutcome::Unknown => self.counts.unknown_instrument += 1,
            crate::desk::TickOutcome::Refused(why) => {
                self.counts.bad += 1;
                self.last_bad = Some(format!("{channel}: {why}"));
                return None;
            }
        }
        self.last.insert(channel, (tick.timestamp(), now, tick));
        None
    }

    /// Record one message's handling time (from its arrival to the desk updated), µs.
    pub fn record_latency(&mut self, us: f64) {
        if self.latency.len() < LATENCY_WINDOW {
            self.latency.push(us);
        } else {
            self.latency[self.latency_next] = us;
        }
        self.latency_next = (self.latency_next + 1) % LATENCY_WINDOW;
    }

    /// Percentiles of the recorded handling times.
    pub fn latency(&self) -> Latency {
        Latency::of(self.latency.clone())
    }

    /// [`Self::report`] of a shared feed, holding its lock only to copy (the percentiles are
    /// sorted after it is released, so a reader never delays the ticks).
    pub fn report_shared(feed: &std::sync::Mutex<FeedState>, now: Instant) -> FeedReport {
        let (mut r, samples) = {
            let f = feed.lock().unwrap_or_else(|p| p.into_inner());
            (f.report_counts(now), f.latency.clone())
        };
        r.latency = Latency::of(samples);
        r
    }

    /// The state as served at `now`, with the latency percentiles.
    pub fn report(&self, now: Instant) -> FeedReport {
        FeedReport {
            latency: self.latency(),
            ..self.report_counts(now)
        }
    }

    /// The state at `now` without the latency percentiles.
    fn report_counts(&self, now: Instant) -> FeedReport {
        let channels: BTreeMap<String, ChannelState> = self
            .last
            .iter()
            .map(|(c, (ts, at, _))| {
                let age = now.saturating_duration_since(*at);
                (
                    c.clone(),
                    ChannelState {
                        last_exchange_ms: *ts,
                        age_seconds: age.as_secs_f64(),
                        stale: age > self.stale_after,
                    },
                )
            })
            .collect();
        FeedReport {
            source: self.source.clone(),
            counts: self.counts.clone(),
            stale: self.source != "none" && (channels.is_empty() || channels.values().any(|c| c.stale)),
            channels,
            last_bad: self.last_bad.clone(),
            latency: Latency::default(),
        }
    }
}
