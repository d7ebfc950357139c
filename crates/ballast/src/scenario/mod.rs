//! Scenario risk: a book fully revalued under joint moves of every coin's spot and implied
//! volatility — historical days, Monte Carlo draws, stress scenarios — and the VaR and expected
//! shortfall of its P&L with their Euler contributions per position and per underlying.
//!
//! Conventions: a coin's spot move moves every forward and futures price of the coin by the
//! same fraction (fixed basis) unless the scenario moves the basis; a vol move scales every
//! implied volatility of the coin (0.1 = × 1.1), may shift it by vol points and tilt it toward
//! the wings and the short end ([`ScenarioSet`]), floored at [`VOL_FLOOR`]; options decay over
//! the horizon (Black-76 at the time left); P&L in USD, losses positive.

mod engine;
mod historical;
mod horizons;
mod measure;
mod monte_carlo;
mod stress;
mod taylor;

pub use engine::{
    PnlMatrix, PositionWarning, Revaluer, ScenarioSet, MAX_MATRIX_ENTRIES, MAX_SCENARIOS, VOL_FLOOR,
};
pub use historical::{historical_scenarios, HistoricalScenarios, HistoricalSpec, VolHistory};
pub use horizons::{pnl_at_horizons, HorizonPnl};
pub use measure::{tail_risk, Components, StandardError, TailMeasure, TailRisk, INCREMENTAL_ENTRIES};
pub use monte_carlo::{
    filtered_historical_scenarios, monte_carlo_scenarios, McDistribution, McSpec, MonteCarloScenarios,
};
pub use stress::{
    stress_scenarios, Crisis, StressScenario, StressSet, UserScenario, CRISES, GRID_VOLS, STABLECOINS,
};
pub use taylor::taylor_pnl;

use crate::book::BookError;

/// # Errors
/// From building or revaluing scenarios.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A position that cannot be valued (named).
    #[error(transparent)]
    Book(#[from] BookError),
    /// Price or vol data that cannot make the scenarios.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// Anything else, with its message.
    #[error("{0}")]
    Invalid(String),
}
