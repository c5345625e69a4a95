//! Inbound limits: per-principal buckets for the connector's own HTTP endpoint.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use connector_retry::ceil_seconds;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::{HeaderValue, StatusCode, header};

/// Every this many checks, buckets of principals that have gone quiet are dropped.
const HOUSEKEEPING_INTERVAL: u64 = 1024;

/// Per-principal rate limits for incoming requests. Cloning is cheap and clones share state.
#[derive(Clone)]
pub struct InboundLimiter {
    inner: Arc<InboundInner>,
}

struct InboundInner {
    quota: Quota,
    buckets: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl InboundLimiter {
    /// Every principal gets its own bucket with `quota`.
    pub fn new(quota: Quota) -> Self {
        Self {
            inner: Arc::new(InboundInner {
                quota,
                buckets: RateLimiter::keyed(quota),
                checks: AtomicU64::new(0),
            }),
        }
    }

    /// Takes one token from `key`'s bucket, or says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let inner = &*self.inner;
        let result = inner
            .buckets
            .check_key(&key.to_owned())
            .map(drop)
            .map_err(|not_until| not_until.wait_time_from(inner.buckets.clock().now()));
        let checks = inner.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if checks.is_multiple_of(HOUSEKEEPING_INTERVAL) {
            inner.buckets.retain_recent();
        }
        result
    }
}

impl fmt::Debug for InboundLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundLimiter")
            .field("quota", &self.inner.quota)
            .field("tracked_principals", &self.inner.buckets.len())
            .finish()
    }
}

/// Derives the principal a request is counted against (an authenticated subject, an API key id,
/// the peer address). Never return the raw credential: the key is kept in memory and may be logged.
pub type KeyFn = Arc<dyn Fn(&Request) -> String + Send + Sync>;

/// State for [`inbound_middleware`]: the limiter and how to find a request's principal.
#[derive(Clone)]
pub struct InboundRateLimit {
    limiter: InboundLimiter,
    key_fn: KeyFn,
}

impl InboundRateLimit {
    /// Limits requests with `limiter`, keyed by `key_fn`.
    pub fn new(
        limiter: InboundLimiter,
        key_fn: impl Fn(&Request) -> String + Send + Sync + 'static,
    ) -> Self {
        Self {
            limiter,
            key_fn: Arc::new(key_fn),
        }
    }
}

impl fmt::Debug for InboundRateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundRateLimit")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

/// axum middleware answering `429 Too Many Requests` with `Retry-After` once a principal exceeds
/// its quota.
///
/// ```
/// use std::num::NonZeroU32;
/// use axum::{Router, middleware::from_fn_with_state, routing::post};
/// use connector_ratelimit::{InboundLimiter, InboundRateLimit, inbound_middleware};
/// use governor::Quota;
///
/// let limiter = InboundLimiter::new(Quota::per_minute(NonZeroU32::new(120).unwrap()));
/// let state = InboundRateLimit::new(limiter, |req: &axum::extract::Request| {
///     // Use the authenticated principal in real code; this reads a header set by the auth layer.
///     req.headers()
///         .get("x-principal")
///         .and_then(|v| v.to_str().ok())
///         .unwrap_or("anonymous")
///         .to_owned()
/// });
/// let app: Router = Router::new()
///     .route("/mcp", post(|| async { "ok" }))
///     .layer(from_fn_with_state(state, inbound_middleware));
/// ```
pub async fn inbound_middleware(
    State(state): State<InboundRateLimit>,
    req: Request,
    next: Next,
) -> Response {
    let key = (state.key_fn)(&req);
    match state.limiter.check(&key) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            tracing::debug!(principal = %key, wait_ms = crate::upstream::millis(wait), "inbound rate limit hit");
            too_many_requests(wait)
        }
    }
}

/// A `429 Too Many Requests` response with `Retry-After` in whole seconds (rounded up, at least 1)
/// and the body `{"error":"rate_limited","retry_after_seconds":N}`.
pub fn too_many_requests(retry_after: Duration) -> Response {
    let seconds = ceil_seconds(retry_after).max(1);
    let body = format!(r#"{{"error":"rate_limited","retry_after_seconds":{seconds}}}"#);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (header::RETRY_AFTER, HeaderValue::from(seconds)),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn two_per_minute() -> Quota {
        Quota::per_minute(NonZeroU32::new(2).unwrap())
    }

    fn app(limiter: InboundLimiter) -> Router {
        let state = InboundRateLimit::new(limiter, |req: &Request| {
            req.headers()
                .get("x-principal")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("anonymous")
                .to_owned()
        });
        Router::new()
            .route("/mcp", get(|| async { "ok" }))
            .layer(from_fn_with_state(state, inbound_middleware))
    }

    async fn call(app: &Router, principal: &str) -> Response {
        let request = Request::builder()
            .uri("/mcp")
            .header("x-principal", principal)
            .body(Body::empty())
            .unwrap();
        app.clone().oneshot(request).await.unwrap()
    }

    #[test]
    fn check_counts_per_key() {
        let limiter = InboundLimiter::new(two_per_minute());
        assert_eq!(limiter.check("alice"), Ok(()));
        assert_eq!(limiter.check("alice"), Ok(()));
        let wait = limiter.check("alice").unwrap_err();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(limiter.check("bob"), Ok(()));
        assert!(format!("{limiter:?}").contains("tracked_principals: 2"));
    }

    #[tokio::test]
    async fn over_limit_answers_429_with_retry_after() {
        let app = app(InboundLimiter::new(two_per_minute()));

        for _ in 0..2 {
            assert_eq!(call(&app, "alice").await.status(), StatusCode::OK);
        }
        let limited = call(&app, "alice").await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()[header::RETRY_AFTER], "30");
        assert_eq!(limited.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(limited.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(
            &body[..],
            br#"{"error":"rate_limited","retry_after_seconds":30}"#
        );

        // Other principals are unaffected.
        assert_eq!(call(&app, "bob").await.status(), StatusCode::OK);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let response = too_many_requests(Duration::from_millis(20));
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
