//! Rate limits for connectors, in both directions.
//!
//! **Outbound** — [`UpstreamLimiter`] keeps a governor token bucket per upstream *scope* (a
//! string such as `"hubspot:search"`, `"jira:acme:issue:PROJ-1"` or `"zapier:hook:alerts"`;
//! quotas are chosen by longest configured prefix) and pauses a whole scope when the upstream says
//! its limit is reached (429, `remaining: 0` + reset headers). [`RateLimitMiddleware`] applies it
//! to a `reqwest_middleware` client, reading the scope from the [`Scope`] request extension.
//!
//! **Inbound** — [`InboundLimiter`] with [`inbound_middleware`] limits each principal calling the
//! connector's HTTP endpoint and answers `429` with `Retry-After`.
//!
//! # Example
//!
//! ```no_run
//! use std::num::NonZeroU32;
//! use connector_ratelimit::{RateLimitMiddleware, Scope, UpstreamLimiter};
//! use connector_retry::{RetryMiddleware, RetryPolicy};
//! use governor::Quota;
//! use reqwest_middleware::ClientBuilder;
//!
//! # async fn run() -> Result<(), reqwest_middleware::Error> {
//! // HubSpot: 100 requests / 10 s in general, search 5 / s.
//! let limiter = UpstreamLimiter::new(Quota::with_period(std::time::Duration::from_millis(100)).unwrap()
//!         .allow_burst(NonZeroU32::new(100).unwrap()))
//!     .with_quota("hubspot:search", Quota::per_second(NonZeroU32::new(5).unwrap()));
//!
//! // Retry outside, rate limit inside: every attempt takes a token and is observed.
//! let client = ClientBuilder::new(reqwest::Client::new())
//!     .with(RetryMiddleware::new(RetryPolicy::default()))
//!     .with(RateLimitMiddleware::new(limiter))
//!     .build();
//!
//! client
//!     .post("https://api.hubapi.com/crm/v3/objects/contacts/search")
//!     .with_extension(Scope::new("hubspot:search"))
//!     .send()
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod inbound;
mod layer;
mod middleware;
mod upstream;

pub use inbound::{InboundLimiter, InboundRateLimit, KeyFn, inbound_middleware, too_many_requests};
pub use layer::{BoxError, RateLimitLayer, RateLimitService, ScopeFn, is_rate_limited_error};
pub use middleware::{DEFAULT_MAX_WAIT, RateLimitMiddleware, RateLimited};
pub use upstream::{
    CONTENT_CREATION_INTERVAL, CONTENT_CREATION_PER_MINUTE, DEFAULT_PAUSE, DEFAULT_SCOPE, Scope,
    UpstreamLimiter, content_creation_quota,
};
