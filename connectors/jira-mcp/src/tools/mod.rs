//! The tools, one file per toolset:
//!
//! | toolset | tools |
//! |---|---|
//! | `issues` | `search_issues`, `get_issue`, `create_issue`, `update_issue`, `assign_issue`, `delete_issue` |
//! | `comments` | `list_comments`, `add_comment` |
//! | `workflow` | `get_transitions`, `transition_issue` |
//! | `projects` | `list_projects`, `get_project`, `get_create_fields` |
//! | `users` | `search_users` |
//! | `search` | `search`, `fetch` (the ChatGPT deep-research pair) |
//!
//! This file also holds what the toolsets share: the curated shapes of
//! issues and comments, rich-text conversion, and result helpers.

pub mod comments;
pub mod issues;
pub mod projects;
pub mod search;
pub mod users;
pub mod workflow;

use connector_kit::ToolSpec;
use connector_kit::confirm::Effect;
use connector_kit::text::{clip, sanitize};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::Jira;
use crate::adf;
use crate::config::Deployment;
use crate::model::{self, Comment, Issue};

pub(crate) use connector_kit::respond::{offset_cursor, structured, tool_error};

/// Every tool's toolset and effect; the kit derives annotations and tiers.
pub const SPECS: &[ToolSpec] = &[
    ToolSpec::read("search_issues", "issues"),
    ToolSpec::read("get_issue", "issues"),
    ToolSpec::new("create_issue", "issues", Effect::Create),
    ToolSpec::new("update_issue", "issues", Effect::Update),
    ToolSpec::new("assign_issue", "issues", Effect::Update),
    ToolSpec::new("delete_issue", "issues", Effect::Destructive),
    ToolSpec::read("list_comments", "comments"),
    ToolSpec::new("add_comment", "comments", Effect::Create),
    ToolSpec::read("get_transitions", "workflow"),
    ToolSpec::new("transition_issue", "workflow", Effect::Update),
    ToolSpec::read("list_projects", "projects"),
    ToolSpec::read("get_project", "projects"),
    ToolSpec::read("get_create_fields", "projects"),
    ToolSpec::read("search_users", "users"),
    ToolSpec::read("search", "search"),
    ToolSpec::read("fetch", "search"),
];

/// The fields `search_issues` always asks for.
pub const SUMMARY_FIELDS: &[&str] = &[
    "summary",
    "status",
    "issuetype",
    "priority",
    "assignee",
    "project",
    "labels",
    "created",
    "updated",
];

/// Longest comment body returned, in characters.
const COMMENT_BUDGET: usize = 4_000;

/// An issue key (`OPS-12`) or numeric id, as a JSON Schema pattern.
pub const KEY_PATTERN: &str = r"^([A-Za-z][A-Za-z0-9_]*-[0-9]+|[0-9]+)$";

/// A person, as the model sees them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Person {
    /// Id to pass back (`assignee`): the account id on Cloud, the user name on Data Center.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl Person {
    fn from(u: &model::User) -> Self {
        Person {
            id: u.id(),
            name: sanitize(u.display_name.as_deref().unwrap_or("")),
        }
    }
}

/// One issue in a list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IssueSummary {
    /// Issue key, e.g. `OPS-12`.
    pub key: String,
    /// Jira's numeric id.
    pub id: String,
    /// Link to the issue in Jira.
    pub url: String,
    /// One-line summary (untrusted text from Jira).
    pub summary: String,
    /// Workflow status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Issue type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    /// Priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Person>,
    /// Project key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Created (Jira timestamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last updated (Jira timestamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Other requested fields, as Jira sent them.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub fields: serde_json::Map<String, Value>,
}

/// One comment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CommentOut {
    /// Comment id.
    pub id: String,
    /// Author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Person>,
    /// Body as Markdown (untrusted text from Jira), cut at 4000 characters.
    pub body: String,
    /// True when the body was cut; the full comment is at `url`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Created (Jira timestamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Link to the comment in Jira.
    pub url: String,
}

impl Jira {
    /// Rich text from Jira (ADF on Cloud, wiki markup on DC) as sanitized Markdown.
    pub(crate) fn markdown(&self, value: Option<&Value>) -> String {
        let md = match value {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => match self.client.deployment() {
                Deployment::Cloud => s.clone(),
                Deployment::DataCenter => adf::wiki_to_markdown(s),
            },
            Some(doc) => adf::adf_to_markdown(doc),
        };
        sanitize(md.trim_end())
    }

    /// Markdown from the model as Jira's rich text: ADF on Cloud, wiki markup on DC.
    pub(crate) fn rich_text(&self, markdown: &str) -> Value {
        match self.client.deployment() {
            Deployment::Cloud => adf::markdown_to_adf(markdown),
            Deployment::DataCenter => Value::String(adf::markdown_to_wiki(markdown)),
        }
    }

    pub(crate) fn summarize(&self, issue: &Issue) -> IssueSummary {
        let f = &issue.fields;
        let name = |n: &Option<model::Named>| n.as_ref().and_then(|n| n.name.clone());
        IssueSummary {
            key: issue.key.clone(),
            id: issue.id.clone(),
            url: self.client.browse_url(&issue.key),
            summary: sanitize(f.summary.as_deref().unwrap_or("")),
            status: name(&f.status),
            issue_type: name(&f.issuetype),
            priority: name(&f.priority),
            assignee: f.assignee.as_ref().map(Person::from),
            project: f.project.as_ref().map(|p| p.key.clone()),
            labels: f.labels.clone().unwrap_or_default(),
            created: f.created.clone(),
            updated: f.updated.clone(),
            fields: f
                .other
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    pub(crate) fn comment_out(&self, key: &str, c: &Comment) -> CommentOut {
        let (body, truncated) = clip(&self.markdown(c.body.as_ref()), COMMENT_BUDGET);
        CommentOut {
            id: c.id.clone(),
            author: c.author.as_ref().map(Person::from),
            body,
            truncated,
            created: c.created.clone(),
            url: format!("{}?focusedCommentId={}", self.client.browse_url(key), c.id),
        }
    }
}

/// A JQL string literal: `"…"` with `\` and `"` escaped.
pub(crate) fn jql_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The project key of an issue key (`OPS-12` → `OPS`); the write scope is
/// checked against it.
pub(crate) fn project_of(key: &str) -> Option<String> {
    key.rsplit_once('-')
        .map(|(p, _)| p.to_ascii_uppercase())
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jql_strings_are_escaped() {
        assert_eq!(jql_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }

    #[test]
    fn project_of_issue_key() {
        assert_eq!(project_of("ops-12").as_deref(), Some("OPS"));
        assert_eq!(project_of("12"), None);
    }
}
