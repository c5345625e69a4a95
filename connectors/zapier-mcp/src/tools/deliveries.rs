//! Toolset `deliveries`: the receipts of triggers this server sent.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Zapier;
use crate::receipts::Delivery;

/// Arguments of `list_deliveries`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Only receipts of this hook.
    #[serde(default)]
    #[schemars(length(min = 1, max = 64))]
    pub hook: Option<String>,
    /// Most receipts to return (1-100, default 20).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: usize,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

fn default_limit() -> usize {
    20
}

/// A page of receipts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeliveryPage {
    /// Receipts, newest first.
    pub deliveries: Vec<Delivery>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `get_delivery`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Receipt id (`dlv_…`) from `trigger_hook` or `list_deliveries`.
    #[schemars(length(min = 1, max = 64))]
    pub id: String,
}

#[tool_router(router = deliveries_tools, vis = "pub(crate)")]
impl Zapier {
    /// Use this to review what this server has sent to Zapier hooks (newest
    /// first), e.g. to check whether a hook was already triggered.
    #[tool(name = "list_deliveries", title = "List delivery receipts")]
    async fn list_deliveries(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<DeliveryPage>, CallToolResult> {
        let offset = match args.cursor.as_deref() {
            None => 0,
            Some(c) => c
                .strip_prefix("o:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| CallToolResult::error(vec![ContentBlock::text("`cursor`: not a cursor from list_deliveries; omit it to start from the newest receipt")]))?,
        };
        let limit = args.limit.clamp(1, 100);
        let (deliveries, more) = self
            .receipts
            .page(
                |d| args.hook.as_deref().is_none_or(|h| d.hook == h),
                offset,
                limit,
            )
            .await
            .map_err(unreadable)?;
        let next_cursor = more.then(|| format!("o:{}", offset + deliveries.len()));
        Ok(Json(DeliveryPage {
            deliveries,
            next_cursor,
        }))
    }

    /// Use this to read one delivery receipt: what was sent, when, by whom,
    /// and Zapier's ids for it.
    #[tool(name = "get_delivery", title = "Get a delivery receipt")]
    async fn get_delivery(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<Delivery>, CallToolResult> {
        self.receipts
            .get(&args.id)
            .await
            .map_err(unreadable)?
            .map(Json)
            .ok_or_else(|| {
                CallToolResult::error(vec![ContentBlock::text(format!(
                    "`id`: no receipt {:?} (receipts are kept {} days, the newest --receipts-kept); list them with list_deliveries",
                    args.id,
                    crate::receipts::RECEIPT_TTL.as_secs() / 86_400
                ))])
            })
    }
}

/// The tool error when the state store cannot be read (a `map_err` adapter, hence by value).
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn unreadable(e: connector_kit::state::StateError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "Delivery receipts cannot be read right now: {e}. Retry when the state store is back."
    ))])
}
