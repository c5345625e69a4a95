//! Streamable HTTP: one axum app serving one or more connectors, each at its
//! own path, statelessly (any replica answers any request).
//!
//! Layers on the MCP endpoints, outermost first: request timeout, body-size
//! limit, inbound authentication (principal into extensions, Authorization
//! header removed), per-principal rate limit. `/healthz`, `/readyz`,
//! `/metrics` and the RFC 9728 metadata are open.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use connector_auth::inbound::{InboundAuth, Principal, metadata_router, require_auth};
use connector_ratelimit::InboundLimiter;
use http::{StatusCode, header};
use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use connector_state::State;

use crate::connector::Connector;
use crate::metrics::Metrics;
use crate::server::McpServer;

/// HTTP settings shared by every mounted connector.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Listen address.
    pub listen: SocketAddr,
    /// Host header values accepted (empty: loopback names only).
    pub allowed_hosts: Vec<String>,
    /// Origin values accepted (empty: requests carrying an Origin are refused
    /// unless it is a loopback origin).
    pub allowed_origins: Vec<String>,
    /// Body limit in bytes.
    pub max_body_bytes: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Requests per second per principal.
    pub rate_limit: u32,
    /// The state store `/readyz` checks (not ready while it is unreachable).
    pub state: Option<State>,
}

/// One connector's MCP endpoint, ready to be put into an [`app`].
#[derive(Debug)]
pub struct Mount {
    /// Path of the endpoint (`/mcp`, `/zapier/mcp`).
    pub path: String,
    /// Connector name, for metrics.
    pub name: &'static str,
    router: Router,
    metrics: Arc<Metrics>,
}

/// Wraps a mounted connector as a stateless streamable-HTTP endpoint at `path`.
pub fn mount<C: Connector>(
    server: McpServer<C>,
    path: &str,
    metrics: Arc<Metrics>,
    opts: &HttpOptions,
) -> Mount {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    hosts.extend(opts.allowed_hosts.iter().cloned());
    let mut origins: Vec<String> = vec![
        "http://localhost:*".into(),
        "http://127.0.0.1:*".into(),
        "http://[::1]:*".into(),
    ];
    origins.extend(opts.allowed_origins.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .with_max_request_body_bytes(opts.max_body_bytes)
        .with_sse_keep_alive(Some(Duration::from_secs(15)));
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Mount {
        path: path.to_owned(),
        name: C::NAME,
        router: Router::new().nest_service(path, service),
        metrics,
    }
}

/// The whole HTTP app: every mount behind auth and limits, plus health,
/// metrics and protected-resource metadata.
pub fn app(mounts: Vec<Mount>, auth: &InboundAuth, opts: &HttpOptions) -> Router {
    let paths: Vec<String> = mounts.iter().map(|m| m.path.clone()).collect();
    let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let metrics: Vec<(&'static str, Arc<Metrics>)> =
        mounts.iter().map(|m| (m.name, m.metrics.clone())).collect();

    let rate = NonZeroU32::new(opts.rate_limit.max(1)).expect("max(1) is non-zero");
    let limiter = Arc::new(InboundLimiter::new(
        governor::Quota::per_second(rate)
            .allow_burst(rate.saturating_mul(NonZeroU32::new(2).expect("2"))),
    ));

    let mut mcp = Router::new();
    for m in mounts {
        mcp = mcp.merge(m.router);
    }
    let mcp = mcp
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let limiter = limiter.clone();
            async move { rate_limit(&limiter, req, next).await }
        }))
        .layer(middleware::from_fn_with_state(auth.clone(), require_auth))
        .layer(RequestBodyLimitLayer::new(opts.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            opts.request_timeout,
        ));

    let metrics_route = move || {
        let metrics = metrics.clone();
        async move {
            let body: String = metrics.iter().map(|(name, m)| m.render(name)).collect();
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
        }
    };
    let readiness = opts.state.clone();
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(move || readyz(readiness.clone())))
        .route("/metrics", get(metrics_route))
        .merge(mcp);
    if auth.mode_kind() == "oauth" {
        app = app.merge(metadata_router(auth, &path_refs));
    }
    app
}

/// Ready when the state store answers within a second: a replica that cannot record writes
/// is taken out of the load balancer, and comes back by itself.
async fn readyz(state: Option<State>) -> Response {
    let Some(state) = state else {
        return Response::new("ready\n".into());
    };
    match tokio::time::timeout(Duration::from_secs(1), state.ping()).await {
        Ok(Ok(_)) => Response::new("ready\n".into()),
        Ok(Err(e)) => not_ready(&e.to_string()),
        Err(_) => not_ready("the state store did not answer within 1 s"),
    }
}

fn not_ready(why: &str) -> Response {
    let mut r =
        Response::new(format!("not ready: {why}; writes are refused until it is back\n").into());
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    r
}

async fn rate_limit(limiter: &InboundLimiter, req: Request, next: Next) -> Response {
    let key = req
        .extensions()
        .get::<Principal>()
        .map(|p| p.subject.clone())
        .unwrap_or_else(|| "anonymous".to_owned());
    match limiter.check(&key) {
        Ok(()) => next.run(req).await,
        Err(wait) => connector_ratelimit::too_many_requests(wait),
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
