//! Issue routes: get, create, edit, delete, assign, comments, transitions, properties.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Ctx, Params, base_url, issue_not_found, jira_error, json_body, rejected};
use crate::model;
use crate::render::{Expand, FieldSelection, Renderer};
use crate::write;

/// Default page size of the comment list (Jira documents 100 here).
const DEFAULT_COMMENT_PAGE: usize = 100;

pub(crate) async fn get(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(uri.query());
    let selection = FieldSelection::parse(&params.all("fields"), "*all");
    let expand = Expand::parse(&params.all("expand"));
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let mut issue = renderer.issue(&store.issues[index], &selection, expand);
        let wanted_properties = params.all("properties");
        if !wanted_properties.is_empty() {
            let all = wanted_properties.iter().any(|p| p == "*all");
            let properties: serde_json::Map<String, Value> = store.issues[index]
                .properties
                .iter()
                .filter(|(k, _)| {
                    all || wanted_properties
                        .iter()
                        .any(|w| w.split(',').any(|w| w == *k))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            issue["properties"] = Value::Object(properties);
        }
        Json(issue).into_response()
    })
}

pub(crate) async fn create(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let base = base_url(&headers);
    ctx.jira
        .with(|store| match write::create(store, ctx.api, &body) {
            Ok(index) => {
                let issue = &store.issues[index];
                tracing::info!(key = %issue.key, "issue created");
                (
                    StatusCode::CREATED,
                    Json(json!({
                        "id": issue.id.to_string(),
                        "key": issue.key,
                        "self": format!("{base}/rest/api/{}/issue/{}", ctx.api.number(), issue.id),
                    })),
                )
                    .into_response()
            }
            Err(refusal) => rejected(&refusal),
        })
}

pub(crate) async fn edit(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let params = Params::parse(uri.query());
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        if let Err(refusal) = write::edit(store, ctx.api, index, &body) {
            return rejected(&refusal);
        }
        if params.get("returnIssue") == Some("true") {
            let renderer = Renderer {
                api: ctx.api,
                base: &base,
                store,
            };
            let expand = Expand::parse(&params.all("expand"));
            let issue = renderer.issue(
                &store.issues[index],
                &FieldSelection::parse(&[], "*all"),
                expand,
            );
            return Json(issue).into_response();
        }
        StatusCode::NO_CONTENT.into_response()
    })
}

pub(crate) async fn delete(State(ctx): State<Ctx>, Path(key): Path<String>) -> Response {
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let removed = store.issues.remove(index);
        tracing::info!(key = %removed.key, "issue deleted");
        StatusCode::NO_CONTENT.into_response()
    })
}

pub(crate) async fn assign(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        match write::assign(store, index, &body) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(refusal) => rejected(&refusal),
        }
    })
}

pub(crate) async fn comments(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(uri.query());
    let start_at = match params.number("startAt", 0) {
        Ok(n) => n,
        Err(error) => return error.into_response(),
    };
    let max_results = match params.number("maxResults", DEFAULT_COMMENT_PAGE) {
        Ok(n) => n.min(5000),
        Err(error) => return error.into_response(),
    };
    let newest_first = match params.get("orderBy") {
        None | Some("created" | "+created") => false,
        Some("-created") => true,
        Some(other) => {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "The value '{other}' is not supported for orderBy. Use 'created', '+created' or '-created'."
                ),
            );
        }
    };
    let rendered = params
        .all("expand")
        .iter()
        .any(|e| e.split(',').any(|e| e == "renderedBody"));
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let issue = &store.issues[index];
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let mut ordered: Vec<_> = issue.comments.iter().collect();
        ordered.sort_by_key(|c| (c.created, c.id));
        if newest_first {
            ordered.reverse();
        }
        let page: Vec<Value> = ordered
            .iter()
            .skip(start_at)
            .take(max_results)
            .map(|c| renderer.comment(issue, c, rendered))
            .collect();
        Json(json!({
            "startAt": start_at,
            "maxResults": max_results,
            "total": issue.comments.len(),
            "comments": page,
        }))
        .into_response()
    })
}

pub(crate) async fn add_comment(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        match write::add_comment(store, ctx.api, index, &body) {
            Ok(position) => {
                let renderer = Renderer {
                    api: ctx.api,
                    base: &base,
                    store,
                };
                let issue = &store.issues[index];
                let comment = renderer.comment(issue, &issue.comments[position], false);
                (StatusCode::CREATED, Json(comment)).into_response()
            }
            Err(refusal) => rejected(&refusal),
        }
    })
}

fn comment_not_found(id: &str) -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        &format!("Can not find a comment for the id: {id}."),
    )
}

pub(crate) async fn comment(
    State(ctx): State<Ctx>,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let issue = &store.issues[index];
        let Some(comment) = issue.comments.iter().find(|c| c.id.to_string() == id) else {
            return comment_not_found(&id);
        };
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        Json(renderer.comment(issue, comment, false)).into_response()
    })
}

pub(crate) async fn delete_comment(
    State(ctx): State<Ctx>,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let comments = &mut store.issues[index].comments;
        let Some(position) = comments.iter().position(|c| c.id.to_string() == id) else {
            return comment_not_found(&id);
        };
        comments.remove(position);
        StatusCode::NO_CONTENT.into_response()
    })
}

pub(crate) async fn transitions(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let renderer = Renderer {
            api: ctx.api,
            base: &base,
            store,
        };
        let transitions: Vec<Value> = model::transitions_from(store.issues[index].status)
            .map(|t| {
                let mut out = renderer.transition(t);
                if t.to == model::DONE {
                    let allowed: Vec<Value> = model::RESOLUTIONS
                        .iter()
                        .map(|r| renderer.resolution(Some(r.id)))
                        .collect();
                    out["fields"] = json!({
                        "resolution": {
                            "required": false,
                            "schema": {"type": "resolution", "system": "resolution"},
                            "name": "Resolution",
                            "key": "resolution",
                            "operations": ["set"],
                            "allowedValues": allowed,
                        }
                    });
                }
                out
            })
            .collect();
        Json(json!({"expand": "transitions", "transitions": transitions})).into_response()
    })
}

pub(crate) async fn transition(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        match write::transition(store, ctx.api, index, &body) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(refusal) => rejected(&refusal),
        }
    })
}

pub(crate) async fn property_keys(
    State(ctx): State<Ctx>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&headers);
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let issue = &store.issues[index];
        let keys: Vec<Value> = issue
            .properties
            .keys()
            .map(|k| {
                json!({
                    "key": k,
                    "self": format!("{base}/rest/api/{}/issue/{}/properties/{k}", ctx.api.number(), issue.id),
                })
            })
            .collect();
        Json(json!({"keys": keys})).into_response()
    })
}

pub(crate) async fn property(
    State(ctx): State<Ctx>,
    Path((key, property)): Path<(String, String)>,
) -> Response {
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        match store.issues[index].properties.get(&property) {
            Some(value) => Json(json!({"key": property, "value": value})).into_response(),
            None => jira_error(
                StatusCode::NOT_FOUND,
                &format!("The property with key '{property}' does not exist."),
            ),
        }
    })
}

pub(crate) async fn set_property(
    State(ctx): State<Ctx>,
    Path((key, property)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let value = match json_body(&body) {
        Ok(value) => value,
        Err(error) => return error.into_response(),
    };
    if property.is_empty() || property.len() > 255 {
        return jira_error(
            StatusCode::BAD_REQUEST,
            "The property key must be between 1 and 255 characters long.",
        );
    }
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        let previous = store.issues[index].properties.insert(property, value);
        if previous.is_some() {
            StatusCode::OK.into_response()
        } else {
            StatusCode::CREATED.into_response()
        }
    })
}

pub(crate) async fn delete_property(
    State(ctx): State<Ctx>,
    Path((key, property)): Path<(String, String)>,
) -> Response {
    ctx.jira.with(|store| {
        let Some(index) = store.find_issue(&key) else {
            return issue_not_found();
        };
        match store.issues[index].properties.remove(&property) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => jira_error(
                StatusCode::NOT_FOUND,
                &format!("The property with key '{property}' does not exist."),
            ),
        }
    })
}
