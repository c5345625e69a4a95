//! The contract between a connector crate and the kit.

use std::fmt::Debug;
use std::sync::Arc;

use connector_auth::upstream::{UpstreamAuth, UpstreamCredential};
use connector_confirm::{AuditSink, Guard, WriteScope};
use connector_ratelimit::{RateLimitMiddleware, UpstreamLimiter, is_rate_limited_error};
use connector_retry::{RetryLayer, RetryMiddleware, RetryPolicy};
use rmcp::handler::server::router::tool::ToolRouter;

use crate::policy::ToolSpec;

mod tls;

/// What a connector crate implements; `main.rs` then calls
/// [`crate::main::<MyConnector>()`] and `mcp-suite` mounts it beside others.
pub trait Connector: Sized + Send + Sync + 'static {
    /// Short name: path segment (`/zapier/mcp`), audit `system`, TOML section.
    const NAME: &'static str;
    /// Binary name (`zapier-mcp`).
    const BINARY: &'static str;
    /// Crate version (`env!("CARGO_PKG_VERSION")`).
    const VERSION: &'static str;
    /// One-line description for `--help` and `serverInfo`.
    const ABOUT: &'static str;
    /// Instructions sent to clients: when to use which tool.
    const INSTRUCTIONS: &'static str;

    /// Connector-specific options (flags, env vars, TOML keys).
    type Options: clap::Args + Clone + Debug + Send + Sync + 'static;

    /// One spec per tool: toolset, effect, tier.
    fn tool_specs() -> &'static [ToolSpec];

    /// The rmcp router (`Self::tool_router()` from `#[tool_router]`).
    fn router() -> ToolRouter<Self>;

    /// The write-scope allow-list from the options (`--write-projects` …).
    fn write_scope(_options: &Self::Options) -> Option<WriteScope> {
        None
    }

    /// Builds the connector from its options and the kit's services.
    fn connect(
        options: Self::Options,
        kit: Kit,
    ) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// Checks for `doctor`: credentials, reachability, platform traps.
    fn doctor(&self) -> impl Future<Output = Vec<Check>> + Send {
        async { Vec::new() }
    }
}

/// One `doctor` finding.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, or what to do.
    pub detail: String,
}

impl Check {
    /// A passing check.
    pub fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
        }
    }
    /// A failing check; `detail` says what to do.
    pub fn fail(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
        }
    }
}

/// The kit's services, handed to [`Connector::connect`].
#[derive(Clone, Debug)]
pub struct Kit {
    /// Confirm-before-write guard.
    pub guard: Guard,
    /// Upstream rate limiter (scopes named by the connector).
    pub limiter: UpstreamLimiter,
    /// Upstream retry policy.
    pub retry: RetryPolicy,
    /// Audit sink.
    pub audit: Arc<dyn AuditSink>,
    /// The tools the policy enabled (toolsets, `--tools`, `--exclude-tools`, `--read-only`,
    /// `--max-tier`), sorted by name: what `doctor` checks the credential against.
    pub enabled_tools: Arc<[ToolSpec]>,
}

/// What a client with its own tower service stack (octocrab) takes from the kit, so it gets
/// the same timeouts, TLS, user agent, retry policy and rate limits as a
/// [`Kit::upstream_client`].
#[derive(Debug, Clone)]
pub struct TowerParts {
    /// The plain reqwest client ([`base_http_client`]) to use as the leaf service.
    pub http: reqwest::Client,
    /// The kit's retry policy as a tower layer; it passes the rate limiter's
    /// [`RateLimited`](connector_ratelimit::RateLimited) refusals through unretried.
    pub retry: RetryLayer,
    /// The kit's limiter: wrap it in a [`connector_ratelimit::RateLimitLayer`] *inside* the
    /// retry layer, so every attempt is counted and observed.
    pub limiter: UpstreamLimiter,
}

impl Kit {
    /// An upstream HTTP client: retry (outermost, so every attempt is rate
    /// limited and authenticated afresh), rate limiting, then credentials.
    pub fn upstream_client(
        &self,
        credential: UpstreamCredential,
    ) -> reqwest_middleware::ClientWithMiddleware {
        let base = base_http_client();
        reqwest_middleware::ClientBuilder::new(base.clone())
            .with(RetryMiddleware::new(self.retry.clone()))
            .with(RateLimitMiddleware::new(self.limiter.clone()))
            .with(UpstreamAuth::new(credential, base))
            .build()
    }

    /// The parts of [`Kit::upstream_client`] for a client that builds its own tower stack
    /// (octocrab): the base reqwest client, the retry layer and the limiter. Credentials are
    /// the client's own business there.
    pub fn tower_parts(&self) -> TowerParts {
        TowerParts {
            http: base_http_client(),
            retry: RetryLayer::new(self.retry.clone()).with_pass_through(is_rate_limited_error),
            limiter: self.limiter.clone(),
        }
    }
}

/// The plain reqwest client under every upstream client: timeouts set, no
/// redirects to other hosts with our credentials, a clear user agent.
///
/// TLS is reqwest's default (rustls, the platform's roots), but the roots are
/// read once per process on the first HTTPS handshake rather than per client
/// at start-up (see `tls`). Each call still returns a new client with its own
/// connection pool, so clients never outlive the runtime they were used on.
pub fn base_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls::client_config())
        .user_agent(concat!("mcp-connectors/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::limited(3))
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("a reqwest client with static settings always builds")
}
