//! Toolset `incidents`: find, read, create, update, annotate, resolve and
//! assign incidents.

use connector_kit::confirm::{Effect, Gate, WriteOutcome, WritePlan};
use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ServiceNow;
use crate::model::Record;
use crate::query::{Op, Query};
use crate::tools::{
    DATE_PATTERN, ID_PATTERN, RecordRef, TASK_FIELDS, TaskPage, TaskSummary, group_filter,
    query_error, structured, text_filter, tool_error, user_filter,
};

const TABLE: &str = "incident";

/// Incident-specific fields `search_incidents` returns besides the task fields.
const LIST_EXTRA: &[&str] = &["caller_id", "category"];

/// The fields `get_incident` reads.
const DETAIL_EXTRA: &[&str] = &[
    "caller_id",
    "category",
    "subcategory",
    "impact",
    "urgency",
    "contact_type",
    "description",
    "close_code",
    "close_notes",
    "resolved_at",
    "resolved_by",
    "problem_id",
];

/// An incident state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// New (1).
    New,
    /// In Progress (2).
    InProgress,
    /// On Hold (3).
    OnHold,
    /// Resolved (6).
    Resolved,
    /// Closed (7).
    Closed,
    /// Canceled (8).
    Canceled,
}

impl IncidentState {
    /// The stored value.
    pub fn code(self) -> &'static str {
        match self {
            IncidentState::New => "1",
            IncidentState::InProgress => "2",
            IncidentState::OnHold => "3",
            IncidentState::Resolved => "6",
            IncidentState::Closed => "7",
            IncidentState::Canceled => "8",
        }
    }
}

/// A state `update_incident` may set (resolve with `resolve_incident`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenState {
    /// New (1).
    New,
    /// In Progress (2).
    InProgress,
    /// On Hold (3).
    OnHold,
}

impl OpenState {
    fn code(self) -> &'static str {
        match self {
            OpenState::New => "1",
            OpenState::InProgress => "2",
            OpenState::OnHold => "3",
        }
    }
}

/// Arguments of `search_incidents`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Only these states.
    #[serde(default)]
    #[schemars(length(max = 6))]
    pub state: Vec<IncidentState>,
    /// Only these priorities (1 = Critical … 5 = Planning).
    #[serde(default)]
    #[schemars(length(max = 5), inner(range(min = 1, max = 5)))]
    pub priority: Vec<u8>,
    /// Assignment group name (e.g. `Service Desk`) or sys_id.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub assignment_group: Option<String>,
    /// Assignee: user name (`beth.anglin`), full name or sys_id.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub assigned_to: Option<String>,
    /// Caller: user name, full name or sys_id.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub caller: Option<String>,
    /// Opened at or after (`YYYY-MM-DD` or `YYYY-MM-DD hh:mm:ss`, instance time).
    #[serde(default)]
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub opened_after: Option<String>,
    /// Opened before (`YYYY-MM-DD` or `YYYY-MM-DD hh:mm:ss`).
    #[serde(default)]
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub opened_before: Option<String>,
    /// Words the short description or description contains (taken literally: `^` and `=` are text).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub text: Option<String>,
    /// Only active (true) or only inactive (false) incidents.
    #[serde(default)]
    pub active: Option<bool>,
    /// A raw encoded query AND-ed with the filters, e.g. `category=network`. Only accepted when the
    /// server runs with --allow-raw-query.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub query: Option<String>,
    /// Most incidents to return (1-100, default 20).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 20))]
    pub cursor: Option<String>,
}

fn default_limit() -> u32 {
    20
}

/// Arguments of `get_incident`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Incident number (`INC0010043`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// How many journal entries (work notes and comments, newest first) to include
    /// (0-50; default: the server's --journal).
    #[serde(default)]
    #[schemars(range(min = 0, max = 50))]
    pub journal: Option<u32>,
    /// Longest description returned, in characters (default 8000).
    #[serde(default = "default_description_chars")]
    #[schemars(range(min = 200, max = 100000))]
    pub description_max_chars: usize,
}

fn default_description_chars() -> usize {
    8_000
}

/// One work note or comment.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JournalEntry {
    /// `work_note` (internal) or `comment` (visible to the caller).
    pub kind: String,
    /// Who wrote it (user name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When (instance time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The text (untrusted), cut at 4000 characters.
    pub text: String,
}

/// One incident in full.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IncidentDetail {
    /// The curated fields (`fields` holds caller, category, impact, urgency, resolution …).
    #[serde(flatten)]
    pub incident: TaskSummary,
    /// Description (untrusted text from ServiceNow).
    pub description: String,
    /// Set when the description was cut: how to read the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_note: Option<String>,
    /// Work notes and comments, newest first.
    pub journal: Vec<JournalEntry>,
    /// Journal entries in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_total: Option<u64>,
}

/// Arguments of `create_incident`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// One-line short description.
    #[schemars(length(min = 1, max = 160))]
    pub short_description: String,
    /// Full description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub description: Option<String>,
    /// Caller: user name, e-mail, full name or sys_id (see `lookup_user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub caller: Option<String>,
    /// Impact: 1 (High), 2 (Medium), 3 (Low). With urgency it sets the priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub impact: Option<u8>,
    /// Urgency: 1 (High), 2 (Medium), 3 (Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub urgency: Option<u8>,
    /// Category value, e.g. `network`, `software`, `hardware`, `database`, `inquiry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 40))]
    pub category: Option<String>,
    /// Subcategory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 40))]
    pub subcategory: Option<String>,
    /// Assignment group name or sys_id (see `lookup_group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub assignment_group: Option<String>,
    /// The token from the preview. Pass it only after the user approved the
    /// preview, with all other arguments unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `update_incident`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArgs {
    /// Incident number (`INC0010043`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// New short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 160))]
    pub short_description: Option<String>,
    /// New description (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub description: Option<String>,
    /// New impact: 1 (High), 2 (Medium), 3 (Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub impact: Option<u8>,
    /// New urgency: 1 (High), 2 (Medium), 3 (Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub urgency: Option<u8>,
    /// New state (to resolve use `resolve_incident`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<OpenState>,
    /// New category value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 40))]
    pub category: Option<String>,
    /// New subcategory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 40))]
    pub subcategory: Option<String>,
    /// The `expected_updated_on` from the preview: the update is refused if the incident changed
    /// since then (a concurrent edit). Required with `confirmation_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 40))]
    pub expected_updated_on: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `add_work_note` and `add_comment`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteArgs {
    /// Incident number (`INC0010043`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// The text (plain text).
    #[schemars(length(min = 1, max = 32000))]
    pub text: String,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `resolve_incident`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveArgs {
    /// Incident number (`INC0010043`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Resolution code, e.g. `Solution provided`, `Workaround provided`, `Duplicate`,
    /// `Known error`, `Resolved by caller`, `Resolved by change`, `Resolved by problem`,
    /// `User error`, `No resolution provided`. Most instances require it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60))]
    pub close_code: Option<String>,
    /// Resolution notes: what was done. Most instances require them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32000))]
    pub close_notes: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `assign_incident`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignArgs {
    /// Incident number (`INC0010043`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Assignment group name or sys_id (see `lookup_group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub assignment_group: Option<String>,
    /// Assignee: user name, e-mail, full name or sys_id (see `lookup_user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub assigned_to: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// The fields a write reads first (for the before → after preview).
const BEFORE_FIELDS: &[&str] = &[
    "sys_id",
    "number",
    "short_description",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "category",
    "subcategory",
    "assignment_group",
    "assigned_to",
    "close_code",
    "close_notes",
    "sys_updated_on",
];

#[tool_router(router = incidents_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to find incidents by state, priority, assignment group,
    /// assignee, caller, opening date or words in the description; newest
    /// first, paged with `cursor`. Filter values are always taken literally.
    /// Read one incident in full with `get_incident`.
    #[tool(name = "search_incidents", title = "Search incidents")]
    async fn search_incidents(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<TaskPage>, CallToolResult> {
        let mut q = Query::new();
        let states: Vec<String> = args.state.iter().map(|s| s.code().to_owned()).collect();
        q = q.any_value("state", &states).map_err(query_error)?;
        let priorities: Vec<String> = args.priority.iter().map(u8::to_string).collect();
        q = q.any_value("priority", &priorities).map_err(query_error)?;
        if let Some(g) = &args.assignment_group {
            q = group_filter(q, "assignment_group", g).map_err(query_error)?;
        }
        if let Some(u) = &args.assigned_to {
            q = user_filter(q, "assigned_to", u).map_err(query_error)?;
        }
        if let Some(u) = &args.caller {
            q = user_filter(q, "caller_id", u).map_err(query_error)?;
        }
        if let Some(d) = &args.opened_after {
            q = q.and("opened_at", Op::Ge, d).map_err(query_error)?;
        }
        if let Some(d) = &args.opened_before {
            q = q.and("opened_at", Op::Lt, d).map_err(query_error)?;
        }
        if let Some(t) = &args.text {
            q = text_filter(q, &["short_description", "description"], t).map_err(query_error)?;
        }
        if let Some(a) = args.active {
            q = q.eq("active", &a.to_string()).map_err(query_error)?;
        }
        q = self.with_raw(q, args.query.as_deref())?;
        self.search_tasks(TABLE, q, LIST_EXTRA, args.limit, args.cursor.as_deref())
            .await
            .map(Json)
    }

    /// Use this to read one incident in full: description, caller, category,
    /// impact and urgency, resolution, and its journal (work notes and
    /// comments, newest first).
    #[tool(name = "get_incident", title = "Get an incident")]
    async fn get_incident(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<IncidentDetail>, CallToolResult> {
        let fields: Vec<&str> = TASK_FIELDS.iter().chain(DETAIL_EXTRA).copied().collect();
        let r = self.find_record(TABLE, &args.id, &fields).await?;
        let want = args.journal.unwrap_or(self.options.journal).min(50);
        let (journal, journal_total) = if want == 0 {
            (Vec::new(), None)
        } else {
            let page = self
                .client
                .journal(TABLE, &r.sys_id(), want)
                .await
                .map_err(|e| e.to_tool_result())?;
            (page.records.iter().map(journal_entry).collect(), page.total)
        };
        let extra: Vec<&str> = DETAIL_EXTRA
            .iter()
            .copied()
            .filter(|f| *f != "description")
            .collect();
        let incident = self.summarize(TABLE, &r, &extra);
        let (description, cut) = clip(
            &sanitize(&r.display("description")),
            args.description_max_chars,
        );
        Ok(Json(IncidentDetail {
            description_note: cut.then(|| {
                format!(
                    "The description was cut at {} characters; call get_incident with a larger description_max_chars (up to 100000) or open {}",
                    args.description_max_chars, incident.url
                )
            }),
            incident,
            description,
            journal,
            journal_total,
        }))
    }

    /// Use this to open a new incident. The first call returns a preview and
    /// a confirmation token and creates nothing; after the user approves,
    /// call again with the same arguments plus `confirmation_token`.
    #[tool(name = "create_incident", title = "Create an incident", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn create_incident(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let mut body = Map::new();
        let mut plan = WritePlan::new(
            "servicenow",
            "create_incident",
            Effect::Create,
            "table incident",
            format!("Create an incident: \"{}\"", args.short_description),
        )
        .scope(TABLE)
        .change(
            "short_description",
            None,
            Some(json!(args.short_description)),
        );
        body.insert("short_description".into(), json!(args.short_description));
        if let Some(d) = &args.description {
            plan = plan.change("description", None, Some(json!(d)));
            body.insert("description".into(), json!(d));
        }
        if let Some(c) = &args.caller {
            let (id, name) = match self.resolve_user(c, "caller").await {
                Ok(u) => u,
                Err(e) => return Ok(e.into()),
            };
            plan = plan.change("caller_id", None, Some(json!(name)));
            body.insert("caller_id".into(), json!(id));
        }
        if let Some(g) = &args.assignment_group {
            let (id, name) = match self.resolve_group(g, "assignment_group").await {
                Ok(u) => u,
                Err(e) => return Ok(e.into()),
            };
            plan = plan.change("assignment_group", None, Some(json!(name)));
            body.insert("assignment_group".into(), json!(id));
        }
        for (field, value) in [
            ("impact", args.impact.map(|v| v.to_string())),
            ("urgency", args.urgency.map(|v| v.to_string())),
            ("category", args.category.clone()),
            ("subcategory", args.subcategory.clone()),
        ] {
            if let Some(v) = value {
                plan = plan.change(field, None, Some(json!(v)));
                body.insert(field.into(), json!(v));
            }
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.create_exactly_once(c, TABLE, body).await
            })
            .await;
        Ok(created(result))
    }

    /// Use this to change an incident's short description, description,
    /// impact, urgency, state or category. The preview shows each field
    /// before → after and returns `expected_updated_on`; after the user
    /// approves, call again with the same arguments plus
    /// `confirmation_token` and `expected_updated_on`. If someone else edited
    /// the incident in between, nothing is written.
    #[tool(name = "update_incident", title = "Update an incident", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn update_incident(
        &self,
        Parameters(args): Parameters<UpdateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let before = match self.find_record(TABLE, &args.id, BEFORE_FIELDS).await {
            Ok(r) => r,
            Err(e) => return Ok(e.into()),
        };
        let current = before.value("sys_updated_on");
        if let Some(expected) = &args.expected_updated_on
            && *expected != current
        {
            return Ok(tool_error(format!(
                "{} was changed by someone else since the preview (updated {current}, previewed {expected}); \
                 nothing was written. Call update_incident again without confirmation_token and \
                 expected_updated_on to preview against the current values.",
                before.value("number")
            ))
            .into());
        }
        if args.confirmation_token.is_some() && args.expected_updated_on.is_none() {
            return Ok(tool_error(
                "`expected_updated_on`: pass the value from the preview together with confirmation_token, \
                 so a concurrent edit can be detected; nothing was written",
            )
            .into());
        }
        let mut body = Map::new();
        let mut plan = WritePlan::new(
            "servicenow",
            "update_incident",
            Effect::Update,
            format!("incident {}", before.value("number")),
            format!(
                "Update {} \"{}\" (as of {current})",
                before.value("number"),
                sanitize(&before.display("short_description"))
            ),
        )
        .scope(TABLE);
        let fields: [(&str, Option<String>); 7] = [
            ("short_description", args.short_description.clone()),
            ("description", args.description.clone()),
            ("impact", args.impact.map(|v| v.to_string())),
            ("urgency", args.urgency.map(|v| v.to_string())),
            ("state", args.state.map(|s| s.code().to_owned())),
            ("category", args.category.clone()),
            ("subcategory", args.subcategory.clone()),
        ];
        for (field, value) in fields {
            if let Some(v) = value {
                plan = plan.change(field, Some(shown(&before, field)), Some(json!(v)));
                body.insert(field.into(), json!(v));
            }
        }
        if body.is_empty() {
            return Ok(tool_error(
                "Nothing to change: give at least one of short_description, description, impact, urgency, state, category or subcategory",
            )
            .into());
        }
        // The digest covers the previewed `sys_updated_on`, so the token only
        // commits against the version of the record the user saw.
        let mut sealed = args.clone();
        sealed.expected_updated_on = Some(current.clone());
        let confirmed = match self.kit.guard.confirm(&ctx, &sealed, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(with_expected(answer, &current)),
        };
        Ok(self
            .commit_update(confirmed, TABLE, &before.sys_id(), &body, "Updated")
            .await)
    }

    /// Use this to add an internal work note to an incident (seen by the
    /// fulfillers, not by the caller). Confirmed like every write.
    #[tool(name = "add_work_note", title = "Add a work note", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn add_work_note(
        &self,
        Parameters(args): Parameters<NoteArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.journal_write(args, ctx, "add_work_note", "work_notes", Effect::Create)
            .await
    }

    /// Use this to add a comment the caller (customer) will see and may be
    /// e-mailed; for internal notes use `add_work_note`. Confirmed like every
    /// write.
    #[tool(name = "add_comment", title = "Add a customer-visible comment", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn add_comment(
        &self,
        Parameters(args): Parameters<NoteArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.journal_write(args, ctx, "add_comment", "comments", Effect::Send)
            .await
    }

    /// Use this to resolve an incident with a resolution code and notes
    /// (most instances require both). The preview shows state and
    /// resolution before → after; confirm like every write.
    #[tool(name = "resolve_incident", title = "Resolve an incident", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn resolve_incident(
        &self,
        Parameters(args): Parameters<ResolveArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let before = match self.find_record(TABLE, &args.id, BEFORE_FIELDS).await {
            Ok(r) => r,
            Err(e) => return Ok(e.into()),
        };
        let number = before.value("number");
        let mut body = Map::new();
        body.insert("state".into(), json!(IncidentState::Resolved.code()));
        let mut plan = WritePlan::new(
            "servicenow",
            "resolve_incident",
            Effect::Update,
            format!("incident {number}"),
            format!(
                "Resolve {number} \"{}\"",
                sanitize(&before.display("short_description"))
            ),
        )
        .scope(TABLE)
        .change(
            "state",
            Some(shown(&before, "state")),
            Some(json!("Resolved")),
        );
        if let Some(c) = &args.close_code {
            plan = plan.change(
                "close_code",
                Some(shown(&before, "close_code")),
                Some(json!(c)),
            );
            body.insert("close_code".into(), json!(c));
        }
        if let Some(n) = &args.close_notes {
            plan = plan.change(
                "close_notes",
                Some(shown(&before, "close_notes")),
                Some(json!(n)),
            );
            body.insert("close_notes".into(), json!(n));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        Ok(self
            .commit_update(confirmed, TABLE, &before.sys_id(), &body, "Resolved")
            .await)
    }

    /// Use this to assign an incident to a group and/or a person (find them
    /// with `lookup_group` / `lookup_user`). Confirmed like every write.
    #[tool(name = "assign_incident", title = "Assign an incident", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn assign_incident(
        &self,
        Parameters(args): Parameters<AssignArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if args.assignment_group.is_none() && args.assigned_to.is_none() {
            return Ok(tool_error("Give assignment_group, assigned_to or both").into());
        }
        let before = match self.find_record(TABLE, &args.id, BEFORE_FIELDS).await {
            Ok(r) => r,
            Err(e) => return Ok(e.into()),
        };
        let number = before.value("number");
        let mut body = Map::new();
        let mut plan = WritePlan::new(
            "servicenow",
            "assign_incident",
            Effect::Update,
            format!("incident {number}"),
            format!("Assign {number}"),
        )
        .scope(TABLE);
        if let Some(g) = &args.assignment_group {
            let (id, name) = match self.resolve_group(g, "assignment_group").await {
                Ok(u) => u,
                Err(e) => return Ok(e.into()),
            };
            plan = plan.change(
                "assignment_group",
                Some(shown(&before, "assignment_group")),
                Some(json!(name)),
            );
            body.insert("assignment_group".into(), json!(id));
        }
        if let Some(u) = &args.assigned_to {
            let (id, name) = match self.resolve_user(u, "assigned_to").await {
                Ok(u) => u,
                Err(e) => return Ok(e.into()),
            };
            plan = plan.change(
                "assigned_to",
                Some(shown(&before, "assigned_to")),
                Some(json!(name)),
            );
            body.insert("assigned_to".into(), json!(id));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        Ok(self
            .commit_update(confirmed, TABLE, &before.sys_id(), &body, "Assigned")
            .await)
    }
}

impl ServiceNow {
    /// `query` AND-ed to `q` when raw queries are enabled; a clear refusal otherwise.
    pub(crate) fn with_raw(&self, q: Query, raw: Option<&str>) -> Result<Query, CallToolResult> {
        match raw {
            None => Ok(q),
            Some(_) if !self.options.allow_raw_query => Err(tool_error(
                "`query`: raw encoded queries are disabled on this server (the operator can enable \
                 them with --allow-raw-query); use the structured filters instead",
            )),
            Some(r) => Ok(q.raw(r)),
        }
    }

    /// `add_work_note` / `add_comment`: appends to a journal field.
    async fn journal_write(
        &self,
        args: NoteArgs,
        ctx: RequestContext<RoleServer>,
        tool: &str,
        field: &str,
        effect: Effect,
    ) -> Result<CallToolResponse, ErrorData> {
        let before = match self
            .find_record(TABLE, &args.id, &["sys_id", "number", "short_description"])
            .await
        {
            Ok(r) => r,
            Err(e) => return Ok(e.into()),
        };
        let number = before.value("number");
        let what = if field == "comments" {
            "a customer-visible comment"
        } else {
            "an internal work note"
        };
        let plan = WritePlan::new(
            "servicenow",
            tool,
            effect,
            format!("incident {number}"),
            format!("Add {what} to {number}"),
        )
        .scope(TABLE)
        .change(field, None, Some(json!(args.text)));
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let mut body = Map::new();
        body.insert(field.into(), json!(args.text));
        let verb = if field == "comments" {
            "Added a comment to"
        } else {
            "Added a work note to"
        };
        Ok(self
            .commit_update(confirmed, TABLE, &before.sys_id(), &body, verb)
            .await)
    }
}

/// The executed answer of a create (or its error).
pub(crate) fn created(result: Result<RecordRef, connector_kit::UpstreamError>) -> CallToolResponse {
    match result {
        Ok(r) => {
            let text = if r.recovered {
                format!(
                    "Created {} ({}). The connection dropped after ServiceNow took the request; the record was found by its correlation_id, so it exists exactly once.",
                    r.number, r.url
                )
            } else {
                format!("Created {} ({}).", r.number, r.url)
            };
            structured(&text, &WriteOutcome::executed(r, text.clone()))
        }
        Err(e) => e.to_tool_result().into(),
    }
}

/// A field's display value for a preview's "before".
fn shown(r: &Record, field: &str) -> Value {
    match r.shown(field) {
        Some(s) => json!(s),
        None => Value::Null,
    }
}

fn journal_entry(r: &Record) -> JournalEntry {
    let (text, _) = clip(&sanitize(&r.display("value")), 4_000);
    JournalEntry {
        kind: if r.value("element") == "comments" {
            "comment".into()
        } else {
            "work_note".into()
        },
        author: r.shown("sys_created_by"),
        created: r.shown("sys_created_on"),
        text,
    }
}

/// Adds `expected_updated_on` to a preview, so the commit call can pass it back.
fn with_expected(answer: CallToolResponse, updated_on: &str) -> CallToolResponse {
    let CallToolResponse::Complete(mut r) = answer else {
        return answer;
    };
    let is_preview = r
        .structured_content
        .as_ref()
        .is_some_and(|s| s["status"] == "confirmation_required");
    if !is_preview {
        return CallToolResponse::Complete(r);
    }
    if let Some(Value::Object(s)) = &mut r.structured_content {
        s.insert("expected_updated_on".into(), json!(updated_on));
    }
    r.content.push(ContentBlock::text(format!(
        "Also pass \"expected_updated_on\": \"{updated_on}\" with the token: if the incident changes before then, the update is refused instead of overwriting someone else's edit."
    )));
    CallToolResponse::Complete(r)
}
