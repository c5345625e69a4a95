//! HTTP layer: the API routes (also under `/api/v3`), authentication, rate limits,
//! pagination and GitHub's error bodies.

mod actions;
mod admin;
mod issues;
mod pulls;
mod render;
mod repos;
mod search;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, HOST, LINK, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::model::{Repo, Role, World};
use crate::state::{Caller, MockGitHub, RateStatus, Resource, TokenKind};

pub(crate) use render::Urls;

/// The GitHub Enterprise Server API prefix.
const GHES_PREFIX: &str = "/api/v3";
const DOCS: &str = "https://docs.github.com/rest";
const RATE_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/// The API at `/` and at `/api/v3`, the signed log downloads, and the admin routes.
pub(crate) fn router(gh: MockGitHub) -> Router {
    let api = api(gh.clone());
    Router::new()
        .nest(GHES_PREFIX, api.clone())
        .merge(api)
        .merge(actions::download_router(gh.clone()))
        .merge(admin::router(gh))
}

fn api(gh: MockGitHub) -> Router {
    let repo = "/repos/{owner}/{repo}";
    Router::new()
        .route("/user", get(repos::authenticated_user))
        .route("/users/{username}", get(repos::user))
        .route("/rate_limit", get(repos::rate_limit))
        .route(
            "/app/installations/{installation}/access_tokens",
            post(repos::installation_token),
        )
        .route(repo, get(repos::repository))
        .route(&format!("{repo}/contents"), get(repos::root_contents))
        .route(&format!("{repo}/contents/{{*path}}"), get(repos::contents))
        .route(&format!("{repo}/commits"), get(repos::commits))
        .route(
            &format!("{repo}/commits/{{reference}}/check-runs"),
            get(repos::check_runs),
        )
        .route(
            &format!("{repo}/commits/{{reference}}/status"),
            get(repos::combined_status),
        )
        .route(
            &format!("{repo}/collaborators/{{username}}/permission"),
            get(repos::collaborator_permission),
        )
        .route(
            &format!("{repo}/issues"),
            get(issues::list).post(issues::create),
        )
        .route(
            &format!("{repo}/issues/{{number}}"),
            get(issues::get).patch(issues::update),
        )
        .route(
            &format!("{repo}/issues/{{number}}/comments"),
            get(issues::comments).post(issues::add_comment),
        )
        .route(
            &format!("{repo}/pulls"),
            get(pulls::list).post(pulls::create),
        )
        .route(
            &format!("{repo}/pulls/{{number}}"),
            get(pulls::get).patch(pulls::update),
        )
        .route(&format!("{repo}/pulls/{{number}}/files"), get(pulls::files))
        .route(
            &format!("{repo}/pulls/{{number}}/reviews"),
            get(pulls::reviews).post(pulls::create_review),
        )
        .route(
            &format!("{repo}/pulls/{{number}}/merge"),
            put(pulls::merge).get(pulls::is_merged),
        )
        .route(
            &format!("{repo}/actions/workflows"),
            get(actions::workflows),
        )
        .route(
            &format!("{repo}/actions/workflows/{{workflow}}"),
            get(actions::workflow),
        )
        .route(
            &format!("{repo}/actions/workflows/{{workflow}}/runs"),
            get(actions::workflow_runs),
        )
        .route(
            &format!("{repo}/actions/workflows/{{workflow}}/dispatches"),
            post(actions::dispatch),
        )
        .route(&format!("{repo}/actions/runs"), get(actions::runs))
        .route(&format!("{repo}/actions/runs/{{run}}"), get(actions::run))
        .route(
            &format!("{repo}/actions/runs/{{run}}/jobs"),
            get(actions::jobs),
        )
        .route(
            &format!("{repo}/actions/runs/{{run}}/rerun"),
            post(actions::rerun),
        )
        .route(
            &format!("{repo}/actions/runs/{{run}}/rerun-failed-jobs"),
            post(actions::rerun_failed_jobs),
        )
        .route(&format!("{repo}/actions/jobs/{{job}}"), get(actions::job))
        .route(
            &format!("{repo}/actions/jobs/{{job}}/logs"),
            get(actions::job_logs),
        )
        .route("/search/issues", get(search::issues))
        .route("/search/code", get(search::code))
        .fallback(not_found_route)
        .layer(middleware::from_fn_with_state(gh.clone(), gate))
        .with_state(gh)
}

async fn not_found_route() -> ApiError {
    ApiError::not_found()
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// An error answered with GitHub's `{"message", "documentation_url"}` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            body: json!({"message": message, "documentation_url": DOCS}),
        }
    }

    /// Any status with a ready-made body.
    pub fn from_parts(status: StatusCode, body: Value) -> Self {
        Self { status, body }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    /// `422 Validation Failed` with one `{resource, field, code}` error.
    pub fn validation(resource: &str, field: &str, code: &str) -> Self {
        Self::invalid(&[json!({"resource": resource, "field": field, "code": code})])
    }

    /// `422 Validation Failed` with the given errors.
    pub fn invalid(errors: &[Value]) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"message": "Validation Failed", "errors": errors, "documentation_url": DOCS}),
        }
    }

    /// `422 Unprocessable Entity` with plain-string errors (what reviews answer).
    pub fn unprocessable(errors: &[&str]) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"message": "Unprocessable Entity", "errors": errors, "documentation_url": DOCS}),
        }
    }

    pub fn bad_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Problems parsing JSON")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// Handler result.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// Parses a JSON object body the way GitHub complains about it.
pub(crate) fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::bad_json()),
    }
}

// ---------------------------------------------------------------------------------------
// Request context
// ---------------------------------------------------------------------------------------

/// Query parameters, in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The query string with `page` set to `page`.
    fn with_page(&self, page: usize) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.0.iter().filter(|(k, _)| k != "page") {
            out.append_pair(k, v);
        }
        out.append_pair("page", &page.to_string());
        out.finish()
    }
}

/// What every API handler gets: the state, the caller, URLs and the query.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub gh: MockGitHub,
    pub caller: Caller,
    pub urls: Urls,
    /// The request path as the client sent it (with `/api/v3` when used).
    pub path: String,
    pub params: Params,
    pub accept: String,
}

impl FromRequestParts<MockGitHub> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, gh: &MockGitHub) -> Result<Self, ApiError> {
        let caller =
            parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "Requires authentication")
            })?;
        let original = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let path = original.path().to_owned();
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let html = format!("http://{host}");
        let api = if path.starts_with(GHES_PREFIX) {
            format!("{html}{GHES_PREFIX}")
        } else {
            html.clone()
        };
        Ok(Self {
            gh: gh.clone(),
            caller,
            urls: Urls { api, html },
            path,
            params: Params::parse(original.query()),
            accept: parts
                .headers
                .get(ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase(),
        })
    }
}

impl Ctx {
    /// `per_page` (default 30, at most 100) and `page` (from 1).
    pub fn paging(&self) -> (usize, usize) {
        let per_page = self
            .params
            .get("per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(30)
            .clamp(1, 100);
        let page = self
            .params
            .get("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        (per_page, page)
    }

    /// The current page of `items` and the `Link` header for `total` items.
    pub fn page<T>(&self, items: Vec<T>) -> (Vec<T>, Option<String>) {
        let total = items.len();
        let (per_page, page) = self.paging();
        let start = (page - 1).saturating_mul(per_page);
        let slice: Vec<T> = items.into_iter().skip(start).take(per_page).collect();
        (slice, self.link(total, per_page, page))
    }

    /// RFC 5988 links like GitHub's: `next`/`last` unless on the last page, `first`/`prev`
    /// unless on the first.
    fn link(&self, total: usize, per_page: usize, page: usize) -> Option<String> {
        let last = total.div_ceil(per_page).max(1);
        let url = |p: usize| {
            format!(
                "<{}{}?{}>",
                self.urls.html,
                self.path,
                self.params.with_page(p)
            )
        };
        let mut links = Vec::new();
        if page < last {
            links.push(format!("{}; rel=\"next\"", url(page + 1)));
            links.push(format!("{}; rel=\"last\"", url(last)));
        }
        if page > 1 {
            links.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
            links.push(format!("{}; rel=\"first\"", url(1)));
        }
        (!links.is_empty()).then(|| links.join(", "))
    }

    /// Runs `f` on a repository the caller can see, with the caller's role; private
    /// repositories are invisible (`404`) to others.
    pub fn read<R>(
        &self,
        owner: &str,
        name: &str,
        f: impl FnOnce(&World, &Repo, Role) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        self.gh.with(|w| {
            let role = self
                .gh
                .role(w, owner, name, &self.caller.login)
                .ok_or_else(ApiError::not_found)?;
            let repo = w.repo(owner, name).ok_or_else(ApiError::not_found)?;
            f(w, repo, role)
        })
    }

    /// Like [`Ctx::read`] with the world writable; `f` gets the repository's index.
    pub fn write<R>(
        &self,
        owner: &str,
        name: &str,
        f: impl FnOnce(&mut World, usize, Role) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        self.gh.with(|w| {
            let role = self
                .gh
                .role(w, owner, name, &self.caller.login)
                .ok_or_else(ApiError::not_found)?;
            let index = w
                .repos
                .iter()
                .position(|r| {
                    r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name)
                })
                .ok_or_else(ApiError::not_found)?;
            f(w, index, role)
        })
    }
}

/// A JSON answer with an optional `Link` header.
pub(crate) fn paged(body: Value, link: Option<String>) -> Response {
    let mut response = axum::Json(body).into_response();
    if let Some(value) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(LINK, value);
    }
    response
}

pub(crate) fn ok(body: Value) -> ApiResult {
    Ok(axum::Json(body).into_response())
}

pub(crate) fn created(body: Value) -> ApiResult {
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

// ---------------------------------------------------------------------------------------
// Authentication and rate limits
// ---------------------------------------------------------------------------------------

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// The bearer credential of `Authorization: Bearer|token <credential>`.
fn credential(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| rest.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// A JWT is three base64url segments whose first decodes to a JSON object with `alg`.
fn is_well_formed_jwt(token: &str) -> bool {
    let segments: Vec<&str> = token.split('.').collect();
    if segments.len() != 3 || segments.iter().any(|s| s.is_empty()) {
        return false;
    }
    let Ok(header) = URL_SAFE_NO_PAD.decode(segments[0].trim_end_matches('=')) else {
        return false;
    };
    let payload_ok = URL_SAFE_NO_PAD
        .decode(segments[1].trim_end_matches('='))
        .ok()
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .is_some_and(|p| p.is_object());
    serde_json::from_slice::<Value>(&header)
        .ok()
        .is_some_and(|h| h.get("alg").is_some())
        && payload_ok
}

fn is_token_mint(method: &Method, path: &str) -> bool {
    method == Method::POST
        && path.starts_with("/app/installations/")
        && path.ends_with("/access_tokens")
}

/// Authenticates, charges the rate-limit budgets, applies the secondary limit, and adds
/// GitHub's headers to the answer.
async fn gate(State(gh): State<MockGitHub>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let path = path.strip_prefix(GHES_PREFIX).unwrap_or(path).to_owned();
    let method = request.method().clone();
    let credential = credential(request.headers());

    let caller = if is_token_mint(&method, &path) {
        match credential.filter(|c| is_well_formed_jwt(c)) {
            Some(jwt) => Ok(Caller {
                login: "acme-app".to_owned(),
                kind: TokenKind::AppJwt,
                key: format!("app-jwt:{}", jwt.len()),
            }),
            None => Err("A JSON web token could not be decoded"),
        }
    } else {
        match credential {
            None => Err("Requires authentication"),
            Some(token) => gh.authenticate(&token).ok_or("Bad credentials"),
        }
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(message) => {
            let status = gh.charge("anonymous", Resource::Core);
            let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
            add_headers(response.headers_mut(), &status, None);
            return response;
        }
    };

    let resource = if path.starts_with("/search/") {
        Resource::Search
    } else {
        Resource::Core
    };
    let status = if path == "/rate_limit" {
        gh.peek(&caller.key, resource)
    } else {
        gh.charge(&caller.key, resource)
    };
    let scopes = (caller.kind == TokenKind::Pat).then(|| gh.options().scopes.clone());
    if status.exceeded {
        let body = json!({
            "message": format!(
                "API rate limit exceeded for user {}. If you reach out to GitHub Support for help, please include the request ID.",
                caller.login
            ),
            "documentation_url": RATE_DOCS,
        });
        let mut response = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        add_headers(response.headers_mut(), &status, scopes.as_deref());
        return response;
    }
    if method == Method::POST
        && !is_token_mint(&method, &path)
        && let Err(retry_after) = gh.secondary_check(&caller.key)
    {
        let body = json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
            "documentation_url": format!("{RATE_DOCS}#about-secondary-rate-limits"),
        });
        let mut response = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        add_headers(response.headers_mut(), &status, scopes.as_deref());
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        return response;
    }

    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    add_headers(response.headers_mut(), &status, scopes.as_deref());
    response
}

fn add_headers(headers: &mut HeaderMap, status: &RateStatus, scopes: Option<&str>) {
    let id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    let pairs: [(&str, String); 6] = [
        ("x-ratelimit-limit", status.limit.to_string()),
        ("x-ratelimit-remaining", status.remaining.to_string()),
        ("x-ratelimit-used", status.used.to_string()),
        ("x-ratelimit-reset", status.reset.to_string()),
        ("x-ratelimit-resource", status.resource.name().to_owned()),
        ("x-github-request-id", format!("MOCK:{id:08X}")),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        "x-github-media-type",
        HeaderValue::from_static("github.v3; format=json"),
    );
    if let Some(value) = scopes.and_then(|s| HeaderValue::from_str(s).ok()) {
        headers.insert("x-oauth-scopes", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_are_recognised() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"123","iat":1,"exp":2}"#);
        assert!(is_well_formed_jwt(&format!("{header}.{payload}.c2ln")));
        assert!(!is_well_formed_jwt("mock-gh-token"));
        assert!(!is_well_formed_jwt(&format!("{header}.bm9wZQ.c2ln")));
    }

    #[test]
    fn credentials_take_bearer_or_token() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("token abc"));
        assert_eq!(credential(&headers).as_deref(), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(credential(&headers).as_deref(), Some("xyz"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic xyz"));
        assert_eq!(credential(&headers), None);
    }
}
