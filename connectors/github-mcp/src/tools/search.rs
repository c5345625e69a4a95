//! Toolset `search`: the read-only `search` / `fetch` pair in the shape
//! ChatGPT deep research expects, over GitHub issues and pull requests.

use connector_kit::search::{Document, SearchHit, SearchResults};
use connector_kit::text::clip;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::GitHub;
use crate::client::Class;
use crate::tools::{UNTRUSTED, issue_summary, items, tool_error};

/// Longest document text returned by `fetch`, in characters.
const FETCH_BUDGET: usize = 50_000;

/// Arguments of `search`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// Words (and optionally GitHub qualifiers such as `repo:acme/api`) to
    /// look for in issues and pull requests.
    #[schemars(length(min = 1, max = 256))]
    pub query: String,
}

/// Arguments of `fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// An id from `search`: `owner/repo#number`.
    #[schemars(
        regex(pattern = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+$"),
        length(max = 250)
    )]
    pub id: String,
}

#[tool_router(router = search_tools, vis = "pub(crate)")]
impl GitHub {
    /// Use this to find GitHub issues and pull requests by words; then read
    /// one with `fetch`. For filters and paging use `search_issues`.
    #[tool(name = "search", title = "Search GitHub")]
    async fn search(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<SearchResults>, CallToolResult> {
        let p = self
            .client
            .get_page::<Value>(
                "/search/issues",
                &[("q", args.query.clone())],
                20,
                1,
                Class::Search,
            )
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(SearchResults {
            results: items(&p.items, "items")
                .map(|i| {
                    let s = issue_summary(i);
                    SearchHit {
                        id: format!("{}#{}", s.repo, s.number),
                        title: format!("{}#{}: {}", s.repo, s.number, s.title),
                        url: s.url,
                    }
                })
                .collect(),
        }))
    }

    /// Use this to read the full issue or pull request behind a `search`
    /// result (body and comments) as one text.
    #[tool(name = "fetch", title = "Fetch a GitHub issue")]
    async fn fetch(
        &self,
        Parameters(args): Parameters<FetchArgs>,
    ) -> Result<Json<Document>, CallToolResult> {
        let parsed = args.id.split_once('#').and_then(|(repo, num)| {
            let (owner, name) = repo.split_once('/')?;
            Some((owner.to_owned(), name.to_owned(), num.parse::<u64>().ok()?))
        });
        let Some((owner, repo, number)) = parsed else {
            return Err(tool_error(
                "`id`: expected `owner/repo#number` from `search`.",
            ));
        };
        let d = self
            .issue_detail(&owner, &repo, number, 50)
            .await
            .map_err(|e| e.to_tool_result())?;
        let s = &d.summary;
        let mut text = format!(
            "# {}#{}: {}\n\n_{UNTRUSTED}_\n\nState: {} · Author: {} · Labels: {} · Assignees: {}\nCreated: {} · Updated: {}\n\n## Body\n\n{}\n",
            s.repo,
            s.number,
            s.title,
            s.state,
            s.author.as_deref().unwrap_or("-"),
            s.labels.join(", "),
            s.assignees.join(", "),
            s.created_at.as_deref().unwrap_or("-"),
            s.updated_at.as_deref().unwrap_or("-"),
            d.body,
        );
        for c in &d.latest_comments {
            text.push_str(&format!(
                "\n## Comment by {} ({})\n\n{}\n",
                c.author.as_deref().unwrap_or("unknown"),
                c.created_at.as_deref().unwrap_or("-"),
                c.body
            ));
        }
        let (mut text, cut) = clip(&text, FETCH_BUDGET);
        if cut {
            text.push_str(&format!(
                "\n\n[Cut at {FETCH_BUDGET} characters: read the rest at {}]",
                s.url
            ));
        }
        Ok(Json(Document {
            id: args.id.clone(),
            title: format!("{}#{}: {}", s.repo, s.number, s.title),
            text,
            url: s.url.clone(),
            metadata: json!({
                "state": s.state, "author": s.author, "labels": s.labels,
                "pull_request": s.pull_request, "created_at": s.created_at, "updated_at": s.updated_at,
            }),
        }))
    }
}
