//! HTTP layer: both API families (`/rest/api/2`, `/rest/api/3`) over the same state, with
//! authentication, rate limiting and Jira's error bodies.

mod admin;
mod issues;
mod projects;
mod search;
mod users;

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::Deployment;
use crate::render::Api;
use crate::state::MockJira;
use crate::write::Rejected;

/// What every API handler gets: the state and the API family of the request.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub jira: MockJira,
    pub api: Api,
}

/// The API routes of both families plus the Jira-specific admin routes.
pub(crate) fn router(jira: MockJira) -> Router {
    Router::new()
        .nest("/rest/api/3", api(jira.clone(), Api::V3))
        .nest("/rest/api/2", api(jira.clone(), Api::V2))
        .merge(admin::router(jira))
}

fn api(jira: MockJira, api: Api) -> Router {
    let ctx = Ctx { jira, api };
    let search = match api {
        Api::V3 => get(search::removed).post(search::removed),
        Api::V2 => get(search::search_v2_get).post(search::search_v2_post),
    };
    let mut router = Router::new()
        .route("/serverInfo", get(users::server_info))
        .route("/myself", get(users::myself))
        .route("/user", get(users::user))
        .route("/user/search", get(users::search))
        .route("/user/assignable/search", get(users::assignable))
        .route("/field", get(projects::fields))
        .route("/project", get(projects::list))
        .route("/project/search", get(projects::search))
        .route("/project/{project}", get(projects::get))
        .route(
            "/issue/createmeta/{project}/issuetypes",
            get(projects::createmeta_types),
        )
        .route(
            "/issue/createmeta/{project}/issuetypes/{issue_type}",
            get(projects::createmeta_fields),
        )
        .route("/issue", post(issues::create))
        .route(
            "/issue/{issue}",
            get(issues::get).put(issues::edit).delete(issues::delete),
        )
        .route(
            "/issue/{issue}/assignee",
            axum::routing::put(issues::assign),
        )
        .route(
            "/issue/{issue}/comment",
            get(issues::comments).post(issues::add_comment),
        )
        .route(
            "/issue/{issue}/comment/{id}",
            get(issues::comment).delete(issues::delete_comment),
        )
        .route(
            "/issue/{issue}/transitions",
            get(issues::transitions).post(issues::transition),
        )
        .route("/issue/{issue}/properties", get(issues::property_keys))
        .route(
            "/issue/{issue}/properties/{property}",
            get(issues::property)
                .put(issues::set_property)
                .delete(issues::delete_property),
        )
        .route("/search", search);
    if api == Api::V3 {
        router = router.route(
            "/search/jql",
            get(search::search_jql_get).post(search::search_jql_post),
        );
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(ctx.clone(), authenticate))
        .layer(middleware::from_fn_with_state(ctx.clone(), rate_limit))
        .with_state(ctx)
}

async fn not_found() -> Response {
    jira_error(StatusCode::NOT_FOUND, "Null or empty resource path.")
}

// ---------------------------------------------------------------------------------------
// Errors and helpers
// ---------------------------------------------------------------------------------------

/// Jira's error body: `{"errorMessages": [message], "errors": {}}`.
pub(crate) fn jira_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"errorMessages": [message], "errors": {}})),
    )
        .into_response()
}

/// An error answered with Jira's error body; small enough to travel in a `Result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: &str) -> Self {
        Self {
            status,
            message: message.to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        jira_error(self.status, &self.message)
    }
}

/// A refused write as a 400.
pub(crate) fn rejected(rejected: &Rejected) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"errorMessages": rejected.messages, "errors": rejected.errors})),
    )
        .into_response()
}

pub(crate) fn issue_not_found() -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        "Issue does not exist or you do not have permission to see it.",
    )
}

/// Parses a JSON request body the way Jira complains about it.
pub(crate) fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "No content to map to Object due to end of input",
        ));
    }
    serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Invalid request payload. Refer to the REST API documentation and try again.",
        )
    })
}

/// `http://host:port` as the client addressed the mock, for `self` links.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Query parameters, allowing repeats (`fields=a&fields=b`).
#[derive(Debug, Default)]
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
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A non-negative integer parameter, or Jira's 400 when it is not one.
    pub fn number(&self, name: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .map(|n| n.max(0) as usize)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "The value '{raw}' is not a valid number for the parameter '{name}'."
                        ),
                    )
                }),
        }
    }
}

/// Default and maximum page sizes, like Jira's.
pub(crate) const DEFAULT_PAGE: usize = 50;
pub(crate) const MAX_PAGE: usize = 100;

/// Clamps a requested page size: 0 → default is *not* applied (Jira answers an empty page).
pub(crate) fn page_size(requested: usize) -> usize {
    requested.min(MAX_PAGE)
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

async fn authenticate(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match credentials_ok(&ctx, header) {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            let mut response = jira_error(
                StatusCode::UNAUTHORIZED,
                "You are not authenticated. Authentication required to perform this operation.",
            );
            response.headers_mut().insert(
                HeaderName::from_static("x-seraph-loginreason"),
                HeaderValue::from_static(reason),
            );
            response
        }
    }
}

/// Cloud paths take Basic `email:api_token` or a Bearer OAuth token; Data Center paths take
/// a Bearer personal access token (and, when the mock plays Cloud, Basic too, as Cloud's
/// v2 API does).
fn credentials_ok(ctx: &Ctx, header: Option<&str>) -> Result<(), &'static str> {
    let options = ctx.jira.options();
    let Some(header) = header else {
        return Err("AUTHENTICATION_DENIED");
    };
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let value = value.trim();
    let basic_ok = || {
        STANDARD
            .decode(value)
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .is_some_and(|pair| pair == format!("{}:{}", options.email, options.api_token))
    };
    let accepted = match (ctx.api, scheme.to_ascii_lowercase().as_str()) {
        (Api::V3, "basic") => basic_ok(),
        (Api::V3, "bearer") => value == options.oauth_token,
        (Api::V2, "bearer") => value == options.pat,
        (Api::V2, "basic") => options.deployment == Deployment::Cloud && basic_ok(),
        _ => false,
    };
    if accepted {
        Ok(())
    } else {
        Err("AUTHENTICATED_FAILED")
    }
}

// ---------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------

async fn rate_limit(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let admission = ctx.jira.admit(Instant::now());
    let mut response = match &admission.refused {
        Some(retry_after) => {
            let mut response = jira_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded. Retry after the time given in the Retry-After header.",
            );
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(retry_after) {
                headers.insert(RETRY_AFTER, value);
            }
            headers.insert(
                HeaderName::from_static("ratelimit-reason"),
                HeaderValue::from_static("jira-burst-based"),
            );
            response
        }
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-ratelimit-limit", admission.limit.to_string());
    set("x-ratelimit-remaining", admission.remaining.to_string());
    set(
        "x-ratelimit-reset",
        admission.reset.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    if admission.refused.is_some() {
        set("x-ratelimit-nearlimit", "true".to_owned());
    }
    response
}
