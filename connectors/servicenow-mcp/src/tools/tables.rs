//! Toolset `tables`: generic reads over the operator's `--tables` allow-list.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ServiceNow;
use crate::model::Record;
use crate::query::{Op, Query, valid_field};
use crate::tools::{ID_PATTERN, offset_cursor, query_error, tool_error};

/// Fields returned when none are asked for.
const DEFAULT_FIELDS: &[&str] = &[
    "sys_id",
    "number",
    "name",
    "short_description",
    "state",
    "sys_updated_on",
];

/// A field name, as a JSON Schema pattern.
const FIELD_PATTERN: &str = r"^[a-z0-9_.]{1,120}$";

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    /// Equals.
    Eq,
    /// Does not equal.
    Ne,
    /// Contains (case-insensitive).
    Like,
    /// Starts with.
    StartsWith,
    /// One of a comma-separated list.
    In,
    /// Greater than.
    Gt,
    /// Less than.
    Lt,
    /// Greater than or equal.
    Ge,
    /// Less than or equal.
    Le,
}

/// One condition; all conditions must hold.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Field name (dot-walking allowed, e.g. `assigned_to.user_name`).
    #[schemars(regex(pattern = FIELD_PATTERN))]
    pub field: String,
    /// The comparison (default `eq`).
    #[serde(default = "default_op")]
    pub op: FilterOp,
    /// The value, taken literally (`^` and `=` are text); for `in`, comma-separated.
    #[schemars(length(max = 500))]
    pub value: String,
}

fn default_op() -> FilterOp {
    FilterOp::Eq
}

/// Arguments of `query_table`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryArgs {
    /// Table name from the server's read allow-list (--tables), e.g. `incident`, `sys_user_group`.
    #[schemars(regex(pattern = FIELD_PATTERN))]
    pub table: String,
    /// Conditions, all of which must hold.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub filters: Vec<Filter>,
    /// Fields to return (default: sys_id, number, name, short_description, state, sys_updated_on).
    #[serde(default)]
    #[schemars(length(max = 30), inner(regex(pattern = FIELD_PATTERN)))]
    pub fields: Vec<String>,
    /// Field to sort by.
    #[serde(default)]
    #[schemars(regex(pattern = FIELD_PATTERN))]
    pub order_by: Option<String>,
    /// Sort descending.
    #[serde(default)]
    pub descending: bool,
    /// A raw encoded query AND-ed with the filters (only with --allow-raw-query).
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub query: Option<String>,
    /// Most records to return (1-100, default 20).
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

/// Arguments of `get_record`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Table name from the server's read allow-list (--tables).
    #[schemars(regex(pattern = FIELD_PATTERN))]
    pub table: String,
    /// The record's sys_id or number.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Fields to return (default: sys_id, number, name, short_description, state, sys_updated_on).
    #[serde(default)]
    #[schemars(length(max = 30), inner(regex(pattern = FIELD_PATTERN)))]
    pub fields: Vec<String>,
}

/// One record: `table`, `sys_id`, `url` and the asked fields.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordOut {
    /// sys_id.
    pub sys_id: String,
    /// Link to the record.
    pub url: String,
    /// The fields: display value, or `{display_value, value}` when they differ (untrusted text).
    pub fields: Map<String, Value>,
}

/// A page of records.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordList {
    /// The table read.
    pub table: String,
    /// Matching records.
    pub records: Vec<RecordOut>,
    /// Matching records in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[tool_router(router = tables_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to list records of any table on the server's read allow-list
    /// with structured conditions (values taken literally), chosen fields
    /// and sorting, paged with `cursor`. Prefer the specific tools for
    /// incidents, knowledge, changes and problems.
    #[tool(name = "query_table", title = "Query a table")]
    async fn query_table(
        &self,
        Parameters(args): Parameters<QueryArgs>,
    ) -> Result<Json<RecordList>, CallToolResult> {
        self.check_table(&args.table)?;
        let fields = field_list(&args.fields)?;
        let offset = offset_cursor(args.cursor.as_deref())?;
        let mut q = Query::new();
        for f in &args.filters {
            q = match f.op {
                FilterOp::In => {
                    let values: Vec<String> =
                        f.value.split(',').map(|v| v.trim().to_owned()).collect();
                    q.and(&f.field, Op::In, &values.join(","))
                }
                op => q.and(&f.field, op.into(), &f.value),
            }
            .map_err(query_error)?;
        }
        q = self.with_raw(q, args.query.as_deref())?;
        if let Some(o) = &args.order_by {
            q = q.order_by(o, args.descending).map_err(query_error)?;
        }
        let limit = args.limit.clamp(1, 100);
        let page = self
            .client
            .list(&args.table, &q.build(), &fields, limit, offset)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(RecordList {
            records: page
                .records
                .iter()
                .map(|r| self.record_out(&args.table, r))
                .collect(),
            table: args.table,
            total: page.total,
            next_cursor: page.next_offset(offset, limit).map(|o| o.to_string()),
        }))
    }

    /// Use this to read one record of a table on the server's read
    /// allow-list by sys_id or number.
    #[tool(name = "get_record", title = "Get a record")]
    async fn get_record(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<RecordOut>, CallToolResult> {
        self.check_table(&args.table)?;
        let fields = field_list(&args.fields)?;
        let r = self.find_record(&args.table, &args.id, &fields).await?;
        Ok(Json(self.record_out(&args.table, &r)))
    }
}

impl From<FilterOp> for Op {
    fn from(op: FilterOp) -> Op {
        match op {
            FilterOp::Eq => Op::Eq,
            FilterOp::Ne => Op::Ne,
            FilterOp::Like => Op::Like,
            FilterOp::StartsWith => Op::StartsWith,
            FilterOp::In => Op::In,
            FilterOp::Gt => Op::Gt,
            FilterOp::Lt => Op::Lt,
            FilterOp::Ge => Op::Ge,
            FilterOp::Le => Op::Le,
        }
    }
}

impl ServiceNow {
    fn check_table(&self, table: &str) -> Result<(), CallToolResult> {
        if self.options.readable(table) {
            Ok(())
        } else {
            Err(tool_error(format!(
                "`table`: {table:?} is not on this server's read allow-list; allowed: {} (the operator sets --tables)",
                self.options.tables.join(", ")
            )))
        }
    }

    fn record_out(&self, table: &str, r: &Record) -> RecordOut {
        let mut fields = Map::new();
        for name in r.fields() {
            let (display, value) = (r.display(name), r.value(name));
            let display =
                connector_kit::text::clip(&connector_kit::text::sanitize(&display), 4_000).0;
            let v = if display == value {
                Value::String(display)
            } else {
                serde_json::json!({"display_value": display, "value": value})
            };
            fields.insert(name.clone(), v);
        }
        RecordOut {
            sys_id: r.sys_id(),
            url: self.client.record_url(table, &r.sys_id()),
            fields,
        }
    }
}

/// The fields to ask for: the given ones (validated) plus `sys_id`.
fn field_list(fields: &[String]) -> Result<Vec<&str>, CallToolResult> {
    if fields.is_empty() {
        return Ok(DEFAULT_FIELDS.to_vec());
    }
    let mut out = vec!["sys_id"];
    for f in fields {
        if !valid_field(f) {
            return Err(tool_error(format!(
                "`fields`: {f:?} is not a field name (lower-case letters, digits, `_` and `.`)"
            )));
        }
        if f != "sys_id" {
            out.push(f.as_str());
        }
    }
    Ok(out)
}
