//! Toolset `projects`: projects, their issue types and components, and what
//! creating an issue needs.

use connector_kit::text::sanitize;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Jira;
use crate::client::allowed_values;
use crate::model::Project;
use crate::tools::{Person, offset_cursor, tool_error};

/// Arguments of `list_projects`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Most projects to return (1-100, default 50).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 20))]
    pub cursor: Option<String>,
}

fn default_limit() -> u32 {
    50
}

/// One project.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectOut {
    /// Project key, e.g. `OPS`.
    pub key: String,
    /// Name.
    pub name: String,
    /// Jira's id.
    pub id: String,
    /// Link to the project in Jira.
    pub url: String,
    /// Project lead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<Person>,
}

/// A page of projects.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectList {
    /// Projects.
    pub projects: Vec<ProjectOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Arguments of `get_project`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Project key, e.g. `OPS`.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,29}$"))]
    pub key: String,
}

/// An issue type or component.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Kind {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// One project in full.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProjectDetail {
    /// Key, name, link and lead.
    #[serde(flatten)]
    pub project: ProjectOut,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Issue types (for `create_issue`).
    pub issue_types: Vec<Kind>,
    /// Components.
    pub components: Vec<Kind>,
}

/// Arguments of `get_create_fields`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFieldsArgs {
    /// Project key, e.g. `OPS`.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,29}$"))]
    pub project: String,
    /// Issue type name or id, e.g. `Bug`.
    #[schemars(length(min = 1, max = 60))]
    pub issue_type: String,
}

/// One field of the create screen.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldOut {
    /// Field id to use in `create_issue`'s `fields` (e.g. `customfield_10010`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Must be given on create.
    pub required: bool,
    /// Jira's type of the value (`string`, `option`, `array`, `user`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Values Jira accepts; send options as `{"value": "…"}`, others as `{"name": "…"}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
}

/// The create screen of a project and issue type.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateFields {
    /// Project key.
    pub project: String,
    /// Issue type name.
    pub issue_type: String,
    /// Issue type id.
    pub issue_type_id: String,
    /// Fields, required ones first.
    pub fields: Vec<FieldOut>,
}

#[tool_router(router = projects_tools, vis = "pub(crate)")]
impl Jira {
    /// Use this to see which Jira projects exist (key, name, lead).
    #[tool(name = "list_projects", title = "List projects")]
    async fn list_projects(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<ProjectList>, CallToolResult> {
        let start = offset_cursor(args.cursor.as_deref())?;
        let limit = args.limit.clamp(1, 100);
        let (projects, more) = self
            .client
            .projects(start, limit)
            .await
            .map_err(|e| e.to_tool_result())?;
        let next_cursor = more.then(|| (start + projects.len() as u64).to_string());
        Ok(Json(ProjectList {
            projects: projects.iter().map(|p| self.project_out(p)).collect(),
            next_cursor,
        }))
    }

    /// Use this to read one project: its issue types (for `create_issue`)
    /// and components.
    #[tool(name = "get_project", title = "Get a project")]
    async fn get_project(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<ProjectDetail>, CallToolResult> {
        let p = self
            .client
            .project(&args.key.to_ascii_uppercase())
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(ProjectDetail {
            project: self.project_out(&p),
            description: sanitize(p.description.as_deref().unwrap_or("")),
            issue_types: p
                .issue_types
                .iter()
                .flatten()
                .map(|t| Kind {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    description: sanitize(t.description.as_deref().unwrap_or("")),
                })
                .collect(),
            components: p
                .components
                .iter()
                .flatten()
                .map(|c| Kind {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    description: sanitize(c.description.as_deref().unwrap_or("")),
                })
                .collect(),
        }))
    }

    /// Use this before `create_issue` to learn which fields a project and
    /// issue type require and which values each field accepts.
    #[tool(name = "get_create_fields", title = "Get fields for creating an issue")]
    async fn get_create_fields(
        &self,
        Parameters(args): Parameters<CreateFieldsArgs>,
    ) -> Result<Json<CreateFields>, CallToolResult> {
        let project = args.project.to_ascii_uppercase();
        let types = self
            .client
            .create_issue_types(&project)
            .await
            .map_err(|e| e.to_tool_result())?;
        let Some(t) = types
            .iter()
            .find(|t| t.id == args.issue_type || t.name.eq_ignore_ascii_case(&args.issue_type))
        else {
            let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
            return Err(tool_error(format!(
                "`issue_type`: project {project} has no issue type {:?}; allowed values: {}",
                args.issue_type,
                names.join(", ")
            )));
        };
        let mut fields: Vec<FieldOut> = self
            .client
            .create_fields(&project, &t.id)
            .await
            .map_err(|e| e.to_tool_result())?
            .iter()
            .map(|f| FieldOut {
                id: f.field_id.clone(),
                name: f.name.clone(),
                required: f.required,
                r#type: f
                    .schema
                    .as_ref()
                    .and_then(|s| s.get("type"))
                    .and_then(|t| t.as_str())
                    .map(str::to_owned),
                allowed_values: allowed_values(f),
            })
            .collect();
        fields.sort_by_key(|f| !f.required);
        Ok(Json(CreateFields {
            project,
            issue_type: t.name.clone(),
            issue_type_id: t.id.clone(),
            fields,
        }))
    }
}

impl Jira {
    fn project_out(&self, p: &Project) -> ProjectOut {
        ProjectOut {
            key: p.key.clone(),
            name: sanitize(&p.name),
            id: p.id.clone(),
            url: self.client.browse_url(&p.key),
            lead: p.lead.as_ref().map(Person::from),
        }
    }
}
