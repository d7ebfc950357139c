//! The live risk service behind `ballast serve`.
//!
//! - [`store`]: books, fills, API tokens and limits in SQLite (WAL, migrations by
//!   `user_version`), written by one thread; a fill is acknowledged only once committed, and
//!   its idempotency key makes a retry harmless.
//! - [`auth`]: random bearer tokens, stored as SHA-256 hashes, read-only or read-write scopes,
//!   compared in constant time.
//! - [`chart`]: the dashboard's chart (P&L and delta over time), SVG drawn with plotters.
//! - [`day`]: a book's trading day, for the P&L since 00:00 UTC (fills from their own
//!   prices).
//! - [`desk`]: the books (a portfolio file's positions plus the committed fills) valued on the
//!   market snapshot by the Ballast engine.
//! - [`feed`]: market data in — Deribit's WebSocket messages parsed into ticks, a replay of
//!   the data in `../shared/data` in the same words, per-channel staleness, skipped messages
//!   counted by why.
//! - [`limits`]: risk limits per book and their edge-triggered alerts with hysteresis.
//! - [`push`]: the desk's snapshot recomputed every second, pushed over `/ws`.
//! - [`risk`]: every book's VaR, expected shortfall, margin and distance to liquidation,
//!   recomputed each second off the hot path.
//! - [`runner`]: the feed's tasks (the replay, the live Deribit socket).
//! - [`openapi`]: the API's OpenAPI document, derived from the handlers.
//! - [`api`]: the HTTP JSON API (bodies are the library's serialized types; errors are
//!   `{"error": …}` with a 4xx status).
//!
//! The service only parses, calls the library and formats: every number comes from `ballast`.

pub mod api;
pub mod auth;
pub mod chart;
pub mod day;
pub mod desk;
pub mod feed;
pub mod limits;
pub mod openapi;
pub mod push;
pub mod risk;
pub mod runner;
pub mod store;

pub use api::{router, serve, ServeConfig};
pub use auth::Scope;
pub use desk::{BookSpec, Desk};
pub use store::{Fill, FillAck, FillRequest, Store, StoreError};
