//! Toolset `workflow`: see where an issue can move and move it.

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
use crate::tools::issues::{IssueRef, TransitionOut, scope_of};
use crate::tools::{KEY_PATTERN, tool_error};

/// Arguments of `get_transitions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
}

/// The transitions available now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TransitionList {
    /// Issue key.
    pub key: String,
    /// Current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Transitions the issue can take now.
    pub transitions: Vec<TransitionOut>,
}

/// Arguments of `transition_issue`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionArgs {
    /// Issue key, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub key: String,
    /// Transition id or name (see `get_transitions`), e.g. `Done`.
    #[schemars(length(min = 1, max = 100))]
    pub transition: String,
    /// Resolution to set, e.g. `Done`, `Won't Do` (for transitions that resolve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60))]
    pub resolution: Option<String>,
    /// A comment (Markdown) to add with the transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 32000))]
    pub comment: Option<String>,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

#[tool_router(router = workflow_tools, vis = "pub(crate)")]
impl Jira {
    /// Use this to see which workflow transitions (e.g. Start Progress, Done)
    /// an issue can take now.
    #[tool(name = "get_transitions", title = "Get available transitions")]
    async fn get_transitions(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<TransitionList>, CallToolResult> {
        let issue = self
            .client
            .issue(&args.key, &["status".into()], true)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(TransitionList {
            status: issue.fields.status.and_then(|s| s.name),
            transitions: issue
                .transitions
                .into_iter()
                .flatten()
                .map(|t| TransitionOut {
                    id: t.id,
                    name: t.name,
                    to: t.to.and_then(|s| s.name),
                })
                .collect(),
            key: issue.key,
        }))
    }

    /// Use this to move an issue through its workflow (e.g. to In Progress or
    /// Done), optionally setting a resolution and adding a comment. The
    /// preview shows the status before → after; confirm like every write.
    #[tool(name = "transition_issue", title = "Transition an issue", output_schema = schema_for_output::<WriteOutcome<IssueRef>>())]
    async fn transition_issue(
        &self,
        Parameters(args): Parameters<TransitionArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let fields = ["status".to_owned(), "project".into(), "summary".into()];
        let issue = match self.client.issue(&args.key, &fields, true).await {
            Ok(i) => i,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let available = issue.transitions.clone().unwrap_or_default();
        let Some(t) = available
            .iter()
            .find(|t| t.id == args.transition || t.name.eq_ignore_ascii_case(&args.transition))
        else {
            let names: Vec<String> = available
                .iter()
                .map(|t| format!("\"{}\" (id {})", t.name, t.id))
                .collect();
            return Ok(tool_error(format!(
                "`transition`: {} cannot take {:?} now; allowed values: {}",
                issue.key,
                args.transition,
                if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                }
            ))
            .into());
        };
        let before = issue.fields.status.as_ref().and_then(|s| s.name.clone());
        let after =
            t.to.as_ref()
                .and_then(|s| s.name.clone())
                .unwrap_or_else(|| t.name.clone());
        let mut plan = WritePlan::new(
            "jira",
            "transition_issue",
            Effect::Update,
            format!("issue {}", issue.key),
            format!("Move {} with \"{}\" to {after}", issue.key, t.name),
        )
        .scope(scope_of(&issue))
        .change("status", Some(json!(before)), Some(json!(after)));
        if let Some(r) = &args.resolution {
            plan = plan.change("resolution", None, Some(json!(r)));
        }
        if let Some(c) = &args.comment {
            plan = plan.change("comment", None, Some(json!(c)));
        }
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let comment = args.comment.as_deref().map(|c| self.rich_text(c));
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .transition(c, &issue.key, &t.id, args.resolution.as_deref(), comment)
                    .await
            })
            .await;
        Ok(match result {
            Ok(()) => self.changed(&issue.key, &issue.id, &format!("Moved to {after}:")),
            Err(e) => e.to_tool_result().into(),
        })
    }
}
