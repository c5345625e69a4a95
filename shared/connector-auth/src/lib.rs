//! Authentication for the connector suite, in both directions.
//!
//! * [`upstream`]: the credential a connector presents to its SaaS API (bearer/PAT, basic,
//!   API-key header, OAuth client credentials or refresh token). [`upstream::UpstreamAuth`] is a
//!   `reqwest-middleware` that sets the header on every request, strips any `Authorization`
//!   header already present, and caches OAuth access tokens with single-flight refresh.
//! * [`inbound`]: who is calling our HTTP MCP endpoint. `none` (loopback only), static bearer
//!   tokens stored as SHA-256 hashes, or an OAuth 2.1 resource server validating JWTs against the
//!   issuer's JWKS. [`inbound::require_auth`] is the axum middleware that answers `401`/`403` with
//!   the `WWW-Authenticate` challenges MCP clients expect and hands the [`inbound::Principal`] to
//!   the handlers; [`inbound::metadata_router`] serves RFC 9728 protected-resource metadata.
//!
//! The two sides never meet: an inbound token is removed from the request once it is checked, and
//! the upstream middleware replaces any `Authorization` header with the connector's own credential.
//! All secrets are [`secrecy::SecretString`]s, and every `Debug` output prints `[redacted]`.
//!
//! # Example
//!
//! ```no_run
//! use axum::{Extension, Router, middleware, routing::post};
//! use connector_auth::inbound::{
//!     InboundAuth, InboundMode, Principal, ResourceMetadata, StaticToken, hash_token,
//!     metadata_router, require_auth,
//! };
//! use connector_auth::upstream::{UpstreamAuth, UpstreamCredential};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! // Upstream: every request to Jira Cloud carries basic auth.
//! let credential = UpstreamCredential::Basic {
//!     username: "me@example.com".to_owned(),
//!     password: "api-token".into(),
//! };
//! let jira = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(UpstreamAuth::new(credential, reqwest::Client::new()))
//!     .build();
//!
//! // Inbound: one static token for a CI bot.
//! let tokens = vec![StaticToken {
//!     sha256: hash_token("s3cret-token"),
//!     principal: "ci-bot".to_owned(),
//!     scopes: vec!["jira:read".to_owned()],
//! }];
//! let auth = InboundAuth::new(
//!     InboundMode::StaticTokens(tokens),
//!     ResourceMetadata {
//!         resource: "https://mcp.example.com/mcp".to_owned(),
//!         ..Default::default()
//!     },
//!     vec!["jira:read".to_owned()],
//!     reqwest::Client::new(),
//! );
//! let addr: std::net::SocketAddr = "0.0.0.0:8080".parse()?;
//! auth.check_bind(addr)?;
//!
//! let app: Router = Router::new()
//!     .route(
//!         "/mcp",
//!         post(move |Extension(who): Extension<Principal>| {
//!             let jira = jira.clone();
//!             async move {
//!                 let me = jira.get("https://acme.atlassian.net/rest/api/3/myself").send().await;
//!                 format!("{} -> {:?}", who.subject, me.map(|r| r.status()))
//!             }
//!         }),
//!     )
//!     .layer(middleware::from_fn_with_state(auth.clone(), require_auth))
//!     .merge(metadata_router(&auth, &["/mcp"]));
//! let listener = tokio::net::TcpListener::bind(addr).await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

pub mod inbound;
pub mod upstream;

#[cfg(test)]
mod testdata;

pub use inbound::{InboundAuth, InboundMode, Principal, PrincipalSource, Rejection};
pub use upstream::{UpstreamAuth, UpstreamAuthError, UpstreamCredential};
