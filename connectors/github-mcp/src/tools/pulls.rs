//! Toolset `pull_requests`: list and read pull requests, their changed
//! files, and their diff page by page (never one giant blob: GitHub's own
//! diff media type answers 406 for large PRs, so the diff is assembled from
//! the per-file patches of `/pulls/{n}/files` under a line budget).

use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::GitHub;
use crate::client::{Class, seg};
use crate::tools::{
    BODY_BUDGET, IssueSummary, NAME_PATTERN, UNTRUSTED, default_per_page, issue_summary, n,
    page_cursor, repo_path, s, text, tool_error,
};

/// Files asked for per page of `/files` (GitHub's maximum).
const FILES_PER_PAGE: u32 = 100;

/// Arguments of `list_pull_requests`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// `open` (default), `closed` or `all`.
    #[serde(default)]
    pub state: Option<crate::tools::issues::State>,
    /// Only PRs into this base branch.
    #[serde(default)]
    #[schemars(length(min = 1, max = 250))]
    pub base: Option<String>,
    /// PRs per page (1-100, default 30).
    #[serde(default = "default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// A page of pull requests.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PullList {
    /// Pull requests.
    pub pull_requests: Vec<PullSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// About the text fields.
    pub notice: &'static str,
}

/// One pull request in a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PullSummary {
    /// The issue fields (title, state, author, labels…).
    #[serde(flatten)]
    pub issue: IssueSummary,
    /// Draft.
    pub draft: bool,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
}

fn pull_summary(v: &Value) -> PullSummary {
    let mut issue = issue_summary(v);
    issue.pull_request = true;
    if issue.repo.is_empty() {
        issue.repo = v
            .get("base")
            .and_then(|b| b.get("repo"))
            .and_then(|r| s(r, "full_name"))
            .unwrap_or_default();
    }
    PullSummary {
        issue,
        draft: v.get("draft").and_then(Value::as_bool).unwrap_or(false),
        head: v.get("head").and_then(|h| s(h, "ref")).unwrap_or_default(),
        base: v.get("base").and_then(|b| s(b, "ref")).unwrap_or_default(),
    }
}

/// Arguments naming one pull request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PullArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
}

/// One pull request.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PullDetail {
    /// The list fields.
    #[serde(flatten)]
    pub summary: PullSummary,
    /// Body in Markdown (untrusted text from GitHub), cut at 8000 characters.
    pub body: String,
    /// True when the body was cut.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// Merged.
    pub merged: bool,
    /// Whether GitHub can merge it (absent while GitHub is computing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mergeable: Option<bool>,
    /// `clean`, `dirty` (conflicts), `blocked`, `behind`, `unstable`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mergeable_state: Option<String>,
    /// Head commit SHA.
    pub head_sha: String,
    /// Commits.
    pub commits: u64,
    /// Files changed.
    pub changed_files: u64,
    /// Lines added.
    pub additions: u64,
    /// Lines removed.
    pub deletions: u64,
    /// CI on the head commit (absent if GitHub would not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<ChecksOut>,
    /// About the text fields.
    pub notice: &'static str,
}

/// The checks and commit statuses of a pull request's head commit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChecksOut {
    /// Combined commit status: `success`, `failure`, `pending` (or absent without statuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combined_status: Option<String>,
    /// Check runs in all.
    pub total: u64,
    /// Check runs that succeeded (or were skipped / neutral).
    pub passed: u64,
    /// Check runs still queued or running.
    pub pending: u64,
    /// Names of check runs that failed, timed out or were cancelled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

/// Arguments of `get_pull_request_files`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// Files per page (1-100, default 30).
    #[serde(default = "default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// One changed file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileOut {
    /// Path.
    pub filename: String,
    /// `added`, `modified`, `removed`, `renamed`…
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines removed.
    pub deletions: u64,
    /// The old path of a renamed file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_filename: Option<String>,
}

fn file_out(v: &Value) -> FileOut {
    FileOut {
        filename: text(v, "filename"),
        status: s(v, "status").unwrap_or_default(),
        additions: n(v, "additions"),
        deletions: n(v, "deletions"),
        previous_filename: s(v, "previous_filename").map(|p| sanitize(&p)),
    }
}

/// A page of changed files.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileList {
    /// Files.
    pub files: Vec<FileOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `get_pull_request_diff`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// Most diff lines in this answer (50-5000, default 1000). A single
    /// file's patch longer than this is cut.
    #[serde(default = "default_line_budget")]
    #[schemars(range(min = 50, max = 5000))]
    pub max_lines: u32,
    /// `next_cursor` from the previous call (the index of the next file).
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

fn default_line_budget() -> u32 {
    1000
}

/// One page of a pull request's diff.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiffPage {
    /// Unified diff of the files in this page (untrusted content).
    pub diff: String,
    /// Index of the first file in this page.
    pub first_file: u64,
    /// Files in this page.
    pub files: Vec<String>,
    /// Files whose patch was cut to fit the budget, or that GitHub sends no
    /// patch for (binary or too large).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
    /// Diff lines in this page.
    pub lines: u64,
    /// Files changed in the pull request.
    pub total_files: u64,
    /// Pass as `cursor` for the next files; absent after the last file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// About the text.
    pub notice: &'static str,
}

#[tool_router(router = pulls_tools, vis = "pub(crate)")]
impl GitHub {
    /// Use this to list a repository's pull requests, newest first, page by page.
    #[tool(name = "list_pull_requests", title = "List pull requests")]
    async fn list_pull_requests(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<PullList>, CallToolResult> {
        let page = page_cursor(args.cursor.as_deref())?;
        let state = args.state.unwrap_or(crate::tools::issues::State::Open);
        let mut query = vec![(
            "state",
            serde_json::to_value(state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "open".into()),
        )];
        if let Some(b) = &args.base {
            query.push(("base", b.clone()));
        }
        let p = self
            .client
            .get_page::<Vec<Value>>(
                &format!("{}/pulls", repo_path(&args.owner, &args.repo)),
                &query,
                args.per_page.clamp(1, 100),
                page,
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(PullList {
            pull_requests: p.items.iter().map(pull_summary).collect(),
            next_cursor: p.next.map(|n| n.to_string()),
            notice: UNTRUSTED,
        }))
    }

    /// Use this to read one pull request: body, branches, merge state,
    /// size and the CI checks of its head commit. For the changes use `get_pull_request_files` or
    /// `get_pull_request_diff`.
    #[tool(name = "get_pull_request", title = "Get a pull request")]
    async fn get_pull_request(
        &self,
        Parameters(args): Parameters<PullArgs>,
    ) -> Result<Json<PullDetail>, CallToolResult> {
        let v: Value = self
            .client
            .get(
                &format!(
                    "{}/pulls/{}",
                    repo_path(&args.owner, &args.repo),
                    args.number
                ),
                &[],
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        let (body, body_truncated) = clip(&text(&v, "body"), BODY_BUDGET);
        let head_sha = v.get("head").and_then(|h| s(h, "sha")).unwrap_or_default();
        let checks = if head_sha.is_empty() {
            None
        } else {
            self.checks(&args.owner, &args.repo, &head_sha).await
        };
        Ok(Json(PullDetail {
            summary: pull_summary(&v),
            body,
            body_truncated,
            merged: v.get("merged").and_then(Value::as_bool).unwrap_or(false),
            mergeable: v.get("mergeable").and_then(Value::as_bool),
            mergeable_state: s(&v, "mergeable_state"),
            head_sha,
            commits: n(&v, "commits"),
            changed_files: n(&v, "changed_files"),
            additions: n(&v, "additions"),
            deletions: n(&v, "deletions"),
            checks,
            notice: UNTRUSTED,
        }))
    }

    /// Use this to list the files a pull request changes, with line counts,
    /// page by page.
    #[tool(name = "get_pull_request_files", title = "List pull request files")]
    async fn get_pull_request_files(
        &self,
        Parameters(args): Parameters<FilesArgs>,
    ) -> Result<Json<FileList>, CallToolResult> {
        let page = page_cursor(args.cursor.as_deref())?;
        let p = self
            .client
            .get_page::<Vec<Value>>(
                &format!(
                    "{}/pulls/{}/files",
                    repo_path(&args.owner, &args.repo),
                    args.number
                ),
                &[],
                args.per_page.clamp(1, 100),
                page,
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(FileList {
            files: p.items.iter().map(file_out).collect(),
            next_cursor: p.next.map(|n| n.to_string()),
        }))
    }

    /// Use this to read a pull request's diff, a few files at a time under a
    /// line budget; continue with `next_cursor` until it is absent.
    #[tool(name = "get_pull_request_diff", title = "Get a pull request diff")]
    async fn get_pull_request_diff(
        &self,
        Parameters(args): Parameters<DiffArgs>,
    ) -> Result<Json<DiffPage>, CallToolResult> {
        let start: u64 = match args.cursor.as_deref() {
            None => 0,
            Some(c) => c.parse().map_err(|_| {
                tool_error(
                    "`cursor`: not a cursor from this tool; omit it to start from the first file",
                )
            })?,
        };
        let budget = u64::from(args.max_lines.clamp(50, 5000));
        let path = format!(
            "{}/pulls/{}/files",
            repo_path(&args.owner, &args.repo),
            args.number
        );
        let pr: Value = self
            .client
            .get(
                &format!(
                    "{}/pulls/{}",
                    repo_path(&args.owner, &args.repo),
                    args.number
                ),
                &[],
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        let total_files = n(&pr, "changed_files");
        let mut out = DiffPage {
            diff: String::new(),
            first_file: start,
            files: Vec::new(),
            incomplete: Vec::new(),
            lines: 0,
            total_files,
            next_cursor: None,
            notice: UNTRUSTED,
        };
        let mut index = start;
        let mut page = (start / u64::from(FILES_PER_PAGE)) as u32 + 1;
        'pages: loop {
            let p = self
                .client
                .get_page::<Vec<Value>>(&path, &[], FILES_PER_PAGE, page, Class::Read)
                .await
                .map_err(|e| e.to_tool_result())?;
            let skip = (index - u64::from(page - 1) * u64::from(FILES_PER_PAGE)) as usize;
            for f in p.items.iter().skip(skip) {
                let name = text(f, "filename");
                let patch = sanitize(f.get("patch").and_then(Value::as_str).unwrap_or(""));
                let patch_lines = patch.lines().count() as u64;
                let left = budget.saturating_sub(out.lines);
                if !out.files.is_empty() && patch_lines + 4 > left {
                    out.next_cursor = Some(index.to_string());
                    break 'pages;
                }
                let old = s(f, "previous_filename").map_or_else(|| name.clone(), |p| sanitize(&p));
                out.diff.push_str(&format!(
                    "diff --git a/{old} b/{name}\n--- a/{old}\n+++ b/{name}\n"
                ));
                if patch.is_empty() {
                    out.diff
                        .push_str("(no patch: binary or too large; see the file on GitHub)\n");
                    out.incomplete.push(name.clone());
                    out.lines += 4;
                } else if patch_lines + 3 > left {
                    let keep = left.saturating_sub(4).max(1) as usize;
                    for line in patch.lines().take(keep) {
                        out.diff.push_str(line);
                        out.diff.push('\n');
                    }
                    out.diff.push_str(&format!(
                        "(cut: {} more lines of this file's patch)\n",
                        patch_lines as usize - keep.min(patch_lines as usize)
                    ));
                    out.incomplete.push(name.clone());
                    out.lines += keep as u64 + 4;
                } else {
                    out.diff.push_str(&patch);
                    out.diff.push('\n');
                    out.lines += patch_lines + 3;
                }
                out.files.push(name);
                index += 1;
            }
            match p.next {
                Some(next) => page = next,
                None => break,
            }
            if out.lines >= budget {
                out.next_cursor = Some(index.to_string());
                break;
            }
        }
        Ok(Json(out))
    }
}

impl GitHub {
    /// The check runs (first 100) and combined status of `sha`; `None` when
    /// GitHub answers neither (e.g. a token without the Checks permission).
    async fn checks(&self, owner: &str, repo: &str, sha: &str) -> Option<ChecksOut> {
        let base = format!("{}/commits/{}", repo_path(owner, repo), seg(sha));
        let runs = self
            .client
            .get_page::<Value>(&format!("{base}/check-runs"), &[], 100, 1, Class::Read)
            .await
            .ok();
        let status = self
            .client
            .get::<Value>(&format!("{base}/status"), &[], Class::Read)
            .await
            .ok();
        if runs.is_none() && status.is_none() {
            return None;
        }
        let mut out = ChecksOut {
            combined_status: status
                .as_ref()
                .filter(|st| n(st, "total_count") > 0)
                .and_then(|st| s(st, "state")),
            total: 0,
            passed: 0,
            pending: 0,
            failed: Vec::new(),
        };
        if let Some(runs) = runs {
            out.total = n(&runs.items, "total_count");
            for r in runs
                .items
                .get("check_runs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match s(r, "conclusion").as_deref() {
                    None => out.pending += 1,
                    Some("success" | "skipped" | "neutral") => out.passed += 1,
                    Some(_) => out.failed.push(text(r, "name")),
                }
            }
        }
        Some(out)
    }
}
