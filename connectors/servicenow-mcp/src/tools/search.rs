//! Toolset `search`: the read-only `search` / `fetch` pair in the shape
//! ChatGPT deep research expects, over incidents and published knowledge.

use connector_kit::search::{Document, SearchHit, SearchResults};
use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::ServiceNow;
use crate::query::Query;
use crate::tools::{ID_PATTERN, html_to_text, query_error, text_filter, tool_error};

/// Longest document text returned by `fetch`, in characters.
const FETCH_BUDGET: usize = 50_000;

/// Arguments of `search`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Words to look for in incidents and published knowledge articles.
    #[schemars(length(min = 1, max = 200))]
    pub query: String,
}

/// Arguments of `fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// An id from `search`: an incident (`INC…`), article (`KB…`), problem (`PRB…`) or change (`CHG…`) number.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
}

/// The table of a record number, from its prefix.
fn table_of(number: &str) -> Option<&'static str> {
    let prefix: String = number
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    match prefix.as_str() {
        "INC" => Some("incident"),
        "KB" => Some("kb_knowledge"),
        "PRB" => Some("problem"),
        "CHG" => Some("change_request"),
        _ => None,
    }
}

#[tool_router(router = search_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to find incidents and published knowledge articles by words;
    /// then read one with `fetch`. For precise filters use
    /// `search_incidents` or `search_knowledge`.
    #[tool(name = "search", title = "Search ServiceNow")]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<SearchResults>, CallToolResult> {
        let incidents = text_filter(
            Query::new(),
            &["short_description", "description"],
            &args.query,
        )
        .and_then(|q| q.order_by("opened_at", true))
        .map_err(query_error)?;
        let articles = Query::new()
            .eq("workflow_state", "published")
            .and_then(|q| text_filter(q, &["short_description", "text"], &args.query))
            .map_err(query_error)?;
        let fields = ["sys_id", "number", "short_description"];
        let (incidents, articles) = (incidents.build(), articles.build());
        let (inc, kb) = tokio::join!(
            self.client.list("incident", &incidents, &fields, 10, 0),
            self.client.list("kb_knowledge", &articles, &fields, 10, 0),
        );
        let inc = inc.map_err(|e| e.to_tool_result())?;
        let kb = kb.map_err(|e| e.to_tool_result())?;
        let hit = |table: &str, r: &crate::model::Record| SearchHit {
            id: r.value("number"),
            title: format!(
                "{}: {}",
                r.value("number"),
                sanitize(&r.display("short_description"))
            ),
            url: self.client.record_url(table, &r.sys_id()),
        };
        let mut results: Vec<SearchHit> =
            kb.records.iter().map(|r| hit("kb_knowledge", r)).collect();
        results.extend(inc.records.iter().map(|r| hit("incident", r)));
        Ok(Json(SearchResults { results }))
    }

    /// Use this to read the full record behind a `search` result as one text.
    #[tool(name = "fetch", title = "Fetch a ServiceNow record")]
    async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Json<Document>, CallToolResult> {
        let Some(table) = table_of(&args.id) else {
            return Err(tool_error(
                "`id`: not an id from search; expected a number such as INC0010043 or KB0010001",
            ));
        };
        let fields = [
            "sys_id",
            "number",
            "short_description",
            "description",
            "text",
            "state",
            "workflow_state",
            "priority",
            "assignment_group",
            "assigned_to",
            "opened_at",
            "sys_updated_on",
            "close_notes",
        ];
        let r = self.find_record(table, &args.id, &fields).await?;
        let number = r.value("number");
        let title = format!("{number}: {}", sanitize(&r.display("short_description")));
        let url = self.client.record_url(table, &r.sys_id());
        let mut text = format!("# {title}\n\n");
        for (label, field) in [
            ("State", "state"),
            ("Workflow", "workflow_state"),
            ("Priority", "priority"),
            ("Assignment group", "assignment_group"),
            ("Assigned to", "assigned_to"),
            ("Opened", "opened_at"),
            ("Updated", "sys_updated_on"),
        ] {
            if let Some(v) = r.shown(field) {
                text.push_str(&format!("{label}: {v}\n"));
            }
        }
        let body = if table == "kb_knowledge" {
            html_to_text(&r.display("text"))
        } else {
            sanitize(&r.display("description"))
        };
        text.push_str(&format!("\n{body}\n"));
        if let Some(n) = r.shown("close_notes") {
            text.push_str(&format!("\n## Resolution notes\n\n{n}\n"));
        }
        if table == "incident"
            && let Ok(page) = self.client.journal(table, &r.sys_id(), 20).await
        {
            for e in &page.records {
                text.push_str(&format!(
                    "\n## {} by {} ({})\n\n{}\n",
                    if e.value("element") == "comments" {
                        "Comment"
                    } else {
                        "Work note"
                    },
                    e.display("sys_created_by"),
                    e.display("sys_created_on"),
                    sanitize(&e.display("value"))
                ));
            }
        }
        let (mut text, cut) = clip(&text, FETCH_BUDGET);
        if cut {
            text.push_str(&format!(
                "\n\n[Cut at {FETCH_BUDGET} characters: read the rest at {url}]"
            ));
        }
        Ok(Json(Document {
            id: number,
            title,
            text,
            url,
            metadata: json!({
                "table": table,
                "state": r.shown("state").or_else(|| r.shown("workflow_state")),
                "updated": r.shown("sys_updated_on"),
            }),
        }))
    }
}
