//! Issues (which include pull requests, like on GitHub) and their comments.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::render;
use super::{ApiError, ApiResult, Ctx, created, json_object, ok, paged};
use crate::model::{Comment, Issue, Label, Repo, Role, World};

type IssuePath = Path<(String, String, u64)>;

/// Orders issues by `sort` (`created`, `updated`, `comments`) and `direction`.
pub(super) fn sort_issues(ctx: &Ctx, issues: &mut [&Issue]) {
    match ctx.params.get("sort").unwrap_or("created") {
        "updated" => issues.sort_by_key(|i| (i.updated_at, i.number)),
        "comments" => issues.sort_by_key(|i| (i.comments.len(), i.number)),
        _ => issues.sort_by_key(|i| (i.created_at, i.number)),
    }
    if ctx.params.get("direction") != Some("asc") {
        issues.reverse();
    }
}

fn since(ctx: &Ctx) -> Result<Option<DateTime<Utc>>, ApiError> {
    ctx.params
        .get("since")
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::validation("Issue", "since", "invalid"))
        })
        .transpose()
}

pub(super) async fn list(ctx: Ctx, Path((owner, name)): Path<(String, String)>) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let state = ctx.params.get("state").unwrap_or("open");
        if !matches!(state, "open" | "closed" | "all") {
            return Err(ApiError::validation("Issue", "state", "invalid"));
        }
        let labels: Vec<&str> = ctx
            .params
            .get("labels")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let assignee = ctx.params.get("assignee");
        let creator = ctx.params.get("creator");
        let milestone = ctx.params.get("milestone");
        let since = since(&ctx)?;
        let mut issues: Vec<&Issue> = repo
            .issues
            .iter()
            .filter(|i| state == "all" || i.state == state)
            .filter(|i| {
                labels
                    .iter()
                    .all(|l| i.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))
            })
            .filter(|i| match assignee {
                None => true,
                Some("none") => i.assignees.is_empty(),
                Some("*") => !i.assignees.is_empty(),
                Some(login) => i.assignees.iter().any(|a| a.eq_ignore_ascii_case(login)),
            })
            .filter(|i| creator.is_none_or(|c| i.user.eq_ignore_ascii_case(c)))
            .filter(|i| match milestone {
                None => true,
                Some("none") => i.milestone.is_none(),
                Some("*") => i.milestone.is_some(),
                Some(n) => i.milestone.map(|m| m.to_string()).as_deref() == Some(n),
            })
            .filter(|i| since.is_none_or(|s| i.updated_at >= s))
            .collect();
        sort_issues(&ctx, &mut issues);
        let (page, link) = ctx.page(issues);
        let body: Vec<Value> = page
            .into_iter()
            .map(|i| render::issue(&ctx.urls, w, repo, i))
            .collect();
        Ok(paged(Value::Array(body), link))
    })
}

pub(super) async fn get(ctx: Ctx, Path((owner, name, number)): IssuePath) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        ok(render::issue(&ctx.urls, w, repo, issue))
    })
}

/// A list of names from `["a", "b"]` or `[{"name": "a"}]`.
fn names(value: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    let Some(items) = value.as_array() else {
        return Err(ApiError::validation("Issue", field, "invalid"));
    };
    items
        .iter()
        .map(|item| {
            item.as_str()
                .or_else(|| item.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .ok_or_else(|| ApiError::validation("Issue", field, "invalid"))
        })
        .collect()
}

/// The fields a create or update may set, validated against the repository.
#[derive(Debug, Default)]
struct IssueFields {
    title: Option<String>,
    body: Option<Option<String>>,
    state: Option<String>,
    state_reason: Option<Option<String>>,
    labels: Option<Vec<String>>,
    assignees: Option<Vec<String>>,
    milestone: Option<Option<u64>>,
}

fn parse_fields(
    world: &World,
    repo: &Repo,
    gh: &crate::state::MockGitHub,
    body: &Map<String, Value>,
) -> Result<IssueFields, ApiError> {
    let mut fields = IssueFields::default();
    if let Some(title) = body.get("title") {
        match title {
            Value::String(t) if !t.trim().is_empty() => fields.title = Some(t.clone()),
            Value::Number(n) => fields.title = Some(n.to_string()),
            _ => return Err(ApiError::validation("Issue", "title", "missing_field")),
        }
    }
    if let Some(text) = body.get("body") {
        fields.body = Some(match text {
            Value::Null => None,
            Value::String(t) => Some(t.clone()),
            _ => return Err(ApiError::validation("Issue", "body", "invalid")),
        });
    }
    if let Some(state) = body.get("state") {
        match state.as_str() {
            Some(s @ ("open" | "closed")) => fields.state = Some(s.to_owned()),
            _ => return Err(ApiError::validation("Issue", "state", "invalid")),
        }
    }
    if let Some(reason) = body.get("state_reason") {
        fields.state_reason = Some(match reason.as_str() {
            None if reason.is_null() => None,
            Some(r @ ("completed" | "not_planned" | "reopened" | "duplicate")) => {
                Some(r.to_owned())
            }
            _ => return Err(ApiError::validation("Issue", "state_reason", "invalid")),
        });
    }
    if let Some(labels) = body.get("labels") {
        fields.labels = Some(names(labels, "labels")?);
    }
    let mut assignees = match body.get("assignees") {
        Some(value) => Some(names(value, "assignees")?),
        None => None,
    };
    if let Some(Value::String(one)) = body.get("assignee") {
        assignees.get_or_insert_with(Vec::new).push(one.clone());
    }
    if let Some(assignees) = &assignees {
        for login in assignees {
            let assignable = world.user(login).is_some_and(|u| {
                u.kind == "User" && gh.role(world, &repo.owner, &repo.name, &u.login).is_some()
            });
            if !assignable {
                return Err(ApiError::invalid(&[json!({
                    "resource": "Issue", "field": "assignees", "code": "invalid", "value": login,
                })]));
            }
        }
    }
    fields.assignees = assignees;
    if let Some(milestone) = body.get("milestone") {
        fields.milestone = Some(match milestone {
            Value::Null => None,
            value => {
                let number = value
                    .as_u64()
                    .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                    .filter(|n| repo.milestones.iter().any(|m| m.number == *n))
                    .ok_or_else(|| ApiError::validation("Issue", "milestone", "invalid"))?;
                Some(number)
            }
        });
    }
    Ok(fields)
}

/// Creates the labels that do not exist yet, like GitHub does on issue writes.
fn ensure_labels(world: &mut World, index: usize, labels: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for name in labels {
        let existing = world.repos[index]
            .labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
            .map(|l| l.name.clone());
        let name = match existing {
            Some(name) => name,
            None => {
                let id = world.id();
                world.repos[index].labels.push(Label {
                    id,
                    name: name.clone(),
                    color: "ededed".to_owned(),
                    description: String::new(),
                });
                name.clone()
            }
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Applies validated fields to an issue. Without triage rights, labels, assignees and
/// milestone are silently dropped (GitHub's behaviour).
fn apply(
    world: &mut World,
    index: usize,
    number: u64,
    fields: IssueFields,
    role: Role,
    login: &str,
) {
    let labels = fields
        .labels
        .filter(|_| role >= Role::Triage)
        .map(|l| ensure_labels(world, index, &l));
    let now = Utc::now();
    let Some(issue) = world.repos[index].issue_mut(number) else {
        return;
    };
    if let Some(title) = fields.title {
        issue.title = title;
    }
    if let Some(body) = fields.body {
        issue.body = body;
    }
    if let Some(state) = fields.state
        && state != issue.state
    {
        if state == "closed" {
            issue.closed_at = Some(now);
            issue.closed_by = Some(login.to_owned());
            issue.state_reason = Some("completed".to_owned());
        } else {
            issue.closed_at = None;
            issue.closed_by = None;
            issue.state_reason = Some("reopened".to_owned());
        }
        issue.state = state;
    }
    if let Some(reason) = fields.state_reason {
        issue.state_reason = reason;
    }
    if role >= Role::Triage {
        if let Some(labels) = labels {
            issue.labels = labels;
        }
        if let Some(mut assignees) = fields.assignees {
            assignees.dedup();
            issue.assignees = assignees;
        }
        if let Some(milestone) = fields.milestone {
            issue.milestone = milestone;
        }
    }
    issue.updated_at = now;
}

pub(super) async fn create(
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, role| {
        if !body.contains_key("title") {
            return Err(ApiError::validation("Issue", "title", "missing_field"));
        }
        let fields = parse_fields(w, &w.repos[index], &ctx.gh, &body)?;
        let now = Utc::now();
        let id = w.id();
        let number = w.repos[index].next_number();
        w.repos[index].issues.push(Issue {
            id,
            number,
            title: String::new(),
            body: None,
            user: ctx.caller.login.clone(),
            state: "open".to_owned(),
            state_reason: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            milestone: None,
            locked: false,
            comments: Vec::new(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            closed_by: None,
            pull: None,
        });
        let fields = IssueFields {
            state: None,
            state_reason: None,
            ..fields
        };
        apply(w, index, number, fields, role, &ctx.caller.login);
        let repo = &w.repos[index];
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        let mut response = created(render::issue(&ctx.urls, w, repo, issue))?;
        if let Ok(location) = axum::http::HeaderValue::from_str(&format!(
            "{}/repos/{}/issues/{number}",
            ctx.urls.api,
            repo.full_name()
        )) {
            response.headers_mut().insert("location", location);
        }
        Ok(response)
    })
}

pub(super) async fn update(
    ctx: Ctx,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, role| {
        let issue = w.repos[index]
            .issue(number)
            .ok_or_else(ApiError::not_found)?;
        if role < Role::Triage && issue.user != ctx.caller.login {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "You must have triage access or be the author to update this issue.",
            ));
        }
        let fields = parse_fields(w, &w.repos[index], &ctx.gh, &body)?;
        apply(w, index, number, fields, role, &ctx.caller.login);
        let repo = &w.repos[index];
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        ok(render::issue(&ctx.urls, w, repo, issue))
    })
}

pub(super) async fn comments(ctx: Ctx, Path((owner, name, number)): IssuePath) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        let since = since(&ctx)?;
        let list: Vec<&Comment> = issue
            .comments
            .iter()
            .filter(|c| since.is_none_or(|s| c.updated_at >= s))
            .collect();
        let (page, link) = ctx.page(list);
        let body: Vec<Value> = page
            .into_iter()
            .map(|c| render::comment(&ctx.urls, w, repo, issue, c))
            .collect();
        Ok(paged(Value::Array(body), link))
    })
}

pub(super) async fn add_comment(
    ctx: Ctx,
    Path((owner, name, number)): IssuePath,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, role| {
        let text = match body.get("body") {
            Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
            _ => {
                return Err(ApiError::validation(
                    "IssueComment",
                    "body",
                    "missing_field",
                ));
            }
        };
        let issue = w.repos[index]
            .issue(number)
            .ok_or_else(ApiError::not_found)?;
        if issue.locked && role < Role::Write {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "Issue is locked"));
        }
        let id = w.id();
        let now = Utc::now();
        let comment = Comment {
            id,
            user: ctx.caller.login.clone(),
            body: text,
            created_at: now,
            updated_at: now,
        };
        let issue = w.repos[index]
            .issue_mut(number)
            .ok_or_else(ApiError::not_found)?;
        issue.comments.push(comment.clone());
        issue.updated_at = now;
        let repo = &w.repos[index];
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        created(render::comment(&ctx.urls, w, repo, issue, &comment))
    })
}
