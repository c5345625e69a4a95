//! GitHub Actions: workflows, runs, jobs, logs (via a redirect, like GitHub), dispatch and
//! re-run.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::render;
use super::{ApiError, ApiResult, Ctx, json_object, ok, paged};
use crate::model::{Repo, Role, Run, sha_of};
use crate::seed::{self, Outcome};
use crate::state::MockGitHub;

type RepoPath = Path<(String, String)>;

/// Where job logs are downloaded from: outside the API, no credentials, signed URL.
const LOG_PREFIX: &str = "/_mock/actions/logs";

pub(super) async fn workflows(ctx: Ctx, Path((owner, name)): RepoPath) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let total = repo.workflows.len();
        let (page, link) = ctx.page(repo.workflows.iter().collect());
        let list: Vec<Value> = page
            .into_iter()
            .map(|wf| render::workflow(&ctx.urls, repo, wf))
            .collect();
        Ok(paged(
            json!({"total_count": total, "workflows": list}),
            link,
        ))
    })
}

pub(super) async fn workflow(
    ctx: Ctx,
    Path((owner, name, workflow)): Path<(String, String, String)>,
) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let wf = repo.workflow(&workflow).ok_or_else(ApiError::not_found)?;
        ok(render::workflow(&ctx.urls, repo, wf))
    })
}

/// Whether a run passes the `actor`, `branch`, `event`, `status` and `head_sha` filters.
fn run_matches(ctx: &Ctx, run: &Run) -> bool {
    let p = &ctx.params;
    p.get("actor")
        .is_none_or(|a| run.actor.eq_ignore_ascii_case(a))
        && p.get("branch").is_none_or(|b| run.head_branch == b)
        && p.get("event").is_none_or(|e| run.event == e)
        && p.get("head_sha").is_none_or(|s| run.head_sha == s)
        && p.get("status")
            .is_none_or(|s| run.status == s || run.conclusion == Some(s))
}

fn list_runs(
    ctx: &Ctx,
    repo: &Repo,
    world: &crate::model::World,
    workflow: Option<u64>,
) -> ApiResult {
    let runs: Vec<&Run> = repo
        .runs
        .iter()
        .filter(|r| workflow.is_none_or(|id| r.workflow_id == id))
        .filter(|r| run_matches(ctx, r))
        .collect();
    let total = runs.len();
    let (page, link) = ctx.page(runs);
    let list: Vec<Value> = page
        .into_iter()
        .map(|r| render::run(&ctx.urls, world, repo, r))
        .collect();
    Ok(paged(
        json!({"total_count": total, "workflow_runs": list}),
        link,
    ))
}

pub(super) async fn runs(ctx: Ctx, Path((owner, name)): RepoPath) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| list_runs(&ctx, repo, w, None))
}

pub(super) async fn workflow_runs(
    ctx: Ctx,
    Path((owner, name, workflow)): Path<(String, String, String)>,
) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let id = repo.workflow(&workflow).ok_or_else(ApiError::not_found)?.id;
        list_runs(&ctx, repo, w, Some(id))
    })
}

pub(super) async fn run(
    ctx: Ctx,
    Path((owner, name, run)): Path<(String, String, u64)>,
) -> ApiResult {
    ctx.read(&owner, &name, |w, repo, _| {
        let run = repo.run(run).ok_or_else(ApiError::not_found)?;
        ok(render::run(&ctx.urls, w, repo, run))
    })
}

fn workflow_name(repo: &Repo, run: &Run) -> String {
    repo.workflows
        .iter()
        .find(|w| w.id == run.workflow_id)
        .map_or_else(String::new, |w| w.name.clone())
}

pub(super) async fn jobs(
    ctx: Ctx,
    Path((owner, name, run)): Path<(String, String, u64)>,
) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let run = repo.run(run).ok_or_else(ApiError::not_found)?;
        let workflow = workflow_name(repo, run);
        let total = run.jobs.len();
        let (page, link) = ctx.page(run.jobs.iter().collect());
        let list: Vec<Value> = page
            .into_iter()
            .map(|j| render::job(&ctx.urls, repo, run, &workflow, j))
            .collect();
        Ok(paged(json!({"total_count": total, "jobs": list}), link))
    })
}

fn find_job(repo: &Repo, job: u64) -> Option<(&Run, &crate::model::Job)> {
    repo.runs
        .iter()
        .find_map(|r| r.jobs.iter().find(|j| j.id == job).map(|j| (r, j)))
}

pub(super) async fn job(
    ctx: Ctx,
    Path((owner, name, job)): Path<(String, String, u64)>,
) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let (run, job) = find_job(repo, job).ok_or_else(ApiError::not_found)?;
        ok(render::job(
            &ctx.urls,
            repo,
            run,
            &workflow_name(repo, run),
            job,
        ))
    })
}

fn signature(full_name: &str, job: u64) -> String {
    sha_of(&format!("log:{full_name}:{job}"))[..16].to_owned()
}

/// `GET .../actions/jobs/{id}/logs`: `302` to a short-lived download URL.
pub(super) async fn job_logs(
    ctx: Ctx,
    Path((owner, name, job)): Path<(String, String, u64)>,
) -> ApiResult {
    ctx.read(&owner, &name, |_, repo, _| {
        let (_, found) = find_job(repo, job).ok_or_else(ApiError::not_found)?;
        if found.log.is_empty() {
            return Err(ApiError::not_found());
        }
        let location = format!(
            "{}{LOG_PREFIX}/{}/{job}?sig={}",
            ctx.urls.html,
            repo.full_name(),
            signature(&repo.full_name(), job)
        );
        let mut response = StatusCode::FOUND.into_response();
        let value = HeaderValue::from_str(&location).map_err(|_| ApiError::not_found())?;
        response.headers_mut().insert(LOCATION, value);
        Ok(response)
    })
}

#[derive(Debug, Deserialize)]
struct Signed {
    sig: Option<String>,
}

/// The download side of the log redirect.
pub(super) fn download_router(gh: MockGitHub) -> Router {
    Router::new()
        .route(
            &format!("{LOG_PREFIX}/{{owner}}/{{repo}}/{{job}}"),
            get(download_log),
        )
        .with_state(gh)
}

async fn download_log(
    State(gh): State<MockGitHub>,
    Path((owner, name, job)): Path<(String, String, u64)>,
    Query(signed): Query<Signed>,
) -> Response {
    let full_name = format!("{owner}/{name}");
    if signed.sig.as_deref() != Some(signature(&full_name, job).as_str()) {
        return (
            StatusCode::FORBIDDEN,
            "AuthenticationFailed: signature mismatch\n",
        )
            .into_response();
    }
    let log = gh.with(|w| {
        w.repo(&owner, &name)
            .and_then(|r| find_job(r, job).map(|(_, j)| j.log.clone()))
    });
    match log {
        Some(log) => {
            let mut response = log.into_response();
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "BlobNotFound\n").into_response(),
    }
}

fn need_write(role: Role) -> Result<(), ApiError> {
    if role.can_push() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Must have admin rights to Repository.",
        ))
    }
}

pub(super) async fn dispatch(
    ctx: Ctx,
    Path((owner, name, workflow)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    ctx.write(&owner, &name, |w, index, role| {
        need_write(role)?;
        let repo = &w.repos[index];
        let wf = repo
            .workflow(&workflow)
            .ok_or_else(ApiError::not_found)?
            .clone();
        let Some(reference) = body.get("ref").and_then(Value::as_str) else {
            return Err(ApiError::invalid(&[json!({
                "resource": "WorkflowDispatch", "field": "ref", "code": "missing_field",
            })]));
        };
        if !wf.triggers.contains(&"workflow_dispatch") {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Workflow does not have 'workflow_dispatch' trigger",
            ));
        }
        if body
            .get("inputs")
            .is_some_and(|i| !i.is_object() || i.as_object().is_some_and(|o| o.len() > 25))
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "inputs must be an object of at most 25 properties",
            ));
        }
        let branch = reference.strip_prefix("refs/heads/").unwrap_or(reference);
        let Some(head) = repo.branches.get(branch).map(crate::model::Branch::head) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("No ref found for: {reference}"),
            ));
        };
        let run_number = repo
            .runs
            .iter()
            .filter(|r| r.workflow_id == wf.id)
            .map(|r| r.run_number)
            .max()
            .unwrap_or(0)
            + 1;
        let now = Utc::now();
        let jobs = seed::jobs_for(w, &wf.name, Outcome::Queued, now);
        let id = w.id();
        w.repos[index].runs.insert(
            0,
            Run {
                id,
                workflow_id: wf.id,
                run_number,
                run_attempt: 1,
                display_title: wf.name.clone(),
                head_branch: branch.to_owned(),
                head_sha: head,
                event: "workflow_dispatch".to_owned(),
                status: "queued",
                conclusion: None,
                actor: ctx.caller.login.clone(),
                created_at: now,
                updated_at: now,
                jobs,
            },
        );
        if body.get("return_run_details").and_then(Value::as_bool) == Some(true) {
            let full = w.repos[index].full_name();
            return ok(json!({
                "workflow_run_id": id,
                "run_url": format!("{}/repos/{full}/actions/runs/{id}", ctx.urls.api),
                "html_url": format!("{}/{full}/actions/runs/{id}", ctx.urls.html),
            }));
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

pub(super) async fn rerun(
    ctx: Ctx,
    Path((owner, name, run)): Path<(String, String, u64)>,
) -> ApiResult {
    rerun_jobs(&ctx, &owner, &name, run, false)
}

/// `POST .../actions/runs/{id}/rerun-failed-jobs`: a new attempt of the failed (or
/// cancelled) jobs only; the jobs that succeeded keep their result.
pub(super) async fn rerun_failed_jobs(
    ctx: Ctx,
    Path((owner, name, run)): Path<(String, String, u64)>,
) -> ApiResult {
    rerun_jobs(&ctx, &owner, &name, run, true)
}

fn rerun_jobs(ctx: &Ctx, owner: &str, name: &str, run: u64, failed_only: bool) -> ApiResult {
    ctx.write(owner, name, |w, index, role| {
        need_write(role)?;
        let repo = &w.repos[index];
        let found = repo.run(run).ok_or_else(ApiError::not_found)?;
        if found.status != "completed" {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "This workflow run is not completed yet.",
            ));
        }
        let name = workflow_name(repo, found);
        let previous = found.jobs.clone();
        let now = Utc::now();
        let fresh = seed::jobs_for(w, &name, Outcome::Queued, now);
        let jobs = if failed_only {
            let failed = |j: &crate::model::Job| {
                !matches!(j.conclusion, Some("success" | "skipped" | "neutral"))
            };
            if !previous.iter().any(failed) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "This workflow run has no failed jobs to re-run.",
                ));
            }
            previous
                .into_iter()
                .map(|old| {
                    if failed(&old) {
                        fresh
                            .iter()
                            .find(|j| j.name == old.name)
                            .cloned()
                            .unwrap_or(old)
                    } else {
                        old
                    }
                })
                .collect()
        } else {
            fresh
        };
        let run = w.repos[index]
            .run_mut(run)
            .ok_or_else(ApiError::not_found)?;
        run.run_attempt += 1;
        run.status = "queued";
        run.conclusion = None;
        run.updated_at = now;
        run.actor = ctx.caller.login.clone();
        run.jobs = jobs;
        Ok((StatusCode::CREATED, axum::Json(json!({}))).into_response())
    })
}
