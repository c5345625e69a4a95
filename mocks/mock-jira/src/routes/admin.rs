//! Jira-specific admin routes (the shared ones come from `mock_kit`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::state::MockJira;

pub(crate) fn router(jira: MockJira) -> Router {
    Router::new()
        .route("/__admin/issues", get(issues))
        .route("/__admin/throttle", post(throttle))
        .with_state(jira)
}

/// `GET /__admin/issues`: every issue in the compact shape.
async fn issues(State(jira): State<MockJira>) -> Response {
    Json(jira.issues()).into_response()
}

#[derive(Debug, Deserialize)]
struct Throttle {
    #[serde(default = "one")]
    times: u32,
    #[serde(default = "zero")]
    retry_after: String,
}

fn one() -> u32 {
    1
}

fn zero() -> String {
    "0".to_owned()
}

/// `POST /__admin/throttle {"times": 1, "retry_after": "0"}`: the next API requests answer
/// 429 with Jira's rate-limit headers.
async fn throttle(State(jira): State<MockJira>, body: Bytes) -> Response {
    let request: Throttle = if body.iter().all(u8::is_ascii_whitespace) {
        Throttle {
            times: one(),
            retry_after: zero(),
        }
    } else {
        match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(err) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": format!("invalid throttle request: {err}")})),
                )
                    .into_response();
            }
        }
    };
    jira.throttle_next(request.times, &request.retry_after);
    (StatusCode::CREATED, Json(json!({"queued": request.times}))).into_response()
}
