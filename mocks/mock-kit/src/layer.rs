//! The recording/fault middleware and the admin API.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use http::header::{CONTENT_LENGTH, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body_util::LengthLimitError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::conn::{ConnectionHandle, DropMode};
use crate::fault::{Fault, FaultAction};
use crate::kit::{MockKit, RecordedRequest};

/// Paths under this prefix belong to the admin API and are never recorded or faulted.
pub const ADMIN_PREFIX: &str = "/__admin";

/// Largest request body a mock accepts; larger bodies get `413 Payload Too Large`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Adds the admin API and the recording/fault middleware around `app`.
///
/// Admin routes (see the crate docs) are merged into `app`, so `app` must not define routes
/// under `/__admin/faults`, `/__admin/requests` or `/__admin/reset` itself.
pub fn with_kit(app: Router, kit: MockKit) -> Router {
    app.merge(admin_routes(kit.clone()))
        .layer(middleware::from_fn_with_state(kit, record_and_fault))
}

/// Like [`with_kit`], and also runs `reset` whenever the kit is reset (`POST /__admin/reset`
/// or [`MockKit::reset`]), so the mock can clear its own state.
pub fn with_kit_and_reset(
    app: Router,
    kit: MockKit,
    reset: impl Fn() + Send + Sync + 'static,
) -> Router {
    kit.on_reset(reset);
    with_kit(app, kit)
}

fn admin_routes(kit: MockKit) -> Router {
    Router::new()
        .route(
            "/__admin/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/__admin/requests", get(list_requests))
        .route("/__admin/reset", post(reset))
        .with_state(kit)
}

async fn list_faults(State(kit): State<MockKit>) -> Json<Vec<Fault>> {
    Json(kit.faults())
}

async fn add_faults(State(kit): State<MockKit>, body: Bytes) -> Response {
    let faults = match parse_faults(&body) {
        Ok(faults) => faults,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    let queued = faults.len();
    for fault in faults {
        kit.push_fault(fault);
    }
    let pending = kit.faults().len();
    (
        StatusCode::CREATED,
        Json(json!({"queued": queued, "pending": pending})),
    )
        .into_response()
}

/// Parses a fault or an array of faults, all validated before any is queued.
fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    let faults = if value.is_array() {
        serde_json::from_value::<Vec<Fault>>(value)
    } else {
        serde_json::from_value::<Fault>(value).map(|fault| vec![fault])
    }
    .map_err(|e| format!("invalid fault: {e}"))?;
    for fault in &faults {
        fault.validate()?;
    }
    Ok(faults)
}

async fn clear_faults(State(kit): State<MockKit>) -> StatusCode {
    kit.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct RequestsQuery {
    path_prefix: Option<String>,
}

async fn list_requests(
    State(kit): State<MockKit>,
    Query(query): Query<RequestsQuery>,
) -> Json<Vec<RecordedRequest>> {
    Json(match query.path_prefix {
        Some(prefix) => kit.requests_with_prefix(&prefix),
        None => kit.requests(),
    })
}

async fn reset(State(kit): State<MockKit>) -> StatusCode {
    kit.reset();
    StatusCode::NO_CONTENT
}

/// Records every non-admin request and applies the first matching queued fault.
async fn record_and_fault(State(kit): State<MockKit>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(ADMIN_PREFIX) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let mut record = RecordedRequest {
        seq: kit.next_seq(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: redacted_headers(&parts.headers),
        body: Value::Null,
        status: 0,
        fault: None,
        at: Utc::now(),
    };

    let bytes = match read_body(body, &parts.headers).await {
        Ok(bytes) => bytes,
        Err(status) => {
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("request body larger than {MAX_BODY_BYTES} bytes")
            } else {
                "could not read the request body".to_owned()
            };
            record.status = status.as_u16();
            kit.record(record);
            return json_error(status, &message);
        }
    };
    record.body = body_value(&bytes);

    let fault = kit.take_fault(parts.method.as_str(), parts.uri.path());
    let Some(fault) = fault else {
        let response = next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
        record.status = response.status().as_u16();
        kit.record(record);
        return response;
    };

    record.fault = Some(fault.label());
    tracing::debug!(seq = record.seq, path = %record.path, fault = %fault.label(), "injecting fault");
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    let connection = parts.extensions.get::<ConnectionHandle>().cloned();
    match fault.action {
        FaultAction::Delay => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            record.status = response.status().as_u16();
            kit.record(record);
            response
        }
        FaultAction::Status {
            status,
            retry_after,
            headers,
            body,
        } => {
            let response = status_response(status, retry_after.as_deref(), &headers, body);
            record.status = response.status().as_u16();
            kit.record(record);
            response
        }
        FaultAction::Reset => drop_connection(&kit, record, connection, DropMode::Reset).await,
        FaultAction::CommitThenDrop => {
            // The handler runs to completion: its write is committed and its status is
            // what the mock *would* have answered, but the client never sees it.
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            drop(response);
            drop_connection(&kit, record, connection, DropMode::Close).await
        }
    }
}

/// Records the request as dropped, then closes its connection without answering.
///
/// Only [`crate::serve`] can drop connections; behind another server the request is answered
/// `500` with an explanation instead of hanging the client.
async fn drop_connection(
    kit: &MockKit,
    mut record: RecordedRequest,
    connection: Option<ConnectionHandle>,
    mode: DropMode,
) -> Response {
    let Some(connection) = connection else {
        tracing::warn!(
            "connection-level fault needs mock_kit::serve; answering 500 instead of dropping"
        );
        record.status = StatusCode::INTERNAL_SERVER_ERROR.as_u16();
        kit.record(record);
        return json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connection-level faults need a server started with mock_kit::serve",
        );
    };
    record.status = 0;
    kit.record(record);
    connection.drop_connection(mode).await;
    // The connection is gone: nothing will ever read this response.
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
async fn read_body(body: Body, headers: &HeaderMap) -> Result<Bytes, StatusCode> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|err| {
            let source = err.into_inner();
            if source.downcast_ref::<LengthLimitError>().is_some() {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            }
        })
}

/// JSON when the body parses, else its text, `null` when empty.
fn body_value(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Header names whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Fragments that mark a header name as carrying a credential (`X-API-Key`, `X-Auth-Token`…).
const SECRET_FRAGMENTS: &[&str] = &[
    "api-key", "apikey", "api_key", "token", "secret", "password",
];

fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.contains(&name) || SECRET_FRAGMENTS.iter().any(|f| name.contains(f))
}

/// Headers as a map of lower-case names to values (repeated headers joined with `, `), with
/// credentials redacted.
fn redacted_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for name in headers.keys() {
        let value = if is_secret_header(name.as_str()) {
            "[redacted]".to_owned()
        } else {
            headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        map.insert(name.as_str().to_owned(), value);
    }
    map
}

/// The response of a [`FaultAction::Status`] fault.
fn status_response(
    status: u16,
    retry_after: Option<&str>,
    headers: &BTreeMap<String, String>,
    body: Option<Value>,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = body.unwrap_or_else(|| {
        json!({
            "error": "injected fault",
            "status": status.as_u16(),
            "message": status.canonical_reason().unwrap_or("injected fault"),
        })
    });
    let mut response = (status, Json(body)).into_response();
    let response_headers = response.headers_mut();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response_headers.insert(RETRY_AFTER, value);
    }
    for (name, value) in headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                response_headers.insert(name, value);
            }
            _ => tracing::warn!(header = %name, "skipping invalid fault header"),
        }
    }
    response
}

/// A JSON error body `{"error": message}` with `status`.
fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer abc"));
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        headers.insert("x-auth-token", HeaderValue::from_static("t"));
        headers.insert("cookie", HeaderValue::from_static("s=1"));
        headers.append("accept", HeaderValue::from_static("a/b"));
        headers.append("accept", HeaderValue::from_static("c/d"));
        let map = redacted_headers(&headers);
        for name in ["authorization", "x-api-key", "x-auth-token", "cookie"] {
            assert_eq!(map[name], "[redacted]", "{name}");
        }
        assert_eq!(map["accept"], "a/b, c/d");
    }

    #[test]
    fn bodies_are_json_text_or_null() {
        assert_eq!(body_value(b""), Value::Null);
        assert_eq!(body_value(br#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(body_value(b"a=1&b=2"), json!("a=1&b=2"));
    }

    #[test]
    fn fault_lists_parse_and_validate() {
        assert_eq!(parse_faults(br#"{"action":"reset"}"#).unwrap().len(), 1);
        assert_eq!(
            parse_faults(br#"[{"action":"reset"},{"action":"delay","delay_ms":5}]"#)
                .unwrap()
                .len(),
            2
        );
        assert!(parse_faults(br#"{"action":"explode"}"#).is_err());
        assert!(parse_faults(br#"[{"action":"status","status":7}]"#).is_err());
        assert!(parse_faults(b"nope").is_err());
    }
}
