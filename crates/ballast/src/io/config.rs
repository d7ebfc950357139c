//! The TOML files people write: portfolio files, strategy files, constraints files; and the
//! data they name (paths relative to the file).

use super::{
    read_funding, read_futures_prices, read_option_chain, read_prices, read_text, read_volumes, resolve,
    IoError,
};
use crate::allocate::ConstraintsSpec;
use crate::backtest::{Backtest, BacktestFile, MarketData};
use crate::book::Book;
use crate::data::PricePanel;
use crate::instrument::Position;
use crate::market::MarketSnapshot;
use crate::portfolio::PortfolioFile;
use crate::Result;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parse TOML text into `T`; `file` names it in errors (with the TOML parser's line and column).
///
/// # Errors
/// [`IoError::Toml`]: malformed TOML, unknown keys (for types that refuse them), bad values.
pub fn parse_toml<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, IoError> {
    toml::from_str(text).map_err(|e| IoError::Toml {
        file: file.into(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// Read and parse a TOML file.
///
/// # Errors
/// [`IoError::Read`], or as [`parse_toml`].
pub fn read_toml<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<T, IoError> {
    let path = path.as_ref();
    parse_toml(&read_text(path)?, &path.display().to_string())
}

/// Read a portfolio file; the paths it names (`[data] prices`, `[market] chains` and
/// `futures`) are resolved against its directory.
///
/// # Errors
/// As [`read_toml`].
pub fn read_portfolio(path: impl AsRef<Path>) -> Result<PortfolioFile, IoError> {
    let path = path.as_ref();
    let mut pf = parse_portfolio(&read_text(path)?, &path.display().to_string())?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let at = |p: &mut String| *p = resolve(&base, p).display().to_string();
    if let Some(d) = &mut pf.data {
        at(&mut d.prices);
        if let Some(s) = &mut d.stablecoins {
            at(s);
        }
    }
    if let Some(m) = &mut pf.margin {
        if let Some(d) = &mut m.deribit_params {
            at(d);
        }
        if let Some(b) = &mut m.binance {
            at(&mut b.brackets);
        }
    }
    if let Some(m) = &mut pf.market {
        m.chains.iter_mut().for_each(at);
        if let Some(f) = &mut m.futures {
            at(f);
        }
        if let Some(f) = &mut m.vol_history {
            at(f);
        }
    }
    Ok(pf)
}

/// Parse portfolio-file text; `file` names it in errors (paths then resolve against the
/// current directory).
///
/// # Errors
/// As [`parse_toml`].
pub fn parse_portfolio(text: &str, file: &str) -> Result<PortfolioFile, IoError> {
    let mut pf: PortfolioFile = parse_toml(text, file)?;
    pf.source = file.into();
    Ok(pf)
}

/// An error of a data file, said to come from `key` of the settings file `config`.
fn named_by(config: &str, key: &str) -> impl Fn(IoError) -> IoError {
    let (config, key) = (config.to_string(), key.to_string());
    move |e| IoError::NamedBy {
        config: config.clone(),
        key: key.clone(),
        error: Box::new(e),
    }
}

/// The prices a portfolio file's `[data] prices` names.
///
/// # Errors
/// No `[data]` section; the price file's errors, said to come from the portfolio file.
pub fn read_portfolio_prices(pf: &PortfolioFile) -> Result<PricePanel> {
    let path = pf.prices_path()?;
    Ok(read_prices(&path).map_err(named_by(&pf.source, "[data] prices"))?)
}

/// Read a constraints file (`--constraints FILE.toml`).
///
/// # Errors
/// As [`read_toml`].
pub fn read_constraints(path: impl AsRef<Path>) -> Result<ConstraintsSpec, IoError> {
    read_toml(path)
}

/// Read a strategy file and the data it names (paths relative to the file), and check it.
///
/// # Errors
/// File and format errors ([`IoError`]), and every check of [`Backtest::from_spec`].
pub fn load_backtest(path: impl AsRef<Path>) -> Result<Backtest> {
    let path = path.as_ref();
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_backtest_str(&read_text(path)?, &path.display().to_string(), &base)
}

/// [`load_backtest`] from text; `file` names it in errors, `base` resolves relative paths.
///
/// # Errors
/// As [`load_backtest`].
pub fn load_backtest_str(text: &str, file: &str, base: &Path) -> Result<Backtest> {
    let spec: BacktestFile = parse_toml(text, file)?;
    let prices = read_prices(resolve(base, &spec.data.prices)).map_err(named_by(file, "[data] prices"))?;
    let volumes = spec
        .data
        .volumes
        .as_deref()
        .map(|v| read_volumes(resolve(base, v)).map_err(named_by(file, "[data] volumes")))
        .transpose()?;
    let funding = spec
        .data
        .funding
        .as_deref()
        .map(|f| read_funding(resolve(base, f)).map_err(named_by(file, "[data] funding")))
        .transpose()?;
    let market = MarketData::new(&prices, volumes.as_ref(), funding)?;
    Ok(Backtest::from_spec(spec, file, market)?)
}

/// A derivatives book with the histories its risk is measured on.
#[derive(Debug, Clone)]
pub struct BookData {
    /// The book, valued on the `[market]` snapshot.
    pub book: Book,
    /// `[data] prices` (with `[data] stablecoins` merged in when given): the coins' historical
    /// moves.
    pub prices: crate::data::PricePanel,
    /// `[market] vol_history` (Deribit DVOL): the implied-vol moves, when given.
    pub vol_history: Option<crate::data::PricePanel>,
}

/// [`load_book`] and the histories of `ballast var`, `stress`, `report` and the Python package:
/// `[data] prices` (plus `[data] stablecoins`) and `[market] vol_history`.
///
/// # Errors
/// Those of [`load_book`]; no `[data]` section; unreadable or malformed price files (named by
/// the setting that points at them).
pub fn load_book_data(pf: &PortfolioFile) -> Result<BookData> {
    let book = load_book(pf)?;
    let mut prices = read_prices(pf.prices_path()?).map_err(named_by(&pf.source, "[data] prices"))?;
    if let Some(path) = pf.data.as_ref().and_then(|d| d.stablecoins.as_ref()) {
        let stable = read_prices(path).map_err(named_by(&pf.source, "[data] stablecoins"))?;
        prices = prices
            .with_assets(&stable)
            .map_err(|e| pf.invalid(format!("[data] stablecoins: {e}")))?;
    }
    let vol_history = match pf.market.as_ref().and_then(|m| m.vol_history.as_ref()) {
        Some(path) => Some(read_prices(path).map_err(named_by(&pf.source, "[market] vol_history"))?),
        None => None,
    };
    Ok(BookData {
        book,
        prices,
        vol_history,
    })
}

/// A portfolio file's `[margin]` inputs: Deribit's portfolio-margin parameters (when given)
/// and the equity per settlement currency (coins; USD for `usdc`).
#[derive(Debug, Clone)]
pub struct MarginInputs {
    /// `[margin] deribit_params`, read.
    pub params: Option<crate::margin::deribit::PmParams>,
    /// `[margin] equity`.
    pub equity: std::collections::BTreeMap<String, f64>,
}

/// The `[margin]` section's inputs, `None` without the section.
///
/// # Errors
/// An unreadable or malformed parameters file (named by the setting).
pub fn load_margin_inputs(pf: &PortfolioFile) -> Result<Option<MarginInputs>> {
    let Some(section) = pf.margin.as_ref() else {
        return Ok(None);
    };
    let params = match &section.deribit_params {
        Some(p) => Some(super::read_pm_params(p).map_err(named_by(&pf.source, "[margin] deribit_params"))?),
        None => None,
    };
    Ok(Some(MarginInputs {
        params,
        equity: section.equity.clone(),
    }))
}

/// The engine that margins many accounts on a portfolio file's snapshot: `[market]` (chains,
/// futures, `as_of`, `vol_history`), `[data]` (prices, `window`, `end`: the VaR's historical
/// moves) and `[margin] deribit_params`; the file's own positions are not used.
///
/// # Errors
/// Those of [`load_book_data`]; no `[margin] deribit_params`; the engine's
/// ([`crate::margin::accounts::AccountEngine::new`]).
pub fn load_account_engine(pf: &PortfolioFile) -> Result<crate::margin::accounts::AccountEngine> {
    let params = pf
        .margin
        .as_ref()
        .and_then(|m| m.deribit_params.as_ref())
        .ok_or_else(|| {
            pf.invalid("margining accounts needs [margin] deribit_params = \"PARAMS.toml\"".into())
        })?;
    let params = super::read_pm_params(params).map_err(named_by(&pf.source, "[margin] deribit_params"))?;
    let d = load_book_data(pf)?;
    let data = pf.data.as_ref();
    Ok(crate::margin::accounts::AccountEngine::new(
        d.book.market,
        params,
        &d.prices,
        d.vol_history.as_ref(),
        pf.window(),
        data.and_then(|x| x.end),
    )?)
}

/// The derivatives book of a portfolio file: its spot holdings and `[[position]]`s, valued on
/// the `[market]` snapshot (option chains, optional futures prices and spot overrides).
///
/// # Errors
/// No `[market]` section or chain, unreadable files, malformed instrument names or sizes
/// (naming the position), a bad `as_of`.
pub fn load_book(pf: &PortfolioFile) -> Result<Book> {
    let market = pf.market.as_ref().ok_or_else(|| {
        pf.invalid("the book is valued on a market snapshot: add a [market] section with chains = [\"...options.csv\"] (Deribit chains: the spot index, forwards and option marks)".into())
    })?;
    if market.chains.is_empty() {
        return Err(pf
            .invalid("[market] chains is empty: give at least one Deribit option chain".into())
            .into());
    }
    let mut rows = Vec::new();
    for c in &market.chains {
        rows.extend(read_option_chain(c).map_err(named_by(&pf.source, "[market] chains"))?);
    }
    let mut snap = MarketSnapshot::from_chain_rows(rows)?;
    if let Some(s) = &market.as_of {
        snap.as_of =
            Some(s.parse().map_err(|_| {
                pf.invalid(format!("[market] as_of = '{s}' is not an ISO 8601 UTC timestamp"))
            })?);
    }
    for (coin, px) in &market.spot {
        if !(px.is_finite() && *px > 0.0) {
            return Err(pf
                .invalid(format!("[market] spot {coin} = {px} must be > 0"))
                .into());
        }
        snap.spot.insert(coin.clone(), *px);
    }
    if let Some(f) = &market.futures {
        snap.futures =
            read_futures_prices(f, snap.as_of).map_err(named_by(&pf.source, "[market] futures"))?;
    }
    let mut positions = Vec::new();
    for h in &pf.holdings {
        let pos = Position::new(&h.asset, h.units, h.venue.as_deref().unwrap_or("spot"))
            .map_err(|e| pf.invalid(format!("[[holding]] {}: {e}", h.asset)))?;
        positions.push(pos);
    }
    for p in &pf.positions {
        let pos = Position::new(&p.instrument, p.size, p.venue.as_deref().unwrap_or("deribit"))
            .map_err(|e| pf.invalid(format!("[[position]] {}: {e}", p.instrument)))?;
        positions.push(pos);
    }
    if positions.is_empty() {
        return Err(pf
            .invalid("no [[holding]] or [[position]] to value".into())
            .into());
    }
    Ok(Book {
        positions,
        market: snap,
    })
}
