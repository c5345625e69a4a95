//! HTTP layer: the Table API, the Aggregate API's count, the OAuth token endpoint,
//! authentication, rate limiting and ServiceNow's error bodies.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, HOST, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::schema::{self, Access, Table};
use crate::state::{AuthFailure, MockServiceNow};
use crate::store::{Caller, DisplayMode, ReadOptions, SnError};

/// Default `sysparm_limit`, as on a ServiceNow instance.
const DEFAULT_LIMIT: usize = 10_000;

/// The API routes plus the ServiceNow-specific admin routes.
pub(crate) fn router(state: MockServiceNow) -> Router {
    let api = Router::new()
        .route("/api/now/table/{table}", get(list).post(create))
        .route(
            "/api/now/table/{table}/{sys_id}",
            get(read).patch(update).put(update).delete(remove),
        )
        .route("/api/now/stats/{table}", get(stats))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    Router::new()
        .merge(api)
        .route("/oauth_token.do", post(oauth_token))
        .route("/__admin/oauth/expire", post(expire_tokens))
        .route("/__admin/tables/{table}", get(admin_table))
        .with_state(state)
}

fn error(err: &SnError) -> Response {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(err.body())).into_response()
}

impl IntoResponse for SnError {
    fn into_response(self) -> Response {
        error(&self)
    }
}

// ---------------------------------------------------------------------------------------
// Authentication and rate limiting
// ---------------------------------------------------------------------------------------

async fn authenticate(
    State(state): State<MockServiceNow>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let caller = if let Some(key) = header(headers, "x-sn-apikey") {
        state.api_key(key).ok_or(AuthFailure::Invalid)
    } else {
        match header(headers, AUTHORIZATION.as_str()) {
            Some(value) => {
                if let Some(token) = strip_scheme(value, "Bearer") {
                    state.bearer(token).ok_or(AuthFailure::Invalid)
                } else if let Some((user, password)) = basic_pair(value) {
                    state.basic(&user, &password)
                } else {
                    Err(AuthFailure::Invalid)
                }
            }
            None => Err(AuthFailure::Invalid),
        }
    };
    match caller {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(failure) => {
            let detail = match failure {
                AuthFailure::Invalid => "Required to provide Auth information".to_owned(),
                AuthFailure::BasicNotAllowed(user) => format!(
                    "Basic authentication refused for user '{user}': the user lacks the role \
                     required for REST API access with basic auth (snc_platform_rest_api_access, \
                     the snc_basic_auth_api_access-style ACL). Grant the role or use OAuth."
                ),
            };
            let mut response = SnError::new(401, "User Not Authenticated", detail).into_response();
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("BASIC realm=\"Service-now\""),
            );
            response
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// `Basic base64(user:password)` → `(user, password)`.
fn basic_pair(value: &str) -> Option<(String, String)> {
    let encoded = strip_scheme(value, "Basic")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

async fn rate_limit(State(state): State<MockServiceNow>, request: Request, next: Next) -> Response {
    let admission = state.admit(Instant::now());
    if admission.limit == 0 {
        return next.run(request).await;
    }
    let mut response = if admission.refused {
        let mut response = SnError::new(
            429,
            "Rate limit exceeded",
            format!(
                "Too many requests: the rate limit rule allows {} requests per second",
                admission.limit
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        response
    } else {
        next.run(request).await
    };
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() + 1);
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", admission.limit.to_string()),
        ("x-ratelimit-remaining", admission.remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        ("x-ratelimit-rule", "mock-rate-limit".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

async fn oauth_token(
    State(state): State<MockServiceNow>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let basic_client = header(&headers, AUTHORIZATION.as_str()).and_then(basic_pair);
    match state.issue_token(&form, basic_client) {
        Ok(body) => Json(body).into_response(),
        Err((status, body)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED),
            Json(body),
        )
            .into_response(),
    }
}

// ---------------------------------------------------------------------------------------
// Table API
// ---------------------------------------------------------------------------------------

type Params = Query<HashMap<String, String>>;

/// The table, if it exists and the caller may read it.
fn readable(name: &str, caller: &Caller) -> Result<&'static Table, SnError> {
    let table = schema::table(name)
        .ok_or_else(|| SnError::new(400, format!("Invalid table {name}"), ""))?;
    if table.access == Access::Denied {
        return Err(SnError::acl(format!(
            "ACL restricts read access to table '{name}' for user '{}'",
            caller.user_name
        )));
    }
    Ok(table)
}

fn read_options(params: &HashMap<String, String>, headers: &HeaderMap) -> ReadOptions {
    let fields = params
        .get("sysparm_fields")
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        });
    ReadOptions {
        fields,
        display: DisplayMode::parse(params.get("sysparm_display_value").map(String::as_str)),
        exclude_link: params
            .get("sysparm_exclude_reference_link")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        base_url: base_url(headers),
    }
}

fn base_url(headers: &HeaderMap) -> String {
    format!(
        "http://{}",
        header(headers, HOST.as_str()).unwrap_or("localhost")
    )
}

fn number_param(params: &HashMap<String, String>, name: &str) -> Option<usize> {
    params.get(name).and_then(|v| v.trim().parse().ok())
}

async fn list(
    State(state): State<MockServiceNow>,
    Extension(caller): Extension<Caller>,
    Path(table): Path<String>,
    Query(params): Params,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, SnError> {
    let table = readable(&table, &caller)?;
    let options = read_options(&params, &headers);
    let limit = number_param(&params, "sysparm_limit")
        .filter(|l| *l > 0)
        .unwrap_or(DEFAULT_LIMIT);
    let offset = number_param(&params, "sysparm_offset").unwrap_or(0);
    let query = params.get("sysparm_query").map_or("", String::as_str);
    let (total, page) = state.with_store(|store| {
        let rows = store.select(table, query);
        let page: Vec<Value> = rows
            .iter()
            .skip(offset)
            .take(limit)
            .map(|row| store.render(table, row, &options))
            .collect();
        Ok((rows.len(), page))
    })?;
    let mut response = Json(json!({"result": page})).into_response();
    let link = link_header(
        &options.base_url,
        table.name,
        raw.as_deref(),
        total,
        limit,
        offset,
    );
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(total));
    if let Ok(link) = HeaderValue::from_str(&link) {
        headers.insert("link", link);
    }
    Ok(response)
}

/// `Link: <url>;rel="first",<url>;rel="prev",<url>;rel="next",<url>;rel="last"` (prev and
/// next only when such pages exist), keeping every other query parameter as sent.
fn link_header(
    base: &str,
    table: &str,
    raw: Option<&str>,
    total: usize,
    limit: usize,
    offset: usize,
) -> String {
    let kept: Vec<&str> = raw
        .unwrap_or("")
        .split('&')
        .filter(|pair| {
            !pair.is_empty()
                && !pair.starts_with("sysparm_offset=")
                && !pair.starts_with("sysparm_limit=")
        })
        .collect();
    let url = |at: usize| {
        let mut query = kept.clone();
        let limit = format!("sysparm_limit={limit}");
        let offset = format!("sysparm_offset={at}");
        query.push(&limit);
        query.push(&offset);
        format!("<{base}/api/now/table/{table}?{}>", query.join("&"))
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut links = vec![format!("{};rel=\"first\"", url(0))];
    if offset > 0 {
        links.push(format!(
            "{};rel=\"prev\"",
            url(offset.saturating_sub(limit))
        ));
    }
    if offset + limit < total {
        links.push(format!("{};rel=\"next\"", url(offset + limit)));
    }
    links.push(format!("{};rel=\"last\"", url(last)));
    links.join(",")
}

async fn read(
    State(state): State<MockServiceNow>,
    Extension(caller): Extension<Caller>,
    Path((table, sys_id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Result<Response, SnError> {
    let table = readable(&table, &caller)?;
    let options = read_options(&params, &headers);
    let record = state.with_store(|store| {
        let row = store
            .find(table.name, &sys_id)
            .ok_or_else(SnError::not_found)?;
        Ok(store.render(table, row, &options))
    })?;
    Ok(Json(json!({"result": record})).into_response())
}

fn json_object(body: &Bytes) -> Result<Map<String, Value>, SnError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SnError::new(
            400,
            "Exception while reading request",
            "The payload is not a JSON object",
        )),
        Err(err) => Err(SnError::new(
            400,
            "Exception while reading request",
            format!("The payload is not valid JSON: {err}"),
        )),
    }
}

/// Writes through the store, then renders the written record with the read options.
fn write(
    state: &MockServiceNow,
    caller: &Caller,
    table: &str,
    sys_id: Option<&str>,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Value, SnError> {
    let table = readable(table, caller)?;
    let body = json_object(body)?;
    let options = read_options(params, headers);
    state.with_store(|store| {
        let id = store.write(table, sys_id, &body, caller)?;
        let row = store.find(table.name, &id).ok_or_else(SnError::not_found)?;
        Ok(json!({"result": store.render(table, row, &options)}))
    })
}

async fn create(
    State(state): State<MockServiceNow>,
    Extension(caller): Extension<Caller>,
    Path(table): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SnError> {
    let result = write(&state, &caller, &table, None, &params, &headers, &body)?;
    Ok((StatusCode::CREATED, Json(result)).into_response())
}

async fn update(
    State(state): State<MockServiceNow>,
    Extension(caller): Extension<Caller>,
    Path((table, sys_id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, SnError> {
    let result = write(
        &state,
        &caller,
        &table,
        Some(&sys_id),
        &params,
        &headers,
        &body,
    )?;
    Ok(Json(result).into_response())
}

async fn remove(
    State(state): State<MockServiceNow>,
    Extension(caller): Extension<Caller>,
    Path((table, sys_id)): Path<(String, String)>,
) -> Result<Response, SnError> {
    let table = readable(&table, &caller)?;
    state.with_store(|store| store.delete(table, &sys_id, &caller))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/now/stats/{table}?sysparm_count=true&sysparm_query=...`: the record count.
async fn stats(
    State(state): State<MockServiceNow>,
    Extension(caller): Extension<Caller>,
    Path(table): Path<String>,
    Query(params): Params,
) -> Result<Response, SnError> {
    let table = readable(&table, &caller)?;
    let query = params.get("sysparm_query").map_or("", String::as_str);
    let count = state.with_store(|store| Ok(store.select(table, query).len()))?;
    Ok(Json(json!({"result": {"stats": {"count": count.to_string()}}})).into_response())
}

// ---------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------

async fn expire_tokens(State(state): State<MockServiceNow>) -> StatusCode {
    state.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn admin_table(
    State(state): State<MockServiceNow>,
    Path(table): Path<String>,
    Query(params): Params,
) -> Response {
    let query = params.get("sysparm_query").map_or("", String::as_str);
    Json(state.query(&table, query)).into_response()
}
