//! Toolset `issues`: list, read and search issues; create, update and
//! comment with a human confirmation first.

use connector_kit::UpstreamError;
use connector_kit::confirm::{Confirmed, Effect, Gate, WriteFailure, WriteOutcome, WritePlan};
use connector_kit::text::clip;
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
use crate::client::Class;
use crate::config::scope_key;
use crate::tools::lockdown::Lockdown;
use crate::tools::{
    BODY_BUDGET, CommentOut, IssueSummary, NAME_PATTERN, UNTRUSTED, assignees, comment_out,
    default_per_page, issue_summary, items, labels, login, page_cursor, patch, repo_path, s, text,
    written,
};

/// Arguments of `list_issues`.
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
    pub state: Option<State>,
    /// Only issues with all these labels.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub labels: Vec<String>,
    /// Only issues assigned to this login (`none`: unassigned, `*`: any).
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub assignee: Option<String>,
    /// Issues per page (1-100, default 30).
    #[serde(default = "default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// An issue state filter.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Open.
    Open,
    /// Closed.
    Closed,
    /// Both.
    All,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
            State::All => "all",
        }
    }
}

/// A page of issues.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IssueList {
    /// Issues (and pull requests, marked `pull_request`).
    pub issues: Vec<IssueSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Total matches (search only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// About the text fields.
    pub notice: &'static str,
}

/// Arguments naming one issue.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Issue number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// How many of the newest comments to include (0-50, default 10).
    #[serde(default = "default_comments")]
    #[schemars(range(max = 50))]
    pub comments: u32,
}

fn default_comments() -> u32 {
    10
}

/// One issue with its body and newest comments.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IssueDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: IssueSummary,
    /// Body in Markdown (untrusted text from GitHub), cut at 8000 characters.
    pub body: String,
    /// True when the body was cut.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// True when `--lockdown` withheld the body (its author has no push access).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_withheld: bool,
    /// Why it was closed (`completed`, `not_planned`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// Milestone title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    /// The author's relation to the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_association: Option<String>,
    /// The newest comments, oldest first.
    pub latest_comments: Vec<CommentOut>,
    /// About the text fields.
    pub notice: &'static str,
}

/// Arguments of `search_issues`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// GitHub search syntax, e.g. `repo:acme/api is:issue is:open label:bug timeout`.
    #[schemars(length(min = 1, max = 256))]
    pub query: String,
    /// Results per page (1-100, default 30).
    #[serde(default = "default_per_page")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 10))]
    pub cursor: Option<String>,
}

/// Arguments of `create_issue`.
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
    /// Body in Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 60000))]
    pub body: Option<String>,
    /// Labels to set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub labels: Vec<String>,
    /// Logins to assign.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub assignees: Vec<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `update_issue`: only the fields given change.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Issue number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub title: Option<String>,
    /// New body (Markdown), replacing the old one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 60000))]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<IssueState>,
    /// With `state: closed`: `completed` or `not_planned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<StateReason>,
    /// The full new set of labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub labels: Option<Vec<String>>,
    /// The full new set of assignees (logins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 10))]
    pub assignees: Option<Vec<String>>,
    /// Milestone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<u64>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// An issue state.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed.
    Closed,
}

/// Why an issue is closed.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateReason {
    /// Done.
    Completed,
    /// Won't do.
    NotPlanned,
    /// Reopened.
    Reopened,
}

/// Arguments of `add_issue_comment`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentArgs {
    /// Owner, e.g. `acme`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub owner: String,
    /// Repository name, e.g. `api`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = 100))]
    pub repo: String,
    /// Issue or pull request number.
    #[schemars(range(min = 1))]
    pub number: u64,
    /// The comment in Markdown.
    #[schemars(length(min = 1, max = 60000))]
    pub body: String,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// The issue a write created or changed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IssueRef {
    /// `owner/repo`.
    pub repo: String,
    /// Issue number.
    pub number: u64,
    /// Link on GitHub.
    pub url: String,
    /// True when the answer to the create was lost and the issue was found
    /// by its hidden marker instead of being created twice.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// The hidden marker a create puts in the body so that, after an
/// ambiguous failure, the issue can be found instead of created again.
pub fn marker(idempotency_key: &str) -> String {
    let key: String = idempotency_key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    format!("<!-- mcp:{key} -->")
}

#[tool_router(router = issues_tools, vis = "pub(crate)")]
impl GitHub {
    /// Use this to list a repository's issues (pull requests included and
    /// marked), newest first, page by page.
    #[tool(name = "list_issues", title = "List issues")]
    async fn list_issues(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<IssueList>, CallToolResult> {
        let page = page_cursor(args.cursor.as_deref())?;
        let mut query = vec![(
            "state",
            args.state.unwrap_or(State::Open).as_str().to_owned(),
        )];
        if !args.labels.is_empty() {
            query.push(("labels", args.labels.join(",")));
        }
        if let Some(a) = &args.assignee {
            query.push(("assignee", a.clone()));
        }
        let p = self
            .client
            .get_page::<Vec<Value>>(
                &format!("{}/issues", repo_path(&args.owner, &args.repo)),
                &query,
                args.per_page.clamp(1, 100),
                page,
                Class::Read,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(IssueList {
            issues: p.items.iter().map(issue_summary).collect(),
            next_cursor: p.next.map(|n| n.to_string()),
            total_count: None,
            notice: UNTRUSTED,
        }))
    }

    /// Use this to read one issue: body, state, labels, assignees and the
    /// newest comments.
    #[tool(name = "get_issue", title = "Get an issue")]
    async fn get_issue(
        &self,
        Parameters(args): Parameters<IssueArgs>,
    ) -> Result<Json<IssueDetail>, CallToolResult> {
        self.issue_detail(&args.owner, &args.repo, args.number, args.comments)
            .await
            .map(Json)
            .map_err(|e| e.to_tool_result())
    }

    /// Use this to search issues and pull requests across GitHub with
    /// GitHub's search syntax (`repo:`, `is:issue`, `is:open`, `label:`,
    /// `author:`, words).
    #[tool(name = "search_issues", title = "Search issues")]
    async fn search_issues(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<IssueList>, CallToolResult> {
        let page = page_cursor(args.cursor.as_deref())?;
        let p = self
            .client
            .get_page::<Value>(
                "/search/issues",
                &[("q", args.query.clone())],
                args.per_page.clamp(1, 100),
                page,
                Class::Search,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(IssueList {
            issues: items(&p.items, "items").map(issue_summary).collect(),
            next_cursor: p.next.map(|n| n.to_string()),
            total_count: p.items.get("total_count").and_then(Value::as_u64),
            notice: UNTRUSTED,
        }))
    }

    /// Use this to open an issue. The first call returns a preview and a
    /// confirmation token; after the user approves, call again with
    /// `confirmation_token`.
    #[tool(name = "create_issue", title = "Create an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn create_issue(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let mut plan = WritePlan::new(
            "github",
            "create_issue",
            Effect::Create,
            format!("repository {full}"),
            format!("Create an issue in {full}: {}", args.title),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change("title", None, Some(json!(args.title)));
        if let Some(body) = &args.body {
            plan = plan.change("body", None, Some(json!(body)));
        }
        if !args.labels.is_empty() {
            plan = plan.change("labels", None, Some(json!(args.labels)));
        }
        if !args.assignees.is_empty() {
            plan = plan.change("assignees", None, Some(json!(args.assignees)));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.create_exactly_once(c, &args).await
            })
            .await;
        Ok(written(result, |issue| {
            format!("Created {}#{} ({}).", issue.repo, issue.number, issue.url)
        }))
    }

    /// Use this to change an issue's title, body, state, labels, assignees
    /// or milestone. The first call reads the issue and returns a preview of
    /// the changes (old → new) and a confirmation token; after the user
    /// approves, call again with `confirmation_token`.
    #[tool(name = "update_issue", title = "Update an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn update_issue(
        &self,
        Parameters(args): Parameters<UpdateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let path = format!(
            "{}/issues/{}",
            repo_path(&args.owner, &args.repo),
            args.number
        );
        // Outside the write scope: refuse before even reading the issue.
        let early = WritePlan::new(
            "github",
            "update_issue",
            Effect::Update,
            format!("issue {full}#{}", args.number),
            format!("Update {full}#{}", args.number),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let before = match self.read_for_write(&ctx, &args, early, &path).await {
            Ok(v) => v,
            Err(answer) => return Ok(answer),
        };
        let plan = WritePlan::new(
            "github",
            "update_issue",
            Effect::Update,
            format!("issue {full}#{}", args.number),
            format!("Update {full}#{}: {}", args.number, text(&before, "title")),
        )
        .scope(scope_key(&args.owner, &args.repo));
        let mut changes: Vec<(&str, Value, Value)> = Vec::new();
        let mut change =
            |field: &'static str, old: Value, new: Value| changes.push((field, old, new));
        if let Some(t) = &args.title {
            change("title", json!(text(&before, "title")), json!(t));
        }
        if let Some(b) = &args.body {
            change("body", json!(text(&before, "body")), json!(b));
        }
        if let Some(st) = args.state {
            change("state", json!(s(&before, "state")), json!(st));
        }
        if let Some(r) = args.state_reason {
            change("state_reason", json!(s(&before, "state_reason")), json!(r));
        }
        if let Some(l) = &args.labels {
            change("labels", json!(labels(&before)), json!(l));
        }
        if let Some(a) = &args.assignees {
            change("assignees", json!(assignees(&before)), json!(a));
        }
        if let Some(m) = args.milestone {
            let old = before
                .get("milestone")
                .and_then(|m| m.get("number"))
                .cloned();
            change("milestone", old.unwrap_or(Value::Null), json!(m));
        }
        if changes.is_empty() {
            return Ok(crate::tools::tool_error(
                "Nothing to change: give at least one of title, body, state, state_reason, labels, assignees, milestone.",
            )
            .into());
        }
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
            })
            .await;
        let result = result.map(|v| IssueRef {
            repo: full.clone(),
            number: args.number,
            url: s(&v, "html_url").unwrap_or_default(),
            recovered: false,
        });
        Ok(written(result, |issue| {
            format!("Updated {full}#{} ({}).", args.number, issue.url)
        }))
    }

    /// Use this to comment (Markdown) on an issue or pull request. The first
    /// call returns a preview and a confirmation token; after the user
    /// approves, call again with `confirmation_token`.
    #[tool(name = "add_issue_comment", title = "Add an issue comment", output_schema = schema_for_output::<WriteOutcome<CommentOut>>())]
    async fn add_issue_comment(
        &self,
        Parameters(args): Parameters<CommentArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let full = format!("{}/{}", args.owner, args.repo);
        let plan = WritePlan::new(
            "github",
            "add_issue_comment",
            Effect::Create,
            format!("issue {full}#{}", args.number),
            format!("Comment on {full}#{}", args.number),
        )
        .scope(scope_key(&args.owner, &args.repo))
        .change("comment", None, Some(json!(args.body)));
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let path = format!(
            "{}/issues/{}/comments",
            repo_path(&args.owner, &args.repo),
            args.number
        );
        let body = json!({"body": args.body});
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .write::<Value>(c, Method::POST, &path, &body)
                    .await
                    .map(|v| comment_out(&v))
            })
            .await;
        Ok(written(result, |comment| {
            format!("Commented on {full}#{} ({}).", args.number, comment.url)
        }))
    }
}

impl GitHub {
    /// An issue with its newest `comments` comments.
    pub(crate) async fn issue_detail(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        comments: u32,
    ) -> Result<IssueDetail, UpstreamError> {
        let path = format!("{}/issues/{number}", repo_path(owner, repo));
        let v: Value = self.client.get(&path, &[], Class::Read).await?;
        let total = crate::tools::n(&v, "comments");
        let mut latest = Vec::new();
        if comments > 0 && total > 0 {
            // The newest comments: the last page at this page size.
            let per = comments.min(50);
            let last = total.div_ceil(u64::from(per)).max(1) as u32;
            let p = self
                .client
                .get_page::<Vec<Value>>(&format!("{path}/comments"), &[], per, last, Class::Read)
                .await?;
            latest = p.items.iter().map(comment_out).collect();
        }
        let mut lockdown = Lockdown::new(self, owner, repo);
        let author = login(&v, "user");
        let association = s(&v, "author_association");
        let (body, body_truncated, body_withheld) = match lockdown
            .withhold(author.as_deref(), association.as_deref())
            .await
        {
            Some(label) => (label, false, true),
            None => {
                let (body, cut) = clip(&text(&v, "body"), BODY_BUDGET);
                (body, cut, false)
            }
        };
        for c in &mut latest {
            lockdown.screen_comment(c).await;
        }
        Ok(IssueDetail {
            summary: issue_summary(&v),
            body,
            body_truncated,
            body_withheld,
            state_reason: s(&v, "state_reason"),
            milestone: v.get("milestone").and_then(|m| s(m, "title")),
            author_association: s(&v, "author_association"),
            latest_comments: latest,
            notice: UNTRUSTED,
        })
    }

    /// Creates the issue with a hidden marker derived from the
    /// confirmation's idempotency key. If the answer is lost after GitHub
    /// may have committed (a dropped connection, a 5xx), the issue is looked
    /// up by that marker instead of being created a second time.
    async fn create_exactly_once(
        &self,
        confirmed: &Confirmed,
        args: &CreateArgs,
    ) -> Result<IssueRef, UpstreamError> {
        let mark = marker(confirmed.idempotency_key());
        let body = match &args.body {
            Some(b) => format!("{b}\n\n{mark}"),
            None => mark.clone(),
        };
        let mut payload = json!({"title": args.title, "body": body});
        if !args.labels.is_empty() {
            payload["labels"] = json!(args.labels);
        }
        if !args.assignees.is_empty() {
            payload["assignees"] = json!(args.assignees);
        }
        let issues = format!("{}/issues", repo_path(&args.owner, &args.repo));
        let full = format!("{}/{}", args.owner, args.repo);
        let (v, recovered) = match self
            .client
            .write::<Value>(confirmed, Method::POST, &issues, &payload)
            .await
        {
            Ok(v) => (v, false),
            Err(e) if e.nothing_written() => return Err(e),
            Err(e) => match self.find_by_marker(&issues, &mark).await {
                Some(v) => (v, true),
                None => return Err(e),
            },
        };
        Ok(IssueRef {
            repo: full,
            number: crate::tools::n(&v, "number"),
            url: s(&v, "html_url").unwrap_or_default(),
            recovered,
        })
    }

    /// Looks for the newest issue whose body carries `mark` (listing, not
    /// search: the search index lags creates). Asked up to three times.
    async fn find_by_marker(&self, issues: &str, mark: &str) -> Option<Value> {
        let query = [
            ("state", "all".to_owned()),
            ("sort", "created".to_owned()),
            ("direction", "desc".to_owned()),
        ];
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(750)).await;
            }
            let Ok(p) = self
                .client
                .get_page::<Vec<Value>>(issues, &query, 30, 1, Class::Read)
                .await
            else {
                continue;
            };
            if let Some(found) = p.items.into_iter().find(|i| {
                i.get("body")
                    .and_then(Value::as_str)
                    .is_some_and(|b| b.contains(mark))
            }) {
                return Some(found);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_html_comments() {
        assert_eq!(marker("ab-12 <x>"), "<!-- mcp:ab-12x -->");
    }
}
