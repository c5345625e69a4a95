//! Toolset `actions`: workflows, workflow runs, their jobs and failed
//! steps, and the tail of a job's log; starting a workflow and re-running a
//! run with a human confirmation first. Both writes are `Effect::Send`: a
//! started run executes the workflow (builds, deploys, publishes) and cannot
//! be taken back, and doing it twice runs it twice.

use std::collections::BTreeMap;

use connector_kit::confirm::{Effect, Gate, WriteFailure, WriteOutcome, WritePlan};
use connector_kit::text::{clip, sanitize};
use reqwest::Method;
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::GitHub;
use crate::client::{Class, seg};
use crate::config::scope_key;
use crate::tools::{
    NAME_PATTERN, Pinned, UNTRUSTED, default_per_page, items, n, page_cursor, repo_path, s, text,
    tool_error, written,
};

/// GitHub's limit on `workflow_dispatch` inputs.
const MAX_INPUTS: usize = 25;

/// Longest log line kept, in characters.
const LOG_LINE_BUDGET: usize = 2_000;

/// Arguments of `list_workflow_runs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Only runs of this workflow: its file name (`ci.yml`) or id.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub workflow: Option<String>,
    /// Only runs on this branch.
    #[serde(default)]
    #[schemars(length(min = 1, max = 250))]
    pub branch: Option<String>,
    /// Only runs with this status or conclusion (`queued`, `in_progress`,
    /// `completed`, `success`, `failure`, `cancelled`…).
    #[serde(default)]
    #[schemars(length(min = 1, max = 30))]
    pub status: Option<String>,
    /// Runs per page (1-100, default 30).
    #[serde(default = "default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// One workflow run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunOut {
    /// Run id.
    pub id: u64,
    /// Workflow name.
    pub name: String,
    /// Run title (untrusted: often a commit message).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// `queued`, `in_progress`, `completed`…
    pub status: String,
    /// `success`, `failure`, `cancelled`… (when completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    /// Branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Commit SHA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// What started it (`push`, `pull_request`, `workflow_dispatch`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Attempt number.
    pub run_attempt: u64,
    /// Created (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Link on GitHub.
    pub url: String,
}

fn run_out(v: &Value) -> RunOut {
    RunOut {
        id: n(v, "id"),
        name: text(v, "name"),
        title: text(v, "display_title"),
        status: s(v, "status").unwrap_or_default(),
        conclusion: s(v, "conclusion"),
        branch: s(v, "head_branch"),
        head_sha: s(v, "head_sha"),
        event: s(v, "event"),
        run_attempt: n(v, "run_attempt"),
        created_at: s(v, "created_at"),
        url: s(v, "html_url").unwrap_or_default(),
    }
}

/// A page of runs.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunList {
    /// Runs, newest first.
    pub runs: Vec<RunOut>,
    /// Runs matching in all.
    pub total_count: u64,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `get_workflow_run`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Run id.
    pub run_id: u64,
}

/// One job of a run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobOut {
    /// Job id (for `get_job_logs`).
    pub id: u64,
    /// Job name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Conclusion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    /// The steps that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_steps: Vec<String>,
}

/// A run with its jobs.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RunDetail {
    /// The run.
    pub run: RunOut,
    /// Its jobs (latest attempt).
    pub jobs: Vec<JobOut>,
    /// About the text fields.
    pub notice: &'static str,
}

/// Arguments of `get_job_logs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Job id (from `get_workflow_run`).
    pub job_id: u64,
    /// How many lines from the end (10-2000, default 200).
    #[serde(default = "default_tail")]
    #[schemars(range(min = 10, max = 2000))]
    pub tail_lines: u32,
}

fn default_tail() -> u32 {
    200
}

/// The tail of a job's log.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogTail {
    /// The last lines (untrusted output of CI).
    pub log: String,
    /// Lines returned.
    pub lines: u64,
    /// Lines in the whole log.
    pub total_lines: u64,
    /// True when earlier lines were left out.
    pub truncated: bool,
    /// About the text.
    pub notice: &'static str,
}

/// Arguments of `list_workflows`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowsArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Workflows per page (1-100, default 30).
    #[serde(default = "default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// One workflow.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WorkflowOut {
    /// Workflow id.
    pub id: u64,
    /// Name (untrusted: from the workflow file).
    pub name: String,
    /// File in the repository, e.g. `.github/workflows/ci.yml`; its file
    /// name (`ci.yml`) or the id names the workflow in other tools.
    pub path: String,
    /// `active`, `disabled_manually`, `disabled_inactivity`…
    pub state: String,
    /// Link on GitHub.
    pub url: String,
}

fn workflow_out(v: &Value) -> WorkflowOut {
    WorkflowOut {
        id: n(v, "id"),
        name: text(v, "name"),
        path: text(v, "path"),
        state: s(v, "state").unwrap_or_default(),
        url: s(v, "html_url").unwrap_or_default(),
    }
}

/// A page of workflows.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WorkflowList {
    /// Workflows.
    pub workflows: Vec<WorkflowOut>,
    /// Workflows in all.
    pub total_count: u64,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `dispatch_workflow`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// The workflow: its file name (`deploy.yml`) or id (from `list_workflows`).
    #[schemars(length(min = 1, max = 200))]
    pub workflow: String,
    /// Branch or tag to run the workflow on, e.g. `main`.
    #[serde(rename = "ref")]
    #[schemars(length(min = 1, max = 250))]
    pub reference: String,
    /// The workflow's `workflow_dispatch` inputs (at most 25): names to
    /// strings, numbers or booleans. Omitted inputs take their defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = MAX_INPUTS))]
    pub inputs: BTreeMap<String, Value>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// A started workflow run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DispatchOut {
    /// `owner/repo`.
    pub repo: String,
    /// Workflow id.
    pub workflow_id: u64,
    /// Workflow file.
    pub workflow_path: String,
    /// Branch or tag it runs on.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The new run's id, when GitHub says (then `get_workflow_run` follows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<u64>,
    /// Link to the run (or to the workflow's runs).
    pub url: String,
    /// True when GitHub's answer was lost and the run was found among the workflow's runs
    /// instead (it was started once, not twice).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// Arguments of `rerun_workflow`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RerunArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Run id (from `list_workflow_runs`).
    pub run_id: u64,
    /// Re-run only the failed (and cancelled) jobs and what depends on them,
    /// instead of the whole run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed_only: bool,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// A re-run that was started.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RerunOut {
    /// `owner/repo`.
    pub repo: String,
    /// Run id.
    pub run_id: u64,
    /// The attempt that was re-run (the new attempt is the next number).
    pub previous_attempt: u64,
    /// True when only the failed jobs run again.
    pub failed_only: bool,
    /// Link to the run.
    pub url: String,
    /// True when GitHub's answer was lost and the new attempt was found on the run instead.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// Checks dispatch inputs: at most 25, each a string, number or boolean.
fn check_inputs(inputs: &BTreeMap<String, Value>) -> Result<(), String> {
    if inputs.len() > MAX_INPUTS {
        return Err(format!(
            "`inputs`: GitHub takes at most {MAX_INPUTS} inputs, got {}.",
            inputs.len()
        ));
    }
    for (name, value) in inputs {
        if name.trim().is_empty() {
            return Err("`inputs`: an input name is empty.".to_owned());
        }
        if !matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            return Err(format!(
                "`inputs.{name}`: must be a string, number or boolean."
            ));
        }
    }
    Ok(())
}

#[tool_router(router = actions_tools, vis = "pub(crate)")]
impl GitHub {
    /// Use this to list a repository's GitHub Actions runs, newest first,
    /// optionally of one workflow, branch or status.
    #[tool(name = "list_workflow_runs", title = "List workflow runs")]
    async fn list_workflow_runs(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<RunList>, CallToolResult> {
        let page = page_cursor(args.cursor.as_deref())?;
        let base = repo_path(&args.owner, &args.repo);
        let path = match &args.workflow {
            Some(w) => format!("{base}/actions/workflows/{}/runs", seg(w)),
            None => format!("{base}/actions/runs"),
        };
        let mut query = Vec::new();
        if let Some(b) = &args.branch {
            query.push(("branch", b.clone()));
        }
        if let Some(st) = &args.status {
            query.push(("status", st.clone()));
        }
        let p = self
            .client
            .get_page::<Value>(
                &path,
                &query,
                args.per_page.clamp(1, 100),
                page,
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(RunList {
            runs: items(&p.items, "workflow_runs").map(run_out).collect(),
            total_count: n(&p.items, "total_count"),
            next_cursor: p.next.map(|n| n.to_string()),
        }))
    }

    /// Use this to see one workflow run: its jobs, their conclusions and
    /// which steps failed (then `get_job_logs` for a failed job).
    #[tool(name = "get_workflow_run", title = "Get a workflow run")]
    async fn get_workflow_run(
        &self,
        Parameters(args): Parameters<RunArgs>,
    ) -> Result<Json<RunDetail>, CallToolResult> {
        let path = format!(
            "{}/actions/runs/{}",
            repo_path(&args.owner, &args.repo),
            args.run_id
        );
        let run: Value = self
            .client
            .get(&path, &[], Class::Read)
            .await
            .map_err(|e| e.to_tool_result())?;
        let mut jobs = Vec::new();
        let mut page = 1;
        loop {
            let p = self
                .client
                .get_page::<Value>(&format!("{path}/jobs"), &[], 100, page, Class::Read)
                .await
                .map_err(|e| e.to_tool_result())?;
            for j in items(&p.items, "jobs") {
                let failed_steps = items(j, "steps")
                    .filter(|st| s(st, "conclusion").as_deref() == Some("failure"))
                    .map(|st| text(st, "name"))
                    .collect();
                jobs.push(JobOut {
                    id: n(j, "id"),
                    name: text(j, "name"),
                    status: s(j, "status").unwrap_or_default(),
                    conclusion: s(j, "conclusion"),
                    failed_steps,
                });
            }
            match p.next {
                Some(next) if page < 10 => page = next,
                _ => break,
            }
        }
        Ok(Json(RunDetail {
            run: run_out(&run),
            jobs,
            notice: UNTRUSTED,
        }))
    }

    /// Use this to read the end of a job's log (where failures are), up to
    /// `tail_lines` lines.
    #[tool(name = "get_job_logs", title = "Get job logs")]
    async fn get_job_logs(
        &self,
        Parameters(args): Parameters<LogArgs>,
    ) -> Result<Json<LogTail>, CallToolResult> {
        let path = format!(
            "{}/actions/jobs/{}/logs",
            repo_path(&args.owner, &args.repo),
            args.job_id
        );
        // GitHub answers 302 to a short-lived download URL; the client follows it.
        let log = self
            .client
            .get_text(&path, "application/vnd.github+json")
            .await
            .map_err(|e| e.to_tool_result())?;
        let all: Vec<&str> = log.lines().collect();
        let tail = args.tail_lines.clamp(10, 2000) as usize;
        let from = all.len().saturating_sub(tail);
        let lines: Vec<String> = all[from..]
            .iter()
            .map(|l| clip(&sanitize(l), LOG_LINE_BUDGET).0)
            .collect();
        Ok(Json(LogTail {
            lines: lines.len() as u64,
            log: lines.join("\n"),
            total_lines: all.len() as u64,
            truncated: from > 0,
            notice: UNTRUSTED,
        }))
    }

    /// Use this to list a repository's GitHub Actions workflows (name, file
    /// and state), e.g. to find the one to run with `dispatch_workflow`.
    #[tool(name = "list_workflows", title = "List workflows")]
    async fn list_workflows(
        &self,
        Parameters(args): Parameters<WorkflowsArgs>,
    ) -> Result<Json<WorkflowList>, CallToolResult> {
        let page = page_cursor(args.cursor.as_deref())?;
        let p = self
            .client
            .get_page::<Value>(
                &format!("{}/actions/workflows", repo_path(&args.owner, &args.repo)),
                &[],
                args.per_page.clamp(1, 100),
                page,
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(WorkflowList {
            workflows: items(&p.items, "workflows").map(workflow_out).collect(),
            total_count: n(&p.items, "total_count"),
            next_cursor: p.next.map(|n| n.to_string()),
        }))
    }

    /// Use this to start a workflow that has a `workflow_dispatch` trigger
    /// on a branch or tag, with its inputs. A started run cannot be taken
    /// back (it may deploy or publish). The first call reads the workflow and
    /// returns a preview and a confirmation token; after the user approves,
    /// call again with `confirmation_token`.
    #[tool(name = "dispatch_workflow", title = "Run a workflow", output_schema = schema_for_output::<WriteOutcome<DispatchOut>>())]
    async fn dispatch_workflow(
        &self,
        Parameters(args): Parameters<DispatchArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Err(why) = check_inputs(&args.inputs) {
            return Ok(tool_error(why).into());
        }
        let full = format!("{}/{}", args.owner, args.repo);
        let early = WritePlan::new(
            "github",
            "dispatch_workflow",
            Effect::Send,
            format!("workflow {} in {full}", args.workflow),
            format!(
                "Run workflow {} in {full} on {}",
                args.workflow, args.reference
            ),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let path = format!(
            "{}/actions/workflows/{}",
            repo_path(&args.owner, &args.repo),
            seg(&args.workflow)
        );
        let wf = match self.read_for_write(&ctx, &args, early, &path).await {
            Ok(v) => workflow_out(&v),
            Err(answer) => return Ok(answer),
        };
        let mut plan = WritePlan::new(
            "github",
            "dispatch_workflow",
            Effect::Send,
            format!("workflow {} ({}) in {full}", wf.name, wf.path),
            format!(
                "Run workflow \"{}\" ({}) in {full} on {}",
                wf.name, wf.path, args.reference
            ),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change("ref", None, Some(json!(args.reference)));
        if !args.inputs.is_empty() {
            plan = plan.change("inputs", None, Some(json!(args.inputs)));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let mut body = json!({"ref": args.reference, "return_run_details": true});
        if !args.inputs.is_empty() {
            body["inputs"] = json!(args.inputs);
        }
        let dispatches = format!(
            "{}/actions/workflows/{}/dispatches",
            repo_path(&args.owner, &args.repo),
            wf.id
        );
        let runs = format!(
            "{}/actions/workflows/{}/runs",
            repo_path(&args.owner, &args.repo),
            wf.id
        );
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                // Run ids only grow: the newest dispatched run before sending lets a lost
                // answer be resolved by looking for the one run that came after it.
                let before = self.newest_dispatch(&runs, &args.reference).await;
                // `204 No Content` (null) unless GitHub returns the run's details.
                match self
                    .client
                    .write::<Value>(c, Method::POST, &dispatches, &body)
                    .await
                {
                    Ok(v) => Ok((v, false)),
                    Err(e) if e.nothing_written() => Err(e),
                    Err(e) => match before {
                        Ok(before) => {
                            match self.dispatched_since(&runs, &args.reference, before).await {
                                Some(run) => Ok((run, true)),
                                None => Err(e),
                            }
                        }
                        Err(_) => Err(e),
                    },
                }
            })
            .await;
        let result = result.map(|(v, recovered)| {
            let run_id = v
                .get("workflow_run_id")
                .or_else(|| recovered.then(|| v.get("id")).flatten())
                .and_then(Value::as_u64);
            let runs_url = format!(
                "{}/{full}/actions/workflows/{}",
                self.client.web(),
                wf.path.rsplit('/').next().unwrap_or(&wf.path)
            );
            DispatchOut {
                repo: full.clone(),
                workflow_id: wf.id,
                workflow_path: wf.path.clone(),
                reference: args.reference.clone(),
                run_id,
                url: s(&v, "html_url").unwrap_or(runs_url),
                recovered,
            }
        });
        Ok(written(result, |out| {
            let text = match out.run_id {
                Some(id) => format!(
                    "Started {} on {} in {full}: run {id} ({}).",
                    wf.name, args.reference, out.url
                ),
                None => format!(
                    "Started {} on {} in {full}; find the run with list_workflow_runs ({}).",
                    wf.name, args.reference, out.url
                ),
            };
            if out.recovered {
                format!("{text} GitHub's answer was lost; the run was found, not started twice.")
            } else {
                text
            }
        }))
    }

    /// Use this to re-run a finished workflow run: the whole run, or with
    /// `failed_only` only its failed jobs. The first call reads the run and
    /// returns a preview and a confirmation token; after the user approves,
    /// call again with `confirmation_token`.
    #[tool(name = "rerun_workflow", title = "Re-run a workflow run", output_schema = schema_for_output::<WriteOutcome<RerunOut>>())]
    async fn rerun_workflow(
        &self,
        Parameters(args): Parameters<RerunArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let what = if args.failed_only {
            "the failed jobs of"
        } else {
            "all jobs of"
        };
        let early = WritePlan::new(
            "github",
            "rerun_workflow",
            Effect::Send,
            format!("workflow run {} in {full}", args.run_id),
            format!("Re-run {what} run {} in {full}", args.run_id),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let path = format!(
            "{}/actions/runs/{}",
            repo_path(&args.owner, &args.repo),
            args.run_id
        );
        let run = match self.read_for_write(&ctx, &args, early, &path).await {
            Ok(v) => run_out(&v),
            Err(answer) => return Ok(answer),
        };
        if run.status != "completed" {
            return Ok(tool_error(format!(
                "Run {} in {full} is {}; only a completed run can be re-run. Nothing was done.",
                args.run_id, run.status
            ))
            .into());
        }
        if args.failed_only
            && matches!(
                run.conclusion.as_deref(),
                Some("success" | "skipped" | "neutral")
            )
        {
            return Ok(tool_error(format!(
                "`failed_only`: run {} in {full} has no failed jobs (it ended {}); re-run the whole run instead. Nothing was done.",
                args.run_id,
                run.conclusion.as_deref().unwrap_or("?")
            ))
            .into());
        }
        let plan = WritePlan::new(
            "github",
            "rerun_workflow",
            Effect::Send,
            format!("workflow run {} in {full}", args.run_id),
            format!(
                "Re-run {what} \"{}\" run {} (attempt {}, {}) on {} at {}",
                run.name,
                args.run_id,
                run.run_attempt,
                run.conclusion.as_deref().unwrap_or(&run.status),
                run.branch.as_deref().unwrap_or("?"),
                run.head_sha
                    .as_deref()
                    .map_or("?", |h| h.get(..12).unwrap_or(h))
            ),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change(
            "run_attempt",
            Some(json!(run.run_attempt)),
            Some(json!(run.run_attempt + 1)),
        )
        .change(
            "jobs",
            None,
            Some(json!(if args.failed_only {
                "failed jobs"
            } else {
                "all jobs"
            })),
        );
        let pinned = Pinned {
            args: &args,
            previewed: &run.run_attempt.to_string(),
        };
        let confirmed = match self.kit.guard.confirm(&ctx, &pinned, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let endpoint = if args.failed_only {
            format!("{path}/rerun-failed-jobs")
        } else {
            format!("{path}/rerun")
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                match self
                    .client
                    .write::<Value>(c, Method::POST, &endpoint, &json!({}))
                    .await
                {
                    Ok(_) => Ok(false),
                    Err(e) if e.nothing_written() => Err(e),
                    // The answer was lost: a re-run shows as the run's next attempt.
                    Err(e) => match self.client.get::<Value>(&path, &[], Class::Read).await {
                        Ok(now) if n(&now, "run_attempt") > run.run_attempt => Ok(true),
                        _ => Err(e),
                    },
                }
            })
            .await;
        let result = result.map(|recovered| RerunOut {
            repo: full.clone(),
            run_id: args.run_id,
            previous_attempt: run.run_attempt,
            failed_only: args.failed_only,
            url: run.url.clone(),
            recovered,
        });
        Ok(written(result, |out| {
            let mut text = format!(
                "Re-running {what} run {} in {full} (attempt {}): {}",
                args.run_id,
                run.run_attempt + 1,
                out.url
            );
            if out.recovered {
                text.push_str(
                    " GitHub's answer was lost; the new attempt was found, not started twice.",
                );
            }
            text
        }))
    }
}

/// The branch or tag name GitHub reports as a run's `head_branch` for a dispatch `ref`.
fn head_branch(reference: &str) -> &str {
    reference
        .strip_prefix("refs/heads/")
        .or_else(|| reference.strip_prefix("refs/tags/"))
        .unwrap_or(reference)
}

impl GitHub {
    /// The id of the newest `workflow_dispatch` run of a workflow on `reference` (0 if none).
    async fn newest_dispatch(
        &self,
        runs: &str,
        reference: &str,
    ) -> Result<u64, connector_kit::UpstreamError> {
        let page = self
            .client
            .get_page::<Value>(
                runs,
                &[
                    ("event", "workflow_dispatch".to_owned()),
                    ("branch", head_branch(reference).to_owned()),
                ],
                1,
                1,
                Class::Read,
            )
            .await?;
        Ok(items(&page.items, "workflow_runs")
            .next()
            .map_or(0, |run| n(run, "id")))
    }

    /// The one `workflow_dispatch` run on `reference` newer than `before`, if there is exactly
    /// one (several mean someone else dispatched too: then it stays unknown).
    async fn dispatched_since(&self, runs: &str, reference: &str, before: u64) -> Option<Value> {
        let page = self
            .client
            .get_page::<Value>(
                runs,
                &[
                    ("event", "workflow_dispatch".to_owned()),
                    ("branch", head_branch(reference).to_owned()),
                ],
                10,
                1,
                Class::Read,
            )
            .await
            .ok()?;
        let mut newer = items(&page.items, "workflow_runs").filter(|run| n(run, "id") > before);
        match (newer.next(), newer.next()) {
            (Some(run), None) => Some(run.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_inputs_are_scalars_and_at_most_25() {
        let mut inputs = BTreeMap::new();
        inputs.insert("env".to_owned(), json!("staging"));
        inputs.insert("dry_run".to_owned(), json!(true));
        inputs.insert("replicas".to_owned(), json!(3));
        assert_eq!(check_inputs(&inputs), Ok(()));
        inputs.insert("matrix".to_owned(), json!(["a"]));
        assert!(check_inputs(&inputs).unwrap_err().contains("inputs.matrix"));
        let many: BTreeMap<String, Value> = (0..26).map(|k| (format!("i{k}"), json!(k))).collect();
        assert!(check_inputs(&many).unwrap_err().contains("at most 25"));
    }
}
