//! Toolset `pull_requests`: list and read pull requests, their changed
//! files, and their diff page by page (never one giant blob: GitHub's own
//! diff media type answers 406 for large PRs, so the diff is assembled from
//! the per-file patches of `/pulls/{n}/files` under a line budget); open,
//! update, review and merge pull requests with a human confirmation first.
//! `merge_pull_request` is tier 4 (destructive): off unless the operator
//! names it in `--tools` (or allows `--max-tier 4`).

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
use crate::tools::lockdown::Lockdown;
use crate::tools::{
    BODY_BUDGET, COMMENT_BUDGET, IssueSummary, NAME_PATTERN, Pinned, UNTRUSTED, default_per_page,
    issue_summary, items, login, n, page_cursor, patch, repo_path, s, text, tool_error, written,
};

/// A full or abbreviated commit SHA, as a JSON Schema pattern.
const SHA_PATTERN: &str = r"^[0-9a-fA-F]{7,40}$";
/// Reviews shown by `get_pull_request` (the newest).
const REVIEWS_SHOWN: usize = 10;

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
    /// True when `--lockdown` withheld the body (its author has no push access).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_withheld: bool,
    /// The author's relation to the repository (`OWNER`, `MEMBER`, `CONTRIBUTOR`, `NONE`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_association: Option<String>,
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
    /// The newest reviews (up to 10), oldest first.
    pub reviews: Vec<ReviewOut>,
    /// About the text fields.
    pub notice: &'static str,
}

/// One review of a pull request.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewOut {
    /// Review id.
    pub id: u64,
    /// Reviewer's login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The reviewer's relation to the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_association: Option<String>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// Review text in Markdown (untrusted text from GitHub), cut at 4000 characters.
    pub body: String,
    /// True when `--lockdown` withheld the body (its author has no push access).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
    /// The commit reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_id: Option<String>,
    /// Submitted (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Link on GitHub.
    pub url: String,
}

fn review_out(v: &Value) -> ReviewOut {
    ReviewOut {
        id: n(v, "id"),
        author: login(v, "user"),
        author_association: s(v, "author_association"),
        state: s(v, "state").unwrap_or_default(),
        body: clip(&text(v, "body"), COMMENT_BUDGET).0,
        withheld: false,
        commit_id: s(v, "commit_id"),
        submitted_at: s(v, "submitted_at"),
        url: s(v, "html_url").unwrap_or_default(),
    }
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

/// Arguments of `create_pull_request`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Title.
    #[schemars(length(min = 1, max = 256))]
    pub title: String,
    /// The branch with the changes, e.g. `feature/x` (`user:branch` for a fork).
    #[schemars(length(min = 1, max = 250))]
    pub head: String,
    /// The branch to merge into, e.g. `main`.
    #[schemars(length(min = 1, max = 250))]
    pub base: String,
    /// Description in Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 60000))]
    pub body: Option<String>,
    /// Open as a draft.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `update_pull_request`: only the fields given change.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub title: Option<String>,
    /// New description (Markdown), replacing the old one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 60000))]
    pub body: Option<String>,
    /// `open` or `closed` (closing does not merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<crate::tools::issues::IssueState>,
    /// New base branch to merge into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 250))]
    pub base: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// What a review does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewEvent {
    /// A comment only (needs `body`).
    Comment,
    /// Approve the changes.
    Approve,
    /// Ask for changes before merging (needs `body`).
    RequestChanges,
}

impl ReviewEvent {
    fn as_str(self) -> &'static str {
        match self {
            ReviewEvent::Comment => "COMMENT",
            ReviewEvent::Approve => "APPROVE",
            ReviewEvent::RequestChanges => "REQUEST_CHANGES",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            ReviewEvent::Comment => "Comment on",
            ReviewEvent::Approve => "Approve",
            ReviewEvent::RequestChanges => "Request changes on",
        }
    }
}

/// Arguments of `create_pull_request_review`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// `COMMENT`, `APPROVE` or `REQUEST_CHANGES`.
    pub event: ReviewEvent,
    /// The review text in Markdown; required for `COMMENT` and `REQUEST_CHANGES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60000))]
    pub body: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// How to merge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    /// A merge commit.
    #[default]
    Merge,
    /// All commits squashed into one.
    Squash,
    /// The commits rebased onto the base branch.
    Rebase,
}

impl MergeMethod {
    fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }
}

/// Arguments of `merge_pull_request`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// `merge` (default), `squash` or `rebase`.
    #[serde(default)]
    pub merge_method: MergeMethod,
    /// The head commit SHA the user expects (full or at least 7 characters):
    /// the merge is refused if the pull request's head is anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = SHA_PATTERN))]
    pub sha: Option<String>,
    /// Title of the merge or squash commit (GitHub's default otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub commit_title: Option<String>,
    /// Message of the merge or squash commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 60000))]
    pub commit_message: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// The pull request a write created or changed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PullRef {
    /// `owner/repo`.
    pub repo: String,
    /// Pull request number.
    pub number: u64,
    /// `open` or `closed`.
    pub state: String,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// Link on GitHub.
    pub url: String,
    /// True when the answer to the create was lost and the open pull request
    /// for this head and base was found instead of opening a second one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

fn pull_ref(full: &str, v: &Value) -> PullRef {
    PullRef {
        repo: full.to_owned(),
        number: n(v, "number"),
        state: s(v, "state").unwrap_or_default(),
        head: v.get("head").and_then(|h| s(h, "ref")).unwrap_or_default(),
        base: v.get("base").and_then(|b| s(b, "ref")).unwrap_or_default(),
        url: s(v, "html_url").unwrap_or_default(),
        recovered: false,
    }
}

/// The review a write created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewRef {
    /// `owner/repo`.
    pub repo: String,
    /// Pull request number.
    pub number: u64,
    /// Review id.
    pub id: u64,
    /// `APPROVED`, `CHANGES_REQUESTED` or `COMMENTED`.
    pub state: String,
    /// The commit reviewed (the head shown in the preview).
    pub commit_id: String,
    /// Link on GitHub.
    pub url: String,
}

/// A merged pull request.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MergeOut {
    /// `owner/repo`.
    pub repo: String,
    /// Pull request number.
    pub number: u64,
    /// True when GitHub merged it.
    pub merged: bool,
    /// The merge (or squash / last rebased) commit on the base branch.
    pub sha: String,
    /// The head commit that was merged.
    pub head_sha: String,
    /// GitHub's message.
    pub message: String,
}

/// The head SHA and a one-line description of a pull request read for a preview.
struct PullFacts {
    title: String,
    head: String,
    base: String,
    head_sha: String,
    state: String,
    merged: bool,
    draft: bool,
    mergeable: Option<bool>,
    mergeable_state: Option<String>,
    commits: u64,
    changed_files: u64,
    html_url: String,
}

fn pull_facts(v: &Value) -> PullFacts {
    PullFacts {
        title: text(v, "title"),
        head: v.get("head").and_then(|h| s(h, "ref")).unwrap_or_default(),
        base: v.get("base").and_then(|b| s(b, "ref")).unwrap_or_default(),
        head_sha: v.get("head").and_then(|h| s(h, "sha")).unwrap_or_default(),
        state: s(v, "state").unwrap_or_default(),
        merged: v.get("merged").and_then(Value::as_bool).unwrap_or(false),
        draft: v.get("draft").and_then(Value::as_bool).unwrap_or(false),
        mergeable: v.get("mergeable").and_then(Value::as_bool),
        mergeable_state: s(v, "mergeable_state"),
        commits: n(v, "commits"),
        changed_files: n(v, "changed_files"),
        html_url: s(v, "html_url").unwrap_or_default(),
    }
}

/// Why a pull request cannot be merged as asked, before anything is previewed.
fn merge_refusal(
    full: &str,
    number: u64,
    pr: &PullFacts,
    expected: Option<&str>,
) -> Option<String> {
    if pr.merged {
        return Some(format!(
            "{full}#{number} is already merged; nothing was done."
        ));
    }
    if pr.state != "open" {
        return Some(format!(
            "{full}#{number} is {}; reopen it before merging. Nothing was done.",
            pr.state
        ));
    }
    if let Some(sha) = expected
        && !pr
            .head_sha
            .to_ascii_lowercase()
            .starts_with(&sha.to_ascii_lowercase())
    {
        return Some(format!(
            "`sha`: the head of {full}#{number} is {}, not {sha}; the pull request changed since it was looked at. Nothing was merged: read it again (get_pull_request) before merging.",
            pr.head_sha
        ));
    }
    if pr.draft {
        return Some(format!(
            "{full}#{number} is a draft; mark it ready for review on GitHub first. Nothing was done."
        ));
    }
    if pr.mergeable == Some(false) {
        return Some(format!(
            "GitHub cannot merge {full}#{number} (mergeable_state {}: conflicts or a blocking rule); nothing was done.",
            pr.mergeable_state.as_deref().unwrap_or("unknown")
        ));
    }
    None
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
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
    /// size, the CI checks of its head commit and the newest reviews. For the
    /// changes use `get_pull_request_files` or `get_pull_request_diff`.
    #[tool(name = "get_pull_request", title = "Get a pull request")]
    async fn get_pull_request(
        &self,
        Parameters(args): Parameters<PullArgs>,
    ) -> Result<Json<PullDetail>, CallToolResult> {
        let v: Value = self
            .client
            .get(
                &pull_path(&args.owner, &args.repo, args.number),
                &[],
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        let head_sha = v.get("head").and_then(|h| s(h, "sha")).unwrap_or_default();
        let checks = if head_sha.is_empty() {
            None
        } else {
            self.checks(&args.owner, &args.repo, &head_sha).await
        };
        let mut lockdown = Lockdown::new(self, &args.owner, &args.repo);
        let association = s(&v, "author_association");
        let (body, body_truncated, body_withheld) = match lockdown
            .withhold(login(&v, "user").as_deref(), association.as_deref())
            .await
        {
            Some(label) => (label, false, true),
            None => {
                let (body, cut) = clip(&text(&v, "body"), BODY_BUDGET);
                (body, cut, false)
            }
        };
        let mut reviews = self
            .reviews(&args.owner, &args.repo, args.number)
            .await
            .map_err(|e| e.to_tool_result())?;
        for r in &mut reviews {
            if let Some(label) = lockdown
                .withhold(r.author.as_deref(), r.author_association.as_deref())
                .await
            {
                r.body = label;
                r.withheld = true;
            }
        }
        Ok(Json(PullDetail {
            summary: pull_summary(&v),
            body,
            body_truncated,
            body_withheld,
            author_association: association,
            merged: v.get("merged").and_then(Value::as_bool).unwrap_or(false),
            mergeable: v.get("mergeable").and_then(Value::as_bool),
            mergeable_state: s(&v, "mergeable_state"),
            head_sha,
            commits: n(&v, "commits"),
            changed_files: n(&v, "changed_files"),
            additions: n(&v, "additions"),
            deletions: n(&v, "deletions"),
            checks,
            reviews,
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
                &format!("{}/files", pull_path(&args.owner, &args.repo, args.number)),
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
        let path = format!("{}/files", pull_path(&args.owner, &args.repo, args.number));
        let pr: Value = self
            .client
            .get(
                &pull_path(&args.owner, &args.repo, args.number),
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

    /// Use this to open a pull request from a head branch into a base
    /// branch. The first call returns a preview and a confirmation token;
    /// after the user approves, call again with `confirmation_token`.
    #[tool(name = "create_pull_request", title = "Create a pull request", output_schema = schema_for_output::<WriteOutcome<PullRef>>())]
    async fn create_pull_request(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let mut plan = WritePlan::new(
            "github",
            "create_pull_request",
            Effect::Create,
            format!("repository {full}"),
            format!(
                "Open a pull request in {full} to merge {} into {}: {}",
                args.head, args.base, args.title
            ),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change("title", None, Some(json!(args.title)))
        .change("head", None, Some(json!(args.head)))
        .change("base", None, Some(json!(args.base)));
        if let Some(body) = &args.body {
            plan = plan.change("body", None, Some(json!(body)));
        }
        if args.draft {
            plan = plan.change("draft", None, Some(json!(true)));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let path = format!("{}/pulls", repo_path(&args.owner, &args.repo));
        let mut body =
            json!({"title": args.title, "head": args.head, "base": args.base, "draft": args.draft});
        if let Some(b) = &args.body {
            body["body"] = json!(b);
        }
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                match self
                    .client
                    .write::<Value>(c, Method::POST, &path, &body)
                    .await
                {
                    Ok(v) => Ok(pull_ref(&full, &v)),
                    Err(e) if e.nothing_written() => Err(e),
                    // The answer was lost after GitHub may have opened it. GitHub
                    // allows one open pull request per head and base: look it up.
                    Err(e) => match self.find_open_pull(&args).await {
                        Some(v) => Ok(PullRef {
                            recovered: true,
                            ..pull_ref(&full, &v)
                        }),
                        None => Err(e),
                    },
                }
            })
            .await;
        Ok(written(result, |pr| {
            format!(
                "Opened {}#{} ({} into {}): {}",
                pr.repo, pr.number, pr.head, pr.base, pr.url
            )
        }))
    }

    /// Use this to change a pull request's title, description, state
    /// (`closed` closes without merging) or base branch. The first call reads
    /// the pull request and returns a preview of the changes (old → new) and
    /// a confirmation token; after the user approves, call again with
    /// `confirmation_token`.
    #[tool(name = "update_pull_request", title = "Update a pull request", output_schema = schema_for_output::<WriteOutcome<PullRef>>())]
    async fn update_pull_request(
        &self,
        Parameters(args): Parameters<UpdateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let target = format!("pull request {full}#{}", args.number);
        let early = WritePlan::new(
            "github",
            "update_pull_request",
            Effect::Update,
            target.clone(),
            format!("Update {full}#{}", args.number),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let path = pull_path(&args.owner, &args.repo, args.number);
        let before = match self.read_for_write(&ctx, &args, early, &path).await {
            Ok(v) => v,
            Err(answer) => return Ok(answer),
        };
        let facts = pull_facts(&before);
        let mut changes: Vec<(&str, Value, Value)> = Vec::new();
        if let Some(t) = &args.title {
            changes.push(("title", json!(facts.title), json!(t)));
        }
        if let Some(b) = &args.body {
            changes.push(("body", json!(text(&before, "body")), json!(b)));
        }
        if let Some(st) = args.state {
            changes.push(("state", json!(facts.state), json!(st)));
        }
        if let Some(b) = &args.base {
            changes.push(("base", json!(facts.base), json!(b)));
        }
        if changes.is_empty() {
            return Ok(tool_error(
                "Nothing to change: give at least one of title, body, state, base.",
            )
            .into());
        }
        if facts.merged && args.state.is_some() {
            return Ok(tool_error(format!(
                "`state`: {full}#{} is merged; its state cannot change. Nothing was written.",
                args.number
            ))
            .into());
        }
        let plan = WritePlan::new(
            "github",
            "update_pull_request",
            Effect::Update,
            target,
            format!("Update {full}#{}: {}", args.number, facts.title),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let (plan, body) = patch(plan, changes);
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .write::<Value>(c, Method::PATCH, &path, &body)
                    .await
                    .map(|v| pull_ref(&full, &v))
            })
            .await;
        Ok(written(result, |pr| {
            format!("Updated {}#{} ({}).", pr.repo, pr.number, pr.url)
        }))
    }

    /// Use this to review a pull request: `APPROVE`, `REQUEST_CHANGES` or
    /// `COMMENT` (the last two need `body`). The review applies to the head
    /// commit shown in the preview. The first call returns a preview and a
    /// confirmation token; after the user approves, call again with
    /// `confirmation_token`.
    #[tool(name = "create_pull_request_review", title = "Review a pull request", output_schema = schema_for_output::<WriteOutcome<ReviewRef>>())]
    async fn create_pull_request_review(
        &self,
        Parameters(args): Parameters<ReviewArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let body = args.body.as_deref().map(str::trim).unwrap_or("");
        if body.is_empty() && args.event != ReviewEvent::Approve {
            return Ok(tool_error(format!(
                "`body`: GitHub requires a review text for {}; give `body` (Markdown).",
                args.event.as_str()
            ))
            .into());
        }
        let full = format!("{}/{}", args.owner, args.repo);
        let target = format!("pull request {full}#{}", args.number);
        let early = WritePlan::new(
            "github",
            "create_pull_request_review",
            Effect::Create,
            target.clone(),
            format!("{} {full}#{}", args.event.verb(), args.number),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let path = pull_path(&args.owner, &args.repo, args.number);
        let pr = match self.read_for_write(&ctx, &args, early, &path).await {
            Ok(v) => pull_facts(&v),
            Err(answer) => return Ok(answer),
        };
        let mut plan = WritePlan::new(
            "github",
            "create_pull_request_review",
            Effect::Create,
            target,
            format!(
                "{} {full}#{} \"{}\" ({} into {}) at head {}",
                args.event.verb(),
                args.number,
                pr.title,
                pr.head,
                pr.base,
                short(&pr.head_sha)
            ),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change("event", None, Some(json!(args.event.as_str())))
        .change("commit_id", None, Some(json!(pr.head_sha)));
        if !body.is_empty() {
            plan = plan.change("body", None, Some(json!(body)));
        }
        let pinned = Pinned {
            args: &args,
            previewed: &pr.head_sha,
        };
        let confirmed = match self.kit.guard.confirm(&ctx, &pinned, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let mut payload = json!({"event": args.event.as_str(), "commit_id": pr.head_sha});
        if !body.is_empty() {
            payload["body"] = json!(body);
        }
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .write::<Value>(c, Method::POST, &format!("{path}/reviews"), &payload)
                    .await
            })
            .await;
        let result = result.map(|v| ReviewRef {
            repo: full.clone(),
            number: args.number,
            id: n(&v, "id"),
            state: s(&v, "state").unwrap_or_default(),
            commit_id: s(&v, "commit_id").unwrap_or_else(|| pr.head_sha.clone()),
            url: s(&v, "html_url").unwrap_or_default(),
        });
        Ok(written(result, |review| {
            format!(
                "Reviewed {full}#{} ({}): {}",
                args.number, review.state, review.url
            )
        }))
    }

    /// Use this only when the user explicitly asks to merge a pull request:
    /// it merges the head branch into the base branch (merge commit, squash
    /// or rebase). Pass `sha` (the head commit the user reviewed) to refuse
    /// merging anything else. High impact (tier 4): off unless the operator
    /// enabled it. The first call reads the pull request and returns a
    /// preview and a confirmation token; after the user approves, call again
    /// with `confirmation_token`.
    #[tool(name = "merge_pull_request", title = "Merge a pull request", output_schema = schema_for_output::<WriteOutcome<MergeOut>>())]
    async fn merge_pull_request(
        &self,
        Parameters(args): Parameters<MergeArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let target = format!("pull request {full}#{}", args.number);
        let early = WritePlan::new(
            "github",
            "merge_pull_request",
            Effect::Destructive,
            target.clone(),
            format!("Merge {full}#{}", args.number),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let path = pull_path(&args.owner, &args.repo, args.number);
        let pr = match self.read_for_write(&ctx, &args, early, &path).await {
            Ok(v) => pull_facts(&v),
            Err(answer) => return Ok(answer),
        };
        if let Some(why) = merge_refusal(&full, args.number, &pr, args.sha.as_deref()) {
            return Ok(tool_error(why).into());
        }
        let method = args.merge_method.as_str();
        let mut plan = WritePlan::new(
            "github",
            "merge_pull_request",
            Effect::Destructive,
            target,
            format!(
                "Merge {full}#{} \"{}\" by {method}: {} at {} ({} commits, {} files) into {}",
                args.number,
                pr.title,
                pr.head,
                short(&pr.head_sha),
                pr.commits,
                pr.changed_files,
                pr.base
            ),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change("merge_method", None, Some(json!(method)))
        .change("head_sha", None, Some(json!(pr.head_sha)))
        .change(
            "base",
            Some(json!(pr.base)),
            Some(json!(format!("{} + {}", pr.base, pr.head))),
        );
        if let Some(t) = &args.commit_title {
            plan = plan.change("commit_title", None, Some(json!(t)));
        }
        if pr.mergeable.is_none() {
            plan = plan.change(
                "mergeable",
                None,
                Some(json!("GitHub is still checking whether it can be merged")),
            );
        }
        let pinned = Pinned {
            args: &args,
            previewed: &pr.head_sha,
        };
        let confirmed = match self.kit.guard.confirm(&ctx, &pinned, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        // GitHub refuses (409) if the head moved after the preview.
        let mut payload = json!({"merge_method": method, "sha": pr.head_sha});
        if let Some(t) = &args.commit_title {
            payload["commit_title"] = json!(t);
        }
        if let Some(m) = &args.commit_message {
            payload["commit_message"] = json!(m);
        }
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .write::<Value>(c, Method::PUT, &format!("{path}/merge"), &payload)
                    .await
            })
            .await;
        let result = result
            .map(|v| MergeOut {
                repo: full.clone(),
                number: args.number,
                merged: v.get("merged").and_then(Value::as_bool).unwrap_or(false),
                sha: s(&v, "sha").unwrap_or_default(),
                head_sha: pr.head_sha.clone(),
                message: text(&v, "message"),
            })
            .map_err(|e| match e.status() {
                Some(409) => e.with_hint(
                    "The head branch changed after the preview: nothing was merged. Read the pull request again and ask the user before merging.",
                ),
                Some(405) => e.with_hint(
                    "GitHub will not merge it now (conflicts, failing required checks, missing reviews or a branch rule): nothing was merged.",
                ),
                _ => e,
            });
        Ok(written(result, |out| {
            format!(
                "Merged {full}#{} into {} ({method}): {} ({}).",
                args.number,
                pr.base,
                short(&out.sha),
                pr.html_url
            )
        }))
    }
}

/// `/repos/{owner}/{repo}/pulls/{number}`.
fn pull_path(owner: &str, repo: &str, number: u64) -> String {
    format!("{}/pulls/{number}", repo_path(owner, repo))
}

impl GitHub {
    /// The open pull request from `args.head` into `args.base` with
    /// `args.title`, if there is one (asked up to three times).
    async fn find_open_pull(&self, args: &CreateArgs) -> Option<Value> {
        let head = if args.head.contains(':') {
            args.head.clone()
        } else {
            format!("{}:{}", args.owner, args.head)
        };
        let query = [
            ("state", "open".to_owned()),
            ("head", head),
            ("base", args.base.clone()),
        ];
        let path = format!("{}/pulls", repo_path(&args.owner, &args.repo));
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(750)).await;
            }
            let Ok(p) = self
                .client
                .get_page::<Vec<Value>>(&path, &query, 10, 1, Class::Read)
                .await
            else {
                continue;
            };
            return p
                .items
                .into_iter()
                .find(|v| s(v, "title").as_deref() == Some(args.title.as_str()));
        }
        None
    }

    /// The newest reviews of a pull request (the last page), oldest first.
    async fn reviews(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
    ) -> Result<Vec<ReviewOut>, connector_kit::UpstreamError> {
        let path = format!("{}/pulls/{number}/reviews", repo_path(owner, repo));
        let mut page = 1;
        let mut items: Vec<Value> = Vec::new();
        // Reviews come oldest first; keep the tail of the last page(s).
        for _ in 0..10 {
            let p = self
                .client
                .get_page::<Vec<Value>>(&path, &[], 100, page, Class::Read)
                .await?;
            items.extend(p.items);
            let excess = items.len().saturating_sub(REVIEWS_SHOWN);
            items.drain(..excess);
            match p.next {
                Some(next) => page = next,
                None => break,
            }
        }
        Ok(items.iter().map(review_out).collect())
    }

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
            for r in items(&runs.items, "check_runs") {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> PullFacts {
        PullFacts {
            title: "t".into(),
            head: "feature".into(),
            base: "main".into(),
            head_sha: "abcdef0123456789abcdef0123456789abcdef01".into(),
            state: "open".into(),
            merged: false,
            draft: false,
            mergeable: Some(true),
            mergeable_state: Some("clean".into()),
            commits: 1,
            changed_files: 1,
            html_url: String::new(),
        }
    }

    #[test]
    fn merges_are_refused_before_a_preview_when_they_cannot_be_what_was_asked() {
        assert_eq!(merge_refusal("a/b", 1, &facts(), None), None);
        assert_eq!(merge_refusal("a/b", 1, &facts(), Some("ABCDEF0")), None);
        let other = merge_refusal("a/b", 1, &facts(), Some("1234567")).unwrap();
        assert!(
            other.starts_with("`sha`") && other.contains("abcdef0123"),
            "{other}"
        );
        let merged = PullFacts {
            merged: true,
            ..facts()
        };
        assert!(
            merge_refusal("a/b", 1, &merged, None)
                .unwrap()
                .contains("already merged")
        );
        let draft = PullFacts {
            draft: true,
            ..facts()
        };
        assert!(
            merge_refusal("a/b", 1, &draft, None)
                .unwrap()
                .contains("draft")
        );
        let dirty = PullFacts {
            mergeable: Some(false),
            mergeable_state: Some("dirty".into()),
            ..facts()
        };
        assert!(
            merge_refusal("a/b", 1, &dirty, None)
                .unwrap()
                .contains("dirty")
        );
        // Still being computed: previewed, GitHub decides.
        let unknown = PullFacts {
            mergeable: None,
            ..facts()
        };
        assert_eq!(merge_refusal("a/b", 1, &unknown, None), None);
    }
}
