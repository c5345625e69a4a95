//! The [`reqwest_middleware`] adapter.

use std::time::Instant;

use http::Extensions;
use reqwest::{Request, Response, Url};
use reqwest_middleware::{Middleware, Next};

use crate::policy::{Decision, IdempotencyKey, Outcome, RetryPolicy};
use crate::report::{RetryExhausted, RetryReport, error_chain};
use crate::server_wait::server_wait;

/// Retries requests sent through a [`reqwest_middleware::ClientWithMiddleware`] according to a
/// [`RetryPolicy`].
///
/// - Connect errors are retried for every method; other transport errors (timeouts, dropped
///   connections) only for idempotent methods or requests carrying an [`IdempotencyKey`]
///   extension.
/// - Requests whose body cannot be cloned (streams) are sent once.
/// - When the policy gives up on a retryable *response*, that response is returned with a
///   [`RetryReport`] in its extensions; on a transport error, the error is a
///   [`RetryExhausted`] inside [`reqwest_middleware::Error::Middleware`].
///
/// Put it before (outside) middleware that should run on every attempt, such as a rate limiter.
#[derive(Debug, Clone, Default)]
pub struct RetryMiddleware {
    policy: RetryPolicy,
}

impl RetryMiddleware {
    /// A middleware applying `policy`.
    pub fn new(policy: RetryPolicy) -> Self {
        Self { policy }
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

#[async_trait::async_trait]
impl Middleware for RetryMiddleware {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let method = req.method().clone();
        let has_key = extensions.get::<IdempotencyKey>().is_some();
        let target = log_target(req.url());
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let spare = req.try_clone();
            let result = next.clone().run(req, extensions).await;
            let outcome = match &result {
                Ok(response) => Outcome::Response {
                    status: response.status(),
                    headers: response.headers(),
                },
                Err(error) => match transport_outcome(error) {
                    Some(outcome) => outcome,
                    None => return result,
                },
            };
            let reason = describe(&outcome);
            match self
                .policy
                .decide(&method, has_key, outcome, attempt, started.elapsed())
            {
                Decision::Accept => return finish(result, attempt),
                Decision::Retry { after } => {
                    let Some(spare) = spare else {
                        tracing::debug!(%method, %target, attempt, %reason,
                            "not retrying: the request body cannot be replayed");
                        return give_up_unreplayable(result, attempt);
                    };
                    tracing::debug!(%method, %target, attempt, %reason,
                        wait_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                        "retrying upstream request");
                    drop(result);
                    tokio::time::sleep(after).await;
                    req = spare;
                }
                Decision::GiveUp { retry_after } => {
                    tracing::warn!(%method, %target, attempts = attempt, %reason,
                        retry_after_s = retry_after.map(|wait| wait.as_secs()),
                        "giving up on upstream request");
                    return give_up(result, attempt, retry_after);
                }
            }
        }
    }
}

/// How a failed send counts for retrying, or `None` when it is not a transport failure
/// (another middleware's error, a malformed request, a redirect loop) and must pass through.
fn transport_outcome(error: &reqwest_middleware::Error) -> Option<Outcome<'static>> {
    match error {
        reqwest_middleware::Error::Middleware(_) => None,
        reqwest_middleware::Error::Reqwest(error) if error.is_builder() || error.is_redirect() => {
            None
        }
        reqwest_middleware::Error::Reqwest(error) if error.is_connect() => Some(Outcome::NotSent),
        reqwest_middleware::Error::Reqwest(_) => Some(Outcome::Ambiguous),
    }
}

fn finish(
    mut result: reqwest_middleware::Result<Response>,
    attempts: u32,
) -> reqwest_middleware::Result<Response> {
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

fn give_up(
    result: reqwest_middleware::Result<Response>,
    attempts: u32,
    retry_after: Option<std::time::Duration>,
) -> reqwest_middleware::Result<Response> {
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
            let last_error = match error {
                reqwest_middleware::Error::Reqwest(error) => error_chain(&error.without_url()),
                reqwest_middleware::Error::Middleware(error) => format!("{error:#}"),
            };
            let exhausted = RetryExhausted {
                attempts,
                retry_after,
                last_error,
            };
            Err(reqwest_middleware::Error::Middleware(exhausted.into()))
        }
    }
}

/// A retryable failure we could not retry because the body is a one-shot stream: responses get a
/// report (the caller still learns the server's wait), errors pass through untouched.
fn give_up_unreplayable(
    result: reqwest_middleware::Result<Response>,
    attempts: u32,
) -> reqwest_middleware::Result<Response> {
    match result {
        Ok(response) => {
            let retry_after = server_wait(response.headers(), std::time::SystemTime::now());
            give_up(Ok(response), attempts, retry_after)
        }
        Err(error) => Err(error),
    }
}

/// Host and path only: query strings and headers can carry credentials.
/// What a log line names of the request: the host only. A path can be a credential (a Zapier
/// catch hook's path *is* its secret), and a query can carry keys.
pub(crate) fn log_target(url: &Url) -> String {
    url.host_str().unwrap_or("-").to_owned()
}

pub(crate) fn describe(outcome: &Outcome<'_>) -> String {
    match outcome {
        Outcome::NotSent => "connect error".to_owned(),
        Outcome::Ambiguous => "connection failed after sending".to_owned(),
        Outcome::Response { status, .. } => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn fast_policy() -> RetryPolicy {
        RetryPolicy::default()
            .with_base_delay(Duration::from_millis(5))
            .with_max_delay(Duration::from_millis(20))
            .with_deadline(Duration::from_secs(5))
    }

    fn client(policy: RetryPolicy) -> ClientWithMiddleware {
        ClientBuilder::new(reqwest::Client::new())
            .with(RetryMiddleware::new(policy))
            .build()
    }

    /// Responds with `first` for the first `times` requests, then with 200.
    async fn failing_then_ok(
        server: &MockServer,
        http_method: &str,
        first: ResponseTemplate,
        times: u64,
    ) {
        Mock::given(method(http_method))
            .and(path("/thing"))
            .respond_with(first)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(server)
            .await;
        Mock::given(method(http_method))
            .and(path("/thing"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .with_priority(2)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn retries_429_after_the_servers_wait() {
        let server = MockServer::start().await;
        failing_then_ok(
            &server,
            "GET",
            ResponseTemplate::new(429).insert_header("retry-after", "1"),
            1,
        )
        .await;

        let started = Instant::now();
        let response = client(RetryPolicy::default())
            .get(format!("{}/thing", server.uri()))
            .send()
            .await
            .unwrap();
        let waited = started.elapsed();

        assert_eq!(response.status(), 200);
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
        assert!(
            waited >= Duration::from_secs(1) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        let report = response.extensions().get::<RetryReport>().unwrap();
        assert_eq!(
            *report,
            RetryReport {
                attempts: 2,
                retry_after: None,
                gave_up: false
            }
        );
    }

    #[tokio::test]
    async fn retries_503_twice_then_succeeds() {
        let server = MockServer::start().await;
        failing_then_ok(&server, "GET", ResponseTemplate::new(503), 2).await;

        let response = client(fast_policy())
            .get(format!("{}/thing", server.uri()))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok");
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn post_is_retried_on_503() {
        let server = MockServer::start().await;
        failing_then_ok(&server, "POST", ResponseTemplate::new(503), 1).await;

        let response = client(fast_policy())
            .post(format!("{}/thing", server.uri()))
            .body("{}")
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 200);
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].body, b"{}");
    }

    #[tokio::test]
    async fn post_on_502_is_not_retried() {
        let server = MockServer::start().await;
        failing_then_ok(&server, "POST", ResponseTemplate::new(502), 1).await;

        let response = client(fast_policy())
            .post(format!("{}/thing", server.uri()))
            .body("{}")
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 502);
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        assert!(response.extensions().get::<RetryReport>().is_none());
    }

    #[tokio::test]
    async fn post_on_502_with_idempotency_key_is_retried() {
        let server = MockServer::start().await;
        failing_then_ok(&server, "POST", ResponseTemplate::new(502), 1).await;

        let response = client(fast_policy())
            .post(format!("{}/thing", server.uri()))
            .body("{}")
            .with_extension(IdempotencyKey("nonce-1".into()))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 200);
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn giving_up_attaches_a_report() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .mount(&server)
            .await;

        let response = client(fast_policy().with_max_attempts(3))
            .get(format!("{}/thing", server.uri()))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 429);
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
        let report = response.extensions().get::<RetryReport>().unwrap();
        assert_eq!(
            *report,
            RetryReport {
                attempts: 3,
                retry_after: Some(Duration::ZERO),
                gave_up: true
            }
        );
    }

    #[tokio::test]
    async fn a_long_server_wait_is_reported_without_waiting() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
            .mount(&server)
            .await;

        let started = Instant::now();
        let response = client(fast_policy())
            .get(format!("{}/thing", server.uri()))
            .send()
            .await
            .unwrap();

        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        let report = response.extensions().get::<RetryReport>().unwrap();
        assert_eq!(report.retry_after, Some(Duration::from_secs(120)));
        assert!(report.gave_up);
    }

    #[tokio::test]
    async fn plain_403_and_404_are_final() {
        let server = MockServer::start().await;
        Mock::given(path("/forbidden"))
            .respond_with(ResponseTemplate::new(403))
            .mount(&server)
            .await;
        Mock::given(path("/missing"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;

        let client = client(fast_policy());
        for (route, status) in [("/forbidden", 403), ("/missing", 404)] {
            let response = client
                .get(format!("{}{route}", server.uri()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status);
        }
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    /// A port that refuses connections: bind, note the port, close.
    fn refused_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}/thing?token=secret")
    }

    #[tokio::test]
    async fn connect_errors_exhaust_into_retry_exhausted() {
        let error = client(fast_policy().with_max_attempts(2))
            .post(refused_url())
            .body("{}")
            .send()
            .await
            .unwrap_err();

        let reqwest_middleware::Error::Middleware(error) = error else {
            panic!("expected a middleware error, got {error:?}");
        };
        let exhausted = error.downcast_ref::<RetryExhausted>().unwrap();
        assert_eq!(exhausted.attempts, 2);
        assert!(
            !exhausted.last_error.contains("secret"),
            "{}",
            exhausted.last_error
        );
        assert!(exhausted.to_string().contains("safe to retry"));
    }

    #[tokio::test]
    async fn post_timeout_is_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
            .mount(&server)
            .await;

        let error = client(fast_policy())
            .post(format!("{}/thing", server.uri()))
            .timeout(Duration::from_millis(50))
            .send()
            .await
            .unwrap_err();

        // Passed through untouched: the upstream may have processed it.
        assert!(matches!(&error, reqwest_middleware::Error::Reqwest(e) if e.is_timeout()));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn get_timeout_is_retried() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;

        let response = client(fast_policy())
            .get(format!("{}/thing", server.uri()))
            .timeout(Duration::from_millis(200))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 200);
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[test]
    fn log_target_names_the_host_only() {
        let url = Url::parse("https://api.example.com/v1/items?api_key=secret").unwrap();
        assert_eq!(log_target(&url), "api.example.com");
        let hook = Url::parse("https://hooks.zapier.com/hooks/catch/123/s3cr3t/").unwrap();
        assert!(!log_target(&hook).contains("s3cr3t"));
    }
}
