//! GitHub-specific admin routes (the kit adds faults, the request log and reset).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::MockGitHub;

pub(super) fn router(gh: MockGitHub) -> Router {
    Router::new()
        .route("/__admin/state", get(state))
        .route("/__admin/tokens/revoke", post(revoke))
        .route("/__admin/secondary-limit", post(secondary_limit))
        .route(
            "/__admin/runs/{owner}/{repo}/{run}/complete",
            post(complete_run),
        )
        .with_state(gh)
}

async fn state(State(gh): State<MockGitHub>) -> Json<Value> {
    Json(gh.summary())
}

#[derive(Debug, Deserialize)]
struct Revoke {
    token: String,
}

async fn revoke(State(gh): State<MockGitHub>, Json(body): Json<Revoke>) -> StatusCode {
    gh.revoke_token(&body.token);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct SecondaryLimit {
    #[serde(default = "one")]
    times: u32,
    #[serde(default = "one_second")]
    retry_after: u64,
}

fn one() -> u32 {
    1
}

fn one_second() -> u64 {
    1
}

async fn secondary_limit(
    State(gh): State<MockGitHub>,
    Json(body): Json<SecondaryLimit>,
) -> StatusCode {
    gh.force_secondary_limit(body.times, body.retry_after);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct Complete {
    #[serde(default = "success")]
    conclusion: String,
}

fn success() -> String {
    "success".to_owned()
}

async fn complete_run(
    State(gh): State<MockGitHub>,
    Path((owner, repo, run)): Path<(String, String, u64)>,
    Json(body): Json<Complete>,
) -> Response {
    if gh.complete_run(&owner, &repo, run, &body.conclusion) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
    }
}
