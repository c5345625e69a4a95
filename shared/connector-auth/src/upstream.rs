//! Credentials we present to the SaaS upstream (Jira, GitHub, ServiceNow, HubSpot, Zapier, ...).
//!
//! [`UpstreamCredential`] says *what* we hold; [`UpstreamAuth`] is a
//! [`reqwest_middleware::Middleware`] that turns it into a header on every outgoing request.
//!
//! Rules the middleware enforces:
//!
//! * Any `Authorization` header already on the request is **removed** first. A token that an MCP
//!   client sent to us must never travel to the upstream (MCP forbids token passthrough).
//! * OAuth access tokens are fetched from the token endpoint, cached until shortly before they
//!   expire and refreshed *single-flight*: when many requests find the cache empty at once, only
//!   one of them talks to the token endpoint and the others wait for its answer.
//! * When the upstream answers `401` to a request that carried a cached OAuth token (it may have
//!   been revoked or rotated early), the token is dropped, a new one is fetched and the request is
//!   sent once more, provided its body can be cloned.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{Extensions, StatusCode};
use reqwest_middleware::{Middleware, Next};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

/// Printed instead of a secret by every `Debug` implementation in this crate.
pub(crate) const REDACTED: &str = "[redacted]";

/// Access tokens are refreshed this long before the expiry the token endpoint announced, so a
/// token never expires while a request is in flight.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Lifetime assumed when the token endpoint does not send `expires_in`.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Upper bound for one call to the token endpoint.
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A credential for the upstream API.
///
/// Every secret is a [`SecretString`]; the `Debug` output prints `[redacted]` in their place so a
/// credential can be logged or shown by `doctor` safely.
#[derive(Clone)]
pub enum UpstreamCredential {
    /// Send no credential (public APIs, mocks).
    None,
    /// `Authorization: Bearer <token>`: personal access tokens, HubSpot private-app tokens, Jira
    /// Data Center PATs.
    Bearer(SecretString),
    /// `Authorization: Basic base64(username:password)`: Jira Cloud e-mail + API token,
    /// ServiceNow basic auth.
    Basic {
        /// User name or e-mail address.
        username: String,
        /// Password or API token.
        password: SecretString,
    },
    /// A vendor-specific header carrying a static key, e.g. `X-API-Key: <value>`.
    ApiKey {
        /// The header to set.
        header: HeaderName,
        /// The key.
        value: SecretString,
    },
    /// OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
    OAuthClientCredentials {
        /// The token endpoint, e.g. `https://acme.service-now.com/oauth_token.do`.
        token_url: Url,
        /// The OAuth client id.
        client_id: String,
        /// The OAuth client secret.
        client_secret: SecretString,
        /// Scopes to request; sent as a space-separated `scope` parameter when not empty.
        scopes: Vec<String>,
    },
    /// OAuth 2.0 refresh-token grant (RFC 6749 §6) for a refresh token obtained out of band.
    OAuthRefreshToken {
        /// The token endpoint, e.g. `https://api.hubapi.com/oauth/v1/token`.
        token_url: Url,
        /// The OAuth client id.
        client_id: String,
        /// The client secret, absent for public clients.
        client_secret: Option<SecretString>,
        /// The refresh token. If the token endpoint rotates it, [`UpstreamAuth`] keeps the new one.
        refresh_token: SecretString,
    },
}

impl UpstreamCredential {
    /// A short, stable name of the credential kind for `doctor` output and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Bearer(_) => "bearer",
            Self::Basic { .. } => "basic",
            Self::ApiKey { .. } => "api_key",
            Self::OAuthClientCredentials { .. } => "oauth_client_credentials",
            Self::OAuthRefreshToken { .. } => "oauth_refresh_token",
        }
    }

    fn is_oauth(&self) -> bool {
        matches!(
            self,
            Self::OAuthClientCredentials { .. } | Self::OAuthRefreshToken { .. }
        )
    }
}

impl fmt::Debug for UpstreamCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&REDACTED).finish(),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &REDACTED)
                .finish(),
            Self::ApiKey { header, .. } => f
                .debug_struct("ApiKey")
                .field("header", header)
                .field("value", &REDACTED)
                .finish(),
            Self::OAuthClientCredentials {
                token_url,
                client_id,
                scopes,
                ..
            } => f
                .debug_struct("OAuthClientCredentials")
                .field("token_url", &token_url.as_str())
                .field("client_id", client_id)
                .field("client_secret", &REDACTED)
                .field("scopes", scopes)
                .finish(),
            Self::OAuthRefreshToken {
                token_url,
                client_id,
                client_secret,
                ..
            } => f
                .debug_struct("OAuthRefreshToken")
                .field("token_url", &token_url.as_str())
                .field("client_id", client_id)
                .field("client_secret", &client_secret.as_ref().map(|_| REDACTED))
                .field("refresh_token", &REDACTED)
                .finish(),
        }
    }
}

/// How the OAuth client authenticates itself at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` as form fields (`client_secret_post`). ServiceNow's
    /// `/oauth_token.do` and HubSpot's `/oauth/v1/token` expect this. The default.
    #[default]
    ClientSecretPost,
    /// HTTP basic authentication with the client id and secret (`client_secret_basic`).
    ClientSecretBasic,
}

/// Errors of [`UpstreamAuth`]. Messages name the token endpoint's host but never a secret.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamAuthError {
    /// The token endpoint could not be reached or did not answer in time.
    #[error("could not reach the OAuth token endpoint at {host}: {source}")]
    TokenRequest {
        /// Host of the token URL.
        host: String,
        /// The transport error (its URL stripped).
        #[source]
        source: reqwest::Error,
    },
    /// The token endpoint answered with an error.
    #[error(
        "the OAuth token endpoint at {host} refused the token request (HTTP {status}): {error}{}",
        description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    TokenRejected {
        /// Host of the token URL.
        host: String,
        /// HTTP status of the answer.
        status: u16,
        /// The OAuth `error` code, or a summary when the body was not an OAuth error.
        error: String,
        /// The OAuth `error_description`, if sent.
        description: Option<String>,
    },
    /// The token endpoint answered 2xx with something that is not a usable token response.
    #[error("the OAuth token endpoint at {host} sent an unusable token response: {reason}")]
    InvalidTokenResponse {
        /// Host of the token URL.
        host: String,
        /// What was wrong.
        reason: String,
    },
    /// The configured secret cannot be put into an HTTP header (e.g. it contains a newline).
    #[error("the {kind} credential contains characters that are not allowed in an HTTP header")]
    InvalidHeaderValue {
        /// [`UpstreamCredential::kind`] of the offending credential.
        kind: &'static str,
    },
}

/// reqwest middleware that authenticates every request to the upstream.
///
/// Cheap to clone; clones share the token cache.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use connector_auth::upstream::{UpstreamAuth, UpstreamCredential};
///
/// let credential = UpstreamCredential::Bearer("ghp_example".into());
/// let auth = UpstreamAuth::new(credential, reqwest::Client::new());
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(auth)
///     .build();
/// let response = client.get("https://api.github.com/user").send().await?;
/// # drop(response);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct UpstreamAuth {
    inner: Arc<Inner>,
}

struct Inner {
    credential: UpstreamCredential,
    http: reqwest::Client,
    client_auth: ClientAuthMethod,
    /// The current access token (OAuth kinds only).
    cached: parking_lot::RwLock<Option<CachedToken>>,
    /// Held while talking to the token endpoint: this is what makes refreshes single-flight.
    refresh_lock: tokio::sync::Mutex<()>,
    /// The refresh token in use; replaced when the token endpoint rotates it.
    refresh_token: parking_lot::RwLock<Option<SecretString>>,
    /// Incremented for every token fetched, so a `401` only invalidates the token it was sent with.
    generation: AtomicU64,
}

#[derive(Clone)]
struct CachedToken {
    access_token: SecretString,
    refresh_at: Instant,
    generation: u64,
}

/// An access token handed to one request.
struct IssuedToken {
    access_token: SecretString,
    generation: u64,
    /// True when this very call fetched the token, false when it came from the cache.
    fetched_now: bool,
}

impl fmt::Debug for UpstreamAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamAuth")
            .field("credential", &self.inner.credential)
            .field("client_auth", &self.inner.client_auth)
            .field("token_cached", &self.inner.cached.read().is_some())
            .finish_non_exhaustive()
    }
}

impl UpstreamAuth {
    /// Wraps `credential`. `token_http_client` is used only to call OAuth token endpoints; give
    /// it the same proxy/TLS settings as the upstream client, but **not** this middleware.
    pub fn new(credential: UpstreamCredential, token_http_client: reqwest::Client) -> Self {
        Self::build(credential, token_http_client, ClientAuthMethod::default())
    }

    /// Chooses how the OAuth client authenticates at the token endpoint (default:
    /// [`ClientAuthMethod::ClientSecretPost`]). Starts with an empty token cache, so call it
    /// while setting up, before the middleware is installed.
    pub fn with_client_auth(self, method: ClientAuthMethod) -> Self {
        Self::build(
            self.inner.credential.clone(),
            self.inner.http.clone(),
            method,
        )
    }

    fn build(
        credential: UpstreamCredential,
        http: reqwest::Client,
        client_auth: ClientAuthMethod,
    ) -> Self {
        let refresh_token = match &credential {
            UpstreamCredential::OAuthRefreshToken { refresh_token, .. } => {
                Some(refresh_token.clone())
            }
            _ => None,
        };
        Self {
            inner: Arc::new(Inner {
                credential,
                http,
                client_auth,
                cached: parking_lot::RwLock::new(None),
                refresh_lock: tokio::sync::Mutex::new(()),
                refresh_token: parking_lot::RwLock::new(refresh_token),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// The credential this middleware applies.
    pub fn credential(&self) -> &UpstreamCredential {
        &self.inner.credential
    }

    /// The refresh token currently in use, which differs from the configured one after the token
    /// endpoint rotated it. Persist it if the process should survive a restart without re-consent.
    pub fn current_refresh_token(&self) -> Option<SecretString> {
        self.inner.refresh_token.read().clone()
    }

    /// Checks that the credential is usable, for `doctor`: OAuth kinds fetch a fresh access token
    /// (bypassing the cache); static kinds only check that the secret fits into a header.
    pub async fn token_check(&self) -> Result<(), UpstreamAuthError> {
        if self.inner.credential.is_oauth() {
            let _guard = self.inner.refresh_lock.lock().await;
            self.inner.fetch_and_store().await.map(drop)
        } else {
            self.inner.static_header().map(drop)
        }
    }
}

impl Inner {
    /// The header a static credential produces, `None` for [`UpstreamCredential::None`].
    fn static_header(&self) -> Result<Option<(HeaderName, HeaderValue)>, UpstreamAuthError> {
        let kind = self.credential.kind();
        let header = match &self.credential {
            UpstreamCredential::None
            | UpstreamCredential::OAuthClientCredentials { .. }
            | UpstreamCredential::OAuthRefreshToken { .. } => return Ok(None),
            UpstreamCredential::Bearer(token) => (AUTHORIZATION, bearer_value(token, kind)?),
            UpstreamCredential::Basic { username, password } => (
                AUTHORIZATION,
                basic_value(username, password.expose_secret(), kind)?,
            ),
            UpstreamCredential::ApiKey { header, value } => (
                header.clone(),
                sensitive_value(value.expose_secret(), kind)?,
            ),
        };
        Ok(Some(header))
    }

    /// Returns a valid access token, fetching one if the cache is empty or stale.
    async fn access_token(&self) -> Result<IssuedToken, UpstreamAuthError> {
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let _guard = self.refresh_lock.lock().await;
        // Whoever held the lock before us may have fetched a token already.
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let token = self.fetch_and_store().await?;
        Ok(IssuedToken {
            access_token: token.access_token,
            generation: token.generation,
            fetched_now: true,
        })
    }

    fn fresh_cached(&self) -> Option<IssuedToken> {
        let cached = self.cached.read();
        cached
            .as_ref()
            .filter(|token| Instant::now() < token.refresh_at)
            .map(|token| IssuedToken {
                access_token: token.access_token.clone(),
                generation: token.generation,
                fetched_now: false,
            })
    }

    /// Drops the cached token if it is still the one with `generation`.
    fn invalidate(&self, generation: u64) {
        let mut cached = self.cached.write();
        if cached.as_ref().is_some_and(|t| t.generation == generation) {
            *cached = None;
        }
    }

    /// Calls the token endpoint and caches the result. The caller must hold `refresh_lock`.
    async fn fetch_and_store(&self) -> Result<CachedToken, UpstreamAuthError> {
        let response = self.request_token().await?;
        let lifetime = response
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        // Refresh a minute early, but never spend more than half a short lifetime as margin.
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        if let Some(rotated) = response.refresh_token {
            *self.refresh_token.write() = Some(rotated);
        }
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let token = CachedToken {
            access_token: response.access_token,
            refresh_at: Instant::now() + lifetime - margin,
            generation,
        };
        *self.cached.write() = Some(token.clone());
        tracing::debug!(
            kind = self.credential.kind(),
            expires_in_secs = lifetime.as_secs(),
            "fetched an upstream OAuth access token"
        );
        Ok(token)
    }

    async fn request_token(&self) -> Result<TokenResponse, UpstreamAuthError> {
        let (token_url, client_id, client_secret, mut form) = match &self.credential {
            UpstreamCredential::OAuthClientCredentials {
                token_url,
                client_id,
                client_secret,
                scopes,
            } => {
                let mut form = vec![("grant_type", "client_credentials".to_owned())];
                if !scopes.is_empty() {
                    form.push(("scope", scopes.join(" ")));
                }
                (token_url, client_id, Some(client_secret), form)
            }
            UpstreamCredential::OAuthRefreshToken {
                token_url,
                client_id,
                client_secret,
                ..
            } => {
                let refresh_token = self
                    .refresh_token
                    .read()
                    .as_ref()
                    .map(|t| t.expose_secret().to_owned())
                    .unwrap_or_default();
                let form = vec![
                    ("grant_type", "refresh_token".to_owned()),
                    ("refresh_token", refresh_token),
                ];
                (token_url, client_id, client_secret.as_ref(), form)
            }
            _ => unreachable!("request_token is only called for OAuth credentials"),
        };
        let host = token_url.host_str().unwrap_or("<no host>").to_owned();

        let mut request = self
            .http
            .post(token_url.clone())
            .header(http::header::ACCEPT, "application/json")
            .timeout(TOKEN_REQUEST_TIMEOUT);
        match self.client_auth {
            ClientAuthMethod::ClientSecretPost => {
                form.push(("client_id", client_id.clone()));
                if let Some(secret) = client_secret {
                    form.push(("client_secret", secret.expose_secret().to_owned()));
                }
            }
            ClientAuthMethod::ClientSecretBasic => {
                // RFC 6749 §2.3.1: both parts are form-urlencoded before the basic encoding.
                let user = form_urlencode(client_id);
                let password = client_secret
                    .map(|s| form_urlencode(s.expose_secret()))
                    .unwrap_or_default();
                let value = basic_value(&user, &password, self.credential.kind())?;
                request = request.header(AUTHORIZATION, value);
                if client_secret.is_none() {
                    form.push(("client_id", client_id.clone()));
                }
            }
        }

        // Encoded by hand: reqwest's `form` helper sits behind a feature this workspace leaves off.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let response = request
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|source| UpstreamAuthError::TokenRequest {
                host: host.clone(),
                source: source.without_url(),
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|source| UpstreamAuthError::TokenRequest {
                host: host.clone(),
                source: source.without_url(),
            })?;

        if !status.is_success() {
            let (error, description) = match serde_json::from_slice::<OAuthErrorBody>(&body) {
                Ok(body) => (body.error, body.error_description),
                Err(_) => (
                    status
                        .canonical_reason()
                        .unwrap_or("unexpected status")
                        .to_owned(),
                    None,
                ),
            };
            return Err(UpstreamAuthError::TokenRejected {
                host,
                status: status.as_u16(),
                error,
                description,
            });
        }

        let raw: RawTokenResponse = serde_json::from_slice(&body).map_err(|e| {
            UpstreamAuthError::InvalidTokenResponse {
                host: host.clone(),
                // serde_json errors name positions and types, never the input.
                reason: format!("not a JSON token response ({e})"),
            }
        })?;
        let access_token = raw.access_token.filter(|t| !t.is_empty()).ok_or_else(|| {
            UpstreamAuthError::InvalidTokenResponse {
                host: host.clone(),
                reason: "no access_token in the response".to_owned(),
            }
        })?;
        let expires_in = match raw.expires_in {
            None | Some(serde_json::Value::Null) => None,
            // Some servers send the number as a string.
            Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(serde_json::Value::Number(n)) => {
                n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
            }
            Some(_) => None,
        };
        Ok(TokenResponse {
            access_token: access_token.into(),
            expires_in,
            refresh_token: raw
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
        })
    }
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    error_description: Option<String>,
}

struct TokenResponse {
    access_token: SecretString,
    expires_in: Option<u64>,
    refresh_token: Option<SecretString>,
}

fn sensitive_value(value: &str, kind: &'static str) -> Result<HeaderValue, UpstreamAuthError> {
    let mut value =
        HeaderValue::from_str(value).map_err(|_| UpstreamAuthError::InvalidHeaderValue { kind })?;
    value.set_sensitive(true);
    Ok(value)
}

fn bearer_value(
    token: &SecretString,
    kind: &'static str,
) -> Result<HeaderValue, UpstreamAuthError> {
    sensitive_value(&format!("Bearer {}", token.expose_secret()), kind)
}

fn basic_value(
    username: &str,
    password: &str,
    kind: &'static str,
) -> Result<HeaderValue, UpstreamAuthError> {
    let encoded = BASE64.encode(format!("{username}:{password}"));
    sensitive_value(&format!("Basic {encoded}"), kind)
}

fn form_urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[async_trait::async_trait]
impl Middleware for UpstreamAuth {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        // Never forward whatever Authorization header the caller put there.
        req.headers_mut().remove(AUTHORIZATION);

        if !self.inner.credential.is_oauth() {
            if let Some((name, value)) = self
                .inner
                .static_header()
                .map_err(reqwest_middleware::Error::middleware)?
            {
                req.headers_mut().insert(name, value);
            }
            return next.run(req, extensions).await;
        }

        let token = self
            .inner
            .access_token()
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let retry = if token.fetched_now {
            None
        } else {
            req.try_clone()
        };
        let kind = self.inner.credential.kind();
        req.headers_mut().insert(
            AUTHORIZATION,
            bearer_value(&token.access_token, kind)
                .map_err(reqwest_middleware::Error::middleware)?,
        );
        let response = next.clone().run(req, extensions).await?;

        let Some(mut retry) = retry else {
            return Ok(response);
        };
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        tracing::info!(
            kind,
            "upstream rejected a cached OAuth access token; refreshing it and retrying once"
        );
        drop(response);
        self.inner.invalidate(token.generation);
        let fresh = self
            .inner
            .access_token()
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        retry.headers_mut().insert(
            AUTHORIZATION,
            bearer_value(&fresh.access_token, kind)
                .map_err(reqwest_middleware::Error::middleware)?,
        );
        next.run(retry, extensions).await
    }
}

#[cfg(test)]
mod tests;
