//! The service's durable state in SQLite: books, fills, API tokens and limits.
//!
//! One connection, owned by one writer thread: every statement runs there, in order, so the
//! async runtime never blocks on the disk. WAL journal with `synchronous = FULL`: a fill the
//! store has acknowledged survives the process being killed (and the machine losing power).
//! The schema is migrated by `PRAGMA user_version`.

use crate::auth::{hash_token, Scope};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 2;

/// # Errors
/// From opening, migrating or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite's own error, with what was being done.
    #[error("{what}: {source}")]
    Sqlite {
        /// The operation.
        what: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A database written by a newer Ballast.
    #[error(
        "{path}: schema version {found} is newer than this Ballast's ({SCHEMA_VERSION}): upgrade Ballast"
    )]
    TooNew {
        /// The database file.
        path: String,
        /// Its `user_version`.
        found: i64,
    },
    /// The same idempotency key sent with another fill.
    #[error("book {book}: idempotency key '{key}' was already used for another fill (instrument {instrument}, size {size}, price {price}): use a new key for a new fill")]
    KeyReused {
        /// The book.
        book: String,
        /// The key.
        key: String,
        /// The fill stored under it.
        instrument: String,
        /// Its size.
        size: f64,
        /// Its price.
        price: f64,
    },
    /// Nothing with that id.
    #[error("{0}")]
    NotFound(String),
    /// The writer thread is gone (the service is shutting down).
    #[error("the store is closed")]
    Closed,
}

fn sql(what: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        what: what.to_string(),
        source,
    }
}

/// A fill as received: `size` signed (positive buys), in the instrument's units (coins for
/// spot and options, USD for inverse contracts), `price` in the instrument's quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FillRequest {
    /// The client's idempotency key (1–128 characters): a retry with the same key and fill is
    /// acknowledged again, never booked twice.
    pub key: String,
    /// Instrument name (`BTC-PERPETUAL`, `BTC-26JUN26-80000-C`, `ETH`…).
    pub instrument: String,
    /// Signed size.
    pub size: f64,
    /// Fill price.
    pub price: f64,
    /// Venue (default `deribit`).
    #[serde(default)]
    pub venue: Option<String>,
}

/// A committed fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fill {
    /// Sequence number (the commit order).
    pub seq: i64,
    /// The book.
    pub book: String,
    /// The idempotency key.
    pub key: String,
    /// Instrument name.
    pub instrument: String,
    /// Signed size.
    pub size: f64,
    /// Fill price.
    pub price: f64,
    /// Venue.
    pub venue: String,
    /// When the store committed it (UTC, RFC 3339).
    pub received: String,
}

/// The store's answer to a fill: committed (or found committed under its key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FillAck {
    /// The committed fill.
    pub fill: Fill,
    /// The key had already been committed with this fill: nothing new was booked.
    pub duplicate: bool,
}

/// An API token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenInfo {
    /// Its id (to revoke it).
    pub id: i64,
    /// Its scope.
    pub scope: Scope,
    /// A label.
    pub label: String,
    /// Created (UTC).
    pub created: String,
    /// Revoked (UTC), if it was.
    pub revoked: Option<String>,
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The store: a handle to its writer thread (cheap to clone).
#[derive(Debug, Clone)]
pub struct Store {
    tx: mpsc::Sender<Job>,
    path: PathBuf,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Store {
    /// Open (creating and migrating) the database at `path` and start its writer thread.
    ///
    /// # Errors
    /// [`StoreError`]: the file cannot be opened or migrated, or was written by a newer schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path).map_err(sql("open the database"))?;
        migrate(&mut conn, path)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("ballast-store".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::NotFound(format!("cannot start the store thread: {e}")))?;
        Ok(Store {
            tx,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` on the writer thread and wait for it (from async code).
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Run `f` on the writer thread and wait for it (from blocking code: the CLI).
    pub fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::channel();
        self.tx
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| StoreError::Closed)?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// Register a book (idempotent: a known id keeps its fills).
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn ensure_book(&self, id: &str, name: &str) -> Result<(), StoreError> {
        let (id, name) = (id.to_string(), name.to_string());
        self.run(move |c| {
            c.execute(
                "INSERT INTO books(id, name) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET name = ?2",
                params![id, name],
            )
            .map_err(sql("register the book"))?;
            Ok(())
        })
        .await
    }

    /// Commit a fill, or find it committed under its key.
    ///
    /// # Errors
    /// [`StoreError::KeyReused`]: the key was committed with another fill; SQLite errors.
    pub async fn insert_fill(&self, book: &str, f: FillRequest) -> Result<FillAck, StoreError> {
        let book = book.to_string();
        self.run(move |c| insert_fill(c, &book, &f)).await
    }

    /// Every committed fill of `book`, in commit order.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn fills(&self, book: &str) -> Result<Vec<Fill>, StoreError> {
        let book = book.to_string();
        self.run(move |c| fills(c, &book)).await
    }

    /// Create a token of `scope`: returns its id and the token (shown once; only its hash is
    /// kept).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn create_token(&self, scope: Scope, label: &str) -> Result<(i64, String), StoreError> {
        let label = label.to_string();
        self.run_blocking(move |c| {
            let token = crate::auth::new_token();
            c.execute(
                "INSERT INTO tokens(hash, scope, label, created) VALUES (?1, ?2, ?3, ?4)",
                params![hash_token(&token).to_vec(), scope.as_str(), label, now()],
            )
            .map_err(sql("store the token"))?;
            Ok((c.last_insert_rowid(), token))
        })
    }

    /// Revoke token `id`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]: no live token with that id.
    pub fn revoke_token(&self, id: i64) -> Result<(), StoreError> {
        self.run_blocking(move |c| {
            let n = c
                .execute(
                    "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                    params![id, now()],
                )
                .map_err(sql("revoke the token"))?;
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "no live token with id {id} (see `ballast token list`)"
                )));
            }
            Ok(())
        })
    }

    /// Every token's record.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.run_blocking(|c| {
            let mut st = c
                .prepare("SELECT id, scope, label, created, revoked FROM tokens ORDER BY id")
                .map_err(sql("list the tokens"))?;
            let rows = st
                .query_map([], |r| {
                    let scope: String = r.get(1)?;
                    Ok(TokenInfo {
                        id: r.get(0)?,
                        scope: Scope::parse(&scope).unwrap_or(Scope::Read),
                        label: r.get(2)?,
                        created: r.get(3)?,
                        revoked: r.get(4)?,
                    })
                })
                .map_err(sql("list the tokens"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(sql("list the tokens"))
        })
    }

    /// The scope of a live token whose hash is `hash`.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn token_scope(&self, hash: [u8; 32]) -> Result<Option<Scope>, StoreError> {
        self.run(move |c| {
            let row: Option<(Vec<u8>, String)> = c
                .query_row(
                    "SELECT hash, scope FROM tokens WHERE hash = ?1 AND revoked IS NULL",
                    params![hash.to_vec()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sql("check the token"))?;
            Ok(row.and_then(|(stored, scope)| {
                crate::auth::hashes_equal(&stored, &hash)
                    .then(|| Scope::parse(&scope))
                    .flatten()
            }))
        })
        .await
    }
}

fn insert_fill(c: &mut Connection, book: &str, f: &FillRequest) -> Result<FillAck, StoreError> {
    let venue = f.venue.clone().unwrap_or_else(|| "deribit".into());
    let tx = c.transaction().map_err(sql("begin the fill"))?;
    let n = tx
        .execute(
            "INSERT INTO fills(book, key, instrument, size, price, venue, received)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(book, key) DO NOTHING",
            params![book, f.key, f.instrument, f.size, f.price, venue, now()],
        )
        .map_err(sql("store the fill"))?;
    let fill = tx
        .query_row(
            "SELECT seq, book, key, instrument, size, price, venue, received FROM fills
             WHERE book = ?1 AND key = ?2",
            params![book, f.key],
            fill_row,
        )
        .map_err(sql("read the fill back"))?;
    tx.commit().map_err(sql("commit the fill"))?;
    if n == 0 && (fill.instrument != f.instrument || fill.size != f.size || fill.price != f.price) {
        return Err(StoreError::KeyReused {
            book: book.into(),
            key: f.key.clone(),
            instrument: fill.instrument,
            size: fill.size,
            price: fill.price,
        });
    }
    Ok(FillAck {
        fill,
        duplicate: n == 0,
    })
}

fn fill_row(r: &rusqlite::Row) -> rusqlite::Result<Fill> {
    Ok(Fill {
        seq: r.get(0)?,
        book: r.get(1)?,
        key: r.get(2)?,
        instrument: r.get(3)?,
        size: r.get(4)?,
        price: r.get(5)?,
        venue: r.get(6)?,
        received: r.get(7)?,
    })
}

fn fills(c: &mut Connection, book: &str) -> Result<Vec<Fill>, StoreError> {
    let mut st = c
        .prepare_cached(
            "SELECT seq, book, key, instrument, size, price, venue, received FROM fills
             WHERE book = ?1 ORDER BY seq",
        )
        .map_err(sql("read the fills"))?;
    let rows = st
        .query_map(params![book], fill_row)
        .map_err(sql("read the fills"))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql("read the fills"))
}

/// WAL, full sync, foreign keys; then each migration above the file's `user_version`.
fn migrate(c: &mut Connection, path: &Path) -> Result<(), StoreError> {
    c.pragma_update(None, "journal_mode", "WAL")
        .map_err(sql("switch to WAL"))?;
    c.pragma_update(None, "synchronous", "FULL")
        .map_err(sql("set synchronous"))?;
    c.pragma_update(None, "foreign_keys", "ON")
        .map_err(sql("enable foreign keys"))?;
    c.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sql("set the busy timeout"))?;
    let version: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sql("read the schema version"))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found: version,
        });
    }
    if version < 1 {
        let tx = c.transaction().map_err(sql("begin the migration"))?;
        tx.execute_batch(
            "CREATE TABLE books(id TEXT PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE fills(
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 book TEXT NOT NULL REFERENCES books(id),
                 key TEXT NOT NULL,
                 instrument TEXT NOT NULL,
                 size REAL NOT NULL,
                 price REAL NOT NULL,
                 venue TEXT NOT NULL,
                 received TEXT NOT NULL,
                 UNIQUE(book, key));
             CREATE TABLE tokens(
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 hash BLOB NOT NULL UNIQUE,
                 scope TEXT NOT NULL,
                 label TEXT NOT NULL,
                 created TEXT NOT NULL,
                 revoked TEXT);
             CREATE TABLE limits(
                 book TEXT NOT NULL REFERENCES books(id),
                 name TEXT NOT NULL,
                 value REAL NOT NULL,
                 PRIMARY KEY(book, name));
             PRAGMA user_version = 1;",
        )
        .map_err(sql("create the schema (version 1)"))?;
        tx.commit().map_err(sql("commit the migration"))?;
    }
    if version < 2 {
        let tx = c.transaction().map_err(sql("begin the migration"))?;
        tx.execute_batch(
            "CREATE TABLE alerts(
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 book TEXT NOT NULL REFERENCES books(id),
                 limit_name TEXT NOT NULL,
                 state TEXT NOT NULL,
                 value REAL NOT NULL,
                 limit_value REAL NOT NULL,
                 at TEXT NOT NULL);
             PRAGMA user_version = 2;",
        )
        .map_err(sql("add alerts (schema version 2)"))?;
        tx.commit().map_err(sql("commit the migration"))?;
    }
    Ok(())
}

/// A limit's alert: raised when the limit breaks, cleared when the value is back inside the
/// band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// Sequence number.
    pub seq: i64,
    /// The book.
    pub book: String,
    /// The limit (`delta_usd.BTC`…).
    pub limit: String,
    /// `raised` or `cleared`.
    pub state: String,
    /// The measured value.
    pub value: f64,
    /// The limit.
    pub limit_value: f64,
    /// When (UTC).
    pub at: String,
}

impl Store {
    /// Replace `book`'s limits.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn set_limits(
        &self,
        book: &str,
        limits: std::collections::BTreeMap<String, f64>,
    ) -> Result<(), StoreError> {
        let book = book.to_string();
        self.run(move |c| {
            let tx = c.transaction().map_err(sql("begin the limits"))?;
            tx.execute("DELETE FROM limits WHERE book = ?1", params![book])
                .map_err(sql("clear the limits"))?;
            for (name, value) in &limits {
                tx.execute(
                    "INSERT INTO limits(book, name, value) VALUES (?1, ?2, ?3)",
                    params![book, name, value],
                )
                .map_err(sql("store a limit"))?;
            }
            tx.commit().map_err(sql("commit the limits"))
        })
        .await
    }

    /// `book`'s limits.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn limits(&self, book: &str) -> Result<std::collections::BTreeMap<String, f64>, StoreError> {
        let book = book.to_string();
        self.run(move |c| {
            let mut st = c
                .prepare_cached("SELECT name, value FROM limits WHERE book = ?1")
                .map_err(sql("read the limits"))?;
            let rows = st
                .query_map(params![book], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql("read the limits"))?;
            rows.collect::<Result<_, _>>().map_err(sql("read the limits"))
        })
        .await
    }

    /// Record an alert.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn insert_alert(
        &self,
        book: &str,
        limit: &str,
        state: &str,
        value: f64,
        limit_value: f64,
    ) -> Result<Alert, StoreError> {
        let (book, limit, state) = (book.to_string(), limit.to_string(), state.to_string());
        self.run(move |c| {
            let at = now();
            c.execute(
                "INSERT INTO alerts(book, limit_name, state, value, limit_value, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![book, limit, state, value, limit_value, at],
            )
            .map_err(sql("store the alert"))?;
            Ok(Alert {
                seq: c.last_insert_rowid(),
                book,
                limit,
                state,
                value,
                limit_value,
                at,
            })
        })
        .await
    }

    /// `book`'s alerts, oldest first.
    ///
    /// # Errors
    /// SQLite errors.
    pub async fn alerts(&self, book: &str) -> Result<Vec<Alert>, StoreError> {
        let book = book.to_string();
        self.run(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT seq, book, limit_name, state, value, limit_value, at FROM alerts WHERE book = ?1 ORDER BY seq",
                )
                .map_err(sql("read the alerts"))?;
            let rows = st
                .query_map(params![book], |r| {
                    Ok(Alert {
                        seq: r.get(0)?,
                        book: r.get(1)?,
                        limit: r.get(2)?,
                        state: r.get(3)?,
                        value: r.get(4)?,
                        limit_value: r.get(5)?,
                        at: r.get(6)?,
                    })
                })
                .map_err(sql("read the alerts"))?;
            rows.collect::<Result<_, _>>().map_err(sql("read the alerts"))
        })
        .await
    }
}
