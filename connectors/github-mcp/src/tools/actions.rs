//! Toolset `actions`: workflow runs, their jobs and failed steps, and the
//! tail of a job's log.

use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::GitHub;
use crate::client::{Class, seg};
use crate::tools::{NAME_PATTERN, UNTRUSTED, default_per_page, n, page_cursor, repo_path, s, text};

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
            runs: p
                .items
                .get("workflow_runs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(run_out)
                .collect(),
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
            for j in p
                .items
                .get("jobs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let failed_steps = j
                    .get("steps")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
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
}
