//! Toolset `issues`: find, read, create, edit, assign and delete issues.

use connector_kit::UpstreamError;
use connector_kit::confirm::{Confirmed, Effect, Gate, WriteFailure, WriteOutcome, WritePlan};
use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Jira;
use crate::client::JiraClient;
use crate::config::Deployment;
use crate::model::Created;
use crate::tools::{
    CommentOut, IssueSummary, KEY_PATTERN, Person, SUMMARY_FIELDS, project_of, structured,
    tool_error,
};

/// Arguments of `search_issues`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// JQL query, e.g. `project = OPS AND status = "In Progress" ORDER BY updated DESC`.
    #[schemars(length(min = 1, max = 4000))]
    pub jql: String,
    /// Extra fields to return besides the curated ones (field ids, e.g. `duedate`, `customfield_10010`).
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub fields: Vec<String>,
    /// Most issues to return (1-100, default 20).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub cursor: Option<String>,
}

fn default_limit() -> u32 {
    20
}

/// A page of issues.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IssuePage {
    /// Matching issues, in the query's order.
    pub issues: Vec<IssueSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `get_issue`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Issue key (`OPS-12`) or id.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// Extra fields to return (field ids, e.g. `duedate`, `customfield_10010`).
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub fields: Vec<String>,
    /// How many of the newest comments to include (0-50; default: the server's --comments).
    #[serde(default)]
    #[schemars(range(min = 0, max = 50))]
    pub comments: Option<u32>,
    /// Longest description returned, in characters (default 8000).
    #[serde(default = "default_description_chars")]
    #[schemars(range(min = 200, max = 100000))]
    pub description_max_chars: usize,
}

fn default_description_chars() -> usize {
    8_000
}

/// A link to another issue.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkOut {
    /// How this issue relates, e.g. `blocks`, `is blocked by`.
    pub relation: String,
    /// The other issue's key.
    pub key: String,
    /// Its summary.
    pub summary: String,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its URL.
    pub url: String,
}

/// A transition available now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TransitionOut {
    /// Id for `transition_issue`.
    pub id: String,
    /// Name, e.g. `Start Progress`.
    pub name: String,
    /// Status it leads to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// One issue in full.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IssueDetail {
    /// The curated fields.
    #[serde(flatten)]
    pub issue: IssueSummary,
    /// Resolution, once resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Reporter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Person>,
    /// Components.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// Description as Markdown (untrusted text from Jira).
    pub description: String,
    /// Set when the description was cut: how to read the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_note: Option<String>,
    /// The newest comments, oldest first.
    pub comments: Vec<CommentOut>,
    /// Comments on the issue in all; read older ones with `list_comments`.
    pub comments_total: u64,
    /// Links to other issues.
    pub links: Vec<LinkOut>,
    /// Transitions available now (for `transition_issue`).
    pub transitions: Vec<TransitionOut>,
}

/// Arguments of `create_issue`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Project key, e.g. `OPS`.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,29}$"))]
    pub project: String,
    /// Issue type name or id, e.g. `Task`, `Bug` (see `get_project`).
    #[schemars(length(min = 1, max = 60))]
    pub issue_type: String,
    /// One-line summary.
    #[schemars(length(min = 1, max = 255))]
    pub summary: String,
    /// Description in Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub description: Option<String>,
    /// Priority name, e.g. `High`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60))]
    pub priority: Option<String>,
    /// Labels (no spaces).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20), inner(regex(pattern = r"^\S{1,255}$")))]
    pub labels: Vec<String>,
    /// Assignee id (account id on Cloud, user name on Data Center; see `search_users`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub assignee: Option<String>,
    /// Other fields by id, in Jira's JSON shape, e.g. `{"customfield_10010": {"value": "Major"}}`
    /// (see `get_create_fields`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Map<String, Value>>,
    /// The token from the preview. Pass it only after the user approved the
    /// preview, with all other arguments unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// A created or changed issue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IssueRef {
    /// Issue key.
    pub key: String,
    /// Jira's numeric id.
    pub id: String,
    /// Link to the issue.
    pub url: String,
    /// The label that correlates a create with its confirmation (`mcp-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_label: Option<String>,
    /// Set when the create's answer was lost and the issue was found by its
    /// correlation label instead of being created twice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// Arguments of `update_issue`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// New summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub summary: Option<String>,
    /// New description in Markdown (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub description: Option<String>,
    /// New priority name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60))]
    pub priority: Option<String>,
    /// New labels (replace the old ones; no spaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20), inner(regex(pattern = r"^\S{1,255}$")))]
    pub labels: Option<Vec<String>>,
    /// Other fields by id, in Jira's JSON shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Map<String, Value>>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `assign_issue`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// Assignee id (account id on Cloud, user name on Data Center; see
    /// `search_users`). Omit to unassign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub assignee: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `delete_issue`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// The label a create carries so that, after an ambiguous failure, the issue
/// can be found instead of created again.
pub fn correlation_label(idempotency_key: &str) -> String {
    let short: String = idempotency_key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("mcp-{short}")
}

/// Which fields `get_issue` asks for.
fn detail_fields(extra: &[String]) -> Vec<String> {
    SUMMARY_FIELDS
        .iter()
        .copied()
        .chain([
            "description",
            "resolution",
            "reporter",
            "components",
            "issuelinks",
            "comment",
        ])
        .map(str::to_owned)
        .chain(extra.iter().cloned())
        .collect()
}

#[tool_router(router = issues_tools, vis = "pub(crate)")]
impl Jira {
    /// Use this to find issues with JQL (Jira Query Language) and list them
    /// with their key, summary, status, assignee and link. Pages with
    /// `cursor`; read one issue in full with `get_issue`.
    #[tool(name = "search_issues", title = "Search issues with JQL")]
    async fn search_issues(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<IssuePage>, CallToolResult> {
        let fields: Vec<String> = SUMMARY_FIELDS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(args.fields.iter().cloned())
            .collect();
        if self.client.deployment() == Deployment::DataCenter
            && let Some(c) = &args.cursor
            && c.parse::<u64>().is_err()
        {
            return Err(tool_error(
                "`cursor`: not a cursor from search_issues; omit it to start from the first page",
            ));
        }
        let page = self
            .client
            .search(
                &args.jql,
                &fields,
                args.limit.clamp(1, 100),
                args.cursor.as_deref(),
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(IssuePage {
            issues: page.issues.iter().map(|i| self.summarize(i)).collect(),
            next_cursor: page.next,
        }))
    }

    /// Use this to read one issue in full: description as Markdown, the
    /// newest comments, links to other issues and the transitions available
    /// now.
    #[tool(name = "get_issue", title = "Get an issue")]
    async fn get_issue(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<IssueDetail>, CallToolResult> {
        let issue = self
            .client
            .issue(&args.key, &detail_fields(&args.fields), true)
            .await
            .map_err(|e| e.to_tool_result())?;
        let f = &issue.fields;
        let want = args.comments.unwrap_or(self.options.comments).min(50) as usize;
        let (comments, comments_total) = match &f.comment {
            Some(page) => {
                let skip = page.comments.len().saturating_sub(want);
                let shown = page.comments[skip..]
                    .iter()
                    .map(|c| self.comment_out(&issue.key, c))
                    .collect();
                (shown, page.total.max(page.comments.len() as u64))
            }
            None => (Vec::new(), 0),
        };
        let (description, cut) = clip(
            &self.markdown(f.description.as_ref()),
            args.description_max_chars,
        );
        let links = f
            .issuelinks
            .iter()
            .flatten()
            .filter_map(|l| {
                let t = l.link_type.as_ref();
                let (relation, other) = match (&l.outward_issue, &l.inward_issue) {
                    (Some(o), _) => (t.and_then(|t| t.outward.clone()), o),
                    (None, Some(i)) => (t.and_then(|t| t.inward.clone()), i),
                    (None, None) => return None,
                };
                Some(LinkOut {
                    relation: relation.unwrap_or_else(|| "relates to".into()),
                    key: other.key.clone(),
                    summary: sanitize(other.fields.summary.as_deref().unwrap_or("")),
                    status: other.fields.status.as_ref().and_then(|s| s.name.clone()),
                    url: self.client.browse_url(&other.key),
                })
            })
            .collect();
        let transitions = issue
            .transitions
            .iter()
            .flatten()
            .map(|t| TransitionOut {
                id: t.id.clone(),
                name: t.name.clone(),
                to: t.to.as_ref().and_then(|s| s.name.clone()),
            })
            .collect();
        let mut summary = self.summarize(&issue);
        for drop in [
            "description",
            "comment",
            "issuelinks",
            "reporter",
            "resolution",
            "components",
        ] {
            summary.fields.remove(drop);
        }
        Ok(Json(IssueDetail {
            description_note: cut.then(|| {
                format!(
                    "The description was cut at {} characters; call get_issue with a larger description_max_chars (up to 100000) or open {}",
                    args.description_max_chars, summary.url
                )
            }),
            issue: summary,
            resolution: f.resolution.as_ref().and_then(|r| r.name.clone()),
            reporter: f.reporter.as_ref().map(Person::from),
            components: f
                .components
                .iter()
                .flatten()
                .filter_map(|c| c.name.clone())
                .collect(),
            description,
            comments,
            comments_total,
            links,
            transitions,
        }))
    }

    /// Use this to create a Jira issue. Call `get_create_fields` first to
    /// learn the required fields. The first call returns a preview and a
    /// confirmation token and creates nothing; after the user approves, call
    /// again with the same arguments plus `confirmation_token`.
    #[tool(name = "create_issue", title = "Create an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn create_issue(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let project = args.project.to_ascii_uppercase();
        let types = match self.client.create_issue_types(&project).await {
            Ok(t) => t,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let Some(issue_type) = types
            .iter()
            .find(|t| t.id == args.issue_type || t.name.eq_ignore_ascii_case(&args.issue_type))
        else {
            let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
            return Ok(tool_error(format!(
                "`issue_type`: project {project} has no issue type {:?}; allowed values: {}",
                args.issue_type,
                names.join(", ")
            ))
            .into());
        };

        let mut fields = args.fields.clone().unwrap_or_default();
        fields.insert("project".into(), json!({ "key": project }));
        fields.insert("issuetype".into(), json!({ "id": issue_type.id }));
        fields.insert("summary".into(), json!(args.summary));
        if let Some(d) = &args.description {
            fields.insert("description".into(), self.rich_text(d));
        }
        if let Some(p) = &args.priority {
            fields.insert("priority".into(), json!({ "name": p }));
        }
        if let Some(a) = &args.assignee {
            fields.insert("assignee".into(), self.user_ref(a));
        }
        let mut plan = WritePlan::new(
            "jira",
            "create_issue",
            Effect::Create,
            format!("project {project}"),
            format!(
                "Create a {} in {project}: \"{}\"",
                issue_type.name, args.summary
            ),
        )
        .scope(project.clone())
        .change("issue_type", None, Some(json!(issue_type.name)))
        .change("summary", None, Some(json!(args.summary)));
        if let Some(d) = &args.description {
            plan = plan.change("description", None, Some(json!(d)));
        }
        if let Some(p) = &args.priority {
            plan = plan.change("priority", None, Some(json!(p)));
        }
        if let Some(a) = &args.assignee {
            plan = plan.change("assignee", None, Some(json!(a)));
        }
        if !args.labels.is_empty() {
            plan = plan.change("labels", None, Some(json!(args.labels)));
        }
        for (k, v) in args.fields.iter().flatten() {
            plan = plan.change(k.clone(), None, Some(v.clone()));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };

        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.create_exactly_once(c, &project, &issue_type.id, fields, &args.labels)
                    .await
            })
            .await;
        Ok(match result {
            Ok(issue) => {
                let text = if issue.recovered {
                    format!(
                        "Created {} ({}). The connection dropped after Jira took the request; the issue was found by its label {}, so it exists exactly once.",
                        issue.key,
                        issue.url,
                        issue.correlation_label.as_deref().unwrap_or("")
                    )
                } else {
                    format!("Created {} ({}).", issue.key, issue.url)
                };
                structured(&text, &WriteOutcome::executed(issue, text.clone()))
            }
            Err(e) => e.to_tool_result().into(),
        })
    }

    /// Use this to change an issue's summary, description, priority, labels
    /// or other fields. The preview shows each field before → after; nothing
    /// changes until the user approves and you call again with
    /// `confirmation_token`.
    #[tool(name = "update_issue", title = "Update an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn update_issue(
        &self,
        Parameters(args): Parameters<UpdateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let extra: Vec<String> = args
            .fields
            .iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        let mut read = vec![
            "summary".to_owned(),
            "description".into(),
            "priority".into(),
            "labels".into(),
            "project".into(),
            "issuetype".into(),
        ];
        read.extend(extra);
        let before = match self.client.issue(&args.key, &read, false).await {
            Ok(i) => i,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let f = &before.fields;
        let project = f
            .project
            .as_ref()
            .map(|p| p.key.clone())
            .or_else(|| project_of(&before.key))
            .unwrap_or_default();
        let type_id = f
            .issuetype
            .as_ref()
            .and_then(|t| t.id.clone())
            .unwrap_or_default();

        let mut fields = Map::new();
        let mut plan = WritePlan::new(
            "jira",
            "update_issue",
            Effect::Update,
            format!("issue {}", before.key),
            format!(
                "Update {} \"{}\"",
                before.key,
                sanitize(f.summary.as_deref().unwrap_or(""))
            ),
        )
        .scope(project.clone());
        if let Some(s) = &args.summary {
            plan = plan.change("summary", Some(json!(f.summary)), Some(json!(s)));
            fields.insert("summary".into(), json!(s));
        }
        if let Some(d) = &args.description {
            let old = self.markdown(f.description.as_ref());
            plan = plan.change("description", Some(json!(old)), Some(json!(d)));
            fields.insert("description".into(), self.rich_text(d));
        }
        if let Some(p) = &args.priority {
            let old = f.priority.as_ref().and_then(|p| p.name.clone());
            plan = plan.change("priority", Some(json!(old)), Some(json!(p)));
            fields.insert("priority".into(), json!({ "name": p }));
        }
        if let Some(l) = &args.labels {
            plan = plan.change("labels", Some(json!(f.labels)), Some(json!(l)));
            fields.insert("labels".into(), json!(l));
        }
        for (k, v) in args.fields.iter().flatten() {
            let old = f.other.get(k).cloned().unwrap_or(Value::Null);
            plan = plan.change(k.clone(), Some(old), Some(v.clone()));
            fields.insert(k.clone(), v.clone());
        }
        if fields.is_empty() {
            return Ok(tool_error(
                "Nothing to change: give at least one of summary, description, priority, labels or fields",
            )
            .into());
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .update_issue(c, &before.key, &project, &type_id, &fields)
                    .await
            })
            .await;
        Ok(match result {
            Ok(()) => self.changed(&before.key, &before.id, "Updated"),
            Err(e) => e.to_tool_result().into(),
        })
    }

    /// Use this to assign an issue to someone (find their id with
    /// `search_users`) or, without `assignee`, to unassign it. Confirmed like
    /// every write.
    #[tool(name = "assign_issue", title = "Assign an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn assign_issue(
        &self,
        Parameters(args): Parameters<AssignArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let fields = ["summary".to_owned(), "assignee".into(), "project".into()];
        let before = match self.client.issue(&args.key, &fields, false).await {
            Ok(i) => i,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let old = before.fields.assignee.as_ref().map(Person::from);
        let project = scope_of(&before);
        let plan = WritePlan::new(
            "jira",
            "assign_issue",
            Effect::Update,
            format!("issue {}", before.key),
            match &args.assignee {
                Some(a) => format!("Assign {} to {a}", before.key),
                None => format!("Unassign {}", before.key),
            },
        )
        .scope(project)
        .change(
            "assignee",
            Some(json!(old.map(|p| format!("{} ({})", p.name, p.id)))),
            Some(json!(args.assignee)),
        );
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .assign(c, &before.key, args.assignee.as_deref())
                    .await
            })
            .await;
        Ok(match result {
            Ok(()) => self.changed(&before.key, &before.id, "Assigned"),
            Err(e) => e.to_tool_result().into(),
        })
    }

    /// Use this only when the user explicitly asks to delete an issue: it
    /// removes the issue and its sub-tasks for good. High impact (tier 4):
    /// off unless the operator enabled it.
    #[tool(name = "delete_issue", title = "Delete an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn delete_issue(
        &self,
        Parameters(args): Parameters<DeleteArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let fields = ["summary".to_owned(), "project".into()];
        let before = match self.client.issue(&args.key, &fields, false).await {
            Ok(i) => i,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let summary = sanitize(before.fields.summary.as_deref().unwrap_or(""));
        let plan = WritePlan::new(
            "jira",
            "delete_issue",
            Effect::Destructive,
            format!("issue {}", before.key),
            format!(
                "Delete {} \"{summary}\" and its sub-tasks permanently",
                before.key
            ),
        )
        .scope(scope_of(&before))
        .change(
            "issue",
            Some(json!(format!("{} {summary}", before.key))),
            None,
        );
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client.delete_issue(c, &before.key).await
            })
            .await;
        Ok(match result {
            Ok(()) => {
                let text = format!("Deleted {}.", before.key);
                let gone = IssueRef {
                    url: self.client.browse_url(&before.key),
                    key: before.key.clone(),
                    id: before.id.clone(),
                    correlation_label: None,
                    recovered: false,
                };
                structured(&text, &WriteOutcome::executed(gone, text.clone()))
            }
            Err(e) => e.to_tool_result().into(),
        })
    }
}

impl Jira {
    /// Creates the issue with a correlation label derived from the
    /// confirmation's idempotency key. If the answer is lost after Jira may
    /// have committed (a dropped connection, a 5xx), the issue is looked up
    /// by that label instead of being created a second time.
    async fn create_exactly_once(
        &self,
        confirmed: &Confirmed,
        project: &str,
        issue_type_id: &str,
        mut fields: Map<String, Value>,
        labels: &[String],
    ) -> Result<IssueRef, UpstreamError> {
        let label = correlation_label(confirmed.idempotency_key());
        let mut all_labels = labels.to_vec();
        all_labels.push(label.clone());
        fields.insert("labels".into(), json!(all_labels));
        let (created, recovered) = match self
            .client
            .create_issue(confirmed, project, issue_type_id, &fields)
            .await
        {
            Ok(created) => (created, false),
            Err(e) if e.nothing_written() => return Err(e),
            Err(e) => match find_by_label(&self.client, project, &label).await {
                Some(found) => (found, true),
                None => return Err(e),
            },
        };
        Ok(IssueRef {
            url: self.client.browse_url(&created.key),
            key: created.key,
            id: created.id,
            correlation_label: Some(label),
            recovered,
        })
    }

    /// The JSON Jira expects for a user: `accountId` on Cloud, `name` on DC.
    pub(crate) fn user_ref(&self, id: &str) -> Value {
        match self.client.deployment() {
            Deployment::Cloud => json!({ "accountId": id }),
            Deployment::DataCenter => json!({ "name": id }),
        }
    }

    /// The executed answer of a write that changed `key`.
    pub(crate) fn changed(&self, key: &str, id: &str, verb: &str) -> CallToolResponse {
        let issue = IssueRef {
            url: self.client.browse_url(key),
            key: key.to_owned(),
            id: id.to_owned(),
            correlation_label: None,
            recovered: false,
        };
        let text = format!("{verb} {key} ({}).", issue.url);
        structured(&text, &WriteOutcome::executed(issue, text.clone()))
    }
}

/// The write-scope key of an issue: its project.
pub(crate) fn scope_of(issue: &crate::model::Issue) -> String {
    issue
        .fields
        .project
        .as_ref()
        .map(|p| p.key.clone())
        .or_else(|| project_of(&issue.key))
        .unwrap_or_default()
}

/// Looks for an issue carrying `label` in `project`. Jira's search index can
/// lag a create by a moment, so an empty answer is asked again twice.
async fn find_by_label(client: &JiraClient, project: &str, label: &str) -> Option<Created> {
    let jql = format!(
        "project = {} AND labels = {}",
        crate::tools::jql_string(project),
        crate::tools::jql_string(label)
    );
    for attempt in 0..3 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(750)).await;
        }
        let page = client
            .search(&jql, &["summary".into()], 1, None)
            .await
            .ok()?;
        if let Some(found) = page.issues.into_iter().next() {
            return Some(Created {
                id: found.id,
                key: found.key,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_labels_are_short_and_stable() {
        assert_eq!(
            correlation_label("0123456789abcdef-xyz"),
            "mcp-0123456789ab"
        );
        assert_eq!(correlation_label("a-b_c"), "mcp-abc");
    }
}
