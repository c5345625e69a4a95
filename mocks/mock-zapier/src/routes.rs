//! The catch-hook routes and the Zapier-specific admin routes.

use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::state::{Delivery, MockZapier, Refusal};

/// The catch-hook routes plus `/__admin/deliveries` and `/__admin/hooks/...`.
pub(crate) fn router(state: MockZapier) -> Router {
    let catch = get(catch).post(catch).put(catch);
    let catch_silent = get(catch_silent).post(catch_silent).put(catch_silent);
    Router::new()
        .route("/hooks/catch/{account}/{hook}", catch.clone())
        .route("/hooks/catch/{account}/{hook}/", catch)
        .route("/hooks/catch/{account}/{hook}/silent", catch_silent.clone())
        .route("/hooks/catch/{account}/{hook}/silent/", catch_silent)
        .route("/__admin/deliveries", get(list_deliveries))
        .route("/__admin/hooks", get(list_hooks))
        .route(
            "/__admin/hooks/{account}/{hook}/disable",
            post(disable_hook),
        )
        .route("/__admin/hooks/{account}/{hook}/enable", post(enable_hook))
        .with_state(state)
}

async fn catch(
    State(state): State<MockZapier>,
    Path((account, hook)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(&state, &account, &hook, &uri, &headers, &body, false)
}

async fn catch_silent(
    State(state): State<MockZapier>,
    Path((account, hook)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(&state, &account, &hook, &uri, &headers, &body, true)
}

/// Accepts one delivery: hook checks, rate limit, payload parsing, storage, Zapier's answer.
fn receive(
    state: &MockZapier,
    account: &str,
    hook: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    silent: bool,
) -> Response {
    if !valid_hook(account, hook) {
        return zapier_error(
            StatusCode::NOT_FOUND,
            "Hook not found: the account id must be numeric and the hook id alphanumeric.",
        );
    }
    match state.admit(account, hook, Instant::now()) {
        Ok(()) => {}
        Err(Refusal::Disabled) => {
            return zapier_error(StatusCode::GONE, "This hook has been turned off.");
        }
        Err(Refusal::RateLimited) => {
            let limit = state.options().rate_per_second;
            let mut response = zapier_error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Rate limit exceeded: this hook accepts at most {limit} requests per second."
                ),
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    }
    let payload = match payload(uri.query(), headers, body) {
        Ok(payload) => payload,
        Err(message) => return zapier_error(StatusCode::BAD_REQUEST, &message),
    };
    let delivery = state.store(account, hook, payload, silent);
    tracing::info!(
        account,
        id = %delivery.id,
        silent,
        "delivery received"
    );
    if silent {
        Json(json!({"status": "success"})).into_response()
    } else {
        Json(json!({
            "attempt": delivery.attempt,
            "id": delivery.id,
            "request_id": delivery.request_id,
            "status": "success",
        }))
        .into_response()
    }
}

/// Zapier account ids are numeric; hook ids are short alphanumeric codes.
fn valid_hook(account: &str, hook: &str) -> bool {
    !account.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit())
        && !hook.is_empty()
        && hook.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The payload a Zap would see.
///
/// Query parameters become fields; a form body adds its fields; a JSON object adds its
/// members (winning over query fields); a JSON array is kept as is (query fields are then
/// dropped). An empty body is an empty object. Anything else is refused.
fn payload(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Value, String> {
    let mut fields = query.map(|q| form_fields(q.as_bytes())).unwrap_or_default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(fields));
    }
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let body: Value = if is_form {
        Value::Object(form_fields(body))
    } else {
        serde_json::from_slice(body).map_err(|e| format!("Invalid JSON body: {e}"))?
    };
    match body {
        Value::Object(members) => {
            fields.extend(members);
            Ok(Value::Object(fields))
        }
        array @ Value::Array(_) => Ok(array),
        _ => Err("Invalid JSON body: expected an object or an array of objects.".to_owned()),
    }
}

/// URL-encoded pairs as a flat object of strings; a repeated key keeps every value,
/// comma-separated.
fn form_fields(encoded: &[u8]) -> Map<String, Value> {
    let mut fields = Map::new();
    for (name, value) in url::form_urlencoded::parse(encoded) {
        match fields.get_mut(name.as_ref()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                fields.insert(name.into_owned(), Value::String(value.into_owned()));
            }
        }
    }
    fields
}

/// Zapier's error shape: `{"status": "error", "message": ...}`.
fn zapier_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"status": "error", "message": message}))).into_response()
}

#[derive(Debug, Deserialize)]
struct DeliveriesQuery {
    /// `account/hook`.
    hook: Option<String>,
}

async fn list_deliveries(
    State(state): State<MockZapier>,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Json<Vec<Delivery>>, Response> {
    let Some(filter) = query.hook else {
        return Ok(Json(state.deliveries()));
    };
    let (account, hook) = filter.trim_matches('/').split_once('/').ok_or_else(|| {
        zapier_error(
            StatusCode::BAD_REQUEST,
            "The hook filter must look like `account/hook`.",
        )
    })?;
    Ok(Json(state.deliveries_for(account, hook)))
}

async fn list_hooks(State(state): State<MockZapier>) -> Json<Value> {
    Json(json!({"disabled": state.disabled_hooks()}))
}

async fn disable_hook(
    State(state): State<MockZapier>,
    Path((account, hook)): Path<(String, String)>,
) -> Json<Value> {
    state.disable_hook(&account, &hook);
    Json(json!({"account": account, "hook": hook, "enabled": false}))
}

async fn enable_hook(
    State(state): State<MockZapier>,
    Path((account, hook)): Path<(String, String)>,
) -> Json<Value> {
    state.enable_hook(&account, &hook);
    Json(json!({"account": account, "hook": hook, "enabled": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers
    }

    #[test]
    fn hook_ids_follow_zapier_format() {
        assert!(valid_hook("123456", "abc12x"));
        assert!(valid_hook("1", "2"));
        assert!(!valid_hook("acct", "abc"));
        assert!(!valid_hook("1", "a-b"));
        assert!(!valid_hook("", "a"));
    }

    #[test]
    fn json_bodies_merge_over_query_fields() {
        let body = payload(Some("a=q&b=q"), &HeaderMap::new(), br#"{"b": 2, "c": [1]}"#);
        assert_eq!(body.unwrap(), json!({"a": "q", "b": 2, "c": [1]}));
    }

    #[test]
    fn arrays_are_kept_and_scalars_refused() {
        assert_eq!(
            payload(None, &HeaderMap::new(), b"[{\"a\":1}]").unwrap(),
            json!([{"a": 1}])
        );
        assert!(payload(None, &HeaderMap::new(), b"42").is_err());
        assert!(payload(None, &HeaderMap::new(), b"{not json").is_err());
    }

    #[test]
    fn form_bodies_are_flat_objects() {
        let body = payload(None, &form_headers(), b"name=Ada+L&tag=a&tag=b&empty=");
        assert_eq!(
            body.unwrap(),
            json!({"name": "Ada L", "tag": "a,b", "empty": ""})
        );
    }

    #[test]
    fn empty_bodies_are_empty_objects_or_query_fields() {
        assert_eq!(payload(None, &HeaderMap::new(), b"").unwrap(), json!({}));
        assert_eq!(
            payload(Some("x=1"), &HeaderMap::new(), b" \n").unwrap(),
            json!({"x": "1"})
        );
    }
}
