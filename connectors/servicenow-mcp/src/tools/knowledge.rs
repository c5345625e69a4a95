//! Toolset `knowledge`: find and read knowledge articles (`kb_knowledge`).

use connector_kit::text::{clip, sanitize};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ServiceNow;
use crate::model::Record;
use crate::query::Query;
use crate::tools::{ID_PATTERN, html_to_text, offset_cursor, query_error, text_filter};

const TABLE: &str = "kb_knowledge";
const LIST_FIELDS: &[&str] = &[
    "sys_id",
    "number",
    "short_description",
    "workflow_state",
    "kb_category",
    "author",
    "published",
    "sys_updated_on",
];

/// Arguments of `search_knowledge`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Words the title or body contains (taken literally).
    #[schemars(length(min = 1, max = 200))]
    pub text: String,
    /// Also return drafts, retired and outdated articles (default: published only).
    #[serde(default)]
    pub include_unpublished: bool,
    /// Most articles to return (1-50, default 10).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 20))]
    pub cursor: Option<String>,
}

fn default_limit() -> u32 {
    10
}

/// One article in a list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ArticleSummary {
    /// Number, e.g. `KB0010001`.
    pub number: String,
    /// sys_id.
    pub sys_id: String,
    /// Link to the article.
    pub url: String,
    /// Title (untrusted).
    pub title: String,
    /// Workflow state, e.g. `Published`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_state: Option<String>,
    /// Category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Published date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Last updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A page of articles.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ArticlePage {
    /// Matching articles.
    pub articles: Vec<ArticleSummary>,
    /// Matching articles in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `get_article`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Article number (`KB0010001`) or sys_id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Longest body returned, in characters (default 12000).
    #[serde(default = "default_body_chars")]
    #[schemars(range(min = 500, max = 100000))]
    pub max_chars: usize,
}

fn default_body_chars() -> usize {
    12_000
}

/// One article with its body as text.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Article {
    /// The list fields.
    #[serde(flatten)]
    pub article: ArticleSummary,
    /// The body as plain text (converted from HTML; untrusted).
    pub body: String,
    /// Set when the body was cut: how to read the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_note: Option<String>,
}

#[tool_router(router = knowledge_tools, vis = "pub(crate)")]
impl ServiceNow {
    /// Use this to find knowledge articles (how-tos, known issues,
    /// workarounds) by words in the title or body; published articles only
    /// unless `include_unpublished`. Read one with `get_article`.
    #[tool(name = "search_knowledge", title = "Search knowledge articles")]
    async fn search_knowledge(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<ArticlePage>, CallToolResult> {
        let offset = offset_cursor(args.cursor.as_deref())?;
        let mut q = Query::new();
        if !args.include_unpublished {
            q = q.eq("workflow_state", "published").map_err(query_error)?;
        }
        let q = text_filter(q, &["short_description", "text"], &args.text)
            .and_then(|q| q.order_by("sys_view_count", true))
            .and_then(|q| q.order_by("number", false))
            .map_err(query_error)?;
        let limit = args.limit.clamp(1, 50);
        let page = self
            .client
            .list(TABLE, &q.build(), LIST_FIELDS, limit, offset)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(ArticlePage {
            articles: page.records.iter().map(|r| self.article(r)).collect(),
            total: page.total,
            next_cursor: page.next_offset(offset, limit).map(|o| o.to_string()),
        }))
    }

    /// Use this to read a knowledge article: its body as plain text
    /// (converted from HTML), cut at `max_chars` with a note.
    #[tool(name = "get_article", title = "Get a knowledge article")]
    async fn get_article(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<Article>, CallToolResult> {
        let fields: Vec<&str> = LIST_FIELDS.iter().chain(&["text"]).copied().collect();
        let r = self.find_record(TABLE, &args.id, &fields).await?;
        let article = self.article(&r);
        let (body, cut) = clip(&html_to_text(&r.display("text")), args.max_chars);
        Ok(Json(Article {
            body_note: cut.then(|| {
                format!(
                    "The body was cut at {} characters; call get_article with a larger max_chars (up to 100000) or open {}",
                    args.max_chars, article.url
                )
            }),
            article,
            body,
        }))
    }
}

impl ServiceNow {
    pub(crate) fn article(&self, r: &Record) -> ArticleSummary {
        ArticleSummary {
            number: r.value("number"),
            url: self.client.record_url(TABLE, &r.sys_id()),
            sys_id: r.sys_id(),
            title: sanitize(&r.display("short_description")),
            workflow_state: r.shown("workflow_state"),
            category: r.shown("kb_category"),
            author: r.shown("author"),
            published: r.shown("published"),
            updated_at: r.shown("sys_updated_on"),
        }
    }
}
