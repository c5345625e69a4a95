//! Users, the App token exchange, repositories, contents, commits and commit checks.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::render::{self, time};
use super::{ApiError, ApiResult, Ctx, created, json_object, ok, paged};
use crate::model::{Repo, Run, sha_of};
use crate::state::{Resource, TokenKind};

type RepoPath = Path<(String, String)>;

pub(super) async fn authenticated_user(ctx: Ctx) -> ApiResult {
    if ctx.caller.kind != TokenKind::Pat {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        ));
    }
    ctx.gh.with(|w| {
        let user = w.user(&ctx.caller.login).ok_or_else(ApiError::not_found)?;
        ok(render::full_user(&ctx.urls, w, user, true))
    })
}

pub(super) async fn user(ctx: Ctx, Path(login): Path<String>) -> ApiResult {
    ctx.gh.with(|w| {
        let user = w.user(&login).ok_or_else(ApiError::not_found)?;
        ok(render::full_user(&ctx.urls, w, user, false))
    })
}

pub(super) async fn rate_limit(ctx: Ctx) -> ApiResult {
    let entry = |resource| {
        let s = ctx.gh.peek(&ctx.caller.key, resource);
        json!({"limit": s.limit, "used": s.used, "remaining": s.remaining, "reset": s.reset})
    };
    let core = entry(Resource::Core);
    ok(json!({
        "resources": {"core": core, "search": entry(Resource::Search)},
        "rate": core,
    }))
}

/// `POST /app/installations/{id}/access_tokens`: any well-formed JWT gets a token (valid an
/// hour, or `Options::installation_token_ttl`).
pub(super) async fn installation_token(
    ctx: Ctx,
    Path(installation): Path<String>,
    body: Bytes,
) -> ApiResult {
    let installation: u64 = installation.parse().map_err(|_| ApiError::not_found())?;
    let request = json_object(&body)?;
    let (token, expires) = ctx.gh.mint_installation_token(installation);
    let permissions = request.get("permissions").cloned().unwrap_or_else(|| {
        json!({"actions": "write", "contents": "write", "issues": "write",
               "pull_requests": "write", "metadata": "read", "checks": "read", "statuses": "read"})
    });
    created(json!({
        "token": token,
        "expires_at": time(expires),
        "permissions": permissions,
        "repository_selection": if request.contains_key("repositories") { "selected" } else { "all" },
    }))
}

pub(super) async fn repository(ctx: Ctx, Path((owner, name)): RepoPath) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, role| {
        ok(render::repo_full(&ctx.urls, w, repo, role))
    })
}

pub(super) async fn root_contents(ctx: Ctx, Path((owner, name)): RepoPath) -> ApiResult {
    contents_at(&ctx, &owner, &name, "")
}

pub(super) async fn contents(
    ctx: Ctx,
    Path((owner, name, path)): Path<(String, String, String)>,
) -> ApiResult {
    contents_at(&ctx, &owner, &name, path.trim_matches('/'))
}

/// Base64 the way GitHub sends it: wrapped at 60 characters.
fn wrapped_base64(text: &str) -> String {
    let encoded = STANDARD.encode(text.as_bytes());
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

fn content_entry(
    ctx: &Ctx,
    repo: &Repo,
    reference: &str,
    path: &str,
    kind: &str,
    size: usize,
    sha: &str,
) -> Value {
    let api = format!(
        "{}/repos/{}/contents/{path}?ref={reference}",
        ctx.urls.api,
        repo.full_name()
    );
    let html = format!(
        "{}/{}/{}/{reference}/{path}",
        ctx.urls.html,
        repo.full_name(),
        if kind == "dir" { "tree" } else { "blob" }
    );
    let git = format!(
        "{}/repos/{}/git/{}/{sha}",
        ctx.urls.api,
        repo.full_name(),
        if kind == "dir" { "trees" } else { "blobs" }
    );
    json!({
        "type": kind,
        "size": size,
        "name": path.rsplit('/').next().unwrap_or(path),
        "path": path,
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": (kind == "file").then(|| format!("{}/{}/raw/{reference}/{path}", ctx.urls.html, repo.full_name())),
        "_links": {"self": api, "git": git, "html": html},
    })
}

fn contents_at(ctx: &Ctx, owner: &str, name: &str, path: &str) -> ApiResult {
    ctx.read(owner, name, |_, repo, _| {
        let reference = ctx
            .params
            .get("ref")
            .unwrap_or(&repo.default_branch)
            .to_owned();
        let (branch, _) = repo.resolve_ref(&reference).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                &format!("No commit found for the ref {reference}"),
            )
        })?;
        let files = &repo.branches[&branch].files;
        if let Some(text) = files.get(path) {
            let mut entry = content_entry(
                ctx,
                repo,
                &reference,
                path,
                "file",
                text.len(),
                &sha_of(text),
            );
            if let Some(map) = entry.as_object_mut() {
                map.insert("encoding".into(), "base64".into());
                map.insert("content".into(), wrapped_base64(text).into());
            }
            return ok(entry);
        }
        // A directory: the direct children of `path`.
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut entries: Vec<(String, bool, usize, String)> = Vec::new();
        for (file, text) in files.range(prefix.clone()..) {
            let Some(rest) = file.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    let dir_path = format!("{prefix}{dir}");
                    if !entries.iter().any(|(p, _, _, _)| *p == dir_path) {
                        let sha = sha_of(&format!("tree:{branch}:{dir_path}"));
                        entries.push((dir_path, true, 0, sha));
                    }
                }
                None => entries.push((file.clone(), false, text.len(), sha_of(text))),
            }
        }
        if entries.is_empty() {
            return Err(ApiError::not_found());
        }
        // GitHub lists directories and files together, sorted by name.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let listing: Vec<Value> = entries
            .iter()
            .map(|(p, dir, size, sha)| {
                content_entry(
                    ctx,
                    repo,
                    &reference,
                    p,
                    if *dir { "dir" } else { "file" },
                    *size,
                    sha,
                )
            })
            .collect();
        ok(Value::Array(listing))
    })
}

pub(super) async fn commits(ctx: Ctx, Path((owner, name)): RepoPath) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let reference = ctx.params.get("sha").unwrap_or(&repo.default_branch);
        let (branch, sha) = repo.resolve_ref(reference).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                &format!("No commit found for SHA: {reference}"),
            )
        })?;
        let path = ctx.params.get("path");
        let author = ctx.params.get("author");
        let list: Vec<_> = repo.branches[&branch]
            .commits
            .iter()
            .skip_while(|c| c.sha != sha)
            .filter(|c| {
                path.is_none_or(|p| {
                    c.files
                        .iter()
                        .any(|f| f == p || f.starts_with(&format!("{p}/")))
                })
            })
            .filter(|c| author.is_none_or(|a| c.author.eq_ignore_ascii_case(a)))
            .collect();
        let (page, link) = ctx.page(list);
        let body: Vec<Value> = page
            .into_iter()
            .map(|c| render::commit(&ctx.urls, w, repo, c))
            .collect();
        Ok(paged(Value::Array(body), link))
    })
}

/// The runs on a commit (a branch name, full or abbreviated sha), latest attempt.
fn runs_on<'a>(repo: &'a Repo, reference: &str) -> Result<(String, Vec<&'a Run>), ApiError> {
    let (_, sha) = repo
        .resolve_ref(reference)
        .ok_or_else(|| ApiError::validation("Commit", "sha", "invalid"))?;
    let runs = repo.runs.iter().filter(|r| r.head_sha == sha).collect();
    Ok((sha, runs))
}

pub(super) async fn check_runs(
    ctx: Ctx,
    Path((owner, name, reference)): Path<(String, String, String)>,
) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let (_, runs) = runs_on(repo, &reference)?;
        let check_name = ctx.params.get("check_name");
        let status = ctx.params.get("status");
        let checks: Vec<Value> = runs
            .iter()
            .flat_map(|run| run.jobs.iter().map(move |job| (run, job)))
            .filter(|(_, job)| check_name.is_none_or(|n| job.name == n))
            .filter(|(_, job)| status.is_none_or(|s| job.status == s))
            .map(|(run, job)| render::check_run(&ctx.urls, repo, run, job))
            .collect();
        let total = checks.len();
        let (page, link) = ctx.page(checks);
        Ok(paged(
            json!({"total_count": total, "check_runs": page}),
            link,
        ))
    })
}

pub(super) async fn combined_status(
    ctx: Ctx,
    Path((owner, name, reference)): Path<(String, String, String)>,
) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let (sha, runs) = runs_on(repo, &reference)?;
        let statuses: Vec<Value> = runs
            .iter()
            .map(|run| {
                let workflow = repo
                    .workflows
                    .iter()
                    .find(|wf| wf.id == run.workflow_id)
                    .map_or("workflow", |wf| wf.name.as_str());
                let state = match run.conclusion {
                    Some("success" | "skipped" | "neutral") => "success",
                    Some(_) => "failure",
                    None => "pending",
                };
                json!({
                    "url": format!("{}/repos/{}/statuses/{sha}", ctx.urls.api, repo.full_name()),
                    "id": run.id,
                    "node_id": format!("SC_mock{}", run.id),
                    "state": state,
                    "description": format!("{workflow} {}", run.conclusion.unwrap_or(run.status)),
                    "target_url": format!("{}/{}/actions/runs/{}", ctx.urls.html, repo.full_name(), run.id),
                    "context": format!("{workflow} ({})", run.event),
                    "avatar_url": null,
                    "created_at": time(run.created_at),
                    "updated_at": time(run.updated_at),
                })
            })
            .collect();
        let states: Vec<&str> = statuses
            .iter()
            .filter_map(|s| s["state"].as_str())
            .collect();
        let state = if states.contains(&"failure") {
            "failure"
        } else if states.is_empty() || states.contains(&"pending") {
            "pending"
        } else {
            "success"
        };
        let total = statuses.len();
        let (page, link) = ctx.page(statuses);
        Ok(paged(
            json!({
                "state": state,
                "statuses": page,
                "sha": sha,
                "total_count": total,
                "repository": render::repo_minimal(&ctx.urls, w, repo),
                "commit_url": format!("{}/repos/{}/commits/{sha}", ctx.urls.api, repo.full_name()),
                "url": format!("{}/repos/{}/commits/{sha}/status", ctx.urls.api, repo.full_name()),
            }),
            link,
        ))
    })
}

pub(super) async fn collaborator_permission(
    ctx: Ctx,
    Path((owner, name, login)): Path<(String, String, String)>,
) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let user = w.user(&login).ok_or_else(ApiError::not_found)?;
        let role = repo.roles.get(&user.login).copied();
        let mut user_json = render::user(&ctx.urls, user);
        if let (Some(map), Some(role)) = (user_json.as_object_mut(), role) {
            map.insert("permissions".into(), render::permissions(role));
            map.insert("role_name".into(), role.name().into());
        }
        ok(json!({
            "permission": role.map_or("none", |r| r.legacy()),
            "role_name": role.map_or("none", |r| r.name()),
            "user": user_json,
        }))
    })
}
