//! Pull requests: list, get (also as a diff), create, update, files, reviews and merge.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::{Value, json};

use super::issues::sort_issues;
use super::render;
use super::{ApiError, ApiResult, Ctx, created, json_object, ok, paged};
use crate::diff;
use crate::model::{Commit, Issue, Pull, Review, Role, sha_of};

type PullPath = Path<(String, String, u64)>;

/// GitHub lists at most this many files of a pull request.
const MAX_LISTED_FILES: usize = 3_000;

fn the_pull(issue: Option<&Issue>) -> Result<(&Issue, &Pull), ApiError> {
    issue
        .and_then(|i| i.pull.as_ref().map(|p| (i, p)))
        .ok_or_else(ApiError::not_found)
}

pub(super) async fn list(ctx: Ctx, Path((owner, name)): Path<(String, String)>) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let state = ctx.params.get("state").unwrap_or("open");
        if !matches!(state, "open" | "closed" | "all") {
            return Err(ApiError::validation("PullRequest", "state", "invalid"));
        }
        let head = ctx
            .params
            .get("head")
            .map(|h| h.split_once(':').map_or(h, |(_, b)| b));
        let base = ctx.params.get("base");
        let mut pulls: Vec<&Issue> = repo
            .issues
            .iter()
            .filter(|i| i.pull.is_some())
            .filter(|i| state == "all" || i.state == state)
            .filter(|i| {
                let pull = i.pull.as_ref();
                head.is_none_or(|h| pull.is_some_and(|p| p.head_ref == h))
                    && base.is_none_or(|b| pull.is_some_and(|p| p.base_ref == b))
            })
            .collect();
        sort_issues(&ctx, &mut pulls);
        let (page, link) = ctx.page(pulls);
        let body: Vec<Value> = page
            .into_iter()
            .map(|i| render::pull(&ctx.urls, w, repo, i, false))
            .collect();
        Ok(paged(Value::Array(body), link))
    })
}

pub(super) async fn get(ctx: Ctx, Path((owner, name, number)): PullPath) -> ApiResult {
    let diff_type = if ctx.accept.contains("diff") {
        Some("diff")
    } else if ctx.accept.contains("patch") {
        Some("patch")
    } else {
        None
    };
    ctx.read(&owner, &name, |w, repo, _| {
        let (issue, pull) = the_pull(repo.issue(number))?;
        let Some(kind) = diff_type else {
            return ok(render::pull(&ctx.urls, w, repo, issue, true));
        };
        let options = ctx.gh.options();
        let lines = pull.additions() + pull.deletions();
        let too_large = if options.max_diff_files > 0 && pull.files.len() > options.max_diff_files {
            Some(format!("files ({})", options.max_diff_files))
        } else if options.max_diff_lines > 0 && lines > options.max_diff_lines {
            Some(format!("lines ({})", options.max_diff_lines))
        } else {
            None
        };
        if let Some(what) = too_large {
            return Err(ApiError::from_parts(
                StatusCode::NOT_ACCEPTABLE,
                json!({
                    "message": format!("Sorry, the diff exceeded the maximum number of {what}. Consider using 'List pull requests files' API or locally cloning the repository instead."),
                    "errors": [{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
                    "documentation_url": "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files",
                }),
            ));
        }
        let mut text = String::new();
        if kind == "patch" {
            let author = w.user(&issue.user);
            text.push_str(&format!(
                "From {} Mon Sep 17 00:00:00 2001\nFrom: {} <{}>\nDate: {}\nSubject: [PATCH] {}\n\n---\n",
                pull.head_sha,
                author.map_or(issue.user.as_str(), |u| u.name.as_str()),
                author.and_then(|u| u.email.clone()).unwrap_or_default(),
                issue.created_at.to_rfc2822(),
                issue.title
            ));
        }
        text.push_str(&diff::unified(&pull.files));
        let mut response = text.into_response();
        let content_type = format!("application/vnd.github.{kind}; charset=utf-8");
        if let Ok(value) = HeaderValue::from_str(&content_type) {
            response.headers_mut().insert(CONTENT_TYPE, value);
        }
        Ok(response)
    })
}

fn branch_name(value: Option<&Value>, field: &str) -> Result<String, ApiError> {
    match value.and_then(Value::as_str).map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.split_once(':').map_or(v, |(_, b)| b).to_owned()),
        _ => Err(ApiError::validation("PullRequest", field, "missing_field")),
    }
}

fn custom(message: &str) -> ApiError {
    ApiError::invalid(&[json!({"resource": "PullRequest", "code": "custom", "message": message})])
}

pub(super) async fn create(
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, _| {
        let title = match body.get("title").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() => t.to_owned(),
            _ => {
                return Err(ApiError::validation(
                    "PullRequest",
                    "title",
                    "missing_field",
                ));
            }
        };
        let head = branch_name(body.get("head"), "head")?;
        let base = branch_name(body.get("base"), "base")?;
        let repo = &w.repos[index];
        let Some(head_branch) = repo.branches.get(&head) else {
            return Err(ApiError::validation("PullRequest", "head", "invalid"));
        };
        let Some(base_branch) = repo.branches.get(&base) else {
            return Err(ApiError::validation("PullRequest", "base", "invalid"));
        };
        let files = diff::changes(&base_branch.files, &head_branch.files);
        if files.is_empty() {
            return Err(custom(&format!("No commits between {base} and {head}")));
        }
        let duplicate = repo.issues.iter().any(|i| {
            i.state == "open"
                && i.pull
                    .as_ref()
                    .is_some_and(|p| p.head_ref == head && p.base_ref == base)
        });
        if duplicate {
            return Err(custom(&format!(
                "A pull request already exists for {}:{head}.",
                repo.owner
            )));
        }
        let pull = Pull {
            head_ref: head.clone(),
            base_ref: base.clone(),
            head_sha: head_branch.head(),
            base_sha: base_branch.head(),
            draft: body.get("draft").and_then(Value::as_bool).unwrap_or(false),
            merged: false,
            merged_at: None,
            merged_by: None,
            merge_commit_sha: Some(sha_of(&format!("{}:test-merge:{head}", repo.name))),
            mergeable: Some(true),
            maintainer_can_modify: body
                .get("maintainer_can_modify")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            commits: head_branch
                .commits
                .iter()
                .take_while(|c| !base_branch.commits.iter().any(|b| b.sha == c.sha))
                .count()
                .max(1),
            files,
            reviews: Vec::new(),
        };
        let number = repo.next_number();
        let id = w.id();
        let now = Utc::now();
        w.repos[index].issues.push(Issue {
            id,
            number,
            title,
            body: body.get("body").and_then(Value::as_str).map(str::to_owned),
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
            pull: Some(pull),
        });
        let repo = &w.repos[index];
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        created(render::pull(&ctx.urls, w, repo, issue, true))
    })
}

pub(super) async fn update(
    ctx: Ctx,
    Path((owner, name, number)): PullPath,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, role| {
        let repo = &w.repos[index];
        let (issue, pull) = the_pull(repo.issue(number))?;
        if role < Role::Write && issue.user != ctx.caller.login {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Must have push access to update this pull request.",
            ));
        }
        let title = match body.get("title") {
            None => None,
            Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
            Some(_) => {
                return Err(ApiError::validation(
                    "PullRequest",
                    "title",
                    "missing_field",
                ));
            }
        };
        let state = match body.get("state") {
            None => None,
            Some(Value::String(s)) if s == "open" || s == "closed" => Some(s.clone()),
            Some(_) => return Err(ApiError::validation("PullRequest", "state", "invalid")),
        };
        if state.as_deref() == Some("open") && pull.merged {
            return Err(custom("Cannot reopen a merged pull request"));
        }
        let base = match body.get("base") {
            None => None,
            Some(value) => {
                let base = branch_name(Some(value), "base")?;
                if !repo.branches.contains_key(&base) {
                    return Err(ApiError::validation("PullRequest", "base", "invalid"));
                }
                Some(base)
            }
        };
        let base_files = base.as_ref().map(|b| {
            let head_files = &repo.branches[&pull.head_ref].files;
            let base_branch = &repo.branches[b];
            (
                diff::changes(&base_branch.files, head_files),
                base_branch.head(),
            )
        });
        let now = Utc::now();
        let login = ctx.caller.login.clone();
        let issue = w.repos[index]
            .issue_mut(number)
            .ok_or_else(ApiError::not_found)?;
        if let Some(title) = title {
            issue.title = title;
        }
        if let Some(text) = body.get("body") {
            issue.body = text.as_str().map(str::to_owned);
        }
        if let Some(state) = state
            && state != issue.state
        {
            issue.closed_at = (state == "closed").then_some(now);
            issue.closed_by = (state == "closed").then(|| login.clone());
            issue.state = state;
        }
        if let Some(pull) = issue.pull.as_mut() {
            if let (Some(base), Some((files, base_sha))) = (base, base_files) {
                pull.base_ref = base;
                pull.base_sha = base_sha;
                pull.files = files;
            }
            if let Some(flag) = body.get("maintainer_can_modify").and_then(Value::as_bool) {
                pull.maintainer_can_modify = flag;
            }
        }
        issue.updated_at = now;
        let repo = &w.repos[index];
        let issue = repo.issue(number).ok_or_else(ApiError::not_found)?;
        ok(render::pull(&ctx.urls, w, repo, issue, true))
    })
}

pub(super) async fn files(ctx: Ctx, Path((owner, name, number)): PullPath) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let (_, pull) = the_pull(repo.issue(number))?;
        let listed: Vec<_> = pull.files.iter().take(MAX_LISTED_FILES).collect();
        let (page, link) = ctx.page(listed);
        let body: Vec<Value> = page
            .into_iter()
            .map(|f| render::file(&ctx.urls, repo, &pull.head_sha, f))
            .collect();
        Ok(paged(Value::Array(body), link))
    })
}

pub(super) async fn reviews(ctx: Ctx, Path((owner, name, number)): PullPath) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let (_, pull) = the_pull(repo.issue(number))?;
        let (page, link) = ctx.page(pull.reviews.iter().collect());
        let body: Vec<Value> = page
            .into_iter()
            .map(|r| render::review(&ctx.urls, w, repo, number, r))
            .collect();
        Ok(paged(Value::Array(body), link))
    })
}

pub(super) async fn create_review(
    ctx: Ctx,
    Path((owner, name, number)): PullPath,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, _| {
        let repo = &w.repos[index];
        let (issue, pull) = the_pull(repo.issue(number))?;
        let text = body
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let state = match body.get("event").and_then(Value::as_str) {
            None | Some("") => "PENDING",
            Some("APPROVE") => "APPROVED",
            Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
            Some("COMMENT") => "COMMENTED",
            Some(_) => {
                return Err(ApiError::validation(
                    "PullRequestReview",
                    "event",
                    "invalid",
                ));
            }
        };
        let own = issue.user == ctx.caller.login;
        if own && state == "APPROVED" {
            return Err(ApiError::unprocessable(&[
                "Review Can not approve your own pull request",
            ]));
        }
        if own && state == "CHANGES_REQUESTED" {
            return Err(ApiError::unprocessable(&[
                "Review Can not request changes on your own pull request",
            ]));
        }
        if matches!(state, "CHANGES_REQUESTED" | "COMMENTED") && text.trim().is_empty() {
            return Err(ApiError::unprocessable(&["Review body is required"]));
        }
        if state == "PENDING"
            && pull
                .reviews
                .iter()
                .any(|r| r.state == "PENDING" && r.user == ctx.caller.login)
        {
            return Err(ApiError::unprocessable(&[
                "User can only have one pending review per pull request",
            ]));
        }
        let commit_id = body
            .get("commit_id")
            .and_then(Value::as_str)
            .map_or_else(|| pull.head_sha.clone(), str::to_owned);
        let review = Review {
            id: w.id(),
            user: ctx.caller.login.clone(),
            body: text,
            state,
            commit_id,
            submitted_at: (state != "PENDING").then(Utc::now),
        };
        let issue = w.repos[index]
            .issue_mut(number)
            .ok_or_else(ApiError::not_found)?;
        if let Some(pull) = issue.pull.as_mut() {
            pull.reviews.push(review.clone());
        }
        issue.updated_at = Utc::now();
        ok(render::review(
            &ctx.urls,
            w,
            &w.repos[index],
            number,
            &review,
        ))
    })
}

pub(super) async fn is_merged(ctx: Ctx, Path((owner, name, number)): PullPath) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let (_, pull) = the_pull(repo.issue(number))?;
        if pull.merged {
            Ok(StatusCode::NO_CONTENT.into_response())
        } else {
            Err(ApiError::not_found())
        }
    })
}

fn not_mergeable(message: &str) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, message)
}

pub(super) async fn merge(
    ctx: Ctx,
    Path((owner, name, number)): PullPath,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, role| {
        let repo = &w.repos[index];
        let (issue, pull) = the_pull(repo.issue(number))?;
        if role < Role::Write {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Must have write access to merge this pull request.",
            ));
        }
        let method = body
            .get("merge_method")
            .and_then(Value::as_str)
            .unwrap_or("merge");
        if !matches!(method, "merge" | "squash" | "rebase") {
            return Err(ApiError::validation(
                "PullRequest",
                "merge_method",
                "invalid",
            ));
        }
        if pull.merged || issue.state != "open" {
            return Err(not_mergeable("Pull Request is not mergeable"));
        }
        if let Some(sha) = body.get("sha").and_then(Value::as_str)
            && sha != pull.head_sha
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Head branch was modified. Review and try the merge again.",
            ));
        }
        if pull.draft {
            return Err(not_mergeable("Pull Request is still a draft"));
        }
        if pull.mergeable != Some(true) {
            return Err(not_mergeable("Pull Request is not mergeable"));
        }
        let title = body
            .get("commit_title")
            .and_then(Value::as_str)
            .map_or_else(
                || {
                    if method == "squash" {
                        format!("{} (#{number})", issue.title)
                    } else {
                        format!(
                            "Merge pull request #{number} from {}/{}",
                            repo.owner, pull.head_ref
                        )
                    }
                },
                str::to_owned,
            );
        let head_files = repo.branches[&pull.head_ref].files.clone();
        let changed: Vec<String> = pull.files.iter().map(|f| f.filename.clone()).collect();
        let (base_ref, head_sha) = (pull.base_ref.clone(), pull.head_sha.clone());
        let now = Utc::now();
        let sha = sha_of(&format!(
            "{}:merged:{number}:{}",
            repo.name,
            now.timestamp_nanos_opt().unwrap_or_default()
        ));
        let login = ctx.caller.login.clone();

        let base = w.repos[index]
            .branches
            .get_mut(&base_ref)
            .ok_or_else(ApiError::not_found)?;
        for path in &changed {
            match head_files.get(path) {
                Some(text) => base.files.insert(path.clone(), text.clone()),
                None => base.files.remove(path),
            };
        }
        let mut parents = vec![base.head()];
        if method == "merge" {
            parents.push(head_sha);
        }
        base.commits.insert(
            0,
            Commit {
                sha: sha.clone(),
                message: title,
                author: login.clone(),
                date: now,
                parents,
                files: changed,
            },
        );
        let issue = w.repos[index]
            .issue_mut(number)
            .ok_or_else(ApiError::not_found)?;
        issue.state = "closed".to_owned();
        issue.closed_at = Some(now);
        issue.closed_by = Some(login.clone());
        issue.updated_at = now;
        if let Some(pull) = issue.pull.as_mut() {
            pull.merged = true;
            pull.merged_at = Some(now);
            pull.merged_by = Some(login);
            pull.merge_commit_sha = Some(sha.clone());
        }
        ok(json!({"sha": sha, "merged": true, "message": "Pull Request successfully merged"}))
    })
}
