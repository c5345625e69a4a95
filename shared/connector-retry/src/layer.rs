//! The [`tower`] adapter, for clients built on tower services (octocrab, hyper).

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response, Uri};
use tower::{Layer, Service, ServiceExt};

use crate::middleware::describe;
use crate::policy::{Decision, IdempotencyKey, Outcome, RetryPolicy};
use crate::report::{RetryExhausted, RetryReport, error_chain};

/// The error type of [`RetryService`]: the inner service's error, boxed, or [`RetryExhausted`].
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Tells whether an error (or one of its sources) means the connection was never established.
pub type ConnectErrorDetector = fn(&(dyn StdError + 'static)) -> bool;

/// Tells whether an error (or one of its sources) is not a transport failure at all but a
/// deliberate refusal by an inner layer (a rate limiter holding the request back, say): such
/// errors are returned as they are, never retried.
pub type PassThroughDetector = fn(&(dyn StdError + 'static)) -> bool;

/// A [`Layer`] that retries `http::Request<B>` (with `B: Clone`) according to a [`RetryPolicy`].
///
/// Same decisions as [`RetryMiddleware`](crate::RetryMiddleware). Tower errors are opaque, so
/// whether a failure happened before the request left is decided by a [`ConnectErrorDetector`]
/// run on every error in the source chain; the default recognises `reqwest` connect errors and
/// `io::Error`s of kind `ConnectionRefused` / `AddrNotAvailable` (what hyper's connector wraps).
/// Everything else counts as [`Outcome::Ambiguous`], which only idempotent or keyed requests
/// survive. Errors recognised by a [`PassThroughDetector`] (see
/// [`RetryLayer::with_pass_through`]) are returned at once, unwrapped — the tower counterpart
/// of the reqwest middleware passing other middlewares' errors through.
///
/// ```
/// use connector_retry::{RetryLayer, RetryPolicy};
/// use tower::ServiceBuilder;
///
/// # fn wrap<S: Clone>(client: S) {
/// let service = ServiceBuilder::new().layer(RetryLayer::new(RetryPolicy::default())).service(client);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: Arc<RetryPolicy>,
    is_connect_error: ConnectErrorDetector,
    passes_through: Option<PassThroughDetector>,
}

impl Default for RetryLayer {
    fn default() -> Self {
        Self::new(RetryPolicy::default())
    }
}

impl RetryLayer {
    /// A layer applying `policy`.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy: Arc::new(policy),
            is_connect_error: default_connect_error_detector,
            passes_through: None,
        }
    }

    /// Returns errors recognised by `detector` (anywhere in their source chain) unretried and
    /// unwrapped, e.g. `connector_ratelimit::RateLimited` from a rate-limit layer inside this one.
    #[must_use]
    pub fn with_pass_through(mut self, detector: PassThroughDetector) -> Self {
        self.passes_through = Some(detector);
        self
    }

    /// Replaces the connect-error detector, e.g. with one that downcasts to your client's error
    /// type and calls its `is_connect()`.
    #[must_use]
    pub fn with_connect_error_detector(mut self, detector: ConnectErrorDetector) -> Self {
        self.is_connect_error = detector;
        self
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: Arc::clone(&self.policy),
            is_connect_error: self.is_connect_error,
            passes_through: self.passes_through,
        }
    }
}

/// The service produced by [`RetryLayer`].
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    policy: Arc<RetryPolicy>,
    is_connect_error: ConnectErrorDetector,
    passes_through: Option<PassThroughDetector>,
}

impl<S, B, ResB> Service<Request<B>> for RetryService<S>
where
    S: Service<Request<B>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: Clone + Send + 'static,
    ResB: Send + 'static,
{
    type Response = Response<ResB>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service polled ready serves the first attempt; a fresh clone takes its place.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let policy = Arc::clone(&self.policy);
        let is_connect_error = self.is_connect_error;
        let passes_through = self.passes_through;

        Box::pin(async move {
            let method = request.method().clone();
            let has_key = request.extensions().get::<IdempotencyKey>().is_some();
            let target = log_target(request.uri());
            let started = Instant::now();
            let mut attempt = 1;
            let mut result = inner.call(request.clone()).await.map_err(Into::into);
            loop {
                if let (Err(error), Some(detector)) = (&result, passes_through)
                    && in_chain(error.as_ref(), detector)
                {
                    return result;
                }
                let outcome = match &result {
                    Ok(response) => Outcome::Response {
                        status: response.status(),
                        headers: response.headers(),
                    },
                    Err(error) => transport_outcome(error.as_ref(), is_connect_error),
                };
                let reason = describe(&outcome);
                match policy.decide(&method, has_key, outcome, attempt, started.elapsed()) {
                    Decision::Accept => return finish(result, attempt),
                    Decision::Retry { after } => {
                        tracing::debug!(%method, %target, attempt, %reason,
                            wait_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                            "retrying upstream request");
                        drop(result);
                        tokio::time::sleep(after).await;
                        attempt += 1;
                        let ready = inner.ready().await.map_err(Into::into)?;
                        result = ready.call(request.clone()).await.map_err(Into::into);
                    }
                    Decision::GiveUp { retry_after } => {
                        tracing::warn!(%method, %target, attempts = attempt, %reason,
                            retry_after_s = retry_after.map(|wait| wait.as_secs()),
                            "giving up on upstream request");
                        return give_up(result, attempt, retry_after);
                    }
                }
            }
        })
    }
}

/// Recognises `reqwest` connect errors and refused / unroutable TCP connects.
pub fn default_connect_error_detector(error: &(dyn StdError + 'static)) -> bool {
    if let Some(error) = error.downcast_ref::<reqwest::Error>() {
        return error.is_connect();
    }
    error.downcast_ref::<io::Error>().is_some_and(|error| {
        matches!(
            error.kind(),
            io::ErrorKind::ConnectionRefused | io::ErrorKind::AddrNotAvailable
        )
    })
}

fn transport_outcome(
    error: &(dyn StdError + Send + Sync + 'static),
    is_connect_error: ConnectErrorDetector,
) -> Outcome<'static> {
    if in_chain(error, is_connect_error) {
        Outcome::NotSent
    } else {
        Outcome::Ambiguous
    }
}

/// Whether `detector` recognises `error` or one of its sources.
fn in_chain(
    error: &(dyn StdError + Send + Sync + 'static),
    detector: fn(&(dyn StdError + 'static)) -> bool,
) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if detector(error) {
            return true;
        }
        current = error.source();
    }
    false
}

fn finish<ResB>(
    mut result: Result<Response<ResB>, BoxError>,
    attempts: u32,
) -> Result<Response<ResB>, BoxError> {
    if let Ok(response) = &mut result
        && attempts > 1
    {
        response.extensions_mut().insert(RetryReport {
            attempts,
            retry_after: None,
            gave_up: false,
        });
    }
    result
}

fn give_up<ResB>(
    result: Result<Response<ResB>, BoxError>,
    attempts: u32,
    retry_after: Option<std::time::Duration>,
) -> Result<Response<ResB>, BoxError> {
    match result {
        Ok(mut response) => {
            response.extensions_mut().insert(RetryReport {
                attempts,
                retry_after,
                gave_up: true,
            });
            Ok(response)
        }
        Err(error) => {
            let last_error = error_chain(error.as_ref());
            Err(Box::new(RetryExhausted {
                attempts,
                retry_after,
                last_error,
            }))
        }
    }
}

/// The host only: a path can be a credential (see the reqwest middleware's `log_target`).
fn log_target(uri: &Uri) -> String {
    uri.host().unwrap_or("-").to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use http::{Method, StatusCode};

    use super::*;

    fn fast_policy() -> RetryPolicy {
        RetryPolicy::default()
            .with_base_delay(Duration::from_millis(1))
            .with_max_delay(Duration::from_millis(5))
    }

    /// What the fake upstream does on each call.
    #[derive(Clone, Copy)]
    enum Step {
        Status(u16),
        Refused,
        Dropped,
    }

    /// A service that plays `steps` in order (repeating the last) and counts calls.
    fn upstream(
        steps: &'static [Step],
    ) -> (
        impl Service<Request<String>, Response = Response<String>, Error = io::Error, Future: Send>
        + Clone
        + Send
        + 'static,
        Arc<AtomicU32>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&calls);
        let service = tower::service_fn(move |request: Request<String>| {
            let call = counter.fetch_add(1, Ordering::SeqCst) as usize;
            let step = steps[call.min(steps.len() - 1)];
            async move {
                assert_eq!(
                    request.body(),
                    "payload",
                    "the body is replayed on every attempt"
                );
                match step {
                    Step::Status(code) => {
                        let mut response = Response::new(String::new());
                        *response.status_mut() = StatusCode::from_u16(code).unwrap();
                        Ok(response)
                    }
                    Step::Refused => {
                        Err(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"))
                    }
                    Step::Dropped => Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "connection reset",
                    )),
                }
            }
        });
        (service, calls)
    }

    fn request(method: Method, key: Option<&str>) -> Request<String> {
        let mut request = Request::builder()
            .method(method)
            .uri("https://api.example.com/items?token=secret")
            .body("payload".to_owned())
            .unwrap();
        if let Some(key) = key {
            request
                .extensions_mut()
                .insert(IdempotencyKey(key.to_owned()));
        }
        request
    }

    #[tokio::test]
    async fn post_on_503_is_retried_until_success() {
        const STEPS: &[Step] = &[Step::Status(503), Step::Status(503), Step::Status(201)];
        let (upstream, calls) = upstream(STEPS);
        let service = RetryLayer::new(fast_policy()).layer(upstream);

        let response = service.oneshot(request(Method::POST, None)).await.unwrap();

        assert_eq!(response.status(), 201);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            response.extensions().get::<RetryReport>().unwrap().attempts,
            3
        );
    }

    #[tokio::test]
    async fn post_on_502_needs_an_idempotency_key() {
        const STEPS: &[Step] = &[Step::Status(502), Step::Status(200)];
        let (plain, plain_calls) = upstream(STEPS);
        let response = RetryLayer::new(fast_policy())
            .layer(plain)
            .oneshot(request(Method::POST, None))
            .await;
        assert_eq!(response.unwrap().status(), 502);
        assert_eq!(plain_calls.load(Ordering::SeqCst), 1);

        let (keyed, keyed_calls) = upstream(STEPS);
        let response = RetryLayer::new(fast_policy())
            .layer(keyed)
            .oneshot(request(Method::POST, Some("k-1")))
            .await;
        assert_eq!(response.unwrap().status(), 200);
        assert_eq!(keyed_calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn dropped_connection_is_retried_for_get_only() {
        const STEPS: &[Step] = &[Step::Dropped, Step::Status(200)];
        let (get_upstream, get_calls) = upstream(STEPS);
        let response = RetryLayer::new(fast_policy())
            .layer(get_upstream)
            .oneshot(request(Method::GET, None));
        assert_eq!(response.await.unwrap().status(), 200);
        assert_eq!(get_calls.load(Ordering::SeqCst), 2);

        let (post_upstream, post_calls) = upstream(STEPS);
        let error = RetryLayer::new(fast_policy())
            .layer(post_upstream)
            .oneshot(request(Method::POST, None))
            .await
            .unwrap_err();
        // Passed through as it was: not a RetryExhausted, because retrying was never safe.
        assert!(error.downcast_ref::<io::Error>().is_some());
        assert_eq!(post_calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refused_connections_exhaust_the_budget() {
        const STEPS: &[Step] = &[Step::Refused];
        let (upstream, calls) = upstream(STEPS);
        let error = RetryLayer::new(fast_policy().with_max_attempts(3))
            .layer(upstream)
            .oneshot(request(Method::POST, None))
            .await
            .unwrap_err();

        let exhausted = error.downcast_ref::<RetryExhausted>().unwrap();
        assert_eq!(exhausted.attempts, 3);
        assert_eq!(exhausted.last_error, "refused");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn giving_up_on_a_response_attaches_a_report() {
        const STEPS: &[Step] = &[Step::Status(500)];
        let (upstream, calls) = upstream(STEPS);
        let response = RetryLayer::new(fast_policy().with_max_attempts(2))
            .layer(upstream)
            .oneshot(request(Method::GET, None))
            .await
            .unwrap();

        assert_eq!(response.status(), 500);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let report = response.extensions().get::<RetryReport>().unwrap();
        assert_eq!(
            *report,
            RetryReport {
                attempts: 2,
                retry_after: None,
                gave_up: true
            }
        );
    }

    #[tokio::test]
    async fn pass_through_errors_are_neither_retried_nor_wrapped() {
        #[derive(Debug, thiserror::Error)]
        #[error("held back")]
        struct HeldBack;

        let calls = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&calls);
        let upstream = tower::service_fn(move |_: Request<String>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<Response<String>, BoxError>(Box::new(HeldBack)) }
        });
        let error = RetryLayer::new(fast_policy())
            .with_pass_through(|e| e.is::<HeldBack>())
            .layer(upstream)
            .oneshot(request(Method::GET, None))
            .await
            .unwrap_err();
        assert!(error.is::<HeldBack>(), "{error}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Without the detector the same error is an ambiguous failure: a GET is retried.
        let calls = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&calls);
        let upstream = tower::service_fn(move |_: Request<String>| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Err::<Response<String>, BoxError>(Box::new(HeldBack)) }
        });
        let error = RetryLayer::new(fast_policy().with_max_attempts(2))
            .layer(upstream)
            .oneshot(request(Method::GET, None))
            .await
            .unwrap_err();
        assert!(error.is::<RetryExhausted>(), "{error}");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn custom_detector_is_consulted_along_the_source_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct ClientError(#[source] io::Error);

        let error = ClientError(io::Error::other("dns error"));
        assert!(matches!(
            transport_outcome(&error, default_connect_error_detector),
            Outcome::Ambiguous
        ));
        let dns_counts = |e: &(dyn StdError + 'static)| e.to_string() == "dns error";
        assert!(matches!(
            transport_outcome(&error, dns_counts),
            Outcome::NotSent
        ));

        let refused = ClientError(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
        assert!(matches!(
            transport_outcome(&refused, default_connect_error_detector),
            Outcome::NotSent
        ));
    }
}
