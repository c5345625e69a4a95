//! Toolset `comments`: read an issue's comments and add one.

use connector_kit::confirm::{Effect, Gate, WriteOutcome, WritePlan};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Jira;
use crate::tools::{CommentOut, KEY_PATTERN, offset_cursor, project_of, structured};

/// Arguments of `list_comments`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// Most comments to return (1-100, default 20).
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

/// A page of comments.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CommentList {
    /// Comments, oldest first.
    pub comments: Vec<CommentOut>,
    /// Comments on the issue in all.
    pub total: u64,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `add_comment`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// The comment in Markdown.
    #[schemars(length(min = 1, max = 32000))]
    pub body: String,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

#[tool_router(router = comments_tools, vis = "pub(crate)")]
impl Jira {
    /// Use this to read an issue's comments, oldest first, page by page
    /// (`get_issue` already shows the newest few).
    #[tool(name = "list_comments", title = "List comments")]
    async fn list_comments(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<CommentList>, CallToolResult> {
        let start = offset_cursor(args.cursor.as_deref())?;
        let page = self
            .client
            .comments(&args.key, start, args.limit.clamp(1, 100))
            .await
            .map_err(|e| e.to_tool_result())?;
        let end = page.start_at + page.comments.len() as u64;
        Ok(Json(CommentList {
            comments: page
                .comments
                .iter()
                .map(|c| self.comment_out(&args.key, c))
                .collect(),
            total: page.total,
            next_cursor: (!page.comments.is_empty() && end < page.total).then(|| end.to_string()),
        }))
    }

    /// Use this to add a comment (Markdown) to an issue. The first call
    /// returns a preview and a confirmation token; after the user approves,
    /// call again with `confirmation_token`.
    #[tool(name = "add_comment", title = "Add a comment", output_schema = schema_for_output::<WriteOutcome<CommentOut>>())]
    async fn add_comment(
        &self,
        Parameters(args): Parameters<AddArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let key = args.key.to_ascii_uppercase();
        let plan = WritePlan::new(
            "jira",
            "add_comment",
            Effect::Create,
            format!("issue {key}"),
            format!("Add a comment to {key}"),
        )
        .scope(project_of(&key).unwrap_or_default())
        .change("comment", None, Some(json!(args.body)));
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let body = self.rich_text(&args.body);
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                let comment = self.client.add_comment(c, &key, body).await?;
                Ok::<_, connector_kit::UpstreamError>(self.comment_out(&key, &comment))
            })
            .await;
        Ok(match result {
            Ok(comment) => {
                let text = format!("Added comment {} to {key} ({}).", comment.id, comment.url);
                structured(&text, &WriteOutcome::executed(comment, text.clone()))
            }
            Err(e) => e.to_tool_result().into(),
        })
    }
}
