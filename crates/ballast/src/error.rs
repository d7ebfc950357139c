//! The crate-wide error: each module has its own error enum, and the façade wraps them.

use crate::{
    allocate, backtest, book, data, estimate, hedge, instrument, io, margin, market, portfolio, pricing,
    rebalance, risk, scenario,
};

/// Every error the engine can return; each module's error converts into it.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant wraps one module's error
pub enum Error {
    #[error(transparent)]
    Io(#[from] io::IoError),
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Estimate(#[from] estimate::EstimateError),
    #[error(transparent)]
    Risk(#[from] risk::RiskError),
    #[error(transparent)]
    Allocate(#[from] allocate::AllocateError),
    #[error(transparent)]
    Portfolio(#[from] portfolio::PortfolioError),
    #[error(transparent)]
    Rebalance(#[from] rebalance::RebalanceError),
    #[error(transparent)]
    Instrument(#[from] instrument::InstrumentError),
    #[error(transparent)]
    Pricing(#[from] pricing::PricingError),
    #[error(transparent)]
    Market(#[from] market::MarketError),
    #[error(transparent)]
    Hedge(#[from] hedge::HedgeError),
    #[error(transparent)]
    Backtest(#[from] backtest::BacktestError),
    #[error(transparent)]
    Book(#[from] book::BookError),
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    #[error(transparent)]
    Margin(#[from] margin::MarginError),
}
