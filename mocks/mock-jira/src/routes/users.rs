//! Server info, the current user, and user look-ups.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::{Ctx, DEFAULT_PAGE, Params, base_url, jira_error};
use crate::Deployment;
use crate::model::User;
use crate::render::{Renderer, timestamp};
use crate::state::ME;

/// `GET /serverInfo`: `deploymentType` is `Cloud` or `Server` depending on how the mock runs.
pub(crate) async fn server_info(State(ctx): State<Ctx>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let (deployment, version, numbers, build) = match ctx.jira.options().deployment {
        Deployment::Cloud => ("Cloud", "1001.0.0-SNAPSHOT", [1001, 0, 0], 100_272),
        Deployment::DataCenter => ("Server", "9.12.2", [9, 12, 2], 9_120_002),
    };
    Json(json!({
        "baseUrl": base,
        "version": version,
        "versionNumbers": numbers,
        "deploymentType": deployment,
        "buildNumber": build,
        "buildDate": "2025-01-15T00:00:00.000+0000",
        "serverTime": timestamp(Utc::now()),
        "scmInfo": "5330f7d9b6410d68235d4366868d44403ee65a1a",
        "serverTitle": "Mock Jira",
        "defaultLocale": {"locale": "en_US"},
        "serverTimeZone": "Etc/UTC",
    }))
}

/// `GET /myself`.
pub(crate) async fn myself(State(ctx): State<Ctx>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let mut me = renderer.user(&store.users[ME]);
        me["locale"] = json!("en_US");
        me["groups"] = json!({"size": 2, "items": []});
        me["applicationRoles"] = json!({"size": 1, "items": []});
        Json(me)
    })
}

/// `GET /user?accountId=` (v3) or `?username=` / `?key=` (v2).
pub(crate) async fn user(State(ctx): State<Ctx>, uri: Uri, headers: HeaderMap) -> Response {
    let params = Params::parse(uri.query());
    let Some(wanted) = ["accountId", "username", "key"]
        .iter()
        .find_map(|name| params.get(name))
    else {
        return jira_error(
            StatusCode::BAD_REQUEST,
            "The 'accountId' query parameter needs to be provided.",
        );
    };
    let base = base_url(&headers);
    ctx.jira.with(|store| match store.find_user(wanted) {
        Some(index) => {
            let renderer = Renderer {
                api: ctx.api,
                base: &base,
                store,
            };
            Json(renderer.user(&store.users[index])).into_response()
        }
        None => jira_error(
            StatusCode::NOT_FOUND,
            &format!("The user with account ID '{wanted}' does not exist"),
        ),
    })
}

/// Whether `user` matches a user-search string: a prefix of the display name (or one of its
/// words), the e-mail address or the user name.
fn user_matches(user: &User, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    if query.is_empty() || query == "." {
        return true;
    }
    let display = user.display_name.to_lowercase();
    display.starts_with(&query)
        || display.split_whitespace().any(|w| w.starts_with(&query))
        || user.email.to_lowercase().starts_with(&query)
        || user.name.to_lowercase().starts_with(&query)
        || user.account_id == query
}

fn user_page(
    ctx: &Ctx,
    headers: &HeaderMap,
    params: &Params,
    query: &str,
    only_active: bool,
) -> Response {
    let start_at = match params.number("startAt", 0) {
        Ok(n) => n,
        Err(error) => return error.into_response(),
    };
    let max_results = match params.number("maxResults", DEFAULT_PAGE) {
        Ok(n) => n.min(1000),
        Err(error) => return error.into_response(),
    };
    let base = base_url(headers);
    ctx.jira.with(|store| {
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let users: Vec<Value> = store
            .users
            .iter()
            .filter(|u| (!only_active || u.active) && user_matches(u, query))
            .skip(start_at)
            .take(max_results)
            .map(|u| renderer.user(u))
            .collect();
        Json(Value::Array(users)).into_response()
    })
}

/// `GET /user/search?query=` (v3; v2 also takes `username=`).
pub(crate) async fn search(State(ctx): State<Ctx>, uri: Uri, headers: HeaderMap) -> Response {
    let params = Params::parse(uri.query());
    let query = params
        .get("query")
        .or_else(|| params.get("username"))
        .or_else(|| params.get("accountId"));
    let Some(query) = query else {
        return jira_error(
            StatusCode::BAD_REQUEST,
            "One of 'query' or 'accountId' query parameters needs to be provided.",
        );
    };
    let only_active = params.get("includeInactive") != Some("true");
    user_page(&ctx, &headers, &params, query, only_active)
}

/// `GET /user/assignable/search?project=KEY|issueKey=KEY-1[&query=]`: active users.
pub(crate) async fn assignable(State(ctx): State<Ctx>, uri: Uri, headers: HeaderMap) -> Response {
    let params = Params::parse(uri.query());
    let known = ctx.jira.with(|store| {
        params
            .get("project")
            .map(|p| store.find_project(p).is_some())
            .or_else(|| {
                params
                    .get("issueKey")
                    .map(|k| store.find_issue(k).is_some())
            })
    });
    match known {
        None => jira_error(
            StatusCode::BAD_REQUEST,
            "A project, issue key or issue ID must be provided.",
        ),
        Some(false) => jira_error(StatusCode::NOT_FOUND, "The project or issue was not found."),
        Some(true) => {
            let query = params
                .get("query")
                .or_else(|| params.get("username"))
                .unwrap_or("")
                .to_owned();
            user_page(&ctx, &headers, &params, &query, true)
        }
    }
}
