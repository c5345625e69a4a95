//! Method-aware retries for upstream HTTP calls.
//!
//! Connectors call third-party APIs that rate-limit, fail over and drop connections. This crate
//! decides — per HTTP method — which failures are safe to send again, how long to wait, and when to
//! stop and tell the user when they may retry.
//!
//! - [`RetryPolicy`] is the decision, a plain value: attempts, backoff with full jitter, a total
//!   deadline, and [`RetryPolicy::decide`]. Connect errors, 429 and 503 are retried for every
//!   method; 500/502/504 and dropped connections only for idempotent methods or requests carrying
//!   an [`IdempotencyKey`].
//! - [`server_wait`] reads `Retry-After` and rate-limit reset headers.
//! - [`RetryMiddleware`] applies the policy to a `reqwest_middleware` client;
//!   [`RetryLayer`] to tower services (octocrab, hyper).
//! - When the policy gives up, the final response carries a [`RetryReport`], or the error is a
//!   [`RetryExhausted`]; both say when the request may be retried.
//!
//! # Example
//!
//! ```no_run
//! use connector_retry::{IdempotencyKey, RetryMiddleware, RetryPolicy, RetryReport};
//! use reqwest_middleware::ClientBuilder;
//!
//! # async fn run() -> Result<(), reqwest_middleware::Error> {
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(RetryMiddleware::new(RetryPolicy::default()))
//!     .build();
//!
//! // GETs are retried on 5xx, timeouts and rate limits.
//! let response = client.get("https://api.example.com/items").send().await?;
//! if let Some(report) = response.extensions().get::<RetryReport>()
//!     && report.gave_up
//! {
//!     // Tell the user: still failing after `report.attempts` attempts; retry after `report.retry_after`.
//! }
//!
//! // A POST is retried on 502/504 only when the upstream deduplicates it.
//! client
//!     .post("https://api.example.com/payments")
//!     .header("Idempotency-Key", "8c1f…")
//!     .with_extension(IdempotencyKey("8c1f…".into()))
//!     .send()
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod layer;
mod middleware;
mod policy;
mod report;
mod server_wait;

pub use layer::{
    BoxError, ConnectErrorDetector, PassThroughDetector, RetryLayer, RetryService,
    default_connect_error_detector,
};
pub use middleware::RetryMiddleware;
pub use policy::{Decision, IdempotencyKey, Outcome, RetryPolicy, is_idempotent};
pub use report::{RetryExhausted, RetryReport, ceil_seconds};
pub use server_wait::{is_rate_limited, quota_exhausted, server_wait};
