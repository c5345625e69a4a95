//! Toolset `problems`: find and read problem records.

use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ServiceNow;
use crate::query::Query;
use crate::tools::{
    ID_PATTERN, TASK_FIELDS, TaskPage, TaskSummary, group_filter, query_error, text_filter,
};

const TABLE: &str = "problem";
const LIST_EXTRA: &[&str] = &["known_error", "category"];
const DETAIL_EXTRA: &[&str] = &[
    "known_error",
    "category",
    "impact",
    "urgency",
    "cause_notes",
    "fix_notes",
    "workaround",
];

/// A problem state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemState {
    /// New (101).
    New,
    /// Assess (102).
    Assess,
    /// Root Cause Analysis (103).
    RootCauseAnalysis,
    /// Fix in Progress (104).
    FixInProgress,
    /// Resolved (106).
    Resolved,
    /// Closed (107).
    Closed,
}

impl ProblemState {
    fn code(self) -> &'static str {
        match self {
            ProblemState::New => "101",
            ProblemState::Assess => "102",
            ProblemState::RootCauseAnalysis => "103",
            ProblemState::FixInProgress => "104",
            ProblemState::Resolved => "106",
            ProblemState::Closed => "107",
        }
    }
}

/// Arguments of `search_problems`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Only these states.
    #[serde(default)]
    #[schemars(length(max = 6))]
    pub state: Vec<ProblemState>,
    /// Assignment group name or sys_id.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub assignment_group: Option<String>,
    /// Only known errors (true) or only others (false).
    #[serde(default)]
    pub known_error: Option<bool>,
    /// Words the short description or description contains (taken literally).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub text: Option<String>,
    /// A raw encoded query AND-ed with the filters (only with --allow-raw-query).
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub query: Option<String>,
    /// Most problems to return (1-100, default 20).
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

/// Arguments of `get_problem`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Problem number (`PRB0040001`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
}

/// One problem in full.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProblemDetail {
    /// The curated fields (`fields` holds known error, cause, fix, workaround …).
    #[serde(flatten)]
    pub problem: TaskSummary,
    /// Description (untrusted), cut at 8000 characters.
    pub description: String,
}

#[tool_router(router = problems_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to find problem records (root causes behind incidents) by
    /// state, group, known-error flag or words; newest first, paged with
    /// `cursor`.
    #[tool(name = "search_problems", title = "Search problems")]
    async fn search_problems(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<TaskPage>, CallToolResult> {
        let states: Vec<String> = args.state.iter().map(|s| s.code().to_owned()).collect();
        let mut q = Query::new()
            .any_value("state", &states)
            .map_err(query_error)?;
        if let Some(g) = &args.assignment_group {
            q = group_filter(q, "assignment_group", g).map_err(query_error)?;
        }
        if let Some(k) = args.known_error {
            q = q.eq("known_error", &k.to_string()).map_err(query_error)?;
        }
        if let Some(t) = &args.text {
            q = text_filter(q, &["short_description", "description"], t).map_err(query_error)?;
        }
        q = self.with_raw(q, args.query.as_deref())?;
        self.search_tasks(TABLE, q, LIST_EXTRA, args.limit, args.cursor.as_deref())
            .await
            .map(Json)
    }

    /// Use this to read one problem in full: description, cause, fix and
    /// workaround notes.
    #[tool(name = "get_problem", title = "Get a problem")]
    async fn get_problem(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<ProblemDetail>, CallToolResult> {
        let fields: Vec<&str> = TASK_FIELDS
            .iter()
            .chain(DETAIL_EXTRA)
            .chain(&["description"])
            .copied()
            .collect();
        let r = self.find_record(TABLE, &args.id, &fields).await?;
        Ok(Json(ProblemDetail {
            problem: self.summarize(TABLE, &r, DETAIL_EXTRA),
            description: clip(&sanitize(&r.display("description")), 8_000).0,
        }))
    }
}
