//! JSON shapes of the API, for one API version: v3 (Cloud: ADF, account ids) or v2 (Data
//! Center: wiki markup, user names).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::adf;
use crate::model::{self, Comment, Issue, Project, User};
use crate::state::Store;

/// Which REST API family a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/rest/api/2`: wiki markup, user names.
    V2,
    /// `/rest/api/3`: ADF, account ids.
    V3,
}

impl Api {
    pub fn number(self) -> u8 {
        match self {
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }
}

/// Jira's timestamp format, e.g. `2025-03-03T09:00:00.000+0000`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// Every field an issue has, in display order, with its display name.
pub(crate) const ISSUE_FIELDS: [(&str, &str); 18] = [
    ("summary", "Summary"),
    ("description", "Description"),
    ("status", "Status"),
    ("assignee", "Assignee"),
    ("reporter", "Reporter"),
    ("creator", "Creator"),
    ("priority", "Priority"),
    ("issuetype", "Issue Type"),
    ("project", "Project"),
    ("labels", "Labels"),
    ("components", "Components"),
    ("created", "Created"),
    ("updated", "Updated"),
    ("resolution", "Resolution"),
    ("resolutiondate", "Resolved"),
    ("duedate", "Due date"),
    (model::SEVERITY_FIELD, model::SEVERITY_NAME),
    ("comment", "Comment"),
];

/// Which fields to include, from a `fields` parameter.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSelection {
    include: BTreeSet<String>,
    exclude: BTreeSet<String>,
    all: bool,
    navigable: bool,
}

impl FieldSelection {
    /// Parses `fields` values (each may be comma-separated); `default` applies when none
    /// is given (`"*all"`, `"*navigable"` or `"id"`).
    pub fn parse(values: &[String], default: &str) -> Self {
        let mut selection = Self::default();
        let mut items: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        // Only exclusions: they apply to the navigable fields, like Jira.
        if items.iter().all(|i| i.starts_with('-')) {
            items.push(if values.is_empty() {
                default
            } else {
                "*navigable"
            });
        }
        for item in items {
            match item {
                "*all" => selection.all = true,
                "*navigable" => selection.navigable = true,
                "id" | "key" | "*none" => {}
                other => {
                    if let Some(excluded) = other.strip_prefix('-') {
                        selection.exclude.insert(excluded.to_owned());
                    } else {
                        selection.include.insert(other.to_owned());
                    }
                }
            }
        }
        selection
    }

    pub fn wants(&self, field: &str) -> bool {
        if self.exclude.contains(field) {
            return false;
        }
        self.all || (self.navigable && field != "comment") || self.include.contains(field)
    }
}

/// Expansions requested with `expand`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Expand {
    pub rendered: bool,
    pub names: bool,
    pub transitions: bool,
}

impl Expand {
    pub fn parse(values: &[String]) -> Self {
        let mut expand = Self::default();
        for item in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
            match item {
                "renderedFields" => expand.rendered = true,
                "names" => expand.names = true,
                "transitions" => expand.transitions = true,
                _ => {}
            }
        }
        expand
    }
}

/// Renders API objects for one request: the API version and the base URL for `self` links.
#[derive(Debug, Clone)]
pub(crate) struct Renderer<'a> {
    pub api: Api,
    pub base: &'a str,
    pub store: &'a Store,
}

impl Renderer<'_> {
    fn api_url(&self, path: &str) -> String {
        format!("{}/rest/api/{}{path}", self.base, self.api.number())
    }

    /// Rich text the way this API version shows it.
    pub fn rich_text(&self, doc: &Value) -> Value {
        match self.api {
            Api::V3 => doc.clone(),
            Api::V2 => Value::String(adf::to_wiki(doc)),
        }
    }

    fn avatars(&self, seed: &str) -> Value {
        let url = |size: u32| format!("{}/secure/useravatar?size={size}&ownerId={seed}", self.base);
        json!({"48x48": url(48), "24x24": url(24), "16x16": url(16), "32x32": url(32)})
    }

    /// A user: account id on v3, name/key on v2.
    pub fn user(&self, user: &User) -> Value {
        let mut out = json!({
            "displayName": user.display_name,
            "emailAddress": user.email,
            "active": user.active,
            "timeZone": user.time_zone,
        });
        match self.api {
            Api::V3 => {
                out["self"] = json!(self.api_url(&format!("/user?accountId={}", user.account_id)));
                out["accountId"] = json!(user.account_id);
                out["accountType"] = json!("atlassian");
                out["avatarUrls"] = self.avatars(&user.account_id);
            }
            Api::V2 => {
                out["self"] = json!(self.api_url(&format!("/user?username={}", user.name)));
                out["name"] = json!(user.name);
                out["key"] = json!(user.key);
                out["avatarUrls"] = self.avatars(&user.key);
            }
        }
        out
    }

    fn user_at(&self, index: Option<usize>) -> Value {
        index.map_or(Value::Null, |u| self.user(&self.store.users[u]))
    }

    pub fn status(&self, id: &str) -> Value {
        let Some(status) = model::status(id) else {
            return Value::Null;
        };
        let category = &status.category;
        json!({
            "self": self.api_url(&format!("/status/{}", status.id)),
            "description": status.description,
            "iconUrl": format!("{}/images/icons/statuses/generic.png", self.base),
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": self.api_url(&format!("/statuscategory/{}", category.id)),
                "id": category.id,
                "key": category.key,
                "colorName": category.color,
                "name": category.name,
            }
        })
    }

    pub fn issue_type(&self, id: &str) -> Value {
        let Some(t) = model::issue_type(id) else {
            return Value::Null;
        };
        json!({
            "self": self.api_url(&format!("/issuetype/{}", t.id)),
            "id": t.id,
            "description": t.description,
            "iconUrl": format!("{}/images/icons/issuetypes/{}.svg", self.base, t.icon),
            "name": t.name,
            "subtask": false,
            "hierarchyLevel": 0,
        })
    }

    pub fn priority(&self, id: &str) -> Value {
        model::priority(id).map_or(Value::Null, |p| {
            json!({
                "self": self.api_url(&format!("/priority/{}", p.id)),
                "iconUrl": format!("{}/images/icons/priorities/{}.svg", self.base, p.name.to_lowercase()),
                "name": p.name,
                "id": p.id,
            })
        })
    }

    pub fn resolution(&self, id: Option<&str>) -> Value {
        id.and_then(model::resolution).map_or(Value::Null, |r| {
            json!({
                "self": self.api_url(&format!("/resolution/{}", r.id)),
                "id": r.id,
                "description": r.description,
                "name": r.name,
            })
        })
    }

    pub fn severity(&self, id: Option<&str>) -> Value {
        id.and_then(model::severity)
            .map_or(Value::Null, |(id, value)| {
                json!({
                    "self": self.api_url(&format!("/customFieldOption/{id}")),
                    "value": value,
                    "id": id,
                })
            })
    }

    /// The short project shape embedded in issues.
    pub fn project_ref(&self, project: &Project) -> Value {
        json!({
            "self": self.api_url(&format!("/project/{}", project.id)),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": false,
            "avatarUrls": self.avatars(&project.id),
        })
    }

    pub fn component(&self, project: &Project, id: &str) -> Value {
        project
            .components
            .iter()
            .find(|c| c.id == id)
            .map_or(Value::Null, |c| {
                json!({
                    "self": self.api_url(&format!("/component/{}", c.id)),
                    "id": c.id,
                    "name": c.name,
                    "description": c.description,
                })
            })
    }

    /// The full project shape (`GET /project/{key}`): issue types and components included.
    pub fn project(&self, project: &Project) -> Value {
        let mut out = self.project_ref(project);
        out["description"] = json!(project.description);
        out["lead"] = self.user(&self.store.users[project.lead]);
        out["assigneeType"] = json!("UNASSIGNED");
        out["style"] = json!("classic");
        out["isPrivate"] = json!(false);
        out["issueTypes"] = Value::Array(
            model::ISSUE_TYPES
                .iter()
                .map(|t| self.issue_type(t.id))
                .collect(),
        );
        out["components"] = Value::Array(
            project
                .components
                .iter()
                .map(|c| {
                    let mut component = self.component(project, &c.id);
                    component["project"] = json!(project.key);
                    component["projectId"] = json!(project.id.parse::<u64>().unwrap_or(0));
                    component["assigneeType"] = json!("PROJECT_DEFAULT");
                    component
                })
                .collect(),
        );
        out["versions"] = json!([]);
        out
    }

    pub fn comment(&self, issue: &Issue, comment: &Comment, rendered: bool) -> Value {
        let mut out = json!({
            "self": self.api_url(&format!("/issue/{}/comment/{}", issue.id, comment.id)),
            "id": comment.id.to_string(),
            "author": self.user(&self.store.users[comment.author]),
            "body": self.rich_text(&comment.body),
            "updateAuthor": self.user(&self.store.users[comment.update_author]),
            "created": timestamp(comment.created),
            "updated": timestamp(comment.updated),
            "jsdPublic": true,
        });
        if rendered {
            out["renderedBody"] = json!(adf::to_html(&comment.body));
        }
        out
    }

    /// One available transition.
    pub fn transition(&self, transition: &model::Transition) -> Value {
        json!({
            "id": transition.id,
            "name": transition.name,
            "to": self.status(transition.to),
            "hasScreen": transition.to == model::DONE,
            "isGlobal": false,
            "isInitial": false,
            "isAvailable": true,
            "isConditional": false,
            "isLooped": false,
        })
    }

    fn field_value(&self, issue: &Issue, field: &str) -> Value {
        let project = &self.store.projects[issue.project];
        match field {
            "summary" => json!(issue.summary),
            "description" => issue
                .description
                .as_ref()
                .map_or(Value::Null, |d| self.rich_text(d)),
            "status" => self.status(issue.status),
            "assignee" => self.user_at(issue.assignee),
            "reporter" | "creator" => self.user_at(issue.reporter),
            "priority" => self.priority(issue.priority),
            "issuetype" => self.issue_type(issue.issue_type),
            "project" => self.project_ref(project),
            "labels" => json!(issue.labels),
            "components" => Value::Array(
                issue
                    .components
                    .iter()
                    .map(|id| self.component(project, id))
                    .collect(),
            ),
            "created" => json!(timestamp(issue.created)),
            "updated" => json!(timestamp(issue.updated)),
            "resolution" => self.resolution(issue.resolution),
            "resolutiondate" => issue
                .resolution_date
                .map_or(Value::Null, |at| json!(timestamp(at))),
            "duedate" => json!(issue.due_date),
            model::SEVERITY_FIELD => self.severity(issue.severity),
            "comment" => {
                let comments: Vec<Value> = issue
                    .comments
                    .iter()
                    .map(|c| self.comment(issue, c, false))
                    .collect();
                json!({
                    "self": self.api_url(&format!("/issue/{}/comment", issue.id)),
                    "comments": comments,
                    "maxResults": comments.len(),
                    "total": comments.len(),
                    "startAt": 0,
                })
            }
            _ => Value::Null,
        }
    }

    /// An issue with the selected fields and expansions.
    pub fn issue(&self, issue: &Issue, selection: &FieldSelection, expand: Expand) -> Value {
        let mut fields = Map::new();
        let mut names = Map::new();
        for (field, name) in ISSUE_FIELDS {
            if selection.wants(field) {
                fields.insert(field.to_owned(), self.field_value(issue, field));
                names.insert(field.to_owned(), json!(name));
            }
        }
        let mut out = json!({
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id.to_string(),
            "self": self.api_url(&format!("/issue/{}", issue.id)),
            "key": issue.key,
            "fields": fields,
        });
        if expand.rendered {
            let mut rendered = Map::new();
            if selection.wants("description") {
                rendered.insert(
                    "description".to_owned(),
                    issue
                        .description
                        .as_ref()
                        .map_or(Value::Null, |d| json!(adf::to_html(d))),
                );
            }
            if selection.wants("comment") {
                let comments: Vec<Value> = issue
                    .comments
                    .iter()
                    .map(|c| {
                        let mut comment = self.comment(issue, c, false);
                        comment["body"] = json!(adf::to_html(&c.body));
                        comment
                    })
                    .collect();
                rendered.insert(
                    "comment".to_owned(),
                    json!({"comments": comments, "total": comments.len(), "startAt": 0, "maxResults": comments.len()}),
                );
            }
            out["renderedFields"] = Value::Object(rendered);
        }
        if expand.names {
            out["names"] = Value::Object(names);
        }
        if expand.transitions {
            out["transitions"] = Value::Array(
                model::transitions_from(issue.status)
                    .map(|t| self.transition(t))
                    .collect(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_selection() {
        let all = FieldSelection::parse(&[], "*all");
        assert!(all.wants("comment") && all.wants("summary"));
        let ids = FieldSelection::parse(&[], "id");
        assert!(!ids.wants("summary"));
        let some = FieldSelection::parse(&["summary,status".to_owned()], "id");
        assert!(some.wants("status") && !some.wants("labels"));
        let minus = FieldSelection::parse(&["-description".to_owned()], "id");
        assert!(minus.wants("summary") && !minus.wants("description") && !minus.wants("comment"));
        let all_but = FieldSelection::parse(&["*all".to_owned(), "-comment".to_owned()], "id");
        assert!(all_but.wants("labels") && !all_but.wants("comment"));
    }

    #[test]
    fn timestamps_look_like_jira() {
        let at = DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(timestamp(at), "1970-01-01T00:00:00.000+0000");
    }
}
