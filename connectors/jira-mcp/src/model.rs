//! Jira's wire types: the parts of its answers this connector reads.
//!
//! One set of types serves both flavours. Where they differ, the field is a
//! [`Value`]: rich text is an ADF document on Cloud (v3) and a wiki-markup
//! string on Data Center (v2); users carry `accountId` on Cloud and `name` on
//! Data Center.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /rest/api/2/serverInfo`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// `Cloud`, `Server` or `DataCenter`.
    #[serde(default)]
    pub deployment_type: Option<String>,
    /// Version string, e.g. `9.12.2`.
    #[serde(default)]
    pub version: Option<String>,
}

/// A user reference.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Cloud account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Data Center user name.
    #[serde(default)]
    pub name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// E-mail, when visible.
    #[serde(default)]
    pub email_address: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
}

impl User {
    /// The id to send back to Jira: the account id on Cloud, the name on DC.
    pub fn id(&self) -> String {
        self.account_id
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_default()
    }
}

/// Something with a name (status, priority, issue type, resolution, component).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Named {
    /// Id.
    #[serde(default)]
    pub id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A project reference.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProjectRef {
    /// Project key.
    #[serde(default)]
    pub key: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
}

/// An issue as `GET /issue/{key}` and search return it.
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    /// Numeric id.
    pub id: String,
    /// Key, e.g. `OPS-12`.
    pub key: String,
    /// The requested fields.
    #[serde(default)]
    pub fields: IssueFields,
    /// Present with `expand=transitions`.
    #[serde(default)]
    pub transitions: Option<Vec<Transition>>,
}

/// The fields this connector curates; anything else requested is in `other`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueFields {
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Rich text: ADF (Cloud) or wiki markup (DC).
    #[serde(default)]
    pub description: Option<Value>,
    /// Workflow status.
    #[serde(default)]
    pub status: Option<Named>,
    /// Issue type.
    #[serde(default)]
    pub issuetype: Option<Named>,
    /// Priority.
    #[serde(default)]
    pub priority: Option<Named>,
    /// Resolution, once resolved.
    #[serde(default)]
    pub resolution: Option<Named>,
    /// Assignee.
    #[serde(default)]
    pub assignee: Option<User>,
    /// Reporter.
    #[serde(default)]
    pub reporter: Option<User>,
    /// Project.
    #[serde(default)]
    pub project: Option<ProjectRef>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// Components.
    #[serde(default)]
    pub components: Option<Vec<Named>>,
    /// Created (Jira's timestamp format).
    #[serde(default)]
    pub created: Option<String>,
    /// Last updated.
    #[serde(default)]
    pub updated: Option<String>,
    /// Links to other issues.
    #[serde(default)]
    pub issuelinks: Option<Vec<IssueLink>>,
    /// The embedded comment page.
    #[serde(default)]
    pub comment: Option<CommentPage>,
    /// Every other requested field, as Jira sent it.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A link between two issues.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueLink {
    /// Link type.
    #[serde(rename = "type", default)]
    pub link_type: Option<LinkType>,
    /// Set when this issue is the inward side.
    #[serde(default)]
    pub outward_issue: Option<LinkedIssue>,
    /// Set when this issue is the outward side.
    #[serde(default)]
    pub inward_issue: Option<LinkedIssue>,
}

/// A link type's phrasing.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkType {
    /// `Blocks`.
    #[serde(default)]
    pub name: Option<String>,
    /// `is blocked by`.
    #[serde(default)]
    pub inward: Option<String>,
    /// `blocks`.
    #[serde(default)]
    pub outward: Option<String>,
}

/// The other end of a link.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkedIssue {
    /// Key.
    pub key: String,
    /// Its summary and status.
    #[serde(default)]
    pub fields: IssueFields,
}

/// A page of comments (`GET /issue/{key}/comment`, or embedded in an issue).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentPage {
    /// The comments, oldest first.
    #[serde(default)]
    pub comments: Vec<Comment>,
    /// Index of the first.
    #[serde(default)]
    pub start_at: u64,
    /// Total comments on the issue.
    #[serde(default)]
    pub total: u64,
}

/// One comment.
#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    /// Id.
    pub id: String,
    /// Author.
    #[serde(default)]
    pub author: Option<User>,
    /// Rich text: ADF (Cloud) or wiki markup (DC).
    #[serde(default)]
    pub body: Option<Value>,
    /// Created.
    #[serde(default)]
    pub created: Option<String>,
    /// Last edited.
    #[serde(default)]
    pub updated: Option<String>,
}

/// Cloud's `POST /rest/api/3/search/jql` answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JqlPage {
    /// Issues of this page.
    #[serde(default)]
    pub issues: Vec<Issue>,
    /// Token of the next page; absent on the last.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Whether this is the last page.
    #[serde(default)]
    pub is_last: Option<bool>,
}

/// Data Center's `/rest/api/2/search` answer (and other offset pages).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetPage {
    /// Issues of this page.
    #[serde(default)]
    pub issues: Vec<Issue>,
    /// Index of the first.
    #[serde(default)]
    pub start_at: u64,
    /// Total matches.
    #[serde(default)]
    pub total: u64,
}

/// `GET /issue/{key}/transitions`.
#[derive(Debug, Clone, Deserialize)]
pub struct Transitions {
    /// Transitions available now.
    #[serde(default)]
    pub transitions: Vec<Transition>,
}

/// A workflow transition.
#[derive(Debug, Clone, Deserialize)]
pub struct Transition {
    /// Id to pass to `POST /transitions`.
    pub id: String,
    /// Name, e.g. `Start Progress`.
    #[serde(default)]
    pub name: String,
    /// Target status.
    #[serde(default)]
    pub to: Option<Named>,
}

/// `POST /issue` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    /// Numeric id.
    pub id: String,
    /// Key.
    pub key: String,
}

/// A project (`GET /project/{key}`, list entries).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Id.
    #[serde(default)]
    pub id: String,
    /// Key.
    pub key: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Lead.
    #[serde(default)]
    pub lead: Option<User>,
    /// Issue types (full project only).
    #[serde(default)]
    pub issue_types: Option<Vec<IssueType>>,
    /// Components (full project only).
    #[serde(default)]
    pub components: Option<Vec<Component>>,
}

/// An issue type.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueType {
    /// Id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Sub-task type?
    #[serde(default)]
    pub subtask: Option<bool>,
}

/// A component.
#[derive(Debug, Clone, Deserialize)]
pub struct Component {
    /// Id.
    #[serde(default)]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Cloud's `GET /project/search` page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPage {
    /// Projects.
    #[serde(default)]
    pub values: Vec<Project>,
    /// Last page?
    #[serde(default)]
    pub is_last: Option<bool>,
    /// Total.
    #[serde(default)]
    pub total: Option<u64>,
}

/// `GET /issue/createmeta/{project}/issuetypes/{id}`: Cloud answers `fields`
/// (or `results`), Data Center `values`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateMetaPage {
    /// Cloud.
    #[serde(default)]
    pub fields: Vec<FieldMeta>,
    /// Cloud (newer).
    #[serde(default)]
    pub results: Vec<FieldMeta>,
    /// Data Center.
    #[serde(default)]
    pub values: Vec<FieldMeta>,
}

impl CreateMetaPage {
    /// The fields, whichever key carried them.
    pub fn into_fields(self) -> Vec<FieldMeta> {
        [self.fields, self.results, self.values]
            .into_iter()
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    }
}

/// `GET /issue/createmeta/{project}/issuetypes`: Cloud `issueTypes`, DC `values`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMetaTypes {
    /// Cloud.
    #[serde(default)]
    pub issue_types: Vec<IssueType>,
    /// Data Center.
    #[serde(default)]
    pub values: Vec<IssueType>,
}

/// One field of the create screen.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldMeta {
    /// Field id (`summary`, `customfield_10010`).
    #[serde(default)]
    pub field_id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Required on create?
    #[serde(default)]
    pub required: bool,
    /// Type information (`{"type": "option", "custom": …}`).
    #[serde(default)]
    pub schema: Option<Value>,
    /// Allowed values (options, priorities, components…).
    #[serde(default)]
    pub allowed_values: Option<Vec<Value>>,
    /// Whether Jira fills it in when omitted.
    #[serde(default)]
    pub has_default_value: Option<bool>,
}

/// Jira's error body: `{"errorMessages": [...], "errors": {"field": "message"}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// General messages.
    #[serde(default)]
    pub error_messages: Vec<String>,
    /// Per-field messages.
    #[serde(default)]
    pub errors: std::collections::BTreeMap<String, String>,
}
