//! The tools, one file per toolset:
//!
//! | toolset | tools |
//! |---|---|
//! | `incidents` | `search_incidents`, `get_incident`, `create_incident`, `update_incident`, `add_work_note`, `add_comment`, `resolve_incident`, `assign_incident` |
//! | `knowledge` | `search_knowledge`, `get_article` |
//! | `changes` | `search_change_requests`, `get_change_request`, `create_change_request` |
//! | `problems` | `search_problems`, `get_problem` |
//! | `tables` | `query_table`, `get_record` (the `--tables` allow-list only) |
//! | `users` | `lookup_user`, `lookup_group` |
//! | `search` | `search`, `fetch` (the ChatGPT deep-research pair) |
//!
//! This file also holds what the toolsets share: the curated shape of a task
//! record (incident, problem, change), reference look-ups, and result helpers.

pub mod changes;
pub mod incidents;
pub mod knowledge;
pub mod problems;
pub mod search;
pub mod tables;
pub mod users;

use connector_kit::confirm::{Confirmed, Effect, Tier, WriteOutcome};
use connector_kit::text::sanitize;
use connector_kit::{ToolSpec, UpstreamError};
use rmcp::model::{CallToolResponse, CallToolResult};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ServiceNow;
use crate::model::Record;
use crate::query::{Op, Query, QueryError, is_sys_id};

pub(crate) use connector_kit::respond::{offset_cursor, structured, tool_error};

/// Every tool's toolset and effect; the kit derives annotations and tiers.
pub const SPECS: &[ToolSpec] = &[
    ToolSpec::read("search_incidents", "incidents"),
    ToolSpec::read("get_incident", "incidents"),
    ToolSpec::new("create_incident", "incidents", Effect::Create),
    ToolSpec::new("update_incident", "incidents", Effect::Update),
    ToolSpec::new("add_work_note", "incidents", Effect::Create),
    ToolSpec::new("add_comment", "incidents", Effect::Send),
    ToolSpec::new("resolve_incident", "incidents", Effect::Update),
    ToolSpec::new("assign_incident", "incidents", Effect::Update),
    ToolSpec::read("search_knowledge", "knowledge"),
    ToolSpec::read("get_article", "knowledge"),
    ToolSpec::read("search_change_requests", "changes"),
    ToolSpec::read("get_change_request", "changes"),
    ToolSpec::new("create_change_request", "changes", Effect::Create).tier(Tier::HighImpact),
    ToolSpec::read("search_problems", "problems"),
    ToolSpec::read("get_problem", "problems"),
    ToolSpec::read("query_table", "tables"),
    ToolSpec::read("get_record", "tables"),
    ToolSpec::read("lookup_user", "users"),
    ToolSpec::read("lookup_group", "users"),
    ToolSpec::read("search", "search"),
    ToolSpec::read("fetch", "search"),
];

/// The fields every task list (incident, problem, change) asks for.
pub const TASK_FIELDS: &[&str] = &[
    "sys_id",
    "number",
    "short_description",
    "state",
    "priority",
    "assignment_group",
    "assigned_to",
    "opened_at",
    "sys_updated_on",
];

/// A record number (`INC0010043`) or a 32-hex `sys_id`, as a JSON Schema pattern.
pub const ID_PATTERN: &str = r"^([A-Za-z]{2,8}[0-9]{4,12}|[0-9a-fA-F]{32})$";

/// A ServiceNow date or date-time (`2024-05-01` or `2024-05-01 13:45:00`, UTC).
pub const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$";

/// One task record (incident, problem or change request), curated.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskSummary {
    /// Number, e.g. `INC0010043`.
    pub number: String,
    /// `sys_id` (32 hex characters).
    pub sys_id: String,
    /// Link to the record in ServiceNow.
    pub url: String,
    /// Short description (untrusted text from ServiceNow).
    pub short_description: String,
    /// State (its label, e.g. `In Progress`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Priority label, e.g. `2 - High`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Assignment group name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_group: Option<String>,
    /// Assignee name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    /// Opened (instance time, `YYYY-MM-DD hh:mm:ss`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    /// Last updated; pass it back as `expected_updated_on` to updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Other fields of this table, as display values.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
}

/// A page of task records.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskPage {
    /// Matching records, in the query's order.
    pub records: Vec<TaskSummary>,
    /// Matching records in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A created or changed record.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RecordRef {
    /// Table, e.g. `incident`.
    pub table: String,
    /// Number, e.g. `INC0010121`.
    pub number: String,
    /// `sys_id`.
    pub sys_id: String,
    /// Link to the record.
    pub url: String,
    /// Last updated after the write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// `correlation_id` a create carries (the confirmation's idempotency key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Set when the create's answer was lost and the record was found by its
    /// `correlation_id` instead of being created twice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// Longest long-text field returned in lists, in characters.
const FIELD_BUDGET: usize = 4_000;

impl ServiceNow {
    /// The curated shape of a task record; `extra` fields go to `fields`.
    pub(crate) fn summarize(&self, table: &str, r: &Record, extra: &[&str]) -> TaskSummary {
        let sys_id = r.sys_id();
        let mut fields = Map::new();
        for f in extra {
            if let Some(v) = r.shown(f) {
                let (v, _) = connector_kit::text::clip(&v, FIELD_BUDGET);
                fields.insert((*f).to_owned(), Value::String(v));
            }
        }
        TaskSummary {
            number: r.value("number"),
            url: self.client.record_url(table, &sys_id),
            sys_id,
            short_description: sanitize(&r.display("short_description")),
            state: r.shown("state"),
            priority: r.shown("priority"),
            assignment_group: r.shown("assignment_group"),
            assigned_to: r.shown("assigned_to"),
            opened_at: r.shown("opened_at"),
            updated_at: r.shown("sys_updated_on"),
            fields,
        }
    }

    /// A page of task records matching `query` (sorted newest first).
    pub(crate) async fn search_tasks(
        &self,
        table: &str,
        query: Query,
        extra: &[&str],
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<TaskPage, CallToolResult> {
        let offset = offset_cursor(cursor)?;
        let query = query
            .order_by("opened_at", true)
            .and_then(|q| q.order_by("number", true))
            .map_err(query_error)?;
        let fields: Vec<&str> = TASK_FIELDS.iter().chain(extra).copied().collect();
        let limit = limit.clamp(1, 100);
        let page = self
            .client
            .list(table, &query.build(), &fields, limit, offset)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(TaskPage {
            records: page
                .records
                .iter()
                .map(|r| self.summarize(table, r, extra))
                .collect(),
            total: page.total,
            next_cursor: page.next_offset(offset, limit).map(|o| o.to_string()),
        })
    }

    /// One record by number or `sys_id`, or a tool error naming what was not found.
    pub(crate) async fn find_record(
        &self,
        table: &str,
        id: &str,
        fields: &[&str],
    ) -> Result<Record, CallToolResult> {
        match self.client.find(table, id, fields).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(tool_error(format!(
                "No {table} record {id:?}: check the number (e.g. INC0010043) or sys_id"
            ))),
            Err(e) => Err(e.to_tool_result()),
        }
    }

    /// Resolves a user given as `sys_id`, `user_name`, e-mail or full name to
    /// `(sys_id, name)`; a tool error lists near matches.
    pub(crate) async fn resolve_user(
        &self,
        arg: &str,
        who: &str,
    ) -> Result<(String, String), CallToolResult> {
        let q = if is_sys_id(arg) {
            Query::new().eq("sys_id", arg)
        } else {
            Query::new().any_of(&[
                ("user_name", Op::Eq, arg),
                ("email", Op::Eq, arg),
                ("name", Op::Eq, arg),
            ])
        }
        .map_err(query_error)?;
        self.resolve_one("sys_user", q, arg, who, "lookup_user")
            .await
    }

    /// Resolves a group given as `sys_id` or name to `(sys_id, name)`.
    pub(crate) async fn resolve_group(
        &self,
        arg: &str,
        who: &str,
    ) -> Result<(String, String), CallToolResult> {
        let q = if is_sys_id(arg) {
            Query::new().eq("sys_id", arg)
        } else {
            Query::new().eq("name", arg)
        }
        .map_err(query_error)?;
        self.resolve_one("sys_user_group", q, arg, who, "lookup_group")
            .await
    }

    async fn resolve_one(
        &self,
        table: &str,
        q: Query,
        arg: &str,
        who: &str,
        tool: &str,
    ) -> Result<(String, String), CallToolResult> {
        let page = self
            .client
            .list(table, &q.build(), &["sys_id", "name"], 2, 0)
            .await
            .map_err(|e| e.to_tool_result())?;
        match page.records.as_slice() {
            [one] => Ok((one.sys_id(), one.display("name"))),
            [] => Err(tool_error(format!(
                "`{who}`: no {} matches {arg:?}; find it with {tool}",
                if table == "sys_user" { "user" } else { "group" }
            ))),
            _ => Err(tool_error(format!(
                "`{who}`: {arg:?} matches more than one record; pass its sys_id (see {tool})"
            ))),
        }
    }

    /// Creates a record carrying `correlation_id` = the confirmation's
    /// idempotency key. If the answer is lost after the instance may have
    /// committed, the record is looked up by that key instead of created twice.
    pub(crate) async fn create_exactly_once(
        &self,
        confirmed: &Confirmed,
        table: &str,
        mut body: Map<String, Value>,
    ) -> Result<RecordRef, UpstreamError> {
        let key = confirmed.idempotency_key().to_owned();
        body.insert("correlation_id".into(), Value::String(key.clone()));
        let fields = ["sys_id", "number", "sys_updated_on"];
        let (record, recovered) = match self.client.create(confirmed, table, &body, &fields).await {
            Ok(r) => (r, false),
            Err(e) if connector_kit::confirm::WriteFailure::nothing_written(&e) => return Err(e),
            Err(e) => match self.find_by_correlation(table, &key).await {
                Some(found) => (found, true),
                None => return Err(e),
            },
        };
        let sys_id = record.sys_id();
        Ok(RecordRef {
            table: table.to_owned(),
            number: record.value("number"),
            url: self.client.record_url(table, &sys_id),
            sys_id,
            updated_at: record.shown("sys_updated_on"),
            correlation_id: Some(key),
            recovered,
        })
    }

    async fn find_by_correlation(&self, table: &str, key: &str) -> Option<Record> {
        let q = Query::new().eq("correlation_id", key).ok()?.build();
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            let page = self
                .client
                .list(table, &q, &["sys_id", "number", "sys_updated_on"], 1, 0)
                .await
                .ok()?;
            if let Some(found) = page.records.into_iter().next() {
                return Some(found);
            }
        }
        None
    }

    /// Runs a confirmed `PATCH` of `sys_id` in `table` through the guard (at most once) and
    /// answers with what changed, or the upstream error.
    pub(crate) async fn commit_update(
        &self,
        confirmed: Confirmed,
        table: &str,
        sys_id: &str,
        body: &Map<String, Value>,
        verb: &str,
    ) -> CallToolResponse {
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .update(
                        c,
                        table,
                        sys_id,
                        body,
                        &["sys_id", "number", "sys_updated_on"],
                    )
                    .await
            })
            .await;
        match result {
            Ok(r) => self.changed(table, &r, verb),
            Err(e) => e.to_tool_result().into(),
        }
    }

    /// The executed answer of a write that changed `record`.
    pub(crate) fn changed(&self, table: &str, record: &Record, verb: &str) -> CallToolResponse {
        let sys_id = record.sys_id();
        let r = RecordRef {
            table: table.to_owned(),
            number: record.value("number"),
            url: self.client.record_url(table, &sys_id),
            sys_id,
            updated_at: record.shown("sys_updated_on"),
            correlation_id: None,
            recovered: false,
        };
        let text = format!("{verb} {} ({}).", r.number, r.url);
        structured(&text, &WriteOutcome::executed(r, text.clone()))
    }
}

/// A query-builder refusal as a tool error.
pub(crate) fn query_error(e: QueryError) -> CallToolResult {
    tool_error(e.0)
}

/// Adds `field` matching a user given as `sys_id`, `user_name` or full name.
pub(crate) fn user_filter(q: Query, field: &str, user: &str) -> Result<Query, QueryError> {
    if is_sys_id(user) {
        return q.eq(field, user);
    }
    q.any_of(&[
        (&format!("{field}.user_name"), Op::Eq, user),
        (&format!("{field}.name"), Op::Eq, user),
    ])
}

/// Adds `field` matching a group given as `sys_id` or name.
pub(crate) fn group_filter(q: Query, field: &str, group: &str) -> Result<Query, QueryError> {
    if is_sys_id(group) {
        q.eq(field, group)
    } else {
        q.eq(&format!("{field}.name"), group)
    }
}

/// Adds a text filter: `short_description` or `description` contains `text`.
pub(crate) fn text_filter(q: Query, fields: &[&str], text: &str) -> Result<Query, QueryError> {
    let alternatives: Vec<(&str, Op, &str)> = fields.iter().map(|f| (*f, Op::Like, text)).collect();
    q.any_of(&alternatives)
}

/// HTML (knowledge article bodies) as plain text: block ends become line
/// breaks, list items get `- `, tags go, common entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        match name.as_str() {
            "br" => out.push('\n'),
            "li" if !tag.starts_with('/') => out.push_str("\n- "),
            "p" | "div" | "ul" | "ol" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                if tag.starts_with('/') =>
            {
                out.push_str("\n\n")
            }
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut lines: Vec<&str> = Vec::new();
    for line in decoded.lines().map(str::trim_end) {
        if line.trim().is_empty() && lines.last().is_none_or(|l| l.trim().is_empty()) {
            continue;
        }
        lines.push(line);
    }
    sanitize(lines.join("\n").trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        let text = html_to_text(
            "<h2>Symptoms</h2><p>Deploys fail &amp; retry.</p><ul><li>Check <b>logs</b></li><li>Restart</li></ul>",
        );
        assert_eq!(
            text,
            "Symptoms\n\nDeploys fail & retry.\n\n- Check logs\n- Restart"
        );
    }

    #[test]
    fn user_filters_cover_names_and_ids() {
        let q = user_filter(Query::new(), "caller_id", "beth.anglin").unwrap();
        assert_eq!(
            q.build(),
            "caller_id.user_name=beth.anglin^ORcaller_id.name=beth.anglin"
        );
        let q = group_filter(Query::new(), "assignment_group", "A^B").unwrap();
        assert_eq!(q.build(), "assignment_group.name=A^^B");
    }
}
