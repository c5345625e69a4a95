//! The [`reqwest_middleware`] adapter for [`UpstreamLimiter`].

use std::time::Duration;

use connector_retry::ceil_seconds;
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::upstream::{DEFAULT_SCOPE, Scope, UpstreamLimiter, millis};

/// The longest a request waits for its scope by default before failing with [`RateLimited`].
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(30);

/// Sends each request through an [`UpstreamLimiter`]: waits for the request's [`Scope`] (the
/// extension, else [`DEFAULT_SCOPE`]), sends, and lets the limiter observe the response.
///
/// A request that would wait longer than `max_wait` (a scope paused for an hour by GitHub's
/// primary limit, say) fails at once with [`RateLimited`] instead of hanging a tool call.
///
/// Place it after (inside) `connector_retry::RetryMiddleware` so every attempt is counted.
#[derive(Debug, Clone)]
pub struct RateLimitMiddleware {
    limiter: UpstreamLimiter,
    max_wait: Duration,
}

impl RateLimitMiddleware {
    /// A middleware using `limiter`, waiting at most [`DEFAULT_MAX_WAIT`].
    pub fn new(limiter: UpstreamLimiter) -> Self {
        Self {
            limiter,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// Sets the longest a request may wait for its scope.
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The limiter in use (for pausing scopes by hand or inspecting them).
    pub fn limiter(&self) -> &UpstreamLimiter {
        &self.limiter
    }
}

/// A request was not sent because its rate-limit scope is exhausted for longer than the caller is
/// willing to wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RateLimited {
    /// The exhausted scope.
    pub scope: String,
    /// How long until the scope accepts requests again, when known.
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the upstream rate limit for {} is exhausted", self.scope)?;
        match self.retry_after {
            Some(wait) => write!(f, "; retry after {} s", ceil_seconds(wait).max(1)),
            None => f.write_str("; retry in a little while"),
        }
    }
}

#[async_trait::async_trait]
impl Middleware for RateLimitMiddleware {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let scope = extensions
            .get::<Scope>()
            .map_or_else(|| DEFAULT_SCOPE.to_owned(), |scope| scope.0.clone());

        if let Some(paused) = self.limiter.paused_for(&scope)
            && paused > self.max_wait
        {
            return Err(rate_limited(scope, Some(paused)));
        }
        if tokio::time::timeout(self.max_wait, self.limiter.acquire(&scope))
            .await
            .is_err()
        {
            let retry_after = self.limiter.paused_for(&scope);
            return Err(rate_limited(scope, retry_after));
        }

        let result = next.run(req, extensions).await;
        if let Ok(response) = &result {
            self.limiter
                .observe(&scope, response.status(), response.headers());
        }
        result
    }
}

fn rate_limited(scope: String, retry_after: Option<Duration>) -> reqwest_middleware::Error {
    reqwest_middleware::Error::Middleware(rate_limited_error(scope, retry_after).into())
}

/// The [`RateLimited`] error for a request held back, logged once.
pub(crate) fn rate_limited_error(scope: String, retry_after: Option<Duration>) -> RateLimited {
    tracing::warn!(%scope, retry_after_ms = retry_after.map(millis), "upstream rate limit exhausted");
    RateLimited { scope, retry_after }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Instant;

    use governor::Quota;
    use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn client(middleware: RateLimitMiddleware) -> ClientWithMiddleware {
        ClientBuilder::new(reqwest::Client::new())
            .with(middleware)
            .build()
    }

    fn generous() -> UpstreamLimiter {
        UpstreamLimiter::new(Quota::per_second(NonZeroU32::new(1000).unwrap()))
    }

    #[tokio::test]
    async fn a_429_pauses_the_scope_for_the_next_request() {
        let server = MockServer::start().await;
        Mock::given(path("/hooks/alerts"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(path("/hooks/alerts"))
            .respond_with(ResponseTemplate::new(200))
            .with_priority(2)
            .mount(&server)
            .await;
        let limiter = generous();
        let client = client(RateLimitMiddleware::new(limiter.clone()));
        let url = format!("{}/hooks/alerts", server.uri());
        let scope = Scope::new("zapier:hook:alerts");

        let first = client
            .post(&url)
            .with_extension(scope.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 429);
        assert!(limiter.paused_for("zapier:hook:alerts").is_some());
        assert!(limiter.paused_for(DEFAULT_SCOPE).is_none());

        let started = Instant::now();
        let second = client
            .post(&url)
            .with_extension(scope)
            .send()
            .await
            .unwrap();
        assert_eq!(second.status(), 200);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(900), "{waited:?}");
    }

    #[tokio::test]
    async fn requests_without_a_scope_use_the_default_scope() {
        let server = MockServer::start().await;
        Mock::given(path("/x"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", "30"),
            )
            .mount(&server)
            .await;
        let limiter = generous();

        client(RateLimitMiddleware::new(limiter.clone()))
            .get(format!("{}/x", server.uri()))
            .send()
            .await
            .unwrap();

        let paused = limiter.paused_for(DEFAULT_SCOPE).unwrap();
        assert!(paused > Duration::from_secs(29), "{paused:?}");
    }

    #[tokio::test]
    async fn a_long_pause_fails_fast_without_sending() {
        let server = MockServer::start().await;
        Mock::given(path("/x"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let limiter = generous();
        limiter.pause("github:core", Duration::from_secs(3600));

        let started = Instant::now();
        let error = client(RateLimitMiddleware::new(limiter))
            .get(format!("{}/x", server.uri()))
            .with_extension(Scope::new("github:core"))
            .send()
            .await
            .unwrap_err();

        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(server.received_requests().await.unwrap().is_empty());
        let reqwest_middleware::Error::Middleware(error) = error else {
            panic!("expected a middleware error, got {error:?}");
        };
        let limited = error.downcast_ref::<RateLimited>().unwrap();
        assert_eq!(limited.scope, "github:core");
        assert!(
            limited
                .to_string()
                .starts_with("the upstream rate limit for github:core is exhausted; retry after 3")
        );
    }

    #[tokio::test]
    async fn a_slow_bucket_fails_after_max_wait() {
        let server = MockServer::start().await;
        Mock::given(path("/x"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let limiter = UpstreamLimiter::new(Quota::with_period(Duration::from_secs(60)).unwrap());
        let client =
            client(RateLimitMiddleware::new(limiter).with_max_wait(Duration::from_millis(50)));
        let url = format!("{}/x", server.uri());

        client.get(&url).send().await.unwrap();
        let error = client.get(&url).send().await.unwrap_err();

        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        assert!(
            error.to_string().contains("retry in a little while"),
            "{error}"
        );
    }
}
