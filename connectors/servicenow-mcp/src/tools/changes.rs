//! Toolset `changes`: find, read and create change requests.

use connector_kit::confirm::{Effect, Gate, Tier, WriteOutcome, WritePlan};
use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use crate::ServiceNow;
use crate::query::Query;
use crate::tools::incidents::created;
use crate::tools::{
    DATE_PATTERN, ID_PATTERN, RecordRef, TASK_FIELDS, TaskPage, TaskSummary, group_filter,
    query_error, text_filter,
};

const TABLE: &str = "change_request";
const LIST_EXTRA: &[&str] = &["type", "risk", "start_date", "end_date"];
const DETAIL_EXTRA: &[&str] = &[
    "type",
    "risk",
    "impact",
    "category",
    "requested_by",
    "start_date",
    "end_date",
    "justification",
    "implementation_plan",
    "backout_plan",
    "test_plan",
];

/// A change type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    /// Pre-approved, low risk.
    Standard,
    /// Goes through assessment and approval.
    Normal,
    /// Expedited for an outage.
    Emergency,
}

impl ChangeType {
    fn code(self) -> &'static str {
        match self {
            ChangeType::Standard => "standard",
            ChangeType::Normal => "normal",
            ChangeType::Emergency => "emergency",
        }
    }
}

/// Arguments of `search_change_requests`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Only this change type.
    #[serde(default)]
    pub r#type: Option<ChangeType>,
    /// Assignment group name or sys_id.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub assignment_group: Option<String>,
    /// Planned to start at or after (`YYYY-MM-DD` or `YYYY-MM-DD hh:mm:ss`).
    #[serde(default)]
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub starts_after: Option<String>,
    /// Words the short description or description contains (taken literally).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub text: Option<String>,
    /// Only active (true) or only inactive (false) changes.
    #[serde(default)]
    pub active: Option<bool>,
    /// A raw encoded query AND-ed with the filters (only with --allow-raw-query).
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub query: Option<String>,
    /// Most changes to return (1-100, default 20).
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

/// Arguments of `get_change_request`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Change number (`CHG0030001`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
}

/// One change request in full.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangeDetail {
    /// The curated fields (`fields` holds type, risk, schedule and plans).
    #[serde(flatten)]
    pub change: TaskSummary,
    /// Description (untrusted), cut at 8000 characters.
    pub description: String,
}

/// Arguments of `create_change_request`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// One-line short description.
    #[schemars(length(min = 1, max = 160))]
    pub short_description: String,
    /// Change type.
    pub r#type: ChangeType,
    /// What will change and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub description: Option<String>,
    /// Risk: 1 (Very High), 2 (High), 3 (Moderate), 4 (Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 4))]
    pub risk: Option<u8>,
    /// Impact: 1 (High), 2 (Medium), 3 (Low).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub impact: Option<u8>,
    /// Assignment group name or sys_id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub assignment_group: Option<String>,
    /// Planned start (`YYYY-MM-DD hh:mm:ss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub start_date: Option<String>,
    /// Planned end (`YYYY-MM-DD hh:mm:ss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DATE_PATTERN))]
    pub end_date: Option<String>,
    /// Implementation plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub implementation_plan: Option<String>,
    /// Backout plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32000))]
    pub backout_plan: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

#[tool_router(router = changes_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to find change requests by type, group, planned start or
    /// words; newest first, paged with `cursor`.
    #[tool(name = "search_change_requests", title = "Search change requests")]
    async fn search_change_requests(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<TaskPage>, CallToolResult> {
        let mut q = Query::new();
        if let Some(t) = args.r#type {
            q = q.eq("type", t.code()).map_err(query_error)?;
        }
        if let Some(g) = &args.assignment_group {
            q = group_filter(q, "assignment_group", g).map_err(query_error)?;
        }
        if let Some(d) = &args.starts_after {
            q = q
                .and("start_date", crate::query::Op::Ge, d)
                .map_err(query_error)?;
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

    /// Use this to read one change request in full: type, risk, schedule,
    /// justification and the implementation, backout and test plans.
    #[tool(name = "get_change_request", title = "Get a change request")]
    async fn get_change_request(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<ChangeDetail>, CallToolResult> {
        let fields: Vec<&str> = TASK_FIELDS
            .iter()
            .chain(DETAIL_EXTRA)
            .chain(&["description"])
            .copied()
            .collect();
        let r = self.find_record(TABLE, &args.id, &fields).await?;
        Ok(Json(ChangeDetail {
            change: self.summarize(TABLE, &r, DETAIL_EXTRA),
            description: clip(&sanitize(&r.display("description")), 8_000).0,
        }))
    }

    /// Use this only when the user explicitly asks to raise a change
    /// request. High impact (tier 4): off unless the operator enabled it,
    /// and `change_request` must be in --write-tables. Confirmed like every
    /// write.
    #[tool(name = "create_change_request", title = "Create a change request", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn create_change_request(
        &self,
        Parameters(args): Parameters<CreateArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let mut body = Map::new();
        let mut plan = WritePlan::new(
            "servicenow",
            "create_change_request",
            Effect::Create,
            "table change_request",
            format!(
                "Create a {} change: \"{}\"",
                args.r#type.code(),
                args.short_description
            ),
        )
        .tier(Tier::HighImpact)
        .scope(TABLE);
        if let Some(g) = &args.assignment_group {
            let (id, name) = match self.resolve_group(g, "assignment_group").await {
                Ok(u) => u,
                Err(e) => return Ok(e.into()),
            };
            plan = plan.change("assignment_group", None, Some(json!(name)));
            body.insert("assignment_group".into(), json!(id));
        }
        for (field, value) in [
            ("short_description", Some(args.short_description.clone())),
            ("type", Some(args.r#type.code().to_owned())),
            ("description", args.description.clone()),
            ("risk", args.risk.map(|v| v.to_string())),
            ("impact", args.impact.map(|v| v.to_string())),
            ("start_date", args.start_date.clone()),
            ("end_date", args.end_date.clone()),
            ("implementation_plan", args.implementation_plan.clone()),
            ("backout_plan", args.backout_plan.clone()),
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
}
