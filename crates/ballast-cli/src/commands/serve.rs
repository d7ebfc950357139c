//! `ballast serve` (the live risk service) and `ballast token` (its API tokens).

use anyhow::{Context, Result};
use ballast_server::{BookSpec, Scope, Store};
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Portfolio files: one book each (its id is the file's name, e.g. `derivatives`).
    #[arg(required = true, value_name = "PORTFOLIO.toml")]
    pub portfolios: Vec<PathBuf>,
    /// Address to listen on (loopback by default; anything else exposes the API).
    #[arg(long, default_value = "127.0.0.1:8650", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// The SQLite database of books, fills, tokens and limits (created if missing).
    #[arg(long, default_value = "ballast.db", value_name = "FILE")]
    pub db: PathBuf,
    /// Market data: none (the files' snapshot), or a replay of the daily Deribit snapshots
    /// beside the book's chains (`deribit_options_snapshots/`) in Deribit's message format.
    #[arg(long, value_enum, default_value_t = FeedKind::None)]
    pub feed: FeedKind,
    /// The Deribit WebSocket endpoint of --feed deribit: wss:// (TLS, certificates checked
    /// against the Mozilla roots) or ws:// (a local relay or a test server).
    #[arg(long, default_value = "wss://www.deribit.com/ws/api/v2", value_name = "URL")]
    pub feed_url: String,
    /// A PEM file of extra certificate authorities to trust for --feed-url (a relay's own CA).
    #[arg(long, value_name = "FILE")]
    pub feed_ca: Option<PathBuf>,
    /// Replay speed: exchange seconds per second (14400: a day every 6 s).
    #[arg(
        long,
        default_value_t = 14_400.0,
        value_name = "X",
        allow_negative_numbers = true
    )]
    pub speed: f64,
}

/// Where market data comes from.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedKind {
    None,
    Replay,
    Deribit,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
    /// The service's database.
    #[arg(long, default_value = "ballast.db", value_name = "FILE", global = true)]
    pub db: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token (printed once; only its hash is stored).
    Create {
        /// What it may do.
        #[arg(long, value_enum, default_value_t = TokenScope::Read)]
        scope: TokenScope,
        /// A label to recognise it by.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The id `token create` or `token list` printed.
        id: i64,
    },
    /// List the tokens (ids, scopes, labels; never the tokens).
    List,
}

/// A token's scope on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    Read,
    ReadWrite,
}

impl From<TokenScope> for Scope {
    fn from(s: TokenScope) -> Scope {
        match s {
            TokenScope::Read => Scope::Read,
            TokenScope::ReadWrite => Scope::ReadWrite,
        }
    }
}

/// A URL-safe book id from a file name: lower case, other characters as `-`.
fn book_id(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if id.is_empty() {
        "book".into()
    } else {
        id
    }
}

pub fn run(a: &ServeArgs) -> Result<String> {
    if !(a.speed.is_finite() && (1.0..=1e9).contains(&a.speed)) {
        anyhow::bail!("--speed {}: between 1 (real time) and 1e9", a.speed);
    }
    let mut books = Vec::new();
    let mut replay_from: Option<(PathBuf, Option<PathBuf>)> = None;
    for path in &a.portfolios {
        let pf = ballast::io::read_portfolio(path)?;
        if replay_from.is_none() {
            if let Some(m) = &pf.market {
                let dir = m.chains.first().and_then(|c| {
                    std::path::Path::new(c)
                        .parent()
                        .map(|p| p.join("deribit_options_snapshots"))
                });
                replay_from = dir.map(|d| (d, m.futures.as_ref().map(PathBuf::from)));
            }
        }
        let (book, risk) = load_served_book(&pf).with_context(|| path.display().to_string())?;
        books.push(BookSpec {
            id: book_id(path),
            name: pf.name.clone().unwrap_or_else(|| book_id(path)),
            book,
            risk: Some(Arc::new(risk)),
            limits: pf.risk.limits.clone(),
        });
    }
    let replay = match a.feed {
        FeedKind::Replay => Some(build_replay(&books, replay_from)?),
        _ => None,
    };
    let tls = if a.feed == FeedKind::Deribit {
        if !(a.feed_url.starts_with("wss://") || a.feed_url.starts_with("ws://")) {
            anyhow::bail!(
                "--feed-url {}: a WebSocket URL, wss://… (TLS, e.g. Deribit's wss://www.deribit.com/ws/api/v2) or ws://… (a local relay)",
                a.feed_url
            );
        }
        Some(ballast_server::runner::tls_config(a.feed_ca.as_deref()).map_err(anyhow::Error::msg)?)
    } else {
        if a.feed_ca.is_some() {
            anyhow::bail!(
                "--feed-ca is the TLS authority of --feed deribit's socket: it needs --feed deribit"
            );
        }
        None
    };
    let store = Store::open(&a.db).with_context(|| a.db.display().to_string())?;
    let (_, token) = store.create_token(Scope::Read, "printed by ballast serve")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let app = Arc::new(
            ballast_server::api::App::load(books, store)
                .await
                .map_err(anyhow::Error::msg)?,
        );
        let listener = tokio::net::TcpListener::bind(a.listen).await.with_context(|| {
            format!(
                "cannot listen on {} (is another service on that port? use --listen)",
                a.listen
            )
        })?;
        let addr = listener.local_addr()?;
        // the service keeps running if nobody reads its stdout any more
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Ballast is serving on http://{addr} (database {})", a.db.display())
            .and_then(|()| writeln!(out, "token: {token}"))
            .and_then(|()| writeln!(out, "dashboard: http://{addr}/#token={token}"))
            .and_then(|()| {
                writeln!(
                    out,
                    "(read-only; `ballast token create --scope read-write` for one that posts fills; Ctrl-C stops)"
                )
            })
            .and_then(|()| out.flush());
        drop(out);
        ballast_server::push::start(app.clone(), std::time::Duration::from_secs(1));
        ballast_server::risk::start(app.clone(), std::time::Duration::from_secs(1));
        if a.feed == FeedKind::Deribit {
            let (instruments, coins) = app.desk.read().await.instruments();
            let spec = ballast_server::runner::LiveSpec {
                url: a.feed_url.clone(),
                tls: tls.clone(),
                channels: ballast_server::runner::LiveSpec::channels(&instruments, &coins),
                heartbeat: 10,
                backoff: (std::time::Duration::from_millis(500), std::time::Duration::from_secs(30)),
            };
            tokio::spawn(ballast_server::runner::run_live(app.clone(), spec));
        }
        if let Some(messages) = replay {
            tokio::spawn(ballast_server::runner::run_replay(app.clone(), messages, a.speed));
        }
        ballast_server::serve(listener, app).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(String::new())
}

/// A served book and what its risk rounds need: with `[data]`, the book and its histories
/// (the VaR's moves); with `[margin]`, Deribit's parameters and the equity.
fn load_served_book(
    pf: &ballast::portfolio::PortfolioFile,
) -> Result<(ballast::book::Book, ballast_server::risk::RiskInputs)> {
    let margin = ballast::io::load_margin_inputs(pf)?;
    let (book, prices, vol_history) = match pf.data {
        Some(_) => {
            let d = ballast::io::load_book_data(pf)?;
            (d.book, Some(d.prices), d.vol_history)
        }
        None => (ballast::io::load_book(pf)?, None, None),
    };
    Ok((
        book,
        ballast_server::risk::RiskInputs {
            prices,
            vol_history,
            window: pf.window(),
            end: pf.data.as_ref().and_then(|d| d.end),
            margin,
        },
    ))
}

/// The replay of the daily snapshots from the books' valuation day on.
fn build_replay(
    books: &[BookSpec],
    from: Option<(PathBuf, Option<PathBuf>)>,
) -> Result<ballast_server::feed::replay::Messages> {
    let (dir, futures) =
        from.context("--feed replay needs a book with [market] chains (the snapshots sit beside them)")?;
    let desk = ballast_server::Desk::new(books.to_vec())?;
    let (instruments, coins) = desk.instruments();
    let day = books
        .iter()
        .filter_map(|b| b.book.market.as_of)
        .min()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .context("the books' market has no valuation time")?;
    let spec = ballast_server::feed::replay::ReplaySpec {
        snapshots: &dir,
        futures: futures.as_deref(),
        instruments: &instruments,
        coins: &coins,
        from: day,
    };
    Ok(ballast_server::feed::replay::build(&spec)?)
}

pub fn token(a: &TokenArgs) -> Result<String> {
    let store = Store::open(&a.db).with_context(|| a.db.display().to_string())?;
    Ok(match &a.command {
        TokenCommand::Create { scope, label } => {
            let scope = Scope::from(*scope);
            let (id, token) = store.create_token(scope, label)?;
            format!(
                "token: {token}\nid: {id} ({}; shown once: only its hash is stored)\n",
                scope.as_str()
            )
        }
        TokenCommand::Revoke { id } => {
            store.revoke_token(*id)?;
            format!("revoked token {id}\n")
        }
        TokenCommand::List => {
            let mut out = String::from("id  scope       created                         revoked  label\n");
            for t in store.tokens()? {
                out += &format!(
                    "{:<3} {:<11} {:<31} {:<8} {}\n",
                    t.id,
                    t.scope.as_str(),
                    t.created,
                    if t.revoked.is_some() { "yes" } else { "no" },
                    t.label
                );
            }
            out
        }
    })
}
