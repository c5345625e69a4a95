//! The [`tower`] adapter for [`UpstreamLimiter`], for clients built on tower services (octocrab).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Method, Request, Response, Uri};
use tower::{Layer, Service};

use crate::middleware::{DEFAULT_MAX_WAIT, RateLimited, rate_limited_error};
use crate::upstream::{DEFAULT_SCOPE, Scope, UpstreamLimiter};

/// The error type of [`RateLimitService`]: the inner service's error, boxed, or [`RateLimited`].
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Names the scope of a request that carries no [`Scope`] extension (requests a client library
/// builds itself, such as octocrab's installation-token exchange).
pub type ScopeFn = Arc<dyn Fn(&Method, &Uri) -> String + Send + Sync>;

/// A [`Layer`] that sends each `http::Request` through an [`UpstreamLimiter`], with the same
/// behaviour as [`RateLimitMiddleware`](crate::RateLimitMiddleware): wait for the request's scope
/// (the [`Scope`] extension, else the layer's [`ScopeFn`], else [`DEFAULT_SCOPE`]), send, let the
/// limiter observe the response (a 429, GitHub's rate-limit 403s or `remaining: 0` pause the
/// scope), and fail at once with [`RateLimited`] instead of waiting longer than `max_wait`.
///
/// Place it inside (after) `connector_retry::RetryLayer` so every attempt takes a token and is
/// observed, and give the retry layer a pass-through detector for [`RateLimited`] so a request
/// held back here is not retried.
///
/// ```
/// use connector_ratelimit::{RateLimitLayer, UpstreamLimiter};
/// use governor::Quota;
/// use tower::ServiceBuilder;
///
/// # fn wrap<S: Clone>(client: S) {
/// let limiter = UpstreamLimiter::new(Quota::per_second(std::num::NonZeroU32::new(10).unwrap()));
/// let service = ServiceBuilder::new().layer(RateLimitLayer::new(limiter)).service(client);
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimitLayer {
    limiter: UpstreamLimiter,
    max_wait: Duration,
    scope_of: Option<ScopeFn>,
}

impl RateLimitLayer {
    /// A layer using `limiter`, waiting at most [`DEFAULT_MAX_WAIT`].
    pub fn new(limiter: UpstreamLimiter) -> Self {
        Self {
            limiter,
            max_wait: DEFAULT_MAX_WAIT,
            scope_of: None,
        }
    }

    /// Sets the longest a request may wait for its scope.
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Names the scope of requests without a [`Scope`] extension from their method and URI.
    #[must_use]
    pub fn with_scope_fn(
        mut self,
        scope_of: impl Fn(&Method, &Uri) -> String + Send + Sync + 'static,
    ) -> Self {
        self.scope_of = Some(Arc::new(scope_of));
        self
    }

    /// The limiter in use.
    pub fn limiter(&self) -> &UpstreamLimiter {
        &self.limiter
    }
}

impl fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("limiter", &self.limiter)
            .field("max_wait", &self.max_wait)
            .field("scope_fn", &self.scope_of.is_some())
            .finish()
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service produced by [`RateLimitLayer`].
#[derive(Clone)]
pub struct RateLimitService<S> {
    inner: S,
    layer: RateLimitLayer,
}

impl<S: fmt::Debug> fmt::Debug for RateLimitService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitService")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, B, ResB> Service<Request<B>> for RateLimitService<S>
where
    S: Service<Request<B>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: Send + 'static,
    ResB: Send + 'static,
{
    type Response = Response<ResB>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service polled ready serves this request; a fresh clone takes its place.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let scope = match request.extensions().get::<Scope>() {
            Some(scope) => scope.0.clone(),
            None => match &self.layer.scope_of {
                Some(scope_of) => scope_of(request.method(), request.uri()),
                None => DEFAULT_SCOPE.to_owned(),
            },
        };
        let limiter = self.layer.limiter.clone();
        let max_wait = self.layer.max_wait;

        Box::pin(async move {
            if let Some(paused) = limiter.paused_for(&scope)
                && paused > max_wait
            {
                return Err(held_back(scope, Some(paused)));
            }
            if tokio::time::timeout(max_wait, limiter.acquire(&scope))
                .await
                .is_err()
            {
                let retry_after = limiter.paused_for(&scope);
                return Err(held_back(scope, retry_after));
            }
            let response = inner.call(request).await.map_err(Into::into)?;
            limiter.observe(&scope, response.status(), response.headers());
            Ok(response)
        })
    }
}

fn held_back(scope: String, retry_after: Option<Duration>) -> BoxError {
    Box::new(rate_limited_error(scope, retry_after))
}

/// Whether `error` is [`RateLimited`]: the pass-through detector for `connector_retry::RetryLayer`.
pub fn is_rate_limited_error(error: &(dyn StdError + 'static)) -> bool {
    error.is::<RateLimited>()
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::sync::atomic::{AtomicU32, Ordering};

    use governor::Quota;
    use http::StatusCode;
    use tower::ServiceExt;

    use super::*;

    fn generous() -> UpstreamLimiter {
        UpstreamLimiter::new(Quota::per_second(NonZeroU32::new(1000).unwrap()))
    }

    /// A service answering `status` with `headers`, counting calls and the scopes it saw.
    fn upstream(
        status: u16,
        headers: &'static [(&'static str, &'static str)],
    ) -> (
        impl Service<Request<()>, Response = Response<()>, Error = std::io::Error, Future: Send>
        + Clone
        + Send
        + 'static,
        Arc<AtomicU32>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&calls);
        let service = tower::service_fn(move |_: Request<()>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let mut response = Response::new(());
                *response.status_mut() = StatusCode::from_u16(status).unwrap();
                for (name, value) in headers {
                    response
                        .headers_mut()
                        .insert(*name, http::HeaderValue::from_static(value));
                }
                Ok(response)
            }
        });
        (service, calls)
    }

    fn request(path: &str, scope: Option<&str>) -> Request<()> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(format!("https://api.example.com{path}"))
            .body(())
            .unwrap();
        if let Some(scope) = scope {
            request.extensions_mut().insert(Scope::new(scope));
        }
        request
    }

    #[tokio::test]
    async fn a_429_pauses_the_scope_of_the_extension() {
        let (upstream, calls) = upstream(429, &[("retry-after", "20")]);
        let limiter = generous();
        let response = RateLimitLayer::new(limiter.clone())
            .layer(upstream)
            .oneshot(request("/hooks/a", Some("zapier:hook:a")))
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let paused = limiter.paused_for("zapier:hook:a").unwrap();
        assert!(paused > Duration::from_secs(18), "{paused:?}");
        assert_eq!(limiter.paused_for(DEFAULT_SCOPE), None);
    }

    #[tokio::test]
    async fn requests_without_an_extension_use_the_scope_fn_else_the_default() {
        let headers: &[(&str, &str)] = &[("retry-after", "20")];
        let (service, _) = upstream(429, headers);
        let limiter = generous();
        RateLimitLayer::new(limiter.clone())
            .with_scope_fn(|method, uri| format!("gh:{method}:{}", uri.path()))
            .layer(service)
            .oneshot(request("/app/x", None))
            .await
            .unwrap();
        assert!(limiter.paused_for("gh:POST:/app/x").is_some());
        assert_eq!(limiter.paused_for(DEFAULT_SCOPE), None);

        let (service, _) = upstream(429, headers);
        let limiter = generous();
        RateLimitLayer::new(limiter.clone())
            .layer(service)
            .oneshot(request("/app/x", None))
            .await
            .unwrap();
        assert!(limiter.paused_for(DEFAULT_SCOPE).is_some());
    }

    #[tokio::test]
    async fn a_long_pause_fails_fast_without_sending() {
        let (service, calls) = upstream(200, &[]);
        let limiter = generous();
        limiter.pause("github:core", Duration::from_secs(3600));
        let error = RateLimitLayer::new(limiter)
            .layer(service)
            .oneshot(request("/x", Some("github:core")))
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert!(is_rate_limited_error(error.as_ref()));
        let limited = error.downcast_ref::<RateLimited>().unwrap();
        assert_eq!(limited.scope, "github:core");
        assert!(limited.retry_after.unwrap() > Duration::from_secs(3500));
    }

    #[tokio::test]
    async fn an_empty_bucket_fails_after_max_wait_without_sending() {
        let (service, calls) = upstream(200, &[]);
        let limiter = UpstreamLimiter::new(Quota::with_period(Duration::from_secs(3600)).unwrap());
        let layer = RateLimitLayer::new(limiter).with_max_wait(Duration::from_millis(20));
        let mut service = layer.layer(service);
        service
            .ready()
            .await
            .unwrap()
            .call(request("/x", None))
            .await
            .unwrap();
        let error = service
            .ready()
            .await
            .unwrap()
            .call(request("/x", None))
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(
            error.to_string().contains("retry in a little while"),
            "{error}"
        );
    }
}
