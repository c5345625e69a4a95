//! Toolset `search`: the read-only `search` / `fetch` pair in the shape
//! ChatGPT deep research expects, over contacts, companies and deals.

use connector_kit::search::{Document, SearchHit, SearchResults};
use connector_kit::text::clip;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::Crm;
use crate::client::{ObjectKind, Query};
use crate::tools::{default_properties, tool_error};

/// Longest document text returned by `fetch`, in characters.
const FETCH_BUDGET: usize = 50_000;

/// Arguments of `search`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Words to look for in contact names and emails, company names and domains, and deal names.
    #[schemars(length(min = 1, max = 200))]
    pub query: String,
}

/// Arguments of `fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// An id from `search`, e.g. `company:1001`, `contact:2001`, `deal:3001`.
    #[schemars(regex(pattern = r"^(contact|company|deal):[0-9]{1,20}$"))]
    pub id: String,
}

#[tool_router(router = search_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this to find CRM records (contacts, companies, deals) by words;
    /// then read one with `fetch`. For filters use the search_* tools.
    #[tool(name = "search", title = "Search the CRM")]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<SearchResults>, CallToolResult> {
        let mut results = Vec::new();
        for kind in [
            ObjectKind::Companies,
            ObjectKind::Contacts,
            ObjectKind::Deals,
        ] {
            let q = Query {
                text: Some(args.query.clone()),
                properties: default_properties(kind)
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                limit: 10,
                ..Query::default()
            };
            let page = self
                .client
                .search(kind, &q)
                .await
                .map_err(|e| e.to_tool_result())?;
            results.extend(page.records.iter().map(|r| {
                let out = self.record_out(kind, r);
                SearchHit {
                    id: format!("{}:{}", kind.singular(), r.id),
                    title: format!("{} {}", kind.singular(), out.title),
                    url: out.url,
                }
            }));
        }
        Ok(Json(SearchResults { results }))
    }

    /// Use this to read the full record behind a `search` result as one text
    /// (properties, associated records and, for companies, recent notes).
    #[tool(name = "fetch", title = "Fetch a CRM record")]
    async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Json<Document>, CallToolResult> {
        let Some((kind, id)) = args
            .id
            .split_once(':')
            .and_then(|(k, id)| Some((ObjectKind::from_name(k)?, id)))
            .filter(|(k, _)| *k != ObjectKind::Notes)
        else {
            return Err(tool_error(
                "`id`: use an id from `search`, e.g. `company:1001`",
            ));
        };
        let record = self
            .client
            .get(kind, id, default_properties(kind), &[])
            .await
            .map_err(|e| e.to_tool_result())?;
        let out = self.record_out(kind, &record);
        let mut text = format!("# {} {}\n\n", kind.singular(), out.title);
        for (k, v) in &out.properties {
            text.push_str(&format!(
                "- {k}: {}\n",
                v.as_str().unwrap_or(&v.to_string())
            ));
        }
        for to in [
            ObjectKind::Companies,
            ObjectKind::Contacts,
            ObjectKind::Deals,
        ] {
            if to == kind {
                continue;
            }
            let related = self
                .associated_records(kind, id, to)
                .await
                .map_err(|e| e.to_tool_result())?;
            if related.is_empty() {
                continue;
            }
            text.push_str(&format!("\n## {}\n\n", to.plural()));
            for r in &related {
                let o = self.record_out(to, r);
                text.push_str(&format!("- {} ({}:{})\n", o.title, to.singular(), o.id));
            }
        }
        let notes = self
            .notes_of(kind, id)
            .await
            .map_err(|e| e.to_tool_result())?;
        for n in notes.iter().take(10) {
            let n = self.note_out(n);
            text.push_str(&format!(
                "\n## Note ({})\n\n{}\n",
                n.timestamp.as_deref().unwrap_or("-"),
                n.text
            ));
        }
        let (mut text, cut) = clip(&text, FETCH_BUDGET);
        if cut {
            text.push_str(&format!(
                "\n\n[Cut at {FETCH_BUDGET} characters: read the rest with the get_* tools, or at {}]",
                out.url
            ));
        }
        Ok(Json(Document {
            id: args.id.clone(),
            title: format!("{} {}", kind.singular(), out.title),
            text,
            url: out.url.clone(),
            metadata: json!({
                "kind": kind.singular(), "created_at": out.created_at, "updated_at": out.updated_at,
            }),
        }))
    }
}
