//! Toolset `search`: the read-only `search` / `fetch` pair in the shape
//! ChatGPT deep research expects, over Jira issues.

use connector_kit::search::{Document, SearchHit, SearchResults};
use connector_kit::text::clip;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::Jira;
use crate::tools::{KEY_PATTERN, SUMMARY_FIELDS, jql_string};

/// Longest document text returned by `fetch`, in characters.
const FETCH_BUDGET: usize = 50_000;

/// Arguments of `search`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Words to look for in issue summaries, descriptions and comments.
    #[schemars(length(min = 1, max = 200))]
    pub query: String,
}

/// Arguments of `fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// An issue key from `search`, e.g. `OPS-12`.
    #[schemars(regex(pattern = KEY_PATTERN), length(max = 50))]
    pub id: String,
}

#[tool_router(router = search_tools, vis = "pub(crate)")]
impl Jira {
    /// Use this to find Jira issues by words (full-text search); then read
    /// one with `fetch`. For precise queries use `search_issues` with JQL.
    #[tool(name = "search", title = "Search Jira")]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<SearchResults>, CallToolResult> {
        let jql = format!("text ~ {} ORDER BY updated DESC", jql_string(&args.query));
        let fields: Vec<String> = SUMMARY_FIELDS.iter().map(|s| (*s).to_owned()).collect();
        let page = self
            .client
            .search(&jql, &fields, 20, None)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(SearchResults {
            results: page
                .issues
                .iter()
                .map(|i| {
                    let s = self.summarize(i);
                    SearchHit {
                        title: format!("{}: {}", s.key, s.summary),
                        id: s.key,
                        url: s.url,
                    }
                })
                .collect(),
        }))
    }

    /// Use this to read the full issue behind a `search` result as one text.
    #[tool(name = "fetch", title = "Fetch a Jira issue")]
    async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Json<Document>, CallToolResult> {
        let mut fields: Vec<String> = SUMMARY_FIELDS.iter().map(|s| (*s).to_owned()).collect();
        fields.extend(["description".into(), "comment".into()]);
        let issue = self
            .client
            .issue(&args.id, &fields, false)
            .await
            .map_err(|e| e.to_tool_result())?;
        let s = self.summarize(&issue);
        let mut text = format!(
            "# {}: {}\n\nStatus: {} · Type: {} · Priority: {} · Assignee: {}\nCreated: {} · Updated: {}\n\n## Description\n\n{}\n",
            s.key,
            s.summary,
            s.status.as_deref().unwrap_or("-"),
            s.issue_type.as_deref().unwrap_or("-"),
            s.priority.as_deref().unwrap_or("-"),
            s.assignee
                .as_ref()
                .map_or("unassigned", |p| p.name.as_str()),
            s.created.as_deref().unwrap_or("-"),
            s.updated.as_deref().unwrap_or("-"),
            self.markdown(issue.fields.description.as_ref()),
        );
        for c in issue.fields.comment.iter().flat_map(|p| &p.comments) {
            let c = self.comment_out(&s.key, c);
            text.push_str(&format!(
                "\n## Comment by {} ({})\n\n{}\n",
                c.author.as_ref().map_or("unknown", |p| p.name.as_str()),
                c.created.as_deref().unwrap_or("-"),
                c.body
            ));
        }
        let (mut text, cut) = clip(&text, FETCH_BUDGET);
        if cut {
            text.push_str(&format!(
                "\n\n[Cut at {FETCH_BUDGET} characters: read the rest with get_issue and list_comments, or at {}]",
                s.url
            ));
        }
        Ok(Json(Document {
            id: s.key.clone(),
            title: format!("{}: {}", s.key, s.summary),
            text,
            url: s.url.clone(),
            metadata: json!({
                "status": s.status, "issue_type": s.issue_type, "priority": s.priority,
                "project": s.project, "created": s.created, "updated": s.updated,
            }),
        }))
    }
}
