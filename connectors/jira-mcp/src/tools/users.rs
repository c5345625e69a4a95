//! Toolset `users`: find people, e.g. to assign an issue.

use connector_kit::text::sanitize;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Jira;
use crate::tools::offset_cursor;

/// Arguments of `search_users`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Part of a name, user name or e-mail address.
    #[schemars(length(min = 1, max = 100))]
    pub query: String,
    /// Most users to return (1-100, default 20).
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

/// One user.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserOut {
    /// Id for `assignee`: the account id on Cloud, the user name on Data Center.
    pub id: String,
    /// Display name.
    pub name: String,
    /// E-mail address, when Jira shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the account is active.
    pub active: bool,
}

/// A page of users.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserList {
    /// Matching users.
    pub users: Vec<UserOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[tool_router(router = users_tools, vis = "pub(crate)")]
impl Jira {
    /// Use this to find a person's id (for `assignee` in `assign_issue` or
    /// `create_issue`) from part of their name or e-mail.
    #[tool(name = "search_users", title = "Search users")]
    async fn search_users(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<UserList>, CallToolResult> {
        let start = offset_cursor(args.cursor.as_deref())?;
        let limit = args.limit.clamp(1, 100);
        let users = self
            .client
            .users(&args.query, start, limit)
            .await
            .map_err(|e| e.to_tool_result())?;
        let next_cursor = (users.len() as u64 == u64::from(limit))
            .then(|| (start + u64::from(limit)).to_string());
        Ok(Json(UserList {
            users: users
                .iter()
                .map(|u| UserOut {
                    id: u.id(),
                    name: sanitize(u.display_name.as_deref().unwrap_or("")),
                    email: u.email_address.clone(),
                    active: u.active.unwrap_or(true),
                })
                .collect(),
            next_cursor,
        }))
    }
}
