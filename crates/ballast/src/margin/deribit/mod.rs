//! Deribit's portfolio margin (the extended risk matrix of `private/pme/simulate`).
//!
//! **Exact** (reproduces Deribit's published example to 1e-9 BTC, `shared/reference/margin/`):
//! the standard table (9 moves × 3 vol scenarios), inverse-future P&L q(1 − 1/(1 + m)) coin,
//! delta-one moves clamped to ±`price_range` in the extended table, aggregation (losses in full,
//! gains × `pnl_offset`), the worst case and its bucket with the middle-vol tie-break, the roll
//! shock Σ|q|·max(`min_annualised_move`, `annualised_move_risk`·T), the risk-matrix margin
//! (worst case to 1e-9 + roll + delta shock), maintenance = `mm_factor` × it, initial = it +
//! open-orders + MMP + spot margins.
//!
//! **Reconstructed** (Deribit does not publish them; documented choices, configurable through
//! the parameters): the vol shock, multiplicative on the mark IV — up σ(1 + r_up·f) floored at
//! `min_volatility_for_shock_up`, down σ(1 − r_down·f) floored at 1 %, f = (30/days)^p (as
//! Deribit's margin page states the shape and Derive's PM2 and Paradex document the
//! multiplicative form); the extended table for options (vol up, P&L × `extended_table_factor`,
//! then the aggregated loss less `extended_dampener` USD, which is consistent with the example's
//! zero extended vector); the delta shock `max_delta_shock` × (|net delta USD| −
//! `delta_total_liq_shock_threshold`)⁺; bucket numbering on the right side (1 = the smallest
//! rise); several underlyings settled in one currency add up (no correlation credit).

mod book;
mod kernel;
mod matrix;
mod params;
mod replay;
mod standard;

pub use book::{
    account_margin, book_margin, book_margin_without_deribit, deribit_margin, pm_input, what_if, BookMargin,
    CurrencyAccount, LiquidationPoint, UnderlyingLiquidation,
};
pub use matrix::{
    portfolio_margin, shocked_vol, CurrencyMargin, ExtraInitial, InitialMarginDetails, PmInput, PmResult,
    RiskMatrixDetails, RiskVector, Ticker, WorstCaseBucket, MIN_SHOCKED_VOL, VOL_SCENARIOS,
};
pub use params::{CurrencyParams, GeneralParams, PairParams, PmParams, EXTENDED_MOVES};
pub use replay::{replay, Difference, Replay, SimulateResponse};
pub use standard::{standard_margin, StandardMargin, StandardMarginLine, StandardTotals};
