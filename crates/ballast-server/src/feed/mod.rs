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

    /// The state as served at `now`.
    pub fn report(&self, now: Instant) -> FeedReport {
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
        }
    }
}
