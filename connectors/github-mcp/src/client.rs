//! The upstream: GitHub's REST API (github.com or GHES `https://HOST/api/v3`).
//! One async function per call; every failure is an [`UpstreamError`] a
//! user can act on.
//!
//! All calls go through [octocrab](https://docs.rs/octocrab) running on the
//! kit's plain reqwest client (timeouts, TLS, user agent) with the kit's
//! retry and rate-limit tower layers in its service stack, outermost first:
//!
//! `BaseUriLayer` (the API root, GHES prefix kept) → `connector_retry::RetryLayer`
//! → `connector_ratelimit::RateLimitLayer` → a replayable request body →
//! octocrab's `ReqwestConnector`.
//!
//! octocrab adds the credential: a token as `Authorization: Bearer`, or a
//! GitHub App installation token it mints (`POST
//! /app/installations/{id}/access_tokens`, signed with the App's JWT) and
//! caches. We renew that token [`REFRESH_MARGIN`] before it expires (octocrab
//! alone would wait until 30 s before), so a request and its retries never
//! carry a token that runs out on the way.
//!
//! Rate-limit scopes: `github:<host>:read`, `github:<host>:search`,
//! `github:<host>:write` (paced as content-creating writes, one a second)
//! and `github:<host>:app` (token exchanges). Write functions take
//! `&Confirmed`, so they cannot be called before a human approved the write.
//! Lists page with GitHub's `Link` header; the `next` page number becomes
//! the tools' `next_cursor`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use bytes::Bytes;
use connector_kit::confirm::Confirmed;
use connector_kit::ratelimit::RateLimitLayer;
use connector_kit::retry::RetryReport;
use connector_kit::text::sanitize;
use connector_kit::{Kit, Scope, UpstreamError};
use http::header::{ACCEPT, HeaderMap};
use http::{Method, Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use octocrab::auth::AppAuth;
use octocrab::models::{AppId, InstallationId};
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::reqwest_connector::ReqwestConnector;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower::util::MapRequestLayer;
use url::Url;

use crate::config::{Auth, Options};

const SERVICE: &str = "GitHub";

/// GitHub's JSON media type, the default `Accept`.
const JSON: &str = "application/vnd.github+json";
/// The search media type that adds `text_matches` (the matched fragments) to each hit.
pub const TEXT_MATCH: &str = "application/vnd.github.text-match+json";

/// How long before its expiry an installation token is renewed. GitHub's
/// installation tokens live one hour.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The kind of call, for rate-limit scopes.
#[derive(Debug, Clone, Copy)]
pub enum Class {
    /// Plain reads (the `core` budget).
    Read,
    /// `/search/*` (its own, smaller budget).
    Search,
    /// Writes.
    Write,
}

/// One page of a list, with the next page number from the `Link` header.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: T,
    /// The `page` of `rel="next"`, if there is one.
    pub next: Option<u32>,
}

/// Which credential the client presents, for hints and `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A token from `GITHUB_TOKEN`.
    Token,
    /// A GitHub App installation.
    App {
        /// The App id.
        app_id: u64,
        /// The installation id.
        installation_id: u64,
    },
}

/// The App side of an installation: the App-authenticated octocrab (its JWT
/// mints installation tokens) and a lock so concurrent calls renew once.
struct Installation {
    app: Octocrab,
    app_id: u64,
    id: u64,
    renewing: tokio::sync::Mutex<()>,
}

/// GitHub over octocrab and the kit's layers.
#[derive(Clone)]
pub struct GitHubClient {
    octo: Arc<Octocrab>,
    installation: Option<Arc<Installation>>,
    base: Url,
    web: String,
    host: String,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubClient")
            .field("base", &self.base.as_str())
            .field("credential", &self.credential())
            .finish_non_exhaustive()
    }
}

/// Lets the retry layer replay a request: every attempt gets its own copy
/// of the (buffered) body. octocrab's `OctoBody::clone` shares one body
/// stream, which the first attempt would drain.
fn replayable(request: Request<OctoBody>) -> Request<OctoBody> {
    request.map(|body| body.try_clone().unwrap_or(body))
}

impl GitHubClient {
    /// Builds the client from the options (no call is made). Must run inside
    /// the tokio runtime that will drive it (octocrab spawns its buffer task).
    pub fn new(options: &Options, kit: &Kit) -> anyhow::Result<Self> {
        let base = options.api_url()?;
        let auth = options.auth()?;
        let host = base.host_str().unwrap_or("github").to_owned();
        let parts = kit.tower_parts();
        let app_scope = format!("github:{host}:app");
        let rate_limit = RateLimitLayer::new(
            parts
                .limiter
                .with_content_pacing(&scope_name(&host, Class::Write)),
        )
        .with_scope_fn(move |_, _| app_scope.clone());
        let base_uri: http::Uri = base
            .as_str()
            .parse()
            .context("--api-url / GITHUB_API_URL is not a valid URI")?;
        let builder = OctocrabBuilder::new_empty()
            .with_service(ReqwestConnector::new(parts.http))
            .with_layer(&MapRequestLayer::new(
                replayable as fn(Request<OctoBody>) -> Request<OctoBody>,
            ))
            .with_layer(&rate_limit)
            .with_layer(&parts.retry)
            .with_layer(&BaseUriLayer::new(base_uri));
        let (octo, installation) = match auth {
            Auth::Token(token) => {
                let octo = builder.with_auth(AuthState::AccessToken { token }).build();
                (octo.unwrap_or_else(|never| match never {}), None)
            }
            Auth::App(app) => {
                let app_crab = builder
                    .with_auth(AuthState::App(AppAuth {
                        app_id: AppId(app.app_id),
                        key: app.key,
                    }))
                    .build()
                    .unwrap_or_else(|never| match never {});
                let octo = app_crab
                    .installation(InstallationId(app.installation_id))
                    .context("GitHub App installation")?;
                let installation = Installation {
                    app: app_crab,
                    app_id: app.app_id,
                    id: app.installation_id,
                    renewing: tokio::sync::Mutex::new(()),
                };
                (octo, Some(Arc::new(installation)))
            }
        };
        tracing::info!(api = %base, "GitHub configured");
        Ok(GitHubClient {
            octo: Arc::new(octo),
            installation,
            web: options.web_url(),
            base,
            host,
        })
    }

    /// The web root (`https://github.com` or the GHES host).
    pub fn web(&self) -> &str {
        &self.web
    }

    /// Which credential this client presents.
    pub fn credential(&self) -> Credential {
        match &self.installation {
            None => Credential::Token,
            Some(i) => Credential::App {
                app_id: i.app_id,
                installation_id: i.id,
            },
        }
    }

    /// `GET path` decoded as JSON (an empty answer is `null`).
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        class: Class,
    ) -> Result<T, UpstreamError> {
        self.get_with_headers(path, query, class)
            .await
            .map(|(v, _)| v)
    }

    /// `GET path` decoded as JSON, with the answer's headers (`x-oauth-scopes`).
    pub async fn get_with_headers<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        class: Class,
    ) -> Result<(T, HeaderMap), UpstreamError> {
        let request = self.request(Method::GET, path, query, class, JSON, None)?;
        let (headers, bytes) = self.send(request).await?;
        Ok((decode(&bytes)?, headers))
    }

    /// `GET path` with `per_page` / `page`, returning the next page from `Link`.
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        per_page: u32,
        page: u32,
        class: Class,
    ) -> Result<Page<T>, UpstreamError> {
        self.get_page_as(path, query, per_page, page, class, JSON)
            .await
    }

    /// [`get_page`](Self::get_page) asking for another media type, e.g.
    /// [`TEXT_MATCH`] for the matched fragments of a search.
    pub async fn get_page_as<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        per_page: u32,
        page: u32,
        class: Class,
        accept: &str,
    ) -> Result<Page<T>, UpstreamError> {
        let mut q = query.to_vec();
        q.push(("per_page", per_page.to_string()));
        q.push(("page", page.max(1).to_string()));
        let request = self.request(Method::GET, path, &q, class, accept, None)?;
        let (headers, bytes) = self.send(request).await?;
        Ok(Page {
            items: decode(&bytes)?,
            next: next_page(&headers),
        })
    }

    /// `GET path` as text (with `accept`), following redirects (job logs
    /// answer `302` to a signed download URL; the reqwest client follows it
    /// and drops the credential when the host changes).
    pub async fn get_text(&self, path: &str, accept: &str) -> Result<String, UpstreamError> {
        let request = self.request(Method::GET, path, &[], Class::Read, accept, None)?;
        let (_, bytes) = self.send(request).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A write (`POST` / `PATCH` / `PUT`) with a JSON body; only after
    /// confirmation. An empty answer (`204 No Content`) decodes as `null`.
    pub async fn write<T: DeserializeOwned>(
        &self,
        _confirmed: &Confirmed,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<T, UpstreamError> {
        let request = self.request(method, path, &[], Class::Write, JSON, Some(body))?;
        let (_, bytes) = self.send(request).await?;
        decode(&bytes)
    }

    /// Mints an installation token with the App's JWT, for `doctor`: GitHub's
    /// answer (`expires_at`, `permissions`, `repository_selection`) without the
    /// token itself. `None` when the credential is a token.
    pub async fn mint_report(&self) -> Option<Result<Value, UpstreamError>> {
        let installation = self.installation.as_ref()?;
        Some(self.mint(installation).await)
    }

    async fn mint(&self, installation: &Installation) -> Result<Value, UpstreamError> {
        let path = format!("/app/installations/{}/access_tokens", installation.id);
        let builder = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(ACCEPT, JSON)
            .extension(Scope(format!("github:{}:app", self.host)));
        let request = installation
            .app
            .build_request(builder, Some(&json!({})))
            .map_err(|_| unbuildable())?;
        let response = installation
            .app
            .execute(request)
            .await
            .map_err(|e| self.failed(e))?;
        let (_, bytes) = self.read(response).await?;
        let mut answer: Value = decode(&bytes)?;
        if let Some(map) = answer.as_object_mut() {
            map.remove("token");
        }
        Ok(answer)
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        class: Class,
        accept: &str,
        body: Option<&Value>,
    ) -> Result<Request<OctoBody>, UpstreamError> {
        let mut target = path.to_owned();
        if !query.is_empty() {
            target.push('?');
            target.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
                    .finish(),
            );
        }
        // A path relative to the API root: `BaseUriLayer` adds the root (and
        // the GHES `/api/v3`), and octocrab only authenticates requests to it.
        let builder = Request::builder()
            .method(method)
            .uri(target)
            .header(ACCEPT, accept)
            .extension(Scope(scope_name(&self.host, class)));
        self.octo
            .build_request(builder, body)
            .map_err(|_| unbuildable())
    }

    /// Sends; a non-2xx answer becomes an error with GitHub's message, the
    /// fields of a 422, and what to do about a 401/403 or a rate limit.
    async fn send(&self, request: Request<OctoBody>) -> Result<(HeaderMap, Bytes), UpstreamError> {
        if let Some(installation) = &self.installation {
            let _one = installation.renewing.lock().await;
            self.octo
                .installation_token_with_buffer(chrono_margin())
                .await
                .map_err(|e| self.failed(e))?;
        }
        let response = self
            .octo
            .execute(request)
            .await
            .map_err(|e| self.failed(e))?;
        self.read(response).await
    }

    /// Reads an answer: the body of a 2xx, or the explained error.
    async fn read(
        &self,
        response: Response<BoxBody<Bytes, octocrab::Error>>,
    ) -> Result<(HeaderMap, Bytes), UpstreamError> {
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map(|b| b.to_bytes());
        if parts.status.is_success() {
            let bytes = bytes.map_err(|_| cut_off())?;
            return Ok((parts.headers, bytes));
        }
        let text = bytes
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let err = UpstreamError::from_status(
            SERVICE,
            parts.status.as_u16(),
            &parts.headers,
            parts.extensions.get::<RetryReport>(),
            &text,
        );
        Err(explain_for(
            self.credential(),
            err,
            &text,
            &parts.headers,
            SystemTime::now(),
        ))
    }

    /// An octocrab failure: GitHub refusing the installation-token exchange
    /// (octocrab reports it as `Error::GitHub`), a JWT that could not be
    /// signed, or a transport failure from the layers below.
    fn failed(&self, error: octocrab::Error) -> UpstreamError {
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let body = json!({"message": source.message, "errors": source.errors}).to_string();
                let headers = source.headers.clone().unwrap_or_default();
                let err = UpstreamError::from_status(
                    SERVICE,
                    source.status_code.as_u16(),
                    &headers,
                    None,
                    &body,
                );
                let err = explain_for(self.credential(), err, &body, &headers, SystemTime::now());
                match (self.credential(), source.status_code.as_u16()) {
                    (Credential::App { installation_id, .. }, status @ (401 | 403 | 404 | 422)) => err
                        .with_hint(format!(
                            "GitHub refused to mint a token for App installation {installation_id} ({status}): check GITHUB_APP_ID and the private key (a key of another App, or a revoked one, answers 401) and GITHUB_APP_INSTALLATION_ID (the App must be installed there, else 404)."
                        )),
                    _ => err,
                }
            }
            octocrab::Error::JWT { .. } => UpstreamError::Transport {
                service: SERVICE,
                sent: false,
                detail: "the GitHub App JWT could not be signed with the configured private key"
                    .into(),
            },
            other => UpstreamError::from_error_chain(SERVICE, &other),
        }
    }
}

/// The rate-limit scope of a class of call on `host`.
fn scope_name(host: &str, class: Class) -> String {
    let class = match class {
        Class::Read => "read",
        Class::Search => "search",
        Class::Write => "write",
    };
    format!("github:{host}:{class}")
}

fn chrono_margin() -> chrono::Duration {
    chrono::Duration::from_std(REFRESH_MARGIN).expect("five minutes fit")
}

fn unbuildable() -> UpstreamError {
    UpstreamError::Transport {
        service: SERVICE,
        sent: false,
        detail: "the request could not be built".into(),
    }
}

fn cut_off() -> UpstreamError {
    UpstreamError::Transport {
        service: SERVICE,
        sent: true,
        detail: "the answer was cut off".into(),
    }
}

/// Decodes a 2xx answer; an empty one (`204 No Content`) is JSON `null`.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, UpstreamError> {
    let result = if bytes.trim_ascii().is_empty() {
        serde_json::from_value(Value::Null)
    } else {
        serde_json::from_slice(bytes)
    };
    result.map_err(|e| UpstreamError::Decode {
        service: SERVICE,
        detail: e.to_string(),
    })
}

/// Turns GitHub's error body and headers into an actionable error (for a
/// token credential; see [`explain_for`]).
pub fn explain(
    err: UpstreamError,
    body: &str,
    headers: &HeaderMap,
    now: SystemTime,
) -> UpstreamError {
    explain_for(Credential::Token, err, body, headers, now)
}

/// [`explain`] for the configured credential: the 401/403/404 hints name
/// `GITHUB_TOKEN`, or the App installation.
pub fn explain_for(
    credential: Credential,
    err: UpstreamError,
    body: &str,
    headers: &HeaderMap,
    now: SystemTime,
) -> UpstreamError {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = parsed
        .get("message")
        .and_then(Value::as_str)
        .map(sanitize)
        .unwrap_or_default();
    let fields = field_errors(&parsed);
    let status = err.status();
    let mut err = if message.is_empty() {
        err
    } else if fields.is_empty() {
        err.with_message(message.clone())
    } else {
        err.with_message(format!("{message}: {}", fields.join("; ")))
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let secondary = message
        .to_ascii_lowercase()
        .contains("secondary rate limit");
    let wait = header("retry-after")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .or_else(|| {
            let reset: u64 = header("x-ratelimit-reset")?.trim().parse().ok()?;
            let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
            Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
        });
    let when = wait
        .map(|d| format!("retry after {} s", d.as_secs().max(1)))
        .unwrap_or_else(|| "retry in a minute".into());
    let app = matches!(credential, Credential::App { .. });
    err = match status {
        Some(401) if app => err.with_hint(
            "GitHub refused the App's installation token even after minting a new one: check that the App is still installed (GITHUB_APP_INSTALLATION_ID) and that its private key is current.",
        ),
        Some(401) => err.with_hint(
            "The token in GITHUB_TOKEN was refused (revoked, expired or mistyped): create a new one and set GITHUB_TOKEN.",
        ),
        Some(403 | 429) if secondary => err.with_hint(format!(
            "GitHub's secondary rate limit (too many requests or writes in a short time): nothing was done; {when}."
        )),
        Some(403 | 429) if exhausted => err.with_hint(format!(
            "GitHub's hourly rate limit for this credential is used up: nothing was done; {when}."
        )),
        Some(403) if app => err.with_hint(
            "The GitHub App installation lacks access: the repository must be part of the installation and the App needs the permission (Contents, Issues, Pull requests or Actions: read or write); `github-mcp doctor` lists the tools its permissions cannot serve.",
        ),
        Some(403) => err.with_hint(
            "The token in GITHUB_TOKEN lacks access: a fine-grained token needs this repository and the permission (Contents, Issues, Pull requests or Actions: read or write); a classic token needs the `repo` scope (`public_repo` for public repositories only). `github-mcp doctor` lists the tools the token cannot serve.",
        ),
        Some(404) if app => err.with_hint(
            "GitHub also answers 404 for private repositories the App installation cannot see: check owner/repo and that the repository is part of the installation.",
        ),
        Some(404) => err.with_hint(
            "GitHub also answers 404 for private repositories the token cannot see: check owner/repo and that GITHUB_TOKEN has access.",
        ),
        _ => err,
    };
    err
}

/// A 422's `errors`: `field (code)` or the error's own message.
fn field_errors(body: &Value) -> Vec<String> {
    body.get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| match e {
                    Value::String(s) => sanitize(s),
                    e => {
                        let field = e.get("field").and_then(Value::as_str);
                        let code = e.get("code").and_then(Value::as_str);
                        let msg = e.get("message").and_then(Value::as_str);
                        match (field, code, msg) {
                            (_, _, Some(m)) => sanitize(m),
                            (Some(f), Some(c), None) => format!("field `{f}` is {c}"),
                            (Some(f), None, None) => format!("field `{f}`"),
                            _ => sanitize(&e.to_string()),
                        }
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `page` of the `rel="next"` link in a `Link` header.
pub fn next_page(headers: &HeaderMap) -> Option<u32> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, rels) = part.split_once(';')?;
        if !rels.split(';').any(|r| r.trim() == "rel=\"next\"") {
            return None;
        }
        let url = Url::parse(url.trim().trim_start_matches('<').trim_end_matches('>')).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
    })
}

/// A path segment, percent-encoded.
pub fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A repository path (`a/b c.rs`), each segment encoded, slashes kept.
pub fn path_segs(path: &str) -> String {
    path.trim_matches('/')
        .split('/')
        .map(seg)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn link_header_gives_the_next_page() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/repos/a/b/issues?state=all&per_page=10&page=3>; rel=\"next\", <https://api.github.com/repos/a/b/issues?per_page=10&page=5>; rel=\"last\"",
            ),
        );
        assert_eq!(next_page(&h), Some(3));
        h.insert(
            "link",
            HeaderValue::from_static("<https://x/y?page=1>; rel=\"prev\""),
        );
        assert_eq!(next_page(&h), None);
    }

    #[test]
    fn validation_errors_list_fields() {
        let body = serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}]});
        assert_eq!(field_errors(&body), ["field `title` is missing_field"]);
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let err = || UpstreamError::Status {
            service: SERVICE,
            status: 403,
            message: String::new(),
            retry_after: None,
            hint: None,
        };
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("60"));
        let e = explain(
            err(),
            r#"{"message": "You have exceeded a secondary rate limit."}"#,
            &h,
            now,
        );
        assert!(
            e.to_string().contains("secondary rate limit") && e.to_string().contains("60 s"),
            "{e}"
        );
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1120"));
        let e = explain(err(), r#"{"message": "API rate limit exceeded"}"#, &h, now);
        assert!(
            e.to_string().contains("hourly") && e.to_string().contains("120 s"),
            "{e}"
        );
        let e = explain(err(), "{}", &HeaderMap::new(), now);
        assert!(e.to_string().contains("GITHUB_TOKEN"), "{e}");
    }

    #[test]
    fn app_credentials_get_app_hints() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let app = Credential::App {
            app_id: 1,
            installation_id: 2,
        };
        let err = |status| UpstreamError::Status {
            service: SERVICE,
            status,
            message: String::new(),
            retry_after: None,
            hint: None,
        };
        for status in [401, 403, 404] {
            let e = explain_for(app, err(status), "{}", &HeaderMap::new(), now).to_string();
            assert!(
                e.contains("installation") && !e.contains("GITHUB_TOKEN"),
                "{e}"
            );
        }
    }

    #[tokio::test]
    async fn every_attempt_gets_the_whole_body() {
        let original = Request::new(OctoBody::from(r#"{"body":"hi"}"#.to_owned()));
        for _ in 0..2 {
            // What the retry layer does per attempt: clone the request, send the clone.
            let attempt = replayable(original.clone());
            let bytes = attempt.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&bytes[..], br#"{"body":"hi"}"#);
        }
    }

    #[test]
    fn empty_answers_are_null() {
        assert_eq!(decode::<Value>(b"").unwrap(), Value::Null);
        assert_eq!(decode::<Value>(b" \n").unwrap(), Value::Null);
        assert_eq!(decode::<Value>(br#"{"a":1}"#).unwrap(), json!({"a": 1}));
        assert!(decode::<Vec<u8>>(b"").is_err());
    }

    #[test]
    fn scopes_name_host_and_class() {
        assert_eq!(
            scope_name("api.github.com", Class::Write),
            "github:api.github.com:write"
        );
        assert_eq!(scope_name("ghe", Class::Search), "github:ghe:search");
    }

    #[test]
    fn paths_keep_slashes() {
        assert_eq!(path_segs("/src/a b.rs"), "src/a%20b.rs");
    }
}
