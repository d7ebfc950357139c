//! The HTTP JSON API. Every route but `/api/health` needs `Authorization: Bearer <token>`
//! (read scope; posting fills needs read-write). Errors are `{"error": "…"}` with a 4xx status
//! that says which: 400 malformed JSON, 401 no or unknown token, 403 read-only token, 404
//! unknown book or route, 409 idempotency key reused, 413 body over 64 KiB, 422 a fill that
//! cannot be booked; and 503 (with `Retry-After`) for a book's risk or margin asked for before
//! its first risk round has finished.

use crate::auth::{bearer, hash_token, Scope};
use crate::desk::{BookSpec, Desk, DeskError};
use crate::desk::{BookSummary, Portfolio};
use crate::feed::{FeedReport, FeedState};
use crate::openapi::ErrorDoc;
use crate::store::{Alert, Fill, FillAck, FillRequest, Store, StoreError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::RwLock;

/// Largest request body.
pub const MAX_BODY: usize = 64 * 1024;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (default 127.0.0.1:8650).
    pub listen: SocketAddr,
    /// The SQLite database.
    pub db: PathBuf,
    /// The books.
    pub books: Vec<BookSpec>,
}

/// The service's state.
#[derive(Debug)]
pub struct App {
    /// The books, with the fills applied.
    pub desk: RwLock<Desk>,
    /// The durable store.
    pub store: Store,
    /// The market-data feed's counts and liveness.
    pub feed: std::sync::Mutex<FeedState>,
    /// The latest desk snapshot (JSON), published by [`crate::push::start`].
    pub snapshots: tokio::sync::watch::Sender<Arc<String>>,
    /// Each book's latest VaR and margin, from [`crate::risk::start`].
    pub risk: RwLock<std::collections::BTreeMap<String, Arc<crate::risk::BookRisk>>>,
    /// Each book's latest snapshots for its chart ([`crate::chart`]).
    pub charts:
        std::sync::Mutex<std::collections::HashMap<String, std::collections::VecDeque<crate::chart::Point>>>,
}

impl App {
    /// The desk of `books` with every committed fill of `store` applied.
    ///
    /// # Errors
    /// Bad book ids; a book's file limits with an unknown name or a bad value; the store's
    /// errors. A stored fill on a book no longer configured is kept in the store and left out
    /// (with its book) — never an error. A book's file limits (`[risk.limits]`), when it has
    /// any, replace its stored ones.
    pub async fn load(books: Vec<BookSpec>, store: Store) -> Result<App, String> {
        let file_limits: Vec<(String, std::collections::BTreeMap<String, f64>)> = books
            .iter()
            .filter(|b| !b.limits.is_empty())
            .map(|b| (b.id.clone(), b.limits.clone()))
            .collect();
        for (id, limits) in &file_limits {
            for (name, v) in limits {
                crate::limits::check(name, *v).map_err(|e| format!("book '{id}' [risk.limits]: {e}"))?;
            }
        }
        let mut desk = Desk::new(books).map_err(|e| e.to_string())?;
        for (id, name) in desk.ids() {
            store.ensure_book(&id, &name).await.map_err(|e| e.to_string())?;
            for f in store.fills(&id).await.map_err(|e| e.to_string())? {
                desk.apply(&f).map_err(|e| e.to_string())?;
            }
        }
        for (id, limits) in file_limits {
            store.set_limits(&id, limits).await.map_err(|e| e.to_string())?;
        }
        Ok(App {
            desk: RwLock::new(desk),
            store,
            feed: std::sync::Mutex::new(FeedState::new("none", std::time::Duration::from_secs(30))),
            snapshots: tokio::sync::watch::channel(Arc::new(String::from("{}"))).0,
            risk: RwLock::new(std::collections::BTreeMap::new()),
            charts: Default::default(),
        })
    }
}

/// An error response.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(ErrorBody { error: &self.1 })).into_response();
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("a header value"),
            );
        }
        r
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        let status = match e {
            DeskError::UnknownBook(_) => StatusCode::NOT_FOUND,
            DeskError::BadFill(_) | DeskError::Engine(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError(status, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match e {
            StoreError::KeyReused { .. } => StatusCode::CONFLICT,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError(status, e.to_string())
    }
}

/// Check the request's bearer token against `need`.
async fn authorize(app: &App, headers: &HeaderMap, need: Scope) -> Result<Scope, ApiError> {
    let value = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError(
                StatusCode::UNAUTHORIZED,
                "the Authorization header is not text".into(),
            )
        })?),
    };
    authorize_value(app, value, need).await
}

/// Check the token against `need`, then that book `id` exists (404 otherwise).
async fn authorize_book(app: &App, headers: &HeaderMap, id: &str, need: Scope) -> Result<(), ApiError> {
    authorize(app, headers, need).await?;
    app.desk.read().await.check_book(id)?;
    Ok(())
}

/// Check an `Authorization` value (`Bearer blst_…`) against `need`.
async fn authorize_value(app: &App, value: Option<&str>, need: Scope) -> Result<Scope, ApiError> {
    let unauthorized = |m: &str| ApiError(StatusCode::UNAUTHORIZED, m.to_string());
    let value = value.ok_or_else(|| unauthorized("no Authorization header: send 'Authorization: Bearer <token>' (create one with `ballast token create`)"))?;
    let token = bearer(value).ok_or_else(|| {
        unauthorized("the Authorization header must be 'Bearer blst_…' (a token from `ballast token create`)")
    })?;
    let scope = app
        .store
        .token_scope(hash_token(token))
        .await?
        .ok_or_else(|| unauthorized("unknown or revoked token"))?;
    if scope < need {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "this token is {}: the request needs a {} token (`ballast token create --scope {}`)",
                scope.as_str(),
                need.as_str(),
                need.as_str()
            ),
        ));
    }
    Ok(scope)
}

/// `GET /ws` (a WebSocket; the token in the Authorization header or, for browsers, as
/// `?token=`): the latest desk snapshot now and on every change. A client that cannot take a
/// snapshot within 5 s is dropped; one that is merely slow gets the newest snapshot next.
async fn ws(
    State(app): State<Arc<App>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    h: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    match q.get("token") {
        Some(t) => authorize_value(&app, Some(&format!("Bearer {t}")), Scope::Read).await?,
        None => authorize(&app, &h, Scope::Read).await?,
    };
    let upgrade = upgrade.map_err(|e| ApiError(e.status(), format!("{e}: /ws is a WebSocket")))?;
    let mut rx = app.snapshots.subscribe();
    Ok(upgrade.on_upgrade(move |mut socket| async move {
        use axum::extract::ws::Message as Ws;
        loop {
            let text = rx.borrow_and_update().clone();
            let sent = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                socket.send(Ws::Text(text.as_str().into())),
            )
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                break;
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { break },
                m = socket.recv() => match m {
                    None | Some(Err(_)) | Some(Ok(Ws::Close(_))) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }))
}

/// `GET /`: the dashboard (one page, no build step).
async fn dashboard() -> axum::response::Html<&'static str> {
    axum::response::Html(include_str!("../assets/dashboard.html"))
}

#[derive(Serialize)]
pub(crate) struct Health {
    /// `ok`, or `stale` when a market-data channel has gone quiet.
    status: &'static str,
    version: &'static str,
    books: usize,
    schema_version: i64,
    feed: FeedReport,
}

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "service",
    responses(
        (status = 200, description = "Status (`ok` or `stale`), version, books, schema version, the feed's counts and per-channel liveness", body = Object),
    ),
)]
pub(crate) async fn health(State(app): State<Arc<App>>) -> Json<Health> {
    let feed = FeedState::report_shared(&app.feed, std::time::Instant::now());
    Json(Health {
        status: if feed.stale { "stale" } else { "ok" },
        version: env!("CARGO_PKG_VERSION"),
        books: app.desk.read().await.ids().len(),
        schema_version: crate::store::SCHEMA_VERSION,
        feed,
    })
}

#[utoipa::path(
    get,
    path = "/api/books",
    tag = "books",
    responses(
        (status = 200, description = "Every book: id, name, positions, fills", body = [BookSummary]),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn books(State(app): State<Arc<App>>, h: HeaderMap) -> Result<Response, ApiError> {
    authorize(&app, &h, Scope::Read).await?;
    Ok(Json(app.desk.read().await.summaries()).into_response())
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/portfolio",
    tag = "books",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "Net positions, and how much of each came from fills", body = Portfolio),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn portfolio(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &h, Scope::Read).await?;
    Ok(Json(app.desk.read().await.portfolio(&id)?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/greeks",
    tag = "risk",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "`ballast greeks`' JSON: per position, per underlying, expiry bucket and venue, totals", body = Object),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
        (status = 422, description = "A position the snapshot cannot value", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn greeks(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &h, Scope::Read).await?;
    let g = app.desk.read().await.greeks(&id)?;
    Ok(Json(g).into_response())
}

/// The book's latest risk round, or 503 while the first is still running.
async fn latest_risk(app: &App, id: &str) -> Result<Arc<crate::risk::BookRisk>, ApiError> {
    if !app.desk.read().await.has_risk(id)? {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!(
                "book '{id}' has no risk inputs: the service was started without its VaR and margin data"
            ),
        ));
    }
    app.risk.read().await.get(id).cloned().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("book '{id}': its first risk round has not finished yet (one runs every second); retry shortly"),
        )
    })
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/risk",
    tag = "risk",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "The latest risk round: `computed_at`, `as_of`, `seconds`, `var` (`ballast var --scenarios 0`'s JSON) or `error`", body = Object),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
        (status = 503, description = "The first risk round has not finished (Retry-After: 1)", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn risk(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &h, Scope::Read).await?;
    Ok(Json(&latest_risk(&app, &id).await?.var).into_response())
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/margin",
    tag = "risk",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "The latest risk round: `computed_at`, `as_of`, `seconds`, `margin` (`ballast margin`'s Deribit accounts) or `error`", body = Object),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
        (status = 503, description = "The first risk round has not finished (Retry-After: 1)", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn margin(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &h, Scope::Read).await?;
    Ok(Json(&latest_risk(&app, &id).await?.margin).into_response())
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/chart.svg",
    tag = "risk",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "The book's P&L since the start and delta over its latest snapshots (SVG, plotters)", body = String, content_type = "image/svg+xml"),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn chart(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_book(&app, &h, &id, Scope::Read).await?;
    let points: Vec<crate::chart::Point> = app
        .charts
        .lock()
        .map(|c| {
            c.get(&id)
                .map(|h| h.iter().copied().collect())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let title = id.clone();
    let svg = tokio::task::spawn_blocking(move || crate::chart::svg(&title, &points))
        .await
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("the chart failed: {e}")))?
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("the chart failed: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/fills",
    tag = "fills",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "The committed fills, in commit order", body = [Fill]),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn list_fills(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_book(&app, &h, &id, Scope::Read).await?;
    Ok(Json(app.store.fills(&id).await?).into_response())
}

/// The request body, or the 4xx that says why there is none (413 over [`MAX_BODY`]).
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        let status = e.status();
        let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the body is larger than {MAX_BODY} bytes")
        } else {
            e.body_text()
        };
        ApiError(status, msg)
    })
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/limits",
    tag = "limits",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "The book's limits: name → value", body = Object),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn get_limits(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_book(&app, &h, &id, Scope::Read).await?;
    Ok(Json(app.store.limits(&id).await?).into_response())
}

/// `PUT /api/books/{id}/limits`: `{"delta_usd.BTC": 250000, "vega": 5000, …}` replaces the
/// book's limits (see [`crate::limits`] for the measures).
#[utoipa::path(
    put,
    path = "/api/books/{id}/limits",
    tag = "limits",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    request_body(content = std::collections::BTreeMap<String, f64>, description = "Limits: `delta_usd[.COIN]`, `gamma_usd_1pct[.COIN]`, `vega[.COIN]`, `theta[.COIN]`, `var_99_usd`, `es_99_usd`, `margin_utilisation`, `venue_share.VENUE` (caps) and `liquidation_distance` (a floor)", content_type = "application/json"),
    responses(
        (status = 200, description = "The limits now", body = Object),
        (status = 400, description = "Not a JSON map of numbers", body = ErrorDoc),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 403, description = "A read-only token writing", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
        (status = 413, description = "A body over 64 KiB", body = ErrorDoc),
        (status = 422, description = "An unknown limit name or a bad value (more than 1,000 limits)", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn put_limits(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize_book(&app, &h, &id, Scope::ReadWrite).await?;
    let body = read_body(body)?;
    let limits: std::collections::BTreeMap<String, f64> = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("the body is not a map of limits: {e} (expected {{\"delta_usd.BTC\": 250000, \"vega\": 5000}})"),
        )
    })?;
    if limits.len() > 1000 {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 1000 limits per book".into(),
        ));
    }
    for (name, value) in &limits {
        crate::limits::check(name, *value).map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    }
    app.store.set_limits(&id, limits.clone()).await?;
    Ok(Json(limits).into_response())
}

#[utoipa::path(
    get,
    path = "/api/books/{id}/alerts",
    tag = "limits",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    responses(
        (status = 200, description = "Every alert raised or cleared, in order", body = [Alert]),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn get_alerts(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    authorize_book(&app, &h, &id, Scope::Read).await?;
    Ok(Json(app.store.alerts(&id).await?).into_response())
}

/// `POST /api/books/{id}/fills`: checked, committed, then applied; 201 when booked, 200 when
/// the key was already committed with the same fill.
#[utoipa::path(
    post,
    path = "/api/books/{id}/fills",
    tag = "fills",
    params(("id" = String, Path, description = "Book id (`GET /api/books`)")),
    request_body(content = FillRequest, description = "A fill", content_type = "application/json"),
    responses(
        (status = 201, description = "Committed, then applied", body = FillAck),
        (status = 200, description = "The key was already committed with this fill: nothing new booked", body = FillAck),
        (status = 400, description = "Malformed JSON or an unknown field", body = ErrorDoc),
        (status = 401, description = "No, malformed, unknown or revoked token", body = ErrorDoc),
        (status = 403, description = "A read-only token writing", body = ErrorDoc),
        (status = 404, description = "Unknown book", body = ErrorDoc),
        (status = 409, description = "The key was committed with another fill", body = ErrorDoc),
        (status = 413, description = "A body over 64 KiB", body = ErrorDoc),
        (status = 422, description = "A fill that cannot be booked (size 0, not finite or above 1e12; price ≤ 0; an instrument the snapshot cannot value)", body = ErrorDoc),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn post_fill(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &h, Scope::ReadWrite).await?;
    let body = read_body(body)?;
    let fill: FillRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("the body is not a fill: {e} (expected {{\"key\", \"instrument\", \"size\", \"price\", \"venue\"?}})"),
        )
    })?;
    app.desk.read().await.check_fill(&id, &fill)?;
    let ack = app.store.insert_fill(&id, fill).await?;
    if !ack.duplicate {
        app.desk.write().await.apply(&ack.fill)?;
    }
    let status = if ack.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(ack)).into_response())
}

async fn not_found() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        "no such route (GET /api/health, /api/openapi.json, /api/books, /api/books/{id}/portfolio|greeks|risk|margin|chart.svg|fills|limits|alerts; POST /api/books/{id}/fills; PUT /api/books/{id}/limits)".into(),
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method".into(),
    )
}

/// The API's routes over `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/ws", get(ws))
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(crate::openapi::document))
        .route("/api/books", get(books))
        .route("/api/books/{id}/portfolio", get(portfolio))
        .route("/api/books/{id}/greeks", get(greeks))
        .route("/api/books/{id}/risk", get(risk))
        .route("/api/books/{id}/margin", get(margin))
        .route("/api/books/{id}/chart.svg", get(chart))
        .route("/api/books/{id}/fills", get(list_fills).post(post_fill))
        .route("/api/books/{id}/limits", get(get_limits).put(put_limits))
        .route("/api/books/{id}/alerts", get(get_alerts))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// Serve `app` on `listener` until Ctrl-C (or SIGTERM).
///
/// # Errors
/// The server's I/O errors.
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
