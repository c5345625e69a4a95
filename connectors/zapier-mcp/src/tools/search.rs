//! Toolset `search`: the read-only `search` / `fetch` pair in the shape
//! ChatGPT deep research expects, over hooks and delivery receipts.

use connector_kit::search::{Document, SearchHit, SearchResults};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::Zapier;

/// Arguments of `search`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Words to look for in hook names and descriptions, and receipt ids,
    /// hooks and idempotency keys.
    #[schemars(length(min = 1, max = 200))]
    pub query: String,
}

/// Arguments of `fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// An id from `search`.
    #[schemars(length(min = 1, max = 200))]
    pub id: String,
}

fn hook_url(name: &str) -> String {
    format!("zapier-mcp://hooks/{name}")
}

fn delivery_url(id: &str) -> String {
    format!("zapier-mcp://deliveries/{id}")
}

#[tool_router(router = search_tools, vis = "pub(crate)")]
impl Zapier {
    /// Use this to find configured hooks and delivery receipts by words; then
    /// read one with `fetch`.
    #[tool(name = "search", title = "Search hooks and deliveries")]
    async fn search(&self, Parameters(args): Parameters<SearchArgs>) -> Json<SearchResults> {
        let words: Vec<String> = args
            .query
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let score = |hay: &str| {
            let hay = hay.to_lowercase();
            words.iter().filter(|w| hay.contains(w.as_str())).count()
        };
        let mut hits: Vec<(usize, SearchHit)> = Vec::new();
        for h in self.hooks.iter() {
            let s = score(&format!("{} {} {}", h.name, h.description, h.effect));
            if s > 0 {
                hits.push((
                    s + 1,
                    SearchHit {
                        id: format!("hook:{}", h.name),
                        title: format!("Zapier hook {}", h.name),
                        url: hook_url(&h.name),
                    },
                ));
            }
        }
        // Hooks are found even while the state store is unreachable.
        let deliveries = match self.receipts.page(|_| true, 0, 200).await {
            Ok((deliveries, _)) => deliveries,
            Err(e) => {
                tracing::warn!(error = %e, "search: delivery receipts unavailable");
                Vec::new()
            }
        };
        for d in deliveries {
            let s = score(&format!(
                "{} {} {} {:?}",
                d.id,
                d.hook,
                d.idempotency_key.as_deref().unwrap_or(""),
                d.status
            ));
            if s > 0 {
                hits.push((
                    s,
                    SearchHit {
                        id: format!("delivery:{}", d.id),
                        title: format!("Delivery {} to hook {} ({:?})", d.id, d.hook, d.status),
                        url: delivery_url(&d.id),
                    },
                ));
            }
        }
        hits.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        Json(SearchResults {
            results: hits.into_iter().take(20).map(|(_, r)| r).collect(),
        })
    }

    /// Use this to read the full record behind a `search` result.
    #[tool(name = "fetch", title = "Fetch a hook or delivery")]
    async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Json<Document>, CallToolResult> {
        let not_found = || {
            CallToolResult::error(vec![ContentBlock::text(format!(
                "`id`: nothing found for {:?}; use an id returned by search",
                args.id
            ))])
        };
        if let Some(name) = args.id.strip_prefix("hook:") {
            let h = self
                .hooks
                .iter()
                .find(|h| h.name == name)
                .ok_or_else(not_found)?;
            return Ok(Json(Document {
                id: args.id.clone(),
                title: format!("Zapier hook {}", h.name),
                text: format!(
                    "{}\n\nEffect: {}. Payload schema: {}",
                    h.description, h.effect, h.schema
                ),
                url: hook_url(&h.name),
                metadata: json!({"effect": h.effect, "tier": h.tier().number()}),
            }));
        }
        if let Some(id) = args.id.strip_prefix("delivery:") {
            let d = self
                .receipts
                .get(id)
                .await
                .map_err(super::deliveries::unreadable)?
                .ok_or_else(not_found)?;
            return Ok(Json(Document {
                id: args.id.clone(),
                title: format!("Delivery {} to hook {}", d.id, d.hook),
                text: serde_json::to_string_pretty(&d).unwrap_or_default(),
                url: delivery_url(&d.id),
                metadata: json!({"hook": d.hook, "status": d.status, "sent_at": d.sent_at}),
            }));
        }
        Err(not_found())
    }
}
