//! paydesk's HTTP server: the JSON API under `/api/v1`, its OpenAPI document, the
//! server-rendered pages, channel webhooks, health and metrics endpoints.

pub mod api;
pub mod auth;
pub mod calendars;
pub mod cards;
pub mod channels;
pub mod config;
pub mod error;
pub mod help;
pub mod i18n;
pub mod metrics;
pub mod middleware;
pub mod pages;
pub mod protection;
pub mod sla;
pub mod state;
pub mod tickets;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use state::AppState;

/// Microseconds since the Unix epoch, the storage time unit.
pub fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// The whole application: API, pages, system endpoints and middleware.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs.max(1));
    let body_limit = state.config.server.body_limit_bytes;
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(channels::router())
        .fallback(fallback)
        // Innermost first: timeout and body limit, then uniform errors over whatever they
        // produce, then headers and metrics, request id outermost so all logs carry it.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::uniform_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::track_metrics,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            protection::client_address,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

async fn fallback() -> StatusCode {
    // Turned into problem+json or an HTML page by `uniform_errors`.
    StatusCode::NOT_FOUND
}

/// Background work every node runs: releasing holds whose time ran out (safe on many
/// nodes at once: each hold is resolved under a row lock and re-checked, so it expires
/// once), rebuilding the help-center index when another node changed articles, and
/// refreshing the database's planner statistics.
pub fn spawn_background_jobs(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut help_seen = state.repo.help_fingerprint().await.ok();
        let mut ticks = 0u64;
        loop {
            tick.tick().await;
            // At start, then hourly (120 ticks of 30 s).
            if ticks.is_multiple_of(120)
                && let Err(e) = state.repo.optimize().await
            {
                tracing::warn!(error = %e, "refreshing planner statistics failed; will retry");
            }
            ticks += 1;
            help_seen = refresh_help_index(&state, help_seen).await;
            if let Err(e) = protection::housekeeping(&state, now_us()).await {
                tracing::warn!(error = %e, "account protection housekeeping failed; will retry");
            }
            api::complaints::run_deadlines(&state, now_us()).await;
            match state.repo.expire_holds(now_us(), 500).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "released expired payment holds"),
                Err(e) => tracing::warn!(error = %e, "expiring holds failed; will retry"),
            }
        }
    })
}

/// Rebuilds the help index when the articles' fingerprint moved since `seen`; returns the
/// fingerprint now.
pub async fn refresh_help_index(state: &AppState, seen: Option<String>) -> Option<String> {
    let now = match state.repo.help_fingerprint().await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "reading the help fingerprint failed; will retry");
            return seen;
        }
    };
    if seen.as_deref() == Some(now.as_str()) {
        return seen;
    }
    match state.load_help_index().await {
        Ok(n) => {
            tracing::info!(
                indexed = n,
                "help-center index rebuilt after a change elsewhere"
            );
            Some(now)
        }
        Err(e) => {
            tracing::warn!(error = %e, "rebuilding the help index failed; will retry");
            seen
        }
    }
}

/// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let indexed = state.load_help_index().await?;
    tracing::info!(indexed, "help-center index built from the database");
    let jobs = spawn_background_jobs(state.clone());
    let outbox =
        channels::outbox::spawn_outbox_worker(state.clone(), channels::outbox::node_name());
    let sla = sla::spawn_sla_worker(state.clone(), channels::outbox::node_name());
    let app = app(state);
    // Connection info gives the client address for per-address limits and sessions.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    jobs.abort();
    // A delivery cut off here is retried by another node (or this one after a restart)
    // once its lease ends.
    outbox.abort();
    // An SLA event cut off here is fired by another node once its lease ends.
    sla.abort();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
