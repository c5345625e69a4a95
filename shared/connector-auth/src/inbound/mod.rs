//! Who is calling our HTTP MCP endpoint.
//!
//! Three modes ([`InboundMode`]):
//!
//! * **none**: every caller is [`Principal::anonymous`]. Only allowed on a loopback address;
//!   [`InboundAuth::check_bind`] refuses anything else.
//! * **static tokens**: bearer tokens configured as SHA-256 hashes ([`StaticToken`], create the hash
//!   with [`hash_token`]), each mapped to a principal and scopes.
//! * **OAuth**: we are an OAuth 2.1 resource server. JWT access tokens are validated against the
//!   issuer's JWKS: signature, `iss`, `aud` (our canonical MCP URL), `exp`/`nbf` and scopes.
//!
//! The HTTP side lives in [`require_auth`] (an axum middleware that rejects with the MCP-mandated
//! `WWW-Authenticate` challenges and puts the [`Principal`] into the request extensions) and
//! [`metadata_router`] (RFC 9728 protected-resource metadata).

mod jwt;
mod layer;

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use http::header::AUTHORIZATION;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

pub use layer::{metadata_router, require_auth};

use jwt::JwtValidator;

/// The scope that [`Principal::has_scope`] treats as "every scope".
///
/// [`Principal::local`] and [`Principal::anonymous`] carry it; a [`StaticToken`] may be configured
/// with it. It is never taken from a JWT.
pub const WILDCARD_SCOPE: &str = "*";

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable identifier: `local`, `anonymous`, the configured token principal, or the JWT `sub`
    /// (falling back to `client_id`).
    pub subject: String,
    /// Granted scopes. [`WILDCARD_SCOPE`] grants all of them.
    pub scopes: BTreeSet<String>,
    /// How the caller was authenticated.
    pub source: PrincipalSource,
}

/// How a [`Principal`] was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalSource {
    /// The stdio transport: the user who started the process.
    Local,
    /// HTTP with `--auth none` (loopback only).
    Anonymous,
    /// A configured static bearer token.
    StaticToken,
    /// A JWT access token from the configured OAuth issuer.
    Jwt,
}

impl PrincipalSource {
    /// A short name for logs and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Anonymous => "anonymous",
            Self::StaticToken => "static_token",
            Self::Jwt => "jwt",
        }
    }
}

impl Principal {
    /// The principal of a stdio session: subject `local`, all scopes.
    pub fn local() -> Self {
        Self {
            subject: "local".to_owned(),
            scopes: BTreeSet::from([WILDCARD_SCOPE.to_owned()]),
            source: PrincipalSource::Local,
        }
    }

    /// The principal of an unauthenticated HTTP request in `none` mode: subject `anonymous`, all
    /// scopes (that mode is loopback-only, i.e. the local user).
    pub fn anonymous() -> Self {
        Self {
            subject: "anonymous".to_owned(),
            scopes: BTreeSet::from([WILDCARD_SCOPE.to_owned()]),
            source: PrincipalSource::Anonymous,
        }
    }

    /// Whether the principal was granted `scope` (or all scopes).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(WILDCARD_SCOPE) || self.scopes.contains(scope)
    }

    /// The scopes of `required` this principal lacks.
    pub fn missing_scopes<'a>(&self, required: &'a [String]) -> Vec<&'a str> {
        required
            .iter()
            .filter(|s| !self.has_scope(s))
            .map(String::as_str)
            .collect()
    }
}

/// A static bearer token from the configuration, stored as a hash.
///
/// In TOML:
///
/// ```toml
/// [[auth.tokens]]
/// sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
/// principal = "ci-bot"
/// scopes = ["read"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct StaticToken {
    /// Hex SHA-256 of the token, as printed by [`hash_token`].
    pub sha256: String,
    /// The subject of requests presenting this token.
    pub principal: String,
    /// Scopes granted to the token; [`WILDCARD_SCOPE`] grants all.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl StaticToken {
    /// Checks that `sha256` is a 64-digit hex string. Run it when loading the configuration:
    /// entries that fail it can never match and are skipped by [`InboundAuth`].
    pub fn validate(&self) -> Result<(), InboundAuthError> {
        self.digest().map(drop)
    }

    fn digest(&self) -> Result<[u8; 32], InboundAuthError> {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(self.sha256.trim(), &mut digest).map_err(|_| {
            InboundAuthError::InvalidTokenHash {
                principal: self.principal.clone(),
            }
        })?;
        Ok(digest)
    }
}

/// Hex-encoded SHA-256 of `token`: the value to put into [`StaticToken::sha256`].
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Settings of the OAuth 2.1 resource-server mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthResourceServer {
    /// The authorization server's issuer identifier; tokens' `iss` must equal it exactly.
    pub issuer: String,
    /// Our canonical MCP URL; tokens' `aud` must contain it (RFC 8707).
    pub audience: String,
    /// Where the issuer publishes its keys. `None`: discover it from the issuer's
    /// `/.well-known/oauth-authorization-server` metadata, then `openid-configuration`.
    pub jwks_uri: Option<Url>,
    /// Clock skew tolerated for `exp` and `nbf`.
    pub leeway: Duration,
}

impl OAuthResourceServer {
    /// Settings with JWKS discovery and a 60 s leeway.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_uri: None,
            leeway: Duration::from_secs(60),
        }
    }
}

/// How inbound HTTP requests are authenticated.
#[derive(Debug, Clone)]
pub enum InboundMode {
    /// No authentication; loopback binds only.
    None,
    /// Static bearer tokens.
    StaticTokens(Vec<StaticToken>),
    /// JWT access tokens from an OAuth authorization server.
    OAuth(OAuthResourceServer),
}

impl InboundMode {
    /// `none`, `static_tokens` or `oauth`, for `doctor` and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::StaticTokens(_) => "static_tokens",
            Self::OAuth(_) => "oauth",
        }
    }
}

/// What we publish as RFC 9728 protected-resource metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceMetadata {
    /// Canonical URL of the MCP endpoint, e.g. `https://mcp.example.com/mcp` (no trailing slash).
    pub resource: String,
    /// Authorization servers' issuer identifiers. Empty in OAuth mode means `[issuer]`.
    pub authorization_servers: Vec<String>,
    /// Scopes clients may request. Keep it minimal; never `offline_access`.
    pub scopes_supported: Vec<String>,
    /// Human-readable name of the resource.
    pub resource_name: Option<String>,
}

/// Why a request was not let through. Turn it into a response with [`InboundAuth::reject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No bearer token was presented (401).
    Missing,
    /// The token is not valid; the text says why and is safe to show the client (401).
    Invalid(String),
    /// The token is valid but lacks scopes; carries all scopes the request needs (403).
    InsufficientScope(Vec<String>),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no bearer token presented"),
            Self::Invalid(reason) => write!(f, "invalid token: {reason}"),
            Self::InsufficientScope(scopes) => {
                write!(f, "insufficient scope, requires: {}", scopes.join(" "))
            }
        }
    }
}

impl std::error::Error for Rejection {}

/// Configuration errors of the inbound side.
#[derive(Debug, thiserror::Error)]
pub enum InboundAuthError {
    /// `--auth none` on an address other people can reach.
    #[error(
        "refusing to serve without authentication on {addr}: that address is reachable from other \
         machines. Use `--auth tokens --auth-tokens-file FILE` or `--auth oauth --oauth-issuer URL`, \
         or listen on 127.0.0.1"
    )]
    UnauthenticatedPublicBind {
        /// The address we were asked to bind.
        addr: SocketAddr,
    },
    /// A configured static token hash is not 64 hex digits.
    #[error(
        "the sha256 of the static token for principal {principal:?} is not a 64-digit hex string; \
         create it with `hash-token`"
    )]
    InvalidTokenHash {
        /// The principal of the broken entry.
        principal: String,
    },
}

/// Inbound authentication for the HTTP transport. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InboundAuth {
    inner: Arc<InboundInner>,
}

#[derive(Debug)]
struct InboundInner {
    mode: Mode,
    metadata: ResourceMetadata,
    required_scopes: Vec<String>,
}

#[derive(Debug)]
enum Mode {
    None,
    StaticTokens(Vec<HashedToken>),
    OAuth(Box<JwtValidator>),
}

#[derive(Debug)]
struct HashedToken {
    digest: [u8; 32],
    principal: String,
    scopes: BTreeSet<String>,
}

impl InboundAuth {
    /// Sets up inbound authentication.
    ///
    /// `required_scopes` are needed by every request (empty: any valid token will do). `http`
    /// fetches the issuer's metadata and JWKS in OAuth mode. Static tokens whose hash is malformed
    /// are skipped with a warning; check them earlier with [`StaticToken::validate`].
    pub fn new(
        mode: InboundMode,
        mut metadata: ResourceMetadata,
        required_scopes: Vec<String>,
        http: reqwest::Client,
    ) -> Self {
        metadata.resource = metadata.resource.trim_end_matches('/').to_owned();
        let mode = match mode {
            InboundMode::None => Mode::None,
            InboundMode::StaticTokens(tokens) => Mode::StaticTokens(
                tokens
                    .iter()
                    .filter_map(|token| match token.digest() {
                        Ok(digest) => Some(HashedToken {
                            digest,
                            principal: token.principal.clone(),
                            scopes: token.scopes.iter().cloned().collect(),
                        }),
                        Err(error) => {
                            tracing::warn!(%error, "ignoring static token");
                            None
                        }
                    })
                    .collect(),
            ),
            InboundMode::OAuth(server) => {
                if metadata.authorization_servers.is_empty() {
                    metadata.authorization_servers = vec![server.issuer.clone()];
                }
                Mode::OAuth(Box::new(JwtValidator::new(server, http)))
            }
        };
        Self {
            inner: Arc::new(InboundInner {
                mode,
                metadata,
                required_scopes,
            }),
        }
    }

    /// The published metadata (with defaults applied).
    pub fn metadata(&self) -> &ResourceMetadata {
        &self.inner.metadata
    }

    /// Scopes every request needs.
    pub fn required_scopes(&self) -> &[String] {
        &self.inner.required_scopes
    }

    /// `none`, `static_tokens` or `oauth`.
    pub fn mode_kind(&self) -> &'static str {
        match self.inner.mode {
            Mode::None => "none",
            Mode::StaticTokens(_) => "static_tokens",
            Mode::OAuth(_) => "oauth",
        }
    }

    /// Refuses mode `none` on a non-loopback address.
    pub fn check_bind(&self, addr: SocketAddr) -> Result<(), InboundAuthError> {
        let loopback = addr.ip().to_canonical().is_loopback();
        if matches!(self.inner.mode, Mode::None) && !loopback {
            return Err(InboundAuthError::UnauthenticatedPublicBind { addr });
        }
        Ok(())
    }

    /// Authenticates one request from its headers and checks the required scopes.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, Rejection> {
        let principal = match &self.inner.mode {
            Mode::None => return Ok(Principal::anonymous()),
            Mode::StaticTokens(tokens) => {
                let token = bearer_token(headers)?;
                match_static_token(tokens, token)?
            }
            Mode::OAuth(validator) => {
                let token = bearer_token(headers)?;
                validator.validate(token).await?
            }
        };
        let required = &self.inner.required_scopes;
        if principal.missing_scopes(required).is_empty() {
            Ok(principal)
        } else {
            Err(Rejection::InsufficientScope(required.clone()))
        }
    }

    /// The protected-resource metadata URL for the MCP endpoint at `mcp_path`:
    /// `https://host/.well-known/oauth-protected-resource/<mcp path>` (RFC 9728 §3.1).
    pub fn metadata_url(&self, mcp_path: &str) -> String {
        format!(
            "{}{}",
            self.origin(),
            layer::well_known_path(mcp_path.trim_matches('/'))
        )
    }

    /// `scheme://host[:port]` of the canonical resource URL.
    fn origin(&self) -> String {
        let resource = &self.inner.metadata.resource;
        match Url::parse(resource) {
            Ok(url) => url.origin().ascii_serialization(),
            // Not a URL: assume it is an origin followed by an optional path.
            Err(_) => {
                let after_scheme = resource.find("://").map_or(0, |i| i + 3);
                match resource[after_scheme..].find('/') {
                    Some(i) => resource[..after_scheme + i].to_owned(),
                    None => resource.clone(),
                }
            }
        }
    }
}

/// Extracts the token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Result<&str, Rejection> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Rejection::Missing);
    };
    if values.next().is_some() {
        return Err(Rejection::Invalid(
            "more than one Authorization header".to_owned(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| Rejection::Invalid("malformed Authorization header".to_owned()))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Rejection::Invalid(
            "the Authorization header must use the Bearer scheme".to_owned(),
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Rejection::Invalid("empty bearer token".to_owned()));
    }
    Ok(token)
}

fn match_static_token(tokens: &[HashedToken], token: &str) -> Result<Principal, Rejection> {
    let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    // Look at every entry, so the time taken does not reveal which one matched.
    let mut found = None;
    for entry in tokens {
        if constant_time_eq(&presented, &entry.digest) && found.is_none() {
            found = Some(entry);
        }
    }
    let entry = found.ok_or_else(|| Rejection::Invalid("unknown token".to_owned()))?;
    Ok(Principal {
        subject: entry.principal.clone(),
        scopes: entry.scopes.clone(),
        source: PrincipalSource::StaticToken,
    })
}

/// Compares two digests without an early exit.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests;
