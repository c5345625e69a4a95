//! Toolset `users`: find people and groups, e.g. to assign an incident.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ServiceNow;
use crate::model::Record;
use crate::query::{Op, Query};
use crate::tools::{offset_cursor, query_error};

/// Arguments of `lookup_user` and `lookup_group`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupArgs {
    /// Part of a name, user name or e-mail address (taken literally).
    #[schemars(length(min = 1, max = 100))]
    pub query: String,
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

/// One user or group.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrincipalOut {
    /// sys_id (pass to `assigned_to`, `caller` or `assignment_group`).
    pub sys_id: String,
    /// Display name.
    pub name: String,
    /// User name (users only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Job title (users) or description (groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Whether the record is active.
    pub active: bool,
    /// Link to the record.
    pub url: String,
}

/// A page of users or groups.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrincipalList {
    /// Matching records.
    pub results: Vec<PrincipalOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[tool_router(router = users_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to find a person's sys_id and user name (for `caller` or
    /// `assigned_to`) from part of their name, user name or e-mail.
    #[tool(name = "lookup_user", title = "Look up users")]
    async fn lookup_user(
        &self,
        Parameters(args): Parameters<LookupArgs>,
    ) -> Result<Json<PrincipalList>, CallToolResult> {
        let q = Query::new()
            .any_of(&[
                ("name", Op::Like, &args.query),
                ("user_name", Op::Like, &args.query),
                ("email", Op::Like, &args.query),
            ])
            .and_then(|q| q.order_by("name", false))
            .map_err(query_error)?;
        let fields = ["sys_id", "name", "user_name", "email", "title", "active"];
        self.lookup("sys_user", q, &fields, &args, "title").await
    }

    /// Use this to find an assignment group's sys_id and name from part of
    /// its name.
    #[tool(name = "lookup_group", title = "Look up groups")]
    async fn lookup_group(
        &self,
        Parameters(args): Parameters<LookupArgs>,
    ) -> Result<Json<PrincipalList>, CallToolResult> {
        let q = Query::new()
            .and("name", Op::Like, &args.query)
            .and_then(|q| q.order_by("name", false))
            .map_err(query_error)?;
        let fields = ["sys_id", "name", "email", "description", "active"];
        self.lookup("sys_user_group", q, &fields, &args, "description")
            .await
    }
}

impl ServiceNow {
    async fn lookup(
        &self,
        table: &str,
        q: Query,
        fields: &[&str],
        args: &LookupArgs,
        about: &str,
    ) -> Result<Json<PrincipalList>, CallToolResult> {
        let offset = offset_cursor(args.cursor.as_deref())?;
        let limit = args.limit.clamp(1, 100);
        let page = self
            .client
            .list(table, &q.build(), fields, limit, offset)
            .await
            .map_err(|e| e.to_tool_result())?;
        let out = |r: &Record| PrincipalOut {
            sys_id: r.sys_id(),
            name: r.shown("name").unwrap_or_default(),
            user_name: r.shown("user_name"),
            email: r.shown("email"),
            about: r.shown(about),
            active: r.value("active") != "false",
            url: self.client.record_url(table, &r.sys_id()),
        };
        Ok(Json(PrincipalList {
            results: page.records.iter().map(out).collect(),
            next_cursor: page.next_offset(offset, limit).map(|o| o.to_string()),
        }))
    }
}
